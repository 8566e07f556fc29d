package verify

import (
	"crypto"
	"crypto/sha3"
	"encoding/asn1"
	"hash"

	"github.com/kyso-project/kyso/internal/cms"
)

// hashSHAKE256 stands for SHAKE256 with a 512-bit output, the digest of
// Ed448 signatures in CMS (RFC 8419), which crypto.Hash does not name.
const hashSHAKE256 crypto.Hash = 250

var oidSHAKE256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 12}

// signerHash is the digest algorithm of a SignerInfo, SHAKE256 included.
func signerHash(si *cms.SignerInfo) crypto.Hash {
	if si.Hash == 0 && si.DigestAlgorithm.Algorithm.Equal(oidSHAKE256) {
		return hashSHAKE256
	}
	return si.Hash
}

func hashOK(h crypto.Hash) bool {
	return h == hashSHAKE256 || (h != 0 && h != crypto.MD5 && h.Available())
}

func newHash(h crypto.Hash) hash.Hash {
	if h == hashSHAKE256 {
		return &shake512{sha3.NewSHAKE256()}
	}
	return h.New()
}

func digestOf(h crypto.Hash, data []byte) []byte {
	hh := newHash(h)
	hh.Write(data)
	return hh.Sum(nil)
}

// shake512 is SHAKE256 read to 64 bytes, as a hash.Hash.
type shake512 struct{ s *sha3.SHAKE }

func (h *shake512) Write(p []byte) (int, error) { return h.s.Write(p) }
func (h *shake512) Sum(b []byte) []byte {
	s := h.s
	if c, err := h.clone(); err == nil {
		s = c // reading does not end h
	}
	out := make([]byte, 64)
	s.Read(out)
	return append(b, out...)
}

func (h *shake512) clone() (*sha3.SHAKE, error) {
	st, err := h.s.MarshalBinary()
	if err != nil {
		return nil, err
	}
	c := sha3.NewSHAKE256()
	if err := c.UnmarshalBinary(st); err != nil {
		return nil, err
	}
	return c, nil
}

// Clone lets signatures share the hashing of the bytes they sign alike.
func (h *shake512) Clone() (hash.Cloner, error) {
	c, err := h.clone()
	if err != nil {
		return nil, err
	}
	return &shake512{c}, nil
}
func (h *shake512) Reset()         { h.s.Reset() }
func (h *shake512) Size() int      { return 64 }
func (h *shake512) BlockSize() int { return h.s.BlockSize() }
