package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"github.com/signetid/signet/internal/config"
)

// readSecretFile reads a file the configuration names for a secret (a
// key's passwordFile, a client secret's valueFile, a PKCS#11 pinFile): its
// content without the trailing newline. setting names it in messages
// ("passwordFile"), holds says what it must hold ("the password"). The
// error says what is wrong and what to do (missing, not a regular file,
// too big, empty); the warning, if any, that other users can read it.
func readSecretFile(path, setting, holds string) (value, warning string, err error) {
	// Checked before it is opened: opening a FIFO for reading waits for a
	// writer, which would hang the server's start.
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", "", fmt.Errorf("%s %s does not exist (a relative path is relative to the configuration file's directory)", setting, path)
	case err != nil:
		return "", "", fmt.Errorf("%s: %w", setting, err)
	case !info.Mode().IsRegular():
		return "", "", fmt.Errorf("%s %s is not a regular file: give a file that holds %s", setting, path, holds)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", setting, err)
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return "", "", fmt.Errorf("%s: %w", setting, err)
	}
	if !info.Mode().IsRegular() { // replaced between the two looks
		return "", "", fmt.Errorf("%s %s is not a regular file: give a file that holds %s", setting, path, holds)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxPasswordFile+1))
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", setting, err)
	}
	if len(data) > maxPasswordFile {
		return "", "", fmt.Errorf("%s %s is larger than %d KiB, which no secret is: is it the right file?", setting, path, maxPasswordFile>>10)
	}
	value = strings.TrimRight(string(data), "\r\n")
	if value == "" {
		return "", "", fmt.Errorf("%s %s is empty: it must hold %s", setting, path, holds)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		warning = fmt.Sprintf("%s %s can be read by other users (mode %#o): chmod 600 it", setting, path, perm)
	}
	return value, warning, nil
}

// keyPassword is the password of a key section: password, or the content
// of passwordFile, with a warning when other users can read that file.
func keyPassword(k *config.Key) (password, warning string, err error) {
	if k.PasswordFile == "" {
		return k.Password, "", nil
	}
	return readSecretFile(k.PasswordFile, "passwordFile", "the password")
}
