package archive

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/trust"
)

// editBagRecords rewrites data/records.jsonl of an unsigned bag through
// edit (one call per record), recomputing each record's record_hash when
// rehash is set, and makes both manifests agree: what a forger with a text
// editor and sha256sum does.
func editBagRecords(t *testing.T, bag string, rehash bool, edit func(*Record)) {
	t.Helper()
	recs := filepath.Join(bag, filepath.FromSlash(bagRecords))
	b, err := os.ReadFile(recs)
	if err != nil {
		t.Fatal(err)
	}
	old := sha256.Sum256(b)
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var l bagLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		edit(l.Record)
		if rehash {
			rh, err := computeRecordHash(l.Record)
			if err != nil {
				t.Fatal(err)
			}
			l.Record.RecordHash = hex.EncodeToString(rh[:])
		}
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(recs, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	now := sha256.Sum256(out.Bytes())
	rewriteTag(t, bag, "manifest-sha256.txt", func(m []byte) []byte {
		return bytes.Replace(m, fmt.Appendf(nil, "%x", old), fmt.Appendf(nil, "%x", now), 1)
	}, true)
}

// TestImportMetadataClaims: the dossier code and issue date of a bag's
// records are claims. An edit that leaves record_hash stale is refused
// record by record; an edit with a recomputed record_hash is caught for
// the fields the document signs (the signed values are recorded, the
// mismatch reported and put in the history) and kept, marked as the bag's
// claim, for the fields it does not sign (issue 12).
func TestImportMetadataClaims(t *testing.T) {
	p := testpki.Shared(t)
	roots := &trust.Store{Roots: []*x509.Certificate{p.Root.Cert}}
	key := &keys.Key{Signer: p.Signer.Key, Cert: p.Signer.Cert, Chain: p.Chain(), Description: "test key"}
	dir := t.TempDir()
	signedMeta := Meta{Dossier: "H26.TEST-2026-0001", Procedure: "1.001193", Unit: testUnit.Code, Issued: "2026-01-10"}
	b, _ := json.Marshal(signedMeta)
	withMeta := filepath.Join(dir, "with-meta.pdf")
	signFile(t, key, filepath.Join("..", "testdata", "pdf", "simple.pdf"), withMeta, map[string]string{InfoKey: string(b)})
	plain := filepath.Join(dir, "plain.pdf")
	signFile(t, key, filepath.Join("..", "testdata", "pdf", "rotated.pdf"), plain, nil)
	csvMeta := Meta{Dossier: "H26.TEST-2026-0002", Procedure: "1.001193", Issued: "2026-01-11"}

	o := testOptions()
	o.Verify = realVerifier(roots)
	src, err := Create(context.Background(), filepath.Join(dir, "source.db"), testUnit, o)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, sum := ingest(t, src, []string{withMeta, plain}, IngestOptions{Meta: map[string]Meta{"plain.pdf": csvMeta}}); sum.Ingested != 2 {
		t.Fatalf("source ingest: %+v", sum)
	}
	export := func() string { return exportBag(t, src) }
	forge := func(r *Record) {
		switch r.Name {
		case "with-meta.pdf":
			r.Dossier, r.Issued = "H26.TEST-2026-0999", "2026-03-01"
		case "plain.pdf":
			r.Dossier, r.Issued = "H26.TEST-2026-0888", "2026-03-02"
		}
	}

	// Edited without a new record_hash: both records refused.
	bag := export()
	editBagRecords(t, bag, false, forge)
	c := districtCatalogue(t, realVerifier(roots))
	sum, res, err := importBag(t, c, bag, ImportOptions{Trust: roots})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 0 || sum.Rejected != 2 {
		t.Fatalf("stale record_hash: %+v %+v", sum, res)
	}
	for _, r := range res {
		if !strings.Contains(r.Reason, "does not match its record_hash") {
			t.Errorf("reason %q", r.Reason)
		}
	}

	// Edited with a recomputed record_hash.
	bag = export()
	editBagRecords(t, bag, true, forge)
	c = districtCatalogue(t, realVerifier(roots))
	sum, res, err = importBag(t, c, bag, ImportOptions{Trust: roots})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 2 || sum.Mismatched != 1 {
		t.Fatalf("import: %+v %+v", sum, res)
	}
	sumOf := func(path string) string { s, _ := hashFile(path); return s }
	if mm := strings.Join(res[sumOf(withMeta)].Mismatches, "\n"); !strings.Contains(mm, `dossier_code: the bag says "H26.TEST-2026-0999", the document signs "H26.TEST-2026-0001"`) ||
		!strings.Contains(mm, `issued_date: the bag says "2026-03-01", the document signs "2026-01-10"`) {
		t.Errorf("mismatches %q", mm)
	}
	if es, _ := c.Find(t.Context(), "H26.TEST-2026-0999"); len(es) != 0 {
		t.Errorf("the forged dossier code was recorded")
	}
	es, err := c.Find(t.Context(), signedMeta.Dossier)
	if err != nil || len(es) != 1 {
		t.Fatalf("find %s: %v %d", signedMeta.Dossier, err, len(es))
	}
	if got := es[0].Record.Meta; got.Issued != signedMeta.Issued {
		t.Errorf("recorded %+v, want the signed %+v", got, signedMeta)
	}
	events := func(e Entry) string {
		var s []string
		for _, ev := range e.History {
			s = append(s, ev.Type+": "+ev.Detail)
		}
		return strings.Join(s, "\n")
	}
	h := events(es[0])
	if !strings.Contains(h, `metadata-changed: the bag's record differs from the signed metadata: dossier_code: the bag says "H26.TEST-2026-0999", the document signs "H26.TEST-2026-0001"`) ||
		!strings.Contains(h, "signed in the document: dossier_code, issued_date, procedure_code, unit_code") {
		t.Errorf("history:\n%s", h)
	}
	// The field the document does not sign stays the bag's claim, marked so.
	es, err = c.Find(t.Context(), "H26.TEST-2026-0888")
	if err != nil || len(es) != 1 {
		t.Fatalf("find the claimed dossier: %v %d", err, len(es))
	}
	if h := events(es[0]); !strings.Contains(h, "stated by the bag only (unsigned): dossier_code, issued_date, level, procedure_code, unit_code, unit_name") {
		t.Errorf("history:\n%s", h)
	}
	rep, err := c.VerifyChain(context.Background(), ChainOptions{})
	if err != nil || !rep.OK() {
		t.Fatalf("chain after import: %+v %v", rep, err)
	}
}

// TestImportReformattedBag: a bag whose records.jsonl was re-indented (by
// jq or an editor; manifests recomputed) imports, its histories intact:
// white space between tokens is not part of an event. An escape changed
// inside an event still breaks its chain.
func TestImportReformattedBag(t *testing.T) {
	_, src := sampleCatalogue(t)
	bag := exportBag(t, src)
	recs := filepath.Join(bag, filepath.FromSlash(bagRecords))
	rewrite := func(edit func(line []byte) []byte) {
		b, err := os.ReadFile(recs)
		if err != nil {
			t.Fatal(err)
		}
		old := sha256.Sum256(b)
		var out bytes.Buffer
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			out.Write(edit(line))
			out.WriteByte('\n')
		}
		os.WriteFile(recs, out.Bytes(), 0o644)
		now := sha256.Sum256(out.Bytes())
		rewriteTag(t, bag, "manifest-sha256.txt", func(m []byte) []byte {
			return bytes.Replace(m, fmt.Appendf(nil, "%x", old), fmt.Appendf(nil, "%x", now), 1)
		}, true)
	}
	rewrite(func(line []byte) []byte {
		var b bytes.Buffer
		if err := json.Indent(&b, line, "", "    "); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	})
	c := districtCatalogue(t, stubVerify)
	sum, res, err := importBag(t, c, bag, ImportOptions{})
	if err != nil || sum.Imported != 5 || sum.Rejected != 0 {
		t.Fatalf("reformatted bag: %+v %v %+v", sum, err, res)
	}
	if rep, err := c.VerifyChain(context.Background(), ChainOptions{}); err != nil || !rep.OK() {
		t.Fatalf("chain after import: %+v %v", rep, err)
	}

	// An event's text changed (the actor), the record untouched: the
	// history no longer chains, the record is rejected.
	bag = exportBag(t, src)
	recs = filepath.Join(bag, filepath.FromSlash(bagRecords))
	rewrite(func(line []byte) []byte {
		return bytes.Replace(line, []byte(`"tester@test"`), []byte(`"forger@test"`), 1)
	})
	c = districtCatalogue(t, stubVerify)
	sum, _, err = importBag(t, c, bag, ImportOptions{})
	if err != nil || sum.Rejected != 5 || sum.Imported != 0 {
		t.Fatalf("edited events: %+v %v", sum, err)
	}
}
