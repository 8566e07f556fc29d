package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/kyso-project/kyso/internal/fileutil"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/verify"
)

// Job is one input and where its signed copy goes.
type Job struct {
	Input, Output string
}

// BatchOptions run many signatures with one key.
type BatchOptions struct {
	Options
	// Jobs is the number of files prepared at once (default: CPU count).
	Jobs int
	// InFlight bounds signatures waiting on the timestamp authority, so a
	// slow TSA does not serialize the batch (default 64).
	InFlight int
	// Inspect looks at each input before signing (scan resolution); an
	// error refuses that file.
	Inspect func(ctx context.Context, r *pdf.Reader) (warnings []string, minDPI float64, err error)
	// Existing decides whether an existing output can be kept (it verifies).
	Existing func(ctx context.Context, input, output string) error
	// MetadataFor returns the metadata to write into one input, or nil.
	MetadataFor func(input string) map[string]string
	// QRFor gives the QR code's codes for one input, when the stamp draws
	// a QR code (DecreeStamp.WithQR); nil for an input means it has no
	// codes, which fails that input.
	QRFor func(input string) *QROptions
	// Countersign signs inputs that already carry a signature of this
	// signer (this certificate, or another certificate of its key) that
	// kyso made or that shows a stamp; without it they are skipped.
	Countersign bool
	// Cleaned, when set, is told the temporary files of earlier, killed
	// runs that were removed from the output folders before signing.
	Cleaned func(paths []string)
}

// Batch signs every job and calls emit once per job, from any goroutine
// but never concurrently. It returns a run failure (fail.KindRun) when the
// run had to stop, or ctx's error when interrupted; per-file failures are
// only in the results.
func Batch(ctx context.Context, jobs []Job, o BatchOptions, emit func(*Result)) error {
	if o.Jobs <= 0 {
		o.Jobs = runtime.NumCPU()
	}
	if o.InFlight <= 0 {
		o.InFlight = 64
	}
	if removed := removeStaleTemps(jobs); len(removed) > 0 && o.Cleaned != nil {
		o.Cleaned(removed)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var emitMu sync.Mutex
	done := make([]bool, len(jobs))
	report := func(i int, r *Result) {
		emitMu.Lock()
		defer emitMu.Unlock()
		if done[i] {
			return
		}
		done[i] = true
		if r.Err != nil && r.Status == StatusFailed {
			r.Error = r.Err.Error()
			if fail.KindOf(r.Err) == fail.KindRun && ctx.Err() == nil {
				cancel(r.Err)
			}
		}
		emit(r)
	}
	work := make(chan int)
	sem := make(chan struct{}, o.InFlight)
	var wg, tail sync.WaitGroup
	for w := 0; w < o.Jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				job := jobs[i]
				res, p := guardedFirst(ctx, job, &o)
				if p == nil {
					report(i, res)
					continue
				}
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					p.abort()
					res.Status, res.Err = StatusFailed, runStopped(ctx)
					report(i, res)
					continue
				}
				tail.Add(1)
				go func() {
					defer tail.Done()
					defer func() { <-sem }()
					second(ctx, job, &o, res, p)
					report(i, res)
				}()
			}
		}()
	}
