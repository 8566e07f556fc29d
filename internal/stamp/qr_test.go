package stamp

import (
	"crypto/sha256"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
)

func TestQRPayload(t *testing.T) {
	sum := sha256.Sum256([]byte("scan"))
	got := QRPayload(" H26.99-250305-0001 ", "1.001234\n", sum[:])
	want := "MaHoSo=H26.99-250305-0001\nMaTTHC=1.001234\nSHA256=" + hex.EncodeToString(sum[:])
	if got != want {
		t.Errorf("payload %q, want %q", got, want)
	}
}

// TestQRDecodes renders the QR widget with poppler and reads it back with
// zbarimg, upright and on a rotated page.
func TestQRDecodes(t *testing.T) {
	need(t, "pdftoppm", "zbarimg", "qpdf")
	sum := sha256.Sum256([]byte("the scan before signing"))
	payload := QRPayload("000.00.00.H26-250305-0001", "1.001234", sum[:])
	for _, fixture := range []string{"simple.pdf", "rotated.pdf"} {
		t.Run(fixture, func(t *testing.T) {
			out := updateFile(t, fixture, func(r *pdf.Reader, page pdf.Page, u *pdf.Update) (Widget, error) {
				return QR(page, u, payload, PlaceOptions{})
			})
			path := writeTemp(t, "qr.pdf", out)
			run(t, "qpdf", "--check", path)
			prefix := filepath.Join(t.TempDir(), "p")
			run(t, "pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", path, prefix)
			got, err := exec.Command("zbarimg", "-q", "--raw", prefix+"-1.png").Output()
			if err != nil {
				t.Fatalf("zbarimg found no QR code: %v", err)
			}
			if strings.TrimSpace(string(got)) != payload {
				t.Errorf("zbarimg read %q, want %q", got, payload)
			}
		})
	}
}

func TestQRErrors(t *testing.T) {
	var objs objects
	if _, err := QRAppearance(&objs, strings.Repeat("x", 5000), 60, 60, 0); fail.KindOf(err) != fail.KindUsage {
		t.Errorf("payload too long: err = %v", err)
	}
	if _, err := QRAppearance(&objs, "x", 0, 60, 0); fail.KindOf(err) != fail.KindUsage {
		t.Errorf("no width: err = %v", err)
	}
}
