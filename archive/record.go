package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/kyso-project/kyso/internal/i18n"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/verify"
)

// Record is one archived document: its content, what it is (TTHC metadata),
// who signed it and the verdict. It is the contract of `kyso archive ls --json`.
type Record struct {
	ID     uint64 `json:"id"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Name is the file's base name when it was ingested.
	Name string `json:"name"`
	// Earlier lists contents this record had before (renewals), oldest first;
	// they stay in the store.
	Earlier []Content `json:"earlier,omitempty"`

	Meta

	// Version numbers the documents of one dossier code in ingest order.
	Version int `json:"version,omitempty"`

	Status     verify.Status `json:"status"`
	VerifiedAt time.Time     `json:"verified_at"`
	Signatures []Signature   `json:"signatures,omitempty"`

	IngestedAt time.Time `json:"ingested_at"`
	// Fixity is the outcome of the last audit (ok, missing, corrupt,
	// invalid); FixityUnaudited before the first.
	Fixity FixityStatus `json:"fixity,omitempty"`
	// Origin names the catalogue a record was imported from.
	Origin *Origin `json:"origin,omitempty"`
	// HistoryHead is the hex SHA-256 of the newest history event's bytes.
	HistoryHead string `json:"history_head"`
	// RecordHash is the hex SHA-256 of the record's canonical JSON (every
	// field above, history_head included); the catalogue's chain holds it
	// too (chain.go).
	RecordHash string `json:"record_hash,omitempty"`
}

// Meta is what a record is: the TTHC metadata from --meta, a file-name
// pattern or the catalogue's defaults.
type Meta struct {
	Dossier       string `json:"dossier_code,omitempty"`
	Procedure     string `json:"procedure_code,omitempty"`
	ProcedureName string `json:"procedure_name,omitempty"`
	Unit          string `json:"unit_code,omitempty"`
	UnitName      string `json:"unit_name,omitempty"`
	Level         string `json:"level,omitempty"`
	ResultNumber  string `json:"result_number,omitempty"`
	CopyForm      string `json:"copy_form,omitempty"`
	// Sector is the procedure's field (lĩnh vực), for the report's breakdown.
	Sector string `json:"sector,omitempty"`
	// Issued is the result's issue date, YYYY-MM-DD.
	Issued string `json:"issued_date,omitempty"`
}

// Content is one stored version of a record's bytes.
type Content struct {
	SHA256 string    `json:"sha256"`
	Size   int64     `json:"size"`
	Until  time.Time `json:"until"`
}

// Origin is where an imported record came from.
type Origin struct {
	Unit string `json:"unit_code"`
	ID   uint64 `json:"id"`
}

// Signature summarises one signature or document timestamp of the verdict.
type Signature struct {
	Kind          string        `json:"kind,omitempty"`
	Signer        string        `json:"signer,omitempty"`
	Issuer        string        `json:"issuer,omitempty"`
	Serial        string        `json:"serial,omitempty"`
	CertSHA256    string        `json:"cert_sha256,omitempty"`
	NotAfter      *time.Time    `json:"not_after,omitempty"`
	SigningTime   *time.Time    `json:"signing_time,omitempty"`
	TimestampTime *time.Time    `json:"timestamp_time,omitempty"`
	TSA           string        `json:"tsa,omitempty"`
	TSANotAfter   *time.Time    `json:"tsa_not_after,omitempty"`
	Level         string        `json:"level,omitempty"`
	Status        verify.Status `json:"status"`
}

// Event is one line of a record's history.
type Event struct {
	Seq    uint32    `json:"seq"`
	Time   time.Time `json:"time"`
	Type   string    `json:"type"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail,omitempty"`
	// Prev is the hex SHA-256 of the previous event's stored bytes.
	Prev string `json:"prev,omitempty"`
}

// Event types.
const (
	EventIngested = "ingested"
	EventVerified = "verified"
	EventAudited  = "audited"
	EventRenewed  = "renewed"
	EventExported = "exported"
	EventImported = "imported"
)

// Contents returns every stored content of the record, the current one last.
func (r *Record) Contents() []Content {
	out := append([]Content(nil), r.Earlier...)
	return append(out, Content{SHA256: r.SHA256, Size: r.Size})
}

// summarise turns a verdict into the record's signature summary.
func summarise(rep *verify.Report) []Signature {
	out := make([]Signature, 0, len(rep.Signatures))
	for _, s := range rep.Signatures {
		out = append(out, Signature{
			Kind: s.Kind, Signer: s.Signer, Issuer: s.Issuer, Serial: s.Serial,
			CertSHA256: s.SignerCertSHA256, NotAfter: s.NotAfter,
			SigningTime: s.SigningTime, TimestampTime: s.TimestampTime,
			TSA: s.TSA, TSANotAfter: s.TSANotAfter, Level: s.Level, Status: s.Status,
		})
	}
	return out
}

