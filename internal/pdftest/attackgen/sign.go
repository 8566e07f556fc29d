package attackgen

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/kyso-project/kyso/internal/pdf"
)

// SignFunc returns the /Contents value (DER) for the bytes a signature's
// ByteRange covers.
type SignFunc func(signed []byte) ([]byte, error)

// Lock is a FieldMDP lock: which fields a signature freezes.
type Lock struct {
	Action string // All, Include or Exclude
	Fields []string
}

// SigOptions describe one signature to add.
type SigOptions struct {
	// Field names the new signature field (default "Signature1").
	Field string
	// FieldRef, when set, signs this existing empty signature field instead
	// of creating one.
	FieldRef *pdf.Ref
	// DocMDP 1, 2 or 3 makes it a certification signature.
	DocMDP int
	// Lock adds a FieldMDP lock to the field and the signature.
	Lock *Lock
	// DocTimeStamp writes a document timestamp (ETSI.RFC3161).
	DocTimeStamp bool
	// Rect places a visible widget on page Page; zero means invisible.
	Rect [4]float64
	// RectObj, when set, is written as the widget's /Rect instead of Rect
	// (which still sizes the appearance).
	RectObj pdf.Object
	// Flags are the widget's annotation flags /F (0: 132, Print|Locked).
	Flags int
	Page  int
	// Sign makes /Contents; nil uses TestSigner.
	Sign SignFunc
	// Placeholder is the number of bytes reserved for /Contents (8192).
	Placeholder int
	// XrefStream forces the form of the new cross-reference section.
	XrefStream *bool
	// Also, when set, adds to the same revision (tags for the field, say).
	Also func(r *pdf.Reader, u *pdf.Update, field pdf.Ref) error
}

// Signature locates a signature written by Sign in the output.
type Signature struct {
	// Dict is the signature dictionary's object; Field the field's.
	Dict, Field pdf.Ref
	// ObjectOffset is where "N 0 obj" of the signature dictionary starts.
	ObjectOffset int64
	// ByteRangeAt and ByteRangeLen locate the ByteRange array's slot
	// (padded with spaces), ContentsAt the '<' of /Contents and ContentsEnd
	// the byte after its '>'.
	ByteRangeAt, ByteRangeLen int64
	ContentsAt, ContentsEnd   int64
	Ranges                    [4]int64
	// CMS is the DER written into /Contents.
	CMS []byte
}

const brSlot = "[0 0000000000 0000000000 0000000000]"

