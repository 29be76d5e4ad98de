package managed

import "github.com/signetid/signet/internal/sealed"

// Managed keys are stored in internal/sealed's envelopes, bound to their kid
// and algorithm. These names keep the package's API as it was.

// KEKSize is the size of a key-encryption key: AES-256.
const KEKSize = sealed.KEKSize

// Errors of opening a stored key; UnreadableKey.Err wraps one of them.
var (
	ErrOtherKEK = sealed.ErrOtherKEK
	ErrCorrupt  = sealed.ErrCorrupt
)

// KEKID is the id of a key-encryption key stored in each envelope.
func KEKID(kek []byte) string { return sealed.KEKID(kek) }

func checkKEK(name string, kek []byte) error { return sealed.CheckKEK(name, kek) }

func seal(kek []byte, kid, alg string, plaintext []byte) ([]byte, error) {
	return sealed.Seal(kek, kid, alg, plaintext)
}

func open(kek []byte, kid, alg string, data []byte) ([]byte, error) {
	return sealed.Open(kek, kid, alg, data)
}

func envelopeKEKID(data []byte) (string, error) { return sealed.EnvelopeKEKID(data) }
