package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// An edit made inside the bbolt file, with no kyso involved, makes audit
// exit 1 naming the record (issue 12).
func TestAuditExitsOneOnEditedCatalogue(t *testing.T) {
	db := archiveFixture(t)
	if code, out, errOut := runKyso(t, "archive", "audit", "--db", db); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit of the intact fixture: %d\n%s%s", code, out, errOut)
	}
	code, out, _ := runKyso(t, "archive", "ls", "--db", db, "--json")
	if code != 0 {
		t.Fatalf("ls: %d", code)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &rec); err != nil {
		t.Fatal(err)
	}
	id := uint64(rec["id"].(float64))
	rec["dossier_code"] = "FORGED-1"
	js, _ := json.Marshal(rec)
	bdb, err := bolt.Open(db, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		k := make([]byte, 8)
		binary.BigEndian.PutUint64(k, id)
		return tx.Bucket([]byte("records")).Put(k, js) // plain JSON is a stored form kyso reads
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runKyso(t, "archive", "audit", "--db", db)
	if code != exitInvalid || !strings.Contains(out, "corrupt  record") || !strings.Contains(out, "does not match its record hash: a field was edited") {
		t.Fatalf("audit of the edited catalogue: %d\n%s%s", code, out, errOut)
	}
	// show flags the record too.
	code, out, _ = runKyso(t, "archive", "show", "--db", db, "--lang", "en", strconv.FormatUint(id, 10))
	if code != 0 || !strings.Contains(out, "WARNING: the stored record does not match its record hash") {
		t.Fatalf("show of the edited record: %d\n%s", code, out)
	}
	// --json: the record is corrupt; the chain summary goes to stderr.
	code, out, errOut = runKyso(t, "archive", "audit", "--db", db, "--json")
	if code != exitInvalid || !strings.Contains(out, `"status":"corrupt"`) || !strings.Contains(errOut, "chain: ") {
		t.Fatalf("audit --json of the edited catalogue: %d\n%s%s", code, out, errOut)
	}
}

// A bag changed after export is refused as a whole: exit 1, nothing imported.
func TestImportExitsOneOnChangedBag(t *testing.T) {
	db := archiveFixture(t)
	bag := filepath.Join(t.TempDir(), "bag")
	if code, _, errOut := runKyso(t, "archive", "export", "--db", db, "--out", bag); code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	f, err := os.OpenFile(filepath.Join(bag, "bag-info.txt"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("Contact-Name: someone\n")
	f.Close()
	district := filepath.Join(t.TempDir(), "district.db")
	if code, _, errOut := runKyso(t, "archive", "init", "--db", district, "--unit", "000.00.H26", "--unit-name", "UBND huyện", "--level", "district"); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	code, out, errOut := runKyso(t, "archive", "import", "--db", district, bag)
	if code != exitInvalid || !strings.Contains(errOut, "kyso: error: bag ") || !strings.Contains(errOut, "bag-info.txt does not match tagmanifest-sha256.txt") ||
		!strings.Contains(errOut, "hint: ") {
		t.Fatalf("import of a changed bag: %d\n%s%s", code, out, errOut)
	}
}
