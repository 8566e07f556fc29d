package archive

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/kyso-project/kyso/internal/pdf"
)

// pdfWithInfo is a minimal PDF whose Info dictionary holds the metadata the
// way kyso sign writes it: JSON in a UTF-16BE text string.
func pdfWithInfo(m Meta) []byte {
	js, _ := json.Marshal(m)
	u := []byte{0xFE, 0xFF}
	for _, c := range utf16.Encode([]rune(string(js))) {
		u = append(u, byte(c>>8), byte(c))
	}
	return pdfWithInfoString(u)
}

// pdfWithInfoString is a minimal PDF whose Info dictionary holds raw as the
// metadata string.
func pdfWithInfoString(u []byte) []byte {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>",
		"<< /Producer (kyso) /" + InfoKey + " <" + hex.EncodeToString(u) + "> >>"}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func TestEmbeddedMetadata(t *testing.T) {
	_, c := newCatalogue(t)
	dir := t.TempDir()
	want := Meta{Dossier: "H26.01-250305-0009", Procedure: "1.001234", ProcedureName: "Đăng ký khai sinh",
		Unit: "000.00.01.H26", Level: "commune", Issued: "2025-03-05"}
	self := filepath.Join(dir, "self.pdf")
	os.WriteFile(self, pdfWithInfo(want), 0o644)
	other := Meta{Dossier: "X-1", Procedure: "1.001234", Issued: "2025-03-05"}
	override := filepath.Join(dir, "override.pdf")
	os.WriteFile(override, pdfWithInfo(other), 0o644)
	pattern := filepath.Join(dir, "Y-2_9.999999.pdf")
	os.WriteFile(pattern, pdfWithInfo(Meta{Dossier: "Z-3", Issued: "2024-01-02"}), 0o644)

	res, sum := ingest(t, c, []string{self, override, pattern}, IngestOptions{
		Meta:        map[string]Meta{"override.pdf": {Dossier: "CSV-1", ProcedureName: "Chứng thực bản sao"}},
		NamePattern: mustPattern(t, "{dossier}_{procedure}.pdf"),
	})
	if sum.Ingested != 3 {
		t.Fatalf("%+v %+v", sum, res)
	}
	tests := []struct {
		ref  string
		want Meta
	}{
		{"H26.01-250305-0009", Meta{Dossier: "H26.01-250305-0009", Procedure: "1.001234", ProcedureName: "Đăng ký khai sinh", Unit: "000.00.01.H26", Level: "commune", Issued: "2025-03-05"}},
		// the --meta row is not signed either: it fills the procedure name
		// and loses on the dossier
		{"X-1", Meta{Dossier: "X-1", Procedure: "1.001234", ProcedureName: "Chứng thực bản sao", Unit: testUnit.Code, UnitName: testUnit.Name, Level: testUnit.Level, Issued: "2025-03-05"}},
		// the file name is not signed: it fills the procedure the signature
		// does not give, and loses on the dossier it does
		{"Z-3", Meta{Dossier: "Z-3", Procedure: "9.999999", Unit: testUnit.Code, UnitName: testUnit.Name, Level: testUnit.Level, Issued: "2024-01-02"}},
	}
	for _, tt := range tests {
		es, err := c.Find(t.Context(), tt.ref)
		if err != nil {
			t.Fatalf("%s: %v", tt.ref, err)
		}
		if got := es[0].Record.Meta; got != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.ref, got, tt.want)
		}
	}
	for _, unsigned := range []string{"Y-2", "CSV-1"} {
		if es, err := c.Find(t.Context(), unsigned); err == nil && len(es) > 0 {
			t.Errorf("an unsigned source replaced the signed dossier: %+v", es[0].Record.Meta)
		}
	}
	// the disagreement is a warning on that file, and a history note
	const note = `the file name Y-2_9.999999.pdf disagrees with the metadata signed in the document (dossier: signed "Z-3", file name "Y-2"); recorded: the signed values`
	if w := res["Y-2_9.999999.pdf"].Warnings; !containsString(w, note) {
		t.Errorf("warnings %q lack %q", w, note)
	}
	const csvNote = `the metadata CSV row of override.pdf disagrees with the metadata signed in the document (dossier: signed "X-1", metadata CSV "CSV-1"); recorded: the signed values`
	if w := res["override.pdf"].Warnings; !containsString(w, csvNote) {
		t.Errorf("warnings %q lack %q", w, csvNote)
	}
	for name, n := range map[string]int{"self.pdf": 0, "override.pdf": 1, "Y-2_9.999999.pdf": 1} {
		got := 0
		for _, w := range res[name].Warnings {
			if strings.Contains(w, "disagrees") {
				got++
			}
		}
		if got != n {
			t.Errorf("%s: %d conflict warnings, want %d: %q", name, got, n, res[name].Warnings)
		}
	}
	for ref, want := range map[string]Event{"Z-3": {Type: EventNameConflict, Detail: note}, "X-1": {Type: EventMetaConflict, Detail: csvNote}} {
		es, err := c.Find(t.Context(), ref)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range es[0].History {
			found = found || (ev.Type == want.Type && ev.Detail == want.Detail)
		}
		if !found {
			t.Errorf("%s: no %s event in %+v", ref, want.Type, es[0].History)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestEmbeddedMetadataText: the metadata string is decoded as a PDF text
// string (pdf.TextString): PDFDocEncoding, where 0x84 is an em dash (not
// Latin-1's control character), UTF-16BE and UTF-8 with a byte order mark.
func TestEmbeddedMetadataText(t *testing.T) {
	utf16be := []byte{0xFE, 0xFF}
	for _, c := range utf16.Encode([]rune(`{"dossier_code":"D-3","procedure_name":"Khai sinh — bản sao"}`)) {
		utf16be = append(utf16be, byte(c>>8), byte(c))
	}
	tests := []struct {
		name string
		raw  []byte
		want Meta
	}{
		{"PDFDocEncoding", []byte("{\"dossier_code\":\"D-1\",\"procedure_name\":\"A\x84B\"}"), Meta{Dossier: "D-1", ProcedureName: "A—B"}},
		{"UTF-8 BOM", append([]byte{0xEF, 0xBB, 0xBF}, `{"dossier_code":"D-2","procedure_name":"Đăng ký khai sinh"}`...), Meta{Dossier: "D-2", ProcedureName: "Đăng ký khai sinh"}},
		{"UTF-16BE", utf16be, Meta{Dossier: "D-3", ProcedureName: "Khai sinh — bản sao"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.pdf")
			if err := os.WriteFile(path, pdfWithInfoString(tt.raw), 0o644); err != nil {
				t.Fatal(err)
			}
			got, ok := embeddedMeta(path)
			if !ok || got != tt.want {
				t.Errorf("embeddedMeta = %+v, %v; want %+v", got, ok, tt.want)
			}
		})
	}
}

// embeddedMeta reads the metadata a file carries in its newest document
// information dictionary, signed or not: the tests' stub verifier takes it
// for the signed one (production code reads only the signed revision's,
// through the verifier); ok is false when it has none.
func embeddedMeta(path string) (m Meta, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return m, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return m, false
	}
	r, err := pdf.NewReader(f, st.Size())
	if err != nil {
		return m, false
	}
	info, err := r.Dict(r.Trailer()["Info"])
	if err != nil || info == nil {
		return m, false
	}
	s, isStr := info[pdf.Name(InfoKey)].(pdf.String)
	if !isStr {
		return m, false
	}
	if json.Unmarshal([]byte(s.Text()), &m) != nil || validateMeta(&m) != nil {
		return Meta{}, false
	}
	return m, true
}
