// Package testsupport holds the fixtures that the tests of several packages
// share: a log destination that the code under test writes while the test
// reads it, a private_key_jwt client's key and the assertions it signs, and
// self-signed certificates.
//
// Only _test.go files import it; production code must not. Of Signet's
// packages it imports only internal/certs (and its dn), which import nothing
// else of ours: the tests of any other package may use it.
package testsupport
