package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// A floor is the in-process signing rate of the server's own key: the
// ceiling of the token endpoint on this machine, and what its rate is
// compared with. It is measured before the server starts and again after
// it stops; the faster sample counts, so that a neighbour busy during one
// of them makes the ratio stricter, not looser.
type floor struct {
	alg     string
	samples []*floorSample
}

type floorSample struct {
	procs int
	n     uint64
	dur   time.Duration
	cpu   time.Duration // this process's CPU time over the measurement
}

func (s *floorSample) rate() float64 { return float64(s.n) / s.dur.Seconds() }

func (f *floor) best() *floorSample {
	var b *floorSample
	for _, s := range f.samples {
		if b == nil || s.rate() > b.rate() {
			b = s
		}
	}
	return b
}

func (f *floor) rate() float64 { return f.best().rate() }

// perThousand is CPU seconds per 1,000 signatures.
func (f *floor) perThousand() float64 {
	b := f.best()
	return b.cpu.Seconds() * 1000 / float64(b.n)
}

// signingInput is shaped like an access token's: a base64url header and
// claims of the size Signet issues, about 450 bytes.
var signingInput = func() []byte {
	enc := base64.RawURLEncoding
	header := `{"alg":"RS256","kid":"6BFD3DFBA03920EF1432F0C80CD5A1D184009138","typ":"at+jwt"}`
	claims := `{"aud":"https://api.example.com","client_id":"bench","exp":1795658399,"iat":1795654799,` +
		`"iss":"http://127.0.0.1:40000","jti":"SyFkHzZhccESjEMQEFCDsw","nbf":1795654799,"scope":"api1","sub":"bench"}`
	return []byte(enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims)))
}()

// measureFloor signs signingInput with the key in pfxFile (hash included,
// as a token endpoint does it) from GOMAXPROCS goroutines for dur.
func measureFloor(pfxFile, password string, dur time.Duration) (*floorSample, error) {
	sign, err := floorSigner(pfxFile, password)
	if err != nil {
		return nil, err
	}
	return measureSigning(sign, dur)
}

// floorSigner returns a function that signs signingInput with the key in
// pfxFile, hash included, as a token endpoint does it.
func floorSigner(pfxFile, password string) (func() error, error) {
	data, err := os.ReadFile(pfxFile)
	if err != nil {
		return nil, err
	}
	key, _, _, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", pfxFile, err)
	}
	var sign func() error
	switch k := key.(type) {
	case *rsa.PrivateKey:
		sign = func() error {
			sum := sha256.Sum256(signingInput)
			_, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, sum[:])
			return err
		}
	case *ecdsa.PrivateKey:
		sign = func() error {
			sum := sha256.Sum256(signingInput)
			_, err := ecdsa.SignASN1(rand.Reader, k, sum[:])
			return err
		}
	default:
		return nil, fmt.Errorf("%s: a %T key, want RSA or ECDSA", pfxFile, key)
	}
	return sign, sign()
}

// measureSigning calls sign from GOMAXPROCS goroutines for dur.
func measureSigning(sign func() error, dur time.Duration) (*floorSample, error) {
	procs := runtime.GOMAXPROCS(0)
	var n atomic.Uint64
	var failed atomic.Pointer[error]
	cpu0 := selfCPU()
	start := time.Now()
	end := start.Add(dur)
	var wg sync.WaitGroup
	for range procs {
		wg.Go(func() {
			var local uint64
			for time.Now().Before(end) {
				if err := sign(); err != nil {
					failed.Store(&err)
					return
				}
				local++
			}
			n.Add(local)
		})
	}
	wg.Wait()
	f := &floorSample{procs: procs, n: n.Load(), dur: time.Since(start), cpu: selfCPU() - cpu0}
	if err := failed.Load(); err != nil {
		return nil, *err
	}
	return f, nil
}

// signingRef is the token endpoint's reference: its key signing in this
// process, the server idle. An operation of the reference is per
// signatures: 1 for a token request, 2 for a code exchange (an access
// token and an ID token), so that the reference's rate is operations/s
// and its CPU is per operation.
type signingRef struct {
	sign func() error
	per  uint64
}

func (s signingRef) sample(ctx context.Context, d time.Duration) (refSample, error) {
	f, err := measureSigning(s.sign, d)
	if err != nil {
		return refSample{}, err
	}
	return refSample{n: f.n / max(s.per, 1), dur: f.dur, cpu: f.cpu, selfCPU: f.cpu}, nil
}
