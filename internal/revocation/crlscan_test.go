package revocation

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	mrand "math/rand"
	"runtime"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var (
	oidInvalidityDate = asn1.ObjectIdentifier{2, 5, 29, 24}
	oidCertIssuer     = asn1.ObjectIdentifier{2, 5, 29, 29}
)

// differential parses der with both parsers and checks they agree: on the
// error, the header, and the answer for every serial of the list and some
// others.
func differential(t *testing.T, der []byte, issuer *x509.Certificate) {
	t.Helper()
	want, werr := x509.ParseRevocationList(der)
	got, gerr := parseCRL(der)
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("errors differ: x509 %v, scanner %v", werr, gerr)
	}
	if werr != nil {
		return
	}
	h := got.hdr
	if !bytes.Equal(h.Raw, want.Raw) || !bytes.Equal(h.RawTBSRevocationList, want.RawTBSRevocationList) ||
		!bytes.Equal(h.RawIssuer, want.RawIssuer) || !h.ThisUpdate.Equal(want.ThisUpdate) || !h.NextUpdate.Equal(want.NextUpdate) ||
		!bytes.Equal(h.AuthorityKeyId, want.AuthorityKeyId) || h.SignatureAlgorithm != want.SignatureAlgorithm ||
		!bytes.Equal(h.Signature, want.Signature) || (h.Number == nil) != (want.Number == nil) ||
		h.Number != nil && h.Number.Cmp(want.Number) != 0 || len(h.Extensions) != len(want.Extensions) ||
		h.Issuer.String() != want.Issuer.String() {
		t.Fatalf("headers differ:\n%+v\n%+v", h, want)
	}
	if issuer != nil {
		if e1, e2 := want.CheckSignatureFrom(issuer), got.checkSignature(issuer); (e1 == nil) != (e2 == nil) {
			t.Fatalf("signature checks differ: %v, %v", e1, e2)
		}
	}
	serials := []*big.Int{big.NewInt(0), big.NewInt(-1), big.NewInt(1 << 40)}
	for _, e := range want.RevokedCertificateEntries {
		serials = append(serials, e.SerialNumber, new(big.Int).Add(e.SerialNumber, big.NewInt(1)))
	}
	for _, s := range serials {
		var wf bool
		var we x509.RevocationListEntry
		for _, e := range want.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(s) == 0 {
				wf, we = true, e
				break
			}
		}
		found, at, reason, err := got.lookup(serialDER(&x509.Certificate{SerialNumber: s}))
		if err != nil {
			t.Fatalf("serial %v: %v", s, err)
		}
		if found != wf || found && (!at.Equal(we.RevocationTime) || reason != we.ReasonCode) {
			t.Fatalf("serial %v: scanner %v %v %d, x509 %v %v %d", s, found, at, reason, wf, we.RevocationTime, we.ReasonCode)
		}
	}
}

func newCA(t testing.TB, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		BasicConstraintsValid: true, IsCA: true, KeyUsage: x509.KeyUsageCRLSign | x509.KeyUsageCertSign, SubjectKeyId: []byte{1, 2, 3}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// The scanner agrees with x509.ParseRevocationList on CRLs made by
// x509.CreateRevocationList: entries with and without extensions, reason
// codes, UTCTime and GeneralizedTime dates, negative and duplicate serials.
func TestCRLScanDifferential(t *testing.T) {
	ca, key := newCA(t, "diff CA")
	other, _ := newCA(t, "other CA")
	r := mrand.New(mrand.NewSource(1))
	now := time.Now().UTC().Truncate(time.Second)
	for round := 0; round < 40; round++ {
		var entries []x509.RevocationListEntry
		for i := 0; i < r.Intn(60); i++ {
			e := x509.RevocationListEntry{SerialNumber: new(big.Int).Rand(r, new(big.Int).Lsh(big.NewInt(1), uint(1+r.Intn(160))))}
			if r.Intn(5) == 0 {
				e.SerialNumber.Neg(e.SerialNumber)
			}
			switch r.Intn(3) {
			case 0:
				e.RevocationTime = now.Add(-time.Duration(r.Intn(1e6)) * time.Second)
			case 1:
				e.RevocationTime = time.Date(2051+r.Intn(100), 2, 28, 1, 2, 3, 0, time.UTC) // GeneralizedTime
			default:
				e.RevocationTime = time.Date(1950+r.Intn(99), 12, 31, 23, 59, 59, 0, time.UTC)
			}
			if r.Intn(2) == 0 {
				e.ReasonCode = r.Intn(11)
			}
			if r.Intn(3) == 0 {
				d, _ := asn1.MarshalWithParams(now, "generalized")
				e.ExtraExtensions = append(e.ExtraExtensions, pkix.Extension{Id: oidInvalidityDate, Value: d, Critical: r.Intn(2) == 0})
			}
			if r.Intn(4) == 0 {
				e.ExtraExtensions = append(e.ExtraExtensions, pkix.Extension{Id: oidCertIssuer, Value: []byte{0x30, 0}, Critical: true})
			}
			entries = append(entries, e)
			if r.Intn(8) == 0 { // the same serial again: the first decides
				d := e
				d.ReasonCode = (e.ReasonCode + 1) % 11
				entries = append(entries, d)
			}
		}
		tmpl := &x509.RevocationList{Number: big.NewInt(int64(round)), ThisUpdate: now, NextUpdate: now.Add(time.Hour), RevokedCertificateEntries: entries}
		der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca, key)
		if err != nil {
			t.Fatal(err)
		}
		differential(t, der, ca)
		differential(t, der, other)
	}
}

