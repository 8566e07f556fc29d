package archive

// The tamper-evident layer of the catalogue (schema 2, docs/catalogue.md
// "Record hashes and the chain"):
//
//   - every record carries record_hash, the SHA-256 of its canonical JSON
//     (canonicalRecord): all its fields but record_hash itself, including
//     history_head, which is the end of the record's hash-chained history;
//   - chain/ is an append-only log with one entry per record write:
//     entry_i = SHA-256(entry_{i-1} || id (u64 big-endian) || record_hash),
//     entry_0 = 32 zero bytes; it is written by putRecord, in the same Update
//     transaction as the record;
//   - checkpoints/ keeps RFC 3161 tokens over the chain head (checkpoint.go).
//
// VerifyChain recomputes all of it.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/trust"
)

var (
	bucketChain       = []byte("chain")
	bucketCheckpoints = []byte("checkpoints")
)

// recordHashPrefix separates record hashes from any other SHA-256 of JSON.
const recordHashPrefix = "kyso record v1\n"

// chainEntryLen is the stored size of a chain entry: id(8) || record
// hash(32) || entry hash(32).
const chainEntryLen = 8 + 32 + 32

// canonicalRecord returns the canonical encoding of a record's JSON: the
// object without its "record_hash" member, every object's keys sorted by
// their UTF-8 bytes, no white space, numbers as written, strings as
// encoding/json escapes them with HTML escaping off.
func canonicalRecord(js []byte) ([]byte, string, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, "", err
	}
	if dec.More() {
		return nil, "", i18n.Errorf("trailing data after the record")
	}
	stored, _ := m["record_hash"].(string)
	delete(m, "record_hash")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, "", err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), stored, nil
}

// hashCanonical is the record hash of a canonical encoding.
func hashCanonical(canon []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(recordHashPrefix))
	h.Write(canon)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// computeRecordHash returns the hash r must carry.
func computeRecordHash(r *Record) ([32]byte, error) {
	saved := r.RecordHash
	r.RecordHash = ""
	js, err := json.Marshal(r)
	r.RecordHash = saved
	if err != nil {
		return [32]byte{}, err
	}
	canon, _, err := canonicalRecord(js)
	if err != nil {
		return [32]byte{}, err
	}
	return hashCanonical(canon), nil
}

// checkStoredHash says whether a stored record still matches the hash it
// carries.
func checkStoredHash(v []byte) error {
	js, err := recordJSON(v)
	if err != nil {
		return err
	}
	canon, stored, err := canonicalRecord(js)
	if err != nil {
		return err
	}
	if got := hashCanonical(canon); stored != hex.EncodeToString(got[:]) {
		return i18n.Errorf("the stored record does not match its record hash: it was edited outside kyso")
	}
	return nil
}

// chainNext is entry i from entry i-1.
func chainNext(prev [32]byte, id uint64, rh [32]byte) [32]byte {
	var buf [32 + 8 + 32]byte
	copy(buf[:32], prev[:])
	binary.BigEndian.PutUint64(buf[32:40], id)
	copy(buf[40:], rh[:])
	return sha256.Sum256(buf[:])
}

// chainHead returns the last entry's position and hash (0 and zeros when
// the chain is empty).
func chainHead(tx *bolt.Tx) (uint64, [32]byte) {
	var head [32]byte
	b := tx.Bucket(bucketChain)
	if b == nil {
		return 0, head
	}
	k, v := b.Cursor().Last()
	if k == nil || len(k) != 8 || len(v) != chainEntryLen {
		return 0, head
	}
	copy(head[:], v[40:])
	return binary.BigEndian.Uint64(k), head
}

// appendChain adds the entry of one record write.
func appendChain(tx *bolt.Tx, id uint64, rh [32]byte) error {
	b := tx.Bucket(bucketChain)
	if b == nil {
		return i18n.Errorf("catalogue has no chain bucket: %v", ErrOldSchema)
	}
	b.FillPercent = 1 // append-only
	seq, prev := chainHead(tx)
	entry := chainNext(prev, id, rh)
	v := make([]byte, 0, chainEntryLen)
	v = binary.BigEndian.AppendUint64(v, id)
	v = append(v, rh[:]...)
	v = append(v, entry[:]...)
	return b.Put(u64(seq+1), v)
}

