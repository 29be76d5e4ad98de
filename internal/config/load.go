package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxSize is the largest configuration file Load reads (1 MiB). A real
// configuration is a few kilobytes; the bound keeps a wrong path (a log
// file, /dev/zero) from eating memory.
const MaxSize = 1 << 20

// EnvConfig is the environment variable that names the configuration file
// when --config is not given.
const EnvConfig = "SIGNET_CONFIG"

// Find returns the configuration file to load: flagValue (from --config)
// when set, else $SIGNET_CONFIG when set and not empty, else "" for none
// (development mode). It checks that the file it returns exists and says
// where its name came from when it does not. lookupEnv nil means
// os.LookupEnv.
func Find(flagValue string, lookupEnv func(string) (string, bool)) (string, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	path, from := flagValue, "--config"
	if path == "" {
		v, _ := lookupEnv(EnvConfig)
		path, from = v, EnvConfig
	}
	if path == "" {
		return "", nil
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return "", fmt.Errorf("configuration file %q (from %s): %w", path, from, err)
	case fi.IsDir():
		return "", fmt.Errorf("configuration file %q (from %s) is a directory", path, from)
	}
	return path, nil
}

// Load reads the configuration file at path: YAML for .yaml and .yml, JSON
// for .json (where comments and trailing commas are allowed, as in an
// appsettings.json). Keys match the field names case-insensitively, ${VAR}
// in any value is replaced with lookupEnv(VAR) (nil means os.LookupEnv; $$
// is a literal $), and every problem is collected.
//
// The error is an *Errors listing every problem with its file and line,
// except when the file cannot be read at all: an extension that is not one
// of those, or an error from the os package (wrapped, for
// errors.Is(err, fs.ErrNotExist)). When the file could be parsed, Load
// returns the Config even along with problems, holding what could be
// decoded, so that the caller can Validate it too and report all problems
// at once:
//
//	cfg, err := config.Load(path, os.LookupEnv)
//	if cfg == nil {
//		return err
//	}
//	cfg.Defaults()
//	if err := config.Join(err, cfg.Validate()); err != nil {
//		return err // every problem, one a line, in file order
//	}
//
// Load does not fill in defaults (see Defaults) nor validate (see
// Validate).
func Load(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	if _, err := format(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return parseFile(path, data, lookupEnv, true)
}

// format returns "yaml" or "json" from the file's extension.
func format(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".yaml", ".yml":
		return "yaml", nil
	case ".json":
		return "json", nil
	case "":
		return "", fmt.Errorf("configuration file %q has no extension: name it .yaml, .yml or .json so that its format is known", path)
	default:
		return "", fmt.Errorf("configuration file %q: %q is not a configuration format: use .yaml, .yml or .json", path, ext)
	}
}

// parse is Load without the file system: name is the file name used in
// problems and picks the format by its extension.
func parse(name string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	return parseFile(name, data, lookupEnv, false)
}

