package signin

import (
	"errors"
	"net/http"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/passkey"
)

// PasskeysView is what the account page's "Passkeys" section shows
// (templates/account_passkeys.html gets it as .Passkeys).
type PasskeysView struct {
	// Enabled: the section lists and adds passkeys. When false, Off says
	// why ("" when Signet has no passkeys at all: the section is hidden).
	Enabled bool
	Off     string
	// Token is the session's token for the section's forms.
	Token string
	// Reauth, when its URL is set, replaces the form that adds a passkey:
	// the session's sign-in is too old to add one.
	Reauth ReauthView
	// Items are the user's passkeys, oldest first.
	Items []PasskeyItem
	// MaxNameLen bounds a name.
	MaxNameLen int
}

// PasskeyItem is one passkey in the account page's list.
type PasskeyItem struct {
	ID, Name string
	// Created and LastUsed (zero for never), with their text.
	Created, LastUsed         time.Time
	CreatedText, LastUsedText string
	// Synced: backed up and synced between devices (amr swk); else bound
	// to one device (hwk).
	Synced bool
	// CloneWarning: its counter went back once; it cannot sign in.
	CloneWarning bool
}

// passkeysView builds the account page's passkey section for the user
// signed in through r's session.
func (e *Endpoint) passkeysView(r *http.Request, userID string) (PasskeysView, error) {
	v := PasskeysView{MaxNameLen: passkey.MaxNameLen}
	if e.opts.Passkeys == nil {
		return v, nil
	}
	ctx := r.Context()
	if _, err := passkey.ForIssuer(endpoint.Issuer(ctx)); err != nil {
		var off *passkey.OffError
		if errors.As(err, &off) {
			v.Off = "Passkeys are off on this server: " + off.Reason + "."
		}
		return v, nil
	}
	s, err := e.opts.Sessions.Current(ctx, r)
	if err != nil {
		return v, err
	}
	if s == nil || s.Subject != userID {
		return v, errors.New("signin: the passkeys of a user not signed in through this session")
	}
	ps, err := e.opts.Passkeys.List(ctx, userID)
	if err != nil {
		return v, err
	}
	v.Enabled, v.Token, v.Reauth = true, s.Token(purposePasskeys), e.reauthView(s, "Adding a passkey")
	for _, p := range ps {
		it := PasskeyItem{ID: p.ID, Name: p.Name, Created: p.Created, LastUsed: p.LastUsed,
			CreatedText: day(p.Created), LastUsedText: "never", Synced: passkey.Synced(p), CloneWarning: p.CloneWarning}
		if !p.LastUsed.IsZero() {
			it.LastUsedText = day(p.LastUsed)
		}
		v.Items = append(v.Items, it)
	}
	return v, nil
}

// day is a date as the account page shows it.
func day(t time.Time) string { return t.UTC().Format("2 Jan 2006") }