func decodeRecord(v []byte) (*Record, error) {
	b, err := recordJSON(v)
	if err != nil {
		return nil, damagef("a record does not decode: %v", err)
	}
	r := new(Record)
	if err := json.Unmarshal(b, r); err != nil {
		return nil, damagef("a record does not decode: %v", err)
	}
	return r, nil
}

// reportDossier is what the report counts a record as: its dossier code, or
// its content when it has none.
func reportDossier(r *Record) string {
	if r.Dossier == "" {
		return "\x01" + r.SHA256
	}
	return r.Dossier
}

// validateMeta refuses text that would break index keys: codes may not
// hold control characters, names no NUL.
func validateMeta(m *Meta) error {
	for _, f := range []struct{ name, v string }{
		{"dossier_code", m.Dossier}, {"procedure_code", m.Procedure}, {"unit_code", m.Unit}, {"level", m.Level},
	} {
		if strings.ContainsFunc(f.v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return i18n.Errorf("%s %q contains a control character", f.name, f.v)
		}
	}
	for _, f := range []struct{ name, v string }{{"procedure_name", m.ProcedureName}, {"unit_name", m.UnitName}, {"sector", m.Sector}} {
		if strings.ContainsRune(f.v, 0) {
			return i18n.Errorf("%s contains a NUL byte", f.name)
		}
	}
	if m.Issued != "" {
		if _, err := time.Parse(time.DateOnly, m.Issued); err != nil {
			return i18n.Errorf("issued_date %q: want YYYY-MM-DD", m.Issued)
		}
	}
	return nil
}

// indexKeys returns every index entry of r except sha256.
func indexKeys(r *Record) map[string][][]byte {
	id := idKey(r.ID)
	date := dateKey(r.Issued)
	keys := map[string][][]byte{
		string(idxIssued): {append(append([]byte{}, date...), id...)},
		string(idxStatus): {joinKey(string(r.Status), id)},
	}
	if r.Dossier != "" {
		keys[string(idxDossier)] = [][]byte{joinKey(r.Dossier, id)}
	}
	if r.Procedure != "" {
		keys[string(idxProcedure)] = [][]byte{joinKey(r.Procedure, date, id)}
	}
	if r.Unit != "" {
		keys[string(idxUnit)] = [][]byte{joinKey(r.Unit, date, id)}
	}
	if (r.Status == verify.Valid || r.Status == verify.Indeterminate) && r.Issued != "" {
		keys[string(idxReport)] = [][]byte{joinKey(string(date)+r.Unit, []byte(reportDossier(r)), []byte{0}, id)}
	}
	seen := map[string]bool{}
	for _, s := range r.Signatures {
		if s.Signer != "" && !seen[s.Signer] && !strings.ContainsRune(s.Signer, 0) {
			seen[s.Signer] = true
			keys[string(idxSigner)] = append(keys[string(idxSigner)], joinKey(s.Signer, id))
		}
	}
	return keys
}

// indexFill is the fill of index pages when they split. Index keys arrive
// in no particular order, so pages fill up again after a split; splitting
// fuller keeps the catalogue small.
const indexFill = 0.8

