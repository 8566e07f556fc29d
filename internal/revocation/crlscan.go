package revocation

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// A CRL is never materialised: kyso keeps its header, parsed by the
// standard library from a copy of the CRL whose revokedCertificates list is
// emptied, the raw TBS for the signature check, and a view of the list's
// bytes in which a serial number is looked up in place. A CRL of millions of
// entries costs its bytes and one linear pass, not a Go value per entry.
// The entries are still checked as x509.ParseRevocationList would (the same
// errors for the same malformations), in one pass that allocates nothing for
// well-formed entries.

// crlInfo is a parsed CRL.
type crlInfo struct {
	// hdr holds everything but the entries; its RawTBSRevocationList and
	// Raw are the real CRL's, so its signature checks as the CRL's.
	hdr *x509.RevocationList
	// revoked is the content of revokedCertificates (nil when absent).
	revoked cryptobyte.String
	// size is what the header costs, for cache accounting.
	size int64

	mu       sync.Mutex
	verdicts map[[32]byte]error // signature check by issuer certificate
}

// crlWork counts the expensive steps, for tests.
var crlWork struct{ parses, sigChecks, lookups atomic.Int64 }

// CRLWork reports how many CRLs were parsed, how many CRL signatures were
// checked and how many CRL lookups were made since the program started. It
// is for tests that check the work is linear.
func CRLWork() (parses, sigChecks, lookups int64) {
	return crlWork.parses.Load(), crlWork.sigChecks.Load(), crlWork.lookups.Load()
}

// crlLayout walks raw to its TBS, its issuer and its revokedCertificates,
// without checking anything else.
type crlLayout struct {
	issuer []byte
	// the TBS element's header, then its content before, at and after
	// the revokedCertificates element (revoked is nil when absent).
	before, revoked, after []byte
	revokedContent         cryptobyte.String
	// rest is the outer SEQUENCE's content after the TBS.
	rest []byte
}

func walkCRL(raw []byte) (l crlLayout, ok bool) {
	in := cryptobyte.String(raw)
	var outer, tbs cryptobyte.String
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) || !outer.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return l, false
	}
	l.rest = outer
	start := tbs
	if tbs.PeekASN1Tag(cbasn1.INTEGER) && !tbs.SkipASN1(cbasn1.INTEGER) {
		return l, false
	}
	var issuer cryptobyte.String
	if !tbs.SkipASN1(cbasn1.SEQUENCE) || !tbs.ReadASN1Element(&issuer, cbasn1.SEQUENCE) {
		return l, false
	}
	l.issuer = issuer
	var skip cryptobyte.String
	var tag cbasn1.Tag
	if !tbs.ReadAnyASN1Element(&skip, &tag) {
		return l, false
	}
	if (tbs.PeekASN1Tag(cbasn1.UTCTime) || tbs.PeekASN1Tag(cbasn1.GeneralizedTime)) && !tbs.ReadAnyASN1Element(&skip, &tag) {
		return l, false
	}
	l.before = start[:len(start)-len(tbs)]
	if tbs.PeekASN1Tag(cbasn1.SEQUENCE) {
		el := tbs
		if !tbs.ReadASN1(&l.revokedContent, cbasn1.SEQUENCE) {
			return l, false
		}
		l.revoked = el[:len(el)-len(tbs)]
		if l.revokedContent == nil {
			l.revokedContent = cryptobyte.String{}
		}
	}
	l.after = tbs
	return l, true
}

// without is the CRL with an empty revokedCertificates, and without what
// follows it in the TBS unless after.
func (l crlLayout) without(after bool) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddBytes(l.before)
			if l.revoked != nil {
				b.AddASN1(cbasn1.SEQUENCE, func(*cryptobyte.Builder) {})
			}
			if after {
				b.AddBytes(l.after)
			}
		})
		b.AddBytes(l.rest)
	})
	return b.Bytes()
}

