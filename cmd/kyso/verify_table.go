package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/termsafe"
	"github.com/kyso-project/kyso/verify"
)

// tableWidth is the width the verify table keeps to.
const tableWidth = 100

// maxShownFailures is how many failed files the table explains in full;
// past that, every failure is written to a file the summary names.
const maxShownFailures = 10

// verdictTable prints verdicts for people: a header once, one line per
// file with its verdict first, detail lines for signatures, reasons and
// warnings (wrapped to tableWidth), and a tally at the end.
type verdictTable struct {
	p        *i18n.Printer
	w        io.Writer
	bar      *progress
	header   bool
	counts   map[verify.Status]int
	failures []*verify.Report
}

func newVerdictTable(p *i18n.Printer, w io.Writer, bar *progress) *verdictTable {
	return &verdictTable{p: p, w: w, bar: bar, counts: map[verify.Status]int{}}
}

const verdictColumn = 16

// add prints one file's verdict.
func (t *verdictTable) add(rep *verify.Report) {
	var b strings.Builder
	p := t.p
	if !t.header {
		t.header = true
		fmt.Fprintf(&b, "%s%s\n", padRunes(p.T("VERDICT"), verdictColumn), p.T("FILE"))
	}
	t.counts[rep.Status]++
	detail := true
	if rep.Status != verify.Valid {
		t.failures = append(t.failures, rep)
		detail = len(t.failures) <= maxShownFailures
	}
	writeWrapped(&b, padRunes(statusWord(p, rep.Status), verdictColumn), strings.Repeat(" ", verdictColumn), rep.File)
	if detail {
		writeDetail(&b, p, rep)
	}
	t.bar.print(t.w, b.String())
}

// writeDetail writes a report's signatures, reasons and warnings as
// indented lines.
func writeDetail(b *strings.Builder, p *i18n.Printer, rep *verify.Report) {
	const in = "    "
	line := func(indent, s string) { writeWrapped(b, indent, indent+"  ", s) }
	for _, f := range fileFindings(rep, false) {
		line(in, p.T("error: %s", f))
	}
	reasons, warnings := sigFindings(rep)
	for _, s := range rep.Signatures {
		head := fmt.Sprintf("#%d ", s.Index+1)
		line(in, head+p.T("%s — signer: %s — issuer: %s", statusLower(p, s.Status), verify.ShortName(s.Signer), verify.ShortName(s.Issuer)))
		sub := in + strings.Repeat(" ", len(head))
		line(sub, timeLine(p, s))
		integrity := p.T(s.IntegrityKey())
		line(sub, p.T("integrity: %s — chain: %s — revocation: %s", integrity, p.T(chainWord(s.Chain)), p.T(revocationWord(s.Revocation))))
		for _, f := range reasons[s.Index] {
			line(sub, p.T("reason: %s", f))
		}
		for _, f := range warnings[s.Index] {
			line(sub, p.T("warning: %s", f))
		}
	}
	for _, f := range fileFindings(rep, true) {
		line(in, p.T("warning: %s", f))
	}
}

// timeLine says when a signature was made: the time a timestamp proves,
// else the signer's own claim, labelled as such.
func timeLine(p *i18n.Printer, s verify.Signature) string {
	switch {
	case s.TimestampTime != nil && s.Kind == "document-timestamp":
		return p.T("time: %s (proven by this timestamp)", p.Time(*s.TimestampTime))
	case s.TimestampTime != nil:
		return p.T("time: %s (proven by a timestamp)", p.Time(*s.TimestampTime))
	case s.SigningTime != nil:
		return p.T("time: %s (claimed by the signer, not proven)", p.Time(*s.SigningTime))
	}
	return p.T("time: none")
}

// sigFindings are the localized reasons and warnings of each signature,
// by signature index: one pass over the findings, so that the detail of a
// file costs time linear in its findings however many signatures it has.
func sigFindings(rep *verify.Report) (reasons, warnings map[int][]string) {
	reasons, warnings = map[int][]string{}, map[int][]string{}
	for _, f := range rep.Findings {
		if f.Signature == nil {
			continue
		}
		if f.Severity == "warning" {
			warnings[*f.Signature] = append(warnings[*f.Signature], f.Text)
		} else {
			reasons[*f.Signature] = append(reasons[*f.Signature], f.Text)
		}
	}
	return reasons, warnings
}

// fileFindings are the localized errors (warnings false) or warnings of
// the file itself; errors that came without a finding (a file that could
// not be read) are included.
func fileFindings(rep *verify.Report, warnings bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Signature == nil && (f.Severity == "warning") == warnings {
			out = append(out, f.Text)
			seen[f.Message] = true
		}
	}
	if !warnings {
		for _, e := range rep.Errors {
			if !seen[e] {
				out = append(out, e)
			}
		}
	}
	return out
}

// localizeReport fills the findings' Text in p's language; errors without
// a finding (an unreadable file) become findings too, so that every reason
// has an ID.
func localizeReport(p *i18n.Printer, rep *verify.Report) {
	rep.Localize(p)
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		seen[f.Message] = true
	}
	for _, e := range rep.Errors {
		if !seen[e] {
			rep.Findings = append(rep.Findings, verify.Finding{ID: "unreadable", Severity: string(verify.Invalid), Message: e, Text: p.Translate(e)})
		}
	}
}

