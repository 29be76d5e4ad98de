package session_test

import (
	"testing"

	"github.com/signetid/signet/internal/session"
)

// BenchmarkCurrent is the cost a page pays to find its session in the
// memory store: the cookie read, the hash, the read, no slide.
func BenchmarkCurrent(b *testing.B) {
	clk := newClock()
	m, err := session.New(memoryStore(clk), session.Options{Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	br := newBrowser()
	signIn(b, m, br, "alice")
	r := br.request()
	b.ReportAllocs()
	for b.Loop() {
		if s, err := m.Current(b.Context(), r); s == nil || err != nil {
			b.Fatalf("Current = %v, %v", s, err)
		}
	}
}

// BenchmarkCheckToken is the cost of checking a form's token.
func BenchmarkCheckToken(b *testing.B) {
	clk := newClock()
	m, err := session.New(memoryStore(clk), session.Options{Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	br := newBrowser()
	s := signIn(b, m, br, "alice")
	token := s.Token("consent")
	b.ReportAllocs()
	for b.Loop() {
		if !s.CheckToken("consent", token) {
			b.Fatal("CheckToken failed")
		}
	}
}
