package config

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// String returns "file:line", "file" when the line is unknown, or "" when
// there is no file either.
func (p Position) String() string {
	switch {
	case p.File == "" && p.Line <= 0:
		return ""
	case p.Line <= 0:
		return p.File
	case p.File == "":
		return "line " + strconv.Itoa(p.Line)
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}

// Problem is one thing wrong with a configuration: where it is, the path of
// the value ("clients[0].secrets[1].hash", "" for the file as a whole) and
// what is wrong.
type Problem struct {
	Pos  Position
	Path string
	Msg  string
	// Display is Path as the file spells it, when that differs (in an
	// ASP.NET Core settings file: IdentityServer:Clients:0:ClientId);
	// String shows it instead of Path.
	Display string

	// cause is the error a Problem was made from by Join, for errors.Is.
	cause error
}

// String formats the problem as "file:line: path: message". The parts that
// are unknown are left out. A message of several lines keeps them, indented,
// so that each problem still starts on a line of its own.
func (p Problem) String() string {
	var b strings.Builder
	if pos := p.Pos.String(); pos != "" {
		b.WriteString(pos)
		b.WriteString(": ")
	}
	if p.Display != "" {
		b.WriteString(p.Display)
		b.WriteString(": ")
	} else if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(strings.ReplaceAll(strings.TrimRight(p.Msg, "\n"), "\n", "\n    "))
	return b.String()
}

// Error returns String, so that a single Problem can be returned as an
// error (such as MissingKeyProblem); Join keeps its position.
func (p Problem) Error() string { return p.String() }

// Errors is every problem found in a configuration. Load, Validate and Join
// return it (as an error) so that a user sees all problems at once; other
// packages add theirs with Add and Config.Problemf.
type Errors struct {
	Problems []Problem
}

// Error lists the problems, one a line, as "file:line: path: message".
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the errors that Join turned into problems, so that
// errors.Is and errors.As still see them.
func (e *Errors) Unwrap() []error {
	var causes []error
	for _, p := range e.Problems {
		if p.cause != nil {
			causes = append(causes, p.cause)
		}
	}
	return causes
}

// Add appends problems.
func (e *Errors) Add(p ...Problem) { e.Problems = append(e.Problems, p...) }

// Err returns nil when there is no problem, and otherwise e with its
// problems in file order (by file, then line; a problem without a line comes
// first, and problems on one line keep the order they were added in).
func (e *Errors) Err() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	slices.SortStableFunc(e.Problems, func(a, b Problem) int {
		return cmp.Or(strings.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line))
	})
	return e
}

// Join merges errors into one *Errors: the problems of every *Errors among
// them, each Problem, and each other error as a problem without a position
// (still reachable with errors.Is). Nil errors are skipped; Join returns nil when
// all are nil.
func Join(errs ...error) error {
	var all Errors
	for _, err := range errs {
		if err == nil {
			continue
		}
		if e, ok := errors.AsType[*Errors](err); ok {
			all.Add(e.Problems...)
			continue
		}
		if p, ok := errors.AsType[Problem](err); ok {
			all.Add(p)
			continue
		}
		all.Add(Problem{Msg: err.Error(), cause: err})
	}
	return all.Err()
}
