package archive

import (
	"context"
	"errors"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
)

// TestIndexToMissingRecordIsDamage: an index entry whose record is gone is
// the damaged-catalogue error for ls, show and report, never a record
// silently left out.
func TestIndexToMissingRecordIsDamage(t *testing.T) {
	path, c := sampleCatalogue(t)
	ctx := context.Background()
	var rec *Record
	if err := c.List(ctx, Query{}, func(r *Record) error {
		if rec == nil && r.Dossier != "" && r.Issued != "" {
			rec = r
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if rec == nil {
		t.Fatal("no sample record with a dossier code and an issue date")
	}
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketRecords).Delete(idKey(rec.ID)) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r := openRO(t, path)
	want := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrDamaged) || fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), "not in the catalogue") {
			t.Errorf("%s: %v; want the damaged-catalogue error naming the missing record", what, err)
		}
	}
	want("ls --dossier", r.List(ctx, Query{Dossier: rec.Dossier}, func(*Record) error { return nil }))
	_, err = r.Find(ctx, rec.Dossier)
	want("show DOSSIER", err)
	_, err = BuildReport(ctx, []*Catalogue{r}, ReportOptions{Year: yearOf(t, rec.Issued)})
	want("report", err)
}

func yearOf(t *testing.T, date string) int {
	t.Helper()
	y := 0
	for _, c := range date[:4] {
		if c < '0' || c > '9' {
			t.Fatalf("issue date %q", date)
		}
		y = y*10 + int(c-'0')
	}
	return y
}
