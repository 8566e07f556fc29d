package verify

import (
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"slices"
)

// changes judges what the revisions after a signature changed, under the
// signature's DocMDP permission (certification) or the approval rules:
// archival updates are always fine; form filling and annotations leave an
// approval signature valid with a warning and must fit a certification
// signature's P; anything else invalidates.
func (v *verifier) changes(s *sigState) {
	if s.cov == nil || len(s.cov.Problems) > 0 || len(s.ranges) != 2 {
		s.out.Modification = ""
		return
	}
	// A signature that covers the whole file is analysed too: nothing
	// follows it, but the signed revisions themselves must be unambiguous
	// (no entry past its revision's end, no object listed twice).
	mdp := MDP{DocMDP: s.d.DocMDP}
	if s.d.FieldMDP != nil {
		mdp.FieldLocks = append(mdp.FieldLocks, s.d.FieldMDP)
	}
	if s.loc.Lock != nil && s.d.FieldMDP == nil {
		mdp.FieldLocks = append(mdp.FieldLocks, s.loc.Lock)
	}
	rep, err := AnalyzeChanges(v.ctx, v.r, s.cov.Revision, s.loc.Field, mdp)
	if err != nil {
		s.out.Modification = ChangeOther.String()
		s.invalidf("the changes after signing could not be analysed: %v", err)
		return
	}
	s.out.Modification = rep.Class.String()
	// AnalyzeChanges names, as problems, every change of class other and
	// every change beyond a certification signature's DocMDP permission.
	for i, p := range rep.Problems {
		s.invalidf("changed after signing: %s", p)
		s.changeFinding(rep.ProblemChanges[i], Invalid, p)
	}
	if rep.Class == ChangeOther && len(rep.Problems) == 0 {
		s.invalidf("the document was changed after signing in a way no signature permits")
	}
	s.out.Warnings = append(s.out.Warnings, rep.Warnings...)
	if (rep.Class == ChangeFormFill || rep.Class == ChangeAnnotation) && s.d.DocMDP == 0 {
		what := ""
		if len(rep.Changes) > 0 {
			what = i18n.Sprintf(": %s", describeChanges(rep.Changes))
		}
		for _, c := range rep.Changes {
			if c.Class == ChangeFormFill || c.Class == ChangeAnnotation {
				s.changeFinding(c, "warning", c.String())
			}
		}
		if s.isDocTS() {
			s.warnf("the document was changed after this timestamp (%s)%s", englishWord(rep.Class.String()), what)
		} else {
			s.warnf("the document was changed after signing (%s), which an approval signature allows%s", englishWord(rep.Class.String()), what)
		}
	}
	v.recordRevisions(rep)
}

// changeFinding records a change as a finding whose ID is the rule that
// judged it (docs/verify-changes.md lists them). A reason already recorded
// for it (invalidf) takes the rule's ID rather than being listed twice.
func (s *sigState) changeFinding(c Change, severity Status, what string) {
	msg := "changed after signing: " + what
	for i, f := range s.findings {
		if f.Message == msg && f.Severity == string(severity) {
			s.findings[i].ID = c.Rule
			return
		}
		if f.ID == c.Rule && f.Message == msg {
			return
		}
	}
	s.findings = append(s.findings, Finding{ID: c.Rule, Severity: string(severity), Message: msg,
		key: "changed after signing: %s", args: []any{what}})
}

// recordRevisions fills the revision history from a change report: each
// revision's worst class and what it changed. Several signatures' reports
// cover the same revisions; each change is listed once.
func (v *verifier) recordRevisions(rep *ChangeReport) {
	if v.revClass == nil {
		v.revClass = map[int]ChangeClass{}
	}
	for _, c := range rep.Changes {
		if c.Revision < 0 || c.Revision >= len(v.rep.Revisions) {
			continue
		}
		rv := &v.rep.Revisions[c.Revision]
		if cl, ok := v.revClass[c.Revision]; !ok || c.Class > cl {
			v.revClass[c.Revision] = c.Class
			rv.Class = c.Class.String()
		}
		d := c.What
		if c.Object.Num != 0 {
			d = fmt.Sprintf("%s (object %d)", c.What, c.Object.Num)
		}
		if len(rv.Changes) < 50 && !slices.Contains(rv.Changes, d) {
			rv.Changes = append(rv.Changes, d)
		}
	}
}

// describeChanges lists the changes compactly for a reason.
func describeChanges[T fmt.Stringer](cs []T) string {
	const most = 5
	// Each step is a catalogue message, so the whole reads in the
	// reader's language (i18n.Printer.Translate).
	out := ""
	for i, c := range cs {
		switch {
		case i == most:
			return i18n.Sprintf("%s; and %d more", out, len(cs)-most)
		case i == 0:
			out = c.String()
		default:
			out = i18n.Sprintf("%s; %s", out, c.String())
		}
	}
	return out
}

// conclude turns the reasons gathered into the signature's status.
func (s *sigState) conclude() {
	s.out.Reasons = append(s.out.Reasons[:0], s.invalid...)
	s.out.Reasons = append(s.out.Reasons, s.indet...)
	switch {
	case len(s.invalid) > 0:
		s.out.Status = Invalid
	case len(s.indet) > 0:
		s.out.Status = Indeterminate
	default:
		s.out.Status = Valid
	}
	s.out.Integrity = s.digestOK
}
