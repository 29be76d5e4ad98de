package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// The records of signing in with more (issue 16): links to external
// identity providers, passkeys, external providers, and a user's second
// factor.

// userLinkTests, passkeyTests and providerTests are the groups of Run;
// secondFactorTests join the User group.
var (
	userLinkTests = []test{
		{"CreateFind", testLinkCreateFind},
		{"Errors", testLinkErrors},
		{"Invalid", testLinkInvalid},
		{"List", testLinkList},
		{"Update", testLinkUpdate},
		{"NotAliased", testLinkNotAliased},
	}
	passkeyTests = []test{
		{"CreateGet", testPasskeyCreateGet},
		{"Errors", testPasskeyErrors},
		{"Invalid", testPasskeyInvalid},
		{"List", testPasskeyList},
		{"Update", testPasskeyUpdate},
		{"NotAliased", testPasskeyNotAliased},
	}
	providerTests = []test{
		{"CreateGet", testProviderCreateGet},
		{"Errors", testProviderErrors},
		{"Invalid", testProviderInvalid},
		{"List", testProviderList},
		{"Update", testProviderUpdate},
		{"ConfigVersion", testProviderConfigVersion},
	}
	secondFactorTests = []test{
		{"SecondFactorUpdate", testSecondFactorUpdate},
		{"ConcurrentTOTPStep", testConcurrentTOTPStep},
		{"DeleteRemovesLinksAndPasskeys", testDeleteUserCascades},
		{"RunTimeWritesKeepConfigVersion", testSignInWritesKeepConfigVersion},
	}
)

// mustUser stores a sample user of id, the owner of links and passkeys.
func mustUser(t *testing.T, s storage.Store, id string) {
	t.Helper()
	userKind.mustCreate(t, s, sampleUser(id))
}

func sampleLink(issuer, subject, userID string) storage.UserLink {
	return storage.UserLink{
		Issuer:   issuer,
		Subject:  subject,
		Provider: "Provider of " + issuer,
		UserID:   userID,
		Tokens:   append([]byte(issuer+subject+":"), allBytes...),
		LastUsed: base.Add(-time.Hour),
	}
}

// wantLink is l as read back, Created cleared.
func wantLink(l storage.UserLink) storage.UserLink {
	l.Tokens = orNil(bytes.Clone(l.Tokens))
	l.LastUsed = instant(l.LastUsed)
	l.Created = time.Time{}
	return l
}

func mustCreateLink(t *testing.T, s storage.Store, l storage.UserLink) {
	t.Helper()
	if err := s.CreateUserLink(t.Context(), l); err != nil {
		t.Fatalf("CreateUserLink(%q, %q): %v", l.Issuer, l.Subject, err)
	}
}

// checkLink fails t unless the link of (want.Issuer, want.Subject) is want,
// and returns it as stored.
func checkLink(t *testing.T, s storage.Store, want storage.UserLink) storage.UserLink {
	t.Helper()
	got, err := s.FindUserLink(t.Context(), want.Issuer, want.Subject)
	if err != nil {
		t.Fatalf("FindUserLink(%q, %q): %v", want.Issuer, want.Subject, err)
	}
	if g, w := wantLink(got), wantLink(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("FindUserLink(%q, %q) =\n\t%+v\nwant\n\t%+v", want.Issuer, want.Subject, g, w)
	}
	return got
}

func checkNoLink(t *testing.T, s storage.Store, issuer, subject string) {
	t.Helper()
	if _, err := s.FindUserLink(t.Context(), issuer, subject); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("FindUserLink(%q, %q) = %v, want ErrNotFound", issuer, subject, err)
	}
}

func testLinkCreateFind(t *testing.T, s storage.Store) {
	mustUser(t, s, "u")
	before := time.Now()
	l := sampleLink("https://accounts.google.com", "1234", "u")
	l.Created = base.Add(-100 * 24 * time.Hour) // the store's to set
	mustCreateLink(t, s, l)
	after := time.Now()
	got := checkLink(t, s, l)
	within(t, "Created", got.Created, before, after)
	checkUTC(t, "Created", got.Created, got.Created)
	// The pair is the key, not the concatenation; case and spaces count.
	for _, l := range []storage.UserLink{
		sampleLink("https://accounts.google.com", "12", "u"),
		sampleLink("https://accounts.google.com12", "34", "u"),
		sampleLink("https://Accounts.google.com", "1234", "u"),
		sampleLink("https://accounts.google.com", "1234 ", "u"),
		{Issuer: "https://github.com", Subject: "1", Provider: "github", UserID: "u"}, // no tokens, never used
	} {
		mustCreateLink(t, s, l)
		checkLink(t, s, l)
	}
	checkLink(t, s, l)
}

func testLinkErrors(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustUser(t, s, "u")
	mustUser(t, s, "v")
	l := sampleLink("https://idp.example", "sub", "u")
	mustCreateLink(t, s, l)
	// A pair is one person: taken, even for another user.
	for _, taken := range []storage.UserLink{sampleLink("https://idp.example", "sub", "u"), sampleLink("https://idp.example", "sub", "v")} {
		if err := s.CreateUserLink(ctx, taken); !errors.Is(err, storage.ErrAlreadyExists) {
			t.Errorf("CreateUserLink of a taken pair for %q = %v, want ErrAlreadyExists", taken.UserID, err)
		}
	}
	checkLink(t, s, l)
	// A missing user: ErrNotFound naming it, nothing stored.
	err := s.CreateUserLink(ctx, sampleLink("https://idp.example", "other", "ghost"))
	if !errors.Is(err, storage.ErrNotFound) || !strings.Contains(err.Error(), `"ghost"`) {
		t.Errorf("CreateUserLink for a missing user = %v, want ErrNotFound naming the user \"ghost\"", err)
	}
	checkNoLink(t, s, "https://idp.example", "other")
	checkNoLink(t, s, "https://idp.example", "missing")
	checkNoLink(t, s, "https://other.example", "sub")
	if err := s.UpdateUserLink(ctx, "https://idp.example", "missing", func(*storage.UserLink) error {
		t.Error("update function called for a missing link")
		return nil
	}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("UpdateUserLink of a missing link = %v, want ErrNotFound", err)
	}
	if err := s.DeleteUserLink(ctx, "https://idp.example", "sub"); err != nil {
		t.Fatalf("DeleteUserLink: %v", err)
	}
	checkNoLink(t, s, "https://idp.example", "sub")
	if err := s.DeleteUserLink(ctx, "https://idp.example", "sub"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("second DeleteUserLink = %v, want ErrNotFound", err)
	}
	// The pair is free again, for another user.
	mustCreateLink(t, s, sampleLink("https://idp.example", "sub", "v"))
	checkLink(t, s, sampleLink("https://idp.example", "sub", "v"))
}

