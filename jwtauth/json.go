package jwtauth

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// A small strict reader for the top level of a JSON object (RFC 8259),
// used on token headers and claims. It validates the whole text as it goes
// (grammar, escapes, numbers, UTF-8), and gives each member's name and the
// extent of its value without decoding the values nobody reads: that is
// most of what encoding/json would cost next to a signature check.
// FuzzObjectReader checks it against encoding/json.

// maxDepth bounds the nesting of arrays and objects.
const maxDepth = 512

// objectReader iterates over the members of a JSON object.
type objectReader struct {
	b       []byte
	i       int
	started bool
	done    bool // the closing brace and only space after it were read
	bad     bool // the text is not valid JSON
}

// newObjectReader starts reading b; it reports false if b does not start
// (after space) with an object.
func newObjectReader(b []byte) (objectReader, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return objectReader{}, false
	}
	return objectReader{b: b, i: i + 1}, true
}

// next returns the next member: its name as it appears between the quotes
// (escaped reports whether it has backslash escapes), and its value as
// b[vs:ve]. ok is false after the last member, or at the first syntax
// error; then valid says which.
func (r *objectReader) next() (name []byte, escaped bool, vs, ve int, ok bool) {
	if r.done || r.bad {
		return nil, false, 0, 0, false
	}
	b := r.b
	i := skipSpace(b, r.i)
	switch {
	case i < len(b) && b[i] == '}':
		r.done = skipSpace(b, i+1) == len(b)
		r.bad = !r.done
		return nil, false, 0, 0, false
	case r.started:
		if i >= len(b) || b[i] != ',' {
			r.bad = true
			return nil, false, 0, 0, false
		}
		i = skipSpace(b, i+1)
	}
	r.started = true
	if i >= len(b) || b[i] != '"' {
		r.bad = true
		return nil, false, 0, 0, false
	}
	end, esc := scanString(b, i)
	if end < 0 {
		r.bad = true
		return nil, false, 0, 0, false
	}
	name, escaped = b[i+1:end-1], esc
	i = skipSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		r.bad = true
		return nil, false, 0, 0, false
	}
	vs = skipSpace(b, i+1)
	ve = scanValue(b, vs, 1)
	if ve < 0 {
		r.bad = true
		return nil, false, 0, 0, false
	}
	r.i = ve
	return name, escaped, vs, ve, true
}

// valid reports, after next returned false, whether the text was one valid
// JSON object.
func (r *objectReader) valid() bool { return r.done }

// arrayReader iterates over the elements of a JSON array that scanValue
// has validated.
type arrayReader struct {
	b []byte
	i int
}

func newArrayReader(b []byte) (arrayReader, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return arrayReader{}, false
	}
	return arrayReader{b: b, i: i + 1}, true
}

// next returns the next element as b[vs:ve].
func (r *arrayReader) next() (vs, ve int, ok bool) {
	b := r.b
	i := skipSpace(b, r.i)
	if i < len(b) && b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	if i >= len(b) || b[i] == ']' {
		return 0, 0, false
	}
	ve = scanValue(b, i, 1)
	if ve < 0 {
		return 0, 0, false
	}
	r.i = ve
	return i, ve, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanValue returns the index after the valid JSON value that starts at
// b[i], or -1.
func scanValue(b []byte, i, depth int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		end, _ := scanString(b, i)
		return end
	case c == '{' || c == '[':
		if depth > maxDepth {
			return -1
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1
		}
		for {
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return -1
				}
				if i, _ = scanString(b, i); i < 0 {
					return -1
				}
				if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
					return -1
				}
				i = skipSpace(b, i+1)
			}
			if i = scanValue(b, i, depth+1); i < 0 {
				return -1
			}
			if i = skipSpace(b, i); i >= len(b) {
				return -1
			}
			switch b[i] {
			case closer:
				return i + 1
			case ',':
				i = skipSpace(b, i+1)
			default:
				return -1
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		return scanNumber(b, i)
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	}
	return -1
}

func literal(b []byte, i int, lit string) int {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit)
	}
	return -1
}

// scanNumber returns the index after the number at b[i], or -1:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// scanString returns the index after the string that starts at b[i] (a
// quote), and whether it has escapes; -1 if it is not a valid string
// (unescaped control characters, a bad escape, invalid UTF-8, no end).
func scanString(b []byte, i int) (end int, escaped bool) {
	i++
	for i < len(b) {
		for i < len(b) && plainASCII[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1, escaped
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return -1, escaped
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return -1, escaped
				}
				i += 6
			default:
				return -1, escaped
			}
		case c < 0x20:
			return -1, escaped
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return -1, escaped
			}
			i += size
		}
	}
	return -1, escaped
}

// plainASCII tells the bytes that stand for themselves in a JSON string:
// printable ASCII but the quote and the backslash. It is built once and
// only read.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// memberName returns a member's name, unescaped when it has escapes.
func memberName(name []byte, escaped bool) string {
	if !escaped {
		return string(name)
	}
	quoted := make([]byte, 0, len(name)+2)
	quoted = append(append(append(quoted, '"'), name...), '"')
	s, _ := unquote(quoted) // valid: scanString accepted it
	return s
}

// stringValue returns the JSON string b[vs:ve] decoded. src is the same
// bytes as a string, so that a string without escapes is a substring of it
// rather than a new allocation. ok is false if the value is not a string.
func stringValue(src string, b []byte, vs, ve int) (s string, ok bool) {
	if ve-vs < 2 || b[vs] != '"' {
		return "", false
	}
	if bytes.IndexByte(b[vs+1:ve-1], '\\') < 0 {
		return src[vs+1 : ve-1], true
	}
	return unquote(b[vs:ve])
}

// stringBytes is stringValue for header values that are only compared: the
// raw bytes when there are no escapes, decoded bytes otherwise.
func stringBytes(b []byte, vs, ve int) ([]byte, bool) {
	if ve-vs < 2 || b[vs] != '"' {
		return nil, false
	}
	v := b[vs+1 : ve-1]
	if bytes.IndexByte(v, '\\') < 0 {
		return v, true
	}
	s, ok := unquote(bytes.Clone(b[vs:ve])) // a copy: b may be on the stack
	return []byte(s), ok
}

// unquote decodes a JSON string with escapes. It is apart so that the
// common path, without escapes, allocates nothing.
//
//go:noinline
func unquote(quoted []byte) (string, bool) {
	var s string
	err := json.Unmarshal(quoted, &s)
	return s, err == nil
}

func isNull(b []byte, vs, ve int) bool { return ve-vs == 4 && string(b[vs:ve]) == "null" }
