//go:build pkcs11 && cgo

package pkcs11

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/miekg/pkcs11"
)

// Available reports whether this build can use PKCS#11 tokens.
const Available = true

// maxSessions bounds the sessions a Key opens for concurrent Sign calls.
const maxSessions = 8

// Key is a private key in a PKCS#11 token. Its Sign runs inside the token;
// it is safe for concurrent use. Close it when done.
type Key struct {
	mod   *module
	token token
	pin   string
	ref   keyRef
	pub   crypto.PublicKey
	desc  string

	// mu is held for reading by Sign and for writing by Close.
	mu     sync.RWMutex
	closed bool
	// loginSession stays open while the Key is: the token's login lasts
	// while the application has a session.
	loginSession pkcs11.SessionHandle
	// handle is the private key's object handle; recover, serialised
	// by recoverMu (which also guards loginSession after Open), renews it.
	handle    atomic.Uint64
	recoverMu sync.Mutex
	// idle holds open sessions; open counts the sessions opened for
	// signing (a semaphore of maxSessions).
	idle chan pkcs11.SessionHandle
	open chan struct{}
}

var _ crypto.Signer = (*Key)(nil)

// Open loads the module, finds the token, logs in, finds the private key and
// its public key, and checks with one signature that they are a pair. The
// key needs neither to be extractable nor to leave the token.
func Open(cfg Config) (_ *Key, err error) {
	if cfg.PIN == "" {
		return nil, errors.New("no PIN for the PKCS#11 token: give the user PIN (from the environment or a file)")
	}
	m, err := loadModule(cfg.Module)
	if err != nil {
		return nil, err
	}
	k := &Key{
		mod:  m,
		pin:  cfg.PIN,
		idle: make(chan pkcs11.SessionHandle, maxSessions),
		open: make(chan struct{}, maxSessions),
	}
	defer func() {
		if err != nil {
			_ = k.Close()
		}
	}()
	if k.token, err = findToken(m, cfg); err != nil {
		return nil, err
	}
	s, err := m.ctx.OpenSession(k.token.slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, fmt.Errorf("open a session with PKCS#11 token %q: %w", k.token.label, err)
	}
	k.loginSession = s
	if err := login(m, s, k.token, cfg.PIN); err != nil {
		return nil, err
	}
	if k.ref, err = findPrivateKey(m, s, k.token, cfg); err != nil {
		return nil, err
	}
	k.handle.Store(uint64(k.ref.handle))
	if k.pub, err = publicKey(m, s, k.ref); err != nil {
		return nil, fmt.Errorf("PKCS#11 key %s in token %q: %w", k.ref, k.token.label, err)
	}
	size := ""
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		if bits := pub.N.BitLen(); bits < minRSABits {
			return nil, fmt.Errorf("PKCS#11 key %s in token %q is RSA %d bits: Signet needs RSA keys of at least %d bits",
				k.ref, k.token.label, bits, minRSABits)
		}
		size = fmt.Sprintf("RSA %d", pub.N.BitLen())
	case *ecdsa.PublicKey:
		size = "EC " + pub.Curve.Params().Name
	}
	name := fmt.Sprintf("%q", k.ref.label)
	if k.ref.label == "" || (len(cfg.KeyID) > 0 && cfg.KeyLabel == "") {
		name = "id " + hex.EncodeToString(k.ref.id)
	}
	k.desc = fmt.Sprintf("PKCS#11 token %q key %s (%s) via %s", k.token.label, name, size, m.path)
	if err := k.selfTest(); err != nil {
		return nil, fmt.Errorf("%s: %w", k.desc, err)
	}
	return k, nil
}

