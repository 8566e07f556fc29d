//go:build !cgo

package pkcs11

import (
	"context"
	"errors"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keys"
)

// errNoCgo says this kyso binary cannot load PKCS#11 modules: loading a C
// library needs cgo, and the binary was built with CGO_ENABLED=0.
var errNoCgo = errors.New("this kyso was built without PKCS#11 support (CGO_ENABLED=0)")

const hintNoCgo = "use a kyso built with cgo (the release builds are), or sign with --p12"

// Open fails: see errNoCgo.
func Open(ctx context.Context, o Options) (*keys.Key, error) {
	return nil, fail.Run(errNoCgo, hintNoCgo)
}

// List fails: see errNoCgo.
func List(ctx context.Context, module, tokenLabel string, pin []byte) ([]TokenInfo, error) {
	return nil, fail.Run(errNoCgo, hintNoCgo)
}