// Sign adds a signature (or document timestamp) to doc in a new revision.
func Sign(doc []byte, o SigOptions) ([]byte, *Signature, error) {
	if o.Field == "" && o.FieldRef == nil {
		o.Field = "Signature1"
	}
	if o.Placeholder == 0 {
		o.Placeholder = 8192
	}
	if o.Sign == nil {
		o.Sign = TestSigner
	}
	r, err := Open(doc)
	if err != nil {
		return nil, nil, err
	}
	page, err := firstPage(r, o.Page)
	if err != nil {
		return nil, nil, err
	}
	cat, err := r.Catalog()
	if err != nil {
		return nil, nil, err
	}
	u := pdf.NewUpdate(r)
	if o.XrefStream != nil {
		k := pdf.XrefTable
		if *o.XrefStream {
			k = pdf.XrefStream
		}
		u.XrefForm = &k
	}
	sigRef := u.Reserve()
	head := pdf.Dict{"Type": pdf.Name("Sig"), "Filter": pdf.Name("Adobe.PPKLite"), "SubFilter": pdf.Name("adbe.pkcs7.detached"),
		"M": pdf.Str("D:20250102030405Z")}
	if o.DocTimeStamp {
		head = pdf.Dict{"Type": pdf.Name("DocTimeStamp"), "Filter": pdf.Name("Adobe.PPKLite"), "SubFilter": pdf.Name("ETSI.RFC3161")}
	}
	var refs pdf.Array
	if o.DocMDP != 0 {
		refs = append(refs, pdf.Dict{"Type": pdf.Name("SigRef"), "TransformMethod": pdf.Name("DocMDP"), "DigestMethod": pdf.Name("SHA256"),
			"TransformParams": pdf.Dict{"Type": pdf.Name("TransformParams"), "P": pdf.Int(o.DocMDP), "V": pdf.Name("1.2")}})
	}
	var lockRef pdf.Ref
	if o.Lock != nil {
		var fields pdf.Array
		for _, f := range o.Lock.Fields {
			fields = append(fields, pdf.Str(f))
		}
		refs = append(refs, pdf.Dict{"Type": pdf.Name("SigRef"), "TransformMethod": pdf.Name("FieldMDP"), "DigestMethod": pdf.Name("SHA256"),
			"TransformParams": pdf.Dict{"Type": pdf.Name("TransformParams"), "Action": pdf.Name(o.Lock.Action), "Fields": fields, "V": pdf.Name("1.2")}})
		lockRef = u.Add(pdf.Dict{"Type": pdf.Name("SigFieldLock"), "Action": pdf.Name(o.Lock.Action), "Fields": fields})
	}
	if refs != nil {
		head["Reference"] = refs
	}
	// The dictionary is written by hand so /Contents comes last and both
	// slots can be found again.
	hb := pdf.Bytes(head)
	var body bytes.Buffer
	body.Write(hb[:len(hb)-2])
	body.WriteString("/ByteRange " + brSlot + " /Contents <")
	body.Write(bytes.Repeat([]byte("0"), 2*o.Placeholder))
	body.WriteString(">>>")
	raw := pdf.Raw{Bytes: body.Bytes(), Mark: "kyso-attackgen-sig"}
	u.Set(sigRef, raw)

	var fieldRef pdf.Ref
	if o.FieldRef != nil {
		fieldRef = *o.FieldRef
		fd, err := r.Dict(fieldRef)
		if err != nil || fd == nil {
			return nil, nil, fmt.Errorf("signature field %v: %v", fieldRef, err)
		}
		fd = fd.Clone()
		fd["V"] = sigRef
		u.Set(fieldRef, fd)
	} else {
		fieldRef = u.Reserve()
		widget := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"),
			"T": pdf.Str(o.Field), "V": sigRef, "P": page.Ref, "F": pdf.Int(132),
			"Rect": pdf.Array{pdf.Real(o.Rect[0]), pdf.Real(o.Rect[1]), pdf.Real(o.Rect[2]), pdf.Real(o.Rect[3])}}
		if lockRef.Num != 0 {
			widget["Lock"] = lockRef
		}
		if o.Flags != 0 {
			widget["F"] = pdf.Int(o.Flags)
		}
		if o.RectObj != nil {
			widget["Rect"] = o.RectObj
		}
		if w, h := o.Rect[2]-o.Rect[0], o.Rect[3]-o.Rect[1]; w != 0 && h != 0 {
			text := fmt.Sprintf("q 0 0 1 rg BT /F1 10 Tf 4 %g Td (Signed: %s) Tj ET Q", h/2, o.Field)
			font := u.Add(standardFont("Helvetica"))
			ap := u.Add(Stream(pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
				"BBox":      pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Real(w), pdf.Real(h)},
				"Resources": pdf.Dict{"Font": pdf.Dict{"F1": font}}}, []byte(text)))
			widget["AP"] = pdf.Dict{"N": ap}
		}
		u.Set(fieldRef, widget)
		if err := addAnnot(r, u, page, fieldRef); err != nil {
			return nil, nil, err
		}
	}
	cat = cat.Clone()
	catChanged, err := editAcroForm(r, u, cat, func(d pdf.Dict) error {
		d["SigFlags"] = pdf.Int(3)
		if o.FieldRef == nil {
			return appendField(r, u, d, fieldRef)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if o.DocMDP != 0 {
		cat["Perms"] = pdf.Dict{"DocMDP": sigRef}
		catChanged = true
	}
	if catChanged {
		u.Set(r.RootRef(), cat)
	}
	if o.Also != nil {
		if err := o.Also(r, u, fieldRef); err != nil {
			return nil, nil, err
		}
	}
	out := bytes.NewBuffer(append(make([]byte, 0, len(doc)+2*o.Placeholder+4096), doc...))
	if _, err := u.Write(out); err != nil {
		return nil, nil, err
	}
	at, _ := u.Offset("kyso-attackgen-sig")
	b := out.Bytes()
	sig := &Signature{Dict: sigRef, Field: fieldRef, ObjectOffset: int64(bytes.LastIndex(b[:at], fmt.Appendf(nil, "\n%d 0 obj", sigRef.Num)) + 1)}
	sig.ByteRangeAt = at + int64(bytes.Index(raw.Bytes, []byte(brSlot)))
	sig.ByteRangeLen = int64(len(brSlot))
	sig.ContentsAt = at + int64(bytes.Index(raw.Bytes, []byte("/Contents <"))) + int64(len("/Contents "))
	sig.ContentsEnd = sig.ContentsAt + int64(2*o.Placeholder+2)
	sig.Ranges = [4]int64{0, sig.ContentsAt, sig.ContentsEnd, int64(len(b)) - sig.ContentsEnd}
	if err := SetByteRange(b, sig, sig.Ranges[:]); err != nil {
		return nil, nil, err
	}
	cms, err := o.Sign(SignedBytes(b, sig.Ranges))
	if err != nil {
		return nil, nil, err
	}
	if err := SetContents(b, sig, cms); err != nil {
		return nil, nil, err
	}
	sig.CMS = cms
	return b, sig, nil
}

// SignedBytes concatenates the two ranges of a ByteRange.
func SignedBytes(doc []byte, br [4]int64) []byte {
	out := make([]byte, 0, br[1]+br[3])
	out = append(out, doc[br[0]:br[0]+br[1]]...)
	return append(out, doc[br[2]:br[2]+br[3]]...)
}

// SetByteRange writes vals (any count) into the signature's ByteRange slot,
// padding with spaces; it fails when they do not fit.
func SetByteRange(doc []byte, sig *Signature, vals []int64) error {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(v, 10))
	}
	b.WriteByte(']')
	return SetSlot(doc, sig.ByteRangeAt, sig.ByteRangeLen, b.Bytes())
}

