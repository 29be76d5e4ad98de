//go:build pkcs11 && cgo && !unix

package pkcs11

// whyNotLoaded says why the binding could not load the library at path.
func whyNotLoaded(path string) string {
	return "it cannot be loaded as a PKCS#11 library"
}
