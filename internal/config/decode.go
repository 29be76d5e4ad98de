package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxProblems stops decoding a file that is wrong everywhere (not a
// configuration at all): the first problems are enough to act on.
const maxProblems = 100

// maxJSONDepth bounds the nesting of a jwks value.
const maxJSONDepth = 32

// decoder walks a yaml.Node tree into a Config with reflection, matching
// keys to yaml tags case-insensitively, replacing ${VAR} in scalars,
// recording where every value is, and collecting problems instead of
// stopping at the first.
type decoder struct {
	file   string
	lookup func(string) (string, bool)
	pos    map[string]Position
	failed map[string]bool
	// env maps a path to the environment variables its value came from.
	env map[string][]string
	// files names the file of the nodes that came from a layered
	// appsettings.{Environment}.json; the others are file's.
	files map[*yaml.Node]string
	// overlay is the environment's file that was layered, if any.
	overlay string
	// section is the ASP.NET Core settings section being decoded
	// (IdentityServer, Signet), "" in a plain configuration file; display
	// maps a path to its spelling there.
	section string
	display map[string]string
	// warnings and notes are for the log: what Signet ignores, and why.
	warnings []Problem
	// clientRefusals are a client's properties that Signet cannot ignore,
	// which Validate reports for the clients it loads.
	clientRefusals []Problem
	notes          []string
	errs           Errors
	// sets counts the values decoded, so that a pointer can tell a value
	// given (even a zero one) from none.
	sets int
}

// problemf reports a problem with the value n at path, which Validate then
// leaves alone.
func (d *decoder) problemf(n *yaml.Node, path, format string, args ...any) {
	d.failed[path] = true
	d.keyProblemf(n, path, format, args...)
}

// keyProblemf reports a problem with a key n of the section at path
// (unknown, repeated): the section's values are still checked.
func (d *decoder) keyProblemf(n *yaml.Node, path, format string, args ...any) {
	switch count := len(d.errs.Problems); {
	case count > maxProblems:
		return
	case count == maxProblems:
		d.errs.Add(Problem{Pos: d.posOf(n), Msg: "too many problems; stopped here"})
		return
	}
	d.errs.Add(Problem{Pos: d.posOf(n), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// warnf notes something about n at path that does not stop the server:
// an IdentityServer property Signet ignores.
func (d *decoder) warnf(n *yaml.Node, path, format string, args ...any) {
	d.warnings = append(d.warnings, Problem{Pos: d.posOf(n), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// displayOf is how the settings file spells path ("" the section).
func (d *decoder) displayOf(path string) string {
	if path == "" {
		return d.section
	}
	return d.display[path]
}

func (d *decoder) full() bool { return len(d.errs.Problems) > maxProblems }

// posOf is where n is: its line in the file it came from (the base file,
// or an appsettings.{Environment}.json layered on it).
func (d *decoder) posOf(n *yaml.Node) Position {
	file := d.file
	if f, ok := d.files[n]; ok {
		file = f
	}
	return Position{File: file, Line: n.Line}
}

// record notes where the value at path is: the value's own line for a
// scalar, the key's line for a section or a list (where "key:" is written).
// In an ASP.NET Core settings file it also notes how the file spells the
// path (IdentityServer:Clients:0:ClientSecrets:0:Value), for messages.
func (d *decoder) record(path string, key, val *yaml.Node) {
	at := val
	if key != nil && val.Kind != yaml.ScalarNode {
		at = key
	}
	d.pos[path] = d.posOf(at)
	if d.section == "" {
		return
	}
	prefix := d.displayOf(parent(path))
	if key != nil {
		d.display[path] = prefix + ":" + key.Value
	} else {
		d.display[path] = prefix + ":" + path[strings.LastIndexByte(path, '[')+1:len(path)-1]
	}
}

var (
	timeType   = reflect.TypeFor[time.Time]()
	objectType = reflect.TypeFor[map[string]any]()
	configType = reflect.TypeFor[Config]()
	coreTags   = map[string]bool{
		"!!str": true, "!!int": true, "!!bool": true, "!!float": true,
		"!!null": true, "!!timestamp": true, "!!map": true, "!!seq": true,
	}
)

// plain reports problems with n itself that no field type accepts: anchors,
// aliases (refused so that nothing is ever expanded: no billion laughs) and
// tags other than YAML's core ones. It returns false when n must be
// skipped.
func (d *decoder) plain(n *yaml.Node, path string) bool {
	if n.Kind == yaml.AliasNode {
		d.problemf(n, path, "YAML aliases (*%s) are not supported: write the value out", n.Value)
		return false
	}
	if n.Anchor != "" {
		d.problemf(n, path, "YAML anchors (&%s) are not supported: write each value out", n.Anchor)
	}
	if n.ShortTag() == "!!merge" {
		d.problemf(n, path, "YAML merge keys (<<) are not supported: write each key out")
		return false
	}
	if tag := n.ShortTag(); !coreTags[tag] {
		d.problemf(n, path, "YAML tag %s is not supported", tag)
		return false
	}
	return true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node is for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return quoteShort(n.Value)
	}
	return "something else"
}

// describeAt is describe, except that a value where a secret or password
// belongs is not repeated: error messages go to logs and terminals.
func describeAt(n *yaml.Node, path string) string {
	if n.Kind == yaml.ScalarNode && sensitive(path) {
		return "a plain value"
	}
	return describe(n)
}

// sensitive reports whether path is, or is inside, a place for secrets:
// client secrets, passwords, the PKCS#11 PIN, the key-encryption key, and
// the database's connection string (or a scalar written where the storage
// section belongs, most likely one), which can hold a password.
func sensitive(path string) bool {
	p := strings.ToLower(path)
	return strings.Contains(p, "secrets") || strings.HasSuffix(p, "password") ||
		p == "storage" || strings.HasSuffix(p, "dsn") || strings.HasSuffix(p, "pin") ||
		strings.HasSuffix(p, "keyencryptionkey")
}

func quoteShort(s string) string {
	const limit = 40
	if len(s) > limit {
		i := limit
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		return strconv.Quote(s[:i]) + "..."
	}
	return strconv.Quote(s)
}

// value decodes n into v.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if d.full() || !d.plain(n, path) {
		return
	}
	d.into(n, v, path)
}

// into decodes n, checked by plain, into v.
func (d *decoder) into(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	switch t := v.Type(); {
	case t == timeType:
		d.time(n, v, path)
		return
	case t == objectType:
		d.jwks(n, v, path)
		return
	case t == durationType:
		d.duration(n, v, path)
		return
	case t == userClaimsType:
		d.userClaims(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		sets := d.sets
		d.into(n, nv.Elem(), path)
		// A section is kept even when empty or wrong, so that Validate
		// checks it (tls: {} needs certFile) and does not call it missing;
		// a scalar is kept when the file gave it, zero or not (enabled:
		// false, slot: 0, clientClaimsPrefix: ""), so that it is told from
		// one left out.
		if section := nv.Elem().Kind() == reflect.Struct && nv.Elem().Type() != timeType; section || d.sets > sets {
			v.Set(nv)
		}
	case reflect.Struct:
		d.mapping(n, v, path)
	case reflect.Slice:
		d.list(n, v, path)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
			d.sets++
		}
	case reflect.Bool:
		s, ok := d.scalar(n, path, "true or false")
		s = strings.TrimSpace(s)
		switch {
		case !ok || s == "":
		case strings.EqualFold(s, "true"):
			v.SetBool(true)
			d.sets++
		case strings.EqualFold(s, "false"):
			v.SetBool(false)
			d.sets++
		default:
			d.problemf(n, path, "expected true or false, got %s", quoteShort(s))
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		s, ok := d.scalar(n, path, "a whole number")
		if s = strings.TrimSpace(s); !ok || s == "" {
			return
		}
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		switch {
		case err == nil:
			v.SetInt(i)
			d.sets++
		case errors.Is(err, strconv.ErrRange):
			d.problemf(n, path, "number %s is out of range", quoteShort(s))
		default:
			d.problemf(n, path, "expected a whole number, got %s", quoteShort(s))
		}
	case reflect.Float64:
		s, ok := d.scalar(n, path, "a number")
		if s = strings.TrimSpace(s); !ok || s == "" {
			return
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.problemf(n, path, "expected a number such as 10 or 0.5, got %s", quoteShort(s))
			return
		}
		v.SetFloat(f)
		d.sets++
	default:
		d.problemf(n, path, "internal error: cannot decode into %s", v.Type())
	}
}

// scalar returns the text of a scalar with ${VAR} replaced. It reports a
// problem, saying that want was expected, when n is a list or a mapping.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.problemf(n, path, "expected %s, got %s", want, describe(n))
		return "", false
	}
	if d.lookup == nil { // tests of the parsing alone
		return n.Value, true
	}
	s, vars, err := expand(n.Value, d.lookup)
	if err != nil {
		d.problemf(n, path, "%v", err)
		return "", false
	}
	if len(vars) > 0 {
		d.env[path] = vars
	}
	return s, true
}

func (d *decoder) time(n *yaml.Node, v reflect.Value, path string) {
	s, ok := d.scalar(n, path, "a date")
	if s = strings.TrimSpace(s); !ok || s == "" {
		return
	}
	t, err := parseTime(s)
	if err != nil {
		d.problemf(n, path, "expected a date (2027-01-01), a date and time (2027-01-01T12:00:00, read as UTC) or an RFC 3339 time (2027-01-01T12:00:00Z, 2027-01-01T12:00:00+02:00), got %s", quoteShort(s))
		return
	}
	v.Set(reflect.ValueOf(t))
	d.sets++
}

// timeLayouts are the forms parseTime reads: ISO 8601 as .NET writes and
// reads dates (DateTime.ToString("s"), "o", and JSON), with the time and
// the zone optional. Fractional seconds are accepted after the seconds by
// time.Parse itself.
var timeLayouts = []string{
	time.DateOnly,
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
}

// parseTime reads a date (midnight UTC), a date and time without a zone
// (UTC, as IdentityServer compares secret expirations with the UTC clock),
// or one with Z or an offset.
func parseTime(s string) (time.Time, error) {
	var err error
	for _, layout := range timeLayouts {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		switch {
		case path == "clients" && n.Kind == yaml.MappingNode:
			d.problemf(n, path, "expected a list of clients, got a mapping: client profiles keyed by name (\"MyApp\": {\"Profile\": \"IdentityServerSPA\"}) are ASP.NET Core's ApiAuthorization format, which Signet does not read; list the clients as IdentityServer's configuration does:\n  \"Clients\": [ { \"ClientId\": \"myapp\", \"ClientSecrets\": [ { \"Value\": \"<\\\"secret\\\".Sha256()>\" } ], \"AllowedGrantTypes\": [ \"client_credentials\" ], \"AllowedScopes\": [ \"api1\" ] } ]")
		case strings.HasSuffix(path, ".secrets"):
			// Never repeat what may be a secret; show the shape instead.
			d.problemf(n, path, "expected a list of secrets, got %s: write each as an entry, e.g.\n  secrets:\n    - value: ${MYAPP_SECRET}", describeAt(n, path))
		case n.Kind == yaml.ScalarNode && n.Value != "" && v.Type().Elem().Kind() != reflect.Struct:
			d.problemf(n, path, "expected a list, got %s (write [%s])", describe(n), n.Value)
		default:
			d.problemf(n, path, "expected a list, got %s", describeAt(n, path))
		}
		return
	}
	if len(n.Content) == 0 {
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := path + "[" + strconv.Itoa(i) + "]"
		d.record(p, nil, item)
		d.value(item, s.Index(i), p)
	}
	v.Set(s)
}

// field is a struct field that the configuration file may set.
type field struct {
	name  string // the yaml tag: the canonical spelling
	index int
}

var fieldCache sync.Map // reflect.Type -> []field

func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fs = append(fs, field{name: name, index: i})
	}
	fieldCache.Store(t, fs)
	return fs
}

func names(fs []field) []string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.name
	}
	return s
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		if strings.HasSuffix(path, "]") && strings.Contains(path, ".secrets[") {
			d.problemf(n, path, "expected a secret entry, got %s: write it as\n  - value: ${MYAPP_SECRET}\nor, with what signet secret hash prints,\n  - hash: sha256$...", describeAt(n, path))
		} else {
			d.problemf(n, path, "expected a mapping (key: value lines), got %s", describeAt(n, path))
		}
		return
	}
	fields := fieldsOf(v.Type())
	seen := make(map[int]*yaml.Node)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if d.full() {
			return
		}
		if !d.plain(k, path) {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.keyProblemf(k, path, "a key must be a name, not %s", describe(k))
			continue
		}
		f, ok := lookupField(fields, k.Value)
		if !ok {
			d.unknown(k, val, path, v.Type(), fields)
			continue
		}
		p := join(path, f.name)
		if prev, dup := seen[f.index]; dup {
			if prev.Value == k.Value {
				d.keyProblemf(k, p, "%q is set twice (also at line %d)", k.Value, prev.Line)
			} else {
				d.keyProblemf(k, p, "%q and %q (line %d) are the same key: keys match case-insensitively", k.Value, prev.Value, prev.Line)
			}
			continue
		}
		seen[f.index] = k
		d.record(p, k, val)
		d.value(val, v.Field(f.index), p)
	}
}