// SetSlot overwrites doc[at:at+n] with text padded by spaces.
func SetSlot(doc []byte, at, n int64, text []byte) error {
	if int64(len(text)) > n {
		return fmt.Errorf("%q does not fit in %d bytes", text, n)
	}
	copy(doc[at:at+n], text)
	for i := at + int64(len(text)); i < at+n; i++ {
		doc[i] = ' '
	}
	return nil
}

// SetContents writes der as uppercase hex into the /Contents slot, zero
// padded.
func SetContents(doc []byte, sig *Signature, der []byte) error {
	hx := []byte(fmt.Sprintf("%X", der))
	room := sig.ContentsEnd - sig.ContentsAt - 2
	if int64(len(hx)) > room {
		return fmt.Errorf("signature of %d bytes does not fit in %d", len(der), room/2)
	}
	copy(doc[sig.ContentsAt+1:], hx)
	for i := sig.ContentsAt + 1 + int64(len(hx)); i < sig.ContentsEnd-1; i++ {
		doc[i] = '0'
	}
	return nil
}

// addAnnot appends annot to the page's /Annots, wherever that array lives.
func addAnnot(r *pdf.Reader, u *pdf.Update, page pdf.Page, annot pdf.Ref) error {
	pd := page.Dict
	if u.Has(page.Ref) {
		pd, _ = u.Object(page.Ref).(pdf.Dict)
	}
	if ar, ok := pd["Annots"].(pdf.Ref); ok {
		arr, err := r.Array(ar)
		if err != nil {
			return err
		}
		if u.Has(ar) {
			arr, _ = u.Object(ar).(pdf.Array)
		}
		u.Set(ar, append(append(pdf.Array(nil), arr...), annot))
		return nil
	}
	arr, _ := pd["Annots"].(pdf.Array)
	pd = pd.Clone()
	pd["Annots"] = append(append(pdf.Array(nil), arr...), annot)
	u.Set(page.Ref, pd)
	return nil
}

