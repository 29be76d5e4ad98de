package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxKeyLen is the longest JSON key passed to the YAML parser, which reads
// keys of up to 1024 bytes.
const maxKeyLen = 1000

// jsonToYAML prepares a JSON file for the YAML parser, so that one decoder
// serves both formats with the same line numbers. JSON is YAML, nearly:
//
//   - comments (// and /* */) and trailing commas, which .NET's
//     appsettings.json reader allows, become spaces;
//   - the result is checked with encoding/json, whose messages are the ones
//     a JSON user expects;
//   - in strings, the escapes YAML lacks (\/, surrogate pairs) and the
//     characters it does not take as they are (DEL, C1 controls, U+2028,
//     invalid UTF-8, ...) are rewritten as escapes of the same value;
//   - white space between a key and its colon moves after the colon (a
//     YAML key is on one line), and tabs become spaces.
//
// Newlines stay where they are. It returns the line and message of a
// problem that stops the file from being read.
func jsonToYAML(src []byte) (out []byte, line int, msg string) {
	data := bytes.Clone(src)

	for i := 0; i < len(data); {
		switch {
		case data[i] == '"':
			i = stringEnd(data, i)
		case data[i] == '/' && i+1 < len(data) && data[i+1] == '/':
			for ; i < len(data) && data[i] != '\n'; i++ {
				data[i] = ' '
			}
		case data[i] == '/' && i+1 < len(data) && data[i+1] == '*':
			end := bytes.Index(data[i+2:], []byte("*/"))
			if end < 0 {
				return nil, lineAt(data, i), "a /* comment is not closed with */"
			}
			for end += i + 4; i < end; i++ {
				if data[i] != '\n' {
					data[i] = ' '
				}
			}
		default:
			i++
		}
	}
	for i := 0; i < len(data); {
		switch data[i] {
		case '"':
			i = stringEnd(data, i)
		case ',':
			if j := skipSpace(data, i+1); j < len(data) && (data[j] == '}' || data[j] == ']') {
				data[i] = ' '
			}
			i++
		default:
			i++
		}
	}

	start := skipSpace(data, 0)
	if start == len(data) {
		return nil, 0, "" // empty: an empty configuration, as in YAML
	}
	if data[start] != '{' {
		return nil, lineAt(data, start), "a JSON configuration is an object: it starts with {"
	}
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			return nil, lineAt(data, max(int(se.Offset)-1, 0)), "invalid JSON: " + se.Error()
		}
		return nil, 0, "invalid JSON: " + err.Error()
	}

	var b bytes.Buffer
	b.Grow(len(data) + len(data)/16)
	for i := 0; i < len(data); {
		switch c := data[i]; c {
		case '\t':
			b.WriteByte(' ')
			i++
		case '"':
			end := stringEnd(data, i)
			n := b.Len()
			writeString(&b, data[i+1:end-1])
			i = end
			if j := skipSpace(data, i); j < len(data) && data[j] == ':' {
				if b.Len()-n > maxKeyLen {
					return nil, lineAt(data, i), fmt.Sprintf("a key is longer than %d characters", maxKeyLen)
				}
				b.WriteByte(':')
				for _, c := range data[i:j] {
					if c == '\t' {
						c = ' '
					}
					b.WriteByte(c)
				}
				i = j + 1
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.Bytes(), 0, ""
}

// stringEnd returns the index after the JSON string that starts with the
// quote at data[i] (len(data) when it does not end).
func stringEnd(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

func lineAt(data []byte, offset int) int {
	return 1 + bytes.Count(data[:min(offset, len(data))], []byte{'\n'})
}

// writeString writes the content s of a valid JSON string as a YAML
// double-quoted string with the value encoding/json gives it.
func writeString(b *bytes.Buffer, s []byte) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		if s[i] == '\\' {
			switch s[i+1] {
			case '/':
				b.WriteByte('/')
				i += 2
			case 'u':
				r := hex4(s[i+2 : i+6])
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := utf8.RuneError
					if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r2 = hex4(s[i+2 : i+6])
					}
					if r = utf16.DecodeRune(r, r2); r != utf8.RuneError {
						i += 6
					}
				}
				writeEscape(b, r)
			default:
				b.Write(s[i : i+2])
				i += 2
			}
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if yamlPlain(r) && (r != utf8.RuneError || size > 1) {
			b.Write(s[i : i+size])
		} else {
			writeEscape(b, r)
		}
		i += size
	}
	b.WriteByte('"')
}

func hex4(h []byte) rune {
	n, _ := strconv.ParseUint(string(h), 16, 32)
	return rune(n)
}

func writeEscape(b *bytes.Buffer, r rune) {
	if r > 0xFFFF {
		fmt.Fprintf(b, `\U%08X`, r)
	} else {
		fmt.Fprintf(b, `\u%04X`, r)
	}
}

// yamlPlain reports whether r can be written as it is in a YAML
// double-quoted string: YAML's printable characters, less the ones that
// the parser takes for line breaks or a byte order mark.
func yamlPlain(r rune) bool {
	switch {
	case r == 0x2028 || r == 0x2029 || r == 0xFEFF:
		return false
	case 0x20 <= r && r <= 0x7E, 0xA0 <= r && r <= 0xD7FF, 0xE000 <= r && r <= 0xFFFD, 0x10000 <= r && r <= 0x10FFFF:
		return true
	}
	return false
}
