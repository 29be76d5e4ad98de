package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/config"
)

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check the server's configuration",
		RunE:  runGroup,
	}
	var file string
	check := &cobra.Command{
		Use:   "check [--config FILE]",
		Short: "Validate everything the server would load, the signing credential included",
		Long: `Validate the configuration as "signet serve" would at startup: the file
itself (unknown keys, types, ${VAR} references), clients, scopes and
resources, and the signing and validation keys (found, readable, with a
private key that fits, strong enough). Every problem is listed, with its
file and line, and the same message startup would give.

Exit codes: 0 valid, 1 problems found, 2 wrong usage.`,
		Example: "  signet config check --config signet.yaml\n  SIGNET_CONFIG=signet.yaml signet config check",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.configCheck(file) },
	}
	check.Flags().StringVar(&file, "config", "", "configuration `FILE` (default $SIGNET_CONFIG)")
	cmd.AddCommand(check)
	return cmd
}

func (a *app) configCheck(flag string) error {
	path, err := config.Find(flag, a.lookupEnv)
	if err != nil {
		return err
	}
	if path == "" {
		return usagef("no configuration to check: give --config FILE or set SIGNET_CONFIG (without one, signet serve runs in development mode)")
	}
	svc, _, err := a.loadAndBuild(path)
	if err != nil {
		return err
	}
	cfg := svc.cfg
	for _, w := range svc.warnings {
		fmt.Fprintf(a.stderr, "warning: %s\n", w)
	}
	signer := svc.ring.Signer()
	fmt.Fprintf(a.stdout, "%s is valid.\n", cfg.File)
	fmt.Fprintf(a.stdout, "  signing key  %s (%s) from %s", signer.ID, signer.Algorithm, signer.Source)
	if sub := signer.Subject(); sub != "" {
		fmt.Fprintf(a.stdout, ", %s, expires %s", sub, signer.NotAfter().UTC().Format("2006-01-02"))
	}
	fmt.Fprintln(a.stdout)
	if n := len(svc.ring.Published()) - 1; n > 0 {
		fmt.Fprintf(a.stdout, "  also published  %d key(s)\n", n)
	}
	var ids []string
	for id := range svc.static.Clients {
		ids = append(ids, id)
	}
	fmt.Fprintf(a.stdout, "  clients      %d (%s)\n  scopes       %s\n", len(ids), strings.Join(sortedStrings(ids), ", "), strings.Join(svc.static.Scopes, ", "))
	return nil
}

func sortedStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
