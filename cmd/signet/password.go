package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/signetid/signet/internal/certs"
)

// minPasswordLength is the length under which a new password gets a warning:
// a PFX is encrypted with only 2048 PBKDF2 iterations, for compatibility.
const minPasswordLength = 12

// maxPasswordFile bounds what is read of a password file.
const maxPasswordFile = 64 << 10

// newPasswordFlags are the flags that give the password of a file being
// written. A password is never a flag value: flags show in `ps` and in shell
// history.
type newPasswordFlags struct {
	file, env            string
	noPassword, insecure bool
}

func (p *newPasswordFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&p.file, "password-file", "", "read the new file's password from `FILE` (its first line)")
	fs.StringVar(&p.env, "password-env", "", "read the new file's password from environment variable `VAR`")
	fs.BoolVar(&p.noPassword, "no-password", false, "write the private key without a password (needs --insecure)")
	fs.BoolVar(&p.insecure, "insecure", false, "confirm --no-password")
}

// password returns the password for a new file named what, or "" for
// --no-password --insecure.
func (a *app) newPassword(p newPasswordFlags, what string) (string, error) {
	sources := 0
	for _, set := range []bool{p.file != "", p.env != "", p.noPassword} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		return "", usagef("give only one of --password-file, --password-env and --no-password")
	}
	switch {
	case p.noPassword && !p.insecure:
		return "", usagef("--no-password writes %s with its private key unprotected: add --insecure to confirm that this is what you want", what)
	case p.noPassword:
		return "", nil
	case p.insecure:
		return "", usagef("--insecure is only meaningful with --no-password")
	case p.file != "" || p.env != "":
		pw, err := a.readPasswordSource(p.file, p.env, "--password-file", "--password-env")
		if err != nil {
			return "", err
		}
		a.warnWeak(pw)
		return pw, nil
	case !a.term.IsTerminal():
		return "", usagef("no password for %s: give --password-file FILE or --password-env VAR (stdin is not a terminal, so signet cannot ask); for a file without a password, --no-password --insecure", what)
	}
	pw, err := a.askNewPassword(what, "type one, or use --no-password --insecure for a file without one", "nothing was written")
	if err != nil {
		return "", err
	}
	a.warnWeak(pw)
	return pw, nil
}

// askNewPassword asks on the terminal for the new password of what, twice
// so that a typing mistake is not what gets kept. ifEmpty is the advice for
// an empty one; undone (such as "nothing was written") says what the
// refusal of two different ones left undone.
func (a *app) askNewPassword(what, ifEmpty, undone string) (string, error) {
	pw, err := a.term.ReadPassword(fmt.Sprintf("Password for %s: ", what))
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if pw == "" {
		return "", errors.New("the password is empty: " + ifEmpty)
	}
	again, err := a.term.ReadPassword("Repeat the password: ")
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if again != pw {
		return "", errors.New("the passwords do not match: " + undone + "; run the command again")
	}
	return pw, nil
}

func (a *app) warnWeak(pw string) {
	if len([]rune(pw)) < minPasswordLength {
		fmt.Fprintf(a.stderr, "warning: the password has fewer than %d characters; PFX encryption is only as strong as its password (openssl rand -base64 24 makes a good one)\n", minPasswordLength)
	}
}

// existingPasswordFlags give the password of a file being read.
type existingPasswordFlags struct {
	file, env string
	prefix    string // "" or "in-"
}

func (p *existingPasswordFlags) register(fs *pflag.FlagSet, prefix string) {
	p.prefix = prefix
	fs.StringVar(&p.file, prefix+"password-file", "", "read the input's password from `FILE` (its first line)")
	fs.StringVar(&p.env, prefix+"password-env", "", "read the input's password from environment variable `VAR`")
}

// password returns a certs.Password for the file at path: it is consulted
// only if the file turns out to be protected, and then reads the flags or
// asks on the terminal.
func (a *app) existingPassword(p existingPasswordFlags, path string) certs.Password {
	return func() (string, error) {
		if p.file != "" && p.env != "" {
			return "", usagef("give only one of --%spassword-file and --%spassword-env", p.prefix, p.prefix)
		}
		if p.file != "" || p.env != "" {
			return a.readPasswordSource(p.file, p.env, "--"+p.prefix+"password-file", "--"+p.prefix+"password-env")
		}
		if !a.term.IsTerminal() {
			return "", passwordRequiredError{path, p.prefix}
		}
		return a.term.ReadPassword(fmt.Sprintf("Password for %s: ", path))
	}
}

func (a *app) readPasswordSource(file, env, fileFlag, envFlag string) (string, error) {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("%s: %w", fileFlag, err)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxPasswordFile+1))
		if err != nil {
			return "", fmt.Errorf("%s: %w", fileFlag, err)
		}
		if len(data) > maxPasswordFile {
			return "", fmt.Errorf("%s: %s is larger than %d KiB, which no password file is: is it the right file?", fileFlag, file, maxPasswordFile>>10)
		}
		line, _, _ := strings.Cut(string(data), "\n")
		line = strings.TrimSuffix(line, "\r")
		// Notepad used to start UTF-8 files with a byte order mark.
		line = strings.TrimPrefix(line, "\ufeff")
		if line == "" {
			return "", fmt.Errorf("%s: the first line of %s is empty; put the password there", fileFlag, file)
		}
		return line, nil
	}
	v, ok := a.lookupEnv(env)
	switch {
	case !ok:
		return "", fmt.Errorf("%s: environment variable %s is not set", envFlag, env)
	case v == "":
		return "", fmt.Errorf("%s: environment variable %s is empty", envFlag, env)
	}
	return v, nil
}

// passwordRequiredError says which flags give the password of a protected
// input; it is a certs.ErrPasswordRequired.
type passwordRequiredError struct{ path, prefix string }

func (e passwordRequiredError) Error() string {
	return fmt.Sprintf("%s is password-protected: give --%spassword-file FILE or --%spassword-env VAR (stdin is not a terminal, so signet cannot ask)", e.path, e.prefix, e.prefix)
}

func (e passwordRequiredError) Is(target error) bool { return target == certs.ErrPasswordRequired }
