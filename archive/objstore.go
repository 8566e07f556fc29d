package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
)

// Store is where the contents of a catalogue live, each named by its
// SHA-256: the local folder beside the catalogue (store) or an S3 bucket
// (s3Store). It has no Delete and no way to overwrite: a content, once
// stored, stays as it is.
type Store interface {
	// Location names the store for people: a folder or s3://bucket/prefix.
	Location() string
	// ObjectName is where the content sum is (or would be) kept.
	ObjectName(sum string) string
	// Put stores size bytes read from r, whose SHA-256 is sum (hex). It is
	// idempotent: a content already there is left alone. The store checks
	// the bytes against sum; a mismatch is an error and nothing is kept
	// under sum.
	Put(ctx context.Context, sum string, size int64, r io.Reader) error
	// Open streams a stored content. A missing one is ErrObjectMissing.
	Open(ctx context.Context, sum string) (io.ReadCloser, error)
	// Stat describes a stored content. A missing one is ErrObjectMissing.
	Stat(ctx context.Context, sum string) (ObjectInfo, error)
	// List calls fn for every content in the store, in no set order.
	List(ctx context.Context, fn func(ObjectInfo) error) error
}

// ObjectInfo describes one stored content.
type ObjectInfo struct {
	SHA256 string
	Size   int64
	// Checksum is the SHA-256 the server keeps for the object (hex), when
	// it keeps one for the whole object; empty otherwise.
	Checksum string
	// Retention is the object's lock mode (COMPLIANCE, GOVERNANCE) and
	// RetainUntil its end; empty where the store has no object lock.
	Retention   string
	RetainUntil time.Time
}

// ErrObjectMissing is returned for a content the store does not hold.
var ErrObjectMissing = errors.New("not in the content store")

// retentionStore is a Store that can say whether it locks objects.
type retentionStore interface {
	// Locking says whether objects are expected to carry retention.
	Locking() bool
	// Retention reads an object's lock mode and end.
	Retention(ctx context.Context, sum string) (mode string, until time.Time, err error)
}

// The local folder store: see store.go for its layout and how ingest,
// import and renew stage, seal and place files in it.

// Location is the store folder.
func (s store) Location() string { return s.dir }

// ObjectName is the stored file's path.
func (s store) ObjectName(sum string) string { return s.path(sum) }

// Put copies r into .tmp, checks its hash and size, fsyncs it, links it
// into place and fsyncs the folders: the same steps as ingest, for a
// caller that has no staged file.
func (s store) Put(ctx context.Context, sum string, size int64, r io.Reader) error {
	if _, err := os.Stat(s.path(sum)); err == nil {
		return nil
	}
	if err := os.MkdirAll(s.tmpDir(), 0o755); err != nil {
		return s.fault(err)
	}
	tmp, got, n, err := s.copyIn(ctx, r)
	if err != nil {
		return err
	}
	if got != sum || n != size {
		removeFile(tmp)
		return i18n.Errorf("content store %s: the bytes given for %s have SHA-256 %s and %d bytes (expected %d)", s.dir, sum, got, n, size)
	}
	if err := s.syncFile(tmp); err != nil {
		removeFile(tmp)
		return err
	}
	pending, err := s.seal(tmp, sum)
	if err != nil {
		removeFile(tmp)
		return err
	}
	dirs, err := s.place(pending, sum)
	if err == nil {
		err = syncDirs(append(dirs, s.tmpDir()))
	}
	if err != nil {
		return s.fault(err)
	}
	s.dropPending(pending, sum)
	return nil
}

// Open opens the stored file.
func (s store) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	// Never blocks on a FIFO planted in the store, and a file that shrinks
	// while read is an error, not a short hash.
	f, err := fileutil.OpenRegular(s.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, i18n.Errorf("stored file %s: %v", s.path(sum), ErrObjectMissing)
	}
	if err != nil {
		return nil, i18n.Errorf("stored file %s: %v", s.path(sum), unwrapPath(err))
	}
	return struct {
		io.Reader
		io.Closer
	}{f.Reader(), f}, nil
}

// Stat gives the stored file's size.
func (s store) Stat(ctx context.Context, sum string) (ObjectInfo, error) {
	fi, err := os.Stat(s.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return ObjectInfo{}, i18n.Errorf("stored file %s: %v", s.path(sum), ErrObjectMissing)
	}
	if err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{SHA256: sum, Size: fi.Size()}, nil
}

