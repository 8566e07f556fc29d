package archive

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"

	bolt "go.etcd.io/bbolt"
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

// getSoundRecord reads record id for a command that writes to it (set-meta,
// renew) or hands it on as sound (export). The record must still match its
// record hash and its history chain must end at its head: a write on top
// of an edit made outside kyso would give the edit a fresh hash and a
// fresh event, and an export would carry it to another catalogue as if it
// were sound. Either is the damaged-catalogue error (exit 5) naming the
// record; `kyso archive check` and `audit` report the same edit. It does
// not walk the catalogue's chain (whether this is the version the chain
// holds): audit and check do. Nil, nil when there is no such record.
func getSoundRecord(tx *bolt.Tx, id uint64) (*Record, error) {
	v := tx.Bucket(bucketRecords).Get(idKey(id))
	if v == nil {
		return nil, nil
	}
	r, err := decodeRecord(v)
	if err != nil {
		return nil, err
	}
	if err := recordSound(tx, id, v, r); err != nil {
		return nil, err
	}
	return r, nil
}

// recordSound is getSoundRecord's check of a record already decoded from
// its stored bytes v.
func recordSound(tx *bolt.Tx, id uint64, v []byte, r *Record) error {
	if r.ID != id {
		return damagef("record %d says it is record %d: it was moved", id, r.ID)
	}
	if err := checkStoredHash(v); err != nil {
		return damagef("record %d: %v", id, err)
	}
	if err := checkChain(rawHistory(tx, id), r.HistoryHead); err != nil {
		return damagef("record %d: %v", id, err)
	}
	return nil
}
