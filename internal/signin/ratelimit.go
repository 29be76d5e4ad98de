package signin

import (
	"net/http"
	"time"

	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/ratelimit"
	"github.com/signetid/signet/storage"
)

// RateLimits are token buckets on the login form's POSTs, apart from the
// throttle of failed ones: PerIP on every password, second-step and
// passkey POST per client address, PerUser on password and second-step
// POSTs per username (as storage.NormalizeUsername compares them; the
// second step's by its user). A zero Rate is no limit.
type RateLimits struct {
	PerIP, PerUser ratelimit.Rate
}

// loginRates are the buckets of Options.RateLimits.
type loginRates struct {
	perIP, perUser *ratelimit.Buckets
}

func newLoginRates(o RateLimits, now func() time.Time) loginRates {
	var l loginRates
	if !o.PerIP.Off() {
		l.perIP = ratelimit.NewBuckets(o.PerIP, 0, now)
	}
	if !o.PerUser.Off() {
		l.perUser = ratelimit.NewBuckets(o.PerUser, 0, now)
	}
	return l
}

// take takes a token for a login POST from addr and, when not "", user;
// it returns when to try again, the zero time when the POST may go on.
// A refusal sets Retry-After on w. A POST refused for its address does
// not spend the user's token.
func (l loginRates) take(w http.ResponseWriter, addr, user string, now time.Time) time.Time {
	wait := l.perIP.Take(addr)
	if wait == 0 && user != "" {
		// As the users store compares usernames: "ｂｏｂ" and "BOB" sign
		// in as bob, so they must not get buckets of their own.
		wait = l.perUser.Take(storage.NormalizeUsername(user))
	}
	if wait == 0 {
		return time.Time{}
	}
	w.Header().Set("Retry-After", oauth.RetryAfterSeconds(wait))
	return now.Add(wait)
}

// tooFast is what the login and second-step pages say to a POST over a
// rate limit.
const tooFast = "Too many sign-in attempts. Wait a moment, then try again."