func testLinkInvalid(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustUser(t, s, "u")
	valid := sampleLink("https://idp.example", "sub", "u")
	mustCreateLink(t, s, valid)
	for _, tt := range []invalid[storage.UserLink]{
		{"empty issuer", func(l *storage.UserLink) { l.Issuer = "" }, "link issuer is empty"},
		{"empty subject", func(l *storage.UserLink) { l.Subject = "" }, "link subject is empty"},
		{"nul in subject", func(l *storage.UserLink) { l.Subject = "a\x00b" }, "link subject contains a NUL byte"},
		{"long issuer", func(l *storage.UserLink) { l.Issuer = strings.Repeat("i", storage.MaxKeyLen+1) }, "link issuer is 513 bytes"},
		{"empty provider", func(l *storage.UserLink) { l.Provider = "" }, "link provider is empty"},
		{"invalid provider", func(l *storage.UserLink) { l.Provider = "\xff" }, "link provider is not valid UTF-8"},
		{"empty user", func(l *storage.UserLink) { l.UserID = "" }, "link user id is empty"},
		{"long tokens", func(l *storage.UserLink) { l.Tokens = make([]byte, storage.MaxDataLen+1) }, "link tokens are 1048577 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := sampleLink("https://idp.example", "new", "u")
			tt.change(&l)
			wantInvalid(t, "create", s.CreateUserLink(ctx, l), tt.msg)
			if l.UserID == "" || l.Issuer != valid.Issuer || l.Subject != "new" {
				return // an update cannot get there: the key or user changes first
			}
			wantInvalid(t, "update", s.UpdateUserLink(ctx, valid.Issuer, valid.Subject, func(w *storage.UserLink) error {
				l.Subject = w.Subject
				*w = l
				return nil
			}), tt.msg)
		})
	}
	for _, key := range [][2]string{{"", "sub"}, {"https://idp.example", ""}, {"a\x00b", "sub"}, {"https://idp.example", "\xff"}} {
		_, err := s.FindUserLink(ctx, key[0], key[1])
		wantInvalid(t, fmt.Sprintf("FindUserLink(%q, %q)", key[0], key[1]), err, "link")
		wantInvalid(t, "UpdateUserLink", s.UpdateUserLink(ctx, key[0], key[1], func(*storage.UserLink) error { return nil }), "link")
		wantInvalid(t, "DeleteUserLink", s.DeleteUserLink(ctx, key[0], key[1]), "link")
	}
	for _, user := range []string{"", "a\x00"} {
		_, err := s.ListUserLinks(ctx, user)
		wantInvalid(t, fmt.Sprintf("ListUserLinks(%q)", user), err, "link user id")
	}
	if l, err := s.ListUserLinks(ctx, "u"); err != nil || len(l) != 1 {
		t.Errorf("after refused writes the user has %d links, %v; want 1", len(l), err)
	}
	checkLink(t, s, valid)
}

// waitNextMilli returns once the clock has passed the millisecond of t, so
// that a record created next has a later Created.
func waitNextMilli(t *testing.T, after time.Time) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().UnixMilli() <= after.UnixMilli(); {
		if time.Now().After(deadline) {
			t.Fatal("the clock did not move for 5 seconds")
		}
		time.Sleep(time.Millisecond)
	}
}

// testLinkList checks the order: oldest first, then by issuer and subject
// in byte order.
func testLinkList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustUser(t, s, "u")
	mustUser(t, s, "v")
	if l, err := s.ListUserLinks(ctx, "u"); err != nil || len(l) != 0 {
		t.Fatalf("ListUserLinks of a user without links = %d, %v; want none", len(l), err)
	}
	if l, err := s.ListUserLinks(ctx, "ghost"); err != nil || len(l) != 0 {
		t.Fatalf("ListUserLinks of an unknown user = %d, %v; want none, nil", len(l), err)
	}
	mustCreateLink(t, s, sampleLink("z", "1", "u")) // oldest
	waitNextMilli(t, time.Now())
	// In byte order, so that the order holds whether they share a
	// millisecond or not.
	for _, p := range [][2]string{{"B", "2"}, {"a", "1"}, {"a", "1 "}, {"a", "2"}, {"b", "0"}} {
		mustCreateLink(t, s, sampleLink(p[0], p[1], "u"))
	}
	mustCreateLink(t, s, sampleLink("a", "0", "v"))
	got, err := s.ListUserLinks(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i, l := range got {
		keys = append(keys, l.Issuer+"/"+l.Subject)
		if g, w := wantLink(l), wantLink(sampleLink(l.Issuer, l.Subject, "u")); !reflect.DeepEqual(g, w) {
			t.Errorf("list[%d] =\n\t%+v\nwant\n\t%+v", i, g, w)
		}
	}
	if want := []string{"z/1", "B/2", "a/1", "a/1 ", "a/2", "b/0"}; !slices.Equal(keys, want) {
		t.Errorf("ListUserLinks = %q, want %q (oldest first, then issuer and subject in byte order)", keys, want)
	}
}

func testLinkUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustUser(t, s, "u")
	mustUser(t, s, "v")
	l := sampleLink("https://idp.example", "sub", "u")
	mustCreateLink(t, s, l)
	stored := checkLink(t, s, l)
	other := sampleLink("https://idp.example", "other", "u")
	mustCreateLink(t, s, other)

	changed := l
	changed.Provider, changed.Tokens, changed.LastUsed = "renamed", []byte("new tokens"), base
	calls := 0
	if err := s.UpdateUserLink(ctx, l.Issuer, l.Subject, func(w *storage.UserLink) error {
		calls++
		if g, want := *w, stored; !reflect.DeepEqual(wantLink(g), wantLink(want)) || !g.Created.Equal(want.Created) {
			t.Errorf("update function got\n\t%+v\nwant the stored\n\t%+v", g, want)
		}
		w.Provider, w.Tokens, w.LastUsed = changed.Provider, changed.Tokens, changed.LastUsed
		w.Created = base // the store keeps its own
		return nil
	}); err != nil || calls == 0 {
		t.Fatalf("UpdateUserLink = %v after %d calls", err, calls)
	}
	if got := checkLink(t, s, changed); !got.Created.Equal(stored.Created) {
		t.Errorf("Created = %v after update, want it kept at %v", got.Created, stored.Created)
	}
	checkLink(t, s, other)
	// No tokens, never used.
	changed.Tokens, changed.LastUsed = nil, time.Time{}
	if err := s.UpdateUserLink(ctx, l.Issuer, l.Subject, func(w *storage.UserLink) error {
		w.Tokens, w.LastUsed = nil, time.Time{}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	checkLink(t, s, changed)

	// Refused: a new user, a new key, the function's error, an invalid link.
	stop := errors.New("stop")
	for _, tt := range []struct {
		name   string
		change func(*storage.UserLink) error
		check  func(error) bool
		msg    string
	}{
		{"user", func(w *storage.UserLink) error { w.UserID = "v"; return nil }, isInvalid, "link user id cannot change"},
		{"subject", func(w *storage.UserLink) error { w.Subject = "renamed"; return nil }, isInvalid, "link cannot change"},
		{"issuer", func(w *storage.UserLink) error { w.Issuer = "https://other.example"; return nil }, isInvalid, "link cannot change"},
		{"error", func(w *storage.UserLink) error { w.Provider = "lost"; return stop }, func(err error) bool { return errors.Is(err, stop) }, "stop"},
		{"invalid", func(w *storage.UserLink) error { w.Provider = ""; return nil }, isInvalid, "link provider is empty"},
	} {
		err := s.UpdateUserLink(ctx, l.Issuer, l.Subject, tt.change)
		if !tt.check(err) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("UpdateUserLink changing the %s = %v, want an error saying %q", tt.name, err, tt.msg)
		}
	}
	checkLink(t, s, changed)
	checkNoLink(t, s, l.Issuer, "renamed")
	if l, err := s.ListUserLinks(ctx, "v"); err != nil || len(l) != 0 {
		t.Errorf("user v has %d links, %v after refused updates; want none", len(l), err)
	}
}

func isInvalid(err error) bool { return errors.Is(err, storage.ErrInvalid) }

func testLinkNotAliased(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustUser(t, s, "u")
	in := sampleLink("i", "s", "u")
	mustCreateLink(t, s, in)
	scribbleBytes(in.Tokens)
	got := checkLink(t, s, sampleLink("i", "s", "u"))
	scribbleBytes(got.Tokens)
	list, err := s.ListUserLinks(ctx, "u")
	if err != nil || len(list) != 1 {
		t.Fatalf("ListUserLinks = %d, %v", len(list), err)
	}
	scribbleBytes(list[0].Tokens)
	checkLink(t, s, sampleLink("i", "s", "u"))
	var kept *storage.UserLink
	if err := s.UpdateUserLink(ctx, "i", "s", func(w *storage.UserLink) error { kept = w; return nil }); err != nil {
		t.Fatal(err)
	}
	scribbleBytes(kept.Tokens)
	checkLink(t, s, sampleLink("i", "s", "u"))
}

// samplePasskey is a passkey with every field set, its id in its name.
func samplePasskey(id, userID string) storage.Passkey {
	return storage.Passkey{
		ID:              id,
		UserID:          userID,
		Name:            "YubiKey « " + id + " »",
		PublicKey:       append([]byte(id+":"), allBytes...),
		AttestationType: "packed",
		AAGUID:          []byte{0xcb, 0x69, 0x48, 0x1e, 0x8f, 0xf7, 0x40, 0x39, 0x93, 0xec, 0x0a, 0x27, 0x29, 0xa1, 0x54, 0x00},
		SignCount:       math.MaxUint32, // past what a signed 32-bit column holds
		CloneWarning:    true,
		Transports:      []string{"usb", "nfc", "hybrid"},
		Attachment:      "cross-platform",
		UserVerified:    true,
		BackupEligible:  true,
		BackupState:     true,
		LastUsed:        base.Add(-time.Minute),
	}
}

// changePasskey changes every field a caller owns.
func changePasskey(p *storage.Passkey) {
	p.Name = ""
	p.PublicKey = []byte{0xa5, 0x01}
	p.AttestationType = "none"
	p.AAGUID = nil
	p.SignCount = 0
	p.CloneWarning = false
	p.Transports = nil
	p.Attachment = ""
	p.UserVerified, p.BackupEligible, p.BackupState = false, false, false
	p.LastUsed = time.Time{}
}

// wantPasskey is p as read back, Created cleared.
func wantPasskey(p storage.Passkey) storage.Passkey {
	p.PublicKey = orNil(bytes.Clone(p.PublicKey))
	p.AAGUID = orNil(bytes.Clone(p.AAGUID))
	p.Transports = orNil(slices.Clone(p.Transports))
	p.LastUsed = instant(p.LastUsed)
	p.Created = time.Time{}
	return p
}

func mustCreatePasskey(t *testing.T, s storage.Store, p storage.Passkey) {
	t.Helper()
	if err := s.CreatePasskey(t.Context(), p); err != nil {
		t.Fatalf("CreatePasskey(%q): %v", p.ID, err)
	}
}

func checkPasskey(t *testing.T, s storage.Store, want storage.Passkey) storage.Passkey {
	t.Helper()
	got, err := s.GetPasskey(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("GetPasskey(%q): %v", want.ID, err)
	}
	if g, w := wantPasskey(got), wantPasskey(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("GetPasskey(%q) =\n\t%+v\nwant\n\t%+v", want.ID, g, w)
	}
	return got
}

