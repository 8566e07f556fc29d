// Package fileutil holds the file helpers that signing and the archive
// share.
package fileutil

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
)

// SHA256 streams the regular file at path through SHA-256 and returns the
// hex digest and the number of bytes read. A file that changes meanwhile is
// ErrChanged.
func SHA256(path string) (string, int64, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, f.Reader(), make([]byte, 1<<20))
	if err == nil {
		err = f.Unchanged()
	}
	if err != nil {
		return "", n, &os.PathError{Op: "read", Path: path, Err: err}
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// UnwrapPath drops the operation and path an *fs.PathError repeats, for
// messages that name the file themselves ("config x.yaml: no such file or
// directory"). Other errors come back as they are.
func UnwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
