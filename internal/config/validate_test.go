package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// validClient is a client that passes Validate, for cases about other
// sections; scopes defines its scope.
const (
	scopes      = "apiScopes: [{name: api1}, {name: api2}]\n"
	validClient = "clients:\n  - {clientId: a, allowedGrantTypes: [client_credentials], allowedScopes: [api1], secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}]}\n"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string // problems, as expectProblems takes them
	}{
		{name: "empty"},
		{name: "valid", src: "issuer: https://auth.example.com/identity\nlisten: ':443'\nlog: {format: JSON, level: Warn}\nkey: {type: file, filePath: k.pfx, algorithm: es256}\n" + scopes + validClient},

		// issuer
		{name: "issuer not absolute", src: "issuer: auth.example.com", want: []string{`1: issuer: "auth.example.com" is not an absolute URL such as https://auth.example.com`}},
		{name: "issuer scheme", src: "issuer: ftp://a", want: []string{`1: issuer: "ftp://a" is not an https URL`}},
		{name: "issuer query", src: "issuer: https://a/?x=1", want: []string{`1: issuer: "https://a/?x=1" must not have a query (?...)`}},
		{name: "issuer empty query", src: "issuer: https://a/?", want: []string{`1: issuer: "https://a/?" must not have a query`}},
		{name: "issuer fragment", src: "issuer: https://a/#f", want: []string{`1: issuer: "https://a/#f" must not have a fragment (#...)`}},
		{name: "issuer user", src: "issuer: https://u:p@a/", want: []string{`1: issuer: "https://u:xxxxx@a/" must not hold a user name or password`}},
		{name: "issuer not a URL", src: "issuer: 'https://a b/'", want: []string{`1: issuer: "https://a b/" is not a URL: invalid character " " in host name`}},
		{name: "issuer http", src: "issuer: http://a\nkey: {type: Store, name: CN=a}", want: []string{`1: issuer: "http://a" uses http: use https, or set allowHttp: true`}},
		{name: "issuer http allowed", src: "issuer: http://a\nallowHttp: true\nkey: {type: Store, name: CN=a}"},
		{name: "issuer http with a development key", src: "issuer: http://localhost:5000\nkey: {type: development}"},
		{name: "issuer http without a key", src: "issuer: http://localhost:5000"},

		// listen, log, tls
		{name: "listen", src: "listen: 5000", want: []string{`1: listen: "5000" is not host:port, such as 127.0.0.1:5000 or :443`}},
		{name: "listen port", src: "listen: 'a:http'", want: []string{`1: listen: "a:http": the port must be a number from 0 to 65535`}},
		{name: "listen port range", src: "listen: '[::1]:70000'", want: []string{`1: listen: "[::1]:70000": the port must be a number`}},
		{name: "listen IPv6", src: "listen: '[::1]:5000'"},
		{name: "log format", src: "log:\n  format: xml", want: []string{`2: log.format: unknown log format "xml": use text or json`}},
		{name: "log level", src: "log:\n  level: verbose", want: []string{`2: log.level: unknown log level "verbose": use debug, info, warn or error`}},
		{name: "tls without certFile", src: "tls:\n  keyFile: k.pem", want: []string{`1: tls.certFile: the tls section needs certFile`}},
		{name: "tls empty", src: "tls: {}", want: []string{`1: tls.certFile: the tls section needs certFile`}},
		{name: "tls", src: "tls: {certFile: c.pem, keyFile: k.pem}"},

		// hsts: preload as hstspreload.org requires it.
		{name: "hsts", src: "hsts: {maxAge: 2y}", want: []string{`1: hsts.maxAge: expected a duration such as 5s`}},
		{name: "hsts negative", src: "hsts:\n  maxAge: -1h", want: []string{`2: hsts.maxAge: maxAge -1h0m0s is negative: use a duration such as 365d (the default), or 0 to turn HSTS off`}},
		{name: "hsts fraction", src: "hsts:\n  maxAge: 1.5s", want: []string{`2: hsts.maxAge: maxAge 1.5s is not a whole number of seconds`}},
		{name: "hsts off", src: "hsts: {maxAge: 0}"},
		{name: "hsts preload", src: "hsts: {includeSubDomains: true, preload: true}"},
		{name: "hsts preload 2 years", src: "hsts: {maxAge: 730d, includeSubDomains: true, preload: true}"},
		{name: "hsts preload without subdomains", src: "hsts:\n  preload: true", want: []string{`2: hsts.preload: preload needs includeSubDomains: true (browsers' preload lists, hstspreload.org, refuse a host without it); set it, or leave preload out`}},
		{name: "hsts preload short", src: "hsts:\n  maxAge: 30d\n  includeSubDomains: true\n  preload: true", want: []string{`4: hsts.preload: preload needs a maxAge of at least 365d, and it is 30d`}},
		{name: "hsts preload off", src: "hsts:\n  maxAge: 0\n  includeSubDomains: true\n  preload: true", want: []string{`4: hsts.preload: preload needs a maxAge of at least 365d, and it is 0s`}},

		// key
		{name: "key type required", src: "key:\n  filePath: a", want: []string{`1: key.type: type is required: Development, File, Store, Managed or Pkcs11`}},
		{name: "key type unknown", src: "key:\n  type: AzureKeyVault", want: []string{`2: key.type: unknown key type "AzureKeyVault": use Development, File, Store, Managed or Pkcs11`}},
		{name: "storage poll too short", src: "storage:\n  pollInterval: 1ms", want: []string{`2: storage.pollInterval: 1ms: use a duration from 100ms to 10m`}},
		{name: "key type misspelt", src: "key:\n  type: Pkcs12", want: []string{`2: key.type: unknown key type "Pkcs12"; did you mean Pkcs11?`}},
		{name: "managed without kek", src: "key:\n  type: Managed", want: []string{`1: key: a Managed key needs keyEncryptionKey (e.g. ${SIGNET_KEK}) or keyEncryptionKeyFile`}},
		{name: "secrets kek short", src: "keyEncryptionKey: c2hvcnQ=", want: []string{`1: keyEncryptionKey: the key-encryption key is 5 bytes; it must be 32 (AES-256)`}},
		{name: "secrets kek both", src: "keyEncryptionKey: " + testKEK + "\nkeyEncryptionKeyFile: kek", want: []string{`1: keyEncryptionKey: give keyEncryptionKey or keyEncryptionKeyFile, not both`}},
		{name: "managed short kek", src: "key:\n  type: Managed\n  keyEncryptionKey: c2hvcnQ=", want: []string{`3: key.keyEncryptionKey: the key-encryption key is 5 bytes; it must be 32 (AES-256)`}},
		{name: "managed kek not base64", src: "key:\n  type: Managed\n  keyEncryptionKey: '%%%'", want: []string{`3: key.keyEncryptionKey: the key-encryption key is not base64 or hex`}},
		{name: "managed both keks", src: "key:\n  type: Managed\n  keyEncryptionKey: " + testKEK + "\n  keyEncryptionKeyFile: kek", want: []string{`3: key.keyEncryptionKey: give keyEncryptionKey or keyEncryptionKeyFile, not both`}},
		{name: "managed algorithms", src: "key:\n  type: Managed\n  keyEncryptionKey: " + testKEK + "\n  signingAlgorithms: [RS256, HS256, rs256]", want: []string{
			`4: key.signingAlgorithms[1]: algorithm "HS256" is not supported`, `4: key.signingAlgorithms[2]: RS256 is listed twice`}},
		{name: "managed algorithm singular", src: "key:\n  type: Managed\n  keyEncryptionKey: " + testKEK + "\n  algorithm: ES256", want: []string{`4: key.algorithm: a Managed key has signingAlgorithms`}},
		{name: "managed lifecycle", src: "key:\n  type: Managed\n  keyEncryptionKey: " + testKEK + "\n  propagationTime: 30m\n  rotationInterval: 20m\n  retentionDuration: 1h", want: []string{
			`4: key.propagationTime: propagationTime is 30m0s: give at least 1h`,
			`5: key.rotationInterval: rotationInterval (20m0s) must be longer than propagationTime (30m0s)`,
			`6: key.retentionDuration: retentionDuration is 1h0m0s: give at least 25h`}},
		{name: "managed lifecycle against defaults", src: "key:\n  type: Managed\n  keyEncryptionKey: " + testKEK + "\n  propagationTime: 5m\n  retentionDuration: 24h", want: []string{
			`4: key.propagationTime: propagationTime is 5m0s: give at least 1h`,
			`5: key.retentionDuration: retentionDuration is 24h0m0s: give at least 25h`}},
		{name: "managed rotation against default propagation", src: "key:\n  type: Managed\n  keyEncryptionKey: " + testKEK + "\n  rotationInterval: 1d", want: []string{
			`4: key.rotationInterval: rotationInterval (24h0m0s) must be longer than propagationTime (336h0m0s)`}},
		{name: "managed validation key", src: "validationKeys:\n  - type: Managed\n    keyEncryptionKey: " + testKEK, want: []string{`2: validationKeys[0].type: a validation key cannot be of type Managed`}},
		{name: "pkcs11 empty", src: "key:\n  type: Pkcs11", want: []string{
			`1: key.module: a Pkcs11 key needs module`, `1: key: a Pkcs11 key needs tokenLabel (or slot)`, `1: key: a Pkcs11 key needs keyLabel or keyId (hex)`, `1: key: a Pkcs11 key needs pin (e.g. ${HSM_PIN}) or pinFile`}},
		{name: "pkcs11 bad id", src: "key:\n  type: Pkcs11\n  module: /x.so\n  tokenLabel: t\n  keyId: zz\n  pin: '1234'", want: []string{`5: key.keyId: keyId "zz" is not hex`}},
		{name: "key type typo", src: "key:\n  type: Stor", want: []string{`2: key.type: unknown key type "Stor"; did you mean Store?`}},
		{name: "store needs thumbprint or name", src: "key:\n  type: Store\n  storeName: My", want: []string{`1: key: a Store key needs thumbprint (the certificate's SHA-1 thumbprint) or name`}},
		{name: "store by name", src: "key: {type: Store, name: CN=a}"},
		{name: "store by thumbprint", src: "key: {type: STORE, thumbprint: AB, storeLocation: localmachine}"},
		{name: "store location", src: "key:\n  type: Store\n  name: CN=a\n  storeLocation: Machine", want: []string{`4: key.storeLocation: unknown store location "Machine": use CurrentUser or LocalMachine`}},
		{name: "file needs filePath", src: "key:\n  type: File\n  password: p", want: []string{`1: key.filePath: a File key needs filePath`}},
		{name: "development", src: "key: {type: Development}"},
		{name: "algorithm none", src: "key: {type: Development, algorithm: none}", want: []string{`1: key.algorithm: algorithm "none" is not allowed: only asymmetric algorithms are (RS256, PS256, ES256, ES384, ES512)`}},
		{name: "algorithm HS256", src: "key: {type: Development, algorithm: HS256}", want: []string{`1: key.algorithm: algorithm "HS256" is not allowed: only asymmetric algorithms are`}},
		{name: "algorithm RS512", src: "key: {type: Development, algorithm: RS512}", want: []string{`1: key.algorithm: algorithm "RS512" is not supported: only the asymmetric algorithms RS256, PS256, ES256, ES384, ES512 are`}},
		{name: "algorithms", src: "validationKeys:\n" +
			"  - {type: Store, name: a, algorithm: RS256}\n  - {type: Store, name: a, algorithm: PS256}\n  - {type: Store, name: a, algorithm: ES256}\n" +
			"  - {type: Store, name: a, algorithm: ES384}\n  - {type: Store, name: a, algorithm: es512}\n"},

		// validationKeys
		{name: "validation key development", src: "validationKeys:\n  - type: Development", want: []string{`2: validationKeys[0].type: a validation key cannot be of type Development`}},
		{name: "validation keys checked like key", src: "validationKeys:\n  - type: File\n  - type: Store\n    algorithm: HS512\n  - {}", want: []string{
			`2: validationKeys[0].filePath: a File key needs filePath`,
			`3: validationKeys[1]: a Store key needs thumbprint`,
			`4: validationKeys[1].algorithm: algorithm "HS512" is not allowed`,
			`5: validationKeys[2].type: type is required`,
		}},

		// apiScopes
		{name: "scope name required", src: "apiScopes:\n  - displayName: x", want: []string{`2: apiScopes[0].name: name is required`}},
		{name: "scope name space", src: "apiScopes:\n  - name: 'api 1'", want: []string{`2: apiScopes[0].name: scope "api 1" has a space`}},
		{name: "scope name tab", src: "apiScopes:\n  - name: \"api\\t1\"", want: []string{`2: apiScopes[0].name: scope "api\t1" has a space`}},
		{name: "scope name quote", src: "apiScopes:\n  - name: 'a\"b'", want: []string{`2: apiScopes[0].name: scope "a\"b" has '"': a scope name is printable ASCII without space, " or \ (RFC 6749, section 3.3)`}},
		{name: "scope name non-ASCII", src: "apiScopes:\n  - name: é", want: []string{`2: apiScopes[0].name: scope "é" has 'é'`}},
		{name: "scope twice", src: "apiScopes:\n  - name: api1\n  - name: api1", want: []string{`3: apiScopes[1].name: scope "api1" is defined twice (also at line 2)`}},
		{name: "scope names", src: "apiScopes: [{name: 'urn:x:api1/read'}, {name: 'a.b-c_d'}, {name: 'API1'}, {name: api1}]"},

		// apiResources
		{name: "resource name required", src: scopes + "apiResources:\n  - scopes: [api1]", want: []string{`3: apiResources[0].name: name is required`}},
		{name: "resource twice", src: scopes + "apiResources:\n  - name: r\n  - name: r", want: []string{`4: apiResources[1].name: API resource "r" is defined twice (also at line 3)`}},
		{name: "resource scope undefined", src: scopes + "apiResources:\n  - name: r\n    scopes: [api1, api3, nope]", want: []string{
			`4: apiResources[0].scopes[1]: scope "api3" is not defined in apiScopes; did you mean "api1"?`,
			`4: apiResources[0].scopes[2]: scope "nope" is not defined in apiScopes (api1, api2)`,
		}},
		{name: "resource introspection", src: scopes + "apiResources:\n  - name: https://api.example.com/orders\n    scopes: [api1]\n    secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}, {hash: 'sha256$a$b'}]\n    introspectionResponse: JWT\n    jwksUri: https://api.example.com/jwks"},
		{name: "resource introspection problems", src: scopes + "apiResources:\n  - name: r\n    secrets: [{value: short}, {}]\n    introspectionResponse: xml\n    jwks: {kty: EC}\n  - name: s\n    jwks: {keys: [{kty: EC}]}\n    jwksUri: https://s.example.com/jwks\n  - name: t\n    jwksUri: ftp://t.example.com/jwks", want: []string{
			`4: apiResources[0].secrets[0].value: this secret is 5 characters`,
			`4: apiResources[0].secrets[1]: a secret needs value (the secret itself), valueFile (a file that holds it) or hash`,
			`5: apiResources[0].introspectionResponse: unknown introspection response "xml": use json (the default) or jwt (a signed answer, RFC 9701)`,
			`6: apiResources[0].jwks: this is one key, not a key set`,
			`9: apiResources[1].jwksUri: jwks and jwksUri are exclusive`,
			`11: apiResources[2].jwksUri:`,
		}},
		{name: "resource scope without scopes", src: "apiResources:\n  - name: r\n    scopes: [api1]", want: []string{`3: apiResources[0].scopes[0]: scope "api1" is not defined: apiScopes is empty`}},

		// clients
		{name: "clientId required", src: scopes + "clients:\n  - allowedGrantTypes: [client_credentials]\n    secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}]", want: []string{`3: clients[0].clientId: clientId is required`}},
		{name: "clientId twice", src: scopes + "clients:\n  - {clientId: a, allowedGrantTypes: [client_credentials], secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}]}\n  - {clientId: a, allowedGrantTypes: [client_credentials], secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}]}",
			want: []string{`4: clients[1].clientId: client "a" is defined twice (also at line 3)`}},
		{name: "grant types required", src: "clients:\n  - clientId: a\n    secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}]", want: []string{`2: clients[0].allowedGrantTypes: allowedGrantTypes is required: [client_credentials]`}},
		{name: "grant types", src: "clients:\n  - clientId: a\n    secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}]\n    redirectUris: [https://a.example.com/cb]\n    allowedGrantTypes:\n      - client_credentials\n      - authorization_code\n      - urn:ietf:params:oauth:grant-type:device_code\n      - magic\n      - ClientCredentials\n      - client_credentials\n      - hybrid\n      - implicit\n      - code id_token\n      - refresh_token",
			want: []string{
				`8: clients[0].allowedGrantTypes[2]: grant type "urn:ietf:params:oauth:grant-type:device_code" is not supported by this version: client_credentials, authorization_code, refresh_token are`,
				`9: clients[0].allowedGrantTypes[3]: unknown grant type "magic": this version supports client_credentials, authorization_code, refresh_token`,
				`10: clients[0].allowedGrantTypes[4]: unknown grant type "ClientCredentials"; did you mean "client_credentials"?`,
				`11: clients[0].allowedGrantTypes[5]: grant type "client_credentials" is listed twice`,
				`12: clients[0].allowedGrantTypes[6]: grant type hybrid (IdentityServer's response_type "code id_token") is not offered: Signet signs people in with the authorization code flow and PKCE`,
				`13: clients[0].allowedGrantTypes[7]: grant type implicit (tokens sent in the browser's URL) is not offered`,
				`14: clients[0].allowedGrantTypes[8]: "code id_token" is a response type of the implicit or hybrid flow, not a grant type`,
			}},
		{name: "allowed scope undefined", src: scopes + "clients:\n  - {clientId: a, allowedGrantTypes: [client_credentials], secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}], allowedScopes: [api2, api_1]}",
			want: []string{`3: clients[0].allowedScopes[1]: scope "api_1" is not defined in apiScopes; did you mean "api1"?`}},
		{name: "secret value or hash", src: "clients:\n  - clientId: a\n    allowedGrantTypes: [client_credentials]\n    secrets:\n      - value: s\n        hash: h\n      - description: d\n      - value: ''\n      - hash: ''\n      - hash: h",
			want: []string{
				`5: clients[0].secrets[0]: a secret has value or hash, not both`,
				`7: clients[0].secrets[1]: a secret needs value (the secret itself), valueFile (a file that holds it) or hash (what signet secret hash prints)`,
				`8: clients[0].secrets[2].value: value is empty`,
				`9: clients[0].secrets[3].hash: hash is empty`,
			}},
		{name: "secret valueFile", src: "clients:\n  - clientId: a\n    allowedGrantTypes: [client_credentials]\n    secrets:\n      - valueFile: a.secret\n      - valueFile: a.secret\n        value: s\n      - valueFile: a.secret\n        hash: h\n      - valueFile: ''",
			want: []string{
				`6: clients[0].secrets[1]: a secret has one of value, valueFile or hash, not several`,
				`8: clients[0].secrets[2]: a secret has one of value, valueFile or hash, not several`,
				`10: clients[0].secrets[3].valueFile: valueFile is empty: name the file that holds the secret`,
			}},
		{name: "key passwordFile", src: "key: {type: File, filePath: k.pfx, passwordFile: k.password}\nvalidationKeys:\n  - {type: File, filePath: v.pfx, passwordFile: v.password}"},
		{name: "key password and passwordFile", src: "key:\n  type: File\n  filePath: k.pfx\n  password: p\n  passwordFile: k.password\nvalidationKeys:\n  - {type: File, filePath: v.pfx, password: p, passwordFile: v.password}",
			want: []string{
				`4: key.password: give password or passwordFile, not both`,
				`7: validationKeys[0].password: give password or passwordFile, not both`,
			}},
		{name: "no way to authenticate", src: "clients:\n  - clientId: a\n    allowedGrantTypes: [client_credentials]",
			want: []string{`2: clients[0]: client "a" has no way to authenticate: a client_credentials client needs secrets (or IdentityServer's clientSecrets), or jwks or jwksUri`}},
		{name: "jwks instead of secrets", src: "clients:\n  - {clientId: a, allowedGrantTypes: [client_credentials], jwks: {keys: [{kty: RSA}]}}"},
		{name: "jwksUri instead of secrets", src: "clients:\n  - {clientId: a, allowedGrantTypes: [client_credentials], jwksUri: 'https://a/jwks'}"},
		{name: "jwks and jwksUri", src: "clients:\n  - clientId: a\n    allowedGrantTypes: [client_credentials]\n    jwks: {keys: [{kty: RSA}]}\n    jwksUri: https://a/jwks",
			want: []string{`5: clients[0].jwksUri: jwks and jwksUri are exclusive`}},
		{name: "jwksUri http", src: "clients:\n  - clientId: a\n    allowedGrantTypes: [client_credentials]\n    jwksUri: http://a/jwks",
			want: []string{`4: clients[0].jwksUri: "http://a/jwks" uses http: use https, or set allowHttp: true`}},
		{name: "jwksUri http allowed", src: "allowHttp: true\nclients:\n  - {clientId: a, allowedGrantTypes: [client_credentials], jwksUri: 'http://a/jwks'}"},
		{name: "jwksUri relative", src: "clients:\n  - clientId: a\n    allowedGrantTypes: [client_credentials]\n    jwksUri: /jwks",
			want: []string{`4: clients[0].jwksUri: "/jwks" is not an absolute URL`}},
		{name: "jwks shape", src: "clients:\n" +
			"  - {clientId: a, allowedGrantTypes: [client_credentials], jwks: {kty: RSA, n: x}}\n" +
			"  - {clientId: b, allowedGrantTypes: [client_credentials], jwks: {key: []}}\n" +
			"  - {clientId: c, allowedGrantTypes: [client_credentials], jwks: {keys: []}}\n" +
			"  - {clientId: d, allowedGrantTypes: [client_credentials], jwks: {keys: [x, {kid: k}]}}\n",
			want: []string{
				`2: clients[0].jwks: this is one key, not a key set: write it as keys: [ {...} ]`,
				`3: clients[1].jwks: a JSON Web Key Set has keys: a list of keys`,
				`4: clients[2].jwks.keys: keys must be a list of at least one key`,
				`5: clients[3].jwks.keys[0]: a key must be a mapping (a JSON Web Key)`,
				`5: clients[3].jwks.keys[1]: a key needs kty (RSA or EC)`,
			}},
		{name: "lifetime", src: "clients:\n  - clientId: a\n    allowedGrantTypes: [client_credentials]\n    secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}]\n    accessTokenLifetime: 86401\n  - {clientId: b, allowedGrantTypes: [client_credentials], secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}], accessTokenLifetime: -1}\n  - {clientId: c, allowedGrantTypes: [client_credentials], secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}], accessTokenLifetime: 86400}",
			want: []string{
				`5: clients[0].accessTokenLifetime: accessTokenLifetime is 86401: give seconds from 1 to 86400 (a day), or leave it out for 3600`,
				`6: clients[1].accessTokenLifetime: accessTokenLifetime is -1`,
			}},

		// Values that Load could not decode are not reported again.
		{name: "no second problem", src: "key:\n  type: Store\n  thumbprint: ${NOPE}\nclients:\n  - clientId: ${NOPE}\n    allowedGrantTypes: client_credentials\n  - clientId: b\n    allowedGrantTypes: [client_credentials]\n    secrets: [{value: '${NOPE}'}]\n",
			want: []string{
				`3: key.thumbprint: environment variable NOPE is not set`,
				`5: clients[0].clientId: environment variable NOPE is not set`,
				`6: clients[0].allowedGrantTypes: expected a list`,
				`9: clients[1].secrets[0].value: environment variable NOPE is not set`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			expectValidate(t, tt.src, tt.want...)
		})
	}
}

