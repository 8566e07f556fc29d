package archive

// The catalogue is one bbolt file. Every key is byte-sortable: ids are
// big-endian uint64, dates are fixed-width YYYYMMDD, and the parts of an index
// key are joined by a 0x00 byte (metadata may not contain one), so every `ls`
// filter is a prefix or range scan over one index.
//
//	meta/
//	    "schema"   -> uint64          schema version (schemaVersion below)
//	    "unit"     -> JSON Unit       the unit that owns the catalogue
//	    "created"  -> RFC 3339 time
//	records/                          FillPercent 0.9: ids only grow
//	    id         -> Record          'z' + DEFLATE(JSON) with a preset dictionary
//	                                  (codec.go): content, metadata, signatures
//	history/
//	    id|seq(u32) -> JSON Event     seq from 1; each event holds the SHA-256
//	                                  of the previous event's stored bytes and
//	                                  the record holds the newest one's
//	idx/
//	    sha256/    sha256(32)                    -> id   every content, current and earlier
//	    dossier/   dossier|0|id                  -> ""   versions in ingest order
//	    procedure/ procedure|0|YYYYMMDD|id       -> ""
//	    unit/      unit|0|YYYYMMDD|id            -> ""
//	    issued/    YYYYMMDD|id                   -> ""   00000000 when the date is unknown
//	    signer/    signer|0|id                   -> ""   every signer of the record
//	    status/    status|0|id                   -> ""   valid | indeterminate | invalid
//	    report/    YYYYMMDD|unit|0|dossier|0|id  -> ""   results the report counts: valid or
//	                                                     indeterminate, with an issue date;
//	                                                     dossier is 0x01+sha256 when empty
//	totals/
//	    unit|0|YYYY -> JSON Total     results issued per unit and year
//	runs/
//	    seq(u64)   -> JSON Run        catalogue-wide log: audits, exports, imports
//	chain/                            (schema 2) append-only, FillPercent 1
//	    seq(u64)   -> id(8) | record hash(32) | entry(32)
//	                                  one entry per record write; entry =
//	                                  SHA-256(previous entry | id | record hash)
//	checkpoints/                      (schema 2)
//	    seq(u64)   -> JSON Checkpoint an RFC 3161 token over the chain head
//
// A record and all its index keys, events and its chain entry are written
// in one Update transaction (putRecord is the only writer of records/). The content store beside the file holds ab/cd/<sha256>.

import (
	"encoding/binary"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"time"

	bolt "go.etcd.io/bbolt"
)

// schemaVersion is the version this build writes. Catalogues of a newer
// version are refused; older ones are migrated in order when opened for
// writing.
const schemaVersion = 2

var (
	bucketMeta    = []byte("meta")
	bucketRecords = []byte("records")
	bucketHistory = []byte("history")
	bucketIdx     = []byte("idx")
	bucketTotals  = []byte("totals")
	bucketRuns    = []byte("runs")

	idxSHA       = []byte("sha256")
	idxDossier   = []byte("dossier")
	idxProcedure = []byte("procedure")
	idxUnit      = []byte("unit")
	idxIssued    = []byte("issued")
	idxSigner    = []byte("signer")
	idxStatus    = []byte("status")
	idxReport    = []byte("report")

	keySchema  = []byte("schema")
	keyUnit    = []byte("unit")
	keyCreated = []byte("created")
)

var allIndexes = [][]byte{idxSHA, idxDossier, idxProcedure, idxUnit, idxIssued, idxSigner, idxStatus, idxReport}

// migrations[i] brings a catalogue from version i to version i+1. They run
// in order, each in its own transaction, so an interrupted upgrade resumes.
// A migration that has more to do than one transaction should hold returns
// done=false after a part: it is called again in a new transaction, and the
// version moves only with the part that returns done.
var migrations = []func(tx *bolt.Tx) (done bool, err error){
	// 0 -> 1: the first schema.
	func(tx *bolt.Tx) (bool, error) {
		for _, name := range [][]byte{bucketMeta, bucketRecords, bucketHistory, bucketTotals, bucketRuns} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return false, err
			}
		}
		idx, err := tx.CreateBucketIfNotExists(bucketIdx)
		if err != nil {
			return false, err
		}
		for _, name := range allIndexes {
			if _, err := idx.CreateBucketIfNotExists(name); err != nil {
				return false, err
			}
		}
		return true, nil
	},
	// 1 -> 2: record hashes and the chain (chain.go). Every record gets its
	// hash and one chain entry, in id order, migrateChunk records per
	// transaction (a million records would not fit one in memory); an
	// interrupted upgrade resumes after the last record the chain holds.
	func(tx *bolt.Tx) (bool, error) {
		for _, name := range [][]byte{bucketChain, bucketCheckpoints} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return false, err
			}
		}
		from := uint64(1)
		if k, v := tx.Bucket(bucketChain).Cursor().Last(); k != nil && len(v) == chainEntryLen {
			from = binary.BigEndian.Uint64(v[:8]) + 1
		}
		var ids []uint64
		cur := tx.Bucket(bucketRecords).Cursor()
		for k, _ := cur.Seek(idKey(from)); k != nil && len(ids) < migrateChunk; k, _ = cur.Next() {
			ids = append(ids, idOfKey(k))
		}
		for _, id := range ids {
			r, err := getRecord(tx, id)
			if err != nil {
				return false, i18n.Errorf("record %d: %v", id, err)
			}
			if err := writeRecord(tx, r, false); err != nil {
				return false, err
			}
		}
		return len(ids) < migrateChunk, nil
	},
}

