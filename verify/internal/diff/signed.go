package diff

import (
	"slices"

	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/pdf"
)

// signedRevisions checks the signed revisions (and those before them),
// which must be read from the signed bytes alone and mean one thing to
// every reader, even when the signature covers the whole file.
func (a *chgAnalysis) signedRevisions() {
	revs := a.r.Revisions()
	sigRev := a.sigRev
	for i := 0; i <= sigRev; i++ {
		if past := a.r.EntriesPastEnd(i); len(past) > 0 {
			a.find(i, pdf.Ref{Num: past[0]}, RoleFile, rulePastEnd, i18n.Sprintf("its cross-reference section places %s at or past the end of the revision (offset %d): bytes written after it%s",
				plural(len(past), "object"), revs[i].End, listNums(past)))
		}
		if d := revs[i].Duplicates; len(d) > 0 {
			d = slices.Compact(slices.Sorted(slices.Values(d)))
			a.find(i, pdf.Ref{Num: d[0]}, RoleFile, ruleXrefDupSigned, i18n.Sprintf("its cross-reference section lists %s twice with different entries, which readers resolve differently: the signer may have seen another document%s",
				plural(len(d), "object"), listNums(d)))
		}
		if i > 0 {
			if d := hybridFreed(revs[i], a.r.At(i-1)); len(d) > 0 {
				a.find(i, pdf.Ref{Num: d[0]}, RoleFile, ruleHybridSigned, i18n.Sprintf("its hybrid cross-reference section marks %s of the revision before free in its table but in use in its /XRefStm stream, which readers resolve differently: the signer may have seen another document%s",
					plural(len(d), "object"), listNums(d)))
			}
		}
	}
}

// ambiguities reports what was read — the signed revisions' structure,
// every changed object and what it refers to — that PDF readers resolve
// differently (pdf.Ambiguity).
func (a *chgAnalysis) ambiguities() {
	last := len(a.r.Revisions()) - 1
	for _, amb := range a.r.Ambiguities() {
		a.find(last, pdf.Ref{Num: amb.Num}, RoleFile, ruleAmbiguous, i18n.Sprintf("%s: PDF readers resolve it differently, so viewers may show another document than the one verified", amb.String()))
	}
	if num, ok := a.linearizedLength(); ok && last > 0 {
		a.find(last, pdf.Ref{Num: num}, RoleFile, ruleAmbiguous, i18n.Sprintf("the file is exactly as long as its linearization dictionary (object %d) says, although updates follow the linearized document: readers that trust the linearization (poppler) read the first page's cross-reference and what it chains to, not the updates, so viewers may show another document than the one verified", num))
	}
}

// linearizedLength says whether the file's first object is a linearization
// dictionary whose /L is the file's length, and gives its number. A file
// updated after it was linearized is longer than /L; one padded to /L
// again makes poppler take the first-page cross-reference section.
func (a *chgAnalysis) linearizedLength() (uint32, bool) {
	head := make([]byte, min(1024, a.r.Size()))
	if n, _ := a.r.ReaderAt().ReadAt(head, 0); n < len(head) {
		return 0, false
	}
	off := int64(-1)
	objDefs(head, 0, func(d objDef) bool { off = d.Off; return false })
	if off < 0 {
		return 0, false
	}
	num, _, o, err := a.r.IndirectAt(off)
	d, _ := o.(pdf.Dict)
	if err != nil || d == nil || d["Linearized"] == nil {
		return 0, false
	}
	l, ok := d["L"].(pdf.Int)
	return num, ok && int64(l) == a.r.Size()
}