// The sign-in settings of a client: every problem at once, at its line.
func TestValidateSignIn(t *testing.T) {
	t.Parallel()
	const key = "key: {type: File, filePath: k.pfx}\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{name: "good", src: key + `clients:
  - clientId: web
    secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}]
    allowedGrantTypes: [authorization_code, refresh_token]
    allowedScopes: [openid, profile, email, offline_access]
    redirectUris: [https://web.example.com/signin-oidc, http://127.0.0.1/cb, com.example.app:/cb]
    postLogoutRedirectUris: [https://web.example.com/signout-callback-oidc]
    requireConsent: true
    allowRememberConsent: false
    allowOfflineAccess: true
    identityTokenLifetime: 600
    authorizationCodeLifetime: 60
    refreshTokenUsage: reuse
    refreshTokenExpiration: 0
    absoluteRefreshTokenLifetime: 86400
    slidingRefreshTokenLifetime: 3600
    clientUri: https://web.example.com
    logoUri: https://web.example.com/logo.png?v=2
    allowedIdentityTokenSigningAlgorithms: [es256, RS256]
  - clientId: spa
    requireClientSecret: false
    allowedGrantTypes: [authorization_code]
    redirectUris: [http://localhost:3000/callback]
`},
		{name: "redirect URIs", src: key + `clients:
  - clientId: web
    secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}]
    allowedGrantTypes: [authorization_code]
    redirectUris:
      - http://web.example.com/cb
      - https://web.example.com/cb#x
      - https://*.example.com/cb
      - /cb
      - myapp://cb
      - https://web.example.com/ok
      - https://web.example.com/ok
    postLogoutRedirectUris: [javascript:alert(1)]
`, want: []string{
			`7: clients[0].redirectUris[0]: redirect URI "http://web.example.com/cb" uses http: use https`,
			`8: clients[0].redirectUris[1]: redirect URI "https://web.example.com/cb#x" has a fragment`,
			`9: clients[0].redirectUris[2]: redirect URI "https://*.example.com/cb" has a wildcard`,
			`10: clients[0].redirectUris[3]: redirect URI "/cb" is not absolute`,
			`11: clients[0].redirectUris[4]: redirect URI "myapp://cb" has scheme myapp`,
			`13: clients[0].redirectUris[6]: redirect URI "https://web.example.com/ok" is listed twice`,
			`14: clients[0].postLogoutRedirectUris[0]: redirect URI "javascript:alert(1)" has scheme javascript`,
		}},
		{name: "http redirect in development", src: `clients:
  - {clientId: web, secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}], allowedGrantTypes: [authorization_code], redirectUris: ["http://web.test/cb"]}
