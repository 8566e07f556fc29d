package archive

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"sync"
)

// Records are stored as JSON compressed with raw DEFLATE against a preset
// dictionary of the field names and common values, behind a one-byte
// marker. A record of about 1.1 KB of JSON takes about 500 bytes, which keeps
// the catalogue under 2 KiB per record with all its index keys. The
// dictionary is part of schema version 1: changing it needs a migration.
const (
	markerJSON    = '{'
	markerDeflate = 'z'
)

var recordDict = []byte(`"earlier":[{"until":"` +
	`"origin":{"unit_code":"","id":` +
	`"fixity":"ok","missing","corrupt","invalid",` +
	`"kind":"document-timestamp","certification",` +
	`"status":"indeterminate","level":"B-B","B-LT","B-LTA",` +
	`"unit_name":"UBND huyện ","UBND phường ","UBND tỉnh ","Trường ",` +
	`"procedure_name":"Chứng thực bản sao từ bản chính","Cấp giấy phép ","Đăng ký kết hôn","Đăng ký khai tử",` +
	`{"id":1,"sha256":"","size":1,"name":".pdf","dossier_code":"","procedure_code":"1.00","procedure_name":"Đăng ký khai sinh",` +
	`"unit_code":"000.00.00.H","unit_name":"UBND xã ","level":"commune","district","province",` +
	`"result_number":"/QĐ-UBND","copy_form":"SAO Y","issued_date":"2025-","version":1,"status":"valid",` +
	`"verified_at":"2025-T:00+07:00","signatures":[{"kind":"approval","signer":"CN=UBND xã ,O=UBND ,L=,ST=,C=VN",` +
	`"issuer":"CN= Certification Authority,OU=,O=,C=VN","serial":"","cert_sha256":"",` +
	`"not_after":"20","signing_time":"20","timestamp_time":"20","tsa":"CN=","tsa_not_after":"20",` +
	`"level":"B-T","status":"valid"}],"ingested_at":"20","history_head":"`)

var (
	flateWriters = sync.Pool{New: func() any {
		w, err := flate.NewWriterDict(nil, flate.BestCompression, recordDict)
		if err != nil {
			panic(err)
		}
		return w
	}}
	flateReaders = sync.Pool{New: func() any { return flate.NewReaderDict(nil, recordDict) }}
)

// encodeRecord returns the stored form of r.
func encodeRecord(r *Record) ([]byte, error) {
	js, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(js)/2 + 16)
	buf.WriteByte(markerDeflate)
	w := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(js); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// recordJSON returns the JSON of a stored record.
func recordJSON(v []byte) ([]byte, error) {
	if len(v) == 0 {
		return nil, i18n.Errorf("empty record")
	}
	switch v[0] {
	case markerJSON:
		return v, nil
	case markerDeflate:
		r := flateReaders.Get().(io.ReadCloser)
		defer flateReaders.Put(r)
		if err := r.(flate.Resetter).Reset(bytes.NewReader(v[1:]), recordDict); err != nil {
			return nil, err
		}
		// A record is small; bound what a damaged value can inflate to.
		out, err := io.ReadAll(io.LimitReader(r, 16<<20))
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, i18n.Errorf("unknown record encoding %#x", v[0])
}