func lookupField(fs []field, key string) (field, bool) {
	for _, f := range fs {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return field{}, false
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// unknown reports a key that matches no field of t: with the key meant when
// one is close, else with where the key belongs when it belongs to another
// section (a wrong indentation), else with the keys allowed here.
func (d *decoder) unknown(k, val *yaml.Node, path string, t reflect.Type, fields []field) {
	if d.identityServerProperty(k, val, path, t) {
		return
	}
	if d.section != "" {
		d.display[join(path, k.Value)] = d.displayOf(path) + ":" + k.Value
	}
	valid := names(fields)
	key := quoteShort(k.Value)
	if s := suggest(k.Value, valid); s != "" {
		d.keyProblemf(k, path, "unknown key %s; did you mean %q?", key, s)
		// The misspelt field is as good as one that failed to decode:
		// Validate must not also report its absence.
		d.failed[join(path, s)] = true
		return
	}
	if where := sections()[strings.ToLower(k.Value)]; len(where) > 0 {
		d.keyProblemf(k, path, "unknown key %s here: it belongs %s (check the indentation)", key, strings.Join(where, " or "))
		return
	}
	in := "here"
	if t == configType {
		in = "at the top level"
	}
	d.keyProblemf(k, path, "unknown key %s; the keys allowed %s are %s", key, in, strings.Join(valid, ", "))
}

// sections maps each key (lowercase) to where it belongs: "at the top
// level", "in key", "in clients[].secrets[]"; for unknown-key messages.
var sections = sync.OnceValue(func() map[string][]string {
	m := make(map[string][]string)
	var walk func(t reflect.Type, at string)
	walk = func(t reflect.Type, at string) {
		for _, f := range fieldsOf(t) {
			where := "in " + at
			if at == "" {
				where = "at the top level"
			}
			m[strings.ToLower(f.name)] = append(m[strings.ToLower(f.name)], where)
			ft := t.Field(f.index).Type
			suffix := ""
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				if ft.Kind() == reflect.Slice {
					suffix = "[]"
				}
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != timeType {
				walk(ft, join(at, f.name+suffix))
			}
		}
	}
	walk(configType, "")
	for _, v := range m {
		sort.Strings(v)
	}
	return m
})

// jwks decodes a JSON Web Key Set: a mapping, or a string holding its JSON
// (handy with jwks: ${CLIENT_JWKS}). Its values are what encoding/json
// gives (map[string]any, []any, string, float64, bool, nil), so that it can
// be marshalled again and given to a JWK parser.
func (d *decoder) jwks(n *yaml.Node, v reflect.Value, path string) {
	switch n.Kind {
	case yaml.ScalarNode:
		s, ok := d.scalar(n, path, "a mapping")
		if !ok || strings.TrimSpace(s) == "" {
			return
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			d.problemf(n, path, "expected a JSON Web Key Set, as a mapping or a string holding its JSON: %v", err)
			return
		}
		if m != nil {
			v.Set(reflect.ValueOf(m))
		}
	case yaml.MappingNode:
		if m, ok := d.jsonValue(n, path, 0).(map[string]any); ok {
			v.Set(reflect.ValueOf(m))
		}
	default:
		d.problemf(n, path, "expected a JSON Web Key Set (a mapping with keys: [...]), got %s", describe(n))
	}
}

// jsonChild is jsonValue for a node that plain has not checked yet.
func (d *decoder) jsonChild(n *yaml.Node, path string, depth int) any {
	if d.full() || !d.plain(n, path) {
		return nil
	}
	return d.jsonValue(n, path, depth)
}

// jsonValue converts n to a JSON-compatible value; nil after a problem.
func (d *decoder) jsonValue(n *yaml.Node, path string, depth int) any {
	if depth > maxJSONDepth {
		d.problemf(n, path, "nested more than %d levels deep", maxJSONDepth)
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		lines := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if !d.plain(k, path) {
				continue
			}
			if k.Kind != yaml.ScalarNode {
				d.problemf(k, path, "a key must be a string, not %s", describe(k))
				continue
			}
			p := join(path, k.Value)
			if line, dup := lines[k.Value]; dup {
				d.problemf(k, p, "%q is set twice (also at line %d)", k.Value, line)
				continue
			}
			lines[k.Value] = k.Line
			d.record(p, k, val)
			m[k.Value] = d.jsonChild(val, p, depth+1)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, item := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			d.record(p, nil, item)
			s[i] = d.jsonChild(item, p, depth+1)
		}
		return s
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil
		case "!!bool":
			return strings.EqualFold(n.Value, "true")
		case "!!int", "!!float":
			if f, ok := number(n.Value); ok {
				return f
			}
			d.problemf(n, path, "%s is not a number JSON can hold", quoteShort(n.Value))
			return nil
		}
		s, _ := d.scalar(n, path, "a string")
		return s
	}
	return nil
}

