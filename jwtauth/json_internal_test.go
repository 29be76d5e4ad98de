package jwtauth

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzObjectReader checks the strict JSON reader against encoding/json: it
// accepts exactly the valid JSON objects in UTF-8, and finds the same
// members with the same values.
func FuzzObjectReader(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{"a":1 "b":2}`, `{"a":[1,{"b":"}"}],"c":null}`,
		`{"\u0061":"\"\\\/\b\f\n\r\t\u00e9"}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":-0.5e+10,"b":0,"c":-1E3}`,
		`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":tru}`, `{"a":true,"b":false}`,
		`{"a":"` + "\x01" + `"}`, "{\"a\":\"\xff\"}", "{\"a\":\"\xed\xa0\x80\"}", `{"a":1}x`, `{"a":1}}`, `[1]`, `"s"`, ``,
		`{"a":[[[[[]]]]],"b":{"c":{"d":{}}}}`, `{"a":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) > maxDepth {
			return // deeper than the reader allows: a difference by design
		}
		var names []string
		var values [][]byte
		r, ok := newObjectReader(data)
		if ok {
			for {
				name, esc, vs, ve, ok := r.next()
				if !ok {
					break
				}
				names = append(names, memberName(name, esc))
				values = append(values, data[vs:ve])
			}
		}
		got := ok && r.valid()
		first := bytes.TrimLeft(data, " \t\r\n")
		want := json.Valid(data) && utf8.Valid(data) && len(first) > 0 && first[0] == '{'
		if got != want {
			t.Fatalf("reader says valid=%v, encoding/json %v: %q", got, want, data)
		}
		if !got {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		var wantNames []string
		var wantValues [][]byte
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			wantNames = append(wantNames, tok.(string))
			wantValues = append(wantValues, raw)
		}
		if !slices.Equal(names, wantNames) {
			t.Fatalf("names %q, encoding/json %q", names, wantNames)
		}
		for i := range values {
			if !bytes.Equal(values[i], wantValues[i]) {
				t.Fatalf("value %q, encoding/json %q", values[i], wantValues[i])
			}
		}
	})
}

// The values of arrays are found as encoding/json finds them.
func TestArrayReader(t *testing.T) {
	t.Parallel()
	b := []byte(` [ "a" , {"b":[1,2]} ,null,-1.5e3,"\"]"] `)
	r, _ := newArrayReader(b)
	var got []string
	for {
		vs, ve, ok := r.next()
		if !ok {
			break
		}
		got = append(got, string(b[vs:ve]))
	}
	want := []string{`"a"`, `{"b":[1,2]}`, `null`, `-1.5e3`, `"\"]"`}
	if !slices.Equal(got, want) {
		t.Errorf("elements %q, want %q", got, want)
	}
}
