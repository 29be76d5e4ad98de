// Package signing turns configured credentials into the keys that sign and
// validate tokens: it loads them from their sources (Development, File,
// Store), picks the one that signs, publishes all of them as a JWKS, and
// signs JWTs.
//
// This is the key path of ../shared/ARCHITECTURE.md: sources are read at
// startup (and on reload), and the Ring they make is what the token path
// uses: its JWKS bytes are encoded once, and signing reads no file.
//
// It builds on internal/certs and internal/certstore and knows nothing of
// HTTP or of the configuration file's shape.
package signing
