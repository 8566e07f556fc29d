package archive

import (
	"context"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"os"
	"path/filepath"
	"time"

	"github.com/kyso-project/kyso/internal/fileutil"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/verify"
)

// RenewOptions say which records need fresh archive timestamps and how to
// add them.
type RenewOptions struct {
	// Before is the window: a record is renewed when its protection ends
	// within it.
	Before time.Duration
	// Extend writes to out a copy of in with fresh validation data and a
	// document timestamp appended (sign.LTV.ExtendFile).
	Extend func(ctx context.Context, in, out string) ([]string, error)
}

// RenewStatus is what a renewal did to one record: the status of
// `kyso archive renew --json`. Every result has one of the values below.
type RenewStatus string

// Renew statuses.
const (
	RenewRenewed RenewStatus = "renewed"
	RenewCurrent RenewStatus = "current"
	RenewFailed  RenewStatus = "failed"
)

// RenewResult is the outcome for one record: the contract of
// `kyso archive renew --json`.
type RenewResult struct {
	ID     uint64      `json:"id"`
	Status RenewStatus `json:"status"`
	Reason string      `json:"reason,omitempty"`
	// SHA256 is the record's content after the run.
	SHA256 string `json:"sha256,omitempty"`
	// Until is when the record's newest protection ends.
	Until    *time.Time `json:"until,omitempty"`
	Warnings []string   `json:"warnings,omitempty"`
}

// RenewSummary counts the outcomes.
type RenewSummary struct{ Renewed, Current, Failed int }

// ProtectedUntil is when a record's signatures stop being provable from
// what the document holds: the expiry of the TSA certificate of its newest
// document timestamp; without one, the earliest expiry of the signer's and
// the signature timestamps' certificates. Zero when nothing is known.
func ProtectedUntil(r *Record) time.Time {
	var newest *Signature
	for i := range r.Signatures {
		s := &r.Signatures[i]
		if s.Kind == "document-timestamp" && s.TimestampTime != nil && (newest == nil || s.TimestampTime.After(*newest.TimestampTime)) {
			newest = s
		}
	}
	if newest != nil {
		if newest.TSANotAfter != nil {
			return *newest.TSANotAfter
		}
		if newest.NotAfter != nil {
			return *newest.NotAfter
		}
	}
	var until time.Time
	earlier := func(t *time.Time) {
		if t != nil && (until.IsZero() || t.Before(until)) {
			until = *t
		}
	}
	for _, s := range r.Signatures {
		earlier(s.NotAfter)
		earlier(s.TSANotAfter)
	}
	return until
}

