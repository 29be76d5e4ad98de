// Package expiry warns, in the log, of signing and validation certificates
// that expire soon or have expired: a WARN line per certificate expiring
// within the window at startup and once a day, an ERROR line per expired
// one every hour while it is still configured. Keys without a certificate
// (the development key, managed keys, which rotate themselves) are never
// flagged. Client secrets with an expiration are watched alike, by the
// client's id and the secret's name (its id, description or position),
// never its value or hash.
package expiry