// ChainProblem is one thing VerifyChain found wrong. ID is 0 for a problem
// of the chain itself.
type ChainProblem struct {
	ID     uint64 `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// ChainReport is what VerifyChain found.
type ChainReport struct {
	// Entries is the length of the chain, Head its last entry (hex).
	Entries uint64 `json:"entries"`
	Head    string `json:"head"`
	Records int    `json:"records"`
	// Problems lists every mismatch; none means every record, its history
	// and the chain are as they were written.
	Problems    []ChainProblem    `json:"problems,omitempty"`
	Checkpoints []CheckpointCheck `json:"checkpoints,omitempty"`
}

// OK says nothing was found wrong.
func (r *ChainReport) OK() bool {
	if len(r.Problems) > 0 {
		return false
	}
	for _, c := range r.Checkpoints {
		if !c.OK {
			return false
		}
	}
	return true
}

// ChainOptions say how checkpoints are judged.
type ChainOptions struct {
	// Trust, when set, is used to say whether each checkpoint's TSA chains
	// to a trusted root.
	Trust *trust.Store
	// External are checkpoints kept outside the catalogue (audit
	// --checkpoint FILE), by file name; each must hold as a stored one does.
	External map[string]ExternalCheckpoint
}

// VerifyChain recomputes every record's hash from its stored bytes, every
// record's history chain, the catalogue's chain over all record writes and
// the stored checkpoints, in one read transaction. An edit of any field of
// a record, of any event, or of the chain shows as a problem; an edit
// before a checkpoint cannot be hidden by recomputing the chain, because
// the timestamped head no longer matches.
func (c *Catalogue) VerifyChain(ctx context.Context, o ChainOptions) (*ChainReport, error) {
	var rep *ChainReport
	err := c.view(ctx, func(tx *bolt.Tx) error {
		var err error
		rep, err = verifyChainTx(ctx, tx, c.unit.Code, o)
		return err
	})
	return rep, err
}

func verifyChainTx(ctx context.Context, tx *bolt.Tx, unit string, o ChainOptions) (*ChainReport, error) {
	rep := &ChainReport{}
	add := func(id uint64, format string, a ...any) {
		rep.Problems = append(rep.Problems, ChainProblem{ID: id, Reason: fmt.Sprintf(format, a...)})
	}
	// 1. The chain: contiguous positions, each entry from the one before.
	type last struct {
		seq uint64
		rh  [32]byte
	}
	latest := map[uint64]last{}
	entries := map[uint64][32]byte{} // only the positions checkpoints need
	want := map[uint64]bool{}
	for _, e := range o.External {
		want[e.Seq] = true
	}
	if cb := tx.Bucket(bucketCheckpoints); cb != nil {
		cb.ForEach(func(k, v []byte) error {
			var cp Checkpoint
			if json.Unmarshal(v, &cp) == nil {
				want[cp.Seq] = true
			}
			return nil
		})
	}
	var prev [32]byte
	broken := false
	if cb := tx.Bucket(bucketChain); cb != nil {
		cur := cb.Cursor()
		var seq uint64
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			seq++
			if seq%4096 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if len(k) != 8 || binary.BigEndian.Uint64(k) != seq {
				add(0, "chain entry %d is missing or out of place: the chain was edited", seq)
				broken = true
				break
			}
			if len(v) != chainEntryLen {
				add(0, "chain entry %d is damaged", seq)
				broken = true
				break
			}
			id := binary.BigEndian.Uint64(v[:8])
			var rh, stored [32]byte
			copy(rh[:], v[8:40])
			copy(stored[:], v[40:])
			entry := chainNext(prev, id, rh)
			if entry != stored && !broken {
				add(0, "chain entry %d (record %d) does not follow from the entries before it: the chain was edited", seq, id)
				broken = true
			}
			// Later entries are recomputed from the true values, so a
			// checkpoint after an edit still shows the edit.
			prev = entry
			latest[id] = last{seq, rh}
			if want[seq] {
				entries[seq] = entry
			}
		}
		rep.Entries = seq
	}
	rep.Head = hex.EncodeToString(prev[:])

	// 2. Every record: its stored hash, its recomputed hash, the chain's
	// latest entry for it and its history.
	rb := tx.Bucket(bucketRecords)
	cur := rb.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		id := idOfKey(k)
		rep.Records++
		if rep.Records%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		js, err := recordJSON(v)
		if err != nil {
			add(id, "record %d is unreadable: %v", id, err)
			continue
		}
		canon, stored, err := canonicalRecord(js)
		if err != nil {
			add(id, "record %d is unreadable: %v", id, err)
			continue
		}
		got := hashCanonical(canon)
		l, inChain := latest[id]
		switch {
		case stored != hex.EncodeToString(got[:]):
			add(id, "record %d does not match its record hash: a field was edited", id)
		case !inChain:
			add(id, "record %d is not in the catalogue's chain: it was added outside kyso", id)
		case l.rh != got:
			add(id, "record %d is not the version the chain holds (entry %d): the record was edited or rolled back", id, l.seq)
		}
		var r Record
		if err := json.Unmarshal(js, &r); err != nil {
			add(id, "record %d is unreadable: %v", id, err)
			continue
		}
		if r.ID != id {
			add(id, "record %d says it is record %d: it was moved", id, r.ID)
		}
		if err := checkChain(rawHistory(tx, id), r.HistoryHead); err != nil {
			add(id, "record %d: %v", id, err)
		}
		delete(latest, id)
	}
	var gone []uint64
	for id := range latest {
		gone = append(gone, id)
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i] < gone[j] })
	for _, id := range gone {
		add(id, "record %d is in the chain (entry %d) but not in the catalogue: it was removed", id, latest[id].seq)
	}

	// 3. Checkpoints: the entry at each checkpoint's position still hashes
	// to what was timestamped.
	var stored []Checkpoint
	if cb := tx.Bucket(bucketCheckpoints); cb != nil {
		err := cb.ForEach(func(k, v []byte) error {
			rep.Checkpoints = append(rep.Checkpoints, checkCheckpoint(k, v, unit, entries, rep.Entries, o))
			var cp Checkpoint
			if json.Unmarshal(v, &cp) == nil {
				stored = append(stored, cp)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(o.External))
	for name := range o.External {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		rep.Checkpoints = append(rep.Checkpoints, checkExternal(name, o.External[name], unit, stored, entries, rep.Entries, o))
	}
	return rep, nil
}

// problemsByID turns a report's record problems into one reason per id.
func (r *ChainReport) problemsByID() map[uint64]string {
	out := map[uint64]string{}
	for _, p := range r.Problems {
		if p.ID == 0 {
			continue
		}
		if old, ok := out[p.ID]; ok {
			out[p.ID] = old + "; " + p.Reason
		} else {
			out[p.ID] = p.Reason
		}
	}
	return out
}
