package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/secret"
)

func (a *app) secretCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Generate and hash client secrets",
		Long: `Generate and hash client secrets for the clients section of the configuration.

A secret is 256 random bits. The configuration keeps only its hash:
sha256$<salt>$<digest>, a SHA-256 over a per-secret random salt and the
secret. A fast hash is enough for secrets that are machine-generated (nobody
can guess 2^256 values) and keeps the token endpoint fast; do not use it for
passwords people choose. IdentityServer's Sha256()/Sha512() hashes are
accepted too.`,
		RunE: runGroup,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "generate",
		Short: "Print a new random client secret and its hash",
		Long: `Print a new random client secret (256 bits, base64url) and its hash. Give the
secret to the client; put the hash in the configuration:

  clients:
    - clientId: myapp
      secrets:
        - hash: "sha256$..."`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s := secret.Generate()
			fmt.Fprintf(a.stdout, "secret: %s\nhash:   %s\n", s, secret.Hash(s))
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "hash",
		Short: "Hash a client secret read from stdin or a prompt",
		Long: `Hash a client secret: from stdin (its first line) when stdin is not a
terminal, else from a prompt (no echo).`,
		Example: "  signet secret hash < secret.txt\n  echo -n \"$MYAPP_SECRET\" | signet secret hash",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.secretHash() },
	})
	return cmd
}

func (a *app) secretHash() error {
	var s string
	if a.term.IsTerminal() {
		var err error
		if s, err = a.term.ReadPassword("Secret to hash: "); err != nil {
			return err
		}
	} else {
		line, err := bufio.NewReader(io.LimitReader(a.stdin, maxPasswordFile)).ReadString('\n')
		if err != nil && err != io.EOF {
			return err
		}
		s = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	}
	if s == "" {
		return usagef("the secret is empty: give it on stdin or at the prompt (signet secret generate makes one)")
	}
	fmt.Fprintln(a.stdout, secret.Hash(s))
	return nil
}
