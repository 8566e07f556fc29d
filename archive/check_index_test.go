package archive

import (
	"context"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// An index entry archive check reports is quoted once: a zero byte shows
// as \x00 (not \\x00), Vietnamese text as it is.
func TestCheckQuotesIndexKeysOnce(t *testing.T) {
	if got, want := printable([]byte("Hòa Đông\x00\x00\x01")), `"Hòa Đông\x00\x00\x01"`; got != want {
		t.Errorf("printable = %s, want %s", got, want)
	}
	path, c := sampleCatalogue(t)
	c.Close()
	updateBolt(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketIdx).Bucket(idxDossier).Put([]byte("Hòa\x00\x00\x00\x00\x00\x00\x00\x00\x63"), nil)
	})
	var problems []string
	if _, err := Check(context.Background(), path, testOptions(), func(p Problem) error {
		problems = append(problems, p.Problem)
		return nil
	}); err == nil {
		t.Fatal("check passed over a bogus index entry")
	}
	want := `index dossier: entry "Hòa\x00\x00\x00\x00\x00\x00\x00\x00c" points at record 99, which does not exist`
	for _, p := range problems {
		if p == want {
			return
		}
	}
	t.Errorf("problems %q lack %s", strings.Join(problems, " | "), want)
}
