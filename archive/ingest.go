package archive

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/verify"
)

// IngestOptions say where metadata comes from and how strict ingest is.
type IngestOptions struct {
	// Meta holds --meta rows by file base name; it wins over NamePattern.
	Meta        map[string]Meta
	NamePattern *NamePattern
	// Strict rejects documents whose verdict is indeterminate.
	Strict bool
	// Jobs is how many files are hashed and verified at once (default: CPUs).
	Jobs int
}

// IngestStatus is what became of one input of an ingest: the status of
// `kyso archive ingest --json`. The zero value is an input whose outcome
// is not decided yet; no result is reported with it.
type IngestStatus string

// Ingest statuses.
const (
	StatusIngested  IngestStatus = "ingested"
	StatusDuplicate IngestStatus = "duplicate"
	StatusRejected  IngestStatus = "rejected"
)

// IngestResult is the outcome for one input: the contract of
// `kyso archive ingest --json`.
type IngestResult struct {
	Input    string        `json:"input"`
	ID       uint64        `json:"id"`
	SHA256   string        `json:"sha256"`
	Status   IngestStatus  `json:"status"`
	Reason   string        `json:"reason"`
	Verdict  verify.Status `json:"verdict,omitempty"`
	Dossier  string        `json:"dossier_code,omitempty"`
	Version  int           `json:"version,omitempty"`
	Warnings []string      `json:"warnings,omitempty"`
}

// IngestSummary counts the outcomes of a run.
type IngestSummary struct {
	Ingested, Duplicate, Rejected int
}

// Batching of commits: a commit is cheap but holds bbolt's lock against
// readers, so it happens at most every commitEvery or every commitMax items.
const (
	commitMax   = 64
	commitEvery = 250 * time.Millisecond
)

type itemKind int

const (
	itemNew itemKind = iota
	itemDuplicate
	itemRejected
	itemSameAs // the same bytes as an input earlier in this run
)

type ingestItem struct {
	kind    itemKind
	pending string
	rec     *Record
	source  string
	res     IngestResult
	err     error // stops the run
	// events follow the ingest event in the record's history; basis says
	// what the verdict rested on (basisNote).
	events []Event
	basis  string
	// uploaded gives the outcome of the upload to an object store, which
	// starts as soon as the file is accepted (startUpload).
	uploaded <-chan error
}

// Ingest archives files: each is copied into the store while it is hashed,
// verified there, and recorded with its metadata. Files are hashed and
// verified in parallel; records are committed in small batches with the
// bbolt file closed in between. report is called once per input, from one
// goroutine, after the input's outcome is final (committed for "ingested").
// The catalogue must be open for writing.
func (c *Catalogue) Ingest(ctx context.Context, files []string, opts IngestOptions, report func(IngestResult) error) (IngestSummary, error) {
	var sum IngestSummary
	if c.lock == nil {
		return sum, fail.Runf("catalogue %s: opened read-only", c.path)
	}
	if c.opts.Verify == nil {
		return sum, fail.Runf("archive: no verifier configured")
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()

	paths := make(chan string)
	uploads := c.uploadLimit()
	queue := jobs
	if uploads != nil {
		// While a batch waits for its uploads, the workers go on with the
		// next batch's files (and start their uploads).
		queue = commitMax
	}
	items := make(chan *ingestItem, queue)
	claims := &claimSet{m: map[string]bool{}}
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range paths {
				it := c.prepare(wctx, p, opts, claims)
				if it.err == nil && it.kind == itemNew {
					// The upload starts now, beside the next file's work.
					it.uploaded = c.startUpload(wctx, uploads, it.pending, it.rec.SHA256)
				}
				items <- it
			}
		}()
	}
	go func() {
		defer close(paths)
		for _, p := range files {
			select {
			case paths <- p:
			case <-wctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(items) }()

	co := &committer{c: c, report: report, sum: &sum, waiting: map[string][]*ingestItem{}, final: map[string]IngestResult{}}
	var runErr error
	var batch []*ingestItem
	var first time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := co.commit(context.WithoutCancel(ctx), batch); err != nil && runErr == nil {
			runErr = err
			stop()
		}
		batch = batch[:0]
	}
	for open := true; open; {
		select {
		case it, ok := <-items:
			if !ok {
				open = false
				break
			}
			switch {
			case it.err != nil:
				if runErr == nil {
					runErr = it.err
					stop()
				}
			case it.kind == itemNew:
				if runErr != nil {
					waitUploads([]*ingestItem{it})
					removeFile(it.pending)
					break
				}
				if len(batch) == 0 {
					first = time.Now()
					timer.Reset(commitEvery)
				}
				batch = append(batch, it)
				if len(batch) >= commitMax {
					flush()
				}
			default:
				if err := co.settle(it); err != nil && runErr == nil {
					runErr = err
					stop()
				}
			}
		case <-timer.C:
			if len(batch) > 0 && time.Since(first) >= commitEvery {
				flush()
			}
		}
	}
	flush()
	if runErr == nil {
		runErr = co.orphans()
	}
	if runErr == nil && ctx.Err() != nil {
		runErr = ctx.Err()
	}
	return sum, runErr
}

