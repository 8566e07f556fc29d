package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
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
	bw := bufio.NewWriterSize(g.io.out, 64<<10)
	defer bw.Flush()
	if g.JSON {
		jl := newJSONLines(bw)
		return c.List(ctx, q, func(r *archive.Record) error { return jl.write(r) })
	}
	n := 0
	err := c.List(ctx, q, func(r *archive.Record) error {
		if n == 0 {
			h := lsHeader[g.language()]
			fmt.Fprintf(bw, "%s %s %s %s %s %s %s %s\n", pad(h[0], 7), pad(h[1], 10), pad(h[2], 22), pad(h[3], 10), pad(h[4], 15), pad(h[5], 13), pad(h[6], 12), h[7])
		}
		n++
		fmt.Fprintf(bw, "%-7d %-10s %-22s %-10s %-15s %-13s %-12.12s %s\n", r.ID, orDash(r.Issued), clip(orDash(r.Dossier), 22),
			clip(orDash(r.Procedure), 10), clip(orDash(r.Unit), 15), r.Status, r.SHA256, r.Name)
		if n%256 == 0 {
			return bw.Flush() // stream: the first rows show at once
		}
		return nil
	})
	if err == nil {
		fmt.Fprintf(bw, "%d %s\n", n, label(g.language(), "records"))
	}
	return err
}

// lsHeader is the header of `archive ls` per language.
var lsHeader = map[string][8]string{
	"en": {"ID", "ISSUED", "DOSSIER", "PROCEDURE", "UNIT", "STATUS", "SHA256", "NAME"},
	"vi": {"ID", "BAN HÀNH", "HỒ SƠ", "THỦ TỤC", "ĐƠN VỊ", "KẾT LUẬN", "SHA256", "TỆP"},
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
					printEntry(g.io.out, c, e, g.language())
				}
				cps, err := c.Checkpoints(ctx)
				if err != nil {
					return err
				}
				if n := len(cps); n > 0 {
					cp := cps[n-1]
					fmt.Fprintf(g.io.out, "%s: %d, %s %s (%s %d, TSA %s)\n", label(g.language(), "Checkpoints"), n,
						label(g.language(), "latest"), cp.Time.Format(time.RFC3339), label(g.language(), "chain entry"), cp.Seq, cp.TSA)
				}
				return nil
			})
		},
	}
	a.addFlags(cmd.Flags())
	return cmd
}

// showLabels are the labels of `archive show` and `ls` in Vietnamese; the
// English text is the key. Values (event types, verdicts) stay as stored.
var showLabels = map[string]string{
	"Record": "Bản ghi", "dossier": "hồ sơ", "version": "phiên bản", "Procedure": "Thủ tục",
	"Unit": "Đơn vị", "Issued": "Ngày ban hành", "Result": "Kết quả", "File": "Tệp", "bytes": "byte",
	"Stored at": "Nơi lưu", "Earlier": "Bản trước", "until": "đến", "Verdict": "Kết luận",
	"verified": "kiểm tra lúc", "Fixity": "Toàn vẹn lưu trữ", "Imported from": "Nhập từ",
	"record": "bản ghi", "Ingested": "Đưa vào lưu trữ", "Signatures": "Chữ ký", "signer": "người ký",
	"issuer": "tổ chức cấp", "serial": "số hiệu", "signing time": "thời gian ký",
	"claimed": "tự khai", "timestamp": "dấu thời gian", "History": "Lịch sử", "WARNING": "CẢNH BÁO",
	"records": "bản ghi", "Record hash": "Mã băm bản ghi", "Checkpoints": "Mốc thời gian của kho",
	"latest": "gần nhất", "chain entry": "mục chuỗi",
}

func label(lang, en string) string {
	if lang == "vi" {
		if v, ok := showLabels[en]; ok {
			return v
		}
	}
	return en
}

func printEntry(w io.Writer, c *archive.Catalogue, e archive.Entry, lang string) {
	r := e.Record
	l := func(en string) string { return label(lang, en) }
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(w, "  %-16s %s\n", l(name)+":", value)
		}
	}
	title := fmt.Sprintf("%s %d", l("Record"), r.ID)
	if r.Dossier != "" {
		title += fmt.Sprintf(": %s %s", l("dossier"), r.Dossier)
		if r.Version > 0 {
			title += fmt.Sprintf(", %s %d", l("version"), r.Version)
		}
	}
	fmt.Fprintln(w, title)
	field("Procedure", strings.TrimSpace(r.Procedure+" "+r.ProcedureName))
	unit := strings.TrimSpace(r.Unit + " " + r.UnitName)
	if r.Level != "" {
		unit += " (" + r.Level + ")"
	}
	field("Unit", unit)
	field("Issued", r.Issued)
	field("Result", strings.TrimSpace(r.ResultNumber+" "+r.CopyForm))
	field("File", fmt.Sprintf("%s, %d %s", r.Name, r.Size, l("bytes")))
	field("SHA-256", r.SHA256)
	field("Stored at", c.FilePath(r.SHA256))
	for _, old := range r.Earlier {
		field("Earlier", fmt.Sprintf("%s (%d %s, %s %s)", old.SHA256, old.Size, l("bytes"), l("until"), old.Until.Format(time.RFC3339)))
	}
	field("Verdict", fmt.Sprintf("%s (%s %s)", r.Status, l("verified"), r.VerifiedAt.Format(time.RFC3339)))
	field("Fixity", r.Fixity)
	field("Record hash", r.RecordHash)
	if r.Origin != nil {
		field("Imported from", fmt.Sprintf("%s %s %d", r.Origin.Unit, l("record"), r.Origin.ID))
	}
	field("Ingested", r.IngestedAt.Format(time.RFC3339))
	if len(r.Signatures) > 0 {
		fmt.Fprintf(w, "  %s:\n", l("Signatures"))
	}
	for i, s := range r.Signatures {
		fmt.Fprintf(w, "    %d. %s %s, %s\n", i+1, orDash(s.Kind), s.Status, s.Level)
		fmt.Fprintf(w, "       %s %s\n       %s %s, %s %s\n", l("signer"), s.Signer, l("issuer"), s.Issuer, l("serial"), s.Serial)
		if s.SigningTime != nil {
			fmt.Fprintf(w, "       %s %s (%s)\n", l("signing time"), s.SigningTime.Format(time.RFC3339), l("claimed"))
		}
		if s.TimestampTime != nil {
			fmt.Fprintf(w, "       %s %s %s\n", l("timestamp"), s.TimestampTime.Format(time.RFC3339), s.TSA)
		}
	}
	fmt.Fprintf(w, "  %s:\n", l("History"))
	for _, ev := range e.History {
		fmt.Fprintf(w, "    %s  %-9s %s", ev.Time.Format(time.RFC3339), ev.Type, ev.Actor)
		if ev.Detail != "" {
			fmt.Fprintf(w, ": %s", ev.Detail)
		}
		fmt.Fprintln(w)
	}
	if e.HistoryError != "" {
		fmt.Fprintf(w, "  %s: %s\n", l("WARNING"), e.HistoryError)
	}
}
