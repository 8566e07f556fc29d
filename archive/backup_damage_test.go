package archive

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
)

// TestBackupRefusesDamagedRecords: damage inside a record leaves bbolt's
// pages whole, so the page check passes; the backup still refuses the copy
// (the damaged-catalogue run failure) and keeps the good backup it would
// have replaced.
func TestBackupRefusesDamagedRecords(t *testing.T) {
	path, c := sampleCatalogue(t)
	c.Close()
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "backup.db")
	if _, err := openRO(t, path).Backup(ctx, out); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRecords).Put(idKey(3), []byte("z\x00not a record"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if p := structureProblem(path); p != "" {
		t.Fatalf("the page check sees the damage (%s): this test needs damage it cannot see", p)
	}
	_, err = openRO(t, path).Backup(ctx, out)
	if !errors.Is(err, ErrDamaged) || fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), DamagedAdvice) || !strings.Contains(err.Error(), "record 3") {
		t.Errorf("backup of a catalogue with a record that does not decode: %v", err)
	}
	if now, err := os.ReadFile(out); err != nil || !bytes.Equal(now, good) {
		t.Errorf("the good backup was replaced (%v)", err)
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "*"))
	if len(matches) != 1 {
		t.Errorf("files left next to the backup: %v", matches)
	}
}
