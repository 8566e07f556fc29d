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
	if sum.Checked != len(files) || sum.OK != len(files) {
		t.Fatalf("audit after the kill and a re-run: %+v", sum)
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

// TestHelperIngestChild is the process TestKillDuringIngest kills.
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
	entries, _ := os.ReadDir(os.Getenv("KYSO_ARCHIVE_CHILD_IN"))
	var files []string
	for _, e := range entries {
		files = append(files, filepath.Join(os.Getenv("KYSO_ARCHIVE_CHILD_IN"), e.Name()))
	}
	c.Ingest(context.Background(), files, IngestOptions{Jobs: 2}, nil)
	time.Sleep(time.Minute) // wait to be killed
}
