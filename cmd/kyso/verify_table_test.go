package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The verify table for people: a header once, the verdict first, lines
// within 100 columns, a tally, and past ten failures the full list in a
// file the summary names; with --progress on the same stream the bar is
// cleared before each line, so no line carries a piece of the bar.
func TestVerifyTableForPeople(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, strings.Repeat("thu-muc-rat-dai-", 5))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		name := filepath.Join(long, "ket-qua-khong-doc-duoc-"+strings.Repeat("x", i)+".pdf")
		if err := os.WriteFile(name, []byte("plain text, not a PDF"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			wd, _ := os.Getwd()
			work := t.TempDir()
			os.Chdir(work)
			defer os.Chdir(wd)
			var both bytes.Buffer
			code := run([]string{"--lang", lang, "verify", "--progress", "--jobs", "2", long}, strings.NewReader(""), &both, &both)
			if code != exitInvalid {
				t.Fatalf("exit %d:\n%s", code, both.String())
			}
			out := both.String()
			// The bar's escape sequences clear its line; what is left
			// after the last clear of each line is what a person sees.
			var lines []string
			for _, l := range strings.Split(out, "\n") {
				if i := strings.LastIndex(l, "\r\033[K"); i >= 0 {
					l = l[i+len("\r\033[K"):]
				}
				if strings.Contains(l, "\r") {
					t.Errorf("a line collides with the progress bar: %q", l)
				}
				if l != "" {
					lines = append(lines, l)
				}
			}
			header := map[string]string{"vi": "KẾT LUẬN", "en": "VERDICT"}[lang]
			invalid := map[string]string{"vi": "KHÔNG HỢP LỆ", "en": "INVALID"}[lang]
			tally := map[string]string{"vi": "không hợp lệ: 12", "en": "invalid: 12"}[lang]
			n := 0
			for _, l := range lines {
				if strings.HasPrefix(l, header) {
					n++
				}
				if w := displayWidth(l); w > tableWidth {
					t.Errorf("%d columns: %q", w, l)
				}
			}
			if n != 1 {
				t.Errorf("header printed %d times:\n%s", n, out)
			}
			verdicts := 0
			for _, l := range lines {
				if strings.HasPrefix(l, invalid) {
					verdicts++
				}
			}
			if verdicts != 12 {
				t.Errorf("%d lines start with the verdict, want 12:\n%s", verdicts, strings.Join(lines, "\n"))
			}
			if !strings.Contains(out, tally) {
				t.Errorf("no tally %q:\n%s", tally, out)
			}
			files, _ := filepath.Glob(filepath.Join(work, "kyso-verify-failures-*.txt"))
			if len(files) != 1 {
				t.Fatalf("failure lists: %v", files)
			}
			if !strings.Contains(out, files[0]) {
				t.Errorf("the summary does not name %s:\n%s", files[0], out)
			}
			list, _ := os.ReadFile(files[0])
			if got := strings.Count(string(list), invalid); got != 12 {
				t.Errorf("the list holds %d failures, want 12:\n%s", got, list)
			}
			// The table explains the first ten in full, the list all twelve.
			reason := map[string]string{"vi": "không phải là tệp PDF", "en": "not a readable PDF"}[lang]
			if got := strings.Count(out, reason); got != 10 {
				t.Errorf("the table explains %d failures, want 10", got)
			}
			if got := strings.Count(string(list), reason); got != 12 {
				t.Errorf("the list explains %d failures, want 12", got)
			}
		})
	}
}
