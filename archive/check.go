package archive

import (
	"context"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/i18n"
)

// ErrCheckFailed is returned by Check when it found problems (exit 1).
var ErrCheckFailed = errors.New("the catalogue check found problems")

// Problem is one thing Check found wrong: the `kyso archive check --json`
// object.
type Problem struct {
	Check string `json:"check"`
	// Record is the record concerned, when there is one.
	Record  uint64 `json:"record,omitempty"`
	Problem string `json:"problem"`
}

// CheckSummary says what Check looked at.
type CheckSummary struct {
	Records  int      `json:"records"`
	Problems int      `json:"problems"`
	Checks   []string `json:"checks"`
	Skipped  []string `json:"skipped,omitempty"`
}

// CheckEnv is what a check works on: the catalogue file, open read-only
// for the whole check (writers wait; readers go on), and a read
// transaction on it.
type CheckEnv struct {
	Path  string
	Store store
	// Objects is the catalogue's content store (Store, or an object store).
	Objects Store
	// File is the catalogue file, for checks of its raw pages.
	File *os.File
	// Tx is a read transaction; nil until the structure checks passed.
	Tx *bolt.Tx
	// Records counts the records seen (set by the records check).
	Records int

	report func(Problem) error
	found  int
}

// Report records a problem.
func (e *CheckEnv) Report(check string, record uint64, format string, a ...any) error {
	e.found++
	return e.report(Problem{Check: check, Record: record, Problem: i18n.Sprintf(format, a...)})
}

// NamedCheck is one check of `kyso archive check`. A Gate check that finds
// problems stops the checks after it: they would read what is broken.
type NamedCheck struct {
	Name string
	// Raw checks run before the bbolt file is read through bbolt (Tx nil).
	Raw  bool
	Gate bool
	Run  func(env *CheckEnv) error
}

// Checks are run in order by Check. Add a check by appending to it.
var Checks = []NamedCheck{
	{Name: "pages", Raw: true, Gate: true, Run: checkPagesRaw},
	{Name: "bbolt", Run: checkBolt},
	{Name: "schema", Gate: true, Run: checkSchemaStep},
	{Name: "records", Run: checkRecords},
	{Name: "indexes", Run: checkIndexes},
	{Name: "history", Run: checkHistories},
	{Name: "contents", Run: checkContents},
	{Name: "chain", Run: checkRecordChain},
}

// Check runs Checks on the catalogue at path, calling report for each
// problem. It returns ErrCheckFailed when there were problems, and a run
// failure (ErrDamaged) when the file cannot be opened as a bbolt file.
func Check(ctx context.Context, path string, opts Options, report func(Problem) error) (CheckSummary, error) {
	var sum CheckSummary
	opts.fill(path)
	if report == nil {
		report = func(Problem) error { return nil }
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return sum, fail.RunWith(i18n.Errorf("%s: %v", path, ErrNoCatalogue), fail.RemedyCatalogue)
		}
		return sum, fail.Run(i18n.Errorf("catalogue %s: %v", path, err), "")
	}
	// Opened without waiting: a named pipe given as --db is refused, not
	// waited on.
	f, err := fileutil.OpenRegular(path)
	if err != nil {
		return sum, fail.Run(i18n.Errorf("catalogue %s: %v", path, fileutil.UnwrapPath(err)), "")
	}
	defer f.Close()
	c := &Catalogue{path: path, store: store{dir: opts.StorePath}, opts: opts}
	env := &CheckEnv{Path: path, Store: c.store, File: f.File, report: report}
	err = c.withDB(ctx, false, func(db *bolt.DB) error {
		// The shared lock is held from here: no commit changes the file
		// under the raw checks.
		rest := Checks
		for len(rest) > 0 && rest[0].Raw {
			ck := rest[0]
			rest = rest[1:]
			before := env.found
			sum.Checks = append(sum.Checks, ck.Name)
			if err := ck.Run(env); err != nil {
				return err
			}
			if ck.Gate && env.found > before {
				for _, s := range rest {
					sum.Skipped = append(sum.Skipped, s.Name)
				}
				return nil
			}
		}
		return db.View(func(tx *bolt.Tx) error {
			env.Tx = tx
			// The contents live where the catalogue says: its folder, or
			// the object store it was created with.
			env.Objects = c.store
			if m := tx.Bucket(bucketMeta); m != nil && m.Get(keyStore) != nil {
				if err := c.loadStoreConfig(m); err != nil {
					return err
				}
				env.Objects = c.objects
			}
			for i, ck := range rest {
				if err := ctx.Err(); err != nil {
					return err
				}
				before := env.found
				sum.Checks = append(sum.Checks, ck.Name)
				err := guard(path, func() error { return ck.Run(env) })
				if errors.Is(err, ErrDamaged) {
					// What bbolt could not read is a finding of this check.
					var de *DamagedError
					errors.As(err, &de)
					if rerr := env.Report(ck.Name, 0, "unreadable: %s", de.Detail); rerr != nil {
						return rerr
					}
				} else if err != nil {
					return err
				}
				if ck.Gate && env.found > before {
					for _, s := range rest[i+1:] {
						sum.Skipped = append(sum.Skipped, s.Name)
					}
					return nil
				}
			}
			return nil
		})
	})
	sum.Records, sum.Problems = env.Records, env.found
	if err != nil {
		return sum, err
	}
	if env.found > 0 {
		return sum, ErrCheckFailed
	}
	return sum, nil
}

