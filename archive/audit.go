package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/verify"
)

// AuditOptions say what an audit checks besides fixity.
type AuditOptions struct {
	// Reverify runs verification again on every current content.
	Reverify bool
	// Jobs is how many files are hashed at once (default: CPUs, at least 8
	// for an object store).
	Jobs int
	// Trust, when set, says whether each checkpoint's TSA is trusted.
	Trust *trust.Store
	// Checkpoints are external checkpoint files (ReadExternalCheckpoint),
	// by name, checked against the chain as the stored ones are.
	Checkpoints map[string]ExternalCheckpoint
}

// FixityStatus is what an audit found of a record's stored files: the
// status of `kyso archive audit --json` and a record's Fixity. The zero
// value, FixityUnaudited, is a record no audit has looked at yet; it is
// never an audit's outcome.
type FixityStatus string

// Audit statuses.
const (
	FixityUnaudited FixityStatus = ""
	FixityOK        FixityStatus = "ok"
	FixityMissing   FixityStatus = "missing"
	FixityCorrupt   FixityStatus = "corrupt"
	FixityInvalid   FixityStatus = "invalid"
)

// Known says s is an audit's outcome (FixityUnaudited is not one): a
// value read from a catalogue is checked with it.
func (s FixityStatus) Known() bool {
	switch s {
	case FixityOK, FixityMissing, FixityCorrupt, FixityInvalid:
		return true
	}
	return false
}

// AuditResult is the outcome for one record: the contract of
// `kyso archive audit --json`.
type AuditResult struct {
	ID      uint64        `json:"id"`
	SHA256  string        `json:"sha256"`
	Status  FixityStatus  `json:"status"`
	Reason  string        `json:"reason,omitempty"`
	Verdict verify.Status `json:"verdict,omitempty"`
	Dossier string        `json:"dossier_code,omitempty"`

	rec    *Record
	rep    *verify.Report
	edited bool
}

// AuditSummary counts the outcomes. Unrecorded is the number of results
// that could not be written into the history because another writer held
// the catalogue until the end (Warning says why).
type AuditSummary struct {
	Checked                       int
	OK, Missing, Corrupt, Invalid int
	Unrecorded                    int
	Warning                       string
	// Chain is what VerifyChain found: record hashes, the catalogue's
	// chain and its checkpoints.
	Chain *ChainReport
	// Store is what CheckStore found: objects without a record, and
	// objects without retention where the store locks them.
	Store *StoreReport
}

// Problems is the number of records that are not ok, plus the problems of
// the chain itself and the checkpoints that do not hold.
func (s AuditSummary) Problems() int {
	n := s.Missing + s.Corrupt + s.Invalid
	if s.Store != nil {
		n += len(s.Store.Unprotected)
	}
	if s.Chain != nil {
		for _, p := range s.Chain.Problems {
			if p.ID == 0 {
				n++
			}
		}
		for _, cp := range s.Chain.Checkpoints {
			if !cp.OK {
				n++
			}
		}
	}
	return n
}

// auditChunk is how many records one read transaction takes: the bbolt file
// is closed while they are hashed, so an ingest can commit meanwhile.
const auditChunk = 1024

