package archive

import (
	"fmt"
	"strings"
)

// EventNameConflict is the history event of a record whose file name, read
// by --name-pattern, disagreed with the metadata signed in the document:
// the signed values were recorded.
const EventNameConflict = "name-conflicts-with-signed-metadata"

// EventMetaConflict is the history event of a record whose row in the
// metadata CSV given to ingest disagreed with the metadata signed in the
// document: the signed values were recorded.
const EventMetaConflict = "meta-row-conflicts-with-signed-metadata"

// unsignedSource names where unsigned metadata came from, in conflict notes.
type unsignedSource int

const (
	fromFileName unsignedSource = iota // --name-pattern applied to the file name
	fromMetaRow                        // the file's row in the metadata CSV
)

func (s unsignedSource) label() string {
	if s == fromMetaRow {
		return "metadata CSV"
	}
	return "file name"
}

func (s unsignedSource) event() string {
	if s == fromMetaRow {
		return EventMetaConflict
	}
	return EventNameConflict
}

// fillUnsigned completes signed (the metadata signed in the document) with
// what an unsigned source says: the file name (--name-pattern) or the
// file's row in the metadata CSV. Neither is covered by the signature and
// both can travel with the documents, so they only fill what the signature
// does not say: where both give a value and they differ, the signed one is
// kept and the disagreement returned ("procedure: signed 1.0001, file name
// 9.9999"), for a warning and a history note.
func fillUnsigned(signed *Meta, name Meta, src unsignedSource) (conflicts []string) {
	fields := []struct {
		label    string
		dst      *string
		fromName string
	}{
		{"dossier", &signed.Dossier, name.Dossier},
		{"procedure", &signed.Procedure, name.Procedure},
		{"procedure name", &signed.ProcedureName, name.ProcedureName},
		{"unit", &signed.Unit, name.Unit},
		{"unit name", &signed.UnitName, name.UnitName},
		{"level", &signed.Level, name.Level},
		{"sector", &signed.Sector, name.Sector},
		{"result number", &signed.ResultNumber, name.ResultNumber},
		{"copy form", &signed.CopyForm, name.CopyForm},
		{"issued", &signed.Issued, name.Issued},
	}
	for _, f := range fields {
		switch {
		case f.fromName == "":
		case *f.dst == "":
			*f.dst = f.fromName
		case *f.dst != f.fromName:
			conflicts = append(conflicts, fmt.Sprintf("%s: signed %q, %s %q", f.label, *f.dst, src.label(), f.fromName))
		}
	}
	return conflicts
}

// conflictNote is the warning and history detail for conflicts.
func conflictNote(base string, src unsignedSource, conflicts []string) string {
	what := "the file name " + base
	if src == fromMetaRow {
		what = "the metadata CSV row of " + base
	}
	return sanitize(fmt.Sprintf("%s disagrees with the metadata signed in the document (%s); recorded: the signed values",
		what, strings.Join(conflicts, "; ")))
}
