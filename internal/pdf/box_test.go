package pdf

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// boxDoc is a two-page PDF whose second page has the extra keys keys.
func boxDoc(keys string) []byte {
	return classicDoc(
		"<</Type/Catalog/Pages 2 0 R>>",
		"<</Type/Pages/Kids[3 0 R 4 0 R]/Count 2/MediaBox[0 0 595 842]>>",
		"<</Type/Page/Parent 2 0 R>>",
		"<</Type/Page/Parent 2 0 R"+keys+">>",
	)
}

// classicDoc writes objects 1, 2, ... with these bodies (object 1 the
// catalog) and a classic cross-reference table.
func classicDoc(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

// Pages reads boxes it cannot compute with without failing, and says why
// in the page's BoxErr, naming the page and the box.
func TestPageBoxErr(t *testing.T) {
	big := "17" + strings.Repeat("0", 307) + ".0"
	for _, tc := range []struct{ keys, want string }{
		{"", ""},
		{"/MediaBox[0 0 -595 -842]", ""},
		{"/MediaBox[0 0 0 0]", ""},
		{"/MediaBox[-" + big + " 0 " + big + " 842]", "page 2: /MediaBox width is not a finite number"},
		{"/MediaBox[0 -" + big + " 595 " + big + "]", "page 2: /MediaBox height is not a finite number"},
		{"/MediaBox[0 0 1000001 842]", "page 2: /MediaBox [0 0 1.000001e+06 842]: 1.000001e+06 is beyond ±1000000"},
		{"/CropBox[0 0 595 " + big + "]", "page 2: /CropBox"},
	} {
		data := boxDoc(tc.keys)
		r, err := NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		pages, err := r.Pages()
		if err != nil || len(pages) != 2 {
			t.Fatalf("%s: %d pages, %v", tc.keys, len(pages), err)
		}
		if pages[0].BoxErr != nil {
			t.Errorf("%s: page 1: %v", tc.keys, pages[0].BoxErr)
		}
		got := ""
		if pages[1].BoxErr != nil {
			got = pages[1].BoxErr.Error()
		}
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: BoxErr %q, want %q", tc.keys, got, tc.want)
		}
	}
}
