package storagetest

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// BenchmarkUseOnce measures ReplayCache.UseOnce, the one storage call on the
// token path (private_key_jwt): a fresh jti from one goroutine ("Serial") and
// from GOMAXPROCS*4 goroutines ("Parallel"), and a replay that is refused
// ("Replay"). newStore returns an empty store closed by its b.Cleanup.
func BenchmarkUseOnce(b *testing.B, newStore func(b *testing.B) storage.Store) {
	b.Run("Serial", func(b *testing.B) {
		s := newStore(b)
		ctx := b.Context()
		exp := time.Now().Add(time.Hour)
		i := 0
		for b.Loop() {
			i++
			if err := s.UseOnce(ctx, "bench-client", "jti-"+strconv.Itoa(i), exp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		s := newStore(b)
		ctx := b.Context()
		exp := time.Now().Add(time.Hour)
		var next atomic.Int64
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				jti := "jti-" + strconv.FormatInt(next.Add(1), 10)
				if err := s.UseOnce(ctx, "bench-client", jti, exp); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("Replay", func(b *testing.B) {
		s := newStore(b)
		ctx := b.Context()
		exp := time.Now().Add(time.Hour)
		if err := s.UseOnce(ctx, "bench-client", "jti", exp); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := s.UseOnce(ctx, "bench-client", "jti", exp); !errors.Is(err, storage.ErrAlreadyExists) {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGrants measures the persisted-grant calls of the token path: a
// code created and redeemed ("CreateConsume", CreateGrant then ConsumeGrant),
// a redeemed code replayed ("ConsumeConsumed", refused with ErrConsumed), and
// a refresh token rotated ("Rotate", each iteration rotating the previous
// one's successor). newStore returns an empty store closed by its b.Cleanup.
func BenchmarkGrants(b *testing.B, newStore func(b *testing.B) storage.Store) {
	now := time.Now()
	grant := func(key string) storage.PersistedGrant {
		return storage.PersistedGrant{
			Key: key, Type: storage.GrantAuthorizationCode, Subject: "alice", ClientID: "bench-client",
			SessionID: "sid", FamilyID: "family", Created: now, Expires: now.Add(time.Hour),
			Data: []byte(`{"scope":"openid api","redirect_uri":"https://client.example/cb"}`),
		}
	}
	b.Run("CreateConsume", func(b *testing.B) {
		s := newStore(b)
		ctx := b.Context()
		i := 0
		for b.Loop() {
			i++
			key := "code-" + strconv.Itoa(i)
			if err := s.CreateGrant(ctx, grant(key)); err != nil {
				b.Fatal(err)
			}
			if _, err := s.ConsumeGrant(ctx, key, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	// As a server's code exchanges arrive: 32 goroutines per core, each
	// storing a code and redeeming it.
	b.Run("CreateConsumeParallel", func(b *testing.B) {
		var next atomic.Int64
		createConsumeParallel(b, newStore(b), now, func(string) storage.PersistedGrant {
			return grant("code-" + strconv.FormatInt(next.Add(1), 10))
		})
	})
	// As the server stores them: 64 users each with a session, a code's
	// data as internal/tokens encodes it, and keys and family ids either
	// random ("Random": the hash of a random handle, as codes were made
	// before 2026-12, and as refresh handles are) or beginning with the
	// time they were made ("Timed", as codes and families are made now).
	// Where a row lands in each index decides how many pages a commit
	// writes.
	for _, timed := range []bool{false, true} {
		name := "CreateConsumeRandom"
		if timed {
			name = "CreateConsumeTimed"
		}
		b.Run(name, func(b *testing.B) {
			createConsumeParallel(b, newStore(b), now, func(user string) storage.PersistedGrant {
				g := grant(randomKey())
				g.Subject, g.SessionID, g.FamilyID, g.Data = "user-"+user, "session-"+user, randomKey()[:22], codeData
				if timed {
					// Fixed width, so that the text sorts as the time.
					t := strconv.FormatInt(time.Now().UnixNano(), 36)
					g.Key, g.FamilyID = t+g.Key, t+g.FamilyID
				}
				return g
			})
		})
	}
	b.Run("ConsumeConsumed", func(b *testing.B) {
		s := newStore(b)
		ctx := b.Context()
		if err := s.CreateGrant(ctx, grant("code")); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ConsumeGrant(ctx, "code", now); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.ConsumeGrant(ctx, "code", now); !errors.Is(err, storage.ErrConsumed) {
				b.Fatal(err)
			}
		}
	})
	b.Run("Rotate", func(b *testing.B) {
		s := newStore(b)
		ctx := b.Context()
		if err := s.CreateGrant(ctx, grant("rt-0")); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			next := grant("rt-" + strconv.Itoa(i+1))
			next.Type = storage.GrantRefreshToken
			if _, err := s.RotateGrant(ctx, "rt-"+strconv.Itoa(i), next, now); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// reportCPU reports the process's CPU time (user and system) per operation
// as cpu-ns/op when the returned function is called: on a shared machine
// wall time per operation measures the neighbours too, CPU time less so.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

// createConsumeParallel stores and redeems the codes code makes from 32
// goroutines per core, each one of 64 users (code's argument), and reports
// the CPU time per code.
func createConsumeParallel(b *testing.B, s storage.Store, now time.Time, code func(user string) storage.PersistedGrant) {
	ctx := b.Context()
	var users atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	defer reportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		user := strconv.FormatInt(users.Add(1)%64, 10)
		for pb.Next() {
			g := code(user)
			if err := s.CreateGrant(ctx, g); err != nil {
				b.Error(err)
				return
			}
			if _, err := s.ConsumeGrant(ctx, g.Key, now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// codeData is the data of an authorization code as internal/tokens
// encodes it, at its usual size.
var codeData = []byte(`{"v":1,"scope":["openid","profile","api1"],"redirect_uri":"https://app.example.com/signin-oidc",` +
	`"nonce":"n-0S6_WzA2Mj","code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM","code_challenge_method":"S256",` +
	`"amr":["pwd"],"auth_time":1796000000}`)

// randomKey is a key as the server makes them: the base64url SHA-256 of a
// random handle.
func randomKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
