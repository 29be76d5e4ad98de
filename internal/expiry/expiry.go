package expiry

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/signing"
)

// Interval is how often a Watcher looks: expired certificates are logged
// at every look, expiring ones once a Day.
const (
	Interval = time.Hour
	Day      = 24 * time.Hour
)

// States of a key's certificate, by Of.
const (
	Expiring = "expiring" // within the window
	Expired  = "expired"
)

// Of says whether k's certificate is Expired or Expiring within window at
// now, and how long it has left; "" for a certificate further from its
// end, and for keys without a certificate or with a Lifecycle (managed
// keys, which rotate themselves).
func Of(k *signing.Key, now time.Time, window time.Duration) (state string, left time.Duration) {
	left, ok := Left(k, now)
	if !ok {
		return "", 0
	}
	switch {
	case left <= 0:
		return Expired, left
	case left <= window:
		return Expiring, left
	}
	return "", left
}

// Left is how long k's certificate has left at now (negative once it has
// expired); ok is false for keys that Of never flags (no certificate, or a
// Lifecycle).
func Left(k *signing.Key, now time.Time) (left time.Duration, ok bool) {
	if k.Certificate == nil || k.Lifecycle != nil {
		return 0, false
	}
	return k.Certificate.NotAfter.Sub(now), true
}

// Role is "signing" for a key that can sign, "validation" for one that is
// only published.
func Role(k *signing.Key) string {
	if k.Validation || k.Signer == nil {
		return "validation"
	}
	return "signing"
}

// SecretOf says whether a client secret that expires at expires (zero:
// never) is Expired or Expiring within window at now, and how long it has
// left; "" for one further from its end or that never expires.
func SecretOf(expires, now time.Time, window time.Duration) (state string, left time.Duration) {
	if expires.IsZero() {
		return "", 0
	}
	switch left = expires.Sub(now); {
	case left <= 0:
		return Expired, left
	case left <= window:
		return Expiring, left
	}
	return "", left
}

// SecretName names the secret of index i (from 0) of a client for people,
// without its value or hash: its ID (a database secret's), else its
// description, else its position among the client's secrets ("#2"), as
// signet client show lists them.
func SecretName(s client.Secret, i int) string {
	switch {
	case s.ID != "":
		return s.ID
	case s.Description != "":
		return s.Description
	}
	return "#" + strconv.Itoa(i+1)
}

// Watcher logs the certificates of Keys, and the secrets of Clients, that
// expire within Window.
type Watcher struct {
	// Keys are the configured keys, looked at each time (a reload may
	// have replaced them).
	Keys func() []*signing.Key
	// Clients are the clients now, the configuration file's and the
	// database's (which change while the server runs); nil for none.
	// Disabled clients are not looked at: their secrets authenticate
	// nothing.
	Clients func() []*client.Client
	Window  time.Duration
	Logger  *slog.Logger

	lastWarn time.Time
}

// Check logs what is expired, and what expires within Window unless a
// warning was logged less than a Day before now. The first Check warns.
func (w *Watcher) Check(now time.Time) {
	warn := w.lastWarn.IsZero() || now.Sub(w.lastWarn) >= Day
	if warn {
		w.lastWarn = now
	}
	for _, k := range w.Keys() {
		state, left := Of(k, now, w.Window)
		if state == "" {
			continue
		}
		c := k.Certificate
		role := Role(k)
		attrs := []any{slog.String("kid", k.ID), slog.String("role", role), slog.String("subject", certs.SubjectString(c)),
			slog.String("thumbprint", certs.Thumbprint(c)), slog.Time("not_after", c.NotAfter.UTC())}
		switch {
		case state == Expired:
			w.Logger.Error("a "+role+" certificate has expired and is still configured: replace it (signet cert create, then see Signing keys in the README for the rotation) and remove it from the configuration", attrs...)
		case warn:
			days := int(left / Day) // whole days, as signet config check says
			w.Logger.Warn("a "+role+" certificate expires soon: make its successor now (signet cert create) and rotate it in (see Signing keys in the README)", append(attrs, slog.Int("days_left", days))...)
		}
	}
	if w.Clients != nil {
		w.checkSecrets(now, warn)
	}
}

// checkSecrets logs the client secrets that have expired, and those that
// expire within Window when warn is set: by the client's id and the
// secret's name, never its value or hash.
func (w *Watcher) checkSecrets(now time.Time, warn bool) {
	for _, c := range w.Clients() {
		if c.Disabled {
			continue
		}
		for i, s := range c.Secrets {
			state, left := SecretOf(s.Expires, now, w.Window)
			if state == "" || state == Expiring && !warn {
				continue
			}
			attrs := []any{logattr.String("client_id", c.ID), logattr.String("secret", SecretName(s, i)), slog.Time("expires", s.Expires.UTC())}
			if state == Expired {
				w.Logger.Error("a client secret has expired and is still configured: the client cannot authenticate with it; remove it (signet client secret remove, or from the configuration's secrets)", attrs...)
				continue
			}
			w.Logger.Warn("a client secret expires soon: add its successor (signet client secret add, or the configuration's secrets), give it to the client, then remove this one", append(attrs, slog.Int("days_left", int(left/Day)))...)
		}
	}
}

// Run checks at every tick, as of the tick's time, until ctx ends; the
// caller makes the first Check at startup. ticks is
// time.NewTicker(Interval).C in production; a test sends the times it
// wants.
func (w *Watcher) Run(ctx context.Context, ticks <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-ticks:
			w.Check(t)
		}
	}
}
