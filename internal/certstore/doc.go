// Package certstore keeps signing certificates in a certificate store modelled
// on the Windows one (a StoreLocation, CurrentUser or LocalMachine, and a
// StoreName such as My) and finds them by thumbprint or subject, with the
// semantics of .NET's X509Store.Find(..., validOnly: false): a self-signed or
// expired certificate is found like any other.
//
// # Layout
//
// A store is a directory <root>/<Location>/<Name>/ holding one file per
// certificate, named by its SHA-1 thumbprint in uppercase hex:
// <THUMBPRINT>.pfx when the private key is held (a PKCS#12 file with an empty
// password, AES-256/PBKDF2 encrypted and MACed), <THUMBPRINT>.cer (DER) when
// only the certificate is. Directories are created 0700 and files 0600.
//
// The root is $SIGNET_CERT_STORE when set. Otherwise CurrentUser lives in the
// user's data directory ($XDG_DATA_HOME/signet/certstore, else
// ~/.local/share/signet/certstore; ~/Library/Application Support/Signet/CertStore
// on macOS; %LOCALAPPDATA%\Signet\CertStore on Windows) and LocalMachine in
// a system one (/var/lib/signet/certstore; on Windows LocalMachine is refused,
// because %ProgramData% is readable by every user and Signet sets no ACLs).
// Keys are written only into a real directory (not a symbolic link) that
// belongs to the user, and only regular files are read.
//
// # Private keys
//
// As in .NET's X509Store on Linux and in Azure App Service's /var/ssl/private,
// stored keys are protected by the operating system's file permissions (the
// owner alone may read them), not by a password: a password would have to be
// stored next to the file to let the server start unattended. Keys that must
// never be readable as a file belong in an HSM.
//
// # Azure App Service
//
// When WEBSITE_LOAD_CERTIFICATES is set, CurrentUser/My is Azure's directory
// of private certificates, /var/ssl/private (or WEBSITE_PRIVATE_CERTS_PATH),
// where App Service writes each certificate it loads as a password-less
// <THUMBPRINT>.p12. Only thumbprints named in WEBSITE_LOAD_CERTIFICATES
// (comma-separated, or *) may be loaded, as on App Service itself. That store
// is read-only: certificates are uploaded in the Azure portal.
//
// # Order of matches
//
// A search by subject may match several certificates. They are returned in
// this order, and a server signs with the first: those with a private key
// before those without; then those valid now, the one that expires first
// first (so that a newer certificate imported beside it is published before
// it signs: rollover without a gap); then those not yet valid, soonest
// first; then expired ones, most recently expired first; ties by NotBefore,
// then thumbprint.
package certstore
