package archive

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
)

// damageOp is one archive operation run on a catalogue file and its store.
type damageOp struct {
	name string
	// writes says the operation may change the store: it gets a copy.
	writes bool
	// costly operations commit and fsync: they run on fewer offsets.
	costly bool
	run    func(ctx context.Context, db, store string) error
}

// damageOps are the operations of every archive command, as the command
// runs them.
func damageOps(t *testing.T, bag, newFile string) []damageOp {
	open := func(db, store string, readOnly bool) (*Catalogue, error) {
		o := testOptions()
		o.StorePath, o.ReadOnly = store, readOnly
		return Open(context.Background(), db, o)
	}
	with := func(readOnly bool, f func(ctx context.Context, c *Catalogue) error) func(ctx context.Context, db, store string) error {
		return func(ctx context.Context, db, store string) error {
			c, err := open(db, store, readOnly)
			if err != nil {
				return err
			}
			defer c.Close()
			return f(ctx, c)
		}
	}
	return []damageOp{
		{"init on existing", true, true, func(ctx context.Context, db, store string) error {
			o := testOptions()
			o.StorePath = store
			c, err := Create(ctx, db, testUnit, o)
			if err == nil {
				c.Close()
			}
			return err
		}},
		{"ingest", true, true, with(false, func(ctx context.Context, c *Catalogue) error {
			_, err := c.Ingest(ctx, []string{newFile}, IngestOptions{}, nil)
			return err
		})},
		{"ls", false, false, with(true, func(ctx context.Context, c *Catalogue) error {
			return c.List(ctx, Query{}, func(*Record) error { return nil })
		})},
		{"ls by unit", false, false, with(true, func(ctx context.Context, c *Catalogue) error {
			return c.List(ctx, Query{Unit: testUnit.Code, From: "2025-01-01"}, func(*Record) error { return nil })
		})},
		{"show", false, false, with(true, func(ctx context.Context, c *Catalogue) error {
			for _, ref := range []string{"1", "H26.01-250306-0002"} {
				_, err := c.Find(ctx, ref)
				if err != nil && !strings.Contains(err.Error(), "no record is") {
					return err
				}
			}
			return nil
		})},
		{"audit", false, true, with(true, func(ctx context.Context, c *Catalogue) error {
			_, err := c.Audit(ctx, AuditOptions{Jobs: 1}, nil)
			return err
		})},
		{"backup", false, true, with(true, func(ctx context.Context, c *Catalogue) error {
			_, err := c.Backup(ctx, filepath.Join(filepath.Dir(c.Path()), "backup.db"))
			return err
		})},
		{"export", false, true, with(true, func(ctx context.Context, c *Catalogue) error {
			_, err := c.Export(ctx, filepath.Join(filepath.Dir(c.Path()), "bag"), ExportOptions{Jobs: 1})
			return err
		})},
		{"import", true, true, with(false, func(ctx context.Context, c *Catalogue) error {
			_, err := c.Import(ctx, bag, ImportOptions{}, nil)
			return err
		})},
		{"totals", true, true, with(false, func(ctx context.Context, c *Catalogue) error {
			_, err := c.ImportTotals(ctx, []Total{{Unit: "000.00.09.H26", UnitName: "UBND xã Mới", Level: "commune", Year: 2025, Issued: 7}})
			return err
		})},
		{"report", false, false, with(true, func(ctx context.Context, c *Catalogue) error {
			_, err := BuildReport(ctx, []*Catalogue{c}, ReportOptions{Year: 2025})
			return err
		})},
		{"set-meta", true, true, with(false, func(ctx context.Context, c *Catalogue) error {
			_, err := c.SetMeta(ctx, []MetaChange{{Ref: "1", Meta: Meta{Sector: "Tư pháp"}}})
			if err != nil && strings.Contains(err.Error(), "no record is") {
				return nil // the flip hit record 1's key: nothing to change
			}
			return err
		})},
		{"report by procedure", false, false, with(true, func(ctx context.Context, c *Catalogue) error {
			_, err := BuildReport(ctx, []*Catalogue{c}, ReportOptions{Year: 2025, Details: true})
			return err
		})},
		{"renew", true, true, with(false, func(ctx context.Context, c *Catalogue) error {
			_, err := c.Renew(ctx, RenewOptions{Before: 200 * 365 * 24 * time.Hour, Extend: func(ctx context.Context, in, out string) ([]string, error) {
				b, err := os.ReadFile(in)
				if err != nil {
					return nil, err
				}
				return nil, os.WriteFile(out, append(b, "\n% renewed\n"...), 0o644)
			}}, nil)
			return err
		})},
		{"check", false, false, func(ctx context.Context, db, store string) error {
			o := testOptions()
			o.StorePath = store
			_, err := Check(ctx, db, o, nil)
			return err
		}},
	}
}

