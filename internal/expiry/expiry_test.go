package expiry

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/internal/signing"
)

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func certKey(t *testing.T, cn string, notAfter time.Time, validation bool) *signing.Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: start.AddDate(-1, 0, 0), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	k := &signing.Key{ID: certs.Thumbprint(c), Algorithm: "ES256", Public: &priv.PublicKey, Certificate: c, Validation: validation}
	if !validation {
		k.Signer = priv
	}
	return k
}

// logBuf is a log; take is what was logged since the last take, one
// "LEVEL cn" per line.
type logBuf struct{ bytes.Buffer }

func (b *logBuf) take() []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		level, subject := field(l, "level="), field(l, "subject=")
		out = append(out, level+" "+strings.Trim(strings.TrimPrefix(subject, `"CN=`), `"`))
	}
	b.Reset()
	return out
}

func field(line, name string) string {
	_, v, ok := strings.Cut(line, name)
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, " ")
	return v
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	var buf logBuf
	soon := certKey(t, "soon", start.Add(10*Day), false)
	old := certKey(t, "old", start.Add(-Day), true)
	later := certKey(t, "later", start.Add(60*Day), false)
	bare := &signing.Key{ID: "dev", Algorithm: "ES256"}
	managed := certKey(t, "managed", start.Add(Day), false)
	managed.Lifecycle = &signing.Lifecycle{}
	w := &Watcher{
		Keys:   func() []*signing.Key { return []*signing.Key{soon, old, later, bare, managed} },
		Window: 30 * Day,
		Logger: slog.New(slog.NewTextHandler(&buf.Buffer, nil)),
	}
	// The schedule itself, by Check with the fake clock.
	check := func(at time.Time, want ...string) {
		t.Helper()
		w.Check(at)
		got := buf.take()
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("at %v: got %q; want %q", at.Sub(start), got, want)
		}
	}
	// Startup: the expiring one warned, the expired one an error.
	check(start, "WARN soon", "ERROR old")
	// Each hour: the error again, no warning.
	check(start.Add(Interval), "ERROR old")
	check(start.Add(23*Interval), "ERROR old")
	// A day after the last warning: warned again.
	check(start.Add(24*Interval), "WARN soon", "ERROR old")
	check(start.Add(25*Interval), "ERROR old")
	// Once soon has expired, it too is an error every hour.
	check(start.Add(10*Day+Interval), "ERROR soon", "ERROR old")
	// later comes within the window 30 days before it expires.
	check(start.Add(31*Day), "ERROR soon", "ERROR old", "WARN later")
}

// TestRun: after the startup Check, Run checks at each tick, as of the tick's time,
// and returns when its context ends.
func TestRun(t *testing.T) {
	t.Parallel()
	var buf logBuf
	soon := certKey(t, "soon", start.Add(2*Day), false)
	old := certKey(t, "old", start.Add(-Day), true)
	w := &Watcher{
		Keys:   func() []*signing.Key { return []*signing.Key{soon, old} },
		Window: 30 * Day,
		Logger: slog.New(slog.NewTextHandler(&buf.Buffer, nil)),
	}
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	w.Check(start)
	go func() { defer close(done); w.Run(ctx, ticks) }()
	for _, h := range []int{1, 2, 24} {
		ticks <- start.Add(time.Duration(h) * Interval)
	}
	// Run has taken the last tick; cancel lets it finish that check first.
	cancel()
	<-done
	got := strings.Join(buf.take(), "|")
	want := "WARN soon|ERROR old|ERROR old|ERROR old|WARN soon|ERROR old"
	if got != want {
		t.Errorf("got %s; want %s", got, want)
	}
}

// TestMessage: a warning line names what to do and carries kid,
// thumbprint, expiry and days left.
func TestMessage(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	k := certKey(t, "my-app-auth", start.Add(10*Day-time.Hour), false)
	w := &Watcher{Keys: func() []*signing.Key { return []*signing.Key{k} }, Window: 30 * Day,
		Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	w.Check(start)
	line := buf.String()
	for _, want := range []string{"level=WARN", "signet cert create", "kid=" + k.ID, "thumbprint=" + k.ID, `subject="CN=my-app-auth"`, "not_after=2026-03-11T11:00:00.000Z", "days_left=9", "role=signing"} {
		if !strings.Contains(line, want) {
			t.Errorf("%s\nlacks %s", line, want)
		}
	}
}

// TestSecrets: client secrets are watched on the certificates' schedule,
// named by id, description or position, never by their hash; a disabled
// client's and those that never expire are not.
func TestSecrets(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	hash := secret.Hash("a-long-enough-secret-for-tests")
	h, err := secret.Parse(hash)
	if err != nil {
		t.Fatal(err)
	}
	clients := []*client.Client{
		{ID: "orders", Secrets: []client.Secret{
			{Hash: h}, // never expires
			{Hash: h, Expires: start.Add(5 * Day)},
			{ID: "s3", Description: "CI", Hash: h, Expires: start.Add(-Day)},
			{Description: "partner 2026", Hash: h, Expires: start.Add(90 * Day)},
		}},
		{ID: "old", Disabled: true, Secrets: []client.Secret{{Hash: h, Expires: start.Add(-Day)}}},
	}
	w := &Watcher{Keys: func() []*signing.Key { return nil }, Clients: func() []*client.Client { return clients },
		Window: 30 * Day, Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	check := func(at time.Time, want ...string) {
		t.Helper()
		buf.Reset()
		w.Check(at)
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if l == "" {
				continue
			}
			if strings.Contains(l, hash) || strings.Contains(l, "a-long-enough") {
				t.Errorf("the log holds the secret or its hash: %s", l)
			}
			got = append(got, field(l, "level=")+" "+field(l, "client_id=")+" "+strings.Trim(field(l, "secret="), `"`)+" "+field(l, "days_left="))
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("at %v: got %q; want %q", at.Sub(start), got, want)
		}
	}
	check(start, "WARN orders #2 5", "ERROR orders s3 ")
	check(start.Add(Interval), "ERROR orders s3 ")
	check(start.Add(Day), "WARN orders #2 4", "ERROR orders s3 ")
	check(start.Add(61*Day), "ERROR orders #2 ", "ERROR orders s3 ", "WARN orders partner 29")
	buf.Reset()
	w.Check(start.Add(62 * Day))
	if line := buf.String(); !strings.Contains(line, "signet client secret remove") || !strings.Contains(line, "expires=2026-03-06T12:00:00.000Z") {
		t.Errorf("an expired secret's line lacks what to do, or its expiry:\n%s", line)
	}
}