func checkNoPasskey(t *testing.T, s storage.Store, id string) {
	t.Helper()
	if _, err := s.GetPasskey(t.Context(), id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetPasskey(%q) = %v, want ErrNotFound", id, err)
	}
}

func testPasskeyCreateGet(t *testing.T, s storage.Store) {
	mustUser(t, s, "u")
	in := samplePasskey("AAEC-_x", "u")
	in.Created = base
	before := time.Now()
	mustCreatePasskey(t, s, in)
	after := time.Now()
	got := checkPasskey(t, s, in)
	within(t, "Created", got.Created, before, after)
	checkUTC(t, "Created", got.Created, got.Created)
	bare := samplePasskey("bare", "u")
	changePasskey(&bare)
	mustCreatePasskey(t, s, bare)
	checkPasskey(t, s, bare)
	// Ids are exact.
	for _, id := range []string{"abc", "ABC", "abc "} {
		mustCreatePasskey(t, s, samplePasskey(id, "u"))
	}
	for _, id := range []string{"abc", "ABC", "abc "} {
		checkPasskey(t, s, samplePasskey(id, "u"))
	}
	checkPasskey(t, s, in)
}

func testPasskeyErrors(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustUser(t, s, "u")
	mustUser(t, s, "v")
	mustCreatePasskey(t, s, samplePasskey("p", "u"))
	for _, user := range []string{"u", "v"} {
		if err := s.CreatePasskey(ctx, samplePasskey("p", user)); !errors.Is(err, storage.ErrAlreadyExists) {
			t.Errorf("CreatePasskey of a taken id for %q = %v, want ErrAlreadyExists", user, err)
		}
	}
	err := s.CreatePasskey(ctx, samplePasskey("q", "ghost"))
	if !errors.Is(err, storage.ErrNotFound) || !strings.Contains(err.Error(), `"ghost"`) {
		t.Errorf("CreatePasskey for a missing user = %v, want ErrNotFound naming the user \"ghost\"", err)
	}
	checkNoPasskey(t, s, "q")
	checkNoPasskey(t, s, "P")
	if err := s.UpdatePasskey(ctx, "missing", func(*storage.Passkey) error {
		t.Error("update function called for a missing passkey")
		return nil
	}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("UpdatePasskey of a missing passkey = %v, want ErrNotFound", err)
	}
	if err := s.DeletePasskey(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	checkNoPasskey(t, s, "p")
	if err := s.DeletePasskey(ctx, "p"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("second DeletePasskey = %v, want ErrNotFound", err)
	}
	mustCreatePasskey(t, s, samplePasskey("p", "v"))
	checkPasskey(t, s, samplePasskey("p", "v"))
}

func testPasskeyInvalid(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustUser(t, s, "u")
	valid := samplePasskey("valid", "u")
	mustCreatePasskey(t, s, valid)
	for _, tt := range []invalid[storage.Passkey]{
		{"empty id", func(p *storage.Passkey) { p.ID = "" }, "passkey id is empty"},
		{"nul in id", func(p *storage.Passkey) { p.ID = "a\x00" }, "passkey id contains a NUL byte"},
		{"empty user", func(p *storage.Passkey) { p.UserID = "" }, "passkey user id is empty"},
		{"invalid name", func(p *storage.Passkey) { p.Name = "\xff" }, "passkey name is not valid UTF-8"},
		{"nul in attestation type", func(p *storage.Passkey) { p.AttestationType = "a\x00" }, "passkey attestation type contains a NUL byte"},
		{"long attachment", func(p *storage.Passkey) { p.Attachment = strings.Repeat("a", storage.MaxTextLen+1) }, "passkey attachment is 4097 bytes"},
		{"no public key", func(p *storage.Passkey) { p.PublicKey = nil }, "passkey has no public key"},
		{"long public key", func(p *storage.Passkey) { p.PublicKey = make([]byte, 4097) }, "passkey public key is 4097 bytes, over the limit of 4096"},
		{"short AAGUID", func(p *storage.Passkey) { p.AAGUID = []byte{1, 2, 3} }, "passkey AAGUID is 3 bytes, not 16"},
		{"duplicate transport", func(p *storage.Passkey) { p.Transports = []string{"usb", "usb"} }, `passkey transport "usb" is listed twice`},
		{"empty transport", func(p *storage.Passkey) { p.Transports = []string{""} }, "passkey transport is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := samplePasskey("new", "u")
			tt.change(&p)
			wantInvalid(t, "create", s.CreatePasskey(ctx, p), tt.msg)
			if p.ID != "new" || p.UserID != "u" {
				return
			}
			wantInvalid(t, "update", s.UpdatePasskey(ctx, "valid", func(w *storage.Passkey) error {
				p.ID = w.ID
				*w = p
				return nil
			}), tt.msg)
		})
	}
	for _, id := range []string{"", "a\x00b", "a\xffb", strings.Repeat("k", storage.MaxKeyLen+1)} {
		_, err := s.GetPasskey(ctx, id)
		wantInvalid(t, "GetPasskey", err, "passkey id")
		wantInvalid(t, "UpdatePasskey", s.UpdatePasskey(ctx, id, func(*storage.Passkey) error { return nil }), "passkey id")
		wantInvalid(t, "DeletePasskey", s.DeletePasskey(ctx, id), "passkey id")
	}
	_, err := s.ListPasskeys(ctx, "")
	wantInvalid(t, "ListPasskeys", err, "passkey user id")
	if l, err := s.ListPasskeys(ctx, "u"); err != nil || len(l) != 1 {
		t.Errorf("after refused writes the user has %d passkeys, %v; want 1", len(l), err)
	}
	checkPasskey(t, s, valid)
}

