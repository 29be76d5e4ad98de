package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// An ASP.NET Core settings file (appsettings.json) holds IdentityServer's
// configuration in its IdentityServer section, beside the sections of
// ASP.NET itself and of the application. Signet reads such a file as it
// is: IdentityServer's section with IdentityServer's names (IssuerUri,
// Clients with ClientSecrets, ...), its own settings from a Signet section
// with the names of signet.yaml, and nothing else.
const (
	SectionIdentityServer = "IdentityServer"
	SectionSignet         = "Signet"
)

// identityServerFields are the fields of Config that IdentityServer's
// section may set, by IdentityServer's name (lowercase) to the field's.
var identityServerFields = map[string]string{
	"issueruri":          "issuer",
	"accesstokenjwttype": "accessTokenJwtType",
	"key":                "key",
	"clients":            "clients",
	"apiscopes":          "apiScopes",
	"apiresources":       "apiResources",
	"identityresources":  "identityResources",
	"users":              "users",
}

// settingsFile reports whether root is an ASP.NET Core settings file: a
// mapping with an IdentityServer or a Signet section.
func settingsFile(root *yaml.Node) bool {
	if root == nil || root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if k.Kind == yaml.ScalarNode && (strings.EqualFold(k.Value, SectionIdentityServer) || strings.EqualFold(k.Value, SectionSignet)) {
			return true
		}
	}
	return false
}

// settings decodes an ASP.NET Core settings file into c: the
// IdentityServer and Signet sections. Any other top-level section belongs
// to ASP.NET or to the application and is ignored, with a note naming it.
// A setting may be given in one of the two sections, not both.
func (d *decoder) settings(root *yaml.Node, c *Config) {
	v := reflect.ValueOf(c).Elem()
	fields := fieldsOf(configType)
	given := make(map[int]*yaml.Node) // field index -> the key that set it
	givenIn := make(map[int]string)
	sectionKey := make(map[string]*yaml.Node)
	var ignored, signetNames []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, val := root.Content[i], root.Content[i+1]
		if !d.plain(k, "") || k.Kind != yaml.ScalarNode {
			continue
		}
		var section string
		switch {
		case strings.EqualFold(k.Value, SectionIdentityServer):
			section = SectionIdentityServer
		case strings.EqualFold(k.Value, SectionSignet):
			section = SectionSignet
		default:
			if s := suggest(k.Value, []string{SectionIdentityServer, SectionSignet}); s != "" && !strings.EqualFold(k.Value, s) {
				d.keyProblemf(k, "", "unknown section %s; did you mean %s? (Signet reads the IdentityServer and Signet sections of an ASP.NET Core settings file)", quoteShort(k.Value), s)
				continue
			}
			if _, ok := lookupField(fields, k.Value); ok {
				signetNames = append(signetNames, k.Value)
			}
			ignored = append(ignored, k.Value)
			continue
		}
		if prev, dup := sectionKey[section]; dup {
			d.keyProblemf(k, "", "section %s is given twice (also at line %d): ASP.NET would merge them; write one", section, prev.Line)
			continue
		}
		sectionKey[section] = k
		if !d.plain(val, "") || isNull(val) {
			continue
		}
		if val.Kind != yaml.MappingNode {
			d.keyProblemf(val, "", "section %s must be a mapping of settings, got %s", section, describe(val))
			continue
		}
		d.section = section
		d.display[""] = section
		d.settingsSection(val, v, fields, section, given, givenIn)
		d.section = ""
	}
	if len(ignored) > 0 {
		note := fmt.Sprintf("%s: read the IdentityServer and Signet sections; ignored the other top-level sections, which belong to ASP.NET Core or the application: %s", d.file, strings.Join(ignored, ", "))
		if len(signetNames) > 0 {
			note += fmt.Sprintf(" (Signet's own settings, such as %s, go in the Signet section)", strings.Join(signetNames, ", "))
		}
		d.notes = append(d.notes, note)
	}
}