func appendField(r *pdf.Reader, u *pdf.Update, af pdf.Dict, field pdf.Ref) error {
	if fr, ok := af["Fields"].(pdf.Ref); ok {
		arr, err := r.Array(fr)
		if err != nil {
			return err
		}
		u.Set(fr, append(append(pdf.Array(nil), arr...), field))
		return nil
	}
	arr, _ := af["Fields"].(pdf.Array)
	af["Fields"] = append(append(pdf.Array(nil), arr...), field)
	return nil
}

var testKey struct {
	once sync.Once
	cert *x509.Certificate
	key  crypto.Signer
	err  error
}

// TestCertificate is the throwaway signer certificate of TestSigner.
func TestCertificate() (*x509.Certificate, crypto.Signer, error) {
	testKey.once.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			testKey.err = err
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(20250102),
			Subject:      pkix.Name{CommonName: "kyso attackgen signer", Organization: []string{"UBND xã Hòa Đông"}},
			NotBefore:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			NotAfter:     time.Date(2044, 1, 1, 0, 0, 0, 0, time.UTC),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			testKey.err = err
			return
		}
		testKey.cert, testKey.err = x509.ParseCertificate(der)
		testKey.key = k
	})
	return testKey.cert, testKey.key, testKey.err
}

// TestSigner makes a detached CMS SignedData over signed with a throwaway
// self-signed key: structurally valid, trusted by nobody.
func TestSigner(signed []byte) ([]byte, error) {
	cert, key, err := TestCertificate()
	if err != nil {
		return nil, err
	}
	sd, err := pkcs7.NewSignedData(signed)
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSigner(cert, key, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, err
	}
	sd.Detach()
	return sd.Finish()
}

// VerifyField checks the CMS signature in the named signature field (found
// in the newest revision that has it) over the bytes its ByteRange names:
// what a verifier that trusts ByteRange and CMS alone would conclude.
func VerifyField(doc []byte, field string) error {
	r, err := Open(doc)
	if err != nil {
		return err
	}
	var fd pdf.Dict
	for i := len(r.Revisions()) - 1; i >= 0 && fd == nil; i-- {
		_, fd, _ = FieldRef(r.At(i), field)
	}
	if fd == nil {
		return fmt.Errorf("%w: %s", errNoField, field)
	}
	sd, err := r.Dict(fd["V"])
	if err != nil || sd == nil {
		return fmt.Errorf("field %s has no signature dictionary", field)
	}
	arr, _ := sd["ByteRange"].(pdf.Array)
	contents, _ := sd["Contents"].(pdf.String)
	var br [4]int64
	for i := range br {
		if i >= len(arr) {
			return errors.New("short /ByteRange")
		}
		n, _ := arr[i].(pdf.Int)
		br[i] = int64(n)
	}
	if br[0] < 0 || br[1] < 0 || br[2] < 0 || br[3] < 0 || br[0]+br[1] > int64(len(doc)) || br[2]+br[3] > int64(len(doc)) {
		return errors.New("/ByteRange outside the file")
	}
	var der asn1.RawValue
	if _, err := asn1.Unmarshal(contents.Bytes, &der); err != nil {
		return fmt.Errorf("/Contents is not DER: %w", err)
	}
	p7, err := pkcs7.Parse(der.FullBytes)
	if err != nil {
		return err
	}
	p7.Content = SignedBytes(doc, br)
	return p7.Verify()
}
