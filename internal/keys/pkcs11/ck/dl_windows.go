package ck

import (
	"github.com/kyso-project/kyso/internal/i18n"
	"strings"

	"golang.org/x/sys/windows"
)

// openLibrary loads a DLL. A full path is loaded with the DLL's own folder
// searched for the DLLs it needs (vendor drivers ship several side by
// side); a bare name is searched in the application folder and System32
// only, never the current directory.
func openLibrary(path string) (uintptr, error) {
	var h windows.Handle
	var err error
	if strings.ContainsAny(path, `\/`) {
		h, err = windows.LoadLibraryEx(path, 0, windows.LOAD_WITH_ALTERED_SEARCH_PATH)
	} else {
		h, err = windows.LoadLibraryEx(path, 0, windows.LOAD_LIBRARY_SEARCH_DEFAULT_DIRS)
	}
	if err != nil {
		return 0, err
	}
	return uintptr(h), nil
}

func symbol(h uintptr, name string) (uintptr, error) {
	p, err := windows.GetProcAddress(windows.Handle(h), name)
	if err != nil || p == 0 {
		return 0, i18n.Errorf("it has no %s: not a PKCS#11 module", name)
	}
	return p, nil
}

func closeLibrary(h uintptr) { _ = windows.FreeLibrary(windows.Handle(h)) }