// parseFile is parse, and with layered also reads the
// appsettings.{Environment}.json that ASP.NET Core layers on an
// appsettings.json.
func parseFile(name string, data []byte, lookupEnv func(string) (string, bool), layered bool) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	kind, err := format(name)
	if err != nil {
		return nil, err
	}
	fileProblem := func(line int, format string, args ...any) error {
		e := &Errors{}
		e.Add(Problem{Pos: Position{File: name, Line: line}, Msg: fmt.Sprintf(format, args...)})
		return e
	}
	if len(data) > MaxSize {
		return nil, fileProblem(0, "the file is larger than %d bytes (1 MiB): is it really a configuration file?", MaxSize)
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:] // a UTF-8 byte order mark, as Windows editors write
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}),
		bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF}):
		return nil, fileProblem(0, "the file is UTF-16 or UTF-32 encoded: save it as UTF-8")
	}
	if kind == "json" {
		var line int
		var msg string
		data, line, msg = jsonToYAML(data)
		if msg != "" {
			return nil, fileProblem(line, "%s", msg)
		}
	}
	root, line, msg := parseYAML(data)
	if msg != "" {
		return nil, fileProblem(line, "%s", msg)
	}

	c := &Config{File: name}
	d := decoder{
		file:    name,
		lookup:  lookupEnv,
		pos:     make(map[string]Position),
		failed:  make(map[string]bool),
		env:     make(map[string][]string),
		files:   make(map[*yaml.Node]string),
		display: make(map[string]string),
	}
	if layered && kind == "json" {
		var p *Problem
		if root, p = layer(name, root, &d, lookupEnv); p != nil {
			e := &Errors{}
			e.Add(*p)
			return nil, e
		}
	}
	switch {
	case settingsFile(root):
		d.settings(root, c)
	case root != nil:
		d.value(root, reflect.ValueOf(c).Elem(), "")
	}
	c.positions, c.failed, c.notes, c.overlay = d.pos, d.failed, d.notes, d.overlay
	if len(d.env) > 0 {
		c.env = d.env
	}
	if len(d.display) > 0 {
		c.display = d.display
	}
	c.loadWarnings, c.clientRefusals = d.warnings, d.clientRefusals
	for i := range d.errs.Problems {
		d.errs.Problems[i].Display = c.displayPath(d.errs.Problems[i].Path)
	}
	for i := range c.loadWarnings {
		c.loadWarnings[i].Display = c.displayPath(c.loadWarnings[i].Path)
	}
	for i := range c.clientRefusals {
		c.clientRefusals[i].Display = c.displayPath(c.clientRefusals[i].Path)
	}
	return c, d.errs.Err()
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses the one document of data. It returns the document's
// content (nil for an empty document), or the line and message of the
// problem that stopped it.
func parseYAML(data []byte) (root *yaml.Node, line int, msg string) {
	defer func() {
		// The parser reports its errors by panicking inside and recovering
		// in Decode; should anything else escape, it is a problem with this
		// file, not a crash of the server.
		if r := recover(); r != nil {
			root, line, msg = nil, 0, fmt.Sprintf("cannot parse the file: %v", r)
		}
	}()
	syntax := func(err error) (*yaml.Node, int, string) {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return nil, n, "syntax error: " + m[2]
		}
		return nil, 0, "syntax error: " + strings.TrimPrefix(err.Error(), "yaml: ")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, 0, ""
	} else if err != nil {
		return syntax(err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, next.Line, "a second YAML document (after ---) is not allowed: the configuration is one document"
	} else if !errors.Is(err, io.EOF) {
		return syntax(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, 0, ""
	}
	return doc.Content[0], 0, ""
}

// expand replaces ${NAME} in s with the value of the environment variable
// NAME and $$ with $; any other $ is kept. Values are not expanded again.
// A variable that is set but empty gives "". The errors never quote s,
// which may be a secret.
//
// It also returns the names of the variables it replaced, for messages
// that say where a value came from.
func expand(s string, lookup func(string) (string, bool)) (string, []string, error) {
	if !strings.Contains(s, "$") {
		return s, nil, nil
	}
	var b strings.Builder
	var missing, used []string
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i += 2
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", nil, fmt.Errorf("${ at character %d has no closing }; write $$ for a literal $", i+1)
			}
			name := s[i+2 : i+2+end]
			if err := checkVarName(name); err != nil {
				return "", nil, err
			}
			if v, ok := lookup(name); ok {
				b.WriteString(v)
				if !slices.Contains(used, name) {
					used = append(used, name)
				}
			} else if !slices.Contains(missing, name) {
				missing = append(missing, name)
			}
			i += end + 3
		default:
			b.WriteByte('$')
			i++
		}
	}
	switch len(missing) {
	case 0:
		return b.String(), used, nil
	case 1:
		return "", nil, fmt.Errorf("environment variable %s is not set", missing[0])
	}
	return "", nil, fmt.Errorf("environment variables %s are not set", strings.Join(missing, ", "))
}

func checkVarName(name string) error {
	if name == "" {
		return errors.New("${} names no environment variable")
	}
	if strings.Contains(name, ":-") || strings.Contains(name, ":=") {
		return errors.New("${NAME:-default} is not supported: set the variable, or write the value")
	}
	for _, r := range name {
		if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return fmt.Errorf("%s is not an environment variable name: use only letters, digits and _", quoteShort(name))
		}
	}
	return nil
}