// selfTest signs once and verifies with the public key, so that a key that
// may not sign, or a public key that is not its pair, is found at startup.
func (k *Key) selfTest() error {
	digest := sha256.Sum256([]byte("signet pkcs11 self-test"))
	sig, err := k.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		return fmt.Errorf("test signature: %w", err)
	}
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			err = errors.New("verification failed")
		}
	}
	if err != nil {
		return fmt.Errorf("the public key found does not verify the private key's test signature (%v): is the public key object with the same id the private key's pair?", err)
	}
	return nil
}

// Public returns the public key: *rsa.PublicKey or *ecdsa.PublicKey.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// Describe says which key this is, for logs: token, key, type and module.
func (k *Key) Describe() string { return k.desc }

// Sign signs digest inside the token. For an RSA key, opts is a hash
// (PKCS #1 v1.5) or *rsa.PSSOptions; rsa.PSSSaltLengthAuto means a salt as
// long as the hash, as JWA (RFC 7518, section 3.5) requires for PS256, not
// the longest possible. For an EC key the signature is ASN.1 DER, as
// crypto.Signer requires. rand is not used: the token has its own.
func (k *Key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	mech, data, err := k.mechanism(digest, opts)
	if err != nil {
		return nil, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return nil, errors.New("sign with a closed PKCS#11 key")
	}
	sig, err := k.signRetrying(mech, data)
	if err != nil {
		return nil, fmt.Errorf("sign with %s: %w", k.desc, err)
	}
	if _, ok := k.pub.(*ecdsa.PublicKey); ok {
		return ecdsaDER(sig)
	}
	return sig, nil
}

// signRetrying signs, and survives a token that forgot the Key: a closed
// session is dropped and another tried; a lost login (the token was reset,
// or re-inserted, or someone logged out) is redone and the key found again.
func (k *Key) signRetrying(mech []*pkcs11.Mechanism, data []byte) ([]byte, error) {
	recovered := false
	for attempt := 0; ; attempt++ {
		sig, err := k.sign(mech, data)
		var code pkcs11.Error
		if err == nil || !errors.As(err, &code) || attempt > maxSessions {
			return sig, err
		}
		switch code {
		case pkcs11.CKR_SESSION_HANDLE_INVALID, pkcs11.CKR_SESSION_CLOSED:
			continue
		case pkcs11.CKR_USER_NOT_LOGGED_IN, pkcs11.CKR_OBJECT_HANDLE_INVALID, pkcs11.CKR_KEY_HANDLE_INVALID:
			if recovered {
				return nil, err
			}
			if rerr := k.recover(); rerr != nil {
				return nil, fmt.Errorf("%w (and logging in again failed: %v)", err, rerr)
			}
			recovered = true
		default:
			return nil, err
		}
	}
}

// recover logs in again, on a new login session if the old one is gone, and
// finds the private key's handle again.
func (k *Key) recover() error {
	k.recoverMu.Lock()
	defer k.recoverMu.Unlock()
	ctx := k.mod.ctx
	if _, err := ctx.GetSessionInfo(k.loginSession); err != nil {
		s, err := ctx.OpenSession(k.token.slot, pkcs11.CKF_SERIAL_SESSION)
		if err != nil {
			return fmt.Errorf("open a session: %w", err)
		}
		_ = ctx.CloseSession(k.loginSession)
		k.loginSession = s
	}
	if err := login(k.mod, k.loginSession, k.token, k.pin); err != nil {
		return err
	}
	ref, err := findPrivateKey(k.mod, k.loginSession, k.token, Config{KeyLabel: k.ref.label, KeyID: k.ref.id})
	if err != nil {
		return err
	}
	k.handle.Store(uint64(ref.handle))
	return nil
}

// sign runs one signature on a pooled session. A session that saw an error
// is closed rather than reused.
func (k *Key) sign(mech []*pkcs11.Mechanism, data []byte) ([]byte, error) {
	s, err := k.session()
	if err != nil {
		return nil, err
	}
	ctx := k.mod.ctx
	err = ctx.SignInit(s, mech, pkcs11.ObjectHandle(k.handle.Load()))
	var sig []byte
	if err == nil {
		sig, err = ctx.Sign(s, data)
	}
	if err != nil {
		_ = ctx.CloseSession(s)
		<-k.open
		return nil, err
	}
	k.idle <- s
	return sig, nil
}