// testPasskeyList checks the order: oldest first, then by id in byte order.
func testPasskeyList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustUser(t, s, "u")
	mustUser(t, s, "v")
	if l, err := s.ListPasskeys(ctx, "ghost"); err != nil || len(l) != 0 {
		t.Fatalf("ListPasskeys of an unknown user = %d, %v; want none, nil", len(l), err)
	}
	mustCreatePasskey(t, s, samplePasskey("z", "u"))
	waitNextMilli(t, time.Now())
	for _, id := range []string{"B", "a", "a-c", "ab", "b"} {
		mustCreatePasskey(t, s, samplePasskey(id, "u"))
	}
	mustCreatePasskey(t, s, samplePasskey("A", "v"))
	got, err := s.ListPasskeys(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, p := range got {
		ids = append(ids, p.ID)
		if g, w := wantPasskey(p), wantPasskey(samplePasskey(p.ID, "u")); !reflect.DeepEqual(g, w) {
			t.Errorf("list[%d] =\n\t%+v\nwant\n\t%+v", i, g, w)
		}
	}
	if want := []string{"z", "B", "a", "a-c", "ab", "b"}; !slices.Equal(ids, want) {
		t.Errorf("ListPasskeys = %q, want %q (oldest first, then by id in byte order)", ids, want)
	}
}

func testPasskeyUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustUser(t, s, "u")
	mustUser(t, s, "v")
	p := samplePasskey("p", "u")
	mustCreatePasskey(t, s, p)
	stored := checkPasskey(t, s, p)
	mustCreatePasskey(t, s, samplePasskey("q", "u"))
	changed := p
	changePasskey(&changed)
	calls := 0
	if err := s.UpdatePasskey(ctx, "p", func(w *storage.Passkey) error {
		calls++
		if !reflect.DeepEqual(wantPasskey(*w), wantPasskey(stored)) || !w.Created.Equal(stored.Created) {
			t.Errorf("update function got\n\t%+v\nwant the stored\n\t%+v", *w, stored)
		}
		changePasskey(w)
		w.Created = base
		return nil
	}); err != nil || calls == 0 {
		t.Fatalf("UpdatePasskey = %v after %d calls", err, calls)
	}
	if got := checkPasskey(t, s, changed); !got.Created.Equal(stored.Created) {
		t.Errorf("Created = %v after update, want it kept at %v", got.Created, stored.Created)
	}
	checkPasskey(t, s, samplePasskey("q", "u"))
	// And back: the counter at its largest again.
	if err := s.UpdatePasskey(ctx, "p", func(w *storage.Passkey) error {
		*w = samplePasskey("p", "u")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	checkPasskey(t, s, p)
	stop := errors.New("stop")
	for _, tt := range []struct {
		name   string
		change func(*storage.Passkey) error
		check  func(error) bool
		msg    string
	}{
		{"user", func(w *storage.Passkey) error { w.UserID = "v"; return nil }, isInvalid, "passkey user id cannot change"},
		{"id", func(w *storage.Passkey) error { w.ID = "renamed"; return nil }, isInvalid, "passkey id cannot change"},
		{"error", func(w *storage.Passkey) error { w.SignCount = 1; return stop }, func(err error) bool { return errors.Is(err, stop) }, "stop"},
		{"invalid", func(w *storage.Passkey) error { w.PublicKey = nil; return nil }, isInvalid, "passkey has no public key"},
	} {
		err := s.UpdatePasskey(ctx, "p", tt.change)
		if !tt.check(err) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("UpdatePasskey changing the %s = %v, want an error saying %q", tt.name, err, tt.msg)
		}
	}
	checkPasskey(t, s, p)
	checkNoPasskey(t, s, "renamed")
}

func testPasskeyNotAliased(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustUser(t, s, "u")
	scribble := func(p *storage.Passkey) {
		scribbleBytes(p.PublicKey, p.AAGUID)
		p.Transports[0] = "scribbled"
	}
	in := samplePasskey("p", "u")
	mustCreatePasskey(t, s, in)
	scribble(&in)
	got := checkPasskey(t, s, samplePasskey("p", "u"))
	scribble(&got)
	list, err := s.ListPasskeys(ctx, "u")
	if err != nil || len(list) != 1 {
		t.Fatalf("ListPasskeys = %d, %v", len(list), err)
	}
	scribble(&list[0])
	checkPasskey(t, s, samplePasskey("p", "u"))
	var kept *storage.Passkey
	if err := s.UpdatePasskey(ctx, "p", func(w *storage.Passkey) error { kept = w; return nil }); err != nil {
		t.Fatal(err)
	}
	scribble(kept)
	checkPasskey(t, s, samplePasskey("p", "u"))
}

// providerSettings are a provider's settings with unusual spacing, which a
// store that re-encodes JSON would change.
const providerSettings = `{"issuer":  "https://login.example", "clientId":"signet",  "scopes":["openid","email"] }`

func sampleProvider(name string) storage.ExternalProvider {
	return storage.ExternalProvider{Name: name, Type: "oidc", Settings: []byte(providerSettings)}
}

// wantProvider is p as read back, times cleared.
func wantProvider(p storage.ExternalProvider) storage.ExternalProvider {
	p.Settings = orNil(bytes.Clone(p.Settings))
	p.Created, p.Updated = time.Time{}, time.Time{}
	return p
}

func mustCreateProvider(t *testing.T, s storage.Store, p storage.ExternalProvider) {
	t.Helper()
	if err := s.CreateExternalProvider(t.Context(), p); err != nil {
		t.Fatalf("CreateExternalProvider(%q): %v", p.Name, err)
	}
}

func checkProvider(t *testing.T, s storage.Store, want storage.ExternalProvider) storage.ExternalProvider {
	t.Helper()
	got, err := s.GetExternalProvider(t.Context(), want.Name)
	if err != nil {
		t.Fatalf("GetExternalProvider(%q): %v", want.Name, err)
	}
	if g, w := wantProvider(got), wantProvider(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("GetExternalProvider(%q) =\n\t%+v\nwant\n\t%+v", want.Name, g, w)
	}
	return got
}

func checkNoProvider(t *testing.T, s storage.Store, name string) {
	t.Helper()
	if _, err := s.GetExternalProvider(t.Context(), name); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetExternalProvider(%q) = %v, want ErrNotFound", name, err)
	}
}

