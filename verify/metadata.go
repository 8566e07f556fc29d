package verify

import (
	"encoding/json"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
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
// covered by the newest signature (not a document timestamp) whose verdict
// is valid. That signature is the latest statement a trusted signer made
// about the document; metadata that a later revision writes, or that a
// signature no one vouches for covers, is never taken for it (see
// signedMetadata for the case where no signature is valid).
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

// signedMetadata fills Report.SignedMetadata and names, with the finding
// FindingMetadataChanged, every change of the metadata after it was first
// signed: between the revisions the signatures cover, and between the last
// of them and the newest revision.
//
// The signed values are those of the revision covered by the newest
// signature (not a document timestamp) whose own verdict is valid: an
// untrusted or indeterminate signature says nothing anyone vouches for, so
// a signature an attacker adds with a certificate of their own cannot make
// its revision's metadata "signed". When no signature is valid, the values
// are those of the oldest signature whose integrity holds and that nothing
// refutes (a later signer cannot change what an earlier one covered), with
// a warning that no valid signature vouches for them.
//
// The verdict stays what the signatures make it (an Info update is an
// allowed, archival change), but never "valid" without these warnings, and
// the archive records the signed values.
func (v *verifier) signedMetadata() {
	var signer *sigState
	var fallback *sigState
	for i := len(v.sigs) - 1; i >= 0; i-- {
		s := v.sigs[i]
		if s.isDocTS() || !s.digestOK || len(s.invalid) > 0 || s.out.Revision < 0 {
			continue
		}
		fallback = s // the oldest such one, once the loop ends
		if signer == nil && len(s.indet) == 0 {
			signer = s
		}
	}
	if signer == nil && fallback == nil {
		return
	}
	valid := signer != nil
	if !valid {
		signer = fallback
	}
	signed, hasSigned := readMetadata(v.r, signer.out.Revision)
	if hasSigned {
		v.rep.SignedMetadata = &SignedMetadata{Signature: signer.out.Index, Revision: signer.out.Revision, Fields: signed}
		if !valid {
			msg := i18n.Sprintf("no valid signature vouches for the TTHC metadata: the values taken are those of revision %d, covered by signature %d, which is %s",
				signer.out.Revision, signer.out.Index+1, string(Indeterminate))
			i := signer.out.Index
			v.rep.Warnings = append(v.rep.Warnings, msg)
			v.rep.Findings = append(v.rep.Findings, Finding{ID: FindingMetadataUnvouched, Severity: "warning", Signature: &i, Message: msg})
		}
	}
	v.metadataChanges(signer)
}

// metadataChanges compares the metadata at every revision a signature
// covers, from the oldest, and at the newest revision, and names each
// difference between one and the next: a change or removal always, an
// addition unless a valid signature covers it (that is a first statement,
// not a change).
func (v *verifier) metadataChanges(signer *sigState) {
	last := len(v.r.Revisions()) - 1
	// by revision: the signatures covering it (doc timestamps included:
	// they mark a state of the document too).
	covering := map[int][]*sigState{}
	var revs []int
	for _, s := range v.sigs {
		if s.out.Revision < 0 {
			continue
		}
		if _, seen := covering[s.out.Revision]; !seen {
			revs = append(revs, s.out.Revision)
		}
		covering[s.out.Revision] = append(covering[s.out.Revision], s)
	}
	sort.Ints(revs)
	if len(revs) == 0 {
		return
	}
	if revs[len(revs)-1] != last {
		revs = append(revs, last)
	}
	prev, hasPrev := readMetadata(v.r, revs[0])
	from := revs[0]
	for _, rev := range revs[1:] {
		now, hasNow := readMetadata(v.r, rev)
		by, vouched := v.whoSigned(covering[rev])
		var msg string
		switch {
		case !hasPrev && !hasNow:
		case !hasPrev:
			if !vouched {
				msg = i18n.Sprintf("TTHC metadata was added after signing and is not signed (%s)", describeFields(now))
			}
		case !hasNow:
			msg = i18n.Sprintf("the signed metadata was removed after signing")
		default:
			if diff := diffFields(prev, now); diff != "" {
				msg = i18n.Sprintf("the signed metadata was changed after signing: %s", diff)
			}
		}
		prev, hasPrev = now, hasNow
		if msg == "" {
			from = rev
			continue
		}
		msg = i18n.Sprintf("%s (between revisions %d and %d; revision %d is %s)", msg, from, rev, rev, by)
		from = rev
		msg = i18n.Sprintf("%s; the signed values are those of revision %d", msg, signer.out.Revision)
		i := signer.out.Index
		if s := covering[rev]; len(s) > 0 {
			i = s[0].out.Index
		}
		v.rep.Warnings = append(v.rep.Warnings, msg)
		v.rep.Findings = append(v.rep.Findings, Finding{ID: FindingMetadataChanged, Severity: "warning", Signature: &i, Message: msg})
	}
}

// whoSigned says who signed a revision, for a message, and whether a
// valid signature (not a document timestamp) did.
func (v *verifier) whoSigned(sigs []*sigState) (string, bool) {
	if len(sigs) == 0 {
		return i18n.Sprintf("signed by no one"), false
	}
	var parts []string
	vouched := false
	for _, s := range sigs {
		st := Valid
		switch {
		case len(s.invalid) > 0 || !s.digestOK:
			st = Invalid
		case len(s.indet) > 0:
			st = Indeterminate
		}
		kind := "signature"
		if s.isDocTS() {
			kind = "document timestamp"
		} else if st == Valid {
			vouched = true
		}
		parts = append(parts, i18n.Sprintf("%s %d, %s", kind, s.out.Index+1, string(st)))
	}
	return i18n.Sprintf("signed by %s", i18n.Join(parts)), vouched
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
