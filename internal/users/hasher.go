package users

import (
	"context"
	"fmt"
	"runtime"
)

// HasherOptions configure a Hasher; the zero value is the default.
type HasherOptions struct {
	// Params are the parameters of new hashes, and those below which a
	// stored hash needs a rehash; DefaultParams if zero. They must be at
	// least DefaultParams (OWASP's minimum) and within the bounds of a
	// stored hash (MaxMemory, MaxTime, MaxParallelism).
	Params Params
	// Concurrency is how many hashes are computed at once, at most;
	// GOMAXPROCS if zero. Memory is bounded by Concurrency × the memory of
	// the hashes (Params.Memory for new and current hashes, MaxMemory at
	// worst for a stored hash made with other parameters).
	Concurrency int
	// verified, for tests, is called after each password verification.
	verified func()
}

// Hasher hashes and verifies passwords, computing at most Concurrency
// hashes at once, so that a storm of logins waits in line instead of
// exhausting memory (each hash holds Params.Memory until done).
// It is safe for concurrent use.
type Hasher struct {
	params   Params
	sem      chan struct{}
	verified func()
}

// NewHasher returns a Hasher, or an error for parameters below
// DefaultParams or outside the bounds, or a negative concurrency.
func NewHasher(opts HasherOptions) (*Hasher, error) {
	p := opts.Params
	if p == (Params{}) {
		p = DefaultParams
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("password hash parameters: %v", err)
	}
	if p.weakerThan(DefaultParams) || p.Parallelism < DefaultParams.Parallelism {
		return nil, fmt.Errorf("password hash parameters m=%d,t=%d,p=%d are below the minimum m=%d,t=%d,p=%d (OWASP's)",
			p.Memory, p.Time, p.Parallelism, DefaultParams.Memory, DefaultParams.Time, DefaultParams.Parallelism)
	}
	n := opts.Concurrency
	if n < 0 {
		return nil, fmt.Errorf("password hash concurrency %d is negative", n)
	}
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return &Hasher{params: p, sem: make(chan struct{}, n), verified: opts.verified}, nil
}

// Params returns the parameters of new hashes.
func (h *Hasher) Params() Params { return h.params }

// acquire waits for a free slot, or for ctx to be done.
func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait to hash a password: %w", context.Cause(ctx))
	}
}

func (h *Hasher) release() { <-h.sem }

// Hash returns the hash of password, in the PHC string format, when a slot
// is free; an error only if ctx is done first.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return newHash(h.params, password).String(), nil
}

// Verify reports whether password matches hash (a PHC string), and whether
// hash was made with parameters weaker than the Hasher's (so that the
// caller stores a new hash after a successful login). The comparison is in
// constant time. The error is a malformed hash (ErrMalformedHash) or ctx
// done while waiting for a slot, never a wrong password.
func (h *Hasher) Verify(ctx context.Context, hash, password string) (ok, needsRehash bool, err error) {
	parsed, err := Parse(hash)
	if err != nil {
		return false, false, err
	}
	return h.verify(ctx, parsed, password)
}

func (h *Hasher) verify(ctx context.Context, parsed Hashed, password string) (ok, needsRehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	ok = parsed.Verify(password)
	h.release()
	if h.verified != nil {
		h.verified()
	}
	return ok, parsed.Params.weakerThan(h.params), nil
}
