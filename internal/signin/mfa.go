package signin

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/signetid/signet/internal/authorize"
	"github.com/signetid/signet/internal/sealed"
	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/internal/totp"
	"github.com/signetid/signet/internal/users"
	"github.com/signetid/signet/storage"
)

// Authentication methods (RFC 8176) and context classes of the second
// factor.
const (
	// AMROTP is a one-time code (TOTP, or a recovery code), AMRMFA a login
	// of more than one factor.
	AMROTP = "otp"
	AMRMFA = "mfa"
	// ACRMFA asks for (acr_values) and reports (the acr claim) a
	// multi-factor login, ACRPAPEMFA is its alias from OpenID Provider
	// Authentication Policy Extension 1.0, ACRSFA reports a login of one
	// factor.
	ACRMFA     = "mfa"
	ACRPAPEMFA = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
	ACRSFA     = "sfa"
)

// ACRValuesSupported are the acr values Signet understands, for discovery.
var ACRValuesSupported = []string{ACRMFA, ACRPAPEMFA, ACRSFA}

// totpAlg binds a sealed TOTP key to its use (sealed.Seal's alg), with the
// user's id as its kid; enrolAlg binds a key being set up, carried in the
// enrolment form until it is confirmed.
const (
	totpAlg  = "totp"
	enrolAlg = "totp-enrol"
	// enrolLifetime is how long a key being set up may be confirmed.
	enrolLifetime = 15 * time.Minute
)

// acrWantsMFA reports whether acr_values asks for a multi-factor login.
func acrWantsMFA(acrValues string) bool {
	for _, v := range strings.Fields(acrValues) {
		if v == ACRMFA || v == ACRPAPEMFA {
			return true
		}
	}
	return false
}

// mfaRequired reports whether req needs a multi-factor login: the client
// requires it, or acr_values asks for it.
func mfaRequired(req *authorize.Request) bool {
	return (req.Client != nil && req.Client.RequireMFA) || acrWantsMFA(req.ACRValues)
}

// hasMFA reports whether a login of methods amr was multi-factor.
func hasMFA(amr []string) bool { return slices.Contains(amr, AMRMFA) }

// acrOf is the acr claim of a login of methods amr for acr_values: the
// first value requested that the login satisfies, else "mfa" for a
// multi-factor login and "sfa" for any other.
func acrOf(acrValues string, amr []string) string {
	for _, v := range strings.Fields(acrValues) {
		switch {
		case (v == ACRMFA || v == ACRPAPEMFA) && hasMFA(amr):
			return v
		case v == ACRSFA:
			return v
		}
	}
	if hasMFA(amr) {
		return ACRMFA
	}
	return ACRSFA
}

// hasTOTP reports whether u has turned TOTP on.
func hasTOTP(u storage.User) bool { return len(u.TOTPSecret) > 0 }

// errNoKEK is what kek returns when Options.SecretsKEK is nil.
var errNoKEK = errors.New("no key-encryption key is configured: set keyEncryptionKey")

// kek is the key-encryption key of TOTP keys, or why there is none.
func (e *Endpoint) kek() ([]byte, error) {
	if e.opts.SecretsKEK == nil {
		return nil, errNoKEK
	}
	return e.opts.SecretsKEK()
}

// factorKind is what a second-factor input is.
type factorKind int

const (
	factorNone factorKind = iota
	factorTOTP
	factorRecovery
)

// maxFactorInput bounds the code field: a recovery code with spaces fits.
const maxFactorInput = 64

// parseFactor tells a TOTP code from a recovery code in what the person
// typed: six digits (spaces allowed) are a TOTP code, anything else of a
// sensible length is taken for a recovery code, which totp then reads.
func parseFactor(input string) (factorKind, string) {
	input = strings.TrimSpace(input)
	if input == "" || len(input) > maxFactorInput {
		return factorNone, ""
	}
	digits := strings.Map(func(r rune) rune {
		if r == ' ' {
			return -1
		}
		return r
	}, input)
	if len(digits) == totp.Digits && strings.Trim(digits, "0123456789") == "" {
		return factorTOTP, digits
	}
	return factorRecovery, input
}