// checkBolt is bbolt's own consistency check: every page reachable once or
// free, keys in order.
func checkBolt(env *CheckEnv) error {
	for err := range env.Tx.Check() {
		if rerr := env.Report("bbolt", 0, "%v", err); rerr != nil {
			return rerr
		}
	}
	return nil
}

func checkSchemaStep(env *CheckEnv) error {
	if err := checkIntact(env.Tx); err != nil {
		var de *DamagedError
		if errors.As(err, &de) {
			return env.Report("schema", 0, "%s", de.Detail)
		}
		return err
	}
	if err := checkSchema(env.Tx, env.Path); err != nil {
		return env.Report("schema", 0, "%v", err)
	}
	var u Unit
	if err := jsonUnmarshal(env.Tx.Bucket(bucketMeta).Get(keyUnit), &u); err != nil || u.Code == "" {
		return env.Report("schema", 0, "the catalogue's unit does not decode")
	}
	return nil
}

// checkRecords: every record decodes, under the key of its id, with a
// well-formed content hash.
func checkRecords(env *CheckEnv) error {
	cur := env.Tx.Bucket(bucketRecords).Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		env.Records++
		if len(k) != 8 {
			if err := env.Report("records", 0, "key %x is not a record id", k); err != nil {
				return err
			}
			continue
		}
		id := idOfKey(k)
		if v == nil {
			if err := env.Report("records", id, "a bucket where a record should be"); err != nil {
				return err
			}
			continue
		}
		r, err := decodeRecord(v)
		if err != nil {
			var de *DamagedError
			errors.As(err, &de)
			if err := env.Report("records", id, "%s", de.Detail); err != nil {
				return err
			}
			continue
		}
		if r.ID != id {
			if err := env.Report("records", id, "the record under id %d says it is record %d", id, r.ID); err != nil {
				return err
			}
		}
		for _, c := range r.Contents() {
			if b, err := hex.DecodeString(c.SHA256); err != nil || len(b) != 32 {
				if err := env.Report("records", id, "content hash %q is not a SHA-256", c.SHA256); err != nil {
					return err
				}
			}
		}
		// The verdict decides what a report counts, the fixity whether an
		// audit writes again: a value this version does not know is a
		// problem, not a verdict.
		if !r.Status.Known() {
			if err := env.Report("records", id, "status %q is not a verdict (valid, indeterminate or invalid)", r.Status); err != nil {
				return err
			}
		}
		if r.Fixity != FixityUnaudited && !r.Fixity.Known() {
			if err := env.Report("records", id, "fixity %q is not an audit status (ok, missing, corrupt or invalid)", r.Fixity); err != nil {
				return err
			}
		}
	}
	return nil
}

// forEachRecord calls fn for every record that decodes.
func forEachRecord(tx *bolt.Tx, fn func(id uint64, r *Record) error) error {
	cur := tx.Bucket(bucketRecords).Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(k) != 8 || v == nil {
			continue
		}
		r, err := decodeRecord(v)
		if err != nil {
			continue
		}
		if err := fn(idOfKey(k), r); err != nil {
			return err
		}
	}
	return nil
}