// rawCRL builds a CRL around hand-made entries (no valid signature: the
// parsers do not check it).
func rawCRL(entries ...func(*cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	ai := func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2})
		})
	}
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(1)
			ai(b)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{2, 5, 4, 3})
						b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte("raw CA")) })
					})
				})
			})
			b.AddASN1UTCTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
			if entries != nil {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					for _, e := range entries {
						e(b)
					}
				})
			}
		})
		ai(b)
		b.AddASN1BitString([]byte{1, 2, 3})
	})
	return b.BytesOrPanic()
}

func entry(serial []byte, date []byte, dateTag cbasn1.Tag, exts ...[]byte) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(serial) })
			b.AddASN1(dateTag, func(b *cryptobyte.Builder) { b.AddBytes(date) })
			if exts != nil {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					for _, e := range exts {
						b.AddBytes(e)
					}
				})
			}
		})
	}
}

// ext is an Extension's DER from its parts' DER.
func ext(parts ...[]byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, p := range parts {
			b.AddBytes(p)
		}
	})
	return b.BytesOrPanic()
}

// Malformed and unusual entries: the scanner accepts what x509 accepts,
// with the same error otherwise, and reads the same dates and reasons.
func TestCRLScanMalformedEntries(t *testing.T) {
	utc, gen := cbasn1.UTCTime, cbasn1.GeneralizedTime
	reasonOID := []byte{6, 3, 0x55, 0x1d, 0x15}
	enum := func(v ...byte) []byte { return append([]byte{4, byte(len(v) + 2), 10, byte(len(v))}, v...) }
	cases := map[string][]byte{
		"none":             rawCRL(),
		"empty list":       rawCRL([]func(*cryptobyte.Builder){}...),
		"plain":            rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc)),
		"minutes":          rawCRL(entry([]byte{5}, []byte("2501010000Z"), utc)),
		"offset":           rawCRL(entry([]byte{5}, []byte("250101000000+0100"), utc)),
		"offset zero":      rawCRL(entry([]byte{5}, []byte("250101000000+0000"), utc)),
		"feb 29 leap":      rawCRL(entry([]byte{5}, []byte("240229000000Z"), utc)),
		"feb 29 not leap":  rawCRL(entry([]byte{5}, []byte("250229000000Z"), utc)),
		"feb 29 2000":      rawCRL(entry([]byte{5}, []byte("000229000000Z"), utc)),
		"gen feb 29 2100":  rawCRL(entry([]byte{5}, []byte("21000229000000Z"), gen)),
		"gen feb 29 2400":  rawCRL(entry([]byte{5}, []byte("24000229000000Z"), gen)),
		"gen fraction":     rawCRL(entry([]byte{5}, []byte("20250101000000.5Z"), gen)),
		"gen plain":        rawCRL(entry([]byte{5}, []byte("20250101000000Z"), gen)),
		"hour 24":          rawCRL(entry([]byte{5}, []byte("250101240000Z"), utc)),
		"second 60":        rawCRL(entry([]byte{5}, []byte("250101000060Z"), utc)),
		"month 13":         rawCRL(entry([]byte{5}, []byte("251301000000Z"), utc)),
		"day 0":            rawCRL(entry([]byte{5}, []byte("250100000000Z"), utc)),
		"letters":          rawCRL(entry([]byte{5}, []byte("25010100000aZ"), utc)),
		"bad time tag":     rawCRL(entry([]byte{5}, []byte("250101000000Z"), cbasn1.OCTET_STRING)),
		"empty serial":     rawCRL(entry([]byte{}, []byte("250101000000Z"), utc)),
		"padded serial":    rawCRL(entry([]byte{0, 5}, []byte("250101000000Z"), utc)),
		"negative serial":  rawCRL(entry([]byte{0xff, 5}, []byte("250101000000Z"), utc)),
		"padded negative":  rawCRL(entry([]byte{0xff, 0x85}, []byte("250101000000Z"), utc)),
		"reason":           rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext(reasonOID, enum(1)))),
		"reason twice":     rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext(reasonOID, enum(1)), ext(reasonOID, enum(4)))),
		"reason critical":  rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext(reasonOID, []byte{1, 1, 0xff}, enum(1)))),
		"reason bad bool":  rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext(reasonOID, []byte{1, 1, 7}, enum(1)))),
		"reason no octets": rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext(reasonOID, []byte{10, 1, 1}))),
		"reason not enum":  rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext(reasonOID, []byte{4, 3, 2, 1, 1}))),
		"reason padded":    rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext(reasonOID, enum(0, 1)))),
		"reason huge":      rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext(reasonOID, enum(1, 2, 3, 4, 5, 6, 7, 8, 9)))),
		"oid empty":        rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext([]byte{6, 0}, []byte{4, 0}))),
		"oid 0x80":         rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext([]byte{6, 2, 0x2a, 0x80}, []byte{4, 0}))),
		"oid truncated":    rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext([]byte{6, 2, 0x2a, 0x81}, []byte{4, 0}))),
		"oid long":         rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext([]byte{6, 6, 0x2a, 0x81, 0x81, 0x81, 0x81, 0x01}, []byte{4, 0}))),
		"oid big":          rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext([]byte{6, 5, 0x2a, 0x88, 0x80, 0x80, 0x01}, []byte{4, 0}))),
		"oid 4 bytes":      rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext([]byte{6, 5, 0x2a, 0x87, 0xff, 0xff, 0x7f}, []byte{4, 0}))),
		"ext not seq":      rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, []byte{4, 0})),
		"ext trailing":     rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc, ext(reasonOID, enum(3), []byte{5, 0}))),
		"entry not seq":    rawCRL(func(b *cryptobyte.Builder) { b.AddBytes([]byte{4, 0}) }),
		"second entry bad": rawCRL(entry([]byte{5}, []byte("250101000000Z"), utc), entry([]byte{0, 6}, []byte("250101000000Z"), utc)),
	}
	for name, der := range cases {
		t.Run(name, func(t *testing.T) { differential(t, der, nil) })
	}
	// Random damage to the entries of a real CRL.
	ca, key := newCA(t, "fuzz CA")
	var entries []x509.RevocationListEntry
	for i := 0; i < 20; i++ {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: big.NewInt(int64(1000 + i)), RevocationTime: time.Now(), ReasonCode: i % 11})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now(), NextUpdate: time.Now().Add(time.Hour), RevokedCertificateEntries: entries}, ca, key)
	if err != nil {
		t.Fatal(err)
	}
	r := mrand.New(mrand.NewSource(2))
	for i := 0; i < 3000; i++ {
		d := bytes.Clone(der)
		for j := 0; j <= r.Intn(3); j++ {
			d[r.Intn(len(d))] = byte(r.Intn(256))
		}
		differential(t, d, nil)
	}
}

