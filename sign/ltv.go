package sign

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/internal/tsp"
)

// LTV adds long-term validation data (B-LT) and archive timestamps (B-LTA).
type LTV struct {
	Trust   *trust.Store
	Fetcher *revocation.Fetcher
	TSA     *tsp.Client
	// Now is the validation time (tests); default time.Now.
	Now func() time.Time
	// CheckTimestamp, when set, judges each document timestamp's token
	// before it is written (see SignerPolicy.CheckTimestamp).
	CheckTimestamp func(ctx context.Context, tok *tsp.Token) error
}

func (l *LTV) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// CheckSigner refuses, before anything is signed, a signer certificate
// that does not chain to a trust anchor or whose status is not good:
// validation data for it could not be gathered, and a revoked key must
// not sign at all.
func (l *LTV) CheckSigner(ctx context.Context, key *keys.Key) error {
	ctx = revocation.PerFile(ctx)
	cr, err := l.Trust.Chain(key.Cert, key.Chain, l.now())
	if err != nil {
		return fail.Run(i18n.Errorf("building the signer's chain: %v", err), "")
	}
	if cr.Status != trust.Trusted || len(cr.Certs) < 2 {
		return fail.RunWith(i18n.Errorf("the signer certificate %q does not chain to a trust anchor (%s)", key.Cert.Subject.CommonName, strings.Join(cr.Problems, "; ")),
			fail.RemedyTrustSigner)
	}
	res := revocation.Check(ctx, key.Cert, cr.Certs[1], l.now(), revocation.Evidence{}, l.Fetcher)
	switch res.Status {
	case revocation.Revoked:
		return fail.Run(i18n.Errorf("the signer certificate %q was revoked on %s (%s)", key.Cert.Subject.CommonName, res.RevokedAt.Format(time.RFC3339), res.Source),
			"the key must not sign any more; ask the CA for a new certificate")
	case revocation.Good:
		return nil
	}
	return fail.Run(i18n.Errorf("the revocation status of the signer certificate could not be established: %s", strings.Join(res.Problems, "; ")),
		"B-LT needs the CA's OCSP or CRL service to be reachable")
}

// validationData is what goes into a /DSS.
type validationData struct {
	certs, ocsps, crls [][]byte
	seen               map[[32]byte]int
	vri                map[string]*vriEntry
}

type vriEntry struct{ certs, ocsps, crls []int }

func newValidationData() *validationData {
	return &validationData{seen: map[[32]byte]int{}, vri: map[string]*vriEntry{}}
}

// add stores der in list (deduplicated) and returns its index in that list.
func (v *validationData) add(list *[][]byte, der []byte) int {
	k := sha256.Sum256(der)
	if i, ok := v.seen[k]; ok {
		return i
	}
	*list = append(*list, der)
	v.seen[k] = len(*list) - 1
	return len(*list) - 1
}

// Extend adds a /DSS for every signature and timestamp in the file at
// path and, when archive is set, a document timestamp after it, each as an
// incremental update written in place.
func (l *LTV) Extend(ctx context.Context, path string, archive bool) error {
	_, err := l.extend(ctx, path, archive, false)
	return err
}

// extend is Extend; with bestEffort, failing to gather validation data is
// a warning and the document timestamp is still added.
func (l *LTV) extend(ctx context.Context, path string, archive, bestEffort bool) ([]string, error) {
	var warnings []string
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := l.addDSS(ctx, f); err != nil {
		if !bestEffort {
			return nil, err
		}
		warnings = append(warnings, i18n.Sprintf("no validation data added: %v", err))
	}
	if archive {
		if err := addDocTimestamp(ctx, f, l.TSA, l.CheckTimestamp); err != nil {
			return warnings, err
		}
	}
	return warnings, f.Sync()
}

