package main

import (
	"os"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

// annotateCmd: annotate FILE appends to FILE an incremental update adding
// a white /Square annotation on page 1 (a change made after signing).
func annotateCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: annotate FILE")
	}
	p := ts.MkAbs(args[0])
	doc, err := os.ReadFile(p)
	ts.Check(err)
	out, err := attackgen.Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
		pages, err := r.Pages()
		if err != nil {
			return err
		}
		pg := pages[0]
		a := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "F": pdf.Int(4),
			"Rect": pdf.Array{pdf.Int(72), pdf.Int(600), pdf.Int(372), pdf.Int(724)},
			"IC":   pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)},
			"P": pg.Ref})
		annots, err := r.Array(pg.Dict["Annots"])
		if err != nil {
			return err
		}
		pd := pg.Dict.Clone()
		pd["Annots"] = append(append(pdf.Array{}, annots...), a)
		u.Set(pg.Ref, pd)
		return nil
	})
	ts.Check(err)
	ts.Check(os.WriteFile(p, out, 0o644))
}
