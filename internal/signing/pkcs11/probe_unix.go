//go:build pkcs11 && cgo && unix

package pkcs11

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

// probe loads path the way the binding does and says what went wrong: the
// dynamic loader's message, or that C_GetFunctionList is missing.
static char *probe(const char *path, int *hasList) {
	*hasList = 0;
	void *h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL) {
		char *e = dlerror();
		return e == NULL ? NULL : strdup(e);
	}
	*hasList = dlsym(h, "C_GetFunctionList") != NULL;
	dlclose(h);
	return NULL;
}
*/
import "C"

import "unsafe"

// whyNotLoaded says why the binding could not load the library at path.
func whyNotLoaded(path string) string {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var hasList C.int
	msg := C.probe(cpath, &hasList)
	if msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return C.GoString(msg)
	}
	if hasList == 0 {
		return "it is not a PKCS#11 library (it has no C_GetFunctionList)"
	}
	return "the library loads, but C_GetFunctionList failed"
}
