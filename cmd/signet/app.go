package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/signetid/signet/internal/certstore"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed, or (doctor) found no usable credential
	exitUsage = 2 // the command line is wrong
)

// app is what every command needs from the outside world; tests build one
// with their own streams, environment, terminal and clock.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
	term           terminal
	now            func() time.Time
}

func newApp() *app {
	return &app{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		lookupEnv: os.LookupEnv,
		term:      stdinTerminal{in: os.Stdin, out: os.Stderr},
		now:       time.Now,
	}
}

func (a *app) storeEnv() certstore.Env {
	return certstore.Env{LookupEnv: a.lookupEnv}
}

// usageError marks a mistake in the command line (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// main runs one command line and returns the process exit code.
func (a *app) main(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var silent silentError
	if errors.As(err, &silent) {
		return silent.code
	}
	fmt.Fprintf(a.stderr, "signet: %v\n", err)
	var usage usageError
	if errors.As(err, &usage) || isCobraUsageError(err) {
		return exitUsage
	}
	return exitError
}

// silentError ends a command with an exit code after it has already said
// everything (doctor's report).
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// runGroup is the RunE of a command that only groups subcommands ("cert",
// "store"). Without it cobra prints the help and exits 0 for an unknown
// subcommand such as "signet cert crate".
func runGroup(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return unknownCommand(cmd, args[0])
	}
	return cmd.Help()
}

func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "required flag"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, " "+p) {
			return true
		}
	}
	return false
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "signet",
		Short: "An OpenID Connect and OAuth 2.0 token service whose signing keys are first-class",
		Long: `Signet is an OpenID Connect and OAuth 2.0 token service. It serves tokens
signed with a certificate it loads like IdentityServer, and it makes,
converts, inspects and stores those certificates on any OS, reading and
writing what OpenSSL, Windows and .NET read and write.

Start here:
  signet serve                  development mode: a token in a minute
  signet config init            write signet.yaml, ready to serve: a new
                                signing certificate, a scope and a client
  signet config check --config signet.yaml
  signet serve --config signet.yaml

Signing certificates:
  signet cert create --subject "CN=my-app-auth" --out my-app-auth.pfx
  signet store import my-app-auth.pfx
  signet cert doctor --config signet.yaml

Exit codes: 0 success, 1 failure, 2 wrong usage.`,
		Version: versionString(),
		// The root is a group too, so that an unknown command gets the
		// same suggestions as "signet cert crate" (cobra's own would
		// suggest cert for serv); see flagError for "serv --listen X".
		Args:          cobra.ArbitraryArgs,
		RunE:          runGroup,
		SilenceUsage:  true,
		SilenceErrors: true,
		CompletionOptions: cobra.CompletionOptions{
			HiddenDefaultCmd: true,
		},
	}
	root.SetVersionTemplate(`signet {{.Version}}` + fmt.Sprintf(" (%s, %s/%s)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH))
	root.SetFlagErrorFunc(flagError)
	root.SetHelpCommand(helpCommand())
	root.AddCommand(a.versionCommand(), a.serveCommand(), a.configCommand(), a.secretCommand(), a.tokenCommand(), a.certCommand(), a.storeCommand(), a.migrateCommand(), a.clientCommand(), a.scopeCommand(), a.resourceCommand(), a.keysCommand(), a.userCommand(), a.grantsCommand(), a.providerCommand())
	return root
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// terminal is the interactive side of stdin, for password prompts.
type terminal interface {
	// IsTerminal reports whether a person can be asked.
	IsTerminal() bool
	// ReadPassword shows prompt and reads a line without echo.
	ReadPassword(prompt string) (string, error)
	// ReadLine shows prompt and reads a line with echo, for questions.
	ReadLine(prompt string) (string, error)
}

type stdinTerminal struct {
	in  *os.File
	out io.Writer
}

func (t stdinTerminal) IsTerminal() bool { return term.IsTerminal(int(t.in.Fd())) }

// ReadLine reads byte by byte, so that nothing after the line is taken from
// stdin.
func (t stdinTerminal) ReadLine(prompt string) (string, error) {
	fmt.Fprint(t.out, prompt)
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := t.in.Read(b)
		if n == 1 && b[0] != '\n' {
			line = append(line, b[0])
		}
		if n == 1 && b[0] == '\n' || err != nil {
			if err == io.EOF && len(line) > 0 {
				err = nil
			}
			return strings.TrimSuffix(string(line), "\r"), err
		}
	}
}

// ReadPassword turns echo off while the password is typed. Ctrl-C would end
// the process with echo still off, leaving the shell typing blind, so an
// interrupt restores the terminal first, then exits as the shell expects
// (130).
func (t stdinTerminal) ReadPassword(prompt string) (string, error) {
	fd := int(t.in.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	defer func() {
		signal.Stop(interrupted)
		close(done)
	}()
	go func() {
		select {
		case <-interrupted:
			_ = term.Restore(fd, state)
			fmt.Fprintln(t.out)
			os.Exit(130)
		case <-done:
		}
	}()
	fmt.Fprint(t.out, prompt)
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(t.out)
	return string(pw), err
}
