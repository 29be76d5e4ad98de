package jwtauth

import (
	"context"
	"crypto/sha256"
	"time"
)

// Timing exposes the unexported refresh timings to the tests, so that they
// can shorten them for one Validator without any package-level state.
type Timing struct {
	MinMaxAge, MaxMaxAge, DefaultMaxAge time.Duration
	BackoffMin, BackoffMax              time.Duration
	FetchTimeout                        time.Duration
}

// DefaultTiming is the production timing.
func DefaultTiming() Timing {
	t := defaultTuning()
	return Timing{t.minMaxAge, t.maxMaxAge, t.defaultMaxAge, t.backoffMin, t.backoffMaxWarm, t.fetchTimeout}
}

// NewWithTiming is New with other timings.
func NewWithTiming(ctx context.Context, opts Options, tm Timing) (*Validator, error) {
	return newValidator(ctx, opts, tuning{
		minMaxAge: tm.MinMaxAge, maxMaxAge: tm.MaxMaxAge, defaultMaxAge: tm.DefaultMaxAge,
		backoffMin: tm.BackoffMin, backoffMaxCold: tm.BackoffMax, backoffMaxWarm: tm.BackoffMax,
		fetchTimeout: tm.FetchTimeout,
	})
}

// RefreshIn is the time until the next scheduled key fetch.
func (v *Validator) RefreshIn() time.Duration {
	v.mu.Lock()
	defer v.mu.Unlock()
	return time.Until(v.refreshAt)
}

// HeaderSafe exposes the error_description filter.
var HeaderSafe = headerSafe

// IntrospectionCacheLen is the number of cached introspection answers.
func (v *Validator) IntrospectionCacheLen() int {
	v.intro.mu.Lock()
	defer v.intro.mu.Unlock()
	return len(v.intro.entries)
}

// IntrospectionWaiters is the number of requests that joined the
// introspection of token in flight (0 when there is none).
func (v *Validator) IntrospectionWaiters(token string) int {
	v.intro.mu.Lock()
	defer v.intro.mu.Unlock()
	if c := v.intro.inflight[sha256.Sum256([]byte(token))]; c != nil {
		return c.waiters
	}
	return 0
}

// ParseIntrospection exposes the introspection answer's parser.
func ParseIntrospection(body []byte) (*Claims, *ValidationError, error) {
	return parseIntrospection(body)
}

// IsJWT and CheckReferenceToken expose how a token is told apart and
// checked before introspection.
var IsJWT = isJWT

func CheckReferenceToken(token string) error {
	if err := checkReferenceToken(token, defaultMaxTokenSize); err != nil {
		return err
	}
	return nil
}
