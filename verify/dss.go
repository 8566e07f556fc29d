package verify

import (
	"crypto/sha256"
	"crypto/x509"

	"github.com/kyso-project/kyso/internal/pdf"
)

// dssInfo is the validation data of the document security store, with the
// revision each item first appeared in (for the PAdES level: data added
// before a document timestamp is protected by it).
type dssInfo struct {
	certs        []*x509.Certificate
	ocsps, crls  [][]byte
	firstRev     map[[32]byte]int
	present      bool
	firstDSSRev  int
	itemsSkipped int
}

const (
	maxDSSItems    = 4096
	maxDSSItemSize = 1 << 20
)

// readDSS collects /DSS /Certs, /OCSPs and /CRLs of every revision (a later
// update may drop items; what was once embedded still counts as evidence).
func readDSS(r *pdf.Reader) *dssInfo {
	info := &dssInfo{firstRev: map[[32]byte]int{}, firstDSSRev: -1}
	seen := map[pdf.XrefEntry][]byte{}
	// A DSS dictionary or array already read in an earlier revision adds
	// nothing in a later one: reading it again for each of a thousand
	// updates would cost their product.
	read := map[pdf.XrefEntry]bool{}
	again := func(v *pdf.Reader, o pdf.Object) bool {
		// The last reference of a chain names the object itself.
		ref, ok := o.(pdf.Ref)
		for hops := 0; ok && hops < 32; hops++ {
			next, err := v.Get(ref)
			if err != nil {
				return false
			}
			nr, isRef := next.(pdf.Ref)
			if !isRef {
				break
			}
			ref = nr
		}
		if !ok {
			return false
		}
		e, ok := v.Lookup(ref.Num)
		if !ok {
			return false
		}
		if read[e] {
			return true
		}
		read[e] = true
		return false
	}
	for i := range r.Revisions() {
		v := r.At(i)
		cat, err := v.Catalog()
		if err != nil {
			continue
		}
		dss, _ := v.Dict(cat["DSS"])
		if dss == nil {
			continue
		}
		if !info.present {
			info.present, info.firstDSSRev = true, i
		}
		if again(v, cat["DSS"]) {
			continue
		}
		for _, key := range []pdf.Name{"Certs", "OCSPs", "CRLs"} {
			if again(v, dss[key]) {
				continue
			}
			arr, _ := v.Array(dss[key])
			for _, o := range arr {
				ref, ok := o.(pdf.Ref)
				if !ok {
					continue
				}
				e, ok := v.Lookup(ref.Num)
				if !ok {
					continue
				}
				if _, done := seen[e]; done {
					continue
				}
				if len(seen) >= maxDSSItems {
					info.itemsSkipped++
					continue
				}
				st, _ := mustStream(v, ref)
				if st == nil || st.Length > maxDSSItemSize {
					seen[e] = nil
					continue
				}
				der, err := v.StreamData(st)
				if err != nil || len(der) > maxDSSItemSize {
					seen[e] = nil
					continue
				}
				seen[e] = der
				sum := sha256.Sum256(der)
				if _, dup := info.firstRev[sum]; dup {
					continue
				}
				info.firstRev[sum] = i
				switch key {
				case "Certs":
					if c, err := x509.ParseCertificate(der); err == nil {
						info.certs = append(info.certs, c)
					}
				case "OCSPs":
					info.ocsps = append(info.ocsps, der)
				case "CRLs":
					info.crls = append(info.crls, der)
				}
			}
		}
	}
	return info
}

func mustStream(r *pdf.Reader, ref pdf.Ref) (*pdf.Stream, error) {
	o, err := r.Get(ref)
	if err != nil {
		return nil, err
	}
	st, _ := o.(*pdf.Stream)
	return st, nil
}

// revocationSince returns the first revision at or after rev in which the
// DSS gained revocation data (an OCSP response or CRL), or -1.
func (d *dssInfo) revocationSince(rev int) int {
	best := -1
	for _, items := range [][][]byte{d.ocsps, d.crls} {
		for _, der := range items {
			if i := d.revisionOf(der); i >= rev && (best < 0 || i < best) {
				best = i
			}
		}
	}
	return best
}

// revisionOf returns the revision in which the DSS first held der, or -1.
func (d *dssInfo) revisionOf(der []byte) int {
	if d == nil || der == nil {
		return -1
	}
	if i, ok := d.firstRev[sha256.Sum256(der)]; ok {
		return i
	}
	return -1
}