// putIndexes writes (or, with del, deletes) r's index entries.
func putIndexes(tx *bolt.Tx, r *Record, del bool) error {
	idx := tx.Bucket(bucketIdx)
	for name, keys := range indexKeys(r) {
		b := idx.Bucket([]byte(name))
		b.FillPercent = indexFill
		for _, k := range keys {
			var err error
			if del {
				err = b.Delete(k)
			} else {
				err = b.Put(k, nil)
			}
			if err != nil {
				return err
			}
		}
	}
	sb := idx.Bucket(idxSHA)
	sb.FillPercent = indexFill
	for _, c := range r.Contents() {
		k, err := hex.DecodeString(c.SHA256)
		if err != nil || len(k) != sha256.Size {
			return i18n.Errorf("record %d: bad sha256 %q", r.ID, c.SHA256)
		}
		if del {
			err = sb.Delete(k)
		} else {
			err = sb.Put(k, idKey(r.ID))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// putRecord stores r under its id (assigning one when it has none), with
// its record hash, and appends the write to the catalogue's chain. It is the
// only writer of records/: ingest, import, renew, audit and export events
// all go through it, so the chain sees every change.
func putRecord(tx *bolt.Tx, r *Record) error {
	return writeRecord(tx, r, true)
}

// writeRecord is putRecord; checkOld refuses to overwrite a stored record
// that no longer matches its own hash (an edit made outside kyso), which a
// rewrite would otherwise hide. Only the migration that adds the hashes
// writes without it.
func writeRecord(tx *bolt.Tx, r *Record, checkOld bool) error {
	b := tx.Bucket(bucketRecords)
	if checkOld && r.ID != 0 {
		if old := b.Get(idKey(r.ID)); old != nil {
			if err := checkStoredHash(old); err != nil {
				return fail.Run(i18n.Errorf("record %d: %v", r.ID, err), "run kyso archive audit, and restore the catalogue from a backup")
			}
		}
	}
	b.FillPercent = 0.9
	if r.ID == 0 {
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		r.ID = id
	}
	rh, err := computeRecordHash(r)
	if err != nil {
		return err
	}
	r.RecordHash = hex.EncodeToString(rh[:])
	data, err := encodeRecord(r)
	if err != nil {
		return err
	}
	if err := b.Put(idKey(r.ID), data); err != nil {
		return err
	}
	return appendChain(tx, r.ID, rh)
}

// getRecord reads one record; nil when there is none.
func getRecord(tx *bolt.Tx, id uint64) (*Record, error) {
	v := tx.Bucket(bucketRecords).Get(idKey(id))
	if v == nil {
		return nil, nil
	}
	return decodeRecord(v)
}

// lookupSHA returns the id of the record holding content sum (0 if none).
func lookupSHA(tx *bolt.Tx, sum string) uint64 {
	k, err := hex.DecodeString(sum)
	if err != nil {
		return 0
	}
	v := tx.Bucket(bucketIdx).Bucket(idxSHA).Get(k)
	if v == nil {
		return 0
	}
	return mustBeID("sha256", v)
}

// countPrefix counts the keys of b that start with prefix.
func countPrefix(b *bolt.Bucket, prefix []byte) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n
}

// appendEvent adds ev to r's history, chained to the previous event, and
// moves r.HistoryHead; the caller stores r in the same transaction.
func appendEvent(tx *bolt.Tx, r *Record, ev Event) error {
	h := tx.Bucket(bucketHistory)
	h.FillPercent = 0.9
	c := h.Cursor()
	prefix := idKey(r.ID)
	ev.Seq = 1
	k, _ := c.Seek(eventKey(r.ID, ^uint32(0)))
	if k == nil {
		k, _ = c.Last()
	} else if !bytes.Equal(k, eventKey(r.ID, ^uint32(0))) {
		k, _ = c.Prev()
	}
	if k != nil && len(k) == 12 && bytes.HasPrefix(k, prefix) {
		ev.Seq = seqOfEventKey(k) + 1
	}
	ev.Prev = r.HistoryHead
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	if err := h.Put(eventKey(r.ID, ev.Seq), data); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	r.HistoryHead = hex.EncodeToString(sum[:])
	return nil
}

// putRawEvent stores an event's bytes as they are (import), checking that
// they chain to r's head.
func putRawEvent(tx *bolt.Tx, r *Record, raw []byte) error {
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return i18n.Errorf("history event: %v", err)
	}
	if ev.Prev != r.HistoryHead {
		return i18n.Errorf("history event %d does not follow the one before it", ev.Seq)
	}
	h := tx.Bucket(bucketHistory)
	h.FillPercent = 0.9
	if err := h.Put(eventKey(r.ID, ev.Seq), raw); err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	r.HistoryHead = hex.EncodeToString(sum[:])
	return nil
}

func seqOfEventKey(k []byte) uint32 {
	return uint32(k[8])<<24 | uint32(k[9])<<16 | uint32(k[10])<<8 | uint32(k[11])
}

// rawHistory returns copies of the stored bytes of r's events, oldest first.
func rawHistory(tx *bolt.Tx, id uint64) [][]byte {
	var out [][]byte
	prefix := idKey(id)
	c := tx.Bucket(bucketHistory).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		out = append(out, bytes.Clone(v))
	}
	return out
}

// checkChain verifies that r's history is unbroken and ends at its head.
func checkChain(raw [][]byte, head string) error {
	prev := ""
	for i, b := range raw {
		var ev Event
		if err := json.Unmarshal(b, &ev); err != nil {
			return i18n.Errorf("history event %d is unreadable", i+1)
		}
		if ev.Seq != uint32(i+1) {
			return i18n.Errorf("history event %d is numbered %d", i+1, ev.Seq)
		}
		if ev.Prev != prev {
			return i18n.Errorf("history event %d does not match the one before it: the history was edited", i+1)
		}
		sum := sha256.Sum256(b)
		prev = hex.EncodeToString(sum[:])
	}
	if prev != head {
		return i18n.Errorf("history ends at %.12s, the record expects %.12s: the history was edited", prev, head)
	}
	return nil
}

func jsonMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called on the package's own plain structs
	}
	return b
}

func jsonUnmarshal(b []byte, v any) error {
	if b == nil {
		return i18n.Errorf("missing value: %v", ErrNotCatalogue)
	}
	return json.Unmarshal(b, v)
}