// checkIndexes: every index entry a record should have is there, and
// every entry there points at a record that should have it.
func checkIndexes(env *CheckEnv) error {
	idx := env.Tx.Bucket(bucketIdx)
	want := map[string]map[string]uint64{}
	for _, name := range allIndexes {
		want[string(name)] = map[string]uint64{}
	}
	err := forEachRecord(env.Tx, func(id uint64, r *Record) error {
		for name, keys := range indexKeys(r) {
			for _, k := range keys {
				want[name][string(k)] = id
			}
		}
		for _, c := range r.Contents() {
			if k, err := hex.DecodeString(c.SHA256); err == nil {
				want[string(idxSHA)][string(k)] = id
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, name := range allIndexes {
		b := idx.Bucket(name)
		w := want[string(name)]
		seen := map[string]bool{}
		cur := b.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			seen[string(k)] = true
			id := idOfKey(k)
			if string(name) == string(idxSHA) {
				if len(v) != 8 {
					if err := env.Report("indexes", 0, "index %s: entry %x has no record id", name, k); err != nil {
						return err
					}
					continue
				}
				id = idOfKey(v)
			}
			wantID, ok := w[string(k)]
			switch {
			case env.Tx.Bucket(bucketRecords).Get(idKey(id)) == nil:
				err = env.Report("indexes", id, "index %s: entry %s points at record %d, which does not exist", name, printable(k), id)
			case !ok || wantID != id:
				err = env.Report("indexes", id, "index %s: entry %s does not match record %d", name, printable(k), id)
			}
			if err != nil {
				return err
			}
		}
		for k, id := range w {
			if !seen[k] {
				if err := env.Report("indexes", id, "index %s lacks the entry %s of record %d", name, printable([]byte(k)), id); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// printable shows an index key quoted, once: its text as it is (a
// Vietnamese name stays readable), a zero byte or any other non-printable
// byte escaped, as \x00.
func printable(k []byte) string {
	return strconv.Quote(string(k))
}

// checkHistories: every record's history chain is unbroken and ends at
// the record's head.
func checkHistories(env *CheckEnv) error {
	return forEachRecord(env.Tx, func(id uint64, r *Record) error {
		if err := checkChain(rawHistory(env.Tx, id), r.HistoryHead); err != nil {
			return env.Report("history", id, "%v", err)
		}
		return nil
	})
}

// checkContents: every content of every record is in the store, a regular
// file of the recorded size (kyso archive audit re-hashes them).
func checkContents(env *CheckEnv) error {
	return forEachRecord(env.Tx, func(id uint64, r *Record) error {
		for _, c := range r.Contents() {
			if !reSHA256.MatchString(c.SHA256) {
				continue // the records check said so
			}
			if _, folder := env.Objects.(store); env.Objects != nil && !folder {
				info, err := env.Objects.Stat(context.Background(), c.SHA256)
				switch {
				case errors.Is(err, ErrObjectMissing):
					err = env.Report("contents", id, "object %s is missing", env.Objects.ObjectName(c.SHA256))
				case err != nil:
					return fail.Run(i18n.Errorf("content store: %v", err), "check the object store's endpoint, credentials and network")
				case info.Size != c.Size:
					err = env.Report("contents", id, "object %s is %d bytes, the record says %d", env.Objects.ObjectName(c.SHA256), info.Size, c.Size)
				}
				if err != nil {
					return err
				}
				continue
			}
			p := env.Store.path(c.SHA256)
			st, err := os.Stat(p)
			switch {
			case err != nil:
				err = env.Report("contents", id, "stored file %s: %v", p, unwrapPath(err))
			case !st.Mode().IsRegular():
				err = env.Report("contents", id, "stored file %s is not a regular file", p)
			case st.Size() != c.Size:
				err = env.Report("contents", id, "stored file %s is %d bytes, the record says %d", p, st.Size(), c.Size)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// checkRecordChain: every record's hash, the catalogue's chain over all
// record writes and the stored checkpoints are as they were written (the
// same verification as `kyso archive audit`; see docs/catalogue.md).
func checkRecordChain(env *CheckEnv) error {
	var u Unit
	_ = jsonUnmarshal(env.Tx.Bucket(bucketMeta).Get(keyUnit), &u)
	rep, err := verifyChainTx(context.Background(), env.Tx, u.Code, ChainOptions{})
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		if err := env.Report("chain", p.ID, "%s", p.Reason); err != nil {
			return err
		}
	}
	for _, cp := range rep.Checkpoints {
		if !cp.OK {
			if err := env.Report("chain", 0, "checkpoint %d of %s: %s", cp.Seq, cp.Time.Format(time.RFC3339), cp.Reason); err != nil {
				return err
			}
		}
	}
	return nil
}
