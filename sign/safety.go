package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"github.com/kyso-project/kyso/internal/i18n"
	"os"
	"path/filepath"
	"strings"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/verify"
)

// checkComplete refuses an input that does not end where its last
// revision ends: a file cut short (a copy interrupted, half a download)
// whose remaining tail still holds an earlier revision's "startxref" would
// otherwise be read, and signed, as that earlier revision.
func checkComplete(r *pdf.Reader) error {
	revs := r.Revisions()
	if len(revs) == 0 {
		return fail.Inputf("the file is damaged: no cross-reference section")
	}
	size := r.Size()
	end := revs[len(revs)-1].End
	if end < size {
		n := min(size-end, 64<<10)
		buf := make([]byte, n)
		if _, err := r.ReaderAt().ReadAt(buf, end); err != nil {
			return fail.Input(i18n.Errorf("reading the end of the file: %v", err), "")
		}
		if len(bytes.Trim(buf, " \t\r\n\f\x00")) > 0 || size-end > n {
			return fail.Input(i18n.Errorf("the file is truncated or damaged: %d bytes follow its last complete revision (its own startxref and %%%%EOF are missing)", size-end),
				"copy the scan again from its source; kyso signs only complete files")
		}
	}
	tail := make([]byte, min(size, 1024))
	if _, err := r.ReaderAt().ReadAt(tail, size-int64(len(tail))); err != nil {
		return fail.Input(i18n.Errorf("reading the end of the file: %v", err), "")
	}
	if !bytes.Contains(tail, []byte("%%EOF")) || !bytes.Contains(tail, []byte("startxref")) {
		return fail.Input(i18n.Errorf("the file is truncated or damaged: it does not end with startxref and %%%%EOF"),
			"copy the scan again from its source; kyso signs only complete files")
	}
	return nil
}

// presentSig is a signature already in a document.
type presentSig struct {
	Field  string
	Signer *x509.Certificate // nil if its CMS does not parse
	// Visible says its widget shows something (a stamp); Kyso that kyso
	// made it (/Prop_Build /App /Name /kyso).
	Visible, Kyso bool
}

// signatures lists the signature fields with a value: approval and
// certification signatures, not document timestamps.
//
// More signatures than pdf.Limits.MaxSignatures is an error (a LimitError),
// found before the signatures past the limit are parsed.
func signatures(r *pdf.Reader) ([]presentSig, error) {
	cat, err := r.Catalog()
	if err != nil {
		return nil, nil
	}
	acro, err := r.Dict(cat["AcroForm"])
	if err != nil || acro == nil {
		return nil, nil
	}
	fields, err := r.Array(acro["Fields"])
	if err != nil {
		return nil, nil
	}
	var out []presentSig
	max := r.Limits().MaxSignatures
	// A tree too deep gives the signatures found before it.
	werr := r.WalkFields(fields, nil, func(f *pdf.Field) (bool, error) {
		d := f.Dict
		if kids, err := r.Array(d["Kids"]); err == nil && len(kids) > 0 {
			return true, nil
		}
		if f.FT != "Sig" {
			return false, nil
		}
		v, err := r.Dict(d["V"])
		if err != nil || v == nil {
			return false, nil
		}
		if len(out) >= max {
			return false, pdf.LimitErrorf("MaxSignatures", int64(max), "the document has more than %d signatures", max)
		}
		if sf, _ := v.Name("SubFilter"); sf == "ETSI.RFC3161" {
			return false, nil
		}
		ps := presentSig{Field: f.Name, Visible: visibleRect(r, d["Rect"])}
		if pb, _ := r.Dict(v["Prop_Build"]); pb != nil {
			if app, _ := r.Dict(pb["App"]); app != nil {
				n, _ := app.Name("Name")
				ps.Kyso = n == "kyso"
			}
		}
		if c, ok := v["Contents"].(pdf.String); ok {
			if sd, err := cms.Parse(c.Bytes); err == nil && len(sd.SignerInfos) > 0 {
				ps.Signer = sd.SignerInfos[0].SignerCert(sd.Certificates)
			}
		}
		out = append(out, ps)
		return false, nil
	})
	if pdf.IsLimit(werr) {
		return nil, werr
	}
	return out, nil
}

// sameSigner says whether c is the certificate of key k, or another
// certificate of the same key (a renewal that kept it). Another key of the
// same unit is another signer: its signature is not this one's.
func sameSigner(c, k *x509.Certificate) bool {
	if c == nil || k == nil {
		return false
	}
	return bytes.Equal(c.Raw, k.Raw) || bytes.Equal(c.RawSubjectPublicKeyInfo, k.RawSubjectPublicKeyInfo)
}

// alreadySigned returns the field of a signature the document already
// carries from this signer (this certificate or key) that kyso made or
// that shows a stamp, or "": signing it again would add the same
// signature, or a second stamp. An invisible signature of the same
// certificate made by another tool (a legacy adbe.pkcs7.detached one, say)
// is signed over, as any earlier signature is.
func alreadySigned(sigs []presentSig, cert *x509.Certificate) string {
	for _, s := range sigs {
		if sameSigner(s.Signer, cert) && (s.Kyso || s.Visible) {
			return s.Field
		}
	}
	return ""
}

