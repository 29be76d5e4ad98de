// Package expiry warns, in the log, of signing and validation certificates
// that expire soon or have expired: a WARN line per certificate expiring
// within the window at startup and once a day, an ERROR line per expired
// one every hour while it is still configured. Keys without a certificate
// (the development key, managed keys, which rotate themselves) are never
// flagged.
package expiry