`},
		{name: "code without redirect URI", src: key + `clients:
  - clientId: web
    secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}]
    allowedGrantTypes: [authorization_code]
`, want: []string{`5: clients[0].allowedGrantTypes: client "web" uses authorization_code, which needs at least one redirect URI`}},
		{name: "public client", src: key + `clients:
  - clientId: spa
    requireClientSecret: false
    requirePkce: false
    allowedGrantTypes: [authorization_code, client_credentials]
    redirectUris: [https://spa.example.com/cb]
`, want: []string{
			`4: clients[0].requireClientSecret: client "spa" uses client_credentials, which needs a client that authenticates`,
			`5: clients[0].requirePkce: client "spa" is public (requireClientSecret: false): with no secret, PKCE is what keeps a stolen code from being used`,
		}},
		{name: "public client reusing refresh tokens", src: key + `clients:
  - clientId: spa
    requireClientSecret: false
    allowedGrantTypes: [authorization_code]
    redirectUris: [https://spa.example.com/cb]
    allowOfflineAccess: true
    refreshTokenUsage: ReUse
`, want: []string{
			`8: clients[0].refreshTokenUsage: client "spa" is public (requireClientSecret: false): its refresh tokens must be rotated (RFC 9700 section 4.14.2)`,
		}},
		{name: "lifetimes and enums", src: key + `clients:
  - clientId: web
    secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}]
    allowedGrantTypes: [authorization_code]
    redirectUris: [https://web.example.com/cb]
    identityTokenLifetime: -1
    authorizationCodeLifetime: 3600
    absoluteRefreshTokenLifetime: -5
    refreshTokenUsage: Sometimes
    refreshTokenExpiration: Forever
    clientUri: http://web.example.com
    logoUri: logo.png
    allowedIdentityTokenSigningAlgorithms: [HS256, RS256, rs256]
  - clientId: slide
    secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}]
    allowedGrantTypes: [authorization_code]
    redirectUris: [https://web.example.com/cb]
    refreshTokenExpiration: Sliding
    absoluteRefreshTokenLifetime: 3600
    slidingRefreshTokenLifetime: 7200
`, want: []string{
			`7: clients[0].identityTokenLifetime: identityTokenLifetime is -1: give a positive number of seconds`,
			`8: clients[0].authorizationCodeLifetime: authorizationCodeLifetime is 3600`,
			`9: clients[0].absoluteRefreshTokenLifetime: absoluteRefreshTokenLifetime is -5`,
			`10: clients[0].refreshTokenUsage: unknown refreshTokenUsage "Sometimes": use OneTimeOnly`,
			`11: clients[0].refreshTokenExpiration: unknown refreshTokenExpiration "Forever": use Absolute`,
			`12: clients[0].clientUri: clientUri "http://web.example.com": use an https URL`,
			`13: clients[0].logoUri: logoUri "logo.png" is not an absolute URL`,
			`14: clients[0].allowedIdentityTokenSigningAlgorithms[0]: identity token signing algorithm "HS256" is not supported`,
			`14: clients[0].allowedIdentityTokenSigningAlgorithms[2]: RS256 is listed twice`,
			`21: clients[1].slidingRefreshTokenLifetime: slidingRefreshTokenLifetime (7200) is longer than absoluteRefreshTokenLifetime (3600)`,
		}},
		{name: "sections", src: `session:
  cookieSameSite: sometimes
  idleLifetime: 40d
  absoluteLifetime: 30d
login:
  maxFailures: -1
  failureWindow: -1m
shutdown:
  drainDelay: -5s
`, want: []string{
			`2: session.cookieSameSite: unknown cookieSameSite "sometimes": use Lax`,
			`3: session.idleLifetime: idleLifetime (40d) is longer than absoluteLifetime (30d)`,
			`6: login.maxFailures: maxFailures -1`,
			`7: login.failureWindow: -1m0s: give a duration such as 15m`,
			`9: shutdown.drainDelay: -5s: give a duration from 0 (no drain, the default) to 5m0s, such as 5s`,
		}},
		{name: "rate limits", src: `rateLimits:
  tokenPerIP: {rate: -1, burst: -2}
  loginPerUser: {rate: fast}
  clientAuthFailures: {maxFailures: -1, window: 10ms}
limits:
  maxBodyBytes: 10
  maxParams: 100000
  readTimeout: 2h
`, want: []string{
			`2: rateLimits.tokenPerIP.rate: rate -1: give requests per second from 0 (off) to 1000000, such as 10 or 0.5`,
			`2: rateLimits.tokenPerIP.burst: burst -2: give 1 to 1000000 requests at once`,
			`3: rateLimits.loginPerUser.rate: expected a number such as 10 or 0.5, got "fast"`,
			`4: rateLimits.clientAuthFailures.maxFailures: maxFailures -1: give 0 (off)`,
			`4: rateLimits.clientAuthFailures.window: window 10ms: give a duration from 1s to 24h`,
			`6: limits.maxBodyBytes: 10: give 1024 to 67108864 (default 65536)`,
			`7: limits.maxParams: 100000: give 10 to 10000 (default 100)`,
			`8: limits.readTimeout: 2h0m0s: give a duration from 1s to 1h`,
		}},
		{name: "drain delay too long", src: "shutdown:\n  drainDelay: 1h\n", want: []string{
			`2: shutdown.drainDelay: 1h0m0s: give a duration from 0`,
		}},
		{name: "key expiry warning negative", src: "listen: 127.0.0.1:5000\nkeyExpiryWarning: -24h\n", want: []string{
			`2: keyExpiryWarning: -24h0m0s: give a duration up to 366d, such as 30d (the default)`,
		}},
		{name: "key expiry warning too long", src: "keyExpiryWarning: 400d\n", want: []string{
			`1: keyExpiryWarning: 9600h0m0s: give a duration up to 366d`,
		}},
		{name: "metrics on the public port", src: "listen: 0.0.0.0:8443\nmetrics:\n  listen: 127.0.0.1:8443\n  maxClients: -1\n", want: []string{
			`3: metrics.listen: "127.0.0.1:8443" is the public listen address (0.0.0.0:8443): the metrics are served apart from it; give another address, such as 127.0.0.1:9090, or leave metrics.listen out and set metrics.public: true`,
			`4: metrics.maxClients: maxClients -1: give 1 to 10000 clients`,
		}},
		{name: "metrics on the default listen address", src: "metrics:\n  listen: 127.0.0.1:5000\n  public: true\n", want: []string{
			`2: metrics.listen: "127.0.0.1:5000" is the public listen address (127.0.0.1:5000)`,
		}},
		{name: "metrics listen not an address", src: "metrics:\n  listen: 9090\n  maxClients: 20000\n", want: []string{
			`2: metrics.listen: "9090" is not host:port`,
			`3: metrics.maxClients: maxClients 20000: give 1 to 10000`,
		}},
		{name: "tracing", src: `tracing:
  endpoint: localhost:4318
  sampleRatio: 1.5
  headers:
    - name: "X Key"
      value: "a\nb"
`, want: []string{
			`2: tracing.endpoint: "localhost:4318": give the collector's OTLP/HTTP address, such as http://localhost:4318`,
			`3: tracing.sampleRatio: 1.5: give a number from 0 to 1`,
			`5: tracing.headers[0].name: "X Key": give a header name`,
			`6: tracing.headers[0].value: the value holds a line break`,
		}},
		{name: "tracing endpoint with a password", src: "tracing:\n  endpoint: https://u:secret-pw@collector.example.com\n", want: []string{
			`2: tracing.endpoint: give the address without user, query or fragment`,
		}},
		{name: "tracing valid", src: "tracing:\n  endpoint: https://collector.example.com/otlp/v1/traces\n  serviceName: auth\n  sampleRatio: 0\n  headers:\n    - name: Authorization\n      value: Bearer abc\n"},
		{name: "tracing ratio not a number", src: "tracing:\n  endpoint: http://localhost:4318\n  sampleRatio: half\n", want: []string{
			`3: tracing.sampleRatio: expected a number such as 10 or 0.5, got "half"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			expectValidate(t, tt.src, tt.want...)
		})
	}
}

// SameListener: two addresses take the same port when their ports are
// equal and their hosts too, or either is every interface.
func TestSameListener(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"127.0.0.1:9090", "127.0.0.1:9090", true},
		{":5000", "127.0.0.1:5000", true},
		{"0.0.0.0:5000", "10.0.0.1:5000", true},
		{"[::]:5000", "127.0.0.1:5000", true},
		{"localhost:5000", "LOCALHOST:5000", true},
		{"127.0.0.1:9090", "127.0.0.1:5000", false},
		{"127.0.0.1:5000", "10.0.0.1:5000", false},
		{"127.0.0.1:0", "127.0.0.1:0", false}, // each picks a free port
		{"nonsense", "127.0.0.1:5000", false},
	} {
		if got := SameListener(tt.a, tt.b); got != tt.want {
			t.Errorf("SameListener(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// Validate writes the sign-in enums in their canonical spelling, from
// IdentityServer's numbers too (TokenUsage ReUse 0, OneTimeOnly 1;
// TokenExpiration Sliding 0, Absolute 1).
func TestValidateSignInNormalises(t *testing.T) {
	t.Parallel()
	c, ps := parseYAMLText(t, `clients:
  - {clientId: a, secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}], allowedGrantTypes: [authorization_code], redirectUris: [https://a.example.com/cb], refreshTokenUsage: 0, refreshTokenExpiration: 0, allowedIdentityTokenSigningAlgorithms: [es256]}
  - {clientId: b, secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}], allowedGrantTypes: [authorization_code], redirectUris: [https://a.example.com/cb], refreshTokenUsage: 1, refreshTokenExpiration: 1}
  - {clientId: c, secrets: [{value: Nsd8w3JdkL0Qp2xVc7ZyTgH5mR}], allowedGrantTypes: [authorization_code], redirectUris: [https://a.example.com/cb], refreshTokenUsage: onetimeonly, refreshTokenExpiration: sliding, requirePkce: false, allowRememberConsent: false}
session: {cookieSameSite: none}
`, nil)
	expectProblems(t, "t.yaml", ps)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	a, b, cc := c.Clients[0], c.Clients[1], c.Clients[2]
	if a.RefreshTokenUsage != RefreshTokenReUse || a.RefreshTokenExpiration != RefreshTokenSliding || a.AllowedIdentityTokenSigningAlgorithms[0] != "ES256" {
		t.Errorf("client a: %q %q %v", a.RefreshTokenUsage, a.RefreshTokenExpiration, a.AllowedIdentityTokenSigningAlgorithms)
	}
	if b.RefreshTokenUsage != RefreshTokenOneTimeOnly || b.RefreshTokenExpiration != RefreshTokenAbsolute {
		t.Errorf("client b: %q %q", b.RefreshTokenUsage, b.RefreshTokenExpiration)
	}
	if cc.RefreshTokenUsage != RefreshTokenOneTimeOnly || cc.RefreshTokenExpiration != RefreshTokenSliding {
		t.Errorf("client c: %q %q", cc.RefreshTokenUsage, cc.RefreshTokenExpiration)
	}
	if !a.RequiresPKCE() || !a.AllowsRememberConsent() || cc.RequiresPKCE() || cc.AllowsRememberConsent() {
		t.Errorf("defaults: a %v %v, c %v %v", a.RequiresPKCE(), a.AllowsRememberConsent(), cc.RequiresPKCE(), cc.AllowsRememberConsent())
	}
	if c.Session.CookieSameSite != SameSiteNone {
		t.Errorf("cookieSameSite = %q", c.Session.CookieSameSite)
	}
}

func TestUIProblems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []string{"logo.svg", "site.css"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, ps := parseYAMLText(t, "ui:\n  logo: logo.svg\n  stylesheet: site.css\n  templatesDir: .\n", nil)
	expectProblems(t, "t.yaml", ps)
	c.File = filepath.Join(dir, "t.yaml")
	if err := c.UIProblems(); err != nil {
		t.Errorf("existing files: %v", err)
	}
	c, _ = parseYAMLText(t, "ui:\n  logo: missing.png\n  stylesheet: .\n  templatesDir: logo.svg\n", nil)
	c.File = filepath.Join(dir, "t.yaml")
	expectProblems(t, "t.yaml", problems(t, Join(c.UIProblems())),
		`2: ui.logo: missing.png: no such file or directory`,
		`3: ui.stylesheet: . is a directory: give a file`,
		`4: ui.templatesDir: logo.svg is not a directory`)
}

func TestValidateNormalises(t *testing.T) {
	t.Parallel()
	c, ps := parseYAMLText(t, "log: {format: JSON, level: DEBUG}\nkey: {type: sToRe, name: a, storeLocation: localmachine, algorithm: ps256}\nvalidationKeys: [{type: FILE, filePath: a}]", nil)
	expectProblems(t, "t.yaml", ps)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Log != (Log{"json", "debug"}) || c.Key.Type != "Store" || c.Key.StoreLocation != "LocalMachine" || c.Key.Algorithm != "PS256" || c.ValidationKeys[0].Type != "File" {
		t.Errorf("not normalised: %+v %+v %+v", c.Log, c.Key, c.ValidationKeys)
	}
}

func TestValidateWithoutFile(t *testing.T) {
	t.Parallel()
	// A Config built in code: problems have a path but no position.
	c := &Config{Clients: []Client{{ClientID: "a"}}}
	err := c.Validate()
	if err == nil || err.Error() != "clients[0].allowedGrantTypes: allowedGrantTypes is required: [client_credentials] for a machine client, [authorization_code] for one that signs people in" {
		t.Errorf("err = %v", err)
	}
}

func TestMissingKeyProblem(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/mistakes.yaml", env())
	if c == nil {
		t.Fatal(err)
	}
	c.Key = nil
	if err := c.Validate(); err != nil && strings.Contains(err.Error(), "key") && !strings.Contains(err.Error(), "allowHttp") {
		t.Errorf("Validate complains about the key: %v", err)
	}
	p := c.MissingKeyProblem()
	s := p.String()
	for _, want := range []string{
		"testdata/mistakes.yaml: key: there is no key section",
		"\n      key:\n        type: Store\n        storeLocation: CurrentUser\n        thumbprint: ${APP_SigningCertificateThumbprint}\n",
		"\n        type: File\n        filePath: signing.pfx\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	if strings.Contains(s, "no signing credential is configured") {
		t.Error("the vague message")
	}
	// The examples in the message are a valid configuration.
	for _, example := range strings.Split(p.Msg, "\n  key:\n")[1:] {
		example = "key:\n" + strings.SplitN(example, "\n(", 2)[0]
		example = strings.SplitN(example, "\nor", 2)[0]
		k, ps := parseYAMLText(t, example, env("APP_SigningCertificateThumbprint", "AB", "APP_SigningCertificatePassword", "p"))
		expectProblems(t, "t.yaml", ps)
		if k.Key == nil || k.Validate() != nil {
			t.Errorf("example %q: %+v %v", example, k.Key, k.Validate())
		}
	}
}

// testKEK is a valid key-encryption key (32 bytes, base64).
const testKEK = "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k="

func TestParseKeyEncryptionKey(t *testing.T) {
	t.Parallel()
	want, _ := ParseKeyEncryptionKey(testKEK)
	if len(want) != 32 {
		t.Fatalf("testKEK decodes to %d bytes", len(want))
	}
	for _, s := range []string{testKEK, strings.TrimRight(testKEK, "="), " " + testKEK + "\n",
		"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"} {
		if b, err := ParseKeyEncryptionKey(s); err != nil || len(b) != 32 {
			t.Errorf("ParseKeyEncryptionKey(%q) = %d bytes, %v", s, len(b), err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"14d": 14 * 24 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute, "0d": 0} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"d", "-1d", "1d-5h", "1dd", "99999d", "1.5d"} {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestValidateAudit(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		yaml string
		want []string
	}{
		"file":             {"audit: {sink: file, file: a.jsonl, maxSize: 10, maxFiles: 0, exclude: [token.issued]}", nil},
		"file needs path":  {"audit: {sink: file}", []string{"audit.sink: audit.sink file needs audit.file"}},
		"path needs file":  {"audit: {file: a.jsonl}", []string{"audit.file: audit.file is written only with audit.sink: file"}},
		"unknown sink":     {"audit: {sink: syslog}", []string{`audit.sink: unknown audit sink "syslog"`}},
		"postgres, sqlite": {"audit: {sink: postgres}", []string{"audit.sink: audit.sink postgres writes to the storage's PostgreSQL database, and storage.driver is sqlite"}},
		"postgres":         {"storage: {driver: postgres, dsn: 'postgres://x@h/db'}\naudit: {sink: postgres}", nil},
		"sizes":            {"audit: {sink: file, file: a, maxSize: -1, maxFiles: 1001}", []string{"audit.maxSize: maxSize -1", "audit.maxFiles: maxFiles 1001"}},
		"unknown event":    {"audit: {exclude: [token.issued, token.isued]}", []string{`audit.exclude[1]: unknown event "token.isued"`}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, ps := parseYAMLText(t, "key: {type: Development}\n"+tc.yaml, nil)
			ps = append(ps, problems(t, c.Validate())...)
			var got []string
			for _, p := range ps {
				if strings.HasPrefix(p.Path, "audit.") {
					got = append(got, p.Path+": "+p.Msg)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("problem %q, want it to start with %q", got[i], tc.want[i])
				}
			}
		})
	}
}