// Audit re-hashes every stored content in parallel, checks each record's
// history chain and, with Reverify, verifies the current content again.
// Records are reported in id order. Outcomes that differ from the record's
// last audit, and every reverification, are written to the history; a
// read-only catalogue takes the writer lock only for those commits.
func (c *Catalogue) Audit(ctx context.Context, opts AuditOptions, report func(AuditResult) error) (AuditSummary, error) {
	var sum AuditSummary
	if opts.Reverify && c.opts.Verify == nil {
		return sum, fail.Runf("archive: no verifier configured")
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
		if !c.isFolder() {
			// Reading from an object store waits on the network more than
			// on the CPU.
			jobs = max(jobs, 8)
		}
	}
	if err := c.reachable(ctx); err != nil {
		return sum, err
	}
	var pending []AuditResult
	var after uint64
	started := c.opts.Now()
	// The record hashes and the chain first: a record found edited is
	// reported corrupt, and its audit outcome is not written over it, which
	// would give the edit a fresh hash.
	chain, err := c.VerifyChain(ctx, ChainOptions{Trust: opts.Trust, External: opts.Checkpoints})
	if err != nil {
		return sum, err
	}
	sum.Chain = chain
	edited := chain.problemsByID()
	for {
		chunk, err := c.auditSnapshot(ctx, after)
		if err != nil {
			return sum, err
		}
		if len(chunk) == 0 {
			break
		}
		after = chunk[len(chunk)-1].ID
		for i := range chunk {
			if reason, ok := edited[chunk[i].ID]; ok {
				chunk[i].Status, chunk[i].Reason, chunk[i].edited = FixityCorrupt, reason, true
			}
		}
		c.checkFiles(ctx, chunk, opts, jobs)
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		for _, r := range chunk {
			sum.Checked++
			switch r.Status {
			case FixityOK:
				sum.OK++
			case FixityMissing:
				sum.Missing++
			case FixityCorrupt:
				sum.Corrupt++
			default:
				sum.Invalid++
			}
			if report != nil {
				if err := report(r); err != nil {
					return sum, err
				}
			}
			if !r.edited && (opts.Reverify || r.Status != r.rec.Fixity) {
				pending = append(pending, r)
			}
		}
		if len(pending) > 0 {
			// Between chunks, do not wait for a busy writer: try again later.
			if err := c.recordAudit(ctx, 0, pending, nil); err == nil {
				pending = pending[:0]
			} else if !cannotWrite(err) {
				return sum, err
			}
		}
	}
	// The store last: objects no record refers to, and objects without
	// retention where the store locks them.
	st, err := c.CheckStore(ctx, true)
	if err != nil {
		return sum, err
	}
	sum.Store = st
	run := Run{Type: "audit", Time: started, Actor: c.opts.Actor, Checked: sum.Checked,
		Counts: map[string]int{string(FixityOK): sum.OK, string(FixityMissing): sum.Missing, string(FixityCorrupt): sum.Corrupt, string(FixityInvalid): sum.Invalid,
			"chain_problems": len(chain.Problems)}}
	if n := len(st.Unreferenced); n > 0 {
		run.Counts["unreferenced_objects"] = n
	}
	if n := len(st.Unprotected); n > 0 {
		run.Counts["unprotected_objects"] = n
	}
	if err := c.recordAudit(ctx, c.opts.LockTimeout, pending, &run); err != nil {
		if !cannotWrite(err) {
			return sum, err
		}
		sum.Unrecorded = len(pending)
		sum.Warning = "the audit was not written into the history: " + err.Error()
	}
	return sum, nil
}

// cannotWrite says the events could not be written for want of the writer
// lock or of permission (an auditor with read access only): the results
// stand, with a warning.
func cannotWrite(err error) bool {
	return errors.Is(err, ErrLocked) || errors.Is(err, fs.ErrPermission) || errors.Is(err, bolt.ErrDatabaseReadOnly)
}

// auditSnapshot reads the next records after id and checks their history.
func (c *Catalogue) auditSnapshot(ctx context.Context, after uint64) ([]AuditResult, error) {
	var out []AuditResult
	err := c.view(ctx, func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketRecords).Cursor()
		for k, v := cur.Seek(idKey(after + 1)); k != nil && len(out) < auditChunk; k, v = cur.Next() {
			r, err := decodeRecord(v)
			if err != nil {
				return fail.Run(i18n.Errorf("catalogue %s: record %d: %v", c.path, idOfKey(k), err), "")
			}
			res := AuditResult{ID: r.ID, SHA256: r.SHA256, Dossier: r.Dossier, Status: FixityOK, rec: r}
			if err := checkChain(rawHistory(tx, r.ID), r.HistoryHead); err != nil {
				res.Status, res.Reason = FixityCorrupt, err.Error()
			}
			out = append(out, res)
		}
		return nil
	})
	return out, err
}

// checkFiles hashes (and reverifies) the chunk's files with jobs workers.
func (c *Catalogue) checkFiles(ctx context.Context, chunk []AuditResult, opts AuditOptions, jobs int) {
	idx := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				c.checkRecord(ctx, &chunk[i], opts)
			}
		}()
	}
	for i := range chunk {
		if ctx.Err() != nil {
			break
		}
		idx <- i
	}
	close(idx)
	wg.Wait()
}

