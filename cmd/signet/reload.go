package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/signing"
)

// Live reload of the key set. Two things start one:
//
//   - SIGHUP re-reads the configuration file and applies its key and
//     validationKeys sections (and says which other sections changed: they
//     take a restart). This is how the steps of a rollover are applied.
//     With a Managed key it also syncs the managed keys at once, rather
//     than at the next poll of the database.
//   - A change of a credential the configuration in use names: the file of
//     a File key or of a validation key, the directory of a Store key's
//     store (a certificate imported or removed). It is found by polling
//     every keyPollInterval, and applied once it has held still for a whole
//     interval, so that a file being copied is not loaded half written: 1 to
//     2 intervals after the last write. The configuration file itself is
//     not watched: editing it takes several saves (a rollover's swap changes
//     key and validationKeys together), and a half-edited key set must not
//     go live; SIGHUP says when the edit is done.
//
// A reload that fails (a configuration with problems, a credential that
// does not load) logs why and leaves the keys in place; a failure is
// logged once, not at every poll, until something changes again. Requests
// in flight are not disturbed: the ring swaps its keys atomically.

// keyPollInterval is how often serve looks for a changed credential.
const keyPollInterval = 2 * time.Second

// keyReloader reloads a running server's key set.
type keyReloader struct {
	a      *app
	logger *slog.Logger
	ring   *signing.Ring
	// override applies the command line's --listen and --log-format to a
	// configuration read again, as serve did to the first.
	override func(*config.Config)
	// replaceValidation, when set, takes the validation keys for a key
	// type whose signing keys are not the reloader's to replace: a
	// Managed key set is the rotator's, and a reload must not touch it.
	// Whatever wires key.type Managed sets it; until then, a Managed key
	// set's validationKeys take a restart.
	replaceValidation func(validation []*signing.Key) error
	// syncManaged, when set, syncs the managed keys at once and gives them
	// to the ring (the manager's Run does, one sync at a time): SIGHUP
	// with a Managed key.
	syncManaged func() error
	// algorithms are those the discovery document was made with.
	algorithms []string

	// What the keys in use were loaded from; only run uses them.
	cfg     *config.Config
	keys    *loadedKeys
	seen    map[string]string // fingerprint per watched path, as last loaded
	pending map[string]string // a change seen at the last poll, not yet applied
}

// newKeyReloader starts from the configuration serve loaded; seen is what
// the watched credentials held before build loaded them (see
// watchedFingerprints), so that a change while starting is seen.
func (a *app) newKeyReloader(cfg *config.Config, svc *services, seen map[string]string, logger *slog.Logger, override func(*config.Config)) *keyReloader {
	return &keyReloader{a: a, logger: logger, ring: svc.ring, override: override, algorithms: svc.ring.Algorithms(),
		cfg: cfg, keys: svc.keys, seen: seen}
}

// reloadsSigning reports whether a reload loads the signing keys of the key
// type again. Development keys (made once, kept in the data directory) are
// loaded once; Managed keys change through storage, and others (a key in
// an HSM) stay as loaded at startup.
func reloadsSigning(keyType string) bool {
	return strings.EqualFold(keyType, config.KeyFile) || strings.EqualFold(keyType, config.KeyStore)
}

func isManaged(k *config.Key) bool { return k != nil && strings.EqualFold(k.Type, config.KeyManaged) }

// watchedFingerprints fingerprints the credentials cfg names.
func (a *app) watchedFingerprints(cfg *config.Config) map[string]string {
	loader := a.keyLoader(cfg)
	var paths []string
	if cfg.Key != nil && reloadsSigning(cfg.Key.Type) {
		paths = append(paths, loader.Watched(specOf(cfg.Key))...)
	}
	for i := range cfg.ValidationKeys {
		paths = append(paths, loader.Watched(specOf(&cfg.ValidationKeys[i]))...)
	}
	out := map[string]string{}
	for _, p := range paths {
		out[p] = signing.Fingerprint(p)
	}
	return out
}