// claimSet makes the first input with given bytes the one that is verified;
// later ones wait for its outcome.
type claimSet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (s *claimSet) claim(sum string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[sum] {
		return false
	}
	s.m[sum] = true
	return true
}

// prepare copies, hashes and verifies one input and builds its record.
func (c *Catalogue) prepare(ctx context.Context, path string, opts IngestOptions, claims *claimSet) *ingestItem {
	it := &ingestItem{source: path, res: IngestResult{Input: path}}
	reject := func(reason string) *ingestItem {
		it.kind = itemRejected
		it.res.Status = StatusRejected
		it.res.Reason = sanitize(reason)
		if it.pending != "" {
			// The verdict is on the copy in the store: name the input.
			it.res.Reason = strings.ReplaceAll(it.res.Reason, it.pending, path)
			removeFile(it.pending)
			it.pending = ""
		}
		return it
	}
	if err := ctx.Err(); err != nil {
		it.err = err
		return it
	}
	f, err := fileutil.OpenRegular(path)
	if err != nil {
		return reject(i18n.Sprintf("cannot read %s: %v", path, unwrapPath(err)))
	}
	tmp, sum, size, err := c.store.copyIn(ctx, f.Reader())
	if err == nil {
		if err = f.Unchanged(); err != nil {
			removeFile(tmp)
		}
	}
	f.Close()
	if err != nil {
		if fail.KindOf(err) == fail.KindRun || errors.Is(err, context.Canceled) {
			it.err = err
			return it
		}
		return reject(i18n.Sprintf("cannot read %s: %v", path, unwrapPath(err)))
	}
	it.pending, it.res.SHA256 = tmp, sum
	drop := func(kind itemKind) *ingestItem {
		removeFile(tmp)
		it.pending, it.kind = "", kind
		return it
	}
	if !claims.claim(sum) {
		return drop(itemSameAs)
	}
	var known uint64
	if err := c.view(ctx, func(tx *bolt.Tx) error { known = lookupSHA(tx, sum); return nil }); err != nil {
		it.err = err
		return drop(itemRejected)
	}
	if known != 0 {
		it.res.Status, it.res.ID = StatusDuplicate, known
		return drop(itemDuplicate)
	}
	v := c.judge(ctx, tmp, opts.Strict)
	if v.err != nil {
		it.err = v.err
		return drop(itemRejected)
	}
	if v.rep != nil {
		it.res.Verdict = v.rep.Status
	}
	if v.reject != "" {
		return reject(v.reject)
	}
	rep := v.rep
	it.res.Warnings = append(it.res.Warnings, v.warnings...)
	// Metadata: what the signed file says about itself — as signed, never a
	// later revision's — completed by the file's --meta row or, without one,
	// by the file name. Neither is signed, so neither overrides a signed
	// value: a disagreement is kept as a warning and a history event.
	base := filepath.Base(path)
	m, ok := signedMeta(rep)
	var conflict *Event
	fill := func(other Meta, src unsignedSource) {
		if conflicts := fillUnsigned(&m, other, src); len(conflicts) > 0 {
			// the note reaches the warnings with the other history events
			conflict = &Event{Type: src.event(), Detail: conflictNote(base, src, conflicts)}
		}
		ok = true
	}
	if row, found := opts.Meta[base]; found {
		fill(row, fromMetaRow)
	} else if opts.NamePattern != nil {
		if pm, found := opts.NamePattern.Match(base); found {
			fill(pm, fromFileName)
		}
	}
	if !ok && (opts.Meta != nil || opts.NamePattern != nil) {
		it.res.Warnings = append(it.res.Warnings, i18n.Sprintf("no metadata for %s", base))
	}
	c.fillDefaults(&m)
	if m.Issued == "" {
		// Without an issue date no report period counts the result.
		it.res.Warnings = append(it.res.Warnings, i18n.Sprintf("no issue date: no report counts %s until kyso archive set-meta gives it one", base))
	}
	if it.pending, err = c.store.seal(tmp, sum); err != nil {
		it.err = err
		return drop(itemRejected)
	}
	now := c.opts.Now()
	it.rec = &Record{
		SHA256: sum, Size: size, Name: base, Meta: m,
		Status: rep.Status, VerifiedAt: verdictTime(rep, now), Signatures: summarise(rep),
		IngestedAt: now,
	}
	it.events = metadataEvents(rep, now, c.opts.Actor)
	if conflict != nil {
		conflict.Time, conflict.Actor = now, c.opts.Actor
		it.events = append(it.events, *conflict)
	}
	it.basis = basisNote(rep)
	for _, ev := range it.events {
		it.res.Warnings = append(it.res.Warnings, ev.Detail)
	}
	it.res.Dossier = m.Dossier
	return it
}

