package archive

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/verify"
)

// Query selects records; empty fields match everything. From and To are
// issue dates (YYYY-MM-DD), both included.
type Query struct {
	Unit      string
	Procedure string
	Dossier   string
	Signer    string
	Status    verify.Status
	From, To  string
}

// Validate checks the dates.
func (q Query) Validate() error {
	if _, err := time.Parse(time.DateOnly, q.From); q.From != "" && err != nil {
		return fail.UsageWith(i18n.Errorf("start date %q: want a date YYYY-MM-DD", q.From), fail.RemedyDates)
	}
	if _, err := time.Parse(time.DateOnly, q.To); q.To != "" && err != nil {
		return fail.UsageWith(i18n.Errorf("end date %q: want a date YYYY-MM-DD", q.To), fail.RemedyDates)
	}
	if q.From != "" && q.To != "" && q.From > q.To {
		return fail.UsageWith(i18n.Errorf("start date %s is after end date %s", q.From, q.To), fail.RemedyDates)
	}
	return nil
}

func (q Query) match(r *Record) bool {
	if q.Unit != "" && r.Unit != q.Unit || q.Procedure != "" && r.Procedure != q.Procedure ||
		q.Dossier != "" && r.Dossier != q.Dossier || q.Status != "" && r.Status != q.Status {
		return false
	}
	if q.From != "" && (r.Issued == "" || r.Issued < q.From) || q.To != "" && (r.Issued == "" || r.Issued > q.To) {
		return false
	}
	if q.Signer != "" {
		for _, s := range r.Signatures {
			if s.Signer == q.Signer {
				return true
			}
		}
		return false
	}
	return true
}

// scan is one index range: keys from lo while they start with prefix and,
// when dated, while their date part is at most hi.
type scan struct {
	index  []byte
	prefix []byte
	lo     []byte
	hi     []byte // inclusive upper bound of the 8-byte date after prefix
}

// plan picks the index that narrows q the most.
func (q Query) plan() *scan {
	dated := func(index []byte, prefix []byte) *scan {
		s := &scan{index: index, prefix: prefix, lo: prefix}
		if q.From != "" {
			s.lo = append(bytes.Clone(prefix), dateKey(q.From)...)
		}
		if q.To != "" {
			s.hi = dateKey(q.To)
		}
		return s
	}
	switch {
	case q.Dossier != "":
		p := joinKey(q.Dossier)
		return &scan{index: idxDossier, prefix: p, lo: p}
	case q.Unit != "":
		return dated(idxUnit, joinKey(q.Unit))
	case q.Procedure != "":
		return dated(idxProcedure, joinKey(q.Procedure))
	case q.From != "" || q.To != "":
		return dated(idxIssued, nil)
	case q.Signer != "":
		p := joinKey(q.Signer)
		return &scan{index: idxSigner, prefix: p, lo: p}
	case q.Status != "":
		p := joinKey(string(q.Status))
		return &scan{index: idxStatus, prefix: p, lo: p}
	}
	return nil
}

// List calls fn for every record q selects, in index order (issue date
// within a unit or procedure, ingest order otherwise). The records are
// copies; fn runs inside a read transaction, so it should only write out.
func (c *Catalogue) List(ctx context.Context, q Query, fn func(*Record) error) error {
	if err := q.Validate(); err != nil {
		return err
	}
	return c.view(ctx, func(tx *bolt.Tx) error {
		emit := func(v []byte) error {
			r, err := decodeRecord(v)
			if err != nil {
				return fail.Run(i18n.Errorf("catalogue %s: %v", c.path, err), "")
			}
			if !q.match(r) {
				return nil
			}
			return fn(r)
		}
		records := tx.Bucket(bucketRecords)
		s := q.plan()
		n := 0
		if s == nil {
			cur := records.Cursor()
			for k, v := cur.First(); k != nil; k, v = cur.Next() {
				if n++; n%1024 == 0 && ctx.Err() != nil {
					return ctx.Err()
				}
				if err := emit(v); err != nil {
					return err
				}
			}
			return nil
		}
		cur := tx.Bucket(bucketIdx).Bucket(s.index).Cursor()
		for k, _ := cur.Seek(s.lo); k != nil && bytes.HasPrefix(k, s.prefix); k, _ = cur.Next() {
			if s.hi != nil {
				if len(k) < len(s.prefix)+8 || bytes.Compare(k[len(s.prefix):len(s.prefix)+8], s.hi) > 0 {
					break
				}
			}
			if n++; n%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			v := records.Get(idKey(idOfKey(k)))
			if v == nil {
				return damagef("index %s names record %d, which is not in the catalogue", s.index, idOfKey(k))
			}
			if err := emit(v); err != nil {
				return err
			}
		}
		return nil
	})
}

var (
	reSHA256 = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	reID     = regexp.MustCompile(`^[0-9]{1,19}$`)
)

// Entry is a record with its history, as `show` prints it.
type Entry struct {
	Record  *Record `json:"record"`
	History []Event `json:"history"`
	// HistoryError says how the history chain is broken, if it is.
	HistoryError string `json:"history_error,omitempty"`
}

// Find returns the records ref names: a SHA-256 (current or earlier
// content), a record id, or a dossier code (every version).
func (c *Catalogue) Find(ctx context.Context, ref string) ([]Entry, error) {
	var out []Entry
	err := c.view(ctx, func(tx *bolt.Tx) error {
		var ids []uint64
		if reSHA256.MatchString(ref) {
			if id := lookupSHA(tx, strings.ToLower(ref)); id != 0 {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 && reID.MatchString(ref) {
			if id, err := strconv.ParseUint(ref, 10, 64); err == nil && tx.Bucket(bucketRecords).Get(idKey(id)) != nil {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 && !strings.ContainsRune(ref, 0) {
			p := joinKey(ref)
			cur := tx.Bucket(bucketIdx).Bucket(idxDossier).Cursor()
			for k, _ := cur.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = cur.Next() {
				ids = append(ids, idOfKey(k))
			}
		}
		for _, id := range ids {
			e, err := entry(tx, id)
			if err != nil {
				return fail.Run(i18n.Errorf("catalogue %s: record %d: %v", c.path, id, err), "")
			}
			if e == nil {
				return damagef("index dossier names record %d, which is not in the catalogue", id)
			}
			out = append(out, *e)
		}
		return nil
	})
	if err == nil && len(out) == 0 {
		err = fail.Input(i18n.Errorf("%s: no record is %q", c.path, ref), "give a record id, a SHA-256 or a dossier code; kyso archive ls lists them")
	}
	return out, err
}

func entry(tx *bolt.Tx, id uint64) (*Entry, error) {
	r, err := getRecord(tx, id)
	if err != nil || r == nil {
		return nil, err
	}
	e := &Entry{Record: r}
	raw := rawHistory(tx, id)
	for _, b := range raw {
		var ev Event
		if err := json.Unmarshal(b, &ev); err == nil {
			e.History = append(e.History, ev)
		}
	}
	if err := checkChain(raw, r.HistoryHead); err != nil {
		e.HistoryError = err.Error()
	}
	// The record itself against its hash (the chain is audit's).
	if err := checkStoredHash(tx.Bucket(bucketRecords).Get(idKey(id))); err != nil {
		if e.HistoryError != "" {
			e.HistoryError += "; "
		}
		e.HistoryError += err.Error()
	}
	return e, nil
}
