package archive

import (
	"encoding/json"
	"os"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kyso-project/kyso/internal/pdf"
)

// InfoKey is the document-information key under which `kyso sign --meta`
// writes a result's TTHC metadata (the JSON of Meta), so that a signed file
// describes itself and ingest needs no CSV.
const InfoKey = "KysoTTHC"

// embeddedMeta reads the metadata a signed file carries in its newest
// document information dictionary; ok is false when it has none.
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
	if json.Unmarshal([]byte(textString(s.Bytes)), &m) != nil || validateMeta(&m) != nil {
		return Meta{}, false
	}
	return m, true
}

// textString decodes a PDF text string: UTF-16BE or UTF-8 with a byte order
// mark, else PDFDocEncoding (read as Latin-1, which it equals for letters).
func textString(b []byte) string {
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		u := make([]uint16, 0, len(b)/2)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return string(b[3:])
	case utf8.Valid(b):
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// overlay sets the fields of m that o has.
func (m *Meta) overlay(o Meta) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&m.Dossier, o.Dossier)
	set(&m.Procedure, o.Procedure)
	set(&m.ProcedureName, o.ProcedureName)
	set(&m.Unit, o.Unit)
	set(&m.UnitName, o.UnitName)
	set(&m.Level, o.Level)
	set(&m.Sector, o.Sector)
	set(&m.ResultNumber, o.ResultNumber)
	set(&m.CopyForm, o.CopyForm)
	set(&m.Issued, o.Issued)
}
