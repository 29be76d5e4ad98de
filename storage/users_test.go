package storage_test

import (
	"testing"

	"github.com/signetid/signet/storage"
)

// TestNormalizeUsername checks compatibility caseless matching: case, the
// width of letters, ligatures and compatibility forms, and how an accent
// is typed do not make two usernames; anything else does.
func TestNormalizeUsername(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ a, b string }{
		{"Alice", "alice"},
		{"ALICE", "alice"},
		{"ＡＬＩＣＥ", "alice"},              // full-width
		{"Straße", "strasse"},           // full case folding
		{"ﬁnn", "FINN"},                 // ligature
		{"alice²", "alice2"},            // superscript
		{"José", "jose\u0301"},          // precomposed or combining
		{"JOSE\u0301", "josé"},          // upper case with a combining accent
		{"\u212Bngström", "ångström"},   // the Ångström sign
		{"ΣΊΣΥΦΟΣ", "σίσυφος"},          // final sigma folds as sigma
		{"ǅemal", "džemal"},             // title-case digraph
		{"\u0345", "ι"},                 // ypogegrammeni folds after NFKD
		{"ℌello", "hello"},              // letterlike symbol
		{"bob\u00A0smith", "bob smith"}, // no-break space
	} {
		na, nb := storage.NormalizeUsername(tc.a), storage.NormalizeUsername(tc.b)
		if na != nb {
			t.Errorf("NormalizeUsername(%q) = %q, NormalizeUsername(%q) = %q; want them equal", tc.a, na, tc.b, nb)
		}
		if again := storage.NormalizeUsername(na); again != na {
			t.Errorf("NormalizeUsername(%q) = %q, not stable: again %q", tc.a, na, again)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"alice", "alice "},
		{"alice", "alicia"},
		{"jose", "josé"},
		{"alice", "аlice"}, // Cyrillic а: a confusable, not a compatibility form
		{"ı", "i"},         // dotless i: Unicode's default folding keeps it
	} {
		if na, nb := storage.NormalizeUsername(tc.a), storage.NormalizeUsername(tc.b); na == nb {
			t.Errorf("NormalizeUsername(%q) = NormalizeUsername(%q) = %q; want them different", tc.a, tc.b, na)
		}
	}
}

// FuzzNormalizeUsername checks that the normal form is its own normal form,
// so that a stored key finds itself.
func FuzzNormalizeUsername(f *testing.F) {
	for _, s := range []string{"Alice", "Straße", "ﬁnn", "\u0345", "ǅ", "ΣΊΣΥΦΟΣ", "\u1E9E"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := storage.NormalizeUsername(s)
		if again := storage.NormalizeUsername(n); again != n {
			t.Fatalf("NormalizeUsername(%q) = %q, but NormalizeUsername(%q) = %q", s, n, n, again)
		}
	})
}
