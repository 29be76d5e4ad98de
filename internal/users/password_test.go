package users

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// weak are cheap parameters, for tests that hash often and for hashes that
// need a rehash.
var weak = Params{Memory: 64, Time: 1, Parallelism: 1}

func TestHashAndVerify(t *testing.T) {
	t.Parallel()
	h1, h2 := Hash("correct horse"), Hash("correct horse")
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %s does not carry OWASP's minimum parameters", h1)
	}
	p, err := Parse(h1)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Salt) != 16 || len(p.Key) != 32 || p.String() != h1 {
		t.Errorf("Parse(%s) = %d-byte salt, %d-byte key, %s", h1, len(p.Salt), len(p.Key), p)
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{{"correct horse", true}, {"correct horsE", false}, {"correct hors", false}, {"", false}} {
		ok, rehash, err := Verify(h1, tc.password)
		if ok != tc.want || rehash || err != nil {
			t.Errorf("Verify(%q) = %v, %v, %v; want %v, false, nil", tc.password, ok, rehash, err, tc.want)
		}
	}
}

// TestKnownAnswer checks the format against a hash computed by hand from
// the argon2 package, so that a hash written by another argon2id library in
// the PHC format verifies.
func TestKnownAnswer(t *testing.T) {
	t.Parallel()
	salt := []byte("saltsaltsaltsalt")
	key := argon2.IDKey([]byte("password"), salt, 2, 64, 1, 32)
	s := "$argon2id$v=19$m=64,t=2,p=1$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key)
	if s[len("$argon2id$v=19$m=64,t=2,p=1$"):][:22] != "c2FsdHNhbHRzYWx0c2FsdA" {
		t.Fatalf("salt encoding: %s", s)
	}
	ok, rehash, err := Verify(s, "password")
	if !ok || !rehash || err != nil {
		t.Errorf("Verify = %v, %v, %v; want a match that needs a rehash", ok, rehash, err)
	}
}

func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(HasherOptions{Params: Params{Memory: 32 * 1024, Time: 3, Parallelism: 1}, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		p      Params
		rehash bool
	}{
		{"less memory", Params{Memory: 19 * 1024, Time: 3, Parallelism: 1}, true},
		{"fewer passes", Params{Memory: 32 * 1024, Time: 2, Parallelism: 1}, true},
		{"same", h.Params(), false},
		{"more of both", Params{Memory: 40 * 1024, Time: 4, Parallelism: 1}, false},
		{"more lanes only", Params{Memory: 32 * 1024, Time: 3, Parallelism: 2}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hash := newHash(tc.p, "pw").String()
			ok, rehash, err := h.Verify(t.Context(), hash, "pw")
			if !ok || rehash != tc.rehash || err != nil {
				t.Errorf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, tc.rehash)
			}
			if ok, _, _ := h.Verify(t.Context(), hash, "other"); ok {
				t.Error("Verify of another password matched")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	salt, key := b64.EncodeToString([]byte("saltsaltsaltsalt")), b64.EncodeToString(make([]byte, 32))
	good := "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key
	if _, err := Parse(good); err != nil {
		t.Fatalf("Parse(%s): %v", good, err)
	}
	for _, tc := range []struct{ name, hash, want string }{
		{"empty", "", "expected 5 fields"},
		{"plain password", "hunter2", "expected 5 fields"},
		{"no leading $", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$", "expected 5 fields"},
		{"extra field", good + "$", "expected 5 fields"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key, `algorithm "argon2i" is not argon2id`},
		{"bcrypt", "$2b$10$abcdefghijklmnopqrstuu$abcdefghijklmnopqrstuvwxyz01234", "expected 5 fields"},
		{"version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key, "version"},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key, "expected 5 fields"},
		{"order", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key, "want m="},
		{"keyid", "$argon2id$v=19$m=64,t=1,p=1,keyid=a$" + salt + "$" + key, "are not m="},
		{"leading zero", "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key, "leading zeros"},
		{"sign", "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key, "leading zeros"},
		{"overflow", "$argon2id$v=19$m=4294967296,t=1,p=1$" + salt + "$" + key, "out of range"},
		{"huge memory", "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key, "memory m=4194304"},
		{"tiny memory", "$argon2id$v=19$m=7,t=1,p=1$" + salt + "$" + key, "memory m=7"},
		{"many passes", "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key, "time t=1000"},
		{"no passes", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key, "time t=0"},
		{"many lanes", "$argon2id$v=19$m=4096,t=1,p=255$" + salt + "$" + key, "parallelism p=255"},
		{"no lanes", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key, "parallelism p=0"},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key, "salt is not base64"},
		{"url base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("_", 43), "hash is not base64"},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key, "salt is 4 bytes"},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAAAAAA", "hash is 6 bytes"},
		{"non-canonical base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:21] + "B$" + key, "salt is not base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.hash)
			if !errors.Is(err, ErrMalformedHash) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) = %v, want ErrMalformedHash with %q", tc.hash, err, tc.want)
			}
			if ok, _, verr := Verify(tc.hash, "pw"); ok || !errors.Is(verr, ErrMalformedHash) {
				t.Errorf("Verify = %v, %v", ok, verr)
			}
		})
	}
}

// FuzzParse checks that Parse never panics, accepts only hashes within the
// bounds, and that what it accepts prints back as given.
func FuzzParse(f *testing.F) {
	salt, key := b64.EncodeToString([]byte("saltsaltsaltsalt")), b64.EncodeToString(make([]byte, 32))
	for _, s := range []string{
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"$argon2i$v=19$m=64,t=1,p=1$$",
		"$argon2id$v=19$m=01,t=1,p=1$$",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("Parse(%q) = %v, not ErrMalformedHash", s, err)
			}
			return
		}
		if h.check() != nil || len(h.Salt) < minSalt || len(h.Salt) > maxSalt || len(h.Key) < minKey || len(h.Key) > maxKey {
			t.Fatalf("Parse(%q) accepted %+v", s, h)
		}
		if h.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, h.String())
		}
	})
}

func TestNewHasherRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts HasherOptions
		want string
	}{
		{"weaker than OWASP", HasherOptions{Params: weak}, "below the minimum"},
		{"absurd", HasherOptions{Params: Params{Memory: MaxMemory + 1, Time: 2, Parallelism: 1}}, "memory"},
		{"negative concurrency", HasherOptions{Concurrency: -1}, "negative"},
	} {
		if _, err := NewHasher(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: NewHasher = %v, want %q", tc.name, err, tc.want)
		}
	}
	h, err := NewHasher(HasherOptions{})
	if err != nil || h.Params() != DefaultParams || cap(h.sem) < 1 {
		t.Errorf("NewHasher of the zero options = %v, %v", h, err)
	}
}

// TestHasherBound checks that a Hasher computes no more than Concurrency
// hashes at once: with its one slot taken, Hash and Verify wait, and give
// up when their context is done; once it is free, they run.
func TestHasherBound(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(HasherOptions{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	hash := newHash(weak, "pw").String()
	if err := h.acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		_, err := h.Hash(ctx, "pw")
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Hash with every slot taken and a cancelled context = %v, want context.Canceled", err)
	}
	if ok, _, err := h.Verify(ctx, hash, "pw"); ok || !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with every slot taken and a cancelled context = %v, %v", ok, err)
	}
	go func() {
		_, err := h.Hash(t.Context(), "pw")
		done <- err
	}()
	h.release()
	if err := <-done; err != nil {
		t.Errorf("Hash once the slot is free = %v", err)
	}
	if ok, _, err := h.Verify(t.Context(), hash, "pw"); !ok || err != nil {
		t.Errorf("Verify once the slot is free = %v, %v", ok, err)
	}
	if len(h.sem) != 0 {
		t.Errorf("%d slots still taken", len(h.sem))
	}
}

// BenchmarkHash measures one hash with the default parameters.
func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		Hash("correct horse battery staple")
	}
}

// BenchmarkVerifyParallel measures logins on every core through a Hasher
// with the default concurrency (GOMAXPROCS); the bytes per operation show
// the memory each hash holds.
func BenchmarkVerifyParallel(b *testing.B) {
	h, err := NewHasher(HasherOptions{})
	if err != nil {
		b.Fatal(err)
	}
	hash := Hash("correct horse battery staple")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, err := h.Verify(context.Background(), hash, "correct horse battery staple"); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}

// BenchmarkVerifyStorm is a login storm: 32 goroutines per core verify at
// once through a Hasher with the default concurrency, which lets GOMAXPROCS
// of them hash at a time. peak-heap-MiB is the heap the runtime took from
// the system by the end (run it alone): GOMAXPROCS hashes of 19 MiB and
// the garbage collector's headroom (each hash allocates its memory anew),
// 125 to 150 MiB on 2 cores, where Concurrency 64 took 1.4 GiB.
func BenchmarkVerifyStorm(b *testing.B) {
	h, err := NewHasher(HasherOptions{})
	if err != nil {
		b.Fatal(err)
	}
	hash := Hash("correct horse battery staple")
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, err := h.Verify(context.Background(), hash, "correct horse battery staple"); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "peak-heap-MiB")
}
