// Package logattr bounds the values a request can put in a log line or an
// error description: a client_id, a scope, a path, a kid. Whoever sends a
// request chooses their length, up to the request's own limits (64 KiB of
// body, 32 KiB of headers); without a bound, every such request would
// write a line that long.
package logattr

import (
	"log/slog"
	"strconv"
	"unicode/utf8"
)

const (
	// Max is the most bytes of one value kept: a few hundred, more than
	// any honest client_id, scope, kid or path needs.
	Max = 256
	// MaxText is the most bytes kept of a message built around such values
	// (an error, a reason), which holds a few of them.
	MaxText = 4 * Max
)

// String is slog.String with value cut to Max bytes (see Cut).
func String(key, value string) slog.Attr { return slog.String(key, cut(value, Max)) }

// Text is slog.String with value cut to MaxText bytes, for an error or a
// reason that quotes request values.
func Text(key, value string) slog.Attr { return slog.String(key, cut(value, MaxText)) }

// Cut returns s if it is at most Max bytes; otherwise its first Max bytes
// or fewer, ending on a UTF-8 boundary, marked with the original length:
// "abc...[cut: 61440 bytes]".
func Cut(s string) string { return cut(s, Max) }

func cut(s string, max int) string {
	if len(s) <= max {
		return s // the common case: no allocation
	}
	n := max
	// Back off to the start of a character, so that the kept part is
	// valid UTF-8 wherever s was (at most 3 bytes: a character is 4).
	for i := 0; i < utf8.UTFMax-1 && n > 0 && !utf8.RuneStart(s[n]); i++ {
		n--
	}
	return s[:n] + "...[cut: " + strconv.Itoa(len(s)) + " bytes]"
}