// judgement is what judge concluded about one copy in the store.
type judgement struct {
	rep      *verify.Report
	warnings []string
	// reject, when not empty, is why the document is refused.
	reject string
	// err stops the run (the store or the verifier failed).
	err error
}

// judge fsyncs and verifies a copy of a document in the store's .tmp and
// decides whether it may be archived: valid yes, indeterminate with a
// warning (refused when strict), invalid or unverifiable no. Ingest and
// import both call it, so a bag's files meet exactly the policy of the
// unit's own scans.
func (c *Catalogue) judge(ctx context.Context, tmp string, strict bool) judgement {
	// The fsync runs while the copy is verified: one waits on the disk, the
	// other on the CPU.
	synced := make(chan error, 1)
	if c.isFolder() {
		go func() { synced <- c.store.syncFile(tmp) }()
	} else {
		// A staged copy for an object store need not be durable: its
		// record is committed only after the server has the object.
		synced <- nil
	}
	rep, err := c.opts.Verify(ctx, tmp)
	if serr := <-synced; serr != nil {
		return judgement{err: serr}
	}
	switch {
	case err != nil && (fail.KindOf(err) == fail.KindRun || ctx.Err() != nil):
		return judgement{err: err}
	case err != nil:
		return judgement{reject: err.Error()}
	case rep == nil:
		return judgement{reject: "the verifier gave no verdict"}
	}
	j := judgement{rep: rep}
	switch rep.Status {
	case verify.Valid:
	case verify.Indeterminate:
		if strict {
			j.reject = i18n.Sprintf("indeterminate, refused in strict mode: %s", firstReason(rep))
		} else {
			j.warnings = append(j.warnings, i18n.Sprintf("indeterminate: %s", firstReason(rep)))
		}
	default:
		j.reject = firstReason(rep)
	}
	return j
}

// fillDefaults gives a record without unit metadata the catalogue's unit.
func (c *Catalogue) fillDefaults(m *Meta) {
	if m.Unit == "" {
		m.Unit = c.unit.Code
	}
	if m.Unit == c.unit.Code {
		if m.UnitName == "" {
			m.UnitName = c.unit.Name
		}
		if m.Level == "" {
			m.Level = c.unit.Level
		}
	}
}

func verdictTime(rep *verify.Report, now time.Time) time.Time {
	if !rep.CheckedAt.IsZero() {
		return rep.CheckedAt
	}
	return now
}

// firstReason is the most telling line of a verdict.
func firstReason(rep *verify.Report) string {
	if len(rep.Errors) > 0 {
		return rep.Errors[0]
	}
	for _, s := range rep.Signatures {
		if s.Status != verify.Valid && len(s.Reasons) > 0 {
			return s.Reasons[0]
		}
	}
	if len(rep.Warnings) > 0 {
		return rep.Warnings[0]
	}
	if len(rep.Signatures) == 0 {
		return "no signature"
	}
	return "verification: " + string(rep.Status)
}

// unwrapPath drops the path an *os.PathError repeats.
var unwrapPath = fileutil.UnwrapPath

// committer writes batches and reports outcomes, in one goroutine.
type committer struct {
	c       *Catalogue
	report  func(IngestResult) error
	sum     *IngestSummary
	waiting map[string][]*ingestItem // same bytes as an input not yet final
	final   map[string]IngestResult  // outcome of each content seen in this run
}

