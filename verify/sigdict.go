package verify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/pdf"
)

// SubFilters kyso verifies.
const (
	subPKCS7Detached = "adbe.pkcs7.detached"
	subPKCS7SHA1     = "adbe.pkcs7.sha1"
	subX509RSASHA1   = "adbe.x509.rsa_sha1"
	subCAdES         = "ETSI.CAdES.detached"
	subRFC3161       = "ETSI.RFC3161"
)

// Kinds of signature (Signature.Kind).
const (
	kindApproval      = "approval"
	kindCertification = "certification"
	kindDocTimestamp  = "document-timestamp"
)

// sigDict is a signature dictionary read strictly: problems make the
// signature invalid, warnings are reported beside a verdict.
type sigDict struct {
	Type      string
	Filter    string
	SubFilter string
	// Contents is the decoded /Contents value, zero padding included.
	Contents  []byte
	ByteRange []int64
	// M is the claimed signing time; MRaw the string it came from.
	M                                   *time.Time
	Name, Reason, Location, ContactInfo string
	// Cert is the certificate chain of an adbe.x509.rsa_sha1 signature, the
	// signer's first.
	Cert [][]byte
	// DocMDP is P of a DocMDP transform (1, 2 or 3), 0 when there is none.
	DocMDP int
	// FieldMDP is the /TransformParams of a FieldMDP transform.
	FieldMDP pdf.Dict

	Problems []string
	Warnings []string
}

func (s *sigDict) problem(format string, a ...any) {
	s.Problems = append(s.Problems, i18n.Sprintf(format, a...))
}

func (s *sigDict) warn(format string, a ...any) {
	s.Warnings = append(s.Warnings, i18n.Sprintf(format, a...))
}

// maxContents bounds the /Contents of one signature: a CMS with a long
// chain, timestamps and revocation data is well under this.
const maxContents = 4 << 20

// parseSigDict reads a signature dictionary. Forgeries live in the gaps a
// lenient reader leaves (the universal signature forgery of CCS 2019 is a
// missing, null or odd /Contents or /ByteRange), so anything not exactly as
// the standard says is a problem, not a guess.
func parseSigDict(r *pdf.Reader, d pdf.Dict) *sigDict {
	s := &sigDict{}
	if d == nil {
		s.problem("signature value is not a dictionary")
		return s
	}
	if t, ok := d["Type"]; ok {
		n, isName := t.(pdf.Name)
		switch {
		case !isName:
			s.problem("signature dictionary /Type is not a name")
		case n != "Sig" && n != "DocTimeStamp":
			s.problem("signature dictionary /Type is /%s, not /Sig or /DocTimeStamp", n)
		}
		s.Type = string(n)
	}
	if n, ok := d.Name("Filter"); ok {
		s.Filter = string(n)
	} else {
		s.warn("signature dictionary has no /Filter name")
	}
	n, ok := d.Name("SubFilter")
	if !ok {
		s.problem("signature dictionary has no /SubFilter name")
	}
	s.SubFilter = string(n)
	switch s.SubFilter {
	case subPKCS7Detached, subCAdES, subRFC3161, subPKCS7SHA1, subX509RSASHA1, "":
	default:
		s.problem("unsupported /SubFilter /%s", s.SubFilter)
	}
	if s.SubFilter == subRFC3161 && s.Type != "DocTimeStamp" {
		s.warn("document timestamp without /Type /DocTimeStamp")
	}
	if s.Type == "DocTimeStamp" && s.SubFilter != subRFC3161 && s.SubFilter != "" {
		s.problem("/Type /DocTimeStamp with /SubFilter /%s", s.SubFilter)
	}

	// /Contents and /ByteRange must be direct: the signed gap must be the
	// very bytes of this dictionary's /Contents string.
	switch c := d["Contents"].(type) {
	case pdf.String:
		if !c.Hex {
			s.problem("/Contents is a literal string, not a hexadecimal string")
		}
		if len(c.Bytes) == 0 {
			s.problem("/Contents is empty")
		} else if len(c.Bytes) > maxContents {
			s.problem("/Contents is %d bytes, more than %d", len(c.Bytes), maxContents)
		} else {
			s.Contents = c.Bytes
		}
	case nil:
		s.problem("signature dictionary has no /Contents")
	case pdf.Ref:
		s.problem("/Contents is an indirect reference (%v), not a direct string", c)
	default:
		s.problem("/Contents is not a string")
	}
	// /ByteRange is judged by CheckByteRange; here it is only read.
	if br, ok := d["ByteRange"].(pdf.Array); ok && len(br) == 4 {
		for _, v := range br {
			if i, ok := v.(pdf.Int); ok && i >= 0 {
				s.ByteRange = append(s.ByteRange, int64(i))
			}
		}
		if len(s.ByteRange) != 4 {
			s.ByteRange = nil
		}
	}

	if m, ok := d["M"]; ok && s.SubFilter != subRFC3161 {
		str, isStr := resolveString(r, m)
		if !isStr {
			s.warn("/M is not a string")
		} else if t, err := parsePDFDate(string(str)); err != nil {
			s.warn("/M %q is not a PDF date", truncate(string(str), 40))
		} else {
			s.M = &t
		}
	}
	for k, dst := range map[pdf.Name]*string{"Name": &s.Name, "Reason": &s.Reason, "Location": &s.Location, "ContactInfo": &s.ContactInfo} {
		if v, ok := d[k]; ok {
			if str, ok := resolveString(r, v); ok {
				*dst = textString(str)
			}
		}
	}

	if c, ok := d["Cert"]; ok {
		if s.SubFilter == subCAdES || s.SubFilter == subRFC3161 {
			s.warn("/Cert is not allowed with /SubFilter /%s and is ignored", s.SubFilter)
		} else {
			c, _ = r.Resolve(c)
			switch v := c.(type) {
			case pdf.String:
				s.Cert = [][]byte{v.Bytes}
			case pdf.Array:
				for _, e := range v {
					if str, ok := resolveString(r, e); ok {
						s.Cert = append(s.Cert, str)
					}
					if len(s.Cert) > 32 {
						break
					}
				}
			}
		}
	}
	if s.SubFilter == subX509RSASHA1 && len(s.Cert) == 0 {
		s.problem("adbe.x509.rsa_sha1 signature without a /Cert")
	}
	s.readReferences(r, d["Reference"])
	return s
}