// hangup is SIGHUP: it reads the configuration file again and applies its
// key sections. The error is for tests; it has been logged.
func (r *keyReloader) hangup() error {
	const trigger = "SIGHUP"
	if r.cfg.File == "" {
		r.logger.Info("SIGHUP: no configuration file to read again (development mode); the keys stay as they are")
		return nil
	}
	next, _, err := r.a.loadConfig(r.cfg.File)
	if err == nil && next.Key == nil {
		err = errors.New("the key section is missing")
	}
	if err != nil {
		return r.fail(trigger, fmt.Errorf("the configuration %s has problems: %w", r.cfg.File, err))
	}
	r.override(next)
	if from, to := r.cfg.Key.Type, next.Key.Type; !strings.EqualFold(from, to) && !(reloadsSigning(from) && reloadsSigning(to)) {
		return r.fail(trigger, fmt.Errorf("key.type changed from %s to %s: that takes a restart (a reload switches between File and Store only)", from, to))
	}
	if !reloadsSigning(next.Key.Type) && !reflect.DeepEqual(r.cfg.Key, next.Key) {
		// Managed and Pkcs11 signing keys are not reopened by a reload: a
		// changed section would be ignored in silence, and the rollover of
		// a Pkcs11 key would drop the new key from the JWKS.
		return r.fail(trigger, fmt.Errorf("the key section (type %s) changed: that takes a restart; a reload applies changes of validationKeys, and of key for File and Store keys", next.Key.Type))
	}
	var sync func() error
	if isManaged(next.Key) {
		sync = r.syncManaged
	}
	if err := r.apply(trigger, next, sync); err != nil {
		return err
	}
	if changed := restartSections(r.cfg, next); len(changed) > 0 {
		r.logger.Warn("SIGHUP applies key and validationKeys only: the other changes to the configuration take effect at the next restart", slog.Any("sections", changed))
	}
	r.cfg = next
	return nil
}

// run reloads on SIGHUP (hup, or a test's request on tests) and polls the
// credentials every interval, until ctx ends. It is the reloader's only
// goroutine: one reload at a time.
func (r *keyReloader) run(ctx context.Context, hup <-chan os.Signal, tests <-chan chan<- error, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = r.hangup()
		case done := <-tests:
			done <- r.hangup()
		case <-t.C:
			r.poll()
		}
	}
}

// poll applies a change of the watched credentials once it has held still
// since the previous poll.
func (r *keyReloader) poll() {
	now := r.a.watchedFingerprints(r.cfg)
	if maps.Equal(now, r.seen) {
		r.pending = nil
		return
	}
	if !maps.Equal(now, r.pending) {
		// Changed since the last poll: perhaps still being written.
		r.pending = now
		return
	}
	r.pending = nil
	var changed []string
	for p, fp := range now {
		if r.seen[p] != fp {
			changed = append(changed, p)
		}
	}
	slices.Sort(changed)
	_ = r.apply("changed "+strings.Join(changed, ", "), r.cfg, nil)
}