// parseCRL parses raw as x509.ParseRevocationList does, but keeps no entry.
func parseCRL(raw []byte) (*crlInfo, error) {
	crlWork.parses.Add(1)
	l, ok := walkCRL(raw)
	if !ok {
		// Broken before the entries: the standard library stops there
		// too, with the error to report.
		if _, err := x509.ParseRevocationList(raw); err != nil {
			return nil, err
		}
		return nil, errors.New("x509: malformed crl")
	}
	// The same CRL with an empty revokedCertificates.
	short, err := l.without(true)
	if err != nil {
		return nil, err
	}
	hdr, err := x509.ParseRevocationList(short)
	if err != nil {
		// x509 reads the entries before the CRL's extensions: the
		// first error in that order is the one to report.
		if eerr := checkEntries(l.revokedContent); eerr != nil {
			if prefix, perr := l.without(false); perr == nil {
				if _, perr := x509.ParseRevocationList(prefix); perr == nil {
					return nil, eerr
				}
			}
		}
		return nil, err
	}
	if err := checkEntries(l.revokedContent); err != nil {
		return nil, err
	}
	// The signature is over the real TBS.
	in := cryptobyte.String(raw)
	var el, outer, tbs cryptobyte.String
	in.ReadASN1Element(&el, cbasn1.SEQUENCE)
	outer = el
	outer.ReadASN1(&outer, cbasn1.SEQUENCE)
	outer.ReadASN1Element(&tbs, cbasn1.SEQUENCE)
	hdr.Raw, hdr.RawTBSRevocationList = el, tbs
	return &crlInfo{hdr: hdr, revoked: l.revokedContent, size: int64(len(short)) + 512}, nil
}

