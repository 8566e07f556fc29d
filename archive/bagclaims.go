package archive

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kyso-project/kyso/verify"
)

// The records of a bag are claims (issue 12). Each one carries the
// record_hash its catalogue computed; import recomputes it over the record
// as the bag states it, and refuses a record whose hash does not match: it
// was edited after export. The hash has no key, so whoever edits a record
// can recompute it too: it catches a careless edit, a signed bag catches an
// edit by someone without the sender's key, and the TTHC metadata the
// document itself signs is compared with the record whatever the bag says.

// checkBagRecordHash says why a bag's record cannot be believed to be what
// its catalogue wrote ("" when its record_hash matches). Bags of schema 1
// catalogues carry no record hashes.
func checkBagRecordHash(r *Record, schema int) string {
	if r.RecordHash == "" {
		if schema < 2 {
			return ""
		}
		return "the record has no record_hash: it was edited after export"
	}
	rh, err := computeRecordHash(r)
	if err != nil {
		return "the record cannot be hashed: " + err.Error()
	}
	if got := hex.EncodeToString(rh[:]); !strings.EqualFold(got, r.RecordHash) {
		return fmt.Sprintf("the record does not match its record_hash (%.12s..., recomputed %.12s...): it was edited after export", r.RecordHash, got)
	}
	return ""
}

// metaFields is m as its JSON members (the fields set).
func metaFields(m Meta) map[string]string {
	b, _ := json.Marshal(m)
	var out map[string]string
	json.Unmarshal(b, &out)
	return out
}

// importMeta decides the metadata of an imported record from the bag's
// claim and the fresh verdict, as ingest does: the values the document
// signs (signedMeta) win over the bag's; the bag's other fields are kept as
// claims. It returns the metadata to record, the mismatches between the
// bag and the signed values, and which fields are signed and which only
// claimed by the bag.
func importMeta(claimed Meta, rep *verify.Report) (m Meta, mismatches, signed, unsigned []string) {
	m = claimed
	sm, ok := signedMeta(rep)
	sf := map[string]string{}
	if ok {
		sf = metaFields(sm)
		m.overlay(sm)
	}
	cf := metaFields(claimed)
	for _, k := range fieldNames(sf) {
		signed = append(signed, k)
		if cf[k] != sf[k] {
			mismatches = append(mismatches, fmt.Sprintf("%s: the bag says %q, the document signs %q", k, sanitize(cf[k]), sanitize(sf[k])))
		}
	}
	for _, k := range fieldNames(cf) {
		if _, s := sf[k]; !s {
			unsigned = append(unsigned, k)
		}
	}
	return m, mismatches, signed, unsigned
}

func fieldNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// importMetaEvents are the history events of an imported record's
// metadata: the verifier's (changed after signing ...), as ingest writes
// them, and one for the bag's claims that the signed values overrode.
func importMetaEvents(rep *verify.Report, mismatches []string, at time.Time, actor string) []Event {
	out := metadataEvents(rep, at, actor)
	if len(mismatches) > 0 {
		out = append(out, Event{Time: at, Type: EventMetadataChanged, Actor: actor,
			Detail: "the bag's record differs from the signed metadata: " + strings.Join(mismatches, "; ") + "; recorded: the signed values"})
	}
	return out
}

// metaOrigin says, for the import event, where the record's metadata comes
// from: the fields the document signs, and those only the bag states (with
// who signed the bag, if anyone did).
func metaOrigin(signed, unsigned []string, sender *BagSender) string {
	var parts []string
	if len(signed) > 0 {
		parts = append(parts, "signed in the document: "+strings.Join(signed, ", "))
	}
	if len(unsigned) > 0 {
		parts = append(parts, "stated by the bag only ("+senderText(sender)+"): "+strings.Join(unsigned, ", "))
	}
	if len(parts) == 0 {
		return "metadata: none"
	}
	return "metadata " + strings.Join(parts, "; ")
}

// compactHistory removes the white space a reformatting tool (jq, an
// editor) put between the tokens of a bag's history events. Events are
// hash-chained over their exact bytes, and kyso stores them compact, so
// this gives back the bytes that were exported when only white space
// changed; any other change (escapes, member order) still breaks the
// chain, and the record is rejected.
func compactHistory(events []json.RawMessage) {
	for i, ev := range events {
		var b bytes.Buffer
		if json.Compact(&b, ev) == nil {
			events[i] = b.Bytes()
		}
	}
}