// readReferences reads the /Reference array: a DocMDP transform makes the
// signature a certification signature; a FieldMDP transform records a lock.
func (s *sigDict) readReferences(r *pdf.Reader, o pdf.Object) {
	if o == nil {
		return
	}
	if _, ind := o.(pdf.Ref); ind {
		s.warn("/Reference is an indirect object")
	}
	refs, err := r.Array(o)
	if err != nil || refs == nil {
		s.warn("/Reference is not an array")
		return
	}
	for i, e := range refs {
		if i >= 16 {
			break
		}
		ref, err := r.Dict(e)
		if err != nil || ref == nil {
			s.warn("/Reference entry %d is not a dictionary", i)
			continue
		}
		method, _ := ref.Name("TransformMethod")
		params, _ := r.Dict(ref["TransformParams"])
		switch method {
		case "DocMDP":
			if s.DocMDP != 0 {
				s.problem("more than one DocMDP transform")
				continue
			}
			p := int64(2) // the default when /P is absent
			if params != nil {
				if v, err := r.Resolve(params["P"]); err == nil && v != nil {
					n, ok := v.(pdf.Int)
					if !ok || n < 1 || n > 3 {
						s.problem("DocMDP permission /P is %s, not 1, 2 or 3", describe(v))
						continue
					}
					p = int64(n)
				}
			}
			s.DocMDP = int(p)
		case "FieldMDP":
			if params == nil {
				s.warn("FieldMDP transform without /TransformParams")
				continue
			}
			s.FieldMDP = params
		case "UR", "UR3", "Identity":
			// usage rights and identity transforms do not restrict changes
		default:
			s.warn("unknown transform method /%s", method)
		}
	}
}

func resolveString(r *pdf.Reader, o pdf.Object) ([]byte, bool) {
	o, err := r.Resolve(o)
	if err != nil {
		return nil, false
	}
	s, ok := o.(pdf.String)
	return s.Bytes, ok
}