feed:
	for i := range jobs {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	tail.Wait()
	err := context.Cause(ctx)
	for i, j := range jobs {
		if !done[i] {
			report(i, &Result{Input: j.Input, Output: j.Output, Status: StatusFailed, Err: runStopped(ctx)})
		}
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if parent := context.Cause(ctx); parent != nil && errors.Is(parent, context.Canceled) {
		return parent
	}
	return nil
}

func runStopped(ctx context.Context) error {
	cause := context.Cause(ctx)
	if cause == nil || errors.Is(cause, context.Canceled) {
		return i18n.Errorf("not signed: the run was interrupted")
	}
	return i18n.Errorf("not signed: the run stopped: %v", cause)
}

// guardedFirst is first, with a panic turned into this file's failure
// (fail.Recovered: an input error, exit 4) so that the batch signs the
// other files. This is sound here: everything first touches is the file's
// own (its reader, update and temporary file, which prepare removes on the
// way out); what it shares (the options, the font and compressor pools)
// it only reads or takes and returns under defer.
func guardedFirst(ctx context.Context, job Job, o *BatchOptions) (res *Result, p *prepared) {
	defer func() {
		if v := recover(); v != nil {
			res = &Result{Input: job.Input, Output: job.Output, Level: o.Level, Status: StatusFailed, Err: fail.Recovered(v, debug.Stack())}
			p = nil
		}
	}()
	return first(ctx, job, o)
}

// first does the per-file CPU work: checks, copy, hash. It returns a
// finished result (skipped or failed) or a prepared signature.
func first(ctx context.Context, job Job, o *BatchOptions) (*Result, *prepared) {
	res := &Result{Input: job.Input, Output: job.Output, Level: o.Level}
	if ctx.Err() != nil {
		res.Status, res.Err = StatusFailed, runStopped(ctx)
		return res, nil
	}
	if _, err := os.Stat(job.Output); err == nil && !o.Force {
		if o.Existing != nil {
			if err := o.Existing(ctx, job.Input, job.Output); err != nil {
				res.Status = StatusFailed
				res.Err = fail.InputWith(i18n.Errorf("stale: %s exists but is not this input signed by this certificate at %s: %v", job.Output, o.Level, err),
					fail.RemedyStale)
				return res, nil
			}
		}
		res.Status = StatusSkipped
		res.SHA256, _ = fileSHA256(job.Output)
		return res, nil
	}
	in, err := fileutil.OpenRegular(job.Input)
	if err != nil {
		res.Status, res.Err = StatusFailed, fail.Input(err, "")
		return res, nil
	}
	defer in.Close()
	r, err := pdf.NewReader(in.ReaderAt(), in.Size())
	if err != nil {
		res.Status, res.Err = StatusFailed, fail.Input(i18n.Errorf("not a readable PDF: %v", err), "")
		return res, nil
	}
	if err := checkComplete(r); err != nil {
		res.Status, res.Err = StatusFailed, err
		return res, nil
	}
	if err := checkEntriesInside(r); err != nil {
		res.Status, res.Err = StatusFailed, err
		return res, nil
	}
	if _, enc := r.Trailer()["Encrypt"]; enc {
		res.Status, res.Err = StatusFailed, fail.Input(i18n.Errorf("the PDF is encrypted; kyso signs only unencrypted documents"),
			"save an unencrypted copy with the tool that made it, then sign that")
		return res, nil
	}
	present, err := signatures(r)
	if err != nil {
		res.Status, res.Err = StatusFailed, fail.Input(err, "")
		return res, nil
	}
	if !o.Countersign && o.Key != nil {
		if field := alreadySigned(present, o.Key.Cert); field != "" {
			res.Status, res.Output = StatusSkipped, ""
			res.Reason = i18n.Sprintf("already signed by %s (field %s); nothing written", AgencyName(o.Key), field)
			res.Remedy = fail.RemedyCountersign
			return res, nil
		}
	}
	opts := &o.Options
	switch p := verify.CertificationPermission(r); {
	case p == 1:
		res.Status, res.Err = StatusFailed, fail.Input(i18n.Errorf("the document is certified with no changes permitted (DocMDP P=1): another signature would break its certification"),
			"sign the document before it is certified, or ask its author for an uncertified copy")
		return res, nil
	case p > 1 && opts.Stamp != nil:
		// A certification allows signing, but a new visible widget may draw
		// anything over the certified content (the SSA attack), so verifiers
		// refuse it: sign invisibly.
		cp := *opts
		cp.Stamp = nil
		opts = &cp
		res.Warnings = append(res.Warnings, i18n.Sprintf("the document is certified (DocMDP P=%d): signed without the visible stamp, which the certification does not allow", p))
	}
	if o.Inspect != nil {
		warn, dpi, err := o.Inspect(ctx, r)
		res.Warnings, res.MinDPI = append(res.Warnings, warn...), dpi
		if err != nil {
			res.Status, res.Err = StatusFailed, err
			return res, nil
		}
	}
	if o.MetadataFor != nil {
		if m := o.MetadataFor(job.Input); m != nil {
			cp := *opts
			cp.Metadata = m
			opts = &cp
		}
	}
	if ds, ok := opts.Stamp.(*DecreeStamp); ok && ds.WithQR {
		var q *QROptions
		if o.QRFor != nil {
			q = o.QRFor(job.Input)
		}
		if q == nil || (q.Dossier == "" && q.Procedure == "") {
			res.Status, res.Err = StatusFailed, fail.InputWith(i18n.Errorf("the QR code needs the dossier and procedure codes, and the metadata has no row for this file"),
				fail.RemedyMetaRow)
			return res, nil
		}
		c := *ds
		c.QR = q
		cp := *opts
		cp.Stamp = &c
		opts = &cp
	}
	if opts.Stamp != nil {
		ctx = withFileWarn(ctx, func(msg string) { res.Warnings = append(res.Warnings, msg) })
		cp := *opts
		cp.noRoom = func() {
			res.Warnings = append(res.Warnings, "signed without a visible stamp: no blank space on the page clear of the existing signatures' stamps")
		}
		opts = &cp
	}
	p, err := prepare(ctx, in.ReaderAt(), in.Size(), job.Output, opts)
	if err == nil {
		// The output holds the input's bytes as they were read: if the
		// input changed meanwhile, they are no version of it.
		if err = in.Unchanged(); err != nil {
			p.abort()
			err = fail.Input(err, "sign it again once nothing is writing to it")
		}
	}
	if err != nil {
		res.Status, res.Err = StatusFailed, err
		if ctx.Err() != nil {
			res.Err = runStopped(ctx)
		}
		return res, nil
	}
	return res, p
}

// second signs (waiting for the TSA), checks and commits a prepared file.
func second(ctx context.Context, job Job, o *BatchOptions, res *Result, p *prepared) {
	err := func() (err error) {
		// A panic (reading the signed copy back, extending it) is this
		// file's failure, as in guardedFirst; the temporary file goes below.
		defer func() {
			if v := recover(); v != nil {
				err = fail.Recovered(v, debug.Stack())
			}
		}()
		der, err := cmsSign(ctx, p, &o.Options)
		if err != nil {
			return err
		}
		if err := p.finish(der); err != nil {
			return err
		}
		sum, err := selfCheck(ctx, p, o.Key.Cert)
		if err != nil {
			// The check reads the input's objects again: what it refuses
			// there (a damaged form, a limit) is the input's fault.
			err = i18n.Errorf("the signed output failed its own check: %v", err)
			if fail.KindOf(err) == fail.KindNone && ctx.Err() == nil {
				err = fail.Input(err, "")
			}
			return err
		}
		res.SHA256 = sum
		if o.Level == LevelBLT || o.Level == LevelBLTA {
			if o.LTV == nil {
				return fail.Usagef("level %s needs validation data settings", o.Level)
			}
			if err := o.LTV.Extend(ctx, p.tmpPath, o.Level == LevelBLTA); err != nil {
				return err
			}
			if res.SHA256, err = fileSHA256(p.tmpPath); err != nil {
				return err
			}
		}
		if o.Check != nil {
			if err := o.Check(ctx, p.tmpPath); err != nil {
				return i18n.Errorf("the signed output failed verification: %v", err)
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return commit(p.tmp, o.Force)
	}()
	if err != nil {
		p.abort()
		res.Status, res.Err = StatusFailed, err
		if ctx.Err() != nil && fail.KindOf(err) != fail.KindRun {
			res.Err = runStopped(ctx)
		}
		return
	}
	res.Status = StatusSigned
	when := p.when.In(vnZone)
	res.SigningTime = &when
}

// selfCheck reads the finished file back through the verifier, the code
// an auditor's `kyso verify` runs: every signature must be intact, the new
// one must cover the whole file and be signed by the key's certificate, and
// its /Contents must be what was written. Chain and revocation are not
// judged here (that is verification's job, with the unit's trust anchors).
// It returns the file's SHA-256, hashed in the same pass.
func selfCheck(ctx context.Context, p *prepared, cert *x509.Certificate) (string, error) {
	f, err := os.Open(p.tmpPath)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if st.Size() != p.size {
		return "", i18n.Errorf("file is %d bytes, expected %d", st.Size(), p.size)
	}
	rep, err := verify.Verify(ctx, f, st.Size(), verify.Options{Trust: &trust.Store{}, RevocationSoft: true, FileSHA256: true, FileName: p.tmpPath})
	if err != nil {
		return "", err
	}
	if len(rep.Errors) > 0 {
		return "", errors.New(strings.Join(rep.Errors, "; "))
	}
	if len(rep.Signatures) == 0 {
		return "", i18n.Errorf("the verifier finds no signature")
	}
	for _, s := range rep.Signatures {
		if !s.Integrity {
			return "", i18n.Errorf("signature %s is not intact: %s", s.Field, strings.Join(s.Reasons, "; "))
		}
	}
	last := rep.Signatures[len(rep.Signatures)-1]
	sum := sha256.Sum256(cert.Raw)
	switch {
	case last.Covers != "whole":
		return "", i18n.Errorf("the new signature covers %q, not the whole file", last.Covers)
	case last.SignerCertSHA256 != "" && last.SignerCertSHA256 != hex.EncodeToString(sum[:]):
		return "", i18n.Errorf("the new signature is not by the key's certificate")
	case last.Status == verify.Invalid:
		return "", i18n.Errorf("the new signature is invalid: %s", strings.Join(last.Reasons, "; "))
	}
	cEnd := p.contentsAt + int64(2*p.contentsN+2)
	hx := make([]byte, cEnd-p.contentsAt)
	if _, err := f.ReadAt(hx, p.contentsAt); err != nil {
		return "", err
	}
	if !bytes.Equal(hx, p.update[p.contentsAt-p.base:cEnd-p.base]) {
		return "", i18n.Errorf("/Contents on disk is not what was written")
	}
	if rep.SHA256 == "" {
		return "", i18n.Errorf("the verifier did not hash the file")
	}
	return rep.SHA256, nil
}

func fileSHA256(path string) (string, error) {
	sum, _, err := fileutil.SHA256(path)
	return sum, err
}
