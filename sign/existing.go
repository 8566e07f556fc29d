package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"

	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/pdf"
)

// CheckExisting reports whether output is an incremental extension of
// input: it starts with exactly the input's bytes and adds at least one
// revision. Whether its signatures verify is for the caller's verifier.
func CheckExisting(ctx context.Context, input, output string) error {
	in, err := fileutil.OpenRegular(input)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fileutil.OpenRegular(output)
	if err != nil {
		return err
	}
	defer out.Close()
	if out.Size() <= in.Size() {
		return i18n.Errorf("it is not longer than the input")
	}
	hi, ho := sha256.New(), sha256.New()
	if _, err := io.Copy(hi, in.Reader()); err != nil {
		return err
	}
	if _, err := io.Copy(ho, io.NewSectionReader(out.ReaderAt(), 0, in.Size())); err != nil {
		return err
	}
	if err := in.Unchanged(); err != nil {
		return err
	}
	if !bytes.Equal(hi.Sum(nil), ho.Sum(nil)) {
		return i18n.Errorf("it does not start with the input's bytes (made from another input?)")
	}
	r, err := pdf.NewReader(out.ReaderAt(), out.Size())
	if err != nil {
		return i18n.Errorf("not a readable PDF: %v", err)
	}
	ri, err := pdf.NewReader(in.ReaderAt(), in.Size())
	if err != nil {
		return i18n.Errorf("input: %v", err)
	}
	if len(r.Revisions()) <= len(ri.Revisions()) {
		return i18n.Errorf("it adds no revision to the input")
	}
	return ctx.Err()
}