// ExtendFile writes to out a copy of in with validation data and, when
// archive is set, a document timestamp added. Existing signatures are
// untouched: everything is appended. out may equal in (in place).
func (l *LTV) ExtendFile(ctx context.Context, in, out string, archive, force bool) ([]string, error) {
	src, err := fileutil.OpenRegular(in)
	if err != nil {
		return nil, fail.Input(err, "")
	}
	defer src.Close()
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fail.Run(err, "")
	}
	tmp, err := fileutil.CreateAtomic(out, 0)
	if err != nil {
		return nil, fail.Run(err, "")
	}
	defer tmp.Abort()
	tmpPath := tmp.TempPath()
	_, err = io.Copy(tmp, src.Reader())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = src.Unchanged()
	}
	if errors.Is(err, fileutil.ErrChanged) {
		return nil, fail.Input(i18n.Errorf("%s: %v", in, err), "timestamp it again once nothing is writing to it")
	}
	if err != nil {
		return nil, fail.Run(i18n.Errorf("copying %s: %v", in, err), "")
	}
	warnings, err := l.extend(ctx, tmpPath, archive, true)
	if err != nil {
		return warnings, err
	}
	if err := src.Unchanged(); err != nil {
		// In place, the copy would replace whatever was written meanwhile.
		return warnings, fail.Input(i18n.Errorf("%s: %v", in, err), "timestamp it again once nothing is writing to it")
	}
	if err := commit(tmp, force || out == in); err != nil {
		return warnings, err
	}
	return warnings, nil
}

func (l *LTV) addDSS(ctx context.Context, f *os.File) error {
	ctx = revocation.PerFile(ctx) // one network budget for the file
	st, err := f.Stat()
	if err != nil {
		return err
	}
	r, err := pdf.NewReader(f, st.Size())
	if err != nil {
		return fail.Input(i18n.Errorf("not a readable PDF: %v", err), "")
	}
	sigs, err := signatureContents(r)
	if err != nil {
		return fail.Input(err, "")
	}
	if len(sigs) == 0 {
		return fail.Inputf("the document has no signature to add validation data for")
	}
	vd := newValidationData()
	for _, s := range sigs {
		leaves, pool, err := signatureCerts(s)
		if err != nil {
			return fail.Input(i18n.Errorf("signature %s: %v", s.field, err), "")
		}
		e := &vriEntry{}
		for _, leaf := range leaves {
			if err := l.validate(ctx, vd, e, leaf, pool); err != nil {
				return err
			}
		}
		sum := sha1.Sum(s.contents)
		vd.vri[strings.ToUpper(hex.EncodeToString(sum[:]))] = e
	}
	u := pdf.NewUpdate(r)
	cat, err := r.Catalog()
	if err != nil {
		return err
	}
	old, _ := r.Dict(cat["DSS"])
	dss := pdf.Dict{"Type": pdf.Name("DSS")}
	refs := map[string][]pdf.Ref{}
	for _, kind := range []struct {
		key  pdf.Name
		list [][]byte
	}{{"Certs", vd.certs}, {"OCSPs", vd.ocsps}, {"CRLs", vd.crls}} {
		arr, _ := r.Array(old[kind.key])
		arr = append(pdf.Array{}, arr...)
		for _, der := range kind.list {
			ref := u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: der})
			refs[string(kind.key)] = append(refs[string(kind.key)], ref)
			arr = append(arr, ref)
		}
		if len(arr) > 0 {
			dss[kind.key] = arr
		}
	}
	vri, _ := r.Dict(old["VRI"])
	vri = vri.Clone()
	if vri == nil {
		vri = pdf.Dict{}
	}
	for key, e := range vd.vri {
		entry := pdf.Dict{"Type": pdf.Name("VRI")}
		for _, part := range []struct {
			name pdf.Name
			kind string
			idx  []int
		}{{"Cert", "Certs", e.certs}, {"OCSP", "OCSPs", e.ocsps}, {"CRL", "CRLs", e.crls}} {
			var a pdf.Array
			for _, i := range part.idx {
				a = append(a, refs[part.kind][i])
			}
			if len(a) > 0 {
				entry[part.name] = a
			}
		}
		vri[pdf.Name(key)] = entry
	}
	if len(vri) > 0 {
		dss["VRI"] = vri
	}
	newCat := cat.Clone()
	newCat["DSS"] = u.Add(dss)
	u.Set(r.RootRef(), newCat)
	if _, err := appendUpdate(f, u, st.Size()); err != nil {
		return err
	}
	return f.Sync()
}

