// Package diff judges the incremental updates made after a PDF signature:
// what changed between consecutive revisions, object by object, and
// whether a rule explains it.
//
// The split follows the usual shape of such analysers: rules (rules.go)
// are values with a stable ID, a one-sentence doc, the object roles they
// judge and the level of change they stand for; a Policy is a list of
// rules; the engine (engine.go) walks the changed, new and freed objects of
// each later revision, finds each object's role (index.go) and runs the
// judge of that role (form.go, pages.go, parts.go), which
// explains the change by citing rules. What no rule in the policy explains
// is "other", which no signature permits. Problems are derived from the
// findings in one place (Result.problems).
package diff

// Level grades a change made after signing, from harmless to forbidden.
// The order matters: a DocMDP permission P allows every level up to one,
// and a report's level is the worst of its findings.
type Level int

const (
	None Level = iota
	// Archival: validation data (DSS, VRI), document timestamps, metadata:
	// never a change to what the document says.
	Archival
	// FormFill: field values and new signatures.
	FormFill
	// Annotation: comments and other non-widget annotations.
	Annotation
	// Other: anything else, including every change no rule explains.
	Other
)

func (l Level) String() string {
	switch l {
	case None:
		return "none"
	case Archival:
		return "archival"
	case FormFill:
		return "form-fill"
	case Annotation:
		return "annotation"
	}
	return "other"
}

// Allowed says whether changes of a level are permitted after a signature
// whose DocMDP permission is docMDP (0 for an approval signature): P=1
// allows only archival updates, P=2 adds form filling and signing, P=3 adds
// annotations, and nothing ever allows Other.
func Allowed(l Level, docMDP int) bool {
	switch l {
	case None, Archival:
		return true
	case FormFill:
		return docMDP == 0 || docMDP >= 2
	case Annotation:
		return docMDP == 0 || docMDP >= 3
	}
	return false
}

var levelNoun = map[Level]string{Archival: "archival updates", FormFill: "form filling or signing",
	Annotation: "annotation changes", Other: "this change"}