// visibleRect says whether a /Rect has an area (an invisible signature's
// widget has [0 0 0 0]).
func visibleRect(r *pdf.Reader, o pdf.Object) bool {
	rc, ok := r.Rect(o)
	return ok && rc[2]-rc[0] > 1 && rc[3]-rc[1] > 1
}

// occupied returns the rectangles (default user space) of the widgets and
// stamp annotations on page that show something: a new stamp must not be
// drawn over them.
func occupied(r *pdf.Reader, page pdf.Page) [][4]float64 {
	annots, err := r.Array(page.Dict["Annots"])
	if err != nil {
		return nil
	}
	var out [][4]float64
	for _, a := range annots {
		d, err := r.Dict(a)
		if err != nil || d == nil {
			continue
		}
		st, _ := d.Name("Subtype")
		if st != "Widget" && st != "Stamp" {
			continue
		}
		rc, ok := r.Rect(d["Rect"])
		if !ok {
			continue
		}
		if rc[2]-rc[0] < 1 || rc[3]-rc[1] < 1 {
			continue // an invisible signature
		}
		out = append(out, rc)
	}
	return out
}

// CheckExistingOutput keeps an existing output only if it is exactly this
// input signed by cert at level: its first bytes are the input's, the
// first signature it adds after them is cert's, intact, at level, and
// nothing was changed after that signature except, at B-LT and B-LTA,
// kyso's own validation-data (DSS) and document-timestamp revisions.
// Anything else is stale. store is the configured trust store: it only
// colours the reasons given; the level is judged as written, so an
// untrusted TSA does not make a kept output stale.
func CheckExistingOutput(ctx context.Context, input, output string, cert *x509.Certificate, level Level, store *trust.Store) error {
	if err := CheckExisting(ctx, input, output); err != nil {
		return err
	}
	ri, err := os.Open(input)
	if err != nil {
		return err
	}
	rst, err := ri.Stat()
	if err != nil {
		ri.Close()
		return err
	}
	inRd, err := pdf.NewReader(ri, rst.Size())
	if err != nil {
		ri.Close()
		return i18n.Errorf("input: %v", err)
	}
	inRevs := len(inRd.Revisions())
	ri.Close()
	if store == nil {
		store = &trust.Store{}
	}
	rep, err := verify.VerifyFile(ctx, output, verify.Options{Trust: store, RevocationSoft: true, LevelAsWritten: true})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(cert.Raw)
	want := hex.EncodeToString(sum[:])
	for i, s := range rep.Signatures {
		if s.Revision < inRevs || isDocTimestamp(s) {
			continue
		}
		switch {
		case !s.Integrity:
			return i18n.Errorf("its signature %s is not intact: %s", s.Field, strings.Join(s.Reasons, "; "))
		case s.SignerCertSHA256 != want:
			return i18n.Errorf("it is signed by %q (certificate %s), not by this certificate (%s)", s.Signer, shortFingerprint(s.SignerCertSHA256), shortFingerprint(want))
		case s.Level != string(level):
			return i18n.Errorf("it is signed at level %s, not %s", s.Level, level)
		}
		return changedAfter(rep, i, level)
	}
	return i18n.Errorf("it adds no signature to the input")
}

// changedAfter says why an output whose signature i is kyso's cannot be
// kept: the signature must cover the whole file or, at B-LT and B-LTA,
// be followed only by archival revisions (DSS, document timestamps) whose
// document timestamps are intact.
func changedAfter(rep *verify.Report, i int, level Level) error {
	s := rep.Signatures[i]
	if s.Covers == "whole" {
		return nil
	}
	if level != LevelBLT && level != LevelBLTA {
		return i18n.Errorf("it was changed after its signature %s", s.Field)
	}
	if s.Covers != "revision" || s.Modification != verify.ChangeArchival.String() {
		what := s.Modification
		if what == "" || what == verify.ChangeNone.String() {
			what = "unknown"
		}
		return i18n.Errorf("it was changed after its signature %s (%s)", s.Field, what)
	}
	for _, o := range rep.Signatures[i+1:] {
		if !isDocTimestamp(o) {
			return i18n.Errorf("it has a later signature %s", o.Field)
		}
		if !o.Integrity {
			return i18n.Errorf("its document timestamp %s is not intact: %s", o.Field, strings.Join(o.Reasons, "; "))
		}
	}
	return nil
}

func isDocTimestamp(s verify.Signature) bool {
	return s.Kind == "document-timestamp" || s.SubFilter == "ETSI.RFC3161"
}

// shortFingerprint is the first 16 hex digits of a SHA-256 fingerprint:
// enough to tell apart two certificates that share a name.
func shortFingerprint(h string) string {
	if len(h) > 16 {
		return "SHA-256 " + h[:16] + "…"
	}
	return "SHA-256 " + h
}

// removeStaleTemps removes, once per output folder, the temporary files
// that killed runs left there.
func removeStaleTemps(jobs []Job) []string {
	done := map[string]bool{}
	var removed []string
	for _, j := range jobs {
		d := filepath.Dir(j.Output)
		if done[d] {
			continue
		}
		done[d] = true
		r, _ := fileutil.RemoveStaleTemps(d)
		removed = append(removed, r...)
	}
	return removed
}