// settingsSection decodes one section into v, the Config.
func (d *decoder) settingsSection(n *yaml.Node, v reflect.Value, fields []field, section string, given map[int]*yaml.Node, givenIn map[int]string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if d.full() {
			return
		}
		if !d.plain(k, "") {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.keyProblemf(k, "", "a key must be a name, not %s", describe(k))
			continue
		}
		var f field
		var ok bool
		if section == SectionIdentityServer {
			name, known := identityServerFields[strings.ToLower(k.Value)]
			if known {
				f, ok = lookupField(fields, name)
			} else if _, signet := lookupField(fields, k.Value); signet {
				if strings.EqualFold(k.Value, "issuer") {
					d.keyProblemf(k, "", "IdentityServer's option for the issuer is IssuerUri (or give issuer in the Signet section)")
				} else {
					d.keyProblemf(k, "", "%s is Signet's own setting, not IdentityServer's: put it in the Signet section", quoteShort(k.Value))
				}
				continue
			} else if d.identityServerProperty(k, val, "", identityServerOptionsType) {
				continue
			} else {
				valid := []string{"IssuerUri", "AccessTokenJwtType", "Key", "Clients", "ApiScopes", "ApiResources", "IdentityResources"}
				if s := suggest(k.Value, valid); s != "" {
					d.keyProblemf(k, "", "unknown key %s; did you mean %q?", quoteShort(k.Value), s)
				} else {
					d.keyProblemf(k, "", "unknown key %s; Signet reads these of IdentityServer's section: %s (its own settings go in the Signet section)", quoteShort(k.Value), strings.Join(valid, ", "))
				}
				continue
			}
		} else {
			f, ok = lookupField(fields, k.Value)
			if !ok {
				d.unknown(k, val, "", configType, fields)
				continue
			}
		}
		if !ok {
			continue
		}
		if prev, dup := given[f.index]; dup {
			if givenIn[f.index] == section {
				d.keyProblemf(k, f.name, "%q is set twice (also at line %d)", k.Value, prev.Line)
			} else {
				d.keyProblemf(k, "", "%s is given in both the %s section (%s, line %d) and the %s section (%s): keep one", f.name, givenIn[f.index], prev.Value, prev.Line, section, k.Value)
			}
			continue
		}
		given[f.index], givenIn[f.index] = k, section
		d.record(f.name, k, val)
		d.value(val, v.Field(f.index), f.name)
	}
}

// displayPath spells path as the settings file does, for messages: the
// recorded spelling of its longest recorded part, then the rest in
// IdentityServer's style. "" when the file is not a settings file.
func (c *Config) displayPath(path string) string {
	if len(c.display) == 0 || path == "" {
		return ""
	}
	p := path
	for p != "" {
		if shown, ok := c.display[p]; ok {
			return shown + aspnetStyle(path[len(p):])
		}
		p = parent(p)
	}
	return ""
}

// aspnetStyle turns the rest of a path (".secrets[0].value") into
// ASP.NET's configuration key style (":Secrets:0:Value").
func aspnetStyle(rest string) string {
	var b strings.Builder
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			name := rest[:end]
			b.WriteString(":" + strings.ToUpper(name[:min(1, len(name))]) + name[min(1, len(name)):])
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				b.WriteString(rest)
				return b.String()
			}
			b.WriteString(":" + rest[1:end])
			rest = rest[end+1:]
		default:
			b.WriteString(rest)
			return b.String()
		}
	}
	return b.String()
}

// Environment variables that name the ASP.NET Core environment, in the
// order ASP.NET Core reads them (the first set wins), and the environment
// when neither is set.
var environmentVariables = []string{"ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"}

const defaultEnvironment = "Production"

