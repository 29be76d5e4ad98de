module github.com/signetid/signet

go 1.26.0

// makecert gives most certificates a negative serial number (its serials are
// random bytes read as a signed integer). Go refuses those since 1.23 unless
// this is set; Windows, .NET and OpenSSL accept them.
godebug x509negativeserial=1

require (
	github.com/rogpeppe/go-internal v1.16.0
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
	software.sslmate.com/src/go-pkcs12 v0.7.4
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/tools v0.26.0 // indirect
)
