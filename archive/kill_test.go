package archive

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/verify"
)

// TestKillDuringIngest kills a real ingest process with SIGKILL at a random
// moment, then checks that the next run completes the catalogue: one file
// per record, every record's file intact.
func TestKillDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path, c := newCatalogue(t)
	c.Close()
	inputs := map[string]string{}
	for i := range 60 {
		inputs[fmt.Sprintf("doc-%03d.pdf", i)] = fmt.Sprintf("document %d", i)
	}
	dir := filepath.Join(t.TempDir(), "in")
	files := writeFiles(t, dir, inputs)

	child := exec.Command(os.Args[0], "-test.run=^TestHelperIngestChild$")
	child.Env = append(os.Environ(), "KYSO_ARCHIVE_CHILD_DB="+path, "KYSO_ARCHIVE_CHILD_IN="+dir)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once it has stored some files, and before it is done.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && len(storeFiles(t, path+".store")) < 10 {
		time.Sleep(5 * time.Millisecond)
	}
	child.Process.Kill()
	child.Wait()

	c2, err := Open(context.Background(), path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	ingest(t, c2, files, IngestOptions{})
	sum, err := c2.Audit(context.Background(), AuditOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Checked != len(files) || sum.OK != len(files) || !sum.Chain.OK() || sum.Chain.Records != len(files) {
		t.Fatalf("audit after the kill and a re-run: %+v %+v", sum, sum.Chain)
	}
	stored := storeFiles(t, c2.StorePath())
	if len(stored) != len(files) {
		t.Fatalf("%d files in the store for %d records", len(stored), len(files))
	}
	for _, f := range stored {
		if strings.Contains(f, tmpDirName) {
			t.Errorf("left in .tmp: %s", f)
		}
	}
}

// TestKillDuringImport kills a real import of a bag with SIGKILL while it
// copies and verifies, then checks that importing again completes the
// catalogue: every record once, its file in the store, the chain intact.
func TestKillDuringImport(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	_, src := newCatalogue(t)
	inputs := map[string]string{}
	for i := range 60 {
		inputs[fmt.Sprintf("doc-%03d.pdf", i)] = fmt.Sprintf("document %d", i)
	}
	files := writeFiles(t, filepath.Join(t.TempDir(), "in"), inputs)
	ingest(t, src, files, IngestOptions{})
	bag := filepath.Join(t.TempDir(), "bag")
	if _, err := src.Export(context.Background(), bag, ExportOptions{Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "district.db")
	c, err := Create(context.Background(), path, Unit{Code: "000.00.H26", Name: "UBND huyện", Level: "district"}, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()

	child := exec.Command(os.Args[0], "-test.run=^TestHelperIngestChild$")
	child.Env = append(os.Environ(), "KYSO_ARCHIVE_CHILD_DB="+path, "KYSO_ARCHIVE_CHILD_BAG="+bag)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && len(storeFiles(t, path+".store")) < 10 {
		time.Sleep(5 * time.Millisecond)
	}
	child.Process.Kill()
	child.Wait()

	c2, err := Open(context.Background(), path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	isum, err := c2.Import(context.Background(), bag, ImportOptions{}, nil)
	if err != nil || isum.Imported+isum.Duplicate != len(files) || isum.Rejected != 0 {
		t.Fatalf("import after the kill: %+v %v", isum, err)
	}
	sum, err := c2.Audit(context.Background(), AuditOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Checked != len(files) || sum.OK != len(files) || !sum.Chain.OK() {
		t.Fatalf("audit after the kill and a re-run: %+v %+v", sum, sum.Chain)
	}
	if stored := storeFiles(t, c2.StorePath()); len(stored) != len(files) {
		t.Fatalf("%d files in the store for %d records", len(stored), len(files))
	}
}

// TestHelperIngestChild is the process TestKillDuringIngest and
// TestKillDuringImport kill.
func TestHelperIngestChild(t *testing.T) {
	path := os.Getenv("KYSO_ARCHIVE_CHILD_DB")
	if path == "" {
		t.Skip("run by TestKillDuringIngest")
	}
	o := testOptions()
	o.Verify = func(ctx context.Context, p string) (*verify.Report, error) {
		time.Sleep(10 * time.Millisecond)
		return stubVerify(ctx, p)
	}
	c, err := Open(context.Background(), path, o)
	if err != nil {
		t.Fatal(err)
	}
	if bag := os.Getenv("KYSO_ARCHIVE_CHILD_BAG"); bag != "" {
		c.Import(context.Background(), bag, ImportOptions{}, nil)
		time.Sleep(time.Minute) // wait to be killed
	}
	entries, _ := os.ReadDir(os.Getenv("KYSO_ARCHIVE_CHILD_IN"))
	var files []string
	for _, e := range entries {
		files = append(files, filepath.Join(os.Getenv("KYSO_ARCHIVE_CHILD_IN"), e.Name()))
	}
	c.Ingest(context.Background(), files, IngestOptions{Jobs: 2}, nil)
	time.Sleep(time.Minute) // wait to be killed
}