// copyTree copies the store (a few small files) so that each run gets its
// own: a write may settle or add files.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// damageFixture is a catalogue with records, history, index entries,
// totals and logged runs, closed, and a bag exported from another one.
func damageFixture(t *testing.T) (db, store, bag, newFile string) {
	db, c := sampleCatalogue(t)
	ctx := context.Background()
	if _, err := c.ImportTotals(ctx, []Total{{Unit: testUnit.Code, UnitName: testUnit.Name, Level: "commune", Year: 2025, Issued: 40}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Audit(ctx, AuditOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
	_, other := newCatalogue(t)
	files := writeFiles(t, filepath.Join(t.TempDir(), "other"), map[string]string{"o1.pdf": "other one", "o2.pdf": "other two"})
	ingest(t, other, files, IngestOptions{})
	bag = filepath.Join(t.TempDir(), "bag")
	if _, err := other.Export(ctx, bag, ExportOptions{Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	newFile = writeFiles(t, t.TempDir(), map[string]string{"new.pdf": "a new one"})[0]
	return db, db + ".store", bag, newFile
}

// TestDamagedCatalogue flips bytes all over a catalogue file, a page at a
// time, and runs every archive operation on each damaged copy: none may
// panic (a panic fails the test binary), and each either works (the flip hit
// free space or a value it does not read) or fails with ErrDamaged, a run
// failure. Nothing else: a damaged catalogue must never look like a usage
// error or a bad input.
func TestDamagedCatalogue(t *testing.T) {
	db, store, bag, newFile := damageFixture(t)
	orig, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := os.Getpagesize()
	ops := damageOps(t, bag, newFile)
	// Every byte of each page's header and first element, then a spread
	// over the rest of the page; the operations that commit and fsync on
	// every costlyEvery-th offset (each is still hit by damage). Fewer
	// with -short.
	head, spread, costlyEvery := 24, 6, 12
	if testing.Short() {
		head, spread, costlyEvery = 12, 3, 16
	}
	defer func(g time.Duration) { commitGap = g }(commitGap)
	commitGap = 0
	var offsets []int
	for p := 0; p*pageSize < len(orig); p++ {
		base := p * pageSize
		for i := 0; i < head; i++ {
			offsets = append(offsets, base+i)
		}
		for i := 0; i < spread; i++ {
			offsets = append(offsets, base+head+(pageSize-head)*i/spread+i%7)
		}
	}
	t.Logf("catalogue of %d bytes (%d pages); %d offsets x %d operations", len(orig), len(orig)/pageSize, len(offsets), len(ops))
	damaged := map[string]int{}
	work := t.TempDir()
	ctx := context.Background()
	for n, off := range offsets {
		if off >= len(orig) {
			continue
		}
		flipped := append([]byte(nil), orig...)
		flipped[off] ^= 0xff
		for _, op := range ops {
			if op.costly && n%costlyEvery != 0 {
				continue
			}
			dir := filepath.Join(work, fmt.Sprintf("%d-%s", n, strings.ReplaceAll(op.name, " ", "-")))
			os.MkdirAll(dir, 0o755)
			path := filepath.Join(dir, "kyso.db")
			if err := os.WriteFile(path, flipped, 0o644); err != nil {
				t.Fatal(err)
			}
			st := store
			if op.writes {
				st = filepath.Join(dir, "store")
				copyTree(t, store, st)
			}
			start := time.Now()
			err := op.run(ctx, path, st)
			if d := time.Since(start); d > time.Second {
				t.Logf("offset %d, %s: %s", off, op.name, d)
			}
			switch {
			case err == nil:
			case errors.Is(err, ErrDamaged):
				damaged[op.name]++
				if fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), DamagedAdvice) {
					t.Errorf("offset %d, %s: %v (kind %v): want the damaged-catalogue run failure", off, op.name, err, fail.KindOf(err))
				}
			case op.name == "check" && errors.Is(err, ErrCheckFailed):
				damaged[op.name]++
			default:
				t.Errorf("offset %d (page %d, +%d), %s: %v; want success or ErrDamaged", off, off/pageSize, off%pageSize, op.name, err)
			}
			os.RemoveAll(dir)
		}
	}
	t.Logf("damage found per operation: %v", damaged)
	for _, op := range ops {
		if damaged[op.name] == 0 {
			t.Errorf("%s never reported damage: the flips are not reaching it", op.name)
		}
	}
}

// TestDecodeFailuresAreDamage: a record or an index entry that does not
// decode is the damaged-catalogue error, naming what gave it away.
func TestDecodeFailuresAreDamage(t *testing.T) {
	path, c := sampleCatalogue(t)
	ctx := context.Background()
	var rec *Record
	if err := c.List(ctx, Query{}, func(r *Record) error {
		if rec == nil {
			rec = r
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	poke := func(fn func(tx *bolt.Tx) error) {
		t.Helper()
		db, err := bolt.Open(path, 0o644, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
	sum, _ := hex.DecodeString(rec.SHA256)
	poke(func(tx *bolt.Tx) error { return tx.Bucket(bucketIdx).Bucket(idxSHA).Put(sum, []byte{1, 2, 3}) })
	r := openRO(t, path)
	if _, err := r.Find(ctx, rec.SHA256); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "index sha256") {
		t.Errorf("Find by a damaged sha256 entry: %v", err)
	}
	poke(func(tx *bolt.Tx) error { return tx.Bucket(bucketRecords).Put(idKey(rec.ID), []byte("z\x00garbage")) })
	err := r.List(ctx, Query{}, func(*Record) error { return nil })
	if !errors.Is(err, ErrDamaged) || fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), "a record does not decode") ||
		!strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), DamagedAdvice) {
		t.Errorf("List over a record that does not decode: %v", err)
	}
	// the report counts from its own index, but never over a damaged record
	if rec.Issued == "" {
		t.Fatal("the sample record has no issue date: the report would not count it")
	}
	year, _ := strconv.Atoi(rec.Issued[:4])
	for _, details := range []bool{false, true} {
		_, err := BuildReport(ctx, []*Catalogue{r}, ReportOptions{Year: year, Details: details})
		if !errors.Is(err, ErrDamaged) || fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), "a record does not decode") {
			t.Errorf("report (details %v) over a record that does not decode: %v", details, err)
		}
	}
	if _, err := r.Find(ctx, fmt.Sprint(rec.ID)); !errors.Is(err, ErrDamaged) {
		t.Errorf("show of a record that does not decode: %v", err)
	}
	sumCheck, err := Check(ctx, path, testOptions(), nil)
	if !errors.Is(err, ErrCheckFailed) || sumCheck.Problems < 2 {
		t.Errorf("Check: %+v %v; want the record and the index entry reported", sumCheck, err)
	}
}
