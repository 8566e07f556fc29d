// Package archive keeps a unit's signed results for the long term: a bbolt
// catalogue (what each document is, who signed it, the verdict and its
// history) beside a content-addressed store of the files, with fixity audits,
// backups, BagIt export and import, and the yearly digitization report.
//
// Writers take the lock file <db>.lock for their whole run but open the bbolt
// file only for short commits, so readers (ls, show, report, audit) answer
// while a long ingest runs. Every file is in the store before the record that
// points at it is committed; see store.go and schema.go.
package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/verify"
)

// VerifyFunc returns the verdict on the file at path. Ingest and audit
// --reverify call it from several goroutines at once.
type VerifyFunc func(ctx context.Context, path string) (*verify.Report, error)

// Options say how a catalogue is opened.
type Options struct {
	// ReadOnly opens for reading: no writer lock is taken and bbolt's shared
	// lock is held only while a query runs.
	ReadOnly bool
	// LockTimeout is how long to wait for another writer (default 10s).
	LockTimeout time.Duration
	// StorePath is the content store (default: the catalogue path + ".store").
	StorePath string
	// Verify gives the verdict on a file (ingest, audit with Reverify).
	Verify VerifyFunc
	// Command is written into the lock file so that a waiting process can
	// name what holds it (default: this process's arguments).
	Command string
	// Actor is recorded in history events (default user@host).
	Actor string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// S3 says how to reach the object store of a catalogue whose store is
	// s3://bucket/prefix (StorePath at Create, kept in the catalogue).
	S3 S3Access
	// ObjectLock is the retention asked for at Create on an object store.
	ObjectLock ObjectLock
	// UploadJobs bounds parallel uploads to an object store (default 4).
	UploadJobs int
}

// Unit is the unit that owns a catalogue; records without unit metadata
// belong to it.
type Unit struct {
	Code  string `json:"unit_code"`
	Name  string `json:"unit_name"`
	Level string `json:"level"`
}

// Catalogue is an open catalogue and its content store.
type Catalogue struct {
	path string
	// store is the local folder: the content store itself, or only the
	// staging folder (<db>.staging) of an object store.
	store store
	// objects is where contents live: store, or an object store.
	objects Store
	opts    Options
	unit    Unit
	lock    *writerLock
	// dbMu keeps this process's own bbolt opens apart: bbolt's file lock
	// would otherwise make them wait for each other until the timeout.
	dbMu sync.Mutex
	// lastClose spaces a writer's commits so readers polling for bbolt's lock
	// get their turn.
	lastClose time.Time
}

const (
	defaultLockTimeout = 10 * time.Second
	// minWriterWait is how long a writer waits for readers that hold bbolt's
	// shared lock (a long ls): they finish on their own.
	minWriterWait = time.Minute
)

// commitGap is the pause between two commits of one writer; bbolt polls
// its lock every 50ms. (A variable so that tests that commit thousands of
// times can do without it.)
var commitGap = 60 * time.Millisecond

// ErrExists is returned by Create for a catalogue of another unit.
var ErrExists = errors.New("catalogue already exists")

// ErrNoCatalogue is returned by Open when there is no catalogue at the path.
var ErrNoCatalogue = i18n.Errorf("no catalogue")

func (o *Options) fill(path string) {
	if o.LockTimeout <= 0 {
		o.LockTimeout = defaultLockTimeout
	}
	if o.StorePath == "" {
		o.StorePath = path + ".store"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Actor == "" {
		o.Actor = defaultActor()
	}
}

func defaultActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return name + "@" + host
}