// environmentFile returns the appsettings.{Environment}.json that ASP.NET
// Core would layer on path, and a note on how it was chosen; "" when path
// is not an appsettings.json.
func environmentFile(path string, lookup func(string) (string, bool)) (overlay, envName, from string) {
	if !strings.EqualFold(filepath.Base(path), "appsettings.json") {
		return "", "", ""
	}
	envName, from = defaultEnvironment, ""
	for _, name := range environmentVariables {
		if v, ok := lookup(name); ok && strings.TrimSpace(v) != "" {
			envName, from = strings.TrimSpace(v), name
			break
		}
	}
	if strings.ContainsAny(envName, `/\`) || envName == "." || envName == ".." {
		return "", envName, from
	}
	return filepath.Join(filepath.Dir(path), "appsettings."+envName+".json"), envName, from
}

// layer reads the appsettings.{Environment}.json beside an appsettings.json
// (as ASP.NET Core does: optional, its values over the base file's) and
// merges it into root. It returns the merged root, the problem that stopped
// the overlay from being read, and a note for the log.
func layer(base string, root *yaml.Node, d *decoder, lookup func(string) (string, bool)) (*yaml.Node, *Problem) {
	overlay, envName, from := environmentFile(base, lookup)
	if overlay == "" {
		if from != "" {
			return root, &Problem{Pos: Position{File: base}, Msg: fmt.Sprintf("%s=%q cannot name a settings file: use a plain name such as Production or Staging", from, envName)}
		}
		return root, nil
	}
	data, err := os.ReadFile(overlay)
	switch {
	case os.IsNotExist(err):
		if from != "" {
			d.notes = append(d.notes, fmt.Sprintf("%s is %s and there is no %s: only %s is read", from, envName, filepath.Base(overlay), base))
		}
		return root, nil
	case err != nil:
		return root, &Problem{Pos: Position{File: overlay}, Msg: fmt.Sprintf("read the environment's settings: %v", err)}
	}
	why := "the default environment"
	if from != "" {
		why = from + "=" + envName
	}
	d.notes = append(d.notes, fmt.Sprintf("read %s with %s layered on it (%s), as ASP.NET Core does", base, overlay, why))
	return layerData(root, overlay, data, d)
}

// layerData merges the settings file data, named overlay, into root.
func layerData(root *yaml.Node, overlay string, data []byte, d *decoder) (*yaml.Node, *Problem) {
	if len(data) > MaxSize {
		return root, &Problem{Pos: Position{File: overlay}, Msg: fmt.Sprintf("the file is larger than %d bytes (1 MiB): is it really a configuration file?", MaxSize)}
	}
	data, line, msg := jsonToYAML(trimBOM(data))
	if msg != "" {
		return root, &Problem{Pos: Position{File: overlay, Line: line}, Msg: msg}
	}
	over, line, msg := parseYAML(data)
	if msg != "" {
		return root, &Problem{Pos: Position{File: overlay, Line: line}, Msg: msg}
	}
	d.overlay = overlay
	if over == nil {
		return root, nil
	}
	// Merged key by key, a key given twice would silently be the last
	// one; in the base file it is a problem, and so it is here (ASP.NET
	// refuses such a file too).
	if k, prev := repeatedKey(over); k != nil {
		return root, &Problem{Pos: Position{File: overlay, Line: k.Line}, Msg: fmt.Sprintf("%q is set twice (also at line %d): keys match case-insensitively", k.Value, prev.Line)}
	}
	markFile(over, overlay, d.files)
	if root == nil {
		return over, nil
	}
	return mergeNodes(root, over), nil
}

// repeatedKey returns the first key of a mapping under n that the mapping
// has already (without regard to case), and the earlier one.
func repeatedKey(n *yaml.Node) (k, prev *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		seen := make(map[string]*yaml.Node, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			if key.Kind == yaml.ScalarNode {
				if p, dup := seen[strings.ToLower(key.Value)]; dup {
					return key, p
				}
				seen[strings.ToLower(key.Value)] = key
			}
		}
	}
	for _, c := range n.Content {
		if k, prev := repeatedKey(c); k != nil {
			return k, prev
		}
	}
	return nil, nil
}

// trimBOM drops a UTF-8 byte order mark.
func trimBOM(data []byte) []byte {
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return data[3:]
	}
	return data
}

// markFile notes that n and everything under it came from file.
func markFile(n *yaml.Node, file string, files map[*yaml.Node]string) {
	files[n] = file
	for _, c := range n.Content {
		markFile(c, file, files)
	}
}

// mergeNodes merges over into base as ASP.NET Core's configuration does:
// a key is a path (IdentityServer:Clients:0:ClientId), matched without
// regard to case, and a later file's value replaces the earlier one's.
// Mappings merge by key, lists by index, and anything else is replaced.
func mergeNodes(base, over *yaml.Node) *yaml.Node {
	switch {
	case base.Kind == yaml.MappingNode && over.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(over.Content); i += 2 {
			k, val := over.Content[i], over.Content[i+1]
			j := slices.IndexFunc(mappingKeys(base), func(bk *yaml.Node) bool {
				return bk.Kind == yaml.ScalarNode && k.Kind == yaml.ScalarNode && strings.EqualFold(bk.Value, k.Value)
			})
			if j < 0 {
				base.Content = append(base.Content, k, val)
				continue
			}
			base.Content[2*j+1] = mergeNodes(base.Content[2*j+1], val)
		}
		return base
	case base.Kind == yaml.SequenceNode && over.Kind == yaml.SequenceNode:
		for i, item := range over.Content {
			if i < len(base.Content) {
				base.Content[i] = mergeNodes(base.Content[i], item)
			} else {
				base.Content = append(base.Content, item)
			}
		}
		return base
	}
	return over
}

func mappingKeys(n *yaml.Node) []*yaml.Node {
	keys := make([]*yaml.Node, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i])
	}
	return keys
}

// isProperty describes an IdentityServer property that Signet does not
// implement: what IdentityServer does by default (a value equal to it
// changes nothing, and is accepted without a word), and what Signet does
// instead. A value other than the default is a warning, or, when ignoring
// it would give a client something IdentityServer would not (a bearer
// token where it required proof of possession), an error.
type isProperty struct {
	// defaults are the values, written as the file would (lowercase), that
	// mean IdentityServer's default; "" stands for an empty value, an
	// empty list or mapping, and null.
	defaults []string
	advice   string
	refuse   bool
}

// identityServerOptionsType stands for IdentityServer's own options (the
// section's top level) in identityServerProperties.
var identityServerOptionsType = reflect.TypeFor[struct{ identityServerOptions bool }]()

const (
	signInAdvice  = "is a sign-in feature Signet does not offer (it signs people in with the authorization code flow, PKCE and its own login page); ignored"
	refreshAdvice = "is not offered for Signet's refresh tokens, whose access tokens keep the claims of the login; ignored"
)

func signIn(defaults ...string) isProperty {
	return isProperty{defaults: defaults, advice: signInAdvice}
}
func refresh(defaults ...string) isProperty {
	return isProperty{defaults: defaults, advice: refreshAdvice}
}
func ignoredOption(advice string) isProperty {
	return isProperty{advice: advice}
}

// identityServerProperties are IdentityServer's properties that Signet
// does not implement, per configuration type, by lowercase name.
var identityServerProperties = map[reflect.Type]map[string]isProperty{
	reflect.TypeFor[Client](): {
		"protocoltype":                      {defaults: []string{"oidc", ""}, advice: "Signet speaks OpenID Connect and OAuth 2.0 (oidc) only", refuse: true},
		"requirerequestobject":              signIn("false", ""),
		"allowaccesstokensviabrowser":       signIn("false", ""),
		"frontchannellogouturi":             signIn(""),
		"frontchannellogoutsessionrequired": signIn("true", ""),
		"backchannellogouturi":              signIn(""),
		"backchannellogoutsessionrequired":  signIn("true", ""),
		"consentlifetime":                   signIn(""),
		"enablelocallogin":                  signIn("true", ""),
		"identityproviderrestrictions":      signIn(""),
		"pairwisesubjectsalt":               signIn(""),
		"userssolifetime":                   signIn(""),
		"coordinatelifetimewithusersession": signIn(""),
		"initiateloginuri":                  signIn(""),
		"requirepushedauthorization":        signIn("false", ""),
		"pushedauthorizationlifetime":       signIn(""),
		"updateaccesstokenclaimsonrefresh":  refresh("false", ""),
		"usercodetype":                      {defaults: []string{""}, advice: "is for the device flow, which Signet does not offer; ignored"},
		"devicecodelifetime":                {defaults: []string{"300", ""}, advice: "is for the device flow, which Signet does not offer; ignored"},
		"cibalifetime":                      {defaults: []string{""}, advice: "is for CIBA, which Signet does not offer; ignored"},
		"pollinginterval":                   {defaults: []string{""}, advice: "is for CIBA, which Signet does not offer; ignored"},
		"includejwtid":                      {defaults: []string{"true", ""}, advice: "Signet always puts a jti in access tokens (RFC 9068); ignored"},
		"requiredpop":                       {defaults: []string{"false", ""}, advice: "DPoP (proof-of-possession tokens) is not supported: Signet would issue bearer tokens to a client that must get bound ones; keep this client on IdentityServer, or remove RequireDPoP", refuse: true},
		"dpopvalidationmode":                {defaults: []string{"jktclaim", "1", ""}, advice: "is for DPoP, which Signet does not support; ignored"},
		"dpopclockskew":                     {defaults: []string{"00:05:00", ""}, advice: "is for DPoP, which Signet does not support; ignored"},
		"properties":                        {defaults: []string{""}, advice: "custom properties are not used by Signet; ignored"},
	},
	reflect.TypeFor[APIScope](): {

		"showindiscoverydocument": {defaults: []string{"true", ""}, advice: "Signet lists every enabled API scope in the discovery document; ignored"},
		"properties":              {defaults: []string{""}, advice: "custom properties are not used by Signet; ignored"},
	},
	reflect.TypeFor[APIResource](): {
		"allowedaccesstokensigningalgorithms": {defaults: []string{""}, advice: "Signet signs every access token with its signing key's algorithm (key.algorithm, or the first of a Managed key's signingAlgorithms): check that it is one this API accepts; ignored"},
		"requireresourceindicator":            {defaults: []string{"false", ""}, advice: "resource indicators (RFC 8707) are not supported: a token's aud lists every API resource that holds one of its scopes; ignored"},
		"showindiscoverydocument":             {defaults: []string{"true", ""}, advice: "API resources are not listed in discovery; ignored"},
		"properties":                          {defaults: []string{""}, advice: "custom properties are not used by Signet; ignored"},
	},
	reflect.TypeFor[IdentityResource](): {
		"showindiscoverydocument": {defaults: []string{"true", ""}, advice: "Signet lists every identity resource in the discovery document; ignored"},
		"properties":              {defaults: []string{""}, advice: "custom properties are not used by Signet; ignored"},
	},
	reflect.TypeFor[Secret](): {
		"type": {advice: "Signet's secrets have no type: each value is the plain secret (hash: for a hash); IdentityServer's secrets, whose Value is a hash and which have a Type, go in clientSecrets", refuse: true},
	},
	identityServerOptionsType: {
		"lowercaseissueruri":                    {defaults: []string{"true", ""}, advice: "Signet uses the issuer exactly as configured (IssuerUri), and lowercases one derived from the request's host; ignored"},
		"emitstaticaudienceclaim":               {defaults: []string{"false", ""}, advice: "Signet puts <issuer>/resources in aud only when no API resource holds one of the token's scopes; an API that expects it in every token must expect its API resource's name instead; ignored"},
		"emitscopesasspacedelimitedstringinjwt": {defaults: []string{"true"}, advice: "Signet writes scope as one space-delimited string, as RFC 9068 says (IdentityServer writes an array unless this is true): an API that reads scope as an array, or checks RequireClaim(\"scope\", ...) on a token with several scopes, must split it; ignored"},
		"keymanagement":                         ignoredOption("Signet's automatic key management is key.type: Managed (with propagationTime, rotationInterval and retentionDuration), configured in the Key section; ignored"),
		"endpoints":                             ignoredOption("Signet serves the endpoints it implements at IdentityServer's paths; ignored"),
		"discovery":                             ignoredOption("Signet's discovery document lists what it implements; ignored"),
		"authentication":                        ignoredOption("Signet's sign-in is configured in the Signet section (session, login, ui); ignored"),
		"userinteraction":                       ignoredOption("Signet serves its own login, consent and logout pages (ui in the Signet section brands them); ignored"),
		"serversidesessions":                    ignoredOption("Signet always keeps sessions server-side, in its database (session in the Signet section); ignored"),
		"events":                                ignoredOption("Signet logs what happens through its log (log.level in the Signet section); ignored"),
		"logging":                               ignoredOption("Signet's logging is log (format, level) in the Signet section; ignored"),
		"cors":                                  ignoredOption("Signet allows browser origins per client (AllowedCorsOrigins), and any origin for discovery and JWKS; ignored"),
		"csp":                                   ignoredOption("Signet's pages send their own Content-Security-Policy, without unsafe-inline; ignored"),
		"caching":                               ignoredOption("Signet keeps clients, scopes and resources in memory and reloads them when they change; ignored"),
		"inputlengthrestrictions":               ignoredOption("Signet bounds every input itself; ignored"),
		"validation":                            ignoredOption("is not used by Signet; ignored"),
		"deviceflow":                            ignoredOption("is for the device flow, which Signet does not offer; ignored"),
		"ciba":                                  ignoredOption("is for CIBA, which Signet does not offer; ignored"),
		"mutualtls":                             ignoredOption("mutual TLS client authentication is not supported; ignored"),
		"persistentgrants":                      ignoredOption("Signet stores grants in its database (the storage section in the Signet section); ignored"),
		"dynamicproviders":                      ignoredOption("external identity providers are not supported yet; ignored"),
		"pushedauthorization":                   ignoredOption("pushed authorization requests (PAR) are not supported; ignored"),
		"diagnostics":                           ignoredOption("is not used by Signet; ignored"),
		"preview":                               ignoredOption("is not used by Signet; ignored"),
		"licensekey":                            ignoredOption("Signet needs no license key; ignored"),
		"jwtvalidationclockskew":                ignoredOption("Signet allows one minute of clock skew in client assertions; ignored"),
		"strictjarvalidation":                   ignoredOption("is for request objects, which Signet does not accept; ignored"),
		"validatetenantonauthorization":         ignoredOption("is not used by Signet; ignored"),
		"emitissueridentificationresponseparameter": ignoredOption("Signet always sends iss in authorization responses (RFC 9207); ignored"),
		"emitstatehash": ignoredOption("Signet does not put s_hash in ID tokens; ignored"),
	},
}

// identityServerProperty reports whether k is an IdentityServer property
// of t that Signet does not implement, and if so says so: nothing when its
// value is IdentityServer's default, else a warning, or a problem when
// ignoring it would be unsafe.
func (d *decoder) identityServerProperty(k, val *yaml.Node, path string, t reflect.Type) bool {
	props, ok := identityServerProperties[t]
	if !ok {
		return false
	}
	prop, ok := props[strings.ToLower(k.Value)]
	if !ok {
		return false
	}
	if isDefault(val, prop.defaults) {
		return true
	}
	p := join(path, k.Value)
	if d.section != "" {
		d.record(p, k, val) // for its spelling in messages
	}
	if prop.refuse {
		if strings.HasPrefix(path, "clients[") {
			// Validate decides whether the client is loaded at all (an
			// interactive client of an IdentityServer section is not):
			// it reports this only for a client it loads.
			d.clientRefusals = append(d.clientRefusals, Problem{Pos: d.posOf(k), Path: p, Msg: prop.advice})
			return true
		}
		d.keyProblemf(k, p, "%s", prop.advice)
		return true
	}
	d.warnf(k, p, "%s %s", k.Value, prop.advice)
	return true
}

// isDefault reports whether n is one of defaults (lowercase; "" for
// nothing: null, an empty string, list or mapping).
func isDefault(n *yaml.Node, defaults []string) bool {
	var v string
	switch n.Kind {
	case yaml.ScalarNode:
		if isNull(n) {
			v = ""
		} else {
			v = strings.ToLower(strings.TrimSpace(n.Value))
		}
	case yaml.SequenceNode, yaml.MappingNode:
		if len(n.Content) > 0 {
			return false
		}
	default:
		return false
	}
	if slices.Contains(defaults, v) {
		return true
	}
	// Numbers as the file writes them: 300 and 300.0 are one value.
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		for _, def := range defaults {
			if g, err := strconv.ParseFloat(def, 64); err == nil && f == g {
				return true
			}
		}
	}
	return false
}
