package config

import (
	"errors"
	"strings"
	"testing"
)

// env returns a lookupEnv over name/value pairs.
func env(kv ...string) func(string) (string, bool) {
	m := make(map[string]string)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// problems returns the problems of an *Errors (nil for nil) and fails the
// test for any other error.
func problems(t *testing.T, err error) []Problem {
	t.Helper()
	if err == nil {
		return nil
	}
	e, ok := errors.AsType[*Errors](err)
	if !ok {
		t.Fatalf("error %T is not an *Errors: %v", err, err)
	}
	return e.Problems
}

// expectProblems checks that the problems are exactly want, each given as
// the start of a problem's String() without the file name: "3: key.type:
// unknown key type".
func expectProblems(t *testing.T, file string, got []Problem, want ...string) {
	t.Helper()
	var lines []string
	for _, p := range got {
		lines = append(lines, strings.TrimPrefix(p.String(), file+":"))
	}
	ok := len(lines) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(lines[i], want[i])
	}
	if !ok {
		t.Errorf("problems:\n\t%s\nwant:\n\t%s", strings.Join(lines, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// parseYAMLText parses src as t.yaml, failing the test when the file cannot
// be parsed at all.
func parseYAMLText(t *testing.T, src string, lookup func(string) (string, bool)) (*Config, []Problem) {
	t.Helper()
	if lookup == nil {
		lookup = env()
	}
	c, err := parse("t.yaml", []byte(src), lookup)
	ps := problems(t, err)
	if c == nil {
		t.Fatalf("parse gave no config: %v", err)
	}
	return c, ps
}

// expectValidate parses src (t.yaml) and validates it: the problems of
// both, together, are want.
func expectValidate(t *testing.T, src string, want ...string) {
	t.Helper()
	c, ps := parseYAMLText(t, src, nil)
	ps = append(ps, problems(t, Join(c.Validate()))...)
	expectProblems(t, "t.yaml", problems(t, Join(&Errors{Problems: ps})), want...)
}
