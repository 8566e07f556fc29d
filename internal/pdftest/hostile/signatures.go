package hostile

import (
	"fmt"
	"strings"
)

// ManySignatures is a one-page document with n signature fields, each with
// its own small bogus signature (a /ByteRange that does not fit the file
// and a three-byte /Contents): every one is judged, and fails, on its own.
// About 170 bytes a signature.
func ManySignatures(n int) []byte {
	f := &file{}
	var fields strings.Builder
	for i := range n {
		fmt.Fprintf(&fields, "%d 0 R ", 10+2*i)
		f.add(int64(10+2*i), fmt.Sprintf("<</FT/Sig/T(S%d)/V %d 0 R>>", i, 11+2*i))
		f.add(int64(11+2*i), "<</Type/Sig/ByteRange[0 10 20 30]/Contents<3000>>>")
	}
	tree(f, "/AcroForm<</Fields["+fields.String()+"]/SigFlags 3>>", "")
	f.add(3, page(""))
	b, _ := f.bytes()
	return b
}
