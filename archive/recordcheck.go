package archive

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
)

// recordChecker is decodeRecord's check without building the Record: the
// value inflates and is one JSON value. It is for readers that need only
// an index but must still refuse a damaged catalogue; its buffer is
// reused from one record to the next.
type recordChecker struct {
	buf bytes.Buffer
}

func (rc *recordChecker) check(v []byte) error {
	if err := rc.inflate(v); err != nil {
		return damagef("a record does not decode: %v", err)
	}
	if !json.Valid(rc.buf.Bytes()) {
		return damagef("a record does not decode: not JSON")
	}
	return nil
}

// inflate is recordJSON into rc.buf.
func (rc *recordChecker) inflate(v []byte) error {
	rc.buf.Reset()
	if len(v) == 0 {
		return i18n.Errorf("empty record")
	}
	switch v[0] {
	case markerJSON:
		rc.buf.Write(v)
		return nil
	case markerDeflate:
		r := flateReaders.Get().(io.ReadCloser)
		defer flateReaders.Put(r)
		if err := r.(flate.Resetter).Reset(bytes.NewReader(v[1:]), recordDict); err != nil {
			return err
		}
		_, err := rc.buf.ReadFrom(io.LimitReader(r, 16<<20))
		return err
	}
	return i18n.Errorf("unknown record encoding %#x", v[0])
}