// checkFactor returns the check of users.SecondFactor for input: a TOTP
// code (its step written as the last used, so that it is accepted once) or
// a recovery code (removed, so that it is used once). Its errors are fit
// to show, wrong ones wrapping users.ErrWrongFactor.
func (e *Endpoint) checkFactor(input string, now time.Time) (func(*storage.User) error, string, error) {
	kind, code := parseFactor(input)
	switch kind {
	case factorTOTP:
		kek, err := e.kek()
		if err != nil {
			return nil, "", err
		}
		return func(u *storage.User) error {
			if !hasTOTP(*u) {
				return errNoFactor
			}
			secret, err := sealed.Open(kek, u.ID, totpAlg, u.TOTPSecret)
			if err != nil {
				return fmt.Errorf("open the TOTP key of user %s: %w", u.ID, err)
			}
			step, err := totp.Verify(string(secret), code, now, u.TOTPLastStep)
			switch {
			case errors.Is(err, totp.ErrWrongCode):
				return fmt.Errorf("%w: %w", users.ErrWrongFactor, errWrongCode)
			case errors.Is(err, totp.ErrReusedCode):
				return errReusedCode
			case err != nil:
				return fmt.Errorf("verify the TOTP code of user %s: %w", u.ID, err)
			}
			u.TOTPLastStep = step
			return nil
		}, AMROTP, nil
	case factorRecovery:
		return func(u *storage.User) error {
			if !hasTOTP(*u) {
				return errNoFactor
			}
			i, err := totp.MatchRecoveryCode(u.RecoveryCodes, code)
			switch {
			case errors.Is(err, totp.ErrMalformedRecoveryCode):
				return errMalformedCode
			case errors.Is(err, totp.ErrWrongRecoveryCode):
				return fmt.Errorf("%w: %w", users.ErrWrongFactor, errWrongCode)
			case err != nil:
				return fmt.Errorf("match the recovery code of user %s: %w", u.ID, err)
			}
			u.RecoveryCodes = slices.Delete(slices.Clone(u.RecoveryCodes), i, i+1)
			return nil
		}, AMROTP, nil
	}
	return nil, "", errMalformedCode
}

// factorError is a refusal of a second factor that the page shows as it
// is.
type factorError string

func (e factorError) Error() string { return string(e) }

const (
	errMalformedCode = factorError("Enter the 6-digit code your authenticator app shows, or one of your recovery codes (like 7k3qd-x9m2p).")
	errWrongCode     = factorError("That code is not right. Check that the app shows this account, and that the phone's clock is right.")
	errReusedCode    = factorError("That code was used already. Wait for the app to show the next one.")
	errNoFactor      = factorError("Two-step sign-in is not on for this account.")
)

// factorMessage is what the page says of err from SecondFactor; "" when
// err is not the person's doing (a server error), lockedUntil when locked.
func factorMessage(err error) (msg string, lockedUntil time.Time) {
	var fe factorError
	var locked *users.LockedOutError
	switch {
	case errors.As(err, &locked):
		return "Too many failed sign-ins for this account.", locked.Until
	case errors.Is(err, users.ErrInvalidCredentials):
		return "This account cannot sign in.", time.Time{}
	case errors.As(err, &fe):
		return string(fe), time.Time{}
	}
	return "", time.Time{}
}

// MFAView is the second factor section of the account page.
type MFAView struct {
	// Available says that TOTP can be turned on; else Unavailable says
	// why, for the administrator.
	Available   bool
	Unavailable string
	// Reauth, when its URL is set, replaces the setup's button: the
	// session's sign-in is too old to add an authenticator app.
	Reauth ReauthView
	// On says the user has TOTP; RecoveryLeft is how many recovery codes
	// are unused.
	On           bool
	RecoveryLeft int
}

