package verify

import (
	"context"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/verify/internal/diff"
)

// ChangeClass grades a change made after signing, from harmless to
// forbidden (diff.Level). The order matters: a DocMDP permission P allows
// every class up to a level, and a report's class is the worst of its
// changes.
type ChangeClass = diff.Level

const (
	ChangeNone = diff.None
	// ChangeArchival: validation data (DSS, VRI), document timestamps,
	// metadata: never a change to what the document says.
	ChangeArchival = diff.Archival
	// ChangeFormFill: field values and new signatures.
	ChangeFormFill = diff.FormFill
	// ChangeAnnotation: comments and other non-widget annotations.
	ChangeAnnotation = diff.Annotation
	// ChangeOther: anything else, including every change no rule explains.
	ChangeOther = diff.Other
)

// Change is one change made by a revision after the signed one, and the
// rule that judged it.
type Change struct {
	// Rule is the stable ID of the rule (see docs/verify-changes.md).
	Rule     string
	Revision int
	Object   pdf.Ref
	Class    ChangeClass
	// What says it for people: "page 1 /Contents replaced".
	What string
}

func (c Change) String() string {
	return diff.Finding{Revision: c.Revision, Object: c.Object, What: c.What}.String()
}

// ChangeReport is what the revisions after a signature changed.
type ChangeReport struct {
	// Class is the worst class of all changes.
	Class ChangeClass
	// Changes are the findings of the analysis, without those of class
	// none (unused objects rewritten).
	Changes []Change
	// Problems name the object and what changed for everything that makes
	// the signature invalid; ProblemChanges are the same, as changes.
	Problems       []string
	ProblemChanges []Change
	Warnings       []string
}

// FieldLock is a FieldMDP lock as its dictionary: the /TransformParams of a
// signature's FieldMDP transform, or a signature field's /Lock, with
// /Action (All, Include or Exclude) and /Fields (fully qualified names).
type FieldLock = pdf.Dict

// MDP is what a signature permits after it.
type MDP struct {
	// DocMDP is P of a certification signature (1, 2 or 3), 0 for none.
	DocMDP int
	// FieldLocks are the FieldMDP locks in force.
	FieldLocks []FieldLock
}

// Allowed says whether changes of a class are permitted after a signature
// whose DocMDP permission is docMDP (0 for an approval signature): P=1
// allows only archival updates, P=2 adds form filling and signing, P=3 adds
// annotations, and nothing ever allows ChangeOther.
func Allowed(class ChangeClass, docMDP int) bool { return diff.Allowed(class, docMDP) }

// AnalyzeChanges compares every revision after the signed one (sigRev, the
// revision the signature covers) with the one before it, object by object,
// and judges each change by the rules of verify/internal/diff (listed in
// docs/verify-changes.md): nothing is allowed unless a rule explains it.
// signedField is the signature's own field, which no later revision may
// change; mdp makes visible new signatures (after a certification) and
// changes to locked fields other, and turns changes beyond the DocMDP
// permission into problems.
//
// The error is for a cancelled context and for arguments out of range; a
// damaged later revision is a problem, not an error.
func AnalyzeChanges(ctx context.Context, r *pdf.Reader, sigRev int, signedField string, mdp MDP) (*ChangeReport, error) {
	res, err := diff.Analyze(ctx, r, sigRev, diff.Options{SignedField: signedField, DocMDP: mdp.DocMDP, FieldLocks: mdp.FieldLocks})
	if err != nil {
		return nil, err
	}
	change := func(f diff.Finding) Change {
		return Change{Rule: f.Rule, Revision: f.Revision, Object: f.Object, Class: f.Level, What: f.What}
	}
	rep := &ChangeReport{Class: res.Level, Warnings: res.Warnings}
	for _, f := range res.Findings {
		if f.Level != diff.None {
			rep.Changes = append(rep.Changes, change(f))
		}
	}
	for _, p := range res.Problems {
		rep.Problems = append(rep.Problems, p.Message)
		rep.ProblemChanges = append(rep.ProblemChanges, change(p.Finding))
	}
	return rep, nil
}
