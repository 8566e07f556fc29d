package verify

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kyso-project/kyso/internal/pdf"
)

// MetadataInfoKey is the document-information key under which `kyso sign
// --meta` writes a result's TTHC metadata (dossier, procedure, unit, issue
// date...) as a JSON object, in the same incremental update as the
// signature, so the signature covers it.
const MetadataInfoKey = "KysoTTHC"

// SignedMetadata is the TTHC metadata as signed: read from the revision
// covered by the newest signature (not a document timestamp) whose
// integrity holds and that nothing refutes. That signature is the latest
// statement a signer made about the document; metadata that a later
// revision writes is not signed by anyone and is never taken for it.
type SignedMetadata struct {
	// Signature is the Index of that signature; Revision the revision it
	// covers.
	Signature int `json:"signature"`
	Revision  int `json:"revision"`
	// Fields are the members of the JSON object (dossier_code,
	// procedure_code, unit_code, issued_date, ...).
	Fields map[string]string `json:"fields"`
}

// readMetadata reads the TTHC metadata of the document as it was at
// revision rev; ok is false when that revision has none (or it is not a
// JSON object of strings).
func readMetadata(r *pdf.Reader, rev int) (map[string]string, bool) {
	if rev < 0 || rev >= len(r.Revisions()) {
		return nil, false
	}
	view := r.At(rev)
	info, err := view.Dict(view.Trailer()["Info"])
	if err != nil || info == nil {
		return nil, false
	}
	raw, ok := resolveString(view, info[pdf.Name(MetadataInfoKey)])
	if !ok {
		return nil, false
	}
	text := string(raw)
	if !utf8.Valid(raw) || (len(raw) >= 2 && raw[0] == 0xFE && raw[1] == 0xFF) {
		text = textString(raw)
	}
	var obj map[string]any
	if json.Unmarshal([]byte(text), &obj) != nil {
		return nil, false
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		switch x := v.(type) {
		case string:
			out[k] = x
		case nil:
		default:
			b, _ := json.Marshal(x)
			out[k] = string(b)
		}
	}
	return out, true
}

// signedMetadata fills Report.SignedMetadata and warns, with the finding
// FindingMetadataChanged, when the newest revision says something else:
// metadata changed, added or removed after signing. The verdict stays what
// the signatures make it (an Info update is an allowed, archival change),
// but never "valid" without this warning, and the archive records the
// signed values.
func (v *verifier) signedMetadata() {
	var signer *sigState
	for i := len(v.sigs) - 1; i >= 0; i-- {
		s := v.sigs[i]
		if s.isDocTS() || !s.digestOK || len(s.invalid) > 0 || s.out.Revision < 0 {
			continue
		}
		signer = s
		break
	}
	if signer == nil {
		return
	}
	last := len(v.r.Revisions()) - 1
	signed, hasSigned := readMetadata(v.r, signer.out.Revision)
	if hasSigned {
		v.rep.SignedMetadata = &SignedMetadata{Signature: signer.out.Index, Revision: signer.out.Revision, Fields: signed}
	}
	if signer.out.Revision == last {
		return
	}
	now, hasNow := readMetadata(v.r, last)
	var msg string
	switch {
	case !hasSigned && !hasNow:
		return
	case !hasSigned:
		msg = fmt.Sprintf("TTHC metadata was added after signing and is not signed (%s)", describeFields(now))
	case !hasNow:
		msg = "the signed metadata was removed after signing"
	default:
		diff := diffFields(signed, now)
		if diff == "" {
			return
		}
		msg = "the signed metadata was changed after signing: " + diff
	}
	msg += fmt.Sprintf("; the signed values are those of revision %d", signer.out.Revision)
	i := signer.out.Index
	v.rep.Warnings = append(v.rep.Warnings, msg)
	v.rep.Findings = append(v.rep.Findings, Finding{ID: FindingMetadataChanged, Severity: "warning", Signature: &i, Message: msg})
}

// diffFields lists the fields whose value differs: "dossier_code A -> B".
func diffFields(old, nw map[string]string) string {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range nw {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		a, inOld := old[k]
		b, inNew := nw[k]
		if a == b && inOld == inNew {
			continue
		}
		show := func(s string, present bool) string {
			if !present {
				return "(none)"
			}
			return fmt.Sprintf("%q", sanitize(s))
		}
		parts = append(parts, fmt.Sprintf("%s %s -> %s", k, show(a, inOld), show(b, inNew)))
	}
	return strings.Join(parts, "; ")
}

func describeFields(m map[string]string) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %q", k, sanitize(m[k]))
	}
	return strings.Join(parts, "; ")
}
