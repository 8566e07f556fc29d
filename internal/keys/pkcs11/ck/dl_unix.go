//go:build !windows

package ck

import (
	"github.com/kyso-project/kyso/internal/i18n"

	"github.com/ebitengine/purego"
)

// openLibrary loads a shared library with the system's dlopen, which
// purego reaches without cgo (through its fake-cgo runtime when the binary
// is built with CGO_ENABLED=0). A bare name is looked up on the loader's
// search path.
func openLibrary(path string) (uintptr, error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return 0, err
	}
	return h, nil
}

func symbol(h uintptr, name string) (uintptr, error) {
	p, err := purego.Dlsym(h, name)
	if err != nil || p == 0 {
		return 0, i18n.Errorf("it has no %s: not a PKCS#11 module", name)
	}
	return p, nil
}

func closeLibrary(h uintptr) { _ = purego.Dlclose(h) }
