package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/federation"
	"github.com/signetid/signet/internal/sealed"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/upstream"
	"github.com/signetid/signet/storage"
)

// fileProviders converts the configuration's externalProviders, reading
// their secret files, and checks that each makes a relying party (as
// config check and serve report).
func fileProviders(cfg *config.Config, faulty func(string) bool) ([]federation.Settings, []config.Problem) {
	var out []federation.Settings
	var errs []config.Problem
	for i := range cfg.ExternalProviders {
		p := &cfg.ExternalProviders[i]
		path := fmt.Sprintf("externalProviders[%d]", i)
		if faulty(path) {
			continue
		}
		s := federation.Settings{
			Name: p.Name, Type: p.Type, DisplayName: p.DisplayName, Authority: p.Authority, Tenant: p.Tenant,
			ClientID: p.ClientID, ClientSecret: p.ClientSecret, Scopes: p.Scopes, ClaimMappings: p.ClaimMappingStrings(),
			AutoProvision: p.AutoProvision, SaveTokens: p.SaveTokens, Timeout: p.Timeout, Source: "configuration",
		}
		if p.ClientSecretFile != "" {
			v, _, err := readSecretFile(p.ClientSecretFile, "clientSecretFile", "the client secret")
			if err != nil {
				errs = append(errs, cfg.Problemf(path+".clientSecretFile", "%v", err))
				continue
			}
			s.ClientSecret = v
		}
		if p.ClientKeyFile != "" {
			k, err := readClientKey(p.ClientKeyFile, p.ClientKeyPassword, "clientKeyFile")
			if err != nil {
				errs = append(errs, cfg.Problemf(path+".clientKeyFile", "%v", err))
				continue
			}
			s.ClientKey = k
		}
		if _, err := federation.Build(&s, "https://signet.invalid"+federation.CallbackPath(s.Name), nil); err != nil {
			errs = append(errs, cfg.Problemf(path, "%v", err))
			continue
		}
		out = append(out, s)
	}
	return out, errs
}

// readClientKey reads a provider's client key file (private_key_jwt):
// a PEM key, a PEM with key and certificate, or a .pfx with password.
// setting names it in messages ("clientKeyFile", "--client-key-file").
func readClientKey(path, password, setting string) (*upstream.ClientKey, error) {
	// Checked before it is opened, as readSecretFile does: a FIFO would
	// hang the server's start.
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s %s does not exist (a relative path is relative to the configuration file's directory)", setting, path)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", setting, err)
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%s %s is not a regular file: give the private key file (PEM or .pfx)", setting, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", setting, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, certs.MaxFileSize+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", setting, err)
	case len(data) > certs.MaxFileSize:
		return nil, fmt.Errorf("%s %s is larger than %d KiB, which no key file is: is it the right file?", setting, path, certs.MaxFileSize>>10)
	}
	k, err := federation.ParseClientKey(data, password)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", setting, path, err)
	}
	return k, nil
}

// federationStore is a store that keeps what federation needs (every
// backend, once all of them implement issue 16's records).
type federationStore interface {
	storage.Store
	storage.UserLinks
	storage.ExternalProviders
}

// federationOptions makes the sign-in's external providers: the file's
// and the database's, merged, in a registry that svc.providers keeps
// current. nil when neither the file nor the store may have any.
func (a *app) federationOptions(svc *services, db storage.Store, logger *slog.Logger) (*signin.Federation, error) {
	file := svc.fileProviders
	cfg := svc.cfg
	fs, ok := db.(federationStore)
	if !ok {
		if len(file) > 0 {
			return nil, fmt.Errorf("externalProviders: the %s store does not keep external providers' links yet: use storage memory, or leave externalProviders out", cfg.Storage.Driver)
		}
		return nil, nil
	}
	kek := func() ([]byte, error) { return secretsKEK(cfg) }
	reg := federation.NewRegistry(federation.Options{})
	svc.providers = &federation.Loader{Registry: reg, Source: federation.Source{File: file, Store: fs, KEK: kek, Logger: logger}}
	return &signin.Federation{
		Providers: reg,
		Store:     fs,
		Seal: func(owner, purpose string, plaintext []byte) ([]byte, error) {
			k, err := kek()
			if err != nil {
				return nil, err
			}
			return sealed.Seal(k, owner, purpose, plaintext)
		},
	}, nil
}

// startProviders reads the database's providers once (a conflict with the
// file stops the server, as for clients), then keeps them current.
func (a *app) startProviders(ctx context.Context, svc *services, logger *slog.Logger) error {
	if svc.providers == nil {
		return nil
	}
	var conflict *federation.ConflictError
	if err := svc.providers.Load(ctx); errors.As(err, &conflict) {
		return err
	} else if err != nil {
		logger.Warn("could not read the external providers from the database; retrying", slog.String("error", err.Error()))
		svc.providers.Registry.Set(svc.providers.Source.File)
	}
	go svc.providers.Watch(ctx, svc.cfg.Storage.PollInterval)
	return nil
}
