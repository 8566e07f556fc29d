package archive

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/trust"
)

// emptyCheckpoints deletes every stored checkpoint, as someone with write
// access to the bbolt file would after rewriting the chain.
func emptyCheckpoints(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketCheckpoints); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketCheckpoints)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestExternalCheckpoint: a checkpoint kept off the machine still proves
// the catalogue's state when the catalogue's own checkpoints were deleted
// with a forged, recomputed chain; a catalogue cut shorter than the
// checkpoint fails too (issue 12). The TSA is a real one, in process.
func TestExternalCheckpoint(t *testing.T) {
	p, tsa := serveTSA(t)
	roots := &trust.Store{Roots: []*x509.Certificate{p.Root.Cert}}
	// fresh makes a catalogue of 5 records with one checkpoint, and the
	// checkpoint's external file.
	fresh := func() (string, ExternalCheckpoint, string) {
		path, c := sampleCatalogue(t)
		defer c.Close()
		cp, err := c.Checkpoint(context.Background(), tsa)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "checkpoint-1.json")
		if err := WriteExternalCheckpoint(out, cp.External(c.Unit().Code)); err != nil {
			t.Fatal(err)
		}
		if err := WriteExternalCheckpoint(out, cp.External(c.Unit().Code)); err == nil {
			t.Fatalf("an existing checkpoint file was overwritten")
		}
		ext, err := ReadExternalCheckpoint(out)
		if err != nil {
			t.Fatal(err)
		}
		if ext.Seq != 5 || ext.Head != cp.Head || ext.Unit != testUnit.Code || !strings.Contains(ext.Statement, "entries: 5\nhead: "+cp.Head) {
			t.Fatalf("external checkpoint %+v", ext)
		}
		return path, ext, out
	}
	opts := func(name string, e ExternalCheckpoint) AuditOptions {
		return AuditOptions{Trust: roots, Checkpoints: map[string]ExternalCheckpoint{name: e}}
	}

	// Untouched: the stored and the external checkpoint hold.
	path, ext, out := fresh()
	sum, _ := auditAll(t, path, opts(out, ext))
	if sum.Problems() != 0 || len(sum.Chain.Checkpoints) != 2 || sum.Chain.Checkpoints[1].Source != out || !sum.Chain.Checkpoints[1].OK {
		t.Fatalf("untouched: %+v", sum.Chain)
	}
	// The checkpoints deleted, nothing else: the chain holds the position,
	// but the catalogue lost its checkpoint.
	emptyCheckpoints(t, path)
	sum, _ = auditAll(t, path, opts(out, ext))
	if got := sum.Chain.Checkpoints; sum.Problems() != 1 || len(got) != 1 || got[0].OK || !strings.Contains(got[0].Reason, "no longer stores this checkpoint") {
		t.Fatalf("checkpoints removed: %+v", sum.Chain)
	}

	// A record written before the checkpoint forged, its hash and the
	// chain recomputed, the checkpoints deleted: without the external file
	// the catalogue looks intact (the hole this closes); with it, the
	// audit fails.
	path, ext, out = fresh()
	editRecord(t, path, 2, func(m map[string]any) { m["dossier_code"] = "H26.01-FORGED" }, true, true)
	emptyCheckpoints(t, path)
	if sum, _ := auditAll(t, path, AuditOptions{Trust: roots}); sum.Problems() != 0 || len(sum.Chain.Checkpoints) != 0 {
		t.Fatalf("without --checkpoint: %+v", sum.Chain)
	}
	sum, _ = auditAll(t, path, opts(out, ext))
	if got := sum.Chain.Checkpoints; len(sum.Chain.Problems) != 0 || sum.Problems() != 1 || len(got) != 1 || got[0].OK || !strings.Contains(got[0].Reason, "no longer hashes to what was timestamped") {
		t.Fatalf("forged: %+v", sum.Chain)
	}

	// A catalogue shorter than the checkpoint: the chain's last entry cut.
	path, ext, out = fresh()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketChain).Delete(u64(5)) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	emptyCheckpoints(t, path)
	sum, _ = auditAll(t, path, opts(out, ext))
	if got := sum.Chain.Checkpoints; len(got) != 1 || got[0].OK || !strings.Contains(got[0].Reason, "entries were removed") {
		t.Fatalf("shorter: %+v", sum.Chain)
	}

	// Another unit's checkpoint, or a file that is not one, is named.
	other := ext
	other.Unit = "000.00.00.X99"
	sum, _ = auditAll(t, path, opts("other.json", other))
	if got := sum.Chain.Checkpoints; len(got) != 1 || got[0].OK || !strings.Contains(got[0].Reason, "of unit 000.00.00.X99") {
		t.Fatalf("other unit: %+v", sum.Chain)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"seq":1}`), 0o644)
	if _, err := ReadExternalCheckpoint(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("bad file: %v", err)
	}
}
