package pdf

import (
	"bytes"
	"compress/flate"
	"encoding/hex"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
)

// ErrUnsupportedFilter is returned for filters kyso does not decode
// (image codecs such as DCTDecode are left to image decoders).
var ErrUnsupportedFilter = errors.New("unsupported stream filter")

// errTooBig is a decoder's report that its output went over max.
var errTooBig = errors.New("decoded data over the limit")

// decode applies the stream's filters, refusing to produce more than max
// bytes, and charges what it produces to the file's decoded budget.
func (r *Reader) decode(s *Stream, max int64) ([]byte, error) {
	if err := r.budgetErr(); err != nil {
		return nil, err
	}
	over := func() error {
		return limitErr("MaxDecoded", max, "a stream decodes to more than %d bytes", max)
	}
	if s.Length > max && s.Data == nil {
		// Raw data alone is over the limit; encoded data rarely shrinks.
		if _, ok := s.Dict["Filter"]; !ok {
			return nil, over()
		}
	}
	var data []byte
	if s.Data != nil {
		data = s.Data
	} else {
		if s.Length < 0 || s.Length > 1<<34 {
			return nil, i18n.Errorf("bad stream length")
		}
		if s.Length > max {
			// Read it through the decompressor without holding it whole.
			data = nil
		} else {
			if err := r.spendDecoded(s.Length); err != nil {
				return nil, err
			}
			data = make([]byte, s.Length)
			if _, err := r.ra.ReadAt(data, s.Offset); err != nil && !(err == io.EOF && len(data) == 0) {
				return nil, i18n.Errorf("reading stream data: %v", err)
			}
		}
	}
	filters, err := r.filterList(s.Dict)
	if err != nil {
		return nil, err
	}
	for i, f := range filters {
		var in io.Reader
		if data != nil {
			in = bytes.NewReader(data)
		} else {
			in = io.NewSectionReader(r.ra, s.Offset, s.Length)
		}
		parms := r.decodeParms(s.Dict, i)
		switch f {
		case "FlateDecode", "Fl":
			data, err = inflate(in, max)
			if err == nil {
				data, err = unpredict(data, parms)
			}
		case "ASCIIHexDecode", "AHx":
			data, err = asciiHex(in, max)
		case "ASCII85Decode", "A85":
			data, err = ascii85(in, max)
		case "RunLengthDecode", "RL":
			data, err = runLength(in, max)
		default:
			return nil, i18n.Errorf("%v %s", ErrUnsupportedFilter, f)
		}
		if errors.Is(err, errTooBig) {
			return nil, over()
		}
		if err != nil {
			return nil, i18n.Errorf("%s: %v", f, err)
		}
		if err := r.spendDecoded(int64(len(data))); err != nil {
			return nil, err
		}
	}
	if data == nil {
		return nil, over()
	}
	return data, nil
}

// Filters returns the names of a stream's filters.
func (r *Reader) Filters(s *Stream) ([]Name, error) { return r.filterList(s.Dict) }

func (r *Reader) filterList(d Dict) ([]Name, error) {
	f, err := r.Resolve(d["Filter"])
	if err != nil {
		return nil, err
	}
	switch v := f.(type) {
	case nil:
		return nil, nil
	case Name:
		return []Name{v}, nil
	case Array:
		var out []Name
		for _, o := range v {
			n, ok := o.(Name)
			if !ok {
				return nil, i18n.Errorf("bad /Filter array")
			}
			out = append(out, n)
		}
		if len(out) > 8 {
			return nil, i18n.Errorf("too many filters")
		}
		return out, nil
	}
	return nil, i18n.Errorf("bad /Filter")
}

func (r *Reader) decodeParms(d Dict, i int) Dict {
	p, _ := r.Resolve(d["DecodeParms"])
	switch v := p.(type) {
	case Dict:
		if i == 0 {
			return v
		}
	case Array:
		if i < len(v) {
			dd, _ := r.Dict(v[i])
			return dd
		}
	}
	return nil
}

