// Package verify reaches an auditor's verdict on a signed PDF: for each
// signature and document timestamp, whether the signed bytes are intact,
// who signed and when (claimed, and proven by a timestamp), whether the
// certificate chains to a trusted root and was not revoked at that time, and
// what later revisions changed; and one verdict for the file.
//
// It fails closed: anything it cannot establish makes the verdict
// indeterminate, anything it can refute makes it invalid, and a damaged or
// hostile input is an invalid Report with the reason, never a panic.
package verify

import (
	"context"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
)

// Options say what to trust and how far to look.
type Options struct {
	// Trust holds the trust anchors; nil means the system roots.
	Trust *trust.Store
	// Fetcher fetches OCSP responses and CRLs; nil, or one set Offline,
	// means only the revocation data embedded in the file is used.
	Fetcher *revocation.Fetcher
	// RevocationSoft turns an unknown revocation status into a warning
	// instead of an indeterminate verdict.
	RevocationSoft bool
	// LevelAsWritten reports Signature.Level as the file's structure has it
	// (a verified signature timestamp counts for B-T even when its TSA is
	// not trusted). For signing's re-run check, which asks "is this what
	// kyso wrote", never for a verdict: without it only a timestamp from a
	// trusted TSA raises the level.
	LevelAsWritten bool
	// At evaluates as of this time (zero: now).
	At time.Time
	// Lang ("vi" or "en") is carried for whoever renders the Report (Text,
	// WriteHTML); reasons and warnings stay English, as the JSON contract is.
	Lang string
	// FileName is reported as Report.File.
	FileName string
	// FileSHA256 fills Report.SHA256, hashed in the same single pass that
	// hashes the signed ranges.
	FileSHA256 bool
	// Policy is the validation policy; nil means DefaultPolicy().
	Policy *Policy
	// Basis names the configuration the caller read; Verify adds the
	// trust anchors and the policy and puts it in Report.Basis.
	Basis *Basis
}

// VerifyFile opens path and verifies it.
func VerifyFile(ctx context.Context, path string, o Options) (*Report, error) {
	if o.FileName == "" {
		o.FileName = path
	}
	f, err := fileutil.OpenRegular(path)
	if err != nil {
		return nil, fail.Input(i18n.Errorf("%s: %v", path, fileutil.UnwrapPath(err)), "")
	}
	defer f.Close()
	rep, err := Verify(ctx, f.ReaderAt(), f.Size(), o)
	if err == nil {
		err = f.Unchanged()
	}
	if err != nil {
		if errors.Is(err, fileutil.ErrChanged) {
			// A verdict on bytes that were changing is no verdict.
			return nil, fail.Input(i18n.Errorf("%s: %v", path, err), "verify it again once nothing is writing to it")
		}
		return nil, err
	}
	return rep, nil
}

// Verify judges the PDF of size bytes in r. The error is only for I/O
// failures and cancellation; a bad PDF is an invalid Report with Errors.
func Verify(ctx context.Context, r io.ReaderAt, size int64, o Options) (rep *Report, err error) {
	now := o.At
	if now.IsZero() {
		now = time.Now()
	}
	rep = &Report{File: o.FileName, Size: size, CheckedAt: now.UTC().Truncate(time.Second),
		Warnings: []string{}, Errors: []string{}, Signatures: []Signature{}}
	defer func() {
		if p := recover(); p != nil {
			// A panic is a bug in kyso, but one hostile file must not stop a
			// batch: the file gets an invalid verdict naming the failure.
			rep.Status = Invalid
			rep.Errors = append(rep.Errors, fmt.Sprintf("internal error while verifying (please report it): %v", p))
			err = nil
		}
	}()
	// one network budget for every fetch made while judging this file
	v := &verifier{ctx: revocation.PerFile(ctx), ra: r, size: size, o: o, now: now, rep: rep, crls: &revocation.CRLCache{}, ocsps: &revocation.OCSPCache{}}
	if err := v.run(); err != nil {
		return nil, err
	}
	return rep, nil
}

// verifier holds the state of one file's verification.
type verifier struct {
	ctx  context.Context
	ra   io.ReaderAt
	size int64
	o    Options
	now  time.Time
	rep  *Report

	r    *pdf.Reader
	sigs []*sigState
	dss  *dssInfo
	// revClass is the worst change class seen in each revision.
	revClass map[int]ChangeClass
	// crls keeps the file's parsed CRLs (headers and signature checks,
	// never their entries) for every revocation check of the file.
	crls *revocation.CRLCache
	// ocsps keeps the file's OCSP responses read (each decoded and
	// indexed once, MaxOCSPStatusesPerFile statuses at most).
	ocsps *revocation.OCSPCache
	// chains builds the file's certificate paths: its pools indexed once,
	// its signature checks remembered, its work bounded (MaxChainWork).
	chains *trust.Session
}

func (v *verifier) fileError(format string, a ...any) {
	v.rep.Errors = append(v.rep.Errors, v.fileFinding(string(Invalid), format, a...))
}

