package cms

import (
	"errors"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// maxBERDepth bounds the nesting the BER converter follows, so hostile input
// cannot exhaust the stack.
const maxBERDepth = 64

var errBER = errors.New("cms: malformed ber encoding")

// berToDER rewrites the BER element at the start of in with definite,
// minimal lengths and with constructed OCTET STRINGs joined into primitive
// ones, which is all that separates the BER some signers emit (streamed,
// indefinite-length SignedData) from what a DER reader accepts. It returns
// the converted element and the bytes after it. Primitive contents are kept
// as they are.
func berToDER(in []byte) (out, rest []byte, err error) {
	return berElement(in, 0)
}

func berElement(in []byte, depth int) (out, rest []byte, err error) {
	if depth > maxBERDepth || len(in) < 2 {
		return nil, nil, errBER
	}
	if in[0] == 0 {
		return nil, nil, errBER // end-of-contents outside an indefinite length
	}
	i := 1
	if in[0]&0x1f == 0x1f { // high tag number: base-128 continuation bytes
		for {
			if i >= len(in) || i > 5 {
				return nil, nil, errBER
			}
			c := in[i]
			i++
			if c&0x80 == 0 {
				break
			}
		}
	}
	tag := in[:i]
	constructed := in[0]&0x20 != 0
	if i >= len(in) {
		return nil, nil, errBER
	}
	lb := in[i]
	i++
	var content []byte
	switch {
	case lb == 0x80:
		if !constructed {
			return nil, nil, errBER
		}
		rest = in[i:]
		for {
			if len(rest) >= 2 && rest[0] == 0 && rest[1] == 0 {
				rest = rest[2:]
				break
			}
			var child []byte
			if child, rest, err = berElement(rest, depth+1); err != nil {
				return nil, nil, err
			}
			content = append(content, child...)
		}
	default:
		n := int(lb)
		if lb > 0x80 {
			nb := int(lb & 0x7f)
			if nb > 4 || i+nb > len(in) {
				return nil, nil, errBER
			}
			n = 0
			for _, c := range in[i : i+nb] {
				n = n<<8 | int(c)
			}
			i += nb
		}
		if n < 0 || n > len(in)-i {
			return nil, nil, errBER
		}
		body, after := in[i:i+n], in[i+n:]
		rest = after
		if !constructed {
			content = body
			break
		}
		for len(body) > 0 {
			var child []byte
			if child, body, err = berElement(body, depth+1); err != nil {
				return nil, nil, err
			}
			content = append(content, child...)
		}
	}
	if in[0] == 0x24 { // constructed OCTET STRING: join the segments
		var joined []byte
		s := cryptobyte.String(content)
		for !s.Empty() {
			var seg cryptobyte.String
			if !s.ReadASN1(&seg, cbasn1.OCTET_STRING) {
				return nil, nil, errBER
			}
			joined = append(joined, seg...)
		}
		tag, content = []byte{0x04}, joined
	}
	return appendTLV(nil, tag, content), rest, nil
}

func appendTLV(dst, tag, content []byte) []byte {
	dst = append(dst, tag...)
	n := len(content)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 1<<8:
		dst = append(dst, 0x81, byte(n))
	case n < 1<<16:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	case n < 1<<24:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, content...)
}