// inflate decompresses zlib data, tolerating a missing or bad checksum and
// trailing garbage, as readers must with real files.
func inflate(in io.Reader, max int64) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(in, hdr[:]); err != nil {
		return nil, i18n.Errorf("truncated zlib header")
	}
	if hdr[0]&0x0f != 8 || (uint16(hdr[0])<<8|uint16(hdr[1]))%31 != 0 {
		return nil, i18n.Errorf("bad zlib header")
	}
	fr := flate.NewReader(in)
	defer fr.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(fr, max+1))
	if n > max {
		return nil, errTooBig
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		if buf.Len() == 0 {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

func unpredict(data []byte, parms Dict) ([]byte, error) {
	// Each parameter is an exact integer or absent (its default).
	param := func(k Name, def int64) (int64, error) {
		v, ok, err := parms.ExactInt(k)
		if err != nil {
			return 0, i18n.Errorf("bad predictor parameters: %v", err)
		}
		if !ok {
			return def, nil
		}
		return v, nil
	}
	pred, err := param("Predictor", 1)
	if err != nil {
		return nil, err
	}
	if pred <= 1 {
		return data, nil
	}
	colors, err := param("Colors", 1)
	if err != nil {
		return nil, err
	}
	bpc, err := param("BitsPerComponent", 8)
	if err != nil {
		return nil, err
	}
	cols, err := param("Columns", 1)
	if err != nil {
		return nil, err
	}
	if colors < 1 || colors > 32 || bpc < 1 || bpc > 16 || cols < 1 || cols > 1<<20 {
		return nil, i18n.Errorf("bad predictor parameters")
	}
	bpp := int((colors*bpc + 7) / 8)
	rowLen := int((colors*bpc*cols + 7) / 8)
	if pred == 2 {
		if bpc != 8 {
			return nil, i18n.Errorf("TIFF predictor supported only for 8 bits per component")
		}
		for i := 0; i+rowLen <= len(data); i += rowLen {
			row := data[i : i+rowLen]
			for j := bpp; j < rowLen; j++ {
				row[j] += row[j-bpp]
			}
		}
		return data, nil
	}
	// PNG predictors: each row starts with its filter type.
	if rowLen >= len(data) {
		// Not one whole row: no output, and no row buffer to make.
		return data[:0], nil
	}
	out := make([]byte, 0, len(data))
	prev := make([]byte, rowLen)
	for i := 0; i+1 <= len(data); i += rowLen + 1 {
		if i+1+rowLen > len(data) {
			break
		}
		ft := data[i]
		row := make([]byte, rowLen)
		copy(row, data[i+1:i+1+rowLen])
		for j := range row {
			var a, b, c byte
			if j >= bpp {
				a = row[j-bpp]
				c = prev[j-bpp]
			}
			b = prev[j]
			switch ft {
			case 0:
			case 1:
				row[j] += a
			case 2:
				row[j] += b
			case 3:
				row[j] += byte((int(a) + int(b)) / 2)
			case 4:
				row[j] += paeth(a, b, c)
			default:
				return nil, i18n.Errorf("bad PNG filter type %d", ft)
			}
		}
		out = append(out, row...)
		prev = row
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func readLimited(in io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(in, max*2+16))
	return b, err
}

func asciiHex(in io.Reader, max int64) ([]byte, error) {
	src, err := readLimited(in, max)
	if err != nil {
		return nil, err
	}
	var clean []byte
	for _, c := range src {
		if c == '>' {
			break
		}
		if !isWhite(c) {
			clean = append(clean, c)
		}
	}
	if len(clean)%2 == 1 {
		clean = append(clean, '0')
	}
	out := make([]byte, len(clean)/2)
	if _, err := hex.Decode(out, clean); err != nil {
		return nil, err
	}
	return out, nil
}

func ascii85(in io.Reader, max int64) ([]byte, error) {
	src, err := readLimited(in, max)
	if err != nil {
		return nil, err
	}
	var out []byte
	var tuple uint64
	n := 0
	for _, c := range src {
		if c == '~' {
			break
		}
		if isWhite(c) {
			continue
		}
		if c == 'z' && n == 0 {
			out = append(out, 0, 0, 0, 0)
			continue
		}
		if c < '!' || c > 'u' {
			return nil, i18n.Errorf("bad ASCII85 character")
		}
		tuple = tuple*85 + uint64(c-'!')
		n++
		if n == 5 {
			out = append(out, byte(tuple>>24), byte(tuple>>16), byte(tuple>>8), byte(tuple))
			tuple, n = 0, 0
		}
		if int64(len(out)) > max {
			return nil, errTooBig
		}
	}
	if n > 1 {
		for k := n; k < 5; k++ {
			tuple = tuple*85 + 84
		}
		b := []byte{byte(tuple >> 24), byte(tuple >> 16), byte(tuple >> 8), byte(tuple)}
		out = append(out, b[:n-1]...)
	}
	return out, nil
}

func runLength(in io.Reader, max int64) ([]byte, error) {
	src, err := readLimited(in, max)
	if err != nil {
		return nil, err
	}
	var out []byte
	for i := 0; i < len(src); {
		l := int(src[i])
		i++
		switch {
		case l == 128:
			return out, nil
		case l < 128:
			if i+l+1 > len(src) {
				return nil, i18n.Errorf("truncated run")
			}
			out = append(out, src[i:i+l+1]...)
			i += l + 1
		default:
			if i >= len(src) {
				return nil, i18n.Errorf("truncated run")
			}
			for k := 0; k < 257-l; k++ {
				out = append(out, src[i])
			}
			i++
		}
		if int64(len(out)) > max {
			return nil, errTooBig
		}
	}
	return out, nil
}
