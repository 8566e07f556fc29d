package main

import (
	"bufio"
	"context"
	"fmt"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/termsafe"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/verify"
)

func newArchiveLsCmd(g *globalOptions) *cobra.Command {
	var a archiveFlags
	var q archive.Query
	var status string
	cmd := &cobra.Command{
		Use:   "ls [--unit CODE] [--procedure CODE] [--dossier CODE] [--from DATE] [--to DATE]",
		Short: "List catalogue records, filtered by unit, procedure, dossier, issue date, signer or status",
		Long: `List the records of the catalogue. Every filter is an index scan, so a query
answers quickly in a catalogue of millions of records and streams its rows.
--from and --to bound the issue date (YYYY-MM-DD, both included); records with
no issue date are listed only without them. With --json, one record per line.`,
		Example: `  kyso archive ls --db kyso.db --dossier H26.01-250305-0001
  kyso archive ls --unit 000.00.00.H26 --from 2025-01-01 --to 2025-12-31 --json
  kyso archive ls --procedure 1.001234 --status indeterminate`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q.Status = verify.Status(status)
			if status != "" && !q.Status.Known() {
				return fail.Usage(i18n.Errorf("--status %q: want valid, indeterminate or invalid", status), "")
			}
			if err := q.Validate(); err != nil {
				return err
			}
			return withCatalogue(cmd, &a, func(ctx context.Context, c *archive.Catalogue) error {
				return runArchiveLs(ctx, g, c, q)
			})
		},
	}
	fs := cmd.Flags()
	a.addFlags(fs)
	fs.StringVar(&q.Unit, "unit", "", "unit code")
	fs.StringVar(&q.Procedure, "procedure", "", "procedure code (mã TTHC), e.g. 1.001234")
	fs.StringVar(&q.Dossier, "dossier", "", "dossier code (mã hồ sơ): every version")
	fs.StringVar(&q.From, "from", "", "issued on or after this date (YYYY-MM-DD)")
	fs.StringVar(&q.To, "to", "", "issued on or before this date (YYYY-MM-DD)")
	fs.StringVar(&q.Signer, "signer", "", "signer subject, as ls or show print it")
	fs.StringVar(&status, "status", "", "verdict: valid, indeterminate or invalid")
	return cmd
}