// Create makes an empty catalogue for unit at path, with its content store.
// Creating one that exists for the same unit is not an error (so scripts may
// run init every time); for another unit it is ErrExists.
func Create(ctx context.Context, path string, unit Unit, opts Options) (*Catalogue, error) {
	if unit.Code == "" {
		return nil, fail.Usagef("a catalogue needs the unit's code")
	}
	if err := validateMeta(&Meta{Unit: unit.Code, UnitName: unit.Name, Level: unit.Level}); err != nil {
		return nil, fail.Usage(err, "")
	}
	opts.ReadOnly = false
	opts.fill(path)
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fail.Run(i18n.Errorf("catalogue %s: %v", path, err), "")
		}
	}
	remote, isRemote, err := ParseStoreURL(opts.StorePath)
	if err != nil {
		return nil, fail.UsageWith(err, fail.RemedyStoreURL)
	}
	c := &Catalogue{path: path, store: store{dir: opts.StorePath}, opts: opts}
	c.objects = c.store
	var s3 *s3Store
	if isRemote {
		if s3, err = c.useS3(remote); err != nil {
			return nil, err
		}
		if err := s3.prepare(ctx, opts.ObjectLock); err != nil {
			return nil, err
		}
		remote = s3.cfg
	} else if opts.ObjectLock.Mode != "" {
		return nil, fail.UsageWith(i18n.Errorf("object lock applies to an object store, not to a folder"), fail.RemedyObjectLockStore)
	}
	lock, err := acquireWriterLock(ctx, path+".lock", opts.LockTimeout, opts.Command)
	if err != nil {
		return nil, err
	}
	c.lock = lock
	err = c.withDB(ctx, true, func(db *bolt.DB) error {
		if err := db.View(checkIntact); err != nil {
			return err
		}
		if err := migrate(db, path, true); err != nil {
			return err
		}
		return db.Update(func(tx *bolt.Tx) error {
			m := tx.Bucket(bucketMeta)
			if old := m.Get(keyUnit); old != nil {
				var have Unit
				if err := jsonUnmarshal(old, &have); err != nil {
					return damagef("the catalogue's unit does not decode: %v", err)
				}
				if have.Code != unit.Code {
					return fail.UsageWith(i18n.Errorf("%s: %v for unit %s (%s)", path, ErrExists, have.Code, have.Name),
						fail.RemedyOtherCatalogue)
				}
			}
			if err := checkStoreConfig(m, path, remote, isRemote); err != nil {
				return err
			}
			if isRemote && m.Get(keyStore) == nil {
				if err := m.Put(keyStore, jsonMarshal(remote)); err != nil {
					return err
				}
			}
			return m.Put(keyUnit, jsonMarshal(unit))
		})
	})
	if err == nil {
		err = c.openStore()
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.unit = unit
	return c, nil
}

// Open opens an existing catalogue. A writer takes the lock file (waiting up
// to LockTimeout), upgrades an older schema and settles what an interrupted
// writer left in the store.
func Open(ctx context.Context, path string, opts Options) (*Catalogue, error) {
	opts.fill(path)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fail.RunWith(i18n.Errorf("%s: %v", path, ErrNoCatalogue), fail.RemedyInitCatalogue, path)
		}
		return nil, fail.Run(i18n.Errorf("catalogue %s: %v", path, err), "")
	}
	c := &Catalogue{path: path, store: store{dir: opts.StorePath}, opts: opts}
	c.objects = c.store
	if !opts.ReadOnly {
		lock, err := acquireWriterLock(ctx, path+".lock", opts.LockTimeout, opts.Command)
		if err != nil {
			return nil, err
		}
		c.lock = lock
		if err := c.withDB(ctx, true, func(db *bolt.DB) error {
			if err := db.View(checkIntact); err != nil {
				return err
			}
			return migrate(db, path, false)
		}); err != nil {
			c.Close()
			return nil, classifyOpen(err, path)
		}
	}
	err := c.view(ctx, func(tx *bolt.Tx) error {
		if err := checkIntact(tx); err != nil {
			return err
		}
		if err := checkSchema(tx, path); err != nil {
			return err
		}
		if err := jsonUnmarshal(tx.Bucket(bucketMeta).Get(keyUnit), &c.unit); err != nil {
			return damagef("the catalogue's unit does not decode: %v", err)
		}
		return c.loadStoreConfig(tx.Bucket(bucketMeta))
	})
	if err == nil && !opts.ReadOnly {
		err = c.openStore()
	}
	if err != nil {
		c.Close()
		return nil, classifyOpen(err, path)
	}
	return c, nil
}

func classifyOpen(err error, path string) error {
	switch {
	case fail.KindOf(err) != fail.KindNone:
		return err
	case errors.Is(err, ErrNewerSchema):
		return fail.Run(err, "this catalogue was written by a newer kyso: upgrade kyso to read it")
	case errors.Is(err, ErrOldSchema):
		return fail.Run(err, "run a command that writes to it once (kyso archive ingest, import, renew or checkpoint) to upgrade it")
	}
	return fail.Run(i18n.Errorf("catalogue %s: %v", path, err), "")
}

