package server

import (
	"fmt"
	"math"
	"net/http/httptest"
	"sync"
	"testing"
)

// The issuer caches hold maxCachedIssuers hosts at most, however many
// hosts are seen and however many times, also at once: the count of
// places taken stops at the bound, so that it cannot wrap and let the
// caches grow again.
func TestIssuerCacheBound(t *testing.T) {
	t.Parallel()
	s := New(Options{TrustProxy: true})
	miss := func(i int) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = fmt.Sprintf("host-%d.example", i)
		want := "http://" + r.Host
		if i%2 == 1 {
			r.Header.Set("X-Forwarded-Proto", "https")
			want = "https://" + r.Host
		}
		for range 2 {
			if got, _ := s.issuer(r); got != want {
				t.Errorf("issuer of %s: %q, want %q", r.Host, got, want)
			}
		}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				miss(w*1000 + i)
			}
		})
	}
	wg.Wait()
	if n := s.issuersCached.Load(); n != maxCachedIssuers {
		t.Errorf("after 4000 hosts the count is %d, want %d: it goes on past the bound", n, maxCachedIssuers)
	}
	if n := cached(s); n != maxCachedIssuers {
		t.Errorf("%d issuers cached, want %d", n, maxCachedIssuers)
	}
	// Whatever the count says (2^31 - 1 misses would have left an
	// unbounded counter here, one short of wrapping), a full cache takes
	// no more hosts.
	s.issuersCached.Store(math.MaxInt32)
	for i := range 10 {
		miss(10000 + i)
	}
	if n := cached(s); n != maxCachedIssuers {
		t.Errorf("%d issuers cached once the count is at its largest, want %d", n, maxCachedIssuers)
	}
}

func cached(s *Server) int {
	n := 0
	for _, m := range []*sync.Map{&s.issuersHTTP, &s.issuersHTTPS} {
		m.Range(func(any, any) bool { n++; return true })
	}
	return n
}
