package tsp

import (
	"crypto"
	"encoding/asn1"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"math/big"
	"strings"

	"github.com/kyso-project/kyso/internal/cms"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// PKIStatus values (RFC 3161 §2.4.2).
const (
	statusGranted         = 0
	statusGrantedWithMods = 1
	statusRejection       = 2
)

// PKIFailureInfo bits.
const (
	failBadAlg              = 0
	failBadRequest          = 2
	failBadDataFormat       = 5
	failTimeNotAvailable    = 14
	failUnacceptedPolicy    = 15
	failUnacceptedExtension = 16
	failAddInfoNotAvailable = 17
	failSystemFailure       = 25
)

var failNames = map[int]string{
	failBadAlg: "bad algorithm", failBadRequest: "bad request", failBadDataFormat: "bad data format",
	failTimeNotAvailable: "time not available", failUnacceptedPolicy: "policy not accepted",
	failUnacceptedExtension: "extension not accepted", failAddInfoNotAvailable: "additional information not available",
	failSystemFailure: "system failure",
}

var statusNames = []string{"granted", "granted with modifications", "rejection", "waiting",
	"revocation warning", "revocation notification"}

// request is a TimeStampReq.
type request struct {
	imprint imprint
	policy  asn1.ObjectIdentifier
	nonce   *big.Int
	certReq bool
	hasExt  bool
}

func marshalRequest(h crypto.Hash, digest []byte, policy asn1.ObjectIdentifier, nonce *big.Int) ([]byte, error) {
	oid, ok := cms.HashOID(h)
	if !ok {
		return nil, i18n.Errorf("timestamp: no identifier for %v", h)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oid) })
			b.AddASN1OctetString(digest)
		})
		if policy != nil {
			b.AddASN1ObjectIdentifier(policy)
		}
		b.AddASN1BigInt(nonce)
		b.AddASN1Boolean(true)
	})
	return b.Bytes()
}

func parseRequest(der []byte) (*request, error) {
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	var version int
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() || !seq.ReadASN1Integer(&version) || version != 1 {
		return nil, malformed("request")
	}
	r := &request{}
	var err error
	if r.imprint, err = readImprint(&seq); err != nil {
		return nil, err
	}
	if seq.PeekASN1Tag(cbasn1.OBJECT_IDENTIFIER) && !seq.ReadASN1ObjectIdentifier(&r.policy) {
		return nil, malformed("request policy")
	}
	if seq.PeekASN1Tag(cbasn1.INTEGER) {
		r.nonce = new(big.Int)
		if !seq.ReadASN1Integer(r.nonce) {
			return nil, malformed("request nonce")
		}
	}
	if seq.PeekASN1Tag(cbasn1.BOOLEAN) && !seq.ReadASN1Boolean(&r.certReq) {
		return nil, malformed("request certreq")
	}
	if seq.PeekASN1Tag(tagCtx0.Constructed()) {
		r.hasExt = true
		seq.SkipASN1(tagCtx0.Constructed())
	}
	if !seq.Empty() {
		return nil, malformed("request")
	}
	return r, nil
}

// response is a TimeStampResp.
type response struct {
	status   int
	text     []string
	failBits []int
	token    []byte // the TimeStampToken element, nil if none
}

func marshalResponse(status int, failBit int, text string, token []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(int64(status))
			if text != "" {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(text)) })
				})
			}
			if failBit >= 0 {
				// a named bit list in DER: no trailing zero bits
				bits := make([]byte, failBit/8+1)
				bits[failBit/8] = 0x80 >> (failBit % 8)
				b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
					b.AddUint8(uint8(7 - failBit%8))
					b.AddBytes(bits)
				})
			}
		})
		if token != nil {
			b.AddBytes(token)
		}
	})
	return b.BytesOrPanic() // nothing in it can fail to encode
}

func parseResponse(der []byte) (*response, error) {
	s := cryptobyte.String(der)
	var seq, si cryptobyte.String
	r := &response{}
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() || !seq.ReadASN1(&si, cbasn1.SEQUENCE) ||
		!si.ReadASN1Integer(&r.status) {
		return nil, malformed("reply")
	}
	if si.PeekASN1Tag(cbasn1.SEQUENCE) {
		var texts cryptobyte.String
		si.ReadASN1(&texts, cbasn1.SEQUENCE)
		for !texts.Empty() {
			var t cryptobyte.String
			if !texts.ReadASN1(&t, cbasn1.UTF8String) {
				return nil, malformed("reply status text")
			}
			r.text = append(r.text, string(t))
		}
	}
	if si.PeekASN1Tag(cbasn1.BIT_STRING) {
		var bs asn1.BitString
		if !si.ReadASN1BitString(&bs) {
			return nil, malformed("reply failure info")
		}
		for i := 0; i < bs.BitLength; i++ {
			if bs.At(i) == 1 {
				r.failBits = append(r.failBits, i)
			}
		}
	}
	if !si.Empty() {
		return nil, malformed("reply status")
	}
	if !seq.Empty() {
		var tok cryptobyte.String
		if !seq.ReadASN1Element(&tok, cbasn1.SEQUENCE) || !seq.Empty() {
			return nil, malformed("reply token")
		}
		r.token = tok
	}
	return r, nil
}

// describe says why a TSA refused, in its own words where it gave them.
func (r *response) describe() string {
	st := fmt.Sprintf("status %d", r.status)
	if r.status >= 0 && r.status < len(statusNames) {
		st = statusNames[r.status]
	}
	var parts []string
	for _, b := range r.failBits {
		if n, ok := failNames[b]; ok {
			parts = append(parts, n)
		} else {
			parts = append(parts, fmt.Sprintf("failure bit %d", b))
		}
	}
	for _, t := range r.text {
		parts = append(parts, fmt.Sprintf("%q", printable(t, 200)))
	}
	if len(parts) > 0 {
		st += ": " + strings.Join(parts, ", ")
	}
	return st
}

// printable cuts s to n runes and drops control characters, as it comes
// from a server and ends up in a terminal.
func printable(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if n == 0 {
			b.WriteString("...")
			break
		}
		if r >= 0x20 && r != 0x7f {
			b.WriteRune(r)
			n--
		}
	}
	return b.String()
}
