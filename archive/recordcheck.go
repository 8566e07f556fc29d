package archive

import "encoding/json"

// checkRecordBytes is decodeRecord's check without building the Record:
// the value inflates and is one JSON value. It is for readers that need
// only an index but must still refuse a damaged catalogue.
func checkRecordBytes(v []byte) error {
	b, err := recordJSON(v)
	if err != nil {
		return damagef("a record does not decode: %v", err)
	}
	if !json.Valid(b) {
		return damagef("a record does not decode: not JSON")
	}
	return nil
}
