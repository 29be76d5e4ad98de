package main

import (
	"encoding/json"
	"fmt"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/storage"
)

// fileResourceRecord turns the configuration's API resource at path into
// the record the database would hold for it, as fileRecord does a client:
// its secrets (secrets, and IdentityServer's apiSecrets) hashed, its keys
// encoded, how it is answered at the introspection endpoint. What is wrong
// is reported in out, at its place in the file.
func fileResourceRecord(cfg *config.Config, path string, r *config.APIResource, out *clientBuild) storage.APIResource {
	rec := storage.APIResource{
		Name: r.Name, DisplayName: r.DisplayName, Scopes: r.Scopes,
		Secrets:               fileSecrets(cfg, path, "apiSecrets", r.Secrets, r.APISecrets, "can introspect tokens as "+r.Name, out, false),
		JWKSURI:               r.JWKSURI,
		IntrospectionResponse: storage.IntrospectionJSON,
	}
	if r.IntrospectionResponse == config.IntrospectionJWT {
		rec.IntrospectionResponse = storage.IntrospectionJWT
	}
	if (r.JWKS != nil || r.JWKSURI != "") && cfg.Issuer == "" {
		out.problems = append(out.problems, cfg.Problemf(path, "API resource %q authenticates with private_key_jwt, which needs a configured issuer: set issuer to the URL clients use (such as https://auth.example.com), so that assertions made for another server are refused", r.Name))
	}
	if r.JWKS != nil {
		data, err := json.Marshal(r.JWKS)
		if err == nil {
			rec.JWKS = data
			_, err = client.ParseKeys(data)
		}
		if err != nil {
			out.problems = append(out.problems, cfg.Problemf(path+".jwks", "%v", err))
		}
	}
	return rec
}

// resourcePath is the path of the configuration's i-th API resource.
func resourcePath(i int) string { return fmt.Sprintf("apiResources[%d]", i) }
