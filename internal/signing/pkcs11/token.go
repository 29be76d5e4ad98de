//go:build pkcs11 && cgo

package pkcs11

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/pkcs11"
)

// token is the token Open picked.
type token struct {
	slot  uint
	label string
}

// findToken picks the token by label, slot, or both. When none matches, the
// error lists the tokens the module shows.
func findToken(m *module, cfg Config) (token, error) {
	if cfg.TokenLabel == "" && cfg.Slot == nil {
		return token{}, errors.New("no PKCS#11 token given: give its label or its slot")
	}
	if cfg.Slot != nil && *cfg.Slot < 0 {
		return token{}, fmt.Errorf("PKCS#11 slot %d: a slot ID is not negative", *cfg.Slot)
	}
	slots, err := m.ctx.GetSlotList(true)
	if err != nil {
		return token{}, fmt.Errorf("list the tokens of PKCS#11 module %s: %w", m.path, err)
	}
	var seen []string
	var found []token
	for _, slot := range slots {
		info, err := m.ctx.GetTokenInfo(slot)
		if err != nil {
			seen = append(seen, fmt.Sprintf("slot %d (unreadable: %v)", slot, err))
			continue
		}
		label := strings.TrimRight(info.Label, " \x00")
		if info.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			seen = append(seen, fmt.Sprintf("an uninitialised token (slot %d)", slot))
			continue
		}
		seen = append(seen, fmt.Sprintf("%q (slot %d)", label, slot))
		if cfg.Slot != nil && uint(*cfg.Slot) != slot {
			continue
		}
		if cfg.Slot != nil && cfg.TokenLabel != "" && label != cfg.TokenLabel {
			return token{}, fmt.Errorf("PKCS#11 slot %d holds token %q, not %q", slot, label, cfg.TokenLabel)
		}
		if cfg.Slot == nil && label != cfg.TokenLabel {
			continue
		}
		found = append(found, token{slot: slot, label: label})
	}
	what := fmt.Sprintf("token %q", cfg.TokenLabel)
	if cfg.Slot != nil {
		what = fmt.Sprintf("slot %d", *cfg.Slot)
		if cfg.TokenLabel != "" {
			what = fmt.Sprintf("token %q in slot %d", cfg.TokenLabel, *cfg.Slot)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		list := "it shows no tokens"
		if len(seen) > 0 {
			list = "tokens seen: " + strings.Join(seen, ", ")
		}
		return token{}, fmt.Errorf("no PKCS#11 %s in module %s; %s", what, m.path, list)
	default:
		var ss []string
		for _, t := range found {
			ss = append(ss, fmt.Sprint(t.slot))
		}
		return token{}, fmt.Errorf("%d PKCS#11 tokens are labelled %q in module %s (slots %s): give the slot too",
			len(found), cfg.TokenLabel, m.path, strings.Join(ss, ", "))
	}
}

// login logs the session's application in as the user. A login already done
// (by another Key on the same token) is fine.
func login(m *module, s pkcs11.SessionHandle, t token, pin string) error {
	err := m.ctx.Login(s, pkcs11.CKU_USER, pin)
	var code pkcs11.Error
	if err == nil || !errors.As(err, &code) {
		if err != nil {
			return fmt.Errorf("log in to PKCS#11 token %q: %w", t.label, err)
		}
		m.rememberLogin(t.slot, pin)
		return nil
	}
	switch code {
	case pkcs11.CKR_USER_ALREADY_LOGGED_IN:
		// The process is logged in already: the token did not check this
		// PIN, so compare it with the one that logged in.
		if !m.sameLogin(t.slot, pin) {
			return fmt.Errorf("log in to PKCS#11 token %q: wrong PIN (the token is logged in already, with another PIN)", t.label)
		}
		return nil
	case pkcs11.CKR_PIN_INCORRECT:
		return fmt.Errorf("log in to PKCS#11 token %q: wrong PIN: %w", t.label, err)
	case pkcs11.CKR_PIN_LOCKED:
		return fmt.Errorf("log in to PKCS#11 token %q: the PIN is locked (too many wrong PINs); the token's security officer must unlock it: %w", t.label, err)
	case pkcs11.CKR_PIN_LEN_RANGE:
		return fmt.Errorf("log in to PKCS#11 token %q: the PIN is too short or too long for this token: %w", t.label, err)
	case pkcs11.CKR_PIN_EXPIRED:
		return fmt.Errorf("log in to PKCS#11 token %q: the PIN has expired; set a new one with the token's tools: %w", t.label, err)
	case pkcs11.CKR_USER_PIN_NOT_INITIALIZED:
		return fmt.Errorf("log in to PKCS#11 token %q: the token has no user PIN yet; initialise it with the token's tools: %w", t.label, err)
	}
	return fmt.Errorf("log in to PKCS#11 token %q: %w", t.label, err)
}

// findObjects returns every object that matches the template.
func findObjects(m *module, s pkcs11.SessionHandle, template []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := m.ctx.FindObjectsInit(s, template); err != nil {
		return nil, err
	}
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := m.ctx.FindObjects(s, 64)
		if err != nil {
			_ = m.ctx.FindObjectsFinal(s)
			return nil, err
		}
		all = append(all, hs...)
		if len(hs) == 0 {
			break
		}
	}
	return all, m.ctx.FindObjectsFinal(s)
}

