package main

import (
	"slices"
	"strings"
	"testing"
)

// TestSuggestions: a mistyped command or flag names what was probably
// meant, and only that, with exit code 2 and nothing on stdout.
func TestSuggestions(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serv"}, `unknown command "serv" for "signet"; did you mean serve? (see signet --help)`},
		{[]string{"serv", "--listen", "127.0.0.1:0"}, `unknown command "serv" for "signet"; did you mean serve? (see signet --help)`},
		{[]string{"sever"}, `unknown command "sever" for "signet"; did you mean serve? (see signet --help)`},
		{[]string{"cert", "crate", "--subject", "CN=x"}, `unknown command "crate" for "signet cert"; did you mean create? (see signet cert --help)`},
		{[]string{"store", "lsit"}, `unknown command "lsit" for "signet store"; did you mean list? (see signet store --help)`},
		{[]string{"bogus"}, `unknown command "bogus" for "signet" (see signet --help)`},
		{[]string{"help", "serv"}, `unknown command "serv" for "signet"; did you mean serve? (see signet --help)`},
		{[]string{"help", "cert", "crate"}, `unknown command "crate" for "signet cert"; did you mean create? (see signet cert --help)`},
		{[]string{"serve", "--conifg", "signet.yaml"}, `unknown flag: --conifg; did you mean --config? (see signet serve --help)`},
		{[]string{"serve", "--conifg=signet.yaml"}, `unknown flag: --conifg; did you mean --config? (see signet serve --help)`},
		{[]string{"serve", "-config", "signet.yaml"}, `unknown shorthand flag: 'c' in -config; did you mean --config? (see signet serve --help)`},
		{[]string{"config", "check", "--confg", "signet.yaml"}, `unknown flag: --confg; did you mean --config? (see signet config check --help)`},
		{[]string{"cert", "create", "--password", "x"}, `unknown flag: --password; did you mean --password-env or --password-file? (see signet cert create --help)`},
		{[]string{"--bogus"}, `unknown flag: --bogus (see signet --help)`},
		{[]string{"serve", "-x"}, `unknown shorthand flag: 'x' in -x (see signet serve --help)`},
		// A token that starts with '-' (one of 64 random handles did,
		// before handles were drawn again).
		{[]string{"token", "revoke", "-FX8XgESF4OuCRVBy6i8bvZO2FxYr5vTwmZePBQpGkk", "--client", "web"},
			`unknown shorthand flag: 'F' in -FX8XgESF4OuCRVBy6i8bvZO2FxYr5vTwmZePBQpGkk: if that is a token that starts with '-', give it after -- (signet token revoke [flags] -- TOKEN), or on standard input as - (see signet token revoke --help)`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := c.run(tt.args...)
			if code != exitUsage || stdout != "" || stderr != "signet: "+tt.want+"\n" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, no stdout, stderr %q", code, stdout, stderr, "signet: "+tt.want+"\n")
			}
		})
	}
}

// TestHelpCommand: signet help COMMAND is COMMAND --help.
func TestHelpCommand(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, args := range [][]string{{"serve"}, {"cert", "create"}, {}} {
		_, want, _ := c.run(append(args, "--help")...)
		code, got, stderr := c.run(append([]string{"help"}, args...)...)
		if code != exitOK || got != want || stderr != "" {
			t.Errorf("signet help %s: exit %d, stderr %q, stdout equal to --help's: %v", strings.Join(args, " "), code, stderr, got == want)
		}
	}
}

func TestClosest(t *testing.T) {
	t.Parallel()
	names := []string{"serve", "cert", "secret", "store", "scope", "config", "client", "keys", "list", "listen", "token", "version"}
	tests := []struct {
		typed string
		want  []string
	}{
		{"serv", []string{"serve"}},    // a prefix, and one edit; cert is two
		{"conifg", []string{"config"}}, // two letters swapped: one edit
		{"lsit", []string{"list"}},     // the same
		{"lis", []string{"list", "listen"}},
		{"CONFIG", []string{"config"}}, // case is ignored
		{"sc", nil},                    // too short to guess
		{"bogus", nil},
		{"secrte", []string{"secret"}},
	}
	for _, tt := range tests {
		if got := closest(tt.typed, names); !slices.Equal(got, tt.want) {
			t.Errorf("closest(%q) = %q; want %q", tt.typed, got, tt.want)
		}
	}
}