// bigCRL is a CRL of n entries (serials 1..n, every third with a reason),
// built without signing so that it is quick.
func bigCRL(n int) []byte {
	reason := ext([]byte{6, 3, 0x55, 0x1d, 0x15}, []byte{4, 3, 10, 1, 1})
	es := make([]func(*cryptobyte.Builder), 0, n)
	for i := 1; i <= n; i++ {
		s := big.NewInt(int64(i)).Bytes()
		if s[0]&0x80 != 0 {
			s = append([]byte{0}, s...)
		}
		if i%3 == 0 {
			es = append(es, entry(s, []byte("250101000000Z"), cbasn1.UTCTime, reason))
		} else {
			es = append(es, entry(s, []byte("250101000000Z"), cbasn1.UTCTime))
		}
	}
	return rawCRL(es...)
}

// A lookup in a big CRL allocates nothing per entry, and parsing it keeps
// nothing per entry: memory is the CRL's bytes.
func TestCRLScanBigAllocations(t *testing.T) {
	der := bigCRL(200000)
	info, err := parseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	absent := serialDER(&x509.Certificate{SerialNumber: big.NewInt(300000)})
	last := serialDER(&x509.Certificate{SerialNumber: big.NewInt(199998)})
	if a := testing.AllocsPerRun(3, func() { info.lookup(absent) }); a != 0 {
		t.Errorf("lookup of an absent serial: %v allocations", a)
	}
	if a := testing.AllocsPerRun(3, func() { info.lookup(last) }); a > 20 {
		t.Errorf("lookup of the last serial: %v allocations", a)
	}
	if a := testing.AllocsPerRun(3, func() { checkEntries(info.revoked) }); a != 0 {
		t.Errorf("checking the entries: %v allocations", a)
	}
	if found, _, reason, err := info.lookup(last); !found || reason != 1 || err != nil {
		t.Errorf("last serial: %v %d %v", found, reason, err)
	}
	ten := bigCRL(10)
	aBig := testing.AllocsPerRun(3, func() { parseCRL(der) })
	aTen := testing.AllocsPerRun(3, func() { parseCRL(ten) })
	if aBig > aTen+5 {
		t.Errorf("parsing 200000 entries: %v allocations, 10 entries: %v", aBig, aTen)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < 3; i++ {
		info, err := parseCRL(der)
		if err != nil {
			t.Fatal(err)
		}
		info.lookup(absent)
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Errorf("parsing and looking up a %d-byte CRL 3 times allocated %d bytes", len(der), d)
	}
}

// Checks against many CRLs, most of other CAs, parse each CRL of the
// issuer once with a cache and check its signature once per issuer; the
// others are never parsed.
func TestCheckCRLCache(t *testing.T) {
	p := testpki.Shared(t)
	now := time.Now().UTC().Truncate(time.Second)
	ca, key := newCA(t, "some other CA")
	var crls [][]byte
	for i := 0; i < 30; i++ {
		der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(int64(i)), ThisUpdate: now, NextUpdate: now.Add(time.Hour),
			RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: p.Signer.Cert.SerialNumber, RevocationTime: now}}}, ca, key)
		if err != nil {
			t.Fatal(err)
		}
		crls = append(crls, der)
	}
	good := mkCRL(t, p.Inter.Cert, p.Inter.Key, now, now.Add(time.Hour), nil)
	crls = append(crls, good, good)
	cache := &CRLCache{}
	p0, s0, l0 := CRLWork()
	for i := 0; i < 20; i++ {
		r := Check(context.Background(), p.Signer.Cert, p.Inter.Cert, now, Evidence{CRLs: crls, CRLCache: cache}, nil)
		if r.Status != Good || r.Source != "embedded CRL" {
			t.Fatalf("check %d: %+v", i, r)
		}
	}
	p1, s1, l1 := CRLWork()
	if p1-p0 != 1 || s1-s0 != 1 || l1-l0 != 40 {
		t.Errorf("20 checks: %d parses, %d signature checks, %d lookups; want 1, 1, 40 (the good CRL is there twice)", p1-p0, s1-s0, l1-l0)
	}
	// The other CA's CRLs still decide for its own certificates.
	leaf := &x509.Certificate{SerialNumber: p.Signer.Cert.SerialNumber, RawIssuer: ca.RawSubject, NotAfter: now.Add(time.Hour)}
	if r := Check(context.Background(), leaf, ca, now, Evidence{CRLs: crls, CRLCache: cache}, nil); r.Status != Revoked {
		t.Errorf("other CA's certificate: %+v", r)
	}
}