// openStore prepares the store and settles an interrupted writer's files.
func (c *Catalogue) openStore() error {
	if err := os.MkdirAll(c.store.tmpDir(), 0o755); err != nil {
		return fail.Run(i18n.Errorf("content store %s: %v", c.store.dir, err), "")
	}
	var upload func(pending, sum string) error
	if !c.isFolder() {
		upload = func(pending, sum string) error { return c.putFile(context.Background(), pending, sum) }
	}
	_, _, err := c.store.recover(func(sums []string) (map[string]bool, error) {
		known := map[string]bool{}
		err := c.view(context.Background(), func(tx *bolt.Tx) error {
			for _, s := range sums {
				if lookupSHA(tx, s) != 0 {
					known[s] = true
				}
			}
			return nil
		})
		return known, err
	}, upload)
	if err != nil {
		return fail.Run(i18n.Errorf("content store %s: recovering after an interrupted run: %v", c.store.dir, err), "")
	}
	return nil
}

// Close releases the writer lock.
func (c *Catalogue) Close() error {
	err := c.lock.release()
	c.lock = nil
	return err
}

// Path returns the catalogue file; StorePath the content store (a folder
// or s3://bucket/prefix).
func (c *Catalogue) Path() string      { return c.path }
func (c *Catalogue) StorePath() string { return c.objects.Location() }

// Unit returns the unit that owns the catalogue.
func (c *Catalogue) Unit() Unit { return c.unit }

// FilePath returns where the content sum is stored (a path, or an s3://
// object name).
func (c *Catalogue) FilePath(sum string) string { return c.objects.ObjectName(sum) }

// withDB opens the bbolt file for the time of fn.
func (c *Catalogue) withDB(ctx context.Context, write bool, fn func(db *bolt.DB) error) error {
	if write && c.lock == nil {
		return fail.Runf("catalogue %s: opened read-only", c.path)
	}
	if write {
		// Only the writer's own goroutine commits, so lastClose is not raced;
		// lookups by the ingest workers go on during the pause.
		if wait := commitGap - time.Since(c.lastClose); wait > 0 {
			time.Sleep(wait)
		}
	}
	c.dbMu.Lock()
	defer c.dbMu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	timeout := c.opts.LockTimeout
	if write && timeout < minWriterWait {
		timeout = minWriterWait
	}
	// Every bbolt call goes through guard: a damaged page makes bbolt panic
	// or fault, and that must be the damaged-catalogue error, not a crash.
	var db *bolt.DB
	err := guard(c.path, func() (err error) {
		db, err = bolt.Open(c.path, 0o644, &bolt.Options{Timeout: timeout, ReadOnly: !write})
		return err
	})
	if err != nil {
		if errors.Is(err, ErrDamaged) {
			return err
		}
		if d := asDamage(c.path, err); d != err {
			return d
		}
		if errors.Is(err, bolt.ErrTimeout) {
			who := "another kyso is writing to it"
			if write {
				who = "another process is reading it"
			}
			return fail.RunWith(lockedError(fmt.Sprintf("catalogue %s is busy: %s", c.path, who)),
				fail.RemedyLockTimeout)
		}
		return fail.Run(i18n.Errorf("catalogue %s: %v", c.path, err), "if the file is damaged, restore it from a backup (kyso archive backup)")
	}
	panicked := true
	err = guard(c.path, func() error {
		err := fn(db)
		panicked = false
		return err
	})
	if panicked {
		closeAfterPanic(db)
	} else if cerr := guard(c.path, db.Close); err == nil && cerr != nil {
		err = fail.Run(i18n.Errorf("catalogue %s: %v", c.path, cerr), "")
	}
	if write {
		c.lastClose = time.Now()
	}
	return asDamage(c.path, err)
}

// view runs fn in a read transaction.
func (c *Catalogue) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	return c.withDB(ctx, false, func(db *bolt.DB) error { return db.View(fn) })
}

// update runs fn in a write transaction.
func (c *Catalogue) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	return c.withDB(ctx, true, func(db *bolt.DB) error { return db.Update(fn) })
}

// updateAsWriter runs fn in a write transaction from a catalogue that may
// have been opened read-only (audit, export record their events): it takes
// the writer lock for the time of the commit, waiting up to wait.
func (c *Catalogue) updateAsWriter(ctx context.Context, wait time.Duration, fn func(tx *bolt.Tx) error) error {
	if c.lock != nil {
		return c.update(ctx, fn)
	}
	lock, err := acquireWriterLock(ctx, c.path+".lock", wait, c.opts.Command)
	if err != nil {
		return err
	}
	c.lock = lock
	defer func() {
		c.lock.release()
		c.lock = nil
	}()
	return c.update(ctx, fn)
}