func runArchiveLs(ctx context.Context, g *globalOptions, c *archive.Catalogue, q archive.Query) error {
	out := g.io.out
	if g.JSON {
		out = termsafe.RawWriter(out) // JSON escapes by itself
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	defer bw.Flush()
	if g.JSON {
		jl := newJSONLines(bw)
		return c.List(ctx, q, func(r *archive.Record) error { return jl.write(r) })
	}
	n := 0
	err := c.List(ctx, q, func(r *archive.Record) error {
		if n == 0 {
			p := g.pr()
			fmt.Fprintln(bw, padRunes(p.T("ID"), 8)+padRunes(p.T("ISSUED"), 11)+padRunes(p.T("DOSSIER"), 23)+padRunes(p.T("PROCEDURE"), 11)+
				padRunes(p.T("UNIT"), 16)+padRunes(p.T("STATUS"), 14)+padRunes("SHA256", 13)+p.T("NAME"))
		}
		n++
		// Every value is the catalogue's data, from documents and file
		// names: shown escaped, so that none can print a row of its own.
		fmt.Fprintf(bw, "%-7d %s %-22s %-10s %-15s %s %-12.12s %s\n", r.ID, pad(issuedDate(g.pr(), r.Issued), 10), clip(orDash(oneLine(r.Dossier)), 22),
			clip(orDash(oneLine(r.Procedure)), 10), clip(orDash(oneLine(r.Unit)), 15), padRunes(statusLower(g.pr(), r.Status), 13), oneLine(r.SHA256), oneLine(r.Name))
		if n%256 == 0 {
			return bw.Flush() // stream: the first rows show at once
		}
		return nil
	})
	if err == nil {
		fmt.Fprintln(bw, g.t("%d records", n))
	}
	return err
}

// fixityWord is a record's fixity in the reader's language; a value this
// version does not know (kyso archive check reports it) is shown quoted, as
// stored.
func fixityWord(p *i18n.Printer, s archive.FixityStatus) string {
	if !s.Known() {
		return strconv.Quote(string(s))
	}
	return p.T(string(s))
}

// pad left-aligns s in n columns, counting characters, not bytes.
func pad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clip shortens s to n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func newArchiveShowCmd(g *globalOptions) *cobra.Command {
	var a archiveFlags
	cmd := &cobra.Command{
		Use:   "show ID|SHA256|DOSSIER_CODE",
		Short: "Show a record, its signatures and its history",
		Long: `Show one record by id or SHA-256, or every version of a dossier code: what it is,
where it is stored, who signed it and the verdict, and its history (ingested,
verified, audited, renewed, exported, imported) with time and actor. A history
or a record that was edited after the fact is flagged. The last line names the
catalogue's newest checkpoint (kyso archive checkpoint), if it has one.`,
		Example: `  kyso archive show --db kyso.db H26.01-250511-0004
  kyso archive show 12 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCatalogue(cmd, &a, func(ctx context.Context, c *archive.Catalogue) error {
				entries, err := c.Find(ctx, args[0])
				if err != nil {
					return err
				}
				if g.JSON {
					jl := newJSONLines(g.io.out)
					for _, e := range entries {
						if err := jl.write(e); err != nil {
							return err
						}
					}
					return nil
				}
				for i, e := range entries {
					if i > 0 {
						fmt.Fprintln(g.io.out)
					}
					printEntry(g.io.out, c, e, g.pr())
				}
				cps, err := c.Checkpoints(ctx)
				if err != nil {
					return err
				}
				if n := len(cps); n > 0 {
					cp := cps[n-1]
					fmt.Fprintln(g.io.out, g.t("Checkpoints: %d, latest %s (chain entry %s, TSA %s)", n, g.pr().Time(cp.Time), strconv.Itoa(int(cp.Seq)), cp.TSA))
				}
				return nil
			})
		},
	}
	a.addFlags(cmd.Flags())
	return cmd
}

func printEntry(w io.Writer, c *archive.Catalogue, e archive.Entry, p *i18n.Printer) {
	r := e.Record
	l := func(en string) string { return p.T(en) }
	field := func(name, value string) {
		if value != "" {
			fmt.Fprint(w, p.T("  %-16s %s\n", l(name)+":", oneLine(value)))
		}
	}
	id := strconv.FormatUint(r.ID, 10)
	switch {
	case r.Dossier != "" && r.Version > 0:
		fmt.Fprintln(w, p.T("Record %s: dossier %s, version %s", id, r.Dossier, strconv.Itoa(r.Version)))
	case r.Dossier != "":
		fmt.Fprintln(w, p.T("Record %s: dossier %s", id, r.Dossier))
	default:
		fmt.Fprintln(w, p.T("Record %s", id))
	}
	field("Procedure", strings.TrimSpace(r.Procedure+" "+r.ProcedureName))
	unit := strings.TrimSpace(r.Unit + " " + r.UnitName)
	if r.Level != "" {
		unit += " (" + r.Level + ")"
	}
	field("Unit", unit)
	field("Issued", issuedDate(p, r.Issued))
	field("Result", strings.TrimSpace(r.ResultNumber+" "+r.CopyForm))
	field("File", p.T("%s, %d bytes", r.Name, r.Size))
	field("SHA-256", r.SHA256)
	field("Stored at", c.FilePath(r.SHA256))
	for _, old := range r.Earlier {
		field("Earlier", p.T("%s (%d bytes, until %s)", old.SHA256, old.Size, p.Time(old.Until)))
	}
	field("Verdict", p.T("%s (verified %s)", statusLower(p, r.Status), p.Time(r.VerifiedAt)))
	if r.Fixity != archive.FixityUnaudited {
		field("Fixity", fixityWord(p, r.Fixity))
	}
	field("Record hash", r.RecordHash)
	if r.Origin != nil {
		field("Imported from", p.T("%s record %s", r.Origin.Unit, strconv.FormatUint(r.Origin.ID, 10)))
	}
	field("Ingested", p.Time(r.IngestedAt))
	if len(r.Signatures) > 0 {
		fmt.Fprint(w, p.T("  %s:\n", l("Signatures")))
	}
	for i, s := range r.Signatures {
		fmt.Fprint(w, p.T("    %s. %s %s, %s\n", strconv.Itoa(i+1), p.T(orDash(oneLine(s.Kind))), statusLower(p, s.Status), oneLine(s.Level)))
		fmt.Fprint(w, p.T("       signer %s\n       issuer %s, serial %s\n", oneLine(s.Signer), oneLine(s.Issuer), oneLine(s.Serial)))
		if s.SigningTime != nil {
			fmt.Fprint(w, p.T("       signing time %s (claimed)\n", p.Time(*s.SigningTime)))
		}
		if s.TimestampTime != nil {
			fmt.Fprint(w, p.T("       timestamp %s %s\n", p.Time(*s.TimestampTime), oneLine(s.TSA)))
		}
	}
	fmt.Fprint(w, p.T("  %s:\n", l("History")))
	for _, ev := range e.History {
		fmt.Fprint(w, p.T("    %s  %s %s", p.Time(ev.Time), padRunes(eventType(p, ev.Type), 9), oneLine(ev.Actor)))
		if ev.Detail != "" {
			fmt.Fprint(w, p.T(": %s", oneLine(eventDetail(p, ev.Detail))))
		}
		fmt.Fprintln(w)
	}
	if e.HistoryError != "" {
		fmt.Fprint(w, p.T("  %s: %s\n", l("WARNING"), oneLine(e.HistoryError)))
	}
}

// issuedDate shows a stored YYYY-MM-DD issue date as the language writes
// dates (dd/MM/yyyy in Vietnamese); "-" for none.
func issuedDate(p *i18n.Printer, s string) string {
	t, err := time.ParseInLocation("2006-01-02", s, time.FixedZone("+07", 7*3600))
	if err != nil {
		return orDash(s)
	}
	return p.Date(t)
}

// eventType names a history event in the language, with its identifier
// (what --json and scripts see) when the language says it otherwise.
func eventType(p *i18n.Printer, t string) string {
	if w := p.T(t); p.Lang() != i18n.EN && w != t {
		return p.T("%s (%s)", w, t)
	}
	return t
}

// eventPatterns read the details the catalogue stores with each history
// event (English sentences kyso wrote, see archive/) so that show can say
// them in the reader's language; a part that matches none is shown as
// stored.
var eventPatterns = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^from (\S+) record (\d+) \((.+)\)$`), "from %s record %s (%s)"},
	{regexp.MustCompile(`^from (.+)$`), "from %s"},
	{regexp.MustCompile(`^to (.+)$`), "to %s"},
	{regexp.MustCompile(`^verdict here (valid|invalid|indeterminate)$`), "verdict here %s"},
	{regexp.MustCompile(`^verdict (valid|invalid|indeterminate)$`), "verdict %s"},
	{regexp.MustCompile(`^under policy (\S+)$`), "under policy %s"},
	{regexp.MustCompile(`^under policy (\S+) \(sha256 ([0-9a-f]+)\)$`), "under policy %s (sha256 %s)"},
	{regexp.MustCompile(`^trust anchors sha256 ([0-9a-f ]+)$`), "trust anchors sha256 %s"},
	{regexp.MustCompile(`^trust (.+)$`), "trust %s"},
	{regexp.MustCompile(`^config (.+)$`), "config %s"},
	{regexp.MustCompile(`^validation data and document timestamp added: (\S+) -> (\S+) \(the old version is kept\)$`), "validation data and document timestamp added: %s -> %s (the old version is kept)"},
	{regexp.MustCompile(`^recorded: the signed values$`), "recorded: the signed values"},
	{regexp.MustCompile(`^(ok|missing|corrupt|invalid)$`), "%s"},
	{regexp.MustCompile(`^(ok|missing|corrupt|invalid): (.+)$`), "%s: %s"},
}

// eventDetail says a stored event detail in p's language, part by part
// ("; " between parts, ", " within a verdict's basis).
func eventDetail(p *i18n.Printer, detail string) string {
	parts := strings.Split(detail, "; ")
	for i, part := range parts {
		var pieces []string
		for _, piece := range strings.Split(part, ", ") {
			pieces = append(pieces, eventPiece(p, piece))
		}
		parts[i] = strings.Join(pieces, ", ")
	}
	return strings.Join(parts, "; ")
}

func eventPiece(p *i18n.Printer, s string) string {
	// a verdict followed by its basis: "verdict valid under policy default"
	if v, rest, ok := strings.Cut(s, " under "); ok && strings.HasPrefix(v, "verdict ") {
		return eventPiece(p, v) + " " + eventPiece(p, "under "+rest)
	}
	for _, ep := range eventPatterns {
		m := ep.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		args := make([]any, len(m)-1)
		for i, a := range m[1:] {
			switch a {
			case "valid", "invalid", "indeterminate":
				args[i] = statusLower(p, verify.Status(a))
			case "ok", "missing", "corrupt":
				args[i] = p.T(a)
			default:
				args[i] = p.Translate(a)
			}
		}
		return p.T(ep.key, args...)
	}
	return p.Translate(s)
}