// checkSignature is hdr.CheckSignatureFrom(issuer), once per issuer.
func (c *crlInfo) checkSignature(issuer *x509.Certificate) error {
	k := sha256.Sum256(issuer.Raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err, ok := c.verdicts[k]; ok {
		return err
	}
	crlWork.sigChecks.Add(1)
	err := c.hdr.CheckSignatureFrom(issuer)
	if c.verdicts == nil {
		c.verdicts = map[[32]byte]error{}
	}
	if len(c.verdicts) < 64 {
		c.verdicts[k] = err
	}
	return err
}

var oidReasonCodeDER = []byte{0x55, 0x1d, 0x15} // 2.5.29.21

// checkEntries checks revokedCertificates as x509.ParseRevocationList
// does, returning its error for the first malformed entry.
func checkEntries(list cryptobyte.String) error {
	for !list.Empty() {
		var entry cryptobyte.String
		if !list.ReadASN1(&entry, cbasn1.SEQUENCE) {
			return errors.New("x509: malformed crl")
		}
		var serial cryptobyte.String
		if !entry.ReadASN1(&serial, cbasn1.INTEGER) || !validInteger(serial) {
			return errors.New("x509: malformed serial number")
		}
		if err := skipTime(&entry); err != nil {
			return err
		}
		var exts cryptobyte.String
		var present bool
		if !entry.ReadOptionalASN1(&exts, &present, cbasn1.SEQUENCE) {
			return errors.New("x509: malformed extensions")
		}
		for present && !exts.Empty() {
			var ext cryptobyte.String
			if !exts.ReadASN1(&ext, cbasn1.SEQUENCE) {
				return errors.New("x509: malformed extension")
			}
			id, val, err := readExtension(ext)
			if err != nil {
				return err
			}
			if bytes.Equal(id, oidReasonCodeDER) {
				var reason int
				if !val.ReadASN1Enum(&reason) {
					return errors.New("x509: malformed reasonCode extension")
				}
			}
		}
	}
	return nil
}

// readExtension is x509's parseExtension without allocating: the DER of
// the OID and the value.
func readExtension(der cryptobyte.String) ([]byte, cryptobyte.String, error) {
	var id cryptobyte.String
	if !der.ReadASN1(&id, cbasn1.OBJECT_IDENTIFIER) || !validOID(id) {
		return nil, nil, errors.New("x509: malformed extension OID field")
	}
	if der.PeekASN1Tag(cbasn1.BOOLEAN) {
		var critical bool
		if !der.ReadASN1Boolean(&critical) {
			return nil, nil, errors.New("x509: malformed extension critical field")
		}
	}
	var val cryptobyte.String
	if !der.ReadASN1(&val, cbasn1.OCTET_STRING) {
		return nil, nil, errors.New("x509: malformed extension value field")
	}
	return id, val, nil
}

// validInteger is cryptobyte's check of an INTEGER's encoding.
func validInteger(b []byte) bool {
	switch {
	case len(b) == 0:
		return false
	case len(b) == 1:
		return true
	}
	return !(b[0] == 0 && b[1]&0x80 == 0 || b[0] == 0xff && b[1]&0x80 == 0x80)
}

// validOID is what cryptobyte's ReadASN1ObjectIdentifier accepts: base-128
// components of at most 5 octets, none starting with 0x80, the last ended,
// none reaching 2³¹.
func validOID(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for len(b) > 0 {
		ret := 0
		ended := false
		for i := 0; len(b) > 0; i++ {
			if i == 5 || ret >= 1<<(31-7) {
				return false
			}
			ret <<= 7
			c := b[0]
			b = b[1:]
			if i == 0 && c == 0x80 {
				return false
			}
			ret |= int(c & 0x7f)
			if c&0x80 == 0 {
				ended = true
				break
			}
		}
		if !ended {
			return false
		}
	}
	return true
}

// skipTime reads a UTCTime or GeneralizedTime as x509's parseTime does.
// The usual forms are checked in place; others take the standard path.
func skipTime(der *cryptobyte.String) error {
	var v cryptobyte.String
	save := *der
	switch {
	case der.PeekASN1Tag(cbasn1.UTCTime):
		if der.ReadASN1(&v, cbasn1.UTCTime) && plainUTCTime(v) {
			return nil
		}
	case der.PeekASN1Tag(cbasn1.GeneralizedTime):
		if der.ReadASN1(&v, cbasn1.GeneralizedTime) && plainGeneralizedTime(v) {
			return nil
		}
	}
	*der = save
	_, err := parseTime(der)
	return err
}

// parseTime is x509's.
func parseTime(der *cryptobyte.String) (time.Time, error) {
	var t time.Time
	switch {
	case der.PeekASN1Tag(cbasn1.UTCTime):
		if !der.ReadASN1UTCTime(&t) {
			return t, errors.New("x509: malformed UTCTime")
		}
	case der.PeekASN1Tag(cbasn1.GeneralizedTime):
		if !der.ReadASN1GeneralizedTime(&t) {
			return t, errors.New("x509: malformed GeneralizedTime")
		}
	default:
		return t, errors.New("x509: unsupported time format")
	}
	return t, nil
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// plainUTCTime: YYMMDDhhmmssZ, a valid date and time.
func plainUTCTime(v []byte) bool {
	if len(v) != 13 || v[12] != 'Z' {
		return false
	}
	yy, ok := digits(v[0:2])
	if !ok {
		return false
	}
	year := 2000 + yy
	if yy >= 69 {
		year = 1900 + yy
	}
	return plainClock(year, v[2:12])
}

// plainGeneralizedTime: YYYYMMDDhhmmssZ, a valid date and time.
func plainGeneralizedTime(v []byte) bool {
	if len(v) != 15 || v[14] != 'Z' {
		return false
	}
	year, ok := digits(v[0:4])
	return ok && plainClock(year, v[4:14])
}

// plainClock checks MMDDhhmmss.
func plainClock(year int, v []byte) bool {
	var n [5]int
	for i := range n {
		d, ok := digits(v[2*i : 2*i+2])
		if !ok {
			return false
		}
		n[i] = d
	}
	month, day := n[0], n[1]
	if month < 1 || month > 12 || day < 1 || n[2] > 23 || n[3] > 59 || n[4] > 59 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

// lookup finds serial (the content octets of the certificate's serial
// INTEGER) among the entries, which parseCRL has checked; the first entry
// with it decides, as with RevokedCertificateEntries.
func (c *crlInfo) lookup(serial []byte) (found bool, at time.Time, reason int, err error) {
	crlWork.lookups.Add(1)
	list := c.revoked
	for !list.Empty() {
		var entry, s cryptobyte.String
		if !list.ReadASN1(&entry, cbasn1.SEQUENCE) || !entry.ReadASN1(&s, cbasn1.INTEGER) {
			return false, at, 0, errors.New("x509: malformed crl")
		}
		if !bytes.Equal(s, serial) {
			continue
		}
		if at, err = parseTime(&entry); err != nil {
			return false, at, 0, err
		}
		var exts cryptobyte.String
		var present bool
		entry.ReadOptionalASN1(&exts, &present, cbasn1.SEQUENCE)
		for present && !exts.Empty() {
			var ext cryptobyte.String
			if !exts.ReadASN1(&ext, cbasn1.SEQUENCE) {
				return false, at, 0, errors.New("x509: malformed extension")
			}
			id, val, err := readExtension(ext)
			if err != nil {
				return false, at, 0, err
			}
			if bytes.Equal(id, oidReasonCodeDER) && !val.ReadASN1Enum(&reason) {
				return false, at, 0, errors.New("x509: malformed reasonCode extension")
			}
		}
		return true, at, reason, nil
	}
	return false, at, 0, nil
}

// serialDER is the content octets of cert's serial number as DER encodes
// it, the form a CRL entry carries.
func serialDER(cert *x509.Certificate) []byte {
	der, err := asn1.Marshal(cert.SerialNumber)
	if err != nil {
		return nil
	}
	in := cryptobyte.String(der)
	var v cryptobyte.String
	if !in.ReadASN1(&v, cbasn1.INTEGER) {
		return nil
	}
	return v
}

// CRLCache keeps parsed CRL headers and signature checks, keyed by the
// SHA-256 of the CRL's bytes, so that the CRLs of one file (or one run) are
// parsed once whatever the number of certificates checked against them.
// It holds no entry and at most MaxBytes of headers (8 MiB when 0); past
// that, CRLs are parsed anew each time. A nil *CRLCache caches nothing. It
// is safe for concurrent use.
type CRLCache struct {
	MaxBytes int64

	mu    sync.Mutex
	m     map[[32]byte]*crlInfo
	bytes int64
}

// get returns raw parsed, from the cache when it is there.
func (c *CRLCache) get(raw []byte) (*crlInfo, error) {
	if c == nil {
		return parseCRL(raw)
	}
	k := sha256.Sum256(raw)
	c.mu.Lock()
	info, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return info, nil
	}
	info, err := parseCRL(raw)
	if err != nil {
		return nil, err
	}
	max := c.MaxBytes
	if max <= 0 {
		max = 8 << 20
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		return old, nil
	}
	if c.bytes+info.size <= max {
		if c.m == nil {
			c.m = map[[32]byte]*crlInfo{}
		}
		c.m[k] = info
		c.bytes += info.size
	}
	return info, nil
}

// issuedBy is the cheap first test: does raw name issuer as its issuer?
// A CRL that cannot be walked is not excluded here (parsing reports it).
func issuedBy(raw []byte, issuer *x509.Certificate) bool {
	l, ok := walkCRL(raw)
	return !ok || bytes.Equal(l.issuer, issuer.RawSubject)
}

// maxKeptCRLBytes bounds the downloaded CRLs a Fetcher keeps for the run.
// Past it the oldest are forgotten, and downloaded again if asked for.
const maxKeptCRLBytes = 4 * maxCRLSize

// crlKept tracks the bytes of the CRLs in a Fetcher's cache, oldest first.
type crlKept struct {
	order []string
	size  map[string]int
	total int
}

// keepCRL notes that the answer for url holds n bytes, and drops the
// oldest other answers while the total is over maxKeptCRLBytes.
func (f *Fetcher) keepCRL(url string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := &f.kept
	if k.size == nil {
		k.size = map[string]int{}
	}
	if old, ok := k.size[url]; ok {
		k.total -= old
		for i, u := range k.order {
			if u == url {
				k.order = append(k.order[:i], k.order[i+1:]...)
				break
			}
		}
	}
	k.order = append(k.order, url)
	k.size[url] = n
	k.total += n
	for k.total > maxKeptCRLBytes && len(k.order) > 1 {
		u := k.order[0]
		k.order = k.order[1:]
		k.total -= k.size[u]
		delete(k.size, u)
		delete(f.crls, u)
	}
}