// List walks ab/cd/<sha256>, skipping .tmp and anything not named so.
func (s store) List(ctx context.Context, fn func(ObjectInfo) error) error {
	tops, err := os.ReadDir(s.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, a := range tops {
		if !a.IsDir() || len(a.Name()) != 2 {
			continue
		}
		subs, err := os.ReadDir(filepath.Join(s.dir, a.Name()))
		if err != nil {
			return err
		}
		for _, b := range subs {
			if !b.IsDir() || len(b.Name()) != 2 {
				continue
			}
			files, err := os.ReadDir(filepath.Join(s.dir, a.Name(), b.Name()))
			if err != nil {
				return err
			}
			for _, f := range files {
				name := f.Name()
				if !isSHA256Hex(name) || name[0:2] != a.Name() || name[2:4] != b.Name() {
					continue
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				info, err := f.Info()
				if err != nil {
					continue
				}
				if err := fn(ObjectInfo{SHA256: name, Size: info.Size()}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// Store returns the catalogue's content store.
func (c *Catalogue) Store() Store { return c.objects }

// isFolder says whether the contents live in the local folder, where
// staged files are linked into place rather than uploaded.
func (c *Catalogue) isFolder() bool {
	_, ok := c.objects.(store)
	return ok
}

// defaultUploadJobs bounds the uploads of one commit.
const defaultUploadJobs = 4

// upload sends staged files to a remote store before the commit that
// records them, several at once. The folder store needs nothing here:
// placeAll links its files inside the commit. A crash after an upload and
// before the commit leaves an object without a record, which audit and
// gc --dry-run list.
func (c *Catalogue) upload(ctx context.Context, files []placement) error {
	if c.isFolder() || len(files) == 0 {
		return nil
	}
	jobs := c.opts.UploadJobs
	if jobs <= 0 {
		jobs = defaultUploadJobs
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, jobs)
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.sum] {
			continue
		}
		seen[f.sum] = true
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := c.putFile(ctx, f.pending, f.sum)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// uploadLimit is the semaphore that bounds one run's uploads; nil for a
// folder store.
func (c *Catalogue) uploadLimit() chan struct{} {
	if c.isFolder() {
		return nil
	}
	jobs := c.opts.UploadJobs
	if jobs <= 0 {
		jobs = defaultUploadJobs
	}
	return make(chan struct{}, jobs)
}

// startUpload uploads a staged file in the background, at most cap(sem)
// at once, so uploads overlap the hashing and verifying of the next files.
// It returns nil for a folder store.
func (c *Catalogue) startUpload(ctx context.Context, sem chan struct{}, pending, sum string) <-chan error {
	if sem == nil {
		return nil
	}
	done := make(chan error, 1)
	go func() {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			done <- ctx.Err()
			return
		}
		defer func() { <-sem }()
		done <- c.putFile(ctx, pending, sum)
	}()
	return done
}

// waitUploads waits for the uploads of a batch and returns the first error.
func waitUploads(batch []*ingestItem) error {
	var first error
	for _, it := range batch {
		if it.uploaded == nil {
			continue
		}
		if err := <-it.uploaded; err != nil && first == nil {
			first = err
		}
		it.uploaded = nil
	}
	return first
}

// putFile uploads one staged file.
func (c *Catalogue) putFile(ctx context.Context, path, sum string) error {
	f, err := os.Open(path)
	if err != nil {
		return fail.Run(i18n.Errorf("staged file %s: %v", path, err), "")
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail.Run(i18n.Errorf("staged file %s: %v", path, err), "")
	}
	if err := c.objects.Put(ctx, sum, fi.Size(), f); err != nil {
		if fail.KindOf(err) != fail.KindNone {
			return err
		}
		return fail.RunWith(err, fail.RemedyObjectStore)
	}
	return nil
}

// errStopList ends a listing early.
var errStopList = errors.New("stop")

// reachable lists one object of a remote store, so that an unreachable
// endpoint or refused credentials stop an audit as a failure of the run
// instead of reporting every record missing.
func (c *Catalogue) reachable(ctx context.Context) error {
	if c.isFolder() {
		return nil
	}
	err := c.objects.List(ctx, func(ObjectInfo) error { return errStopList })
	if err != nil && !errors.Is(err, errStopList) {
		return fail.Run(err, "check the object store's endpoint (KYSO_S3_ENDPOINT), region and credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
	}
	return nil
}

// openContent streams a stored content.
func (c *Catalogue) openContent(ctx context.Context, sum string) (io.ReadCloser, error) {
	return c.objects.Open(ctx, sum)
}

// localContent gives a file path holding the content sum, for what needs a
// file (the verifier, renew): the stored file itself in a folder store, a
// downloaded and re-hashed copy in the staging folder otherwise, which
// done removes.
func (c *Catalogue) localContent(ctx context.Context, sum string) (path string, done func(), err error) {
	if s, ok := c.objects.(store); ok {
		p := s.path(sum)
		if _, err := os.Stat(p); err != nil {
			return "", nil, i18n.Errorf("stored file %s: %v", p, ErrObjectMissing)
		}
		return p, func() {}, nil
	}
	rc, err := c.objects.Open(ctx, sum)
	if err != nil {
		return "", nil, err
	}
	defer rc.Close()
	dir := c.store.tmpDir()
	if c.lock == nil {
		dir = "" // a reader does not write in the writer's staging folder
	}
	f, err := os.CreateTemp(dir, "get-*.pdf")
	if err != nil {
		return "", nil, err
	}
	h := sha256.New()
	_, err = io.CopyBuffer(io.MultiWriter(f, h), rc, make([]byte, copyBufSize))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	done = func() { os.Remove(f.Name()) }
	if err == nil && hex.EncodeToString(h.Sum(nil)) != sum {
		err = i18n.Errorf("stored object %s is corrupt: its SHA-256 is now %s", c.objects.ObjectName(sum), hex.EncodeToString(h.Sum(nil)))
	}
	if err != nil {
		done()
		return "", nil, err
	}
	return f.Name(), done, nil
}

// StoreReport is what CheckStore found: contents the catalogue refers to
// that the store lacks, objects no record refers to (left by a crash
// between an upload and its commit, or by another writer), and, where the
// store locks objects, referenced objects without retention.
type StoreReport struct {
	Referenced   int
	Objects      int
	Missing      []string // sha256 of referenced contents not in the store
	Unreferenced []ObjectInfo
	Unprotected  []string // sha256 of referenced objects without retention
}

// Problems counts what a check should fail on: missing contents and
// unprotected objects. Unreferenced objects are listed, not failed on: a
// crash between an upload and its commit leaves them, and they harm
// nothing. (Audit reports a missing content on its record already.)
func (r *StoreReport) Problems() int { return len(r.Missing) + len(r.Unprotected) }

// referencedSums returns every content any record refers to.
func (c *Catalogue) referencedSums(ctx context.Context) (map[string]bool, error) {
	refs := map[string]bool{}
	err := c.view(ctx, func(tx *bolt.Tx) error {
		return forEachRecordStrict(tx, func(r *Record) error {
			for _, ct := range r.Contents() {
				refs[ct.SHA256] = true
			}
			return nil
		})
	})
	return refs, err
}

// CheckStore lists the store once and compares it with the catalogue. With
// retention, each referenced object's lock is read too (one request each on
// S3). It is what audit reports under "store" and what gc --dry-run shows.
func (c *Catalogue) CheckStore(ctx context.Context, retention bool) (*StoreReport, error) {
	refs, err := c.referencedSums(ctx)
	if err != nil {
		return nil, err
	}
	rep := &StoreReport{Referenced: len(refs)}
	present := map[string]bool{}
	err = c.objects.List(ctx, func(o ObjectInfo) error {
		rep.Objects++
		present[o.SHA256] = true
		if !refs[o.SHA256] {
			rep.Unreferenced = append(rep.Unreferenced, o)
		}
		return nil
	})
	if err != nil {
		return nil, fail.Run(i18n.Errorf("content store %s: listing: %v", c.objects.Location(), err), "")
	}
	sums := make([]string, 0, len(refs))
	for s := range refs {
		sums = append(sums, s)
	}
	sort.Strings(sums)
	for _, s := range sums {
		if !present[s] {
			rep.Missing = append(rep.Missing, s)
		}
	}
	sort.Slice(rep.Unreferenced, func(i, j int) bool { return rep.Unreferenced[i].SHA256 < rep.Unreferenced[j].SHA256 })
	if rs, ok := c.objects.(retentionStore); ok && retention && rs.Locking() {
		var (
			mu sync.Mutex
			wg sync.WaitGroup
		)
		sem := make(chan struct{}, 8)
		for _, s := range sums {
			if !present[s] {
				continue
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				mode, until, err := rs.Retention(ctx, s)
				if err != nil || mode == "" || until.Before(c.opts.Now()) {
					mu.Lock()
					rep.Unprotected = append(rep.Unprotected, s)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		sort.Strings(rep.Unprotected)
	}
	return rep, nil
}

// GCResult is what gc found and did.
type GCResult struct {
	Unreferenced []ObjectInfo
	Removed      int
}

// GC lists the objects no record refers to and, unless dryRun, removes
// them from a folder store. An object store is never pruned by kyso: the
// objects may be under retention, and kyso has no delete permission there
// by design; gc without dryRun is refused on it.
func (c *Catalogue) GC(ctx context.Context, dryRun bool) (*GCResult, error) {
	s, folder := c.objects.(store)
	if !dryRun && !folder {
		return nil, fail.UsageWith(i18n.Errorf("content store %s: kyso never deletes objects from an object store; gc only lists them there", c.objects.Location()), fail.RemedyDryRun)
	}
	if !dryRun && c.lock == nil {
		return nil, fail.Runf("catalogue %s: opened read-only", c.path)
	}
	rep, err := c.CheckStore(ctx, false)
	if err != nil {
		return nil, err
	}
	res := &GCResult{Unreferenced: rep.Unreferenced}
	if dryRun {
		return res, nil
	}
	var dirs []string
	for _, o := range rep.Unreferenced {
		p := s.path(o.SHA256)
		removeFile(p)
		dirs = append(dirs, filepath.Dir(p))
		res.Removed++
	}
	if err := syncDirs(dirs); err != nil {
		return res, fail.Run(i18n.Errorf("content store %s: %v", s.dir, err), "")
	}
	return res, nil
}

// forEachRecordStrict decodes every record in id order; a record that does
// not decode stops it (unlike check's forEachRecord, which leaves those to
// the records check): what is referenced must never be guessed.
func forEachRecordStrict(tx *bolt.Tx, fn func(*Record) error) error {
	return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
		r, err := decodeRecord(v)
		if err != nil {
			return i18n.Errorf("record %x: %v", k, err)
		}
		return fn(r)
	})
}
