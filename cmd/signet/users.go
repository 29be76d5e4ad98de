package main

// The users of the configuration (users:, IdentityServer's TestUsers) and
// the development user: checked with the rest of the configuration, and
// written to the database when serve starts (writeConfigUsers).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/signetid/signet/internal/claims"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/users"
	"github.com/signetid/signet/storage"
)

// checkUsers checks what internal/config cannot (it imports neither
// storage nor internal/users): each passwordHash parses as argon2id, each
// username is unique as storage compares them (case-insensitively, after
// NFKC), and the claims are what userinfo can read. Problems are at their
// place in the file; warnings are strings for the log. Users at a path
// skip reports (Load found fault with them) are left out.
func checkUsers(cfg *config.Config, skip func(path string) bool) (problems []config.Problem, warnings []string) {
	seen := map[string]string{}
	for i := range cfg.Users {
		u := &cfg.Users[i]
		path := fmt.Sprintf("users[%d]", i)
		if skip(path) {
			continue
		}
		if u.Username != "" {
			if err := storage.CheckKey("username", u.Username); err != nil {
				problems = append(problems, cfg.Problemf(path+".username", "%v", err))
			} else if norm := storage.NormalizeUsername(u.Username); seen[norm] != "" {
				problems = append(problems, cfg.Problemf(path+".username", "username %q is also the username of %s (line %d), as usernames are compared (case-insensitively): each user needs their own", u.Username, seen[norm], cfg.Pos(seen[norm]+".username").Line))
			} else {
				seen[norm] = path
			}
		}
		if u.SubjectID != "" {
			if err := storage.CheckKey("subjectId", u.SubjectID); err != nil {
				problems = append(problems, cfg.Problemf(path+".subjectId", "%v", err))
			}
		}
		if u.PasswordHash != "" {
			h, err := users.Parse(u.PasswordHash)
			switch {
			case err != nil:
				problems = append(problems, cfg.Problemf(path+".passwordHash", "%v", err))
			case h.Memory < users.DefaultParams.Memory || h.Time < users.DefaultParams.Time:
				warnings = append(warnings, cfg.Warnf(path+".passwordHash", "this hash was made with weaker argon2id parameters (m=%d,t=%d) than the server's (m=%d,t=%d): a sign-in upgrades it and the next start writes this one back; make it with signet user hash",
					h.Memory, h.Time, users.DefaultParams.Memory, users.DefaultParams.Time).String())
			}
		}
		if _, at, err := userRecord(u); err != nil {
			if at == "" {
				at = path + ".claims"
			}
			problems = append(problems, cfg.Problemf(at, "%v", err))
		}
	}
	return problems, warnings
}

// userRecord is the record of a configured user, without its password
// hash: name, email and email_verified go to the record's fields, the
// other claims to its Claims object. A claim that cannot be stored is an
// error, with the claim's place in the file when known.
func userRecord(u *config.User) (rec storage.User, at string, err error) {
	rec, i, err := userFields(u)
	if i >= 0 {
		at = u.Claims[i].Path
	}
	return rec, at, err
}

// userFields is userRecord; i is the index of the claim in error, or -1.
func userFields(u *config.User) (storage.User, int, error) {
	rec := storage.User{ID: u.SubjectID, Username: u.Username, Disabled: !u.Active()}
	rest := config.UserClaims{}
	for i, c := range u.Claims {
		switch c.Type {
		case "name", "email":
			s, ok := c.Value.(string)
			if !ok {
				return rec, i, fmt.Errorf("claim %s must be a string", c.Type)
			}
			if c.Type == "name" {
				rec.Name = s
			} else {
				rec.Email = s
			}
		case "email_verified":
			switch v := c.Value.(type) {
			case bool:
				rec.EmailVerified = v
			case string:
				if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
					return rec, i, fmt.Errorf("claim email_verified must be true or false, not %q", v)
				}
				rec.EmailVerified = strings.EqualFold(v, "true")
			default:
				return rec, i, errors.New("claim email_verified must be true or false")
			}
		case "sub", "preferred_username":
			return rec, i, fmt.Errorf("claim %s is the user's %s: remove it from the claims", c.Type, map[string]string{"sub": "subjectId", "preferred_username": "username"}[c.Type])
		default:
			if claims.Reserved(c.Type) {
				return rec, i, fmt.Errorf("claim %s is set by tokens themselves; a user cannot carry it", c.Type)
			}
			rest = append(rest, c)
		}
	}
	data, err := rest.JSON()
	if err != nil {
		return rec, -1, err
	}
	if _, err := claims.Decode(data); err != nil {
		return rec, -1, err
	}
	rec.Claims = data
	return rec, -1, nil
}

// usersWritten says what writeConfigUsers did.
type usersWritten struct {
	Created, Updated, Unchanged int
}