func (e *Endpoint) mfaView(u storage.User) (MFAView, error) {
	v := MFAView{On: hasTOTP(u), RecoveryLeft: len(u.RecoveryCodes)}
	if _, err := e.kek(); err != nil {
		v.Unavailable = err.Error()
	} else {
		v.Available = true
	}
	return v, nil
}

// TOTPSetupView is the data of totp.html: setting up an authenticator app.
type TOTPSetupView struct {
	Layout
	// Action is where the form posts (the account page, or the second
	// step of a sign-in); Token its form token; Pending the key being set
	// up, sealed (hidden field pending).
	Action, Token, Pending string
	// QRCode is the Key URI as an inline SVG; Secret the key in groups,
	// URI the otpauth:// Key URI, for typing in or copying.
	QRCode      template.HTML
	Secret, URI string
	// Account is the name the app shows.
	Account string
	// Required says the application being signed in to requires a second
	// factor; Cancel offers to give up (the sign-in) or go back (the
	// account page).
	Required bool
	Error    string
}

// RecoveryView is the data of recovery.html: the recovery codes, shown
// once.
type RecoveryView struct {
	Layout
	// Codes are the new codes; nil when they were shown already.
	Codes []string
	// Action and Token, when Action is set, are a form to continue the
	// sign-in (action=continue); else the page links to the account page.
	Action, Token string
}

// newEnrolment makes a key for u and the setup page showing it.
func (e *Endpoint) newEnrolment(u storage.User, kek []byte, now time.Time) (*TOTPSetupView, error) {
	key, err := totp.NewKey(e.pages.layout.ProductName, keyLabel(u))
	if err != nil {
		return nil, err
	}
	return e.enrolmentView(u, kek, key, now)
}

// accountName is the name of u's account in the authenticator app: the
// username, else the subject; keyLabel is it as the Key URI's label takes
// it (no colon, which separates the issuer).
func accountName(u storage.User) string {
	if u.Username == "" {
		return u.ID
	}
	return u.Username
}

func keyLabel(u storage.User) string { return strings.ReplaceAll(accountName(u), ":", "_") }

// enrolmentView is the setup page of key, sealed for the form with the
// time it was made.
func (e *Endpoint) enrolmentView(u storage.User, kek []byte, key totp.Key, now time.Time) (*TOTPSetupView, error) {
	plain := strconv.FormatInt(now.Unix(), 10) + ":" + key.Secret
	box, err := sealed.Seal(kek, u.ID, enrolAlg, []byte(plain))
	if err != nil {
		return nil, err
	}
	svg, err := totp.QRCodeSVG(key.URI)
	if err != nil {
		return nil, err
	}
	return &TOTPSetupView{
		Pending: encodeSealed(box), QRCode: template.HTML(svg), //nolint:gosec // drawn by totp.QRCodeSVG: no input but the URI, escaped
		Secret: totp.FormatSecret(key.Secret), URI: key.URI, Account: accountName(u),
	}, nil
}

// openEnrolment reads the key being set up from the form's pending field:
// ok false when it is not one this server sealed for u, or is too old.
func (e *Endpoint) openEnrolment(u storage.User, kek []byte, pending string, now time.Time) (totp.Key, bool) {
	box, ok := decodeSealed(pending)
	if !ok {
		return totp.Key{}, false
	}
	plain, err := sealed.Open(kek, u.ID, enrolAlg, box)
	if err != nil {
		return totp.Key{}, false
	}
	when, secret, ok := strings.Cut(string(plain), ":")
	sec, err := strconv.ParseInt(when, 10, 64)
	if !ok || err != nil || now.Sub(time.Unix(sec, 0)) > enrolLifetime {
		return totp.Key{}, false
	}
	return totp.Key{Secret: secret, URI: totp.KeyURI(e.pages.layout.ProductName, keyLabel(u), secret)}, true
}