// Renew adds fresh validation data and a document timestamp to every
// record whose protection ends within o.Before. The new bytes become the
// record's current content; the old content stays in the store, listed in
// Record.Earlier, and the history says so. Each record is committed on its
// own, so a crash loses at most the one in hand (its new file is settled
// by the next writer like any pending file).
func (c *Catalogue) Renew(ctx context.Context, o RenewOptions, report func(RenewResult) error) (RenewSummary, error) {
	var sum RenewSummary
	if c.lock == nil {
		return sum, fail.Runf("catalogue %s: opened read-only", c.path)
	}
	if o.Extend == nil {
		return sum, i18n.Errorf("renew: no way to extend documents")
	}
	var recs []*Record
	if err := c.List(ctx, Query{}, func(r *Record) error { recs = append(recs, r); return nil }); err != nil {
		return sum, err
	}
	horizon := c.opts.Now().Add(o.Before)
	for _, r := range recs {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		res := RenewResult{ID: r.ID, SHA256: r.SHA256}
		if until := ProtectedUntil(r); !until.IsZero() {
			u := until
			res.Until = &u
			if until.After(horizon) {
				res.Status = RenewCurrent
				sum.Current++
				if err := emitRenew(report, res); err != nil {
					return sum, err
				}
				continue
			}
		}
		if err := c.renewOne(ctx, r, o, &res); err != nil {
			if fail.KindOf(err) == fail.KindRun || errors.Is(err, context.Canceled) {
				return sum, err
			}
			res.Status, res.Reason = RenewFailed, err.Error()
			sum.Failed++
		} else {
			res.Status = RenewRenewed
			sum.Renewed++
		}
		if err := emitRenew(report, res); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

func emitRenew(report func(RenewResult) error, r RenewResult) error {
	if report == nil {
		return nil
	}
	return report(r)
}

func (c *Catalogue) renewOne(ctx context.Context, r *Record, o RenewOptions, res *RenewResult) error {
	// A record edited outside kyso is refused before a timestamp is
	// bought for it (and checked again in the commit).
	if err := c.view(ctx, func(tx *bolt.Tx) error { _, err := getSoundRecord(tx, r.ID); return err }); err != nil {
		return err
	}
	current, done, err := c.localContent(ctx, r.SHA256)
	if err != nil {
		return i18n.Errorf("stored file: %v; run kyso archive audit", err)
	}
	defer done()
	// The new version is made inside the store's .tmp, so a crash leaves a
	// file that recovery settles, never a stray one elsewhere.
	if err := os.MkdirAll(c.store.tmpDir(), 0o755); err != nil {
		return c.store.fault(err)
	}
	tmp := filepath.Join(c.store.tmpDir(), fmt.Sprintf("in-renew-%d-%d", r.ID, time.Now().UnixNano()))
	warnings, err := o.Extend(ctx, current, tmp)
	res.Warnings = warnings
	if err != nil {
		os.Remove(tmp)
		return err
	}
	newSum, size, err := fileutil.SHA256(tmp)
	if err != nil {
		os.Remove(tmp)
		return c.store.fault(err)
	}
	if err := c.store.syncFile(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	pending, err := c.store.seal(tmp, newSum)
	if err != nil {
		os.Remove(tmp)
		return err
	}
	rep, err := c.opts.Verify(ctx, pending)
	if err != nil {
		c.store.dropPending(pending, newSum)
		return err
	}
	if rep.Status == verify.Invalid {
		c.store.dropPending(pending, newSum)
		return i18n.Errorf("the renewed document does not verify: %s", firstReason(rep))
	}
	if err := c.upload(ctx, []placement{{pending, newSum}}); err != nil {
		return err
	}
	now := c.opts.Now()
	err = c.update(ctx, func(tx *bolt.Tx) error {
		cur, err := getSoundRecord(tx, r.ID)
		if errors.Is(err, ErrDamaged) {
			return err
		}
		if err != nil || cur == nil {
			return i18n.Errorf("record %d vanished: %v", r.ID, err)
		}
		if cur.SHA256 != r.SHA256 {
			return i18n.Errorf("record %d changed during the run", r.ID)
		}
		if err := c.placeAll([]placement{{pending, newSum}}); err != nil {
			return err
		}
		if err := putIndexes(tx, cur, true); err != nil {
			return err
		}
		old := cur.SHA256
		cur.Earlier = append(cur.Earlier, Content{SHA256: cur.SHA256, Size: cur.Size, Until: now})
		cur.SHA256, cur.Size = newSum, size
		cur.Status, cur.VerifiedAt, cur.Signatures = rep.Status, verdictTime(rep, now), summarise(rep)
		detail := fmt.Sprintf("validation data and document timestamp added: %s -> %s (the old version is kept); verdict %s", old, newSum, rep.Status)
		if err := appendEvent(tx, cur, Event{Time: now, Type: EventRenewed, Actor: c.opts.Actor, Detail: detail}); err != nil {
			return err
		}
		if err := putRecord(tx, cur); err != nil {
			return err
		}
		return putIndexes(tx, cur, false)
	})
	if err != nil {
		// The pending name stays for the next writer to settle.
		return err
	}
	c.store.dropPending(pending, newSum)
	res.SHA256 = newSum
	if until := ProtectedUntil(&Record{Signatures: summarise(rep)}); !until.IsZero() {
		res.Until = &until
	}
	return nil
}