func describe(o pdf.Object) string {
	switch v := o.(type) {
	case nil:
		return "null"
	case pdf.Int:
		return strconv.FormatInt(int64(v), 10)
	case pdf.Real:
		return "a real number"
	case pdf.Name:
		return "/" + string(v)
	case pdf.String:
		return "a string"
	case pdf.Ref:
		return "a reference (" + v.String() + ")"
	case pdf.Array:
		return "an array"
	case pdf.Dict:
		return "a dictionary"
	case *pdf.Stream:
		return "a stream"
	case pdf.Bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", o)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// textString decodes a PDF text string for a report (pdf.TextString,
// control characters dropped).
func textString(b []byte) string { return cleanText(pdf.TextString(b)) }

// cleanText drops control characters, which have no place in a report and
// could rewrite a terminal.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) {
			if r == '\n' || r == '\t' || r == '\r' {
				return ' '
			}
			return -1
		}
		return r
	}, s)
}

// parsePDFDate reads "D:YYYYMMDDHHmmSSOHH'mm'" (ISO 32000 §7.9.4); every
// part after the year is optional, and so is the "D:" in old files.
func parsePDFDate(s string) (time.Time, error) {
	s = strings.TrimSpace(strings.TrimPrefix(s, "D:"))
	bad := i18n.Errorf("malformed date %q", truncate(s, 40))
	num := func(i, n int, def int) (int, error) {
		if len(s) < i+n {
			if len(s) > i {
				return 0, bad
			}
			return def, nil
		}
		v, err := strconv.Atoi(s[i : i+n])
		if err != nil || strings.ContainsAny(s[i:i+n], "+-") {
			return 0, bad
		}
		return v, nil
	}
	// the date part is the leading run of digits
	end := 0
	for end < len(s) && end < 14 && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end < 4 || end%2 != 0 {
		return time.Time{}, bad
	}
	digits, rest := s[:end], s[end:]
	s = digits
	year, _ := num(0, 4, 0)
	month, err1 := num(4, 2, 1)
	day, err2 := num(6, 2, 1)
	hour, err3 := num(8, 2, 0)
	minute, err4 := num(10, 2, 0)
	sec, err5 := num(12, 2, 0)
	for _, e := range []error{err1, err2, err3, err4, err5} {
		if e != nil {
			return time.Time{}, bad
		}
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, bad
	}
	loc := time.UTC
	if rest != "" {
		switch rest[0] {
		case 'Z', 'z':
		case '+', '-':
			tz := strings.NewReplacer("'", "", ":", "").Replace(rest[1:])
			if len(tz) != 2 && len(tz) != 4 {
				return time.Time{}, bad
			}
			h, err := strconv.Atoi(tz[:2])
			m := 0
			if err == nil && len(tz) == 4 {
				m, err = strconv.Atoi(tz[2:])
			}
			if err != nil || h > 23 || m > 59 {
				return time.Time{}, bad
			}
			off := h*3600 + m*60
			if rest[0] == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
		default:
			return time.Time{}, bad
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc)
	if t.Day() != day {
		return time.Time{}, bad
	}
	return t, nil
}

// CertificationPermission returns the DocMDP permission P (1, 2 or 3) of
// the document's certification signature, or 0 when it is not certified.
// The catalog's /Perms /DocMDP names it; some tools write only the
// signature's DocMDP transform, so signature fields are looked at too.
// Signing code asks before adding a signature that the certification
// would not allow.
func CertificationPermission(r *pdf.Reader) int {
	cat, err := r.Catalog()
	if err != nil {
		return 0
	}
	perms, _ := r.Dict(cat["Perms"])
	if sig, _ := r.Dict(perms["DocMDP"]); sig != nil {
		return docMDPOf(r, sig)
	}
	acro, _ := r.Dict(cat["AcroForm"])
	fields, _ := r.Array(acro["Fields"])
	p := 0
	// A tree too deep for the walk gives what was found before it.
	_ = r.WalkFields(fields, nil, func(f *pdf.Field) (bool, error) {
		if p != 0 {
			return false, nil
		}
		if sig, _ := r.Dict(f.Dict["V"]); sig != nil {
			p = docMDPOf(r, sig)
		}
		return p == 0, nil
	})
	return p
}

func docMDPOf(r *pdf.Reader, sig pdf.Dict) int {
	s := &sigDict{}
	s.readReferences(r, sig["Reference"])
	return s.DocMDP
}
