package archive

import (
	"context"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/internal/tsp"
)

// editRecord opens the bbolt file itself, as someone with write access to
// it would, and changes record id with edit. With rehash the record hash is
// recomputed too (a careful forger); with rechain the chain is rewritten
// from the edited record on, so it holds together again.
func editRecord(t *testing.T, path string, id uint64, edit func(m map[string]any), rehash, rechain bool) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		js, err := recordJSON(b.Get(idKey(id)))
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(js, &m); err != nil {
			return err
		}
		edit(m)
		js, _ = json.Marshal(m)
		var rh [32]byte
		if rehash {
			canon, _, err := canonicalRecord(js)
			if err != nil {
				return err
			}
			rh = hashCanonical(canon)
			m["record_hash"] = hex.EncodeToString(rh[:])
			js, _ = json.Marshal(m)
		}
		if err := b.Put(idKey(id), js); err != nil { // plain JSON is a valid stored form
			return err
		}
		if !rechain {
			return nil
		}
		// Point the record's last chain entry at the new hash and recompute
		// every entry from the first.
		cb := tx.Bucket(bucketChain)
		var lastSeq uint64
		cb.ForEach(func(k, v []byte) error {
			if binary.BigEndian.Uint64(v[:8]) == id {
				lastSeq = binary.BigEndian.Uint64(k)
			}
			return nil
		})
		var prev [32]byte
		type kv struct{ k, v []byte }
		var all []kv
		cb.ForEach(func(k, v []byte) error {
			all = append(all, kv{append([]byte{}, k...), append([]byte{}, v...)})
			return nil
		})
		for _, e := range all {
			if binary.BigEndian.Uint64(e.k) == lastSeq {
				copy(e.v[8:40], rh[:])
			}
			var r [32]byte
			copy(r[:], e.v[8:40])
			next := chainNext(prev, binary.BigEndian.Uint64(e.v[:8]), r)
			copy(e.v[40:], next[:])
			prev = next
			if err := cb.Put(e.k, e.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func auditAll(t *testing.T, path string, o AuditOptions) (AuditSummary, map[uint64]AuditResult) {
	t.Helper()
	c := openRO(t, path)
	defer c.Close()
	res := map[uint64]AuditResult{}
	sum, err := c.Audit(context.Background(), o, func(r AuditResult) error { res[r.ID] = r; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return sum, res
}

func TestAuditCatchesEditedRecord(t *testing.T) {
	setDossier := func(m map[string]any) { m["dossier_code"] = "H26.01-FORGED" }
	tests := []struct {
		name            string
		edit            func(m map[string]any)
		rehash, rechain bool
		want            string
	}{
		{"a field", setDossier, false, false, "does not match its record hash"},
		{"a field and its hash", setDossier, true, false, "not the version the chain holds"},
		{"a signer", func(m map[string]any) { m["signatures"].([]any)[0].(map[string]any)["signer"] = "CN=Forged" }, false, false, "does not match its record hash"},
		{"a removed field", func(m map[string]any) { delete(m, "issued_date") }, false, false, "does not match its record hash"},
		{"an added field", func(m map[string]any) { m["note"] = "x" }, false, false, "does not match its record hash"},
		{"the history head", func(m map[string]any) { m["history_head"] = strings.Repeat("0", 64) }, true, true, "the history was edited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, c := sampleCatalogue(t)
			c.Close()
			if sum, _ := auditAll(t, path, AuditOptions{}); sum.Problems() != 0 || sum.Chain.Entries != 5 || sum.Chain.Records != 5 {
				t.Fatalf("audit before the edit: %+v %+v", sum, sum.Chain)
			}
			editRecord(t, path, 2, tt.edit, tt.rehash, tt.rechain)
			for round := range 2 { // the first audit must not launder the edit
				sum, res := auditAll(t, path, AuditOptions{})
				if sum.Problems() == 0 || res[2].Status != FixityCorrupt || !strings.Contains(res[2].Reason, tt.want) {
					t.Fatalf("round %d: record 2 %+v, summary %+v, chain %+v", round, res[2], sum, sum.Chain)
				}
				for id, r := range res {
					if id != 2 && r.Status != FixityOK {
						t.Errorf("record %d: %+v", id, r)
					}
				}
			}
			// A writer refuses to build on the edited record.
			c2, err := Open(context.Background(), path, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer c2.Close()
			err = c2.update(context.Background(), func(tx *bolt.Tx) error {
				r, err := getRecord(tx, 2)
				if err != nil {
					return err
				}
				return putRecord(tx, r)
			})
			if tt.rehash {
				return // a forged hash is caught by the chain, not on write
			}
			if err == nil || !strings.Contains(err.Error(), "edited outside kyso") {
				t.Fatalf("rewriting an edited record: %v", err)
			}
		})
	}
}

func TestChainCoversEveryWrite(t *testing.T) {
	path, c := sampleCatalogue(t)
	// An audit that records outcomes, a renewal-like rewrite: each write is
	// one more chain entry and the chain still holds.
	if _, err := c.Audit(context.Background(), AuditOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := c.VerifyChain(context.Background(), ChainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Entries != 10 || rep.Records != 5 {
		t.Fatalf("after ingest and a first audit: %+v", rep)
	}
	c.Close()
	// Removing a record is caught too.
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketRecords).Delete(idKey(3)) })
	db.Close()
	ro := openRO(t, path)
	defer ro.Close()
	rep, err = ro.VerifyChain(context.Background(), ChainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !strings.Contains(rep.Problems[0].Reason, "record 3 is in the chain") {
		t.Fatalf("after removing record 3: %+v", rep)
	}
}

func TestMigrationAddsHashes(t *testing.T) {
	path, c := sampleCatalogue(t)
	c.Close()
	// Turn the catalogue back into schema 1: no hashes, no chain.
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		var ids []uint64
		b.ForEach(func(k, _ []byte) error { ids = append(ids, idOfKey(k)); return nil })
		for _, id := range ids {
			r, err := getRecord(tx, id)
			if err != nil {
				return err
			}
			r.RecordHash = ""
			data, _ := encodeRecord(r)
			if err := b.Put(idKey(id), data); err != nil {
				return err
			}
		}
		for _, name := range [][]byte{bucketChain, bucketCheckpoints} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketMeta).Put(keySchema, u64(1)); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The upgrade goes two records per transaction; the first one is done
	// and then the process dies, as a crash would leave it.
	defer func(n int) { migrateChunk = n }(migrateChunk)
	migrateChunk = 2
	err = db.Update(func(tx *bolt.Tx) error {
		done, err := migrations[1](tx)
		if done {
			t.Error("5 records done in one chunk of 2")
		}
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions()
	o.ReadOnly = true
	if _, err := Open(context.Background(), path, o); err == nil || !strings.Contains(err.Error(), "needs an upgrade") {
		t.Fatalf("reading a schema 1 catalogue: %v", err)
	}
	c2, err := Open(context.Background(), path, testOptions()) // a writer upgrades it
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
	sum, res := auditAll(t, path, AuditOptions{})
	if sum.Problems() != 0 || sum.Chain.Entries != 5 || len(res) != 5 {
		t.Fatalf("after the upgrade: %+v %+v", sum, sum.Chain)
	}
	for _, r := range listAll(t, openRO(t, path), Query{}) {
		if len(r.RecordHash) != 64 {
			t.Errorf("record %d has no hash after the upgrade", r.ID)
		}
	}
}

// serveTSA starts a test PKI with a real RFC 3161 TSA on 127.0.0.1.
func serveTSA(t *testing.T) (*testpki.PKI, *tsp.Client) {
	p := testpki.Serve(t, testpki.Options{}, func(p *testpki.PKI) http.Handler {
		return &tsp.Server{Signer: p.TSA.Key, Cert: p.TSA.Cert, Chain: p.Chain()}
	})
	return p, &tsp.Client{URLs: []string{p.BaseURL + "/tsa"}}
}

func TestCheckpointRoundTrip(t *testing.T) {
	p, tsa := serveTSA(t)
	roots := &trust.Store{Roots: []*x509.Certificate{p.Root.Cert}}
	path, c := sampleCatalogue(t)
	cp, err := c.Checkpoint(context.Background(), tsa)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Seq != 5 || cp.Records != 5 || !strings.Contains(cp.TSA, "TSA") || cp.Time.IsZero() {
		t.Fatalf("checkpoint: %+v", cp)
	}
	// More records after the checkpoint: it still holds.
	files := writeFiles(t, t.TempDir(), map[string]string{"later.pdf": "later"})
	ingest(t, c, files, IngestOptions{})
	c.Close()
	ro0 := openRO(t, path)
	rep, err := ro0.VerifyChain(context.Background(), ChainOptions{Trust: roots})
	ro0.Close()
	if err != nil || !rep.OK() || len(rep.Checkpoints) != 1 || rep.Entries != 6 {
		t.Fatalf("chain with a checkpoint: %+v %v", rep, err)
	}
	if got := rep.Checkpoints[0]; !got.OK || got.Chain != "trusted" || got.Seq != 5 || !got.Time.Equal(cp.Time) {
		t.Fatalf("checkpoint check: %+v", got)
	}
	ro := openRO(t, path)
	cps, err := ro.Checkpoints(context.Background())
	ro.Close()
	if err != nil || len(cps) != 1 || cps[0].Head != cp.Head {
		t.Fatalf("stored checkpoints: %+v %v", cps, err)
	}

	// A careful forger edits record 2 (last written before the checkpoint),
	// its hash and the whole chain: every record and the chain agree again,
	// but the timestamped head does not.
	editRecord(t, path, 2, func(m map[string]any) { m["dossier_code"] = "H26.01-FORGED" }, true, true)
	sum, res := auditAll(t, path, AuditOptions{Trust: roots})
	if len(sum.Chain.Problems) != 0 {
		t.Fatalf("the forger's chain should hold on its own: %+v", sum.Chain.Problems)
	}
	if res[2].Status != FixityOK || sum.Problems() != 1 {
		t.Fatalf("forged catalogue: %+v %+v", res[2], sum)
	}
	got := sum.Chain.Checkpoints[0]
	if got.OK || !strings.Contains(got.Reason, "no longer hashes to what was timestamped") {
		t.Fatalf("checkpoint after the forgery: %+v", got)
	}
	// And no new checkpoint blesses an edited catalogue.
	editRecord(t, path, 3, func(m map[string]any) { m["name"] = "x.pdf" }, false, false)
	c3, err := Open(context.Background(), path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if _, err := c3.Checkpoint(context.Background(), tsa); err == nil || !strings.Contains(err.Error(), "no checkpoint taken") {
		t.Fatalf("checkpoint of an edited catalogue: %v", err)
	}
}
