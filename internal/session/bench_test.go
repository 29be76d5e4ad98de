package session_test

import (
	"testing"

	"github.com/signetid/signet/internal/session"
)

// BenchmarkCurrent is the cost a page pays to find its session in the
// memory store: the cookie read, the hash, the read, no slide.
func BenchmarkCurrent(b *testing.B) {
	m, _ := memoryManager(b, session.Options{})
	br, _ := signedIn(b, m, "alice")
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
	m, _ := memoryManager(b, session.Options{})
	_, s := signedIn(b, m, "alice")
	token := s.Token("consent")
	b.ReportAllocs()
	for b.Loop() {
		if !s.CheckToken("consent", token) {
			b.Fatal("CheckToken failed")
		}
	}
}