// session takes an idle session, or opens one if fewer than maxSessions are
// open, or waits for one.
func (k *Key) session() (pkcs11.SessionHandle, error) {
	select {
	case s := <-k.idle:
		return s, nil
	default:
	}
	select {
	case s := <-k.idle:
		return s, nil
	case k.open <- struct{}{}:
		s, err := k.mod.ctx.OpenSession(k.token.slot, pkcs11.CKF_SERIAL_SESSION)
		if err != nil {
			<-k.open
			return 0, fmt.Errorf("open a session: %w", err)
		}
		return s, nil
	}
}

// mechanism picks the PKCS#11 mechanism for the key and opts, and the data
// that it signs.
func (k *Key) mechanism(digest []byte, opts crypto.SignerOpts) ([]*pkcs11.Mechanism, []byte, error) {
	h := opts.HashFunc()
	switch k.pub.(type) {
	case *ecdsa.PublicKey:
		return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}, digest, nil
	case *rsa.PublicKey:
		hm, ok := hashes[h]
		if !ok {
			return nil, nil, fmt.Errorf("PKCS#11 RSA signing needs SHA-256, SHA-384 or SHA-512, not %v", h)
		}
		if len(digest) != h.Size() {
			return nil, nil, fmt.Errorf("the digest is %d bytes; %v makes %d", len(digest), h, h.Size())
		}
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			salt := pss.SaltLength
			switch salt {
			case rsa.PSSSaltLengthAuto, rsa.PSSSaltLengthEqualsHash:
				salt = h.Size()
			}
			if salt < 0 {
				return nil, nil, fmt.Errorf("invalid PSS salt length %d", pss.SaltLength)
			}
			params := pkcs11.NewPSSParams(hm.mech, hm.mgf, uint(salt))
			return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS, params)}, digest, nil
		}
		data := append(append([]byte(nil), hm.prefix...), digest...)
		return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil)}, data, nil
	}
	return nil, nil, errors.New("PKCS#11 key of an unsupported type")
}

// hashes maps a hash to its PKCS#11 mechanism and MGF1, and the DER
// DigestInfo prefix of PKCS #1 v1.5 (RFC 8017, section 9.2, note 1).
var hashes = map[crypto.Hash]struct {
	mech, mgf uint
	prefix    []byte
}{
	crypto.SHA256: {pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, mustHex("3031300d060960864801650304020105000420")},
	crypto.SHA384: {pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384, mustHex("3041300d060960864801650304020205000430")},
	crypto.SHA512: {pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512, mustHex("3051300d060960864801650304020305000440")},
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// ecdsaDER turns PKCS#11's r||s into the ASN.1 DER that crypto.Signer
// returns.
func ecdsaDER(rs []byte) ([]byte, error) {
	if len(rs) == 0 || len(rs)%2 != 0 {
		return nil, fmt.Errorf("the token returned an ECDSA signature of %d bytes", len(rs))
	}
	r := new(big.Int).SetBytes(rs[:len(rs)/2])
	s := new(big.Int).SetBytes(rs[len(rs)/2:])
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}

// Close ends the Key's sessions (and with the last Key of its module,
// unloads the module). Sign fails after Close.
func (k *Key) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed || k.mod == nil {
		return nil
	}
	k.closed = true
	ctx := k.mod.ctx
	// Sign holds the read lock, so every session is idle now.
	for len(k.idle) > 0 {
		_ = ctx.CloseSession(<-k.idle)
		<-k.open
	}
	if k.loginSession != 0 {
		_ = ctx.CloseSession(k.loginSession)
	}
	k.mod.release()
	k.mod = nil
	return nil
}
