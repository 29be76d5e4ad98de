package federation

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/sealed"
	"github.com/signetid/signet/internal/upstream"
)

// keySealPurpose binds a sealed client key to its use: a client secret
// sealed for the same provider cannot be opened as its key, nor the
// reverse.
const keySealPurpose = "external provider client key"

// ParseClientKey reads a client key file's content (private_key_jwt): a
// PEM private key (PKCS#8, PKCS#1 or SEC1, encrypted or not), a PEM with
// the key and its certificate chain, or a PKCS#12 (.pfx/.p12) with
// password. With certificates, the one of the key is the client's
// certificate. The key must be one upstream.NewClientKey accepts.
func ParseClientKey(data []byte, password string) (*upstream.ClientKey, error) {
	var pw certs.Password
	if password != "" {
		pw = certs.StaticPassword(password)
	}
	c, err := certs.Parse(data, pw)
	switch {
	case errors.Is(err, certs.ErrPasswordRequired):
		return nil, errors.New("the key file is password-protected: give its password (clientKeyPassword, such as ${CLIENT_KEY_PASSWORD})")
	case err != nil:
		return nil, err
	case c.Key == nil:
		return nil, errors.New("the file holds no private key: give the private key (PEM or .pfx), not only a certificate")
	}
	signer, ok := c.Key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", c.Key)
	}
	var cert *x509.Certificate
	if len(c.Certificates) > 0 {
		cred, err := certs.Combine(c)
		if err != nil {
			return nil, err
		}
		cert = cred.Certificate
	}
	return upstream.NewClientKey(signer, cert)
}

// encodeClientKey writes k as the database keeps it (sealed): the
// PKCS#8 private key, then its certificate, in PEM.
func encodeClientKey(k *upstream.ClientKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.Signer())
	if err != nil {
		return nil, err
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if c := k.Certificate(); c != nil {
		out = append(out, certs.EncodeCertPEM(c)...)
	}
	return out, nil
}

// describeClientKey sets what is shown of s's client key without opening
// it: its kid, its certificate's thumbprint and its public JWK.
func (s *Settings) describeClientKey() error {
	s.ClientKeyID, s.ClientCertThumbprint, s.ClientPublicJWK = "", "", nil
	k := s.ClientKey
	if k == nil {
		return nil
	}
	jwk, err := k.PublicJWK()
	if err != nil {
		return err
	}
	s.ClientKeyID, s.ClientPublicJWK = k.KeyID(), jwk
	if c := k.Certificate(); c != nil {
		s.ClientCertThumbprint = certs.Thumbprint(c)
	}
	return nil
}

// sealClientKey seals s's client key under kek into c.
func (s *Settings) sealClientKey(kek []byte, c *Settings) error {
	c.SealedClientKey = nil
	if s.ClientKey == nil {
		return c.describeClientKey()
	}
	if kek == nil {
		return fmt.Errorf("provider %q: no key-encryption key to seal its client key with", s.Name)
	}
	p, err := encodeClientKey(s.ClientKey)
	if err != nil {
		return fmt.Errorf("provider %q: encode the client key: %w", s.Name, err)
	}
	b, err := sealed.Seal(kek, s.Name, keySealPurpose, p)
	if err != nil {
		return fmt.Errorf("provider %q: seal the client key: %w", s.Name, err)
	}
	c.SealedClientKey = b
	return c.describeClientKey()
}

// openClientKey opens s's sealed client key with kek.
func (s *Settings) openClientKey(kek []byte) error {
	if len(s.SealedClientKey) == 0 {
		return nil
	}
	if kek == nil {
		return fmt.Errorf("provider %q: its client key is sealed, and no key-encryption key is configured", s.Name)
	}
	b, err := sealed.Open(kek, s.Name, keySealPurpose, s.SealedClientKey)
	if err != nil {
		return fmt.Errorf("provider %q: open its client key: %w", s.Name, err)
	}
	k, err := ParseClientKey(b, "")
	if err != nil {
		return fmt.Errorf("provider %q: its sealed client key: %w", s.Name, err)
	}
	s.ClientKey = k
	// What was stored beside it is shown, never trusted: made again.
	return s.describeClientKey()
}

// clientKeyProblems are Problems' for the client key.
func (s *Settings) clientKeyProblems() []string {
	if s.ClientKey == nil {
		return nil
	}
	var out []string
	if s.ClientSecret != "" {
		out = append(out, "give a client secret or a client key (private_key_jwt), not both")
	}
	switch s.Type {
	case TypeGoogle, TypeGitHub:
		out = append(out, fmt.Sprintf("type %s takes no client key (private_key_jwt is for types oidc and entra): give its client secret", s.Type))
	case TypeEntra:
		if s.ClientKey.Certificate() == nil {
			out = append(out, "Microsoft Entra ID registers certificates, not bare keys: give the key with its certificate (a .pfx, or a PEM with both), and upload the certificate to the app registration's Certificates & secrets")
		}
	}
	return out
}