func (v *verifier) run() error {
	r, err := pdf.NewReader(v.ra, v.size)
	if err != nil {
		if isIOError(err) {
			return err
		}
		v.fileError("not a readable PDF: %v", err)
		v.finish()
		return nil
	}
	v.r = r
	for _, rv := range r.Revisions() {
		v.rep.Revisions = append(v.rep.Revisions, Revision{Index: rv.Index, End: rv.End})
	}
	if _, enc := r.Trailer()["Encrypt"]; enc {
		v.rep.Warnings = append(v.rep.Warnings, v.fileFinding("warning", "the document is encrypted: kyso judges its signatures but cannot read its encrypted text (field names may show garbled)"))
	}
	locs, warns, errs, err := findSignatures(v.ctx, r)
	if err != nil {
		return err
	}
	v.rep.Warnings = append(v.rep.Warnings, warns...)
	v.rep.Errors = append(v.rep.Errors, errs...)
	if len(locs) == 0 {
		if len(errs) == 0 {
			v.fileError("the document has no signature")
		}
		v.finish()
		return v.digest() // the file's own SHA-256, when asked for
	}
	v.dss = readDSS(v.r)
	for _, l := range locs {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		s, err := v.prepare(l)
		if err != nil {
			return err
		}
		v.sigs = append(v.sigs, s)
	}
	// Signing order: a signature covers less of the file than the ones
	// made after it.
	sort.SliceStable(v.sigs, func(i, j int) bool { return v.sigs[i].order() < v.sigs[j].order() })
	for i, s := range v.sigs {
		s.out.Index = i
	}
	if err := v.digest(); err != nil {
		return err
	}
	for _, s := range v.sigs {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		v.checkIntegrity(s)
	}
	// Newest first, so each document timestamp's proof is known before the
	// older signatures that lean on it.
	for i := len(v.sigs) - 1; i >= 0; i-- {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		v.validate(v.sigs[i])
	}
	for _, s := range v.sigs {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		v.changes(s)
	}
	if err := v.ctx.Err(); err != nil {
		return err
	}
	v.signedMetadata()
	v.finish()
	return v.ctx.Err()
}

// digest hashes every signature's ranges in one pass over the file.
func (v *verifier) digest() error {
	var jobs []*digestJob
	var whole *digestJob
	if v.o.FileSHA256 {
		// first, so that it is always within the budget
		whole = &digestJob{ranges: [][2]int64{{0, v.size}}}
		whole.want(crypto.SHA256)
		jobs = append(jobs, whole)
	}
	for _, s := range v.sigs { // in signing order
		if s.job != nil {
			jobs = append(jobs, s.job)
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	if _, err := digestRanges(v.ctx, v.ra, v.size, jobs, hashBudget(v.r.Limits(), v.size)); err != nil {
		return i18n.Errorf("reading %s: %v", v.o.FileName, err)
	}
	if whole != nil {
		v.rep.SHA256 = hex.EncodeToString(whole.sums[crypto.SHA256])
	}
	return nil
}

// finish sets the file's verdict from its signatures: the worst of them,
// and invalid when the file itself has errors.
func (v *verifier) finish() {
	rep := v.rep
	if v.r != nil {
		// A budget spent part way makes every later lookup fail: what
		// was concluded from them cannot stand.
		if err := v.r.Err(); err != nil && !mentions(rep.Errors, err.Error()) {
			rep.Errors = append(rep.Errors, "the file goes over a limit: "+err.Error())
		}
	}
	st := Valid
	if len(rep.Errors) > 0 {
		st = Invalid
	}
	for _, s := range v.sigs {
		s.conclude()
		st = worse(st, s.out.Status)
	}
	if len(v.sigs) > 0 {
		rep.Signatures = rep.Signatures[:0]
		for _, s := range v.sigs {
			rep.Signatures = append(rep.Signatures, s.out)
			for _, w := range s.out.Warnings {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("signature %d (%s): %s", s.out.Index+1, s.label(), w))
			}
		}
	}
	if len(rep.Signatures) == 0 && len(rep.Errors) == 0 {
		rep.Errors = append(rep.Errors, v.fileFinding(string(Invalid), "the document has no signature"))
		st = Invalid
	}
	rep.Status = st
	v.collectFindings()
	rep.Basis = v.basis()
}

// mentions reports whether one of msgs contains s.
func mentions(msgs []string, s string) bool {
	for _, m := range msgs {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

func worse(a, b Status) Status {
	rank := func(s Status) int {
		switch s {
		case Invalid:
			return 2
		case Indeterminate:
			return 1
		case Valid:
			return 0
		}
		return 2
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// isIOError tells a failure to read the input (which aborts) from a
// malformed file (which is a verdict).
func isIOError(err error) bool {
	var pe *os.PathError
	return errors.As(err, &pe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func sanitize(s string) string {
	return strings.ToValidUTF8(cleanText(s), "\uFFFD")
}