// finish prints the tally, and when more than maxShownFailures files
// failed, writes them all in full to a file it names. It returns that
// file's name ("" when none).
func (t *verdictTable) finish(dir string) (string, error) {
	p := t.p
	total := t.counts[verify.Valid] + t.counts[verify.Invalid] + t.counts[verify.Indeterminate]
	var b strings.Builder
	writeWrapped(&b, "", "  ", p.T("Total: %d files — valid: %d — invalid: %d — indeterminate: %d", total,
		t.counts[verify.Valid], t.counts[verify.Invalid], t.counts[verify.Indeterminate]))
	var name string
	if len(t.failures) > maxShownFailures {
		name = filepath.Join(dir, "kyso-verify-failures-"+time.Now().Format("20060102-150405")+".txt")
		if err := t.writeFailures(name); err != nil {
			return "", err
		}
		writeWrapped(&b, "", "  ", p.T("%d files are not valid; the first %d are explained above, all of them in %s", len(t.failures), maxShownFailures, name))
	}
	t.bar.print(t.w, b.String())
	return name, nil
}

// writeFailures writes every failed file with its detail lines.
func (t *verdictTable) writeFailures(name string) error {
	var b strings.Builder
	for _, rep := range t.failures {
		writeWrapped(&b, padRunes(statusWord(t.p, rep.Status), verdictColumn), strings.Repeat(" ", verdictColumn), rep.File)
		writeDetail(&b, t.p, rep)
	}
	// The list is read with cat or less: the same escaping as the screen.
	return writeAtomic(name, func(w io.Writer) error {
		_, err := io.WriteString(w, termsafe.Lines(b.String()))
		return err
	})
}

// writeAtomic writes path through a temporary file renamed when complete,
// so a failed run leaves nothing half-written.
func writeAtomic(path string, write func(io.Writer) error) error {
	wrap := func(err error) error { return fail.Run(i18n.Errorf("writing %s: %v", path, err), "") }
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kyso-*"+filepath.Ext(path))
	if err != nil {
		return wrap(err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return wrap(err)
	}
	if err := tmp.Chmod(fileutil.Perm(0o666)); err != nil {
		tmp.Close()
		return wrap(err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return wrap(err)
	}
	if err := tmp.Close(); err != nil {
		return wrap(err)
	}
	if err := fileutil.Rename(tmp.Name(), path); err != nil {
		return wrap(err)
	}
	return nil
}

// statusWord is a verdict in capitals, for the verdict column.
func statusWord(p *i18n.Printer, s verify.Status) string {
	return p.T(statusText(s, "VALID", "INDETERMINATE", "INVALID"))
}

// statusLower is a verdict within a sentence.
func statusLower(p *i18n.Printer, s verify.Status) string {
	return p.T(statusText(s, "valid", "indeterminate", "invalid"))
}

// statusText picks the word for s: valid, indeterminate, or invalid for
// any other status.
func statusText(s verify.Status, valid, indeterminate, invalid string) string {
	switch s {
	case verify.Valid:
		return valid
	case verify.Indeterminate:
		return indeterminate
	}
	return invalid
}

func chainWord(s string) string {
	switch s {
	case "trusted", "untrusted", "incomplete":
		return s
	}
	return "unknown"
}

func revocationWord(s string) string {
	switch s {
	case "good":
		return "not revoked"
	case "revoked":
		return "revoked"
	}
	return "unknown"
}

// padRunes pads s to n columns.
func padRunes(s string, n int) string {
	if k := displayWidth(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s + " "
}

// displayWidth counts the columns of s: runes, less combining marks and
// the invisible marks of the language test.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) || r >= 0xE000 && r <= 0xE0FF {
			continue
		}
		n++
	}
	return n
}

// writeWrapped writes first+s, wrapped at tableWidth on spaces, later
// lines starting with indent. A word longer than a line is cut.
func writeWrapped(b *strings.Builder, first, indent, s string) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
	prefix := first
	for {
		room := tableWidth - displayWidth(prefix)
		if room < 20 {
			room = 20
		}
		if displayWidth(s) <= room {
			b.WriteString(prefix + s + "\n")
			return
		}
		cut := breakAt(s, room)
		b.WriteString(prefix + strings.TrimRight(s[:cut], " ") + "\n")
		s = strings.TrimLeft(s[cut:], " ")
		prefix = indent
	}
}

// breakAt is the byte offset at which to break s so that the first part
// fits in room columns: the last space that fits, else the room-th column.
func breakAt(s string, room int) int {
	col, lastSpace, hard := 0, -1, len(s)
	for i, r := range s {
		if !(unicode.Is(unicode.Mn, r) || r >= 0xE000 && r <= 0xE0FF) {
			col++
		}
		if col > room {
			hard = i
			break
		}
		if r == ' ' {
			lastSpace = i
		}
	}
	if lastSpace > 0 {
		return lastSpace
	}
	if hard == 0 {
		return len(s)
	}
	return hard
}

// failureDir is where the list of failures goes: beside the HTML report,
// else the working folder.
func failureDir(report string) string {
	if report != "" {
		return filepath.Dir(report)
	}
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	return "."
}
