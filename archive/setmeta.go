package archive

import (
	"context"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
)

// EventMetaChanged is the history event of `kyso archive set-meta`.
const EventMetaChanged = "meta-changed"

// MetaChange sets the non-empty fields of Meta on the records Ref names: a
// record id, a SHA-256 or a dossier code (every version), or, with ByName,
// the records ingested from a file of that base name.
type MetaChange struct {
	Ref    string
	ByName bool
	Meta   Meta
}

// SetMetaResult is the outcome for one record: the contract of
// `kyso archive set-meta --json`.
type SetMetaResult struct {
	Ref     string        `json:"ref"`
	ID      uint64        `json:"id"`
	Status  SetMetaStatus `json:"status"`
	Changes []string      `json:"changes,omitempty"`
}

// SetMetaStatus says whether set-meta changed a record: the status of
// `kyso archive set-meta --json`. Every result has one of the values below.
type SetMetaStatus string

// SetMeta statuses.
const (
	SetMetaChanged   SetMetaStatus = "changed"
	SetMetaUnchanged SetMetaStatus = "unchanged"
)

// SetMeta corrects the metadata of records already in the catalogue (an
// issue date that was missing at ingest, a wrong procedure code). Each
// changed record gets a history event saying what changed from what; its
// index keys move in the same transaction. A ref that names no record is an
// input error and nothing is changed.
func (c *Catalogue) SetMeta(ctx context.Context, changes []MetaChange) ([]SetMetaResult, error) {
	if c.lock == nil {
		return nil, fail.Runf("catalogue %s: opened read-only", c.path)
	}
	for _, ch := range changes {
		if err := validateMeta(&ch.Meta); err != nil {
			return nil, fail.Input(i18n.Errorf("%s: %v", ch.Ref, err), "")
		}
	}
	targets := make([][]uint64, len(changes))
	var byName map[string][]uint64
	for i, ch := range changes {
		if ch.ByName {
			if byName == nil {
				byName = map[string][]uint64{}
				if err := c.List(ctx, Query{}, func(r *Record) error {
					byName[r.Name] = append(byName[r.Name], r.ID)
					return nil
				}); err != nil {
					return nil, err
				}
			}
			targets[i] = byName[ch.Ref]
			if len(targets[i]) == 0 {
				return nil, fail.Input(i18n.Errorf("%s: no record was ingested from a file named %q", c.path, ch.Ref), "kyso archive ls lists the records and their file names")
			}
			continue
		}
		entries, err := c.Find(ctx, ch.Ref)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			targets[i] = append(targets[i], e.Record.ID)
		}
	}
	var out []SetMetaResult
	err := c.update(ctx, func(tx *bolt.Tx) error {
		out = out[:0]
		now := c.opts.Now()
		for i, ch := range changes {
			for _, id := range targets[i] {
				// A record edited outside kyso is refused, not built on.
				r, err := getSoundRecord(tx, id)
				if err != nil {
					return err
				}
				if r == nil {
					return damagef("record %d, found a moment ago, is not in the catalogue", id)
				}
				m := r.Meta
				m.overlay(ch.Meta)
				diff := metaDiff(r.Meta, m)
				res := SetMetaResult{Ref: ch.Ref, ID: id, Status: SetMetaUnchanged}
				if len(diff) > 0 {
					if err := putIndexes(tx, r, true); err != nil {
						return err
					}
					if m.Dossier != r.Dossier {
						r.Version = countPrefix(tx.Bucket(bucketIdx).Bucket(idxDossier), joinKey(m.Dossier)) + 1
					}
					r.Meta = m
					if err := appendEvent(tx, r, Event{Time: now, Type: EventMetaChanged, Actor: c.opts.Actor, Detail: strings.Join(diff, "; ")}); err != nil {
						return err
					}
					if err := putRecord(tx, r); err != nil {
						return err
					}
					if err := putIndexes(tx, r, false); err != nil {
						return err
					}
					res.Status, res.Changes = SetMetaChanged, diff
				}
				out = append(out, res)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// metaDiff lists the fields that differ, as `field: "old" -> "new"`.
func metaDiff(a, b Meta) []string {
	var out []string
	for _, f := range []struct{ name, a, b string }{
		{"dossier_code", a.Dossier, b.Dossier}, {"procedure_code", a.Procedure, b.Procedure},
		{"procedure_name", a.ProcedureName, b.ProcedureName}, {"sector", a.Sector, b.Sector},
		{"unit_code", a.Unit, b.Unit}, {"unit_name", a.UnitName, b.UnitName}, {"level", a.Level, b.Level},
		{"result_number", a.ResultNumber, b.ResultNumber}, {"copy_form", a.CopyForm, b.CopyForm},
		{"issued_date", a.Issued, b.Issued},
	} {
		if f.a != f.b {
			out = append(out, fmt.Sprintf("%s: %q -> %q", f.name, f.a, f.b))
		}
	}
	return out
}
