package verify

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/internal/testtool"
)

// TestAuditReportPrints prints the auditor's report with headless Chromium,
// as an auditor would file it, and reads the PDF back with pdftotext: the
// pages are A4 and numbered "page n of m", the verdicts come first, the
// proven time is labelled as proven and the report closes with the tally
// and the auditor's signature block.
func TestAuditReportPrints(t *testing.T) {
	chromium := testtool.Need(t, "chromium")
	testtool.Need(t, "pdftotext")
	e := newEnv(t)
	simple := readTestdata(t, "simple.pdf")
	good := e.ocspResponse(t, e.pki.Signer.Cert, ocsp.Good, time.Time{})
	stamped := e.addDSS(t, e.sign(t, simple, signer{timestamp: true}, attackgen.SigOptions{Field: "Sig1"}), good)
	valid := verifyBytes(t, stamped, Options{Trust: e.store, FileSHA256: true})
	if valid.Status != Valid || valid.Signatures[0].TimestampTime == nil {
		t.Fatalf("fixture: %s %+v", valid.Status, valid.Signatures)
	}
	tampered := bytes.Clone(stamped)
	i := bytes.Index(tampered, []byte("/Type /Page"))
	tampered[i+1] = 'X'
	invalid := verifyBytes(t, tampered, Options{Trust: e.store, FileSHA256: true})
	unsigned := verifyBytes(t, simple, Options{Trust: e.store, FileSHA256: true})
	var reports []*Report
	// Enough files for several pages.
	for n := 0; n < 12; n++ {
		for _, r := range []*Report{valid, invalid, unsigned} {
			c := *r
			c.File = filepath.Join("ho-so", string(rune('a'+n))+"-"+filepath.Base(r.File)+".pdf")
			reports = append(reports, &c)
		}
	}
	for _, tc := range []struct{ lang, valid, invalid, page, proven, tally, auditor string }{
		{"vi", "HỢP LỆ", "KHÔNG HỢP LỆ", "Trang %d / %d", "Thời gian (đã chứng minh)", "Tổng hợp", "Người kiểm tra"},
		{"en", "VALID", "INVALID", "page %d of %d", "Time (proven)", "Tally", "Auditor"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			dir := t.TempDir()
			html := filepath.Join(dir, "report.html")
			var buf bytes.Buffer
			if err := WriteHTML(&buf, reports, HTMLOptions{Lang: tc.lang, Version: "test"}); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(html, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			pdf := filepath.Join(dir, "report.pdf")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--user-data-dir="+filepath.Join(dir, "profile"), "--no-pdf-header-footer",
				"--print-to-pdf="+pdf, "file://"+html)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("chromium: %v\n%s", err, out)
			}
			out, err := testtool.Run(t, "pdftotext", "-layout", pdf, "-")
			if err != nil {
				t.Fatalf("pdftotext: %v\n%s", err, out)
			}
			pages := strings.Count(out, "\f")
			if pages < 2 {
				t.Fatalf("%d pages; want several:\n%s", pages, out)
			}
			for _, want := range []string{tc.valid, tc.invalid, tc.proven, tc.tally, tc.auditor, valid.SHA256,
				strings.Replace(strings.Replace(tc.page, "%d", "1", 1), "%d", strconv.Itoa(pages), 1),
				strings.Replace(strings.Replace(tc.page, "%d", strconv.Itoa(pages), 1), "%d", strconv.Itoa(pages), 1)} {
				if !strings.Contains(out, want) {
					t.Errorf("the printed report lacks %q", want)
				}
			}
			// The verdict comes before the file's details.
			first := regexp.MustCompile(`(?m)^\s*(` + regexp.QuoteMeta(tc.valid) + `|` + regexp.QuoteMeta(tc.invalid) + `) — ho-so/`)
			if !first.MatchString(out) {
				t.Errorf("no section starts with its verdict:\n%s", out[:min(len(out), 3000)])
			}
			// A4: 595 x 842 points.
			if info, err := testtool.Run(t, "pdfinfo", pdf); err == nil && !strings.Contains(info, "(A4)") {
				t.Errorf("not A4:\n%s", info)
			}
		})
	}
}
