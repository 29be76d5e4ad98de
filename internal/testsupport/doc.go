// Package testsupport holds the fixtures that the tests of several packages
// share: a log destination that the code under test writes while the test
// reads it, a client's secrets, a private_key_jwt client's key and the
// assertions it signs, self-signed certificates, a fake clock, and a store
// that counts its reads of sessions and users (ReadCounter). The
// storage backends are in internal/testsupport/stores.
//
// Only _test.go files import it; production code must not. Of Signet's
// packages it imports internal/certs and internal/client (and what they
// import: certs/dn, secret, storage), so that the tests of those cannot use
// it; the tests of any other package may.
package testsupport