// commit places a batch's files in the store, then records them in one
// transaction, then drops their pending names.
func (co *committer) commit(ctx context.Context, batch []*ingestItem) error {
	c := co.c
	if err := waitUploads(batch); err != nil {
		return err
	}
	err := c.update(ctx, func(tx *bolt.Tx) error {
		var files []placement
		for _, it := range batch {
			if id := lookupSHA(tx, it.rec.SHA256); id != 0 {
				it.kind, it.res.ID = itemDuplicate, id
				continue
			}
			files = append(files, placement{it.pending, it.rec.SHA256})
		}
		if err := c.placeAll(files); err != nil {
			return err
		}
		dossiers := tx.Bucket(bucketIdx).Bucket(idxDossier)
		for _, it := range batch {
			if it.kind != itemNew {
				continue
			}
			r := it.rec
			if r.Dossier != "" {
				r.Version = countPrefix(dossiers, joinKey(r.Dossier)) + 1
			}
			detail := "from " + it.source
			if r.Version > 1 {
				detail += fmt.Sprintf(" as version %d of dossier %s", r.Version, r.Dossier)
			}
			events := append([]Event{{Time: r.IngestedAt, Type: EventIngested, Actor: c.opts.Actor,
				Detail: detail + "; verdict " + string(r.Status) + it.basis}}, it.events...)
			if err := insertRecord(tx, r, events...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The pending names stay: the next writer settles them.
		return err
	}
	for _, it := range batch {
		c.store.dropPending(it.pending, it.rec.SHA256)
		if it.kind == itemNew {
			it.res.Status, it.res.ID, it.res.Version = StatusIngested, it.rec.ID, it.rec.Version
		} else {
			it.res.Status, it.res.Warnings = StatusDuplicate, nil
		}
		if err := co.settle(it); err != nil {
			return err
		}
	}
	return nil
}

// settle reports an input whose outcome is final, and the inputs that had
// the same bytes and waited for it.
func (co *committer) settle(it *ingestItem) error {
	sum := it.res.SHA256
	if it.kind == itemSameAs {
		prev, ok := co.final[sum]
		if !ok {
			co.waiting[sum] = append(co.waiting[sum], it)
			return nil
		}
		co.copyOutcome(it, prev)
	} else if sum != "" {
		co.final[sum] = it.res
	}
	if err := co.emit(it.res); err != nil {
		return err
	}
	if it.kind == itemSameAs {
		return nil
	}
	for _, w := range co.waiting[sum] {
		co.copyOutcome(w, it.res)
		if err := co.emit(w.res); err != nil {
			return err
		}
	}
	delete(co.waiting, sum)
	return nil
}

func (co *committer) copyOutcome(it *ingestItem, prev IngestResult) {
	it.res.ID = prev.ID
	if prev.Status == StatusRejected {
		it.res.Status, it.res.Reason = StatusRejected, prev.Reason
	} else {
		it.res.Status = StatusDuplicate
	}
}

func (co *committer) emit(r IngestResult) error {
	switch r.Status {
	case StatusIngested:
		co.sum.Ingested++
	case StatusDuplicate:
		co.sum.Duplicate++
	default:
		co.sum.Rejected++
	}
	if co.report == nil {
		return nil
	}
	return co.report(r)
}

// orphans reports inputs still waiting when the run ends (their first copy
// was interrupted); they are neither ingested nor rejected.
func (co *committer) orphans() error {
	for sum, ws := range co.waiting {
		for _, w := range ws {
			w.res.Status, w.res.Reason = StatusRejected, i18n.Sprintf("not archived: the run stopped before the same content was")
			if err := co.emit(w.res); err != nil {
				return err
			}
		}
		delete(co.waiting, sum)
	}
	return nil
}

// insertRecord gives r an id and writes it, its index keys and its events.
func insertRecord(tx *bolt.Tx, r *Record, events ...Event) error {
	b := tx.Bucket(bucketRecords)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	r.ID = id
	for _, ev := range events {
		if err := appendEvent(tx, r, ev); err != nil {
			return err
		}
	}
	if err := putRecord(tx, r); err != nil {
		return err
	}
	return putIndexes(tx, r, false)
}

// testHookBeforeCommit lets tests stop a commit after the files are in the
// store, as a crash would.
var testHookBeforeCommit func() error

// sanitize is used where a reason may carry a newline from a verifier.
func sanitize(s string) string { return strings.ReplaceAll(s, "\n", " ") }