// keyRef names a key as its attributes do.
type keyRef struct {
	handle  pkcs11.ObjectHandle
	label   string
	id      []byte
	keyType uint
}

func (r keyRef) String() string {
	var parts []string
	if r.label != "" {
		parts = append(parts, fmt.Sprintf("%q", r.label))
	}
	if len(r.id) > 0 {
		parts = append(parts, "id "+hex.EncodeToString(r.id))
	}
	if len(parts) == 0 {
		parts = append(parts, "(no label, no id)")
	}
	return strings.Join(parts, " ")
}

// readRef reads a key's label, id and type.
func readRef(m *module, s pkcs11.SessionHandle, h pkcs11.ObjectHandle) (keyRef, error) {
	attrs, err := m.ctx.GetAttributeValue(s, h, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil),
		pkcs11.NewAttribute(pkcs11.CKA_ID, nil),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, nil),
	})
	if err != nil {
		return keyRef{}, err
	}
	r := keyRef{handle: h}
	for _, a := range attrs {
		switch a.Type {
		case pkcs11.CKA_LABEL:
			r.label = string(a.Value)
		case pkcs11.CKA_ID:
			r.id = a.Value
		case pkcs11.CKA_KEY_TYPE:
			r.keyType = ulong(a.Value)
		}
	}
	return r, nil
}

// findPrivateKey finds the one private key with the label and/or id. When
// none or several match, the error lists the private keys of the token.
func findPrivateKey(m *module, s pkcs11.SessionHandle, t token, cfg Config) (keyRef, error) {
	if cfg.KeyLabel == "" && len(cfg.KeyID) == 0 {
		return keyRef{}, errors.New("no PKCS#11 key given: give its label or its id")
	}
	template := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)}
	if cfg.KeyLabel != "" {
		template = append(template, pkcs11.NewAttribute(pkcs11.CKA_LABEL, cfg.KeyLabel))
	}
	if len(cfg.KeyID) > 0 {
		template = append(template, pkcs11.NewAttribute(pkcs11.CKA_ID, cfg.KeyID))
	}
	hs, err := findObjects(m, s, template)
	if err != nil {
		return keyRef{}, fmt.Errorf("find the key in PKCS#11 token %q: %w", t.label, err)
	}
	want := keyRef{label: cfg.KeyLabel, id: cfg.KeyID}.String()
	if len(hs) == 1 {
		r, err := readRef(m, s, hs[0])
		if err != nil {
			return keyRef{}, fmt.Errorf("read PKCS#11 key %s in token %q: %w", want, t.label, err)
		}
		return r, nil
	}
	if len(hs) > 1 {
		var refs []string
		for _, h := range hs {
			r, err := readRef(m, s, h)
			if err == nil {
				refs = append(refs, r.String())
			}
		}
		slices.Sort(refs)
		return keyRef{}, fmt.Errorf("%d private keys in PKCS#11 token %q match %s (%s): give the label and the id",
			len(hs), t.label, want, strings.Join(refs, ", "))
	}
	all, err := findObjects(m, s, template[:1])
	if err != nil {
		return keyRef{}, fmt.Errorf("no private key %s in PKCS#11 token %q (and listing its keys failed: %v)", want, t.label, err)
	}
	if len(all) == 0 {
		return keyRef{}, fmt.Errorf("no private key %s in PKCS#11 token %q: the token has no private keys (that this PIN can see)", want, t.label)
	}
	var refs []string
	for _, h := range all {
		if r, err := readRef(m, s, h); err == nil {
			refs = append(refs, r.String())
		}
	}
	slices.Sort(refs)
	return keyRef{}, fmt.Errorf("no private key %s in PKCS#11 token %q; private keys seen: %s", want, t.label, strings.Join(refs, ", "))
}

// ulong decodes a CK_ULONG attribute value (native byte order and size).
func ulong(b []byte) uint {
	switch len(b) {
	case 8:
		return uint(binary.NativeEndian.Uint64(b))
	case 4:
		return uint(binary.NativeEndian.Uint32(b))
	}
	return ^uint(0)
}

// pinHash is a salted hash of a PIN, kept instead of the PIN.
func (m *module) pinHash(pin string) [32]byte {
	h := sha256.New()
	h.Write(m.salt[:])
	h.Write([]byte(pin))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// rememberLogin records the PIN a slot was logged in with.
func (m *module) rememberLogin(slot uint, pin string) {
	m.loginsMu.Lock()
	defer m.loginsMu.Unlock()
	if m.logins == nil {
		m.logins = map[uint][32]byte{}
		rand.Read(m.salt[:])
	}
	m.logins[slot] = m.pinHash(pin)
}

// sameLogin reports whether pin is the one the slot was logged in with by
// this process, in constant time; true when the login was not ours (it
// cannot be checked).
func (m *module) sameLogin(slot uint, pin string) bool {
	m.loginsMu.Lock()
	defer m.loginsMu.Unlock()
	want, ok := m.logins[slot]
	if !ok {
		return true
	}
	got := m.pinHash(pin)
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}
