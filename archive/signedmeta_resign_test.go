package archive

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/sign"
)

// signFile signs in into out with key (B-B), through the sign package as
// `kyso sign` does, writing meta when given.
func signFile(t *testing.T, key *keys.Key, in, out string, meta map[string]string) {
	t.Helper()
	var res []*sign.Result
	err := sign.Batch(context.Background(), []sign.Job{{Input: in, Output: out}},
		sign.BatchOptions{Options: sign.Options{Key: key, Level: sign.LevelBB, Metadata: meta}}, func(r *sign.Result) { res = append(res, r) })
	if err != nil || len(res) != 1 || res[0].Status != sign.StatusSigned {
		t.Fatalf("signing %s: %v %+v", in, err, res)
	}
}

// TestIngestSwappedMetadataResigned: kyso sign --meta, then an incremental
// update swaps the dossier and the issue date, then the file is signed
// again. Signed by an attacker's certificate (a root nobody trusts), the
// record keeps the first signer's values and its history names the swap;
// signed again by the unit's own valid key, the record takes the newer
// signed values and its history still names the change (issue 12).
func TestIngestSwappedMetadataResigned(t *testing.T) {
	p := testpki.Shared(t)
	dir := t.TempDir()
	signedMeta := Meta{Dossier: "H26.TEST-2026-0001", Procedure: "1.001193", Unit: testUnit.Code, Issued: "2026-01-10"}
	swapped := signedMeta
	swapped.Dossier, swapped.Issued = "H26.TEST-2026-0999", "2026-02-01"
	// What kyso sign --meta writes: the row's JSON under InfoKey.
	asMap := func(m Meta) map[string]string {
		b, _ := json.Marshal(m)
		return map[string]string{InfoKey: string(b)}
	}
	unitKey := &keys.Key{Signer: p.Signer.Key, Cert: p.Signer.Cert, Chain: p.Chain(), Description: "test key"}
	// The unit's second key (the same unit, trusted): kyso sign skips a
	// file the same key already signed.
	unitKey2 := &keys.Key{Signer: p.SignerEC.Key, Cert: p.SignerEC.Cert, Chain: p.Chain(), Description: "test key EC"}
	attackerKey := &keys.Key{Signer: p.Attacker.Key, Cert: p.Attacker.Cert, Chain: []*x509.Certificate{p.AttackerRoot.Cert}, Description: "attacker"}

	first := filepath.Join(dir, "first.pdf")
	signFile(t, unitKey, filepath.Join("..", "testdata", "pdf", "simple.pdf"), first, asMap(signedMeta))
	doc, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	doc, err = attackgen.Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
		b, _ := json.Marshal(swapped)
		u.Trailer = pdf.Dict{"Info": u.Add(pdf.Dict{pdf.Name(InfoKey): pdf.Str(string(b))})}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(dir, "edited.pdf")
	if err := os.WriteFile(edited, doc, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		key  *keys.Key
		want Meta
	}{
		{"attacker", attackerKey, signedMeta},
		{"unit", unitKey2, swapped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, tc.name+".pdf")
			signFile(t, tc.key, edited, in, nil)
			o := testOptions()
			o.Verify = realVerifier(&trust.Store{Roots: []*x509.Certificate{p.Root.Cert}})
			c, err := Create(context.Background(), filepath.Join(dir, "kyso.db"), testUnit, o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			res, sum := ingest(t, c, []string{in}, IngestOptions{})
			if sum.Ingested != 1 {
				t.Fatalf("%+v %+v", sum, res)
			}
			es, err := c.Find(t.Context(), strconv.FormatUint(res[tc.name+".pdf"].ID, 10))
			if err != nil || len(es) != 1 {
				t.Fatalf("find: %v %d", err, len(es))
			}
			r := es[0]
			if got := r.Record.Meta; got.Dossier != tc.want.Dossier || got.Issued != tc.want.Issued {
				t.Errorf("record meta %+v, want %+v", got, tc.want)
			}
			var found bool
			for _, ev := range r.History {
				if ev.Type == EventMetadataChanged && strings.Contains(ev.Detail, `dossier_code "H26.TEST-2026-0001" -> "H26.TEST-2026-0999"; issued_date "2026-01-10" -> "2026-02-01"`) {
					found = true
				}
			}
			if !found || r.HistoryError != "" {
				t.Errorf("history %+v (%s)", r.History, r.HistoryError)
			}
		})
	}
}
