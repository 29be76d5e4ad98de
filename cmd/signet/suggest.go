package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// closest returns the candidates nearest to what was typed, for "did you
// mean": those at the smallest edit distance (a swap of two neighbouring
// letters is one edit, so "lsit" finds list and "conifg" config), where
// being a prefix of the candidate counts as one edit ("serv" for serve,
// "password" for password-file). Only the best are returned: "serv" is one
// edit from serve and two from cert, so serve alone is suggested. Short
// words get no suggestion beyond a prefix, since everything is near them.
func closest(typed string, candidates []string) []string {
	typed = strings.ToLower(typed)
	limit := 2
	switch n := len(typed); {
	case n < 3:
		return nil
	case n < 5:
		limit = 1
	}
	best, bestScore := []string(nil), limit+1
	for _, c := range candidates {
		score := editDistance(typed, strings.ToLower(c))
		if score > 1 && strings.HasPrefix(strings.ToLower(c), typed) {
			score = 1
		}
		switch {
		case score > limit || slices.Contains(best, c):
		case score < bestScore:
			best, bestScore = []string{c}, score
		case score == bestScore:
			best = append(best, c)
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b
// (Levenshtein with transpositions of neighbours), in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20 // not a typo of a command or flag name
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// didYouMean is "; did you mean X?" (or "X or Y", "X, Y or Z"), or "".
func didYouMean(suggestions []string) string {
	switch len(suggestions) {
	case 0:
		return ""
	case 1:
		return "; did you mean " + suggestions[0] + "?"
	}
	return "; did you mean " + strings.Join(suggestions[:len(suggestions)-1], ", ") + " or " + suggestions[len(suggestions)-1] + "?"
}

// unknownCommand is the error for a subcommand of cmd that does not exist,
// with the subcommands it may be a typo of.
func unknownCommand(cmd *cobra.Command, typed string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
			names = append(names, c.Aliases...)
		}
	}
	return usagef("unknown command %q for %q%s (see %s --help)", typed, cmd.CommandPath(), didYouMean(closest(typed, names)), cmd.CommandPath())
}

// flagError is every command's FlagErrorFunc: a usage error (exit 2) that
// points to the command's help and, for an unknown flag, names the flags it
// may be a typo of ("--conifg": --config; "-config", one dash: --config).
// A group's unknown flag after an unknown word is reported as the unknown
// command it is ("signet serv --listen :5000").
func flagError(c *cobra.Command, err error) error {
	if c.HasAvailableSubCommands() && len(c.Flags().Args()) > 0 {
		return unknownCommand(c, c.Flags().Args()[0])
	}
	var notExist *pflag.NotExistError
	if errors.As(err, &notExist) {
		typed := notExist.GetSpecifiedName()
		if short := notExist.GetSpecifiedShortnames(); short != "" {
			typed = short // "-config": a long name with one dash
		}
		var names []string
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, f.Name)
			}
		})
		suggestions := closest(typed, names)
		for i, s := range suggestions {
			suggestions[i] = "--" + s
		}
		if len(typed) >= 20 && len(suggestions) == 0 {
			// A token or handle that starts with '-', not a flag.
			return usageError{fmt.Errorf("%w: if that is a token that starts with '-', give it after -- (%s [flags] -- TOKEN), or on standard input as - (see %s --help)", err, c.CommandPath(), c.CommandPath())}
		}
		return usageError{fmt.Errorf("%w%s (see %s --help)", err, didYouMean(suggestions), c.CommandPath())}
	}
	return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
}

// helpCommand is "signet help [command]", which names what a mistyped
// command probably was, as the command itself would (cobra's own shows the
// root's help for "signet help serv", the root being a group that takes
// arguments).
func helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help for any command: signet help serve is signet serve --help.",
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil {
				return usageError{err}
			}
			if len(rest) > 0 {
				return unknownCommand(target, rest[0])
			}
			// As cobra's own help command: the flags --help would show.
			target.InitDefaultHelpFlag()
			target.InitDefaultVersionFlag()
			return target.Help()
		},
	}
}