// A Fetcher forgets its oldest CRLs when their bytes go over the bound.
func TestFetcherKeepsCRLsBounded(t *testing.T) {
	f := &Fetcher{}
	f.crls = map[string]*flight[crlAnswer]{}
	n := maxKeptCRLBytes / 3
	for _, u := range []string{"a", "b", "c", "d", "e"} {
		f.crls[u] = &flight[crlAnswer]{}
		f.keepCRL(u, n)
	}
	if len(f.crls) != 3 || f.crls["a"] != nil || f.crls["b"] != nil || f.kept.total != 3*n {
		t.Errorf("kept %d CRLs, %d bytes", len(f.crls), f.kept.total)
	}
	f.keepCRL("e", n) // again: counted once
	if f.kept.total != 3*n || len(f.kept.order) != 3 {
		t.Errorf("after a refetch: %d bytes, %d CRLs", f.kept.total, len(f.kept.order))
	}
}

// FuzzCRLScan: on any input the scanner and x509.ParseRevocationList agree
// (the same error or the same header and answers).
func FuzzCRLScan(f *testing.F) {
	_, crls := seeds(f)
	for _, c := range crls {
		f.Add(c)
	}
	f.Add(bigCRL(5))
	f.Add(rawCRL(entry([]byte{5}, []byte("2501010000+0100"), cbasn1.UTCTime)))
	f.Fuzz(func(t *testing.T, der []byte) {
		differential(t, der, nil)
	})
}