// writeConfigUsers writes the configuration's users (cfg.Users; in development
// mode the development user, which build puts there) to db, so that they
// sign in like the database's users: a user whose subjectId is not in the
// database is created; one that is gets the file's username, claims and
// isActive. The password is written only when it changed, so that the
// upgrade of a weak hash at sign-in is not undone at every start: a plain
// password is verified against the stored hash and rehashed only if it no
// longer matches; a passwordHash replaces the stored hash when the two
// differ. A changed password ends the user's sessions and refresh tokens,
// as signet user passwd does. Failed sign-ins and lockouts are kept.
//
// A configured user whose username a database user with another subject
// id has is an error naming both: serve refuses to start, as it does for a
// client defined in both places. Instances started at once with the same
// file may each find a user missing and create it: the one whose create
// fails goes on with the record the other wrote.
func writeConfigUsers(ctx context.Context, cfg *config.Config, db storage.Store, logger *slog.Logger) (usersWritten, error) {
	var done usersWritten
	for i := range cfg.Users {
		u := &cfg.Users[i]
		path := fmt.Sprintf("users[%d]", i)
		rec, _, err := userRecord(u)
		if err != nil { // build reported it already
			return done, cfg.Problemf(path, "%v", err)
		}
		clash := func() error {
			other, err := db.FindUserByUsername(ctx, u.Username)
			if err != nil {
				return fmt.Errorf("write user %q of the configuration: %w", u.Username, err)
			}
			return usernameClash{cfg.Problemf(path+".username", "username %q is taken in the database by another user (%s, subject %s): rename one of them, or remove the database's (signet user remove %s)", u.Username, other.Username, other.ID, other.ID), other}
		}
		stored, err := db.GetUser(ctx, u.SubjectID)
		if errors.Is(err, storage.ErrNotFound) {
			rec.PasswordHash = u.PasswordHash
			if u.Password != "" {
				rec.PasswordHash = users.Hash(u.Password)
			}
			created := db.CreateUser(ctx, rec)
			if created == nil {
				done.Created++
				continue
			}
			if !errors.Is(created, storage.ErrAlreadyExists) {
				return done, fmt.Errorf("write user %q of the configuration: %w", u.Username, created)
			}
			// Another instance starting with the same file may have
			// written this user since the read: then the record is
			// there under this subject id, and is compared below like
			// any stored one. Only a username of another subject is a
			// clash.
			if stored, err = db.GetUser(ctx, u.SubjectID); errors.Is(err, storage.ErrNotFound) {
				return done, clash()
			}
		}
		if err != nil {
			return done, fmt.Errorf("read user %q of the configuration: %w", u.Username, err)
		}
		newHash := ""
		switch {
		case u.PasswordHash != "" && u.PasswordHash != stored.PasswordHash:
			newHash = u.PasswordHash
		case u.Password != "":
			if ok, _, err := users.Verify(stored.PasswordHash, u.Password); err != nil || !ok {
				newHash = users.Hash(u.Password)
			}
		}
		if newHash == "" && sameUser(stored, rec) {
			done.Unchanged++
			continue
		}
		err = db.UpdateUser(ctx, u.SubjectID, func(s *storage.User) error {
			s.Username, s.Name, s.Email, s.EmailVerified, s.Claims, s.Disabled = rec.Username, rec.Name, rec.Email, rec.EmailVerified, rec.Claims, rec.Disabled
			if newHash != "" {
				s.PasswordHash = newHash
			}
			return nil
		})
		if errors.Is(err, storage.ErrAlreadyExists) {
			return done, clash()
		}
		if err != nil {
			return done, fmt.Errorf("update user %q of the configuration: %w", u.Username, err)
		}
		done.Updated++
		if newHash != "" || (rec.Disabled && !stored.Disabled) {
			sessions, err := db.DeleteSessions(ctx, u.SubjectID)
			if err == nil {
				var refresh int
				refresh, err = db.DeleteGrants(ctx, storage.PersistedGrantFilter{Subject: u.SubjectID, Type: storage.GrantRefreshToken})
				if logger != nil && sessions+refresh > 0 {
					logger.Info("the configuration changed a user's password or disabled them: their sessions and refresh tokens ended",
						slog.String("username", u.Username), slog.Int("sessions", sessions), slog.Int("refresh_tokens", refresh))
				}
			}
			if err != nil {
				return done, fmt.Errorf("end the sessions of user %q: %w", u.Username, err)
			}
		}
	}
	return done, nil
}

// sameUser reports whether stored already holds what the configuration
// gives rec (the password aside).
func sameUser(stored, rec storage.User) bool {
	return stored.Username == rec.Username && stored.Name == rec.Name && stored.Email == rec.Email &&
		stored.EmailVerified == rec.EmailVerified && stored.Disabled == rec.Disabled && sameJSON(stored.Claims, rec.Claims)
}

func sameJSON(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// usernameClash is a configured user whose username a database user with
// another subject id has.
type usernameClash struct {
	config.Problem
	other storage.User
}

// syncUsers is writeConfigUsers for serve: it logs what was done. In
// development mode (no configuration file), a database user named as the
// development user (made with signet user add, say) is a warning, not a
// reason to refuse to start: that user signs in instead.
func (a *app) syncUsers(ctx context.Context, cfg *config.Config, db storage.Store, logger *slog.Logger) error {
	if len(cfg.Users) == 0 {
		return nil
	}
	done, err := writeConfigUsers(ctx, cfg, db, logger)
	var clash usernameClash
	if cfg.File == "" && errors.As(err, &clash) {
		logger.Warn(fmt.Sprintf("the development user %s was not written: the database has a user of that name (subject %s), who signs in instead with their own password; signet user remove %s makes room for the development user at the next start",
			clash.other.Username, clash.other.ID, clash.other.ID))
		return nil
	}
	if err != nil {
		return err
	}
	msg := "users of the configuration written to the database"
	if cfg.File == "" {
		msg = "development user written to the database"
	}
	logger.Info(msg, slog.Int("created", done.Created), slog.Int("updated", done.Updated), slog.Int("unchanged", done.Unchanged))
	return nil
}
