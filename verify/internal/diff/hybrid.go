package diff

import "github.com/kyso-project/kyso/internal/pdf"

// hybridFreed lists the object numbers that rv's hybrid sections mark free
// in their table while their /XRefStm stream lists them in use, and that
// were in use in the document as before shows it: readers that follow the
// table (MuPDF) see those objects deleted, readers that follow the stream
// (qpdf, pdf.js, this one) see them. Numbers before does not have are new
// objects listed in the stream only, the usual hybrid pattern.
func hybridFreed(rv *pdf.Revision, before *pdf.Reader) []uint32 {
	var out []uint32
	for _, n := range rv.HybridFree {
		if _, used := before.Lookup(n); used {
			out = append(out, n)
		}
	}
	return out
}