// number reads a YAML number (1, -2.5e3, 0x1F, 1_000) as encoding/json would
// hold it: a float64, which must be finite.
func number(s string) (float64, bool) {
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		return float64(i), true
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

var durationType = reflect.TypeOf(time.Duration(0))

// parseDuration is time.ParseDuration with days: "14d", "1d12h".
func parseDuration(s string) (time.Duration, error) {
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		return time.ParseDuration(s)
	}
	n, err := strconv.ParseUint(days, 10, 16)
	if err != nil || n > 10000 {
		return 0, fmt.Errorf("bad days %q", days)
	}
	dur := time.Duration(n) * 24 * time.Hour
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		dur += r
	}
	return dur, nil
}

// duration reads a Go duration ("5s", "1m30s") or a whole number of seconds.
func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	s, ok := d.scalar(n, path, "a duration")
	if s = strings.TrimSpace(s); !ok || s == "" {
		return
	}
	if secs, err := strconv.ParseInt(s, 10, 32); err == nil {
		v.SetInt(int64(time.Duration(secs) * time.Second))
		d.sets++
		return
	}
	dur, err := parseDuration(s)
	if err != nil {
		d.problemf(n, path, "expected a duration such as 5s, 2m, 1h30m or 14d (or a number of seconds), got %s", quoteShort(s))
		return
	}
	v.SetInt(int64(dur))
	d.sets++
}