// enrol checks code against the key being set up and, when right, turns
// TOTP on for user id with new recovery codes, in one UpdateUser; it
// returns the codes to show. A factorError is the person's to fix;
// users.ErrInvalidCredentials says the user is disabled.
func (e *Endpoint) enrol(ctx context.Context, id string, kek []byte, key totp.Key, code string, now time.Time) ([]string, error) {
	if kind, _ := parseFactor(code); kind != factorTOTP {
		return nil, factorError("Enter the 6-digit code the app shows for this account.")
	}
	step, err := totp.Verify(key.Secret, code, now, 0)
	if err != nil {
		return nil, factorError("That code is not right. Check that you added this key, and that the phone's clock is right, then enter the code the app shows now.")
	}
	box, err := sealed.Seal(kek, id, totpAlg, []byte(key.Secret))
	if err != nil {
		return nil, err
	}
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return nil, err
	}
	err = e.opts.Store.UpdateUser(ctx, id, func(u *storage.User) error {
		if u.Disabled {
			return users.ErrInvalidCredentials
		}
		if hasTOTP(*u) {
			return factorError("Two-step sign-in is on already (set up in another window). Turn it off first to set up another app.")
		}
		u.TOTPSecret, u.TOTPLastStep, u.RecoveryCodes = box, step, hashes
		return nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

func newRecoveryCodes() (codes, hashes []string, err error) {
	codes, err = totp.NewRecoveryCodes()
	if err != nil {
		return nil, nil, err
	}
	for _, c := range codes {
		h, err := totp.HashRecoveryCode(c)
		if err != nil {
			return nil, nil, err
		}
		hashes = append(hashes, h)
	}
	return codes, hashes, nil
}

// mfaAction runs an action of the account page's second factor section.
func (e *Endpoint) mfaAction(w http.ResponseWriter, r *http.Request, s *session.Session, action string) {
	ctx := r.Context()
	now := e.now()
	kek, err := e.kek()
	if err != nil {
		e.renderAccount(w, r, s, http.StatusConflict, "", "Two-step sign-in cannot be changed: "+err.Error())
		return
	}
	u, err := e.opts.Store.GetUser(ctx, s.Subject)
	if err != nil {
		e.serverError(w, r, "read your account", err)
		return
	}
	f := r.PostForm
	if (action == "totp-begin" || action == "totp-confirm") && !e.recentSignIn(s) {
		// A new authenticator app is a new way in: only from a recent
		// sign-in, at both ends of the setup.
		e.refuseOldSignIn(w, r, s, action)
		return
	}
	switch action {
	case "totp-begin":
		if hasTOTP(u) {
			e.accountDone(w, r, "totp-on")
			return
		}
		v, err := e.newEnrolment(u, kek, now)
		if err != nil {
			e.serverError(w, r, "make a key for your authenticator app", err)
			return
		}
		e.renderSetup(w, r, http.StatusOK, v, setupForm{Action: AccountPath, Token: s.Token(purposeAccount)}, "")
	case "totp-confirm":
		codes, stale := e.confirmSetup(w, r, u, kek, now, setupForm{Action: AccountPath, Token: s.Token(purposeAccount)})
		switch {
		case stale:
			e.renderAccount(w, r, s, http.StatusOK, "", "The setup took too long or the page was too old. Start again.")
		case codes != nil:
			e.render(w, r, http.StatusOK, "recovery.html", "Save your recovery codes", &RecoveryView{Codes: codes})
		}
	case "totp-disable", "recovery-regenerate":
		check, _, err := e.checkFactor(f.Get("code"), now)
		if err != nil {
			e.renderAccount(w, r, s, http.StatusOK, "", errText(err))
			return
		}
		var codes, hashes []string
		if action == "recovery-regenerate" {
			if codes, hashes, err = newRecoveryCodes(); err != nil {
				e.serverError(w, r, "make recovery codes", err)
				return
			}
		}
		if until := e.throttle.blocked(e.clientAddr(r), now); !until.IsZero() {
			e.renderAccount(w, r, s, http.StatusTooManyRequests, "", "Too many wrong codes from your network. Try again after "+until.UTC().Format("15:04 MST")+".")
			return
		}
		err = e.secondFactor(r, u.ID, now, func(u *storage.User) error {
			if err := check(u); err != nil {
				return err
			}
			if action == "totp-disable" {
				u.TOTPSecret, u.TOTPLastStep, u.RecoveryCodes = nil, 0, nil
			} else {
				u.RecoveryCodes = hashes
			}
			return nil
		})
		if err != nil {
			msg, until := factorMessage(err)
			if msg == "" {
				e.serverError(w, r, "check the code", err)
				return
			}
			if !until.IsZero() {
				msg += " Try again after " + until.UTC().Format("15:04 MST") + "."
			}
			e.renderAccount(w, r, s, http.StatusOK, "", msg)
			return
		}
		if action == "totp-disable" {
			e.accountDone(w, r, "totp-off")
			return
		}
		e.render(w, r, http.StatusOK, "recovery.html", "Save your recovery codes", &RecoveryView{Codes: codes})
	}
}

// secondFactor runs users.Authenticator.SecondFactor for user id with
// check, counting a wrong factor (or one tried during a lockout) toward
// the address throttle of r's client, as a wrong password is.
func (e *Endpoint) secondFactor(r *http.Request, id string, now time.Time, check func(*storage.User) error) error {
	_, err := e.opts.Users.SecondFactor(r.Context(), id, now, check)
	if errors.Is(err, users.ErrWrongFactor) || errors.Is(err, users.ErrLockedOut) {
		e.throttle.fail(e.clientAddr(r), now)
	}
	return err
}

// setupForm is where the form of the setup page posts: the account page,
// or the second step of a sign-in whose application requires a second
// factor (Required).
type setupForm struct {
	Action, Token string
	Required      bool
}

// renderSetup shows the setup page v, its form posting to f, with errMsg.
func (e *Endpoint) renderSetup(w http.ResponseWriter, r *http.Request, status int, v *TOTPSetupView, f setupForm, errMsg string) {
	v.Action, v.Token, v.Required, v.Error = f.Action, f.Token, f.Required, errMsg
	e.render(w, r, status, "totp.html", "Set up two-step sign-in", v)
}

// confirmSetup turns TOTP on for u when the setup form's code is right
// for the key in its pending field, and returns the new recovery codes.
// Otherwise it writes the answer (the setup page again with the error, for
// a wrong code) and returns nil; stale says that the pending key is not
// one this server made for u lately, which the caller answers.
func (e *Endpoint) confirmSetup(w http.ResponseWriter, r *http.Request, u storage.User, kek []byte, now time.Time, f setupForm) (codes []string, stale bool) {
	key, ok := e.openEnrolment(u, kek, r.PostForm.Get("pending"), now)
	if !ok {
		return nil, true
	}
	codes, err := e.enrol(r.Context(), u.ID, kek, key, r.PostForm.Get("code"), now)
	var fe factorError
	switch {
	case err == nil:
		return codes, false
	case errors.Is(err, users.ErrInvalidCredentials):
		e.cannotSignIn(w, r)
	case errors.As(err, &fe):
		v, err := e.enrolmentView(u, kek, key, now)
		if err != nil {
			e.serverError(w, r, "show the setup again", err)
			return nil, false
		}
		e.renderSetup(w, r, http.StatusOK, v, f, string(fe))
	default:
		e.serverError(w, r, "turn two-step sign-in on", err)
	}
	return nil, false
}

// errText is the message of a factorError, else a general one.
func errText(err error) string {
	var fe factorError
	if errors.As(err, &fe) {
		return string(fe)
	}
	return "Two-step sign-in cannot be checked: " + err.Error()
}
