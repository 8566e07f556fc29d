package archive

import (
	"fmt"
	"strings"
)

// EventNameConflict is the history event of a record whose file name, read
// by --name-pattern, disagreed with the metadata signed in the document:
// the signed values were recorded.
const EventNameConflict = "name-conflicts-with-signed-metadata"

// fillFromName completes signed (the metadata signed in the document) with
// what the file name says (--name-pattern). The file name is not signed
// and travels with the documents, so it only fills what the signature does
// not say: where both give a value and they differ, the signed one is kept
// and the disagreement returned ("procedure: signed 1.0001, file name
// 9.9999"), for a warning and a history note.
func fillFromName(signed *Meta, name Meta) (conflicts []string) {
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
			conflicts = append(conflicts, fmt.Sprintf("%s: signed %q, file name %q", f.label, *f.dst, f.fromName))
		}
	}
	return conflicts
}

// nameConflictNote is the warning and history detail for conflicts.
func nameConflictNote(base string, conflicts []string) string {
	return sanitize(fmt.Sprintf("the file name %s disagrees with the metadata signed in the document (%s); recorded: the signed values",
		base, strings.Join(conflicts, "; ")))
}
