package samples

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
)

func TestWriteReadable(t *testing.T) {
	for _, d := range Demo() {
		b, err := Rendered(d)
		if err != nil {
			t.Fatal(err)
		}
		r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", d.Title, err)
		}
		pages, err := r.Pages()
		if err != nil || len(pages) != max(d.Pages, 1) {
			t.Fatalf("%s: %d pages, %v", d.Title, len(pages), err)
		}
		if os.Getenv("KYSO_SAMPLES_OUT") != "" {
			os.WriteFile(filepath.Join(os.Getenv("KYSO_SAMPLES_OUT"), d.Title+".pdf"), b, 0o644)
		}
		if _, err := exec.LookPath("qpdf"); err == nil {
			f := filepath.Join(t.TempDir(), "s.pdf")
			os.WriteFile(f, b, 0o644)
			if out, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
				t.Fatalf("qpdf: %v %s", err, out)
			}
		}
	}
}