func (c *Catalogue) checkRecord(ctx context.Context, r *AuditResult, opts AuditOptions) {
	for _, content := range r.rec.Contents() {
		status, reason := c.checkContent(ctx, content)
		if status != FixityOK {
			r.Status, r.Reason = status, reason
			return
		}
	}
	if r.Status != FixityOK || !opts.Reverify {
		return
	}
	path, done, err := c.localContent(ctx, r.SHA256)
	if err != nil {
		r.Status, r.Reason = FixityMissing, err.Error()
		return
	}
	rep, err := c.opts.Verify(ctx, path)
	done()
	if err != nil {
		r.Status, r.Reason = FixityInvalid, "verification: "+err.Error()
		return
	}
	r.rep, r.Verdict = rep, rep.Status
	if rep.Status == verify.Invalid {
		r.Status, r.Reason = FixityInvalid, firstReason(rep)
	}
}

// checkContent re-reads and re-hashes one stored content, from the folder
// or the object store alike: a checksum the server keeps is its own claim,
// not proof that the bytes are still there.
func (c *Catalogue) checkContent(ctx context.Context, content Content) (FixityStatus, string) {
	p := c.objects.ObjectName(content.SHA256)
	f, err := c.openContent(ctx, content.SHA256)
	if errors.Is(err, ErrObjectMissing) {
		return FixityMissing, "stored file " + p + " is missing"
	}
	if err != nil {
		return FixityMissing, fmt.Sprintf("stored file %s: %v", p, unwrapPath(err))
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, f, make([]byte, copyBufSize))
	if err != nil {
		return FixityCorrupt, fmt.Sprintf("stored file %s: %v", p, unwrapPath(err))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != content.SHA256 {
		return FixityCorrupt, fmt.Sprintf("stored file %s has SHA-256 %.16s..., %d bytes: it changed", p, got, n)
	}
	return FixityOK, ""
}

// Run is one line of the catalogue-wide log of audits, exports and imports.
type Run struct {
	Type    string         `json:"type"`
	Time    time.Time      `json:"time"`
	Actor   string         `json:"actor"`
	Checked int            `json:"checked,omitempty"`
	Counts  map[string]int `json:"counts,omitempty"`
	Detail  string         `json:"detail,omitempty"`
}

func putRun(tx *bolt.Tx, run *Run) error {
	b := tx.Bucket(bucketRuns)
	b.FillPercent = 0.9
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	return b.Put(u64(seq), jsonMarshal(run))
}

// recordAudit writes audit outcomes (and the run, when given) into the
// catalogue, taking the writer lock for the commit if need be.
func (c *Catalogue) recordAudit(ctx context.Context, wait time.Duration, results []AuditResult, run *Run) error {
	if len(results) == 0 && run == nil {
		return nil
	}
	now := c.opts.Now()
	return c.updateAsWriter(ctx, wait, func(tx *bolt.Tx) error {
		for _, res := range results {
			r, err := getRecord(tx, res.ID)
			if err != nil {
				return fail.Run(i18n.Errorf("catalogue %s: record %d: %v", c.path, res.ID, err), "")
			}
			if r == nil {
				continue
			}
			if res.rep != nil {
				if err := putIndexes(tx, r, true); err != nil {
					return err
				}
				r.Status, r.VerifiedAt, r.Signatures = res.rep.Status, verdictTime(res.rep, now), summarise(res.rep)
				if err := appendEvent(tx, r, Event{Time: now, Type: EventVerified, Actor: c.opts.Actor, Detail: "verdict " + string(res.rep.Status)}); err != nil {
					return err
				}
			}
			if res.Status != r.Fixity {
				detail := string(res.Status)
				if res.Reason != "" {
					detail += ": " + res.Reason
				}
				if err := appendEvent(tx, r, Event{Time: now, Type: EventAudited, Actor: c.opts.Actor, Detail: detail}); err != nil {
					return err
				}
				r.Fixity = res.Status
			}
			if err := putRecord(tx, r); err != nil {
				return err
			}
			if res.rep != nil {
				if err := putIndexes(tx, r, false); err != nil {
					return err
				}
			}
		}
		if run != nil {
			return putRun(tx, run)
		}
		return nil
	})
}
