package certs

import (
	"encoding/asn1"
	"os"
	"strings"
	"testing"
	"time"
)

// A hostile PKCS#12 file that names billions of MAC iterations is refused
// at once instead of hanging the process in PBKDF.
func TestPFXRefusesHugeIterationCounts(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/rsa-openssl3.pfx")
	if err != nil {
		t.Fatal(err)
	}
	var pfx pfxPDU
	if err := unmarshalAll(data, &pfx); err != nil {
		t.Fatal(err)
	}
	pfx.MacData.Iterations = 1 << 30
	hostile, err := asn1.Marshal(pfx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Parse(hostile, StaticPassword(fixturePassword))
	if err == nil || !strings.Contains(err.Error(), "1073741824 key-derivation iterations") {
		t.Fatalf("error %v, want the iteration count refused", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing took %v", d)
	}
}

func TestEncodePFXNeedsKey(t *testing.T) {
	t.Parallel()
	if _, err := EncodePFX(&Credential{Certificate: fixtureCert(t, "rsa.cer")}, "x", PFXModern); err != ErrNoPrivateKey {
		t.Fatalf("got %v, want ErrNoPrivateKey", err)
	}
}