// apply loads the keys cfg names and makes them the ring's, logging one
// line: what changed, or that nothing did, or why the old keys stay. With
// sync (managed keys), it syncs them first, and the line says so and what
// the sync changed too.
func (r *keyReloader) apply(trigger string, cfg *config.Config, sync func() error) error {
	// Fingerprints first: a write during the load is seen at the next poll.
	seen := r.a.watchedFingerprints(cfg)
	if cfg == r.cfg {
		// Whatever the outcome, this state has been tried: a broken file
		// is reported once, and tried again when it changes.
		r.seen = seen
	}
	withSigning := reloadsSigning(cfg.Key.Type)
	keys, problems := r.a.loadKeys(cfg, nil, withSigning, false)
	if len(problems) > 0 {
		return r.fail(trigger, (&config.Errors{Problems: problems}).Err())
	}
	if !withSigning {
		keys.signing = r.keys.signing
	}
	before := r.ring.Signer()
	publishedBefore := ringKids(r.ring)
	managedKeys := ""
	if sync != nil {
		managedKeys = "synced"
		if err := sync(); err != nil {
			managedKeys = "not synced"
			r.logger.Error("managed keys not synced: the last ones keep serving", slog.String("trigger", trigger), slog.String("error", err.Error()))
		}
	}
	beforeKids := keyRoles(r.keys)
	afterKids := keyRoles(keys)
	same := slices.Equal(beforeKids, afterKids)
	switch {
	case isManaged(cfg.Key) && r.replaceValidation == nil:
		if !same {
			return r.fail(trigger, errors.New("the validationKeys of a Managed key set are read at startup only: restart to apply them"))
		}
	case isManaged(cfg.Key):
		if !same {
			if err := r.replaceValidation(keys.validation); err != nil {
				return r.fail(trigger, err)
			}
		}
	case !same:
		if err := r.ring.Replace(keys.signing, keys.validation, nil); err != nil {
			return r.fail(trigger, err)
		}
	}
	r.keys, r.seen = keys, seen
	after := r.ring.Signer()
	added, removed := kidsNotIn(afterKids, beforeKids), kidsNotIn(beforeKids, afterKids)
	published := ringKids(r.ring)
	attrs := []any{slog.String("trigger", trigger), slog.String("signer", after.ID)}
	if sync != nil {
		// The managed keys are not in keys: what the ring publishes says
		// what the sync changed.
		added, removed = kidsNotIn(published, publishedBefore), kidsNotIn(publishedBefore, published)
		same = len(added) == 0 && len(removed) == 0 && before.ID == after.ID
		attrs = append(attrs, slog.String("managed_keys", managedKeys))
	}
	if same {
		r.logger.Info("keys reloaded: no change", attrs...)
		return nil
	}
	for _, w := range keys.warnings {
		r.logger.Warn(w)
	}
	if before.ID != after.ID {
		attrs = append(attrs, slog.String("signer_was", before.ID))
	}
	if len(added) > 0 {
		attrs = append(attrs, slog.Any("added", added))
	}
	if len(removed) > 0 {
		attrs = append(attrs, slog.Any("removed", removed))
	}
	attrs = append(attrs, slog.Any("published", published))
	r.logger.Info("keys reloaded", attrs...)
	if algs := r.ring.Algorithms(); !slices.Equal(algs, r.algorithms) {
		r.logger.Warn("the published keys' algorithms changed: the discovery document lists the old ones until the next restart",
			slog.Any("discovery", r.algorithms), slog.Any("published", algs))
	}
	return nil
}

func (r *keyReloader) fail(trigger string, err error) error {
	r.logger.Error("keys not reloaded: the keys in use stay in place", slog.String("trigger", trigger), slog.String("error", err.Error()))
	return err
}

// keyRoles lists the keys as "kid role", signing keys first in their
// order of preference.
func keyRoles(k *loadedKeys) []string {
	var out []string
	for _, key := range k.signing {
		role := "signing"
		if key.Signer == nil {
			role = "published"
		}
		out = append(out, key.ID+" "+role)
	}
	for _, key := range k.validation {
		out = append(out, key.ID+" validation")
	}
	return out
}

// ringKids lists the kids the ring publishes.
func ringKids(ring *signing.Ring) []string {
	var out []string
	for _, k := range ring.Published() {
		out = append(out, k.ID)
	}
	return out
}

// kidsNotIn lists the kids of a that b lacks.
func kidsNotIn(a, b []string) []string {
	kid := func(s string) string { id, _, _ := strings.Cut(s, " "); return id }
	var out []string
	for _, s := range a {
		k := kid(s)
		if !slices.ContainsFunc(b, func(t string) bool { return kid(t) == k }) && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// restartSections lists the sections other than key and validationKeys
// that differ between two configurations, by their names in the file.
func restartSections(old, next *config.Config) []string {
	var out []string
	ov, nv := reflect.ValueOf(old).Elem(), reflect.ValueOf(next).Elem()
	t := ov.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" || name == "key" || name == "validationKeys" {
			continue
		}
		if !reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) {
			out = append(out, name)
		}
	}
	return out
}