// migrateChunk is how many records one transaction of a chunked migration
// rewrites.
var migrateChunk = 20000

// ErrNewerSchema is returned for a catalogue written by a newer kyso.
var ErrNewerSchema = errors.New("catalogue schema is newer than this kyso")

// readSchema returns the schema version of an open catalogue (0 when empty).
func readSchema(tx *bolt.Tx) uint64 {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return 0
	}
	v := m.Get(keySchema)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// migrate runs the migrations a catalogue lacks. Only create may start from
// an empty file: any other file of version 0 is not a catalogue.
func migrate(db *bolt.DB, path string, create bool) error {
	var have uint64
	if err := db.View(func(tx *bolt.Tx) error { have = readSchema(tx); return nil }); err != nil {
		return err
	}
	if have == 0 && !create {
		return i18n.Errorf("%s: not a kyso catalogue: %v", path, ErrNotCatalogue)
	}
	if have > schemaVersion {
		return i18n.Errorf("%s: schema version %d, this kyso reads up to %d: %v", path, have, schemaVersion, ErrNewerSchema)
	}
	for v := have; v < schemaVersion; v++ {
		for done := false; !done; {
			if err := db.Update(func(tx *bolt.Tx) error {
				var err error
				if done, err = migrations[v](tx); err != nil || !done {
					return err
				}
				return setSchema(tx, v+1)
			}); err != nil {
				return i18n.Errorf("%s: migrating the catalogue to schema %d: %v", path, v+1, err)
			}
		}
	}
	return nil
}

// setSchema records that the catalogue is at version v (and, for the first
// schema, when it was created).
func setSchema(tx *bolt.Tx, v uint64) error {
	m, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	if v == 1 && m.Get(keyCreated) == nil {
		if err := m.Put(keyCreated, []byte(time.Now().Format(time.RFC3339))); err != nil {
			return err
		}
	}
	return m.Put(keySchema, u64(v))
}

// checkSchema refuses a catalogue this build cannot read as it is.
func checkSchema(tx *bolt.Tx, path string) error {
	switch v := readSchema(tx); {
	case v > schemaVersion:
		return i18n.Errorf("%s: schema version %d, this kyso reads up to %d: %v", path, v, schemaVersion, ErrNewerSchema)
	case v == 0:
		return i18n.Errorf("%s: not a kyso catalogue: %v", path, ErrNotCatalogue)
	case v < schemaVersion:
		return i18n.Errorf("%s: schema version %d needs an upgrade to %d: %v", path, v, schemaVersion, ErrOldSchema)
	}
	return nil
}

// ErrNotCatalogue and ErrOldSchema describe files Open cannot read as they are.
var (
	ErrNotCatalogue = errors.New("not a catalogue")
	ErrOldSchema    = errors.New("catalogue schema needs an upgrade")
)

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// idKey is the records key of id; eventKey the history key of one event.
func idKey(id uint64) []byte { return u64(id) }

func eventKey(id uint64, seq uint32) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint64(b, id)
	binary.BigEndian.PutUint32(b[8:], seq)
	return b
}

// dateKey turns "2025-03-05" into "20250305"; an unknown date sorts first.
func dateKey(d string) []byte {
	if len(d) != 10 {
		return []byte("00000000")
	}
	return []byte(d[0:4] + d[5:7] + d[8:10])
}

// joinKey builds an index key: text parts separated by 0x00, then the raw tail.
func joinKey(text string, tail ...[]byte) []byte {
	n := len(text) + 1
	for _, t := range tail {
		n += len(t)
	}
	k := make([]byte, 0, n)
	k = append(k, text...)
	k = append(k, 0)
	for _, t := range tail {
		k = append(k, t...)
	}
	return k
}

// idOfKey returns the id that ends every index key.
func idOfKey(k []byte) uint64 {
	if len(k) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k[len(k)-8:])
}
