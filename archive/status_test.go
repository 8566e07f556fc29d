package archive

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/verify"
)

// The statuses are typed, but their JSON is the words of the CLI contract
// and of existing catalogues and bags: a rename of a constant's value
// breaks both.
func TestStatusWireValues(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{IngestResult{Status: StatusIngested}, `"status":"ingested"`},
		{IngestResult{Status: StatusDuplicate}, `"status":"duplicate"`},
		{IngestResult{Status: StatusRejected}, `"status":"rejected"`},
		{AuditResult{Status: FixityOK}, `"status":"ok"`},
		{AuditResult{Status: FixityMissing}, `"status":"missing"`},
		{AuditResult{Status: FixityCorrupt}, `"status":"corrupt"`},
		{AuditResult{Status: FixityInvalid}, `"status":"invalid"`},
		{Record{Fixity: FixityCorrupt}, `"fixity":"corrupt"`},
		{ImportResult{Status: ImportImported}, `"status":"imported"`},
		{ImportResult{Status: ImportDuplicate}, `"status":"duplicate"`},
		{ImportResult{Status: ImportRejected}, `"status":"rejected"`},
		{RenewResult{Status: RenewRenewed}, `"status":"renewed"`},
		{RenewResult{Status: RenewCurrent}, `"status":"current"`},
		{RenewResult{Status: RenewFailed}, `"status":"failed"`},
		{SetMetaResult{Status: SetMetaChanged}, `"status":"changed"`},
		{SetMetaResult{Status: SetMetaUnchanged}, `"status":"unchanged"`},
	} {
		b, err := json.Marshal(tt.v)
		if err != nil || !strings.Contains(string(b), tt.want) {
			t.Errorf("%T: %s %v, want %s", tt.v, b, err, tt.want)
		}
	}
	if b, _ := json.Marshal(Record{}); strings.Contains(string(b), "fixity") {
		t.Errorf("a record never audited says %s", b)
	}
	for _, s := range []FixityStatus{FixityOK, FixityMissing, FixityCorrupt, FixityInvalid} {
		if !s.Known() {
			t.Errorf("%q is not known", s)
		}
	}
	for _, s := range []FixityStatus{FixityUnaudited, "OK", "fine"} {
		if s.Known() {
			t.Errorf("%q is known", s)
		}
	}
}

// A record whose verdict or fixity is a word kyso does not write is a
// finding of archive check: the report counts by the verdict and an audit
// decides by the fixity.
func TestCheckReportsUnknownStatuses(t *testing.T) {
	path, c := sampleCatalogue(t)
	c.Close()
	updateBolt(t, path, func(tx *bolt.Tx) error {
		r, err := getRecord(tx, 1)
		if err != nil {
			return err
		}
		r.Status, r.Fixity = "VALID", "fine"
		v, err := encodeRecord(r)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketRecords).Put(idKey(1), v)
	})
	var problems []string
	if _, err := Check(context.Background(), path, testOptions(), func(p Problem) error {
		if p.Check == "records" && p.Record == 1 {
			problems = append(problems, p.Problem)
		}
		return nil
	}); err == nil {
		t.Fatal("check passed over unknown statuses")
	}
	got := strings.Join(problems, " | ")
	for _, want := range []string{`status "VALID" is not a verdict`, `fixity "fine" is not an audit status`} {
		if !strings.Contains(got, want) {
			t.Errorf("records problems %q lack %s", got, want)
		}
	}
}

// A bag's record that claims a verdict that is no verdict is refused, and
// the word is not passed on as its claim; a record that claims nothing is
// judged as any other.
func TestImportRefusesUnknownClaim(t *testing.T) {
	_, src := sampleCatalogue(t)
	bag := exportBag(t, src)
	claims := map[string]verify.Status{}
	n := 0
	editBagRecords(t, bag, true, func(r *Record) {
		switch n++; n {
		case 1:
			r.Status = "trusted\x1b[2J"
		case 2:
			r.Status = ""
		}
		claims[r.SHA256] = r.Status
	})
	c := districtCatalogue(t, stubVerify)
	sum, res, err := importBag(t, c, bag, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rejected != 1 || sum.Imported != len(claims)-1 {
		t.Fatalf("import: %+v %+v", sum, res)
	}
	for sha, claim := range claims {
		r := res[sha]
		switch claim {
		case "trusted\x1b[2J":
			if r.Status != ImportRejected || r.Claimed != "" || !strings.Contains(r.Reason, `status "trusted\x1b[2J", which is not a verdict`) {
				t.Errorf("unknown claim: %+v", r)
			}
		case "":
			if r.Status != ImportImported || r.Claimed != "" || r.Verdict != verify.Valid {
				t.Errorf("no claim: %+v", r)
			}
		default:
			if r.Status != ImportImported || r.Claimed != claim {
				t.Errorf("claim %s: %+v", claim, r)
			}
		}
	}
}