// validate gathers the chain of leaf and revocation data for every
// certificate on it but the anchor.
func (l *LTV) validate(ctx context.Context, vd *validationData, e *vriEntry, leaf *x509.Certificate, pool []*x509.Certificate) error {
	cr, err := l.Trust.Chain(leaf, pool, l.now())
	if err != nil {
		return fail.Run(i18n.Errorf("building the chain of %q: %v", leaf.Subject.CommonName, err), "")
	}
	if cr.Status != trust.Trusted {
		return fail.RunWith(i18n.Errorf("%q does not chain to a trust anchor (%s)", leaf.Subject.CommonName, strings.Join(cr.Problems, "; ")), fail.RemedyTrustRoot)
	}
	for _, c := range cr.Certs {
		e.certs = append(e.certs, vd.add(&vd.certs, c.Raw))
	}
	for i := 0; i+1 < len(cr.Certs); i++ {
		cert, issuer := cr.Certs[i], cr.Certs[i+1]
		if revocation.NoCheck(cert) {
			continue
		}
		res := revocation.Check(ctx, cert, issuer, l.now(), revocation.Evidence{}, l.Fetcher)
		if res.Status == revocation.Revoked {
			return fail.Run(i18n.Errorf("certificate %q was revoked on %s", cert.Subject.CommonName, res.RevokedAt.Format(time.RFC3339)), "")
		}
		if res.Status != revocation.Good {
			return fail.Run(i18n.Errorf("no revocation data for %q: %s", cert.Subject.CommonName, strings.Join(res.Problems, "; ")), "B-LT needs the CA's OCSP or CRL service to be reachable")
		}
		for _, o := range res.UsedOCSP {
			e.ocsps = append(e.ocsps, vd.add(&vd.ocsps, o))
		}
		// The delegated responder's certificate is validation data too.
		// revocation.Check found and checked it: parsing the response again
		// (ocsp.ParseResponse) would verify its signature once more, with
		// the key of whatever certificate the response embeds.
		for _, c := range res.Certs {
			e.certs = append(e.certs, vd.add(&vd.certs, c.Raw))
		}
		for _, c := range res.UsedCRL {
			e.crls = append(e.crls, vd.add(&vd.crls, c))
		}
	}
	return nil
}

// sigContents is one signature or document timestamp found in a file.
type sigContents struct {
	field     string
	subFilter pdf.Name
	contents  []byte
}

// signatureContents lists the signature fields' values, in field order.
func signatureContents(r *pdf.Reader) ([]sigContents, error) {
	cat, err := r.Catalog()
	if err != nil {
		return nil, err
	}
	acro, _ := r.Dict(cat["AcroForm"])
	fields, _ := r.Array(acro["Fields"])
	var out []sigContents
	err = r.WalkFields(fields, nil, func(f *pdf.Field) (bool, error) {
		v, _ := r.Dict(f.Dict["V"])
		if c, ok := v["Contents"].(pdf.String); ok {
			sf, _ := v.Name("SubFilter")
			out = append(out, sigContents{field: f.Name, subFilter: sf, contents: c.Bytes})
		}
		return true, nil
	})
	return out, err
}

// signatureCerts returns the certificates to validate for one signature
// (its signer, the TSAs of its timestamps) and the certificates it carries.
func signatureCerts(s sigContents) (leaves, pool []*x509.Certificate, err error) {
	if s.subFilter == "ETSI.RFC3161" {
		tok, err := tsp.ParseToken(s.contents)
		if err != nil {
			return nil, nil, err
		}
		if tok.Cert == nil {
			return nil, nil, i18n.Errorf("document timestamp carries no TSA certificate")
		}
		return []*x509.Certificate{tok.Cert}, tok.SignedData.Certificates, nil
	}
	sd, err := cms.Parse(s.contents)
	if err != nil {
		return nil, nil, err
	}
	pool = sd.Certificates
	for _, si := range sd.SignerInfos {
		if c := si.SignerCert(sd.Certificates); c != nil {
			leaves = append(leaves, c)
		}
		for _, raw := range si.UnsignedAttr(cms.OIDSignatureTimeStampToken) {
			tok, err := tsp.ParseToken(raw)
			if err != nil || tok.Cert == nil {
				continue
			}
			leaves = append(leaves, tok.Cert)
			pool = append(pool, tok.SignedData.Certificates...)
		}
	}
	if len(leaves) == 0 {
		return nil, nil, i18n.Errorf("the signer certificate is not in the signature")
	}
	return leaves, pool, nil
}
