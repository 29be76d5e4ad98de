package upstream_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/upstream"
)

// FuzzFinish: any callback query, with STATE standing for this browser's
// state, against a real upstream: never a panic, never a sign-in (no code
// the fuzzer makes is one the upstream issued), every error of a class.
func FuzzFinish(f *testing.F) {
	for _, s := range []string{
		"code=abc&state=STATE", "state=STATE&error=access_denied&error_description=nope",
		"state=STATE&iss=ISSUER&code=x", "state=other&code=x", "state=STATE&state=STATE",
		"state=STATE&code=" + strings.Repeat("c", 5000), "", "%",
	} {
		f.Add(s)
	}
	o := newOP(f, "")
	p := newProvider(f, o, upstream.Timeout(2*time.Second))
	_, kept, err := p.Start(f.Context(), upstream.StartOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		raw = strings.ReplaceAll(raw, "STATE", kept.State)
		raw = strings.ReplaceAll(raw, "ISSUER", url.QueryEscape(o.issuer))
		q, _ := url.ParseQuery(raw)
		start := time.Now()
		res, err := p.Finish(t.Context(), kept, q)
		if took := time.Since(start); took > time.Second {
			t.Fatalf("took %v: %v", took, err)
		}
		if err == nil {
			t.Fatalf("signed in %+v", res.Identity)
		}
		var ue *upstream.UpstreamError
		if !errors.As(err, &ue) && !errors.Is(err, upstream.ErrState) && !errors.Is(err, upstream.ErrInvalid) && !errors.Is(err, upstream.ErrUnavailable) {
			t.Fatalf("error of no class: %v", err)
		}
	})
}
