package archive

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// A record whose history was edited outside kyso (red-team F7): set-meta
// and export refuse it with the damaged-catalogue error naming it, and
// append nothing to its broken chain; the other records are still written.
func TestWritersRefuseEditedHistory(t *testing.T) {
	path, c := sampleCatalogue(t)
	c.Close()
	updateBolt(t, path, func(tx *bolt.Tx) error {
		h := tx.Bucket(bucketHistory)
		k := eventKey(1, 1)
		v := h.Get(k)
		if v == nil {
			t.Fatal("no first event for record 1")
		}
		return h.Put(k, bytes.Replace(bytes.Clone(v), []byte(`"ingested"`), []byte(`"ingestee"`), 1))
	})
	c, err := Open(context.Background(), path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	events := func(id uint64) int {
		n := 0
		c.view(context.Background(), func(tx *bolt.Tx) error { n = len(rawHistory(tx, id)); return nil })
		return n
	}
	before := events(1)
	_, err = c.SetMeta(context.Background(), []MetaChange{{Ref: "1", Meta: Meta{Sector: "Y"}}})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "record 1:") {
		t.Fatalf("set-meta on the edited record: %v", err)
	}
	if n := events(1); n != before {
		t.Fatalf("set-meta appended to a broken chain: %d events, was %d", n, before)
	}
	res, err := c.SetMeta(context.Background(), []MetaChange{{Ref: "2", Meta: Meta{Sector: "Y"}}})
	if err != nil || len(res) != 1 || res[0].Status != SetMetaChanged {
		t.Fatalf("set-meta on a sound record: %+v %v", res, err)
	}
	_, err = c.Export(context.Background(), filepath.Join(t.TempDir(), "bag"), ExportOptions{Jobs: 1})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "record 1:") {
		t.Fatalf("export of the edited record: %v", err)
	}
	if n := events(1); n != before {
		t.Fatalf("export appended to a broken chain: %d events, was %d", n, before)
	}
}

// A record whose stored bytes were edited (its record hash no longer
// matches) is refused the same way.
func TestWritersRefuseEditedRecord(t *testing.T) {
	path, c := sampleCatalogue(t)
	c.Close()
	updateBolt(t, path, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		r, err := decodeRecord(b.Get(idKey(3)))
		if err != nil {
			return err
		}
		r.Sector = "edited outside kyso"
		return b.Put(idKey(3), jsonMarshal(r))
	})
	c, err := Open(context.Background(), path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.SetMeta(context.Background(), []MetaChange{{Ref: "3", Meta: Meta{Sector: "Y"}}})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "record 3:") {
		t.Fatalf("set-meta on the edited record: %v", err)
	}
}