func testProviderCreateGet(t *testing.T, s storage.Store) {
	in := sampleProvider("corp-sso")
	in.Created, in.Updated = base, base
	before := time.Now()
	mustCreateProvider(t, s, in)
	after := time.Now()
	got := checkProvider(t, s, in)
	within(t, "Created", got.Created, before, after)
	checkUTC(t, "Created", got.Created, got.Created)
	if !got.Updated.Equal(got.Created) {
		t.Errorf("Updated = %v after create, want Created %v", got.Updated, got.Created)
	}
	for _, name := range []string{"Corp-SSO", "corp_sso", "corp.sso", "g"} {
		mustCreateProvider(t, s, sampleProvider(name))
	}
	scribbleBytes(in.Settings)
	scribbleBytes(got.Settings)
	checkProvider(t, s, sampleProvider("corp-sso"))
}

func testProviderErrors(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustCreateProvider(t, s, sampleProvider("p"))
	other := sampleProvider("p")
	other.Type = "github"
	if err := s.CreateExternalProvider(ctx, other); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Errorf("CreateExternalProvider of a taken name = %v, want ErrAlreadyExists", err)
	}
	checkProvider(t, s, sampleProvider("p"))
	checkNoProvider(t, s, "P")
	checkNoProvider(t, s, "missing")
	if err := s.UpdateExternalProvider(ctx, "missing", func(*storage.ExternalProvider) error {
		t.Error("update function called for a missing provider")
		return nil
	}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("UpdateExternalProvider of a missing provider = %v, want ErrNotFound", err)
	}
	if err := s.DeleteExternalProvider(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	checkNoProvider(t, s, "p")
	if err := s.DeleteExternalProvider(ctx, "p"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("second DeleteExternalProvider = %v, want ErrNotFound", err)
	}
	mustCreateProvider(t, s, other)
	checkProvider(t, s, other)
}

func testProviderInvalid(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustCreateProvider(t, s, sampleProvider("valid"))
	v0 := version(t, s)
	for _, tt := range []invalid[storage.ExternalProvider]{
		{"empty name", func(p *storage.ExternalProvider) { p.Name = "" }, "provider name is empty"},
		{"space in name", func(p *storage.ExternalProvider) { p.Name = "a b" }, `provider name "a b" has ' '`},
		{"slash in name", func(p *storage.ExternalProvider) { p.Name = "a/b" }, `provider name "a/b" has '/'`},
		{"accent in name", func(p *storage.ExternalProvider) { p.Name = "é" }, `provider name "é" has 'é'`},
		{"empty type", func(p *storage.ExternalProvider) { p.Type = "" }, "provider type is empty"},
		{"no settings", func(p *storage.ExternalProvider) { p.Settings = nil }, "has no settings"},
		{"settings an array", func(p *storage.ExternalProvider) { p.Settings = []byte(`[]`) }, "provider settings is not a JSON object"},
		{"settings not JSON", func(p *storage.ExternalProvider) { p.Settings = []byte(`{`) }, "provider settings is not valid JSON"},
		{"long settings", func(p *storage.ExternalProvider) { p.Settings = make([]byte, storage.MaxDataLen+1) }, "provider settings are 1048577 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := sampleProvider("new")
			tt.change(&p)
			wantInvalid(t, "create", s.CreateExternalProvider(ctx, p), tt.msg)
			if p.Name != "new" {
				return
			}
			wantInvalid(t, "update", s.UpdateExternalProvider(ctx, "valid", func(w *storage.ExternalProvider) error {
				p.Name = w.Name
				*w = p
				return nil
			}), tt.msg)
		})
	}
	for _, name := range []string{"", "a\x00b", "a\xffb", strings.Repeat("k", storage.MaxKeyLen+1)} {
		_, err := s.GetExternalProvider(ctx, name)
		wantInvalid(t, "GetExternalProvider", err, "provider name")
		wantInvalid(t, "UpdateExternalProvider", s.UpdateExternalProvider(ctx, name, func(*storage.ExternalProvider) error { return nil }), "provider name")
		wantInvalid(t, "DeleteExternalProvider", s.DeleteExternalProvider(ctx, name), "provider name")
	}
	if l, err := s.ListExternalProviders(ctx); err != nil || len(l) != 1 {
		t.Errorf("after refused writes there are %d providers, %v; want 1", len(l), err)
	}
	checkProvider(t, s, sampleProvider("valid"))
	if v := version(t, s); v != v0 {
		t.Errorf("ConfigVersion went from %d to %d after refused writes", v0, v)
	}
}

// testProviderList checks the order: by name in byte order, which a
// linguistic collation breaks.
func testProviderList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	if l, err := s.ListExternalProviders(ctx); err != nil || len(l) != 0 {
		t.Fatalf("ListExternalProviders of an empty store = %d, %v; want none", len(l), err)
	}
	names := []string{"b", "B", "a-c", "ab", "Z", "a", "a.b", "_x", "a_b"}
	for _, n := range names {
		mustCreateProvider(t, s, sampleProvider(n))
	}
	got, err := s.ListExternalProviders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var gotNames []string
	for i, p := range got {
		gotNames = append(gotNames, p.Name)
		if g, w := wantProvider(p), wantProvider(sampleProvider(p.Name)); !reflect.DeepEqual(g, w) {
			t.Errorf("list[%d] =\n\t%+v\nwant\n\t%+v", i, g, w)
		}
	}
	slices.Sort(names)
	if !slices.Equal(gotNames, names) {
		t.Errorf("ListExternalProviders = %q, want %q (byte order)", gotNames, names)
	}
}

func testProviderUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustCreateProvider(t, s, sampleProvider("p"))
	stored := checkProvider(t, s, sampleProvider("p"))
	mustCreateProvider(t, s, sampleProvider("q"))
	waitNextMilli(t, stored.Updated)
	changed := storage.ExternalProvider{Name: "p", Type: "github", Settings: []byte(`{ "clientId" : "x" }`)}
	if err := s.UpdateExternalProvider(ctx, "p", func(w *storage.ExternalProvider) error {
		if !reflect.DeepEqual(*w, stored) {
			t.Errorf("update function got\n\t%+v\nwant the stored\n\t%+v", *w, stored)
		}
		w.Type, w.Settings = changed.Type, changed.Settings
		w.Created, w.Updated = base, base
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got := checkProvider(t, s, changed)
	if !got.Created.Equal(stored.Created) || !got.Updated.After(stored.Updated) {
		t.Errorf("after update Created %v, Updated %v; want Created kept at %v, Updated after %v",
			got.Created, got.Updated, stored.Created, stored.Updated)
	}
	checkProvider(t, s, sampleProvider("q"))
	stop := errors.New("stop")
	if err := s.UpdateExternalProvider(ctx, "p", func(w *storage.ExternalProvider) error {
		w.Name = "renamed"
		return nil
	}); !isInvalid(err) || !strings.Contains(err.Error(), "provider name cannot change") {
		t.Errorf("UpdateExternalProvider renaming = %v, want ErrInvalid saying the name cannot change", err)
	}
	if err := s.UpdateExternalProvider(ctx, "p", func(w *storage.ExternalProvider) error {
		w.Type = "lost"
		return stop
	}); !errors.Is(err, stop) {
		t.Errorf("UpdateExternalProvider = %v, want the update function's error", err)
	}
	checkProvider(t, s, changed)
	checkNoProvider(t, s, "renamed")
}

// testProviderConfigVersion checks that providers are configuration: every
// successful write makes the ConfigVersion greater, failed ones leave it.
func testProviderConfigVersion(t *testing.T, s storage.Store) {
	ctx := t.Context()
	last := version(t, s)
	step := func(what string, err error, changes bool) {
		t.Helper()
		if err != nil && changes {
			t.Fatalf("%s: %v", what, err)
		}
		v := version(t, s)
		switch {
		case changes && v <= last:
			t.Errorf("ConfigVersion %d after %s, was %d: want greater", v, what, last)
		case !changes && v != last:
			t.Errorf("ConfigVersion %d after %s, was %d: want unchanged", v, what, last)
		}
		last = v
	}
	step("create", s.CreateExternalProvider(ctx, sampleProvider("one")), true)
	step("create of a taken name", s.CreateExternalProvider(ctx, sampleProvider("one")), false)
	step("update", s.UpdateExternalProvider(ctx, "one", func(p *storage.ExternalProvider) error { p.Type = "entra"; return nil }), true)
	step("refused update", s.UpdateExternalProvider(ctx, "one", func(p *storage.ExternalProvider) error { p.Type = ""; return nil }), false)
	step("update of a missing provider", s.UpdateExternalProvider(ctx, "missing", func(*storage.ExternalProvider) error { return nil }), false)
	step("delete", s.DeleteExternalProvider(ctx, "one"), true)
	step("delete of a missing provider", s.DeleteExternalProvider(ctx, "one"), false)
}

// testSecondFactorUpdate checks that a user's TOTP key, last step and
// recovery codes are kept byte for byte through an update, and that using
// a recovery code (removing it) and removing the second factor are kept.
func testSecondFactorUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	u := sampleUser("u")
	u.TOTPSecret, u.TOTPLastStep, u.RecoveryCodes = nil, 0, nil
	userKind.mustCreate(t, s, u)
	userKind.check(t, s, "u", u)
	secret := slices.Concat([]byte{0}, allBytes, []byte{0})
	codes := []string{"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$b25l", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$dHdv", "three"}
	if err := s.UpdateUser(ctx, "u", func(w *storage.User) error {
		w.TOTPSecret, w.TOTPLastStep, w.RecoveryCodes = secret, math.MaxInt64, codes
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUser(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.TOTPSecret, secret) || got.TOTPLastStep != math.MaxInt64 || !slices.Equal(got.RecoveryCodes, codes) {
		t.Fatalf("after setting the second factor: TOTP key %x, last step %d, recovery codes %q; want %x, %d, %q",
			got.TOTPSecret, got.TOTPLastStep, got.RecoveryCodes, secret, int64(math.MaxInt64), codes)
	}
	// A used recovery code is removed, the order of the rest kept.
	if err := s.UpdateUser(ctx, "u", func(w *storage.User) error {
		w.RecoveryCodes = slices.Delete(w.RecoveryCodes, 1, 2)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetUser(ctx, "u"); err != nil || !slices.Equal(got.RecoveryCodes, []string{codes[0], codes[2]}) {
		t.Fatalf("recovery codes after using one: %q, %v", got.RecoveryCodes, err)
	}
	// Found by username too.
	if got, err := s.FindUserByUsername(ctx, u.Username); err != nil || !bytes.Equal(got.TOTPSecret, secret) {
		t.Fatalf("FindUserByUsername: TOTP key %x, %v", got.TOTPSecret, err)
	}
	if err := s.UpdateUser(ctx, "u", func(w *storage.User) error {
		w.TOTPSecret, w.TOTPLastStep, w.RecoveryCodes = nil, 0, nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	userKind.check(t, s, "u", u)
}

// errStepUsed is the refusal of a TOTP step at or below the last one
// accepted.
var errStepUsed = errors.New("TOTP step already used")

// acceptStep is what a sign-in does with a TOTP code of step n: accept it
// only if n is above the user's last step, and record it, in one update.
func acceptStep(t *testing.T, s storage.Store, id string, n int64) error {
	return s.UpdateUser(t.Context(), id, func(u *storage.User) error {
		if n <= u.TOTPLastStep {
			return errStepUsed
		}
		u.TOTPLastStep = n
		return nil
	})
}

// checkOneStep races n sign-ins with the code of one step, the i-th
// through store(i): exactly one is accepted, the others refused.
func checkOneStep(t *testing.T, store func(i int) storage.Store, id string, step int64, n int) {
	t.Helper()
	errs := race(n, func(i int) error { return acceptStep(t, store(i), id, step) })
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, errStepUsed):
			t.Errorf("sign-in %d: %v, want nil or the step refused", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d of %d concurrent sign-ins with TOTP step %d were accepted, want exactly 1", wins, n, step)
	}
	if u, err := store(0).GetUser(t.Context(), id); err != nil || u.TOTPLastStep != step {
		t.Errorf("TOTPLastStep = %d, %v after the race; want %d", u.TOTPLastStep, err, step)
	}
}

// testConcurrentTOTPStep is a TOTP code replayed at once: of several
// sign-ins with the code of one step, exactly one succeeds; an earlier step
// is refused after it.
func testConcurrentTOTPStep(t *testing.T, s storage.Store) {
	mustUser(t, s, "u")
	store := func(int) storage.Store { return s }
	for _, step := range []int64{1<<40 + 100, 1<<40 + 101} {
		checkOneStep(t, store, "u", step, 8)
	}
	if err := acceptStep(t, s, "u", 1<<40+50); !errors.Is(err, errStepUsed) {
		t.Errorf("an earlier step after a later one = %v, want refused", err)
	}
}

// testDeleteUserCascades checks that a user's links and passkeys go with
// the user, and no one else's.
func testDeleteUserCascades(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustUser(t, s, "u")
	mustUser(t, s, "v")
	for _, user := range []string{"u", "v"} {
		mustCreateLink(t, s, sampleLink("https://idp.example", user, user))
		mustCreateLink(t, s, sampleLink("https://github.com", user, user))
		mustCreatePasskey(t, s, samplePasskey("pk-"+user, user))
		mustCreatePasskey(t, s, samplePasskey("pk2-"+user, user))
	}
	if err := s.DeleteUser(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	checkNoLink(t, s, "https://idp.example", "u")
	checkNoLink(t, s, "https://github.com", "u")
	checkNoPasskey(t, s, "pk-u")
	checkNoPasskey(t, s, "pk2-u")
	if l, err := s.ListUserLinks(ctx, "u"); err != nil || len(l) != 0 {
		t.Errorf("links of the deleted user: %d, %v; want none", len(l), err)
	}
	if l, err := s.ListPasskeys(ctx, "u"); err != nil || len(l) != 0 {
		t.Errorf("passkeys of the deleted user: %d, %v; want none", len(l), err)
	}
	checkLink(t, s, sampleLink("https://idp.example", "v", "v"))
	checkPasskey(t, s, samplePasskey("pk-v", "v"))
	if l, err := s.ListUserLinks(ctx, "v"); err != nil || len(l) != 2 {
		t.Errorf("links of the other user: %d, %v; want 2", len(l), err)
	}
	if l, err := s.ListPasskeys(ctx, "v"); err != nil || len(l) != 2 {
		t.Errorf("passkeys of the other user: %d, %v; want 2", len(l), err)
	}
	// A user of the same id starts with none, and the pairs and ids are free.
	mustUser(t, s, "u")
	if l, err := s.ListUserLinks(ctx, "u"); err != nil || len(l) != 0 {
		t.Errorf("links of a new user of the deleted one's id: %d, %v; want none", len(l), err)
	}
	mustCreateLink(t, s, sampleLink("https://idp.example", "u", "u"))
	mustCreatePasskey(t, s, samplePasskey("pk-u", "u"))
}

// testSignInWritesKeepConfigVersion checks that writes of links, passkeys
// and users' second factor are run-time data: they leave the ConfigVersion.
func testSignInWritesKeepConfigVersion(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustUser(t, s, "u")
	v0 := version(t, s)
	mustCreateLink(t, s, sampleLink("i", "s", "u"))
	mustCreatePasskey(t, s, samplePasskey("p", "u"))
	for _, err := range []error{
		s.UpdateUserLink(ctx, "i", "s", func(l *storage.UserLink) error { l.LastUsed = base; return nil }),
		s.UpdatePasskey(ctx, "p", func(p *storage.Passkey) error { p.SignCount = 7; return nil }),
		acceptStep(t, s, "u", 1<<41),
		s.DeleteUserLink(ctx, "i", "s"),
		s.DeletePasskey(ctx, "p"),
		s.DeleteUser(ctx, "u"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if v := version(t, s); v != v0 {
		t.Errorf("ConfigVersion went from %d to %d after writes of links, passkeys and users; want unchanged", v0, v)
	}
}

// testTOTPStepAcrossInstances is testConcurrentTOTPStep with the sign-ins
// on two instances.
func testTOTPStepAcrossInstances(t *testing.T, a, b storage.Store) {
	mustUser(t, a, "u")
	stores := []storage.Store{a, b}
	for _, step := range []int64{1<<40 + 100, 1<<40 + 101} {
		checkOneStep(t, func(i int) storage.Store { return stores[i%2] }, "u", step, 8)
	}
}

// testSignInRecordsAcrossInstances checks that links, passkeys and
// providers written on one instance are seen on the other, whose
// ConfigVersion changes with the providers only.
func testSignInRecordsAcrossInstances(t *testing.T, a, b storage.Store) {
	ctx := t.Context()
	mustUser(t, a, "u")
	vb := version(t, b)
	mustCreateLink(t, a, sampleLink("i", "s", "u"))
	checkLink(t, b, sampleLink("i", "s", "u"))
	mustCreatePasskey(t, b, samplePasskey("p", "u"))
	checkPasskey(t, a, samplePasskey("p", "u"))
	if v := version(t, b); v != vb {
		t.Errorf("ConfigVersion %d after link and passkey writes, was %d: want unchanged", v, vb)
	}
	mustCreateProvider(t, a, sampleProvider("corp"))
	checkProvider(t, b, sampleProvider("corp"))
	if v := version(t, b); v <= vb {
		t.Errorf("ConfigVersion on the other instance %d after a provider create, was %d: want greater", v, vb)
	}
	va := version(t, a)
	if err := b.DeleteExternalProvider(ctx, "corp"); err != nil {
		t.Fatal(err)
	}
	checkNoProvider(t, a, "corp")
	if v := version(t, a); v <= va {
		t.Errorf("ConfigVersion on the other instance %d after a provider delete, was %d: want greater", v, va)
	}
	if err := b.DeleteUser(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	checkNoLink(t, a, "i", "s")
	checkNoPasskey(t, a, "p")
}
