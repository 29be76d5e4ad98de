package signin

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// The default throttle of failed logins per client address: at most
// DefaultIPFailures failures within DefaultIPWindow from one address (an
// IPv4 address, or an IPv6 /64, which one subscriber usually has whole),
// after which every login from it is refused until the window ends.
// Higher than the per-user limit (internal/users: 5 in 15 minutes),
// because many people may share one address (an office, a carrier's NAT);
// it stops one machine from trying a password against many usernames,
// which the per-user lockout does not.
const (
	DefaultIPFailures = 20
	DefaultIPWindow   = 15 * time.Minute
	// DefaultIPAddresses bounds the addresses remembered: about 100 bytes
	// each, so about 1 MiB at most.
	DefaultIPAddresses = 10000
)

// ThrottleOptions are the limits of failed logins per client address; the
// zero value is the defaults.
type ThrottleOptions struct {
	// MaxFailures within Window block the address until the window ends.
	MaxFailures int
	Window      time.Duration
	// MaxAddresses bounds the addresses remembered: when full, expired
	// entries are dropped, then the oldest one.
	MaxAddresses int
}

// throttle counts failed logins per address in memory: per instance, so
// that n instances allow n times as many; the per-user lockout, which is
// stored, is the one that holds across instances.
type throttle struct {
	max    int
	window time.Duration
	cap    int

	mu sync.Mutex
	m  map[string]*ipWindow
}

type ipWindow struct {
	start    time.Time
	failures int
}

func newThrottle(o ThrottleOptions) (*throttle, error) {
	if o.MaxFailures < 0 || o.Window < 0 || o.MaxAddresses < 0 {
		return nil, errors.New("signin: throttle options must not be negative")
	}
	t := &throttle{max: o.MaxFailures, window: o.Window, cap: o.MaxAddresses, m: map[string]*ipWindow{}}
	if t.max == 0 {
		t.max = DefaultIPFailures
	}
	if t.window == 0 {
		t.window = DefaultIPWindow
	}
	if t.cap == 0 {
		t.cap = DefaultIPAddresses
	}
	return t, nil
}

// blocked returns when addr may try again, or the zero time if it may now.
func (t *throttle) blocked(addr string, now time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.m[addr]
	if w == nil || w.failures < t.max {
		return time.Time{}
	}
	end := w.start.Add(t.window)
	if !now.Before(end) {
		delete(t.m, addr)
		return time.Time{}
	}
	return end
}

// fail counts a failed login from addr at now.
func (t *throttle) fail(addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.m[addr]
	if w != nil && !now.Before(w.start.Add(t.window)) {
		w = nil
	}
	if w == nil {
		if _, ok := t.m[addr]; !ok && len(t.m) >= t.cap {
			t.evict(now)
		}
		w = &ipWindow{start: now}
		t.m[addr] = w
	}
	w.failures++
}

// evict makes room: drops the windows that ended, or else the oldest.
func (t *throttle) evict(now time.Time) {
	var oldest string
	var oldestStart time.Time
	for k, w := range t.m {
		if !now.Before(w.start.Add(t.window)) {
			delete(t.m, k)
			continue
		}
		if oldest == "" || w.start.Before(oldestStart) {
			oldest, oldestStart = k, w.start
		}
	}
	if len(t.m) >= t.cap && oldest != "" {
		delete(t.m, oldest)
	}
}

// remoteAddr is the host of r.RemoteAddr.
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// addrKey is the throttle's key of an address: an IPv4 address as it is,
// an IPv6 one's /64, anything unparsable as it is.
func addrKey(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return s
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
