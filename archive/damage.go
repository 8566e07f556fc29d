package archive

import (
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"os"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/kyso-project/kyso/internal/fail"
)

// ErrDamaged is the error (errors.Is) of every operation on a catalogue
// whose file is damaged: bbolt's pages do not hold together, or a record,
// index entry or the catalogue's own description does not decode. It is a
// run failure (exit 5).
var ErrDamaged = errors.New("the catalogue is damaged")

// DamagedAdvice is what every damaged-catalogue error says.
const DamagedAdvice = "the catalogue is damaged: restore from backup (kyso archive backup) or run `kyso archive check`"

// DamagedError says which catalogue is damaged and what was found.
type DamagedError struct {
	// Path is the catalogue file.
	Path string
	// Detail is what gave the damage away, for whoever investigates.
	Detail string
}

func (e *DamagedError) Error() string {
	s := DamagedAdvice
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// damagef is the error of a decode failure inside a transaction; the
// transaction boundary fills in the path.
// Localize says the error in p's language (i18n.Localizer).
func (e *DamagedError) Localize(p *i18n.Printer) string {
	s := p.T(DamagedAdvice)
	if e.Path != "" {
		s = p.T("%s: %s", e.Path, s)
	}
	if e.Detail != "" {
		s = p.T("%s (%s)", s, p.Translate(e.Detail))
	}
	return s
}

func damagef(format string, a ...any) error {
	return &DamagedError{Detail: i18n.Sprintf(format, a...)}
}

// maxPlausibleSchema bounds the schema numbers kyso may ever write (they
// grow by one per format change): a larger one is a damaged value, not a
// catalogue from the future.
const maxPlausibleSchema = 100

// asDamage turns what a transaction on the catalogue at path returned into
// the one damaged-catalogue error when it is damage: bbolt's own errors
// for pages that do not check out, and decode failures. Anything else is
// returned as it is.
func asDamage(path string, err error) error {
	if err == nil {
		return nil
	}
	var de *DamagedError
	switch {
	case errors.As(err, &de):
		d := *de
		if d.Path == "" {
			d.Path = path
		}
		return damagedErr(&d)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrIncompatibleValue),
		errors.Is(err, berrors.ErrInvalidMapping):
		return damagedErr(&DamagedError{Path: path, Detail: "bbolt: " + err.Error()})
	}
	return err
}

func damagedErr(d *DamagedError) error {
	return fail.RunWith(d, fail.RemedyCheckDamaged, d.Path)
}

// guard runs f, turning a panic into the damaged-catalogue error. bbolt
// trusts its pages: a damaged one makes it panic, or read outside its
// memory map, which SetPanicOnFault turns into a panic of this goroutine
// instead of a crash of the process.
func guard(path string, f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if de, ok := p.(*DamagedError); ok {
			// Raised by a helper without an error return (mustBeID).
			d := *de
			if d.Path == "" {
				d.Path = path
			}
			err = damagedErr(&d)
			return
		}
		err = damagedErr(&DamagedError{Path: path, Detail: fmt.Sprintf("bbolt: %v", p)})
	}()
	return f()
}

// closeAfterPanic closes a database whose transaction panicked. bbolt
// rolled the transaction back, but a panic in the middle of a commit may
// leave one of its locks held; the close is then given up after a while
// (the process is about to report the damage and end).
func closeAfterPanic(db *bolt.DB) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		guard("", db.Close)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// checkIntact refuses, as damaged, a file that holds kyso's buckets but no
// readable schema version, a version no kyso wrote, or a schema whose
// buckets are not all there. A file without any of kyso's buckets is left
// to the schema check (not a catalogue, or a new one).
func checkIntact(tx *bolt.Tx) error {
	v := readSchema(tx)
	switch {
	case v == 0:
		if m := tx.Bucket(bucketMeta); m != nil && m.Get(keySchema) != nil {
			return damagef("the schema version is unreadable")
		}
		for _, name := range [][]byte{bucketMeta, bucketRecords, bucketHistory, bucketIdx, bucketTotals, bucketRuns} {
			if tx.Bucket(name) != nil {
				return damagef("bucket %q is there but the schema version is missing", name)
			}
		}
		// No bucket of kyso's: a new file, another program's, or a root
		// page so damaged that bbolt finds none. The file's structure tells.
		if p := structureProblem(tx.DB().Path()); p != "" {
			return damagef("%s", p)
		}
		return nil
	case v > maxPlausibleSchema:
		return damagef("schema version %d is no version kyso wrote", v)
	case v != schemaVersion:
		return nil
	}
	for _, name := range [][]byte{bucketMeta, bucketRecords, bucketHistory, bucketIdx, bucketTotals, bucketRuns, bucketChain, bucketCheckpoints} {
		if tx.Bucket(name) == nil {
			return damagef("bucket %q is missing", name)
		}
	}
	idx := tx.Bucket(bucketIdx)
	for _, name := range allIndexes {
		if idx.Bucket(name) == nil {
			return damagef("index %q is missing", name)
		}
	}
	return nil
}

// structureProblem runs the raw page check on the file at path and
// returns its first finding ("" when the structure holds).
func structureProblem(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	first := ""
	env := &CheckEnv{Path: path, File: f, report: func(p Problem) error {
		if first == "" {
			first = p.Problem
		}
		return nil
	}}
	checkPagesRaw(env)
	return first
}

// mustBeID returns the record id stored as an index value, raising the
// damage (caught by guard at the transaction's boundary) when the value is
// not one: for lookups whose callers have no error to return.
func mustBeID(index string, v []byte) uint64 {
	if len(v) != 8 {
		panic(damagef("index %s: an entry holds %d bytes where a record id belongs", index, len(v)))
	}
	return idOfKey(v)
}
