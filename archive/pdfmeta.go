package archive

import (
	"encoding/json"
	"time"

	"github.com/kyso-project/kyso/verify"
)

// InfoKey is the document-information key under which `kyso sign --meta`
// writes a result's TTHC metadata (the JSON of Meta), so that a signed file
// describes itself and ingest needs no CSV. Verify reads it back from the
// revision the signature covers.
const InfoKey = verify.MetadataInfoKey

// EventMetadataChanged is the history event of a record whose document had
// its TTHC metadata changed after signing: the record holds the signed
// values, and the event says what the unsigned revision claimed.
const EventMetadataChanged = "metadata-changed"

// signedMeta is the TTHC metadata as signed, from the verifier's report:
// the values of the revision the signature covers, never those a later,
// unsigned revision wrote.
func signedMeta(rep *verify.Report) (Meta, bool) {
	if rep == nil || rep.SignedMetadata == nil {
		return Meta{}, false
	}
	b, err := json.Marshal(rep.SignedMetadata.Fields)
	if err != nil {
		return Meta{}, false
	}
	var m Meta
	if json.Unmarshal(b, &m) != nil || validateMeta(&m) != nil {
		return Meta{}, false
	}
	return m, true
}

// metadataEvents are the history events for the verifier's findings on the
// document's metadata (changed, added or removed after signing; taken from
// a signature that is not valid).
func metadataEvents(rep *verify.Report, at time.Time, actor string) []Event {
	var out []Event
	for _, f := range rep.Findings {
		if f.ID == verify.FindingMetadataChanged || f.ID == verify.FindingMetadataUnvouched {
			out = append(out, Event{Time: at, Type: EventMetadataChanged, Actor: actor,
				Detail: sanitize(f.Message) + "; recorded: the signed values"})
		}
	}
	return out
}

// overlay sets the fields of m that o has.
func (m *Meta) overlay(o Meta) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&m.Dossier, o.Dossier)
	set(&m.Procedure, o.Procedure)
	set(&m.ProcedureName, o.ProcedureName)
	set(&m.Unit, o.Unit)
	set(&m.UnitName, o.UnitName)
	set(&m.Level, o.Level)
	set(&m.Sector, o.Sector)
	set(&m.ResultNumber, o.ResultNumber)
	set(&m.CopyForm, o.CopyForm)
	set(&m.Issued, o.Issued)
}
