package signin_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/signin"
)

// recorder keeps what it observes as "name result subject client attrs".
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) Observe(_ context.Context, e *observe.Event) {
	line := e.Name + " " + e.Result + " " + e.Subject + " " + e.Client
	for _, a := range e.Attrs {
		line += " " + a.String()
	}
	if e.Remote == "" {
		line += " NO-REMOTE"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, line)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

func observed(t *testing.T, throttle signin.ThrottleOptions) (*env, *recorder) {
	rec := &recorder{}
	return memoryEnv(t, func(o *signin.Options) { o.Observer = rec; o.Throttle = throttle }), rec
}

// A wrong password is login.failed with the name typed, never the
// password; the account's lockout and the address's throttle are
// login.locked_out.
func TestObservedLoginFailures(t *testing.T) {
	t.Parallel()
	e, rec := observed(t, signin.ThrottleOptions{MaxFailures: 6})
	b := e.browser()
	login := func(user, pass string) { b.login(b.authorize(newAuthReq("quiet", "openid")), user, pass) }
	for range 5 {
		login("alice", "wrong-password-1")
	}
	login("alice", alicePass)
	login("bob", "wrong-password-2")
	got := rec.take()
	want := []string{
		"login.failed invalid_credentials  quiet method=pwd username=alice",
		"login.locked_out locked_out  quiet method=pwd username=alice", // the 5th failure locks alice out, the 6th try finds her locked
		"login.locked_out throttled  quiet method=pwd username=bob",    // 6 failures from the address
	}
	if len(got) != 7 || got[0] != want[0] || got[3] != want[0] || got[4] != want[1] || got[5] != want[1] || got[6] != want[2] {
		t.Errorf("events:\n%s\nwant 4 × %s, then\n%s", strings.Join(got, "\n"), want[0], strings.Join(want[1:], "\n"))
	}
	for _, g := range got {
		if strings.Contains(g, "wrong-password") || strings.Contains(g, alicePass) {
			t.Errorf("a password in %q", g)
		}
	}
}

// A sign-in, a consent revoked on the account page and a sign-out there.
func TestObservedAccount(t *testing.T) {
	t.Parallel()
	e, rec := observed(t, signin.ThrottleOptions{})
	b := e.browser()
	p := b.passwordFor(newAuthReq("web", "openid profile"), "alice", alicePass)
	clientResponse(t, b.submit(onlyForm(t, p), "decision=allow", nil))
	p = b.get(signin.AccountPath)
	p = b.submit(formWith(t, p, "revoke-consent"), "action=revoke-consent", nil)
	got := strings.Join(rec.take(), "\n")
	for _, want := range []string{
		"login.succeeded success u-alice web amr=[pwd] idp=",
		"consent.given success u-alice web scopes=[openid profile] remembered=true",
		"consent.revoked success u-alice web had_consent=true grants_revoked=1",
	} {
		if !strings.Contains(got, want+"\n") && !strings.HasSuffix(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "NO-REMOTE") {
		t.Errorf("an event without the remote address:\n%s", got)
	}
}
