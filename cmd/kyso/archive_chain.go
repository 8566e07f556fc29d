package main

import (
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/tsp"
)

func newArchiveCheckpointCmd(g *globalOptions) *cobra.Command {
	var a archiveFlags
	var tsaURLs []string
	var list bool
	var out string
	cmd := &cobra.Command{
		Use:   "checkpoint --tsa URL",
		Short: "Timestamp the catalogue's chain head (RFC 3161) so an audit can prove its state at that date",
		Long: `Every write of a record adds an entry to the catalogue's hash chain (see
docs/catalogue.md). checkpoint first checks the whole chain (as audit does; an
edited catalogue is not certified), then asks the timestamp authority for an
RFC 3161 token over the chain head and keeps it in the catalogue. From then on
kyso archive audit proves that nothing written before that date was changed
since: the entry at the checkpoint's position must still hash to what the TSA
signed. Run it after each nightly ingest, or at least at the end of each month.

A checkpoint kept only in the catalogue can be deleted with it. --out FILE also
writes it (token, chain position, head, time, unit and the statement the token
signs) to FILE, a new file: copy it off the machine, and give it to
kyso archive audit --checkpoint FILE.

--list shows the stored checkpoints instead.`,
		Example: `  kyso archive checkpoint --db kyso.db --tsa http://tsa.example.vn/tsr --out checkpoint-$(date +%F).json
  kyso archive checkpoint --db kyso.db --list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				c, err := a.open(cmd, true, nil)
				if err != nil {
					return err
				}
				defer c.Close()
				cps, err := c.Checkpoints(cmd.Context())
				if err != nil {
					return err
				}
				jl := newJSONLines(g.io.out)
				for _, cp := range cps {
					if g.JSON {
						if err := jl.write(checkpointRow(cp)); err != nil {
							return err
						}
						continue
					}
					fmt.Fprintln(g.io.out, g.t("checkpoint %s  entries %d  head %s  records %d  TSA %s",
						g.pr().Time(cp.Time), cp.Seq, short16(cp.Head), cp.Records, cp.TSA))
				}
				if !g.JSON {
					fmt.Fprint(g.io.out, g.t("%d checkpoints\n", len(cps)))
				}
				return nil
			}
			if len(tsaURLs) == 0 {
				return fail.Usage(i18n.Errorf("checkpoint needs --tsa URL"), "kyso archive checkpoint --db kyso.db --tsa http://tsa.example.vn/tsr")
			}
			if out != "" {
				if _, err := os.Lstat(out); err == nil {
					return fail.Usage(i18n.Errorf("checkpoint file %s already exists", out), "give a new file to --out: each checkpoint is kept")
				}
			}
			c, err := a.open(cmd, false, nil)
			if err != nil {
				return err
			}
			defer c.Close()
			cp, err := c.Checkpoint(cmd.Context(), &tsp.Client{URLs: tsaURLs})
			if err != nil {
				return err
			}
			if out != "" {
				if err := archive.WriteExternalCheckpoint(out, cp.External(c.Unit().Code)); err != nil {
					return err
				}
			}
			if g.JSON {
				return newJSONLines(g.io.out).write(checkpointRow(*cp))
			}
			fmt.Fprintln(g.io.out, g.t("checkpoint %s: %d records, chain entry %s, head %s, timestamped by %s",
				g.pr().Time(cp.Time), cp.Records, strconv.Itoa(int(cp.Seq)), cp.Head, cp.TSA))
			return nil
		},
	}
	fs := cmd.Flags()
	a.addFlags(fs)
	fs.StringArrayVar(&tsaURLs, "tsa", nil, "RFC 3161 timestamp authority URL (repeatable; tried in order)")
	fs.BoolVar(&list, "list", false, "list the stored checkpoints")
	fs.StringVar(&out, "out", "", "also write the checkpoint to this new `FILE`, to keep off the machine")
	return cmd
}

// checkpointRow is a checkpoint without its token, for output.
func checkpointRow(cp archive.Checkpoint) map[string]any {
	return map[string]any{"time": cp.Time, "entries": cp.Seq, "head": cp.Head, "records": cp.Records, "tsa": cp.TSA}
}

// printChain writes what an audit found about the record hashes, the chain
// and the checkpoints, for people.
func printChain(w io.Writer, rep *archive.ChainReport, p *i18n.Printer) {
	if rep == nil {
		return
	}
	chainProblems := 0
	for _, pr := range rep.Problems {
		if pr.ID == 0 {
			chainProblems++
			fmt.Fprint(w, p.T("corrupt  chain: %s\n", oneLine(p.Translate(pr.Reason))))
		}
	}
	failing := 0
	for _, cp := range rep.Checkpoints {
		if !cp.OK {
			failing++
		}
	}
	state := p.T("intact")
	switch {
	case len(rep.Problems) > 0:
		state = p.T("%d problems", len(rep.Problems))
	case failing > 0:
		// a checkpoint that fails is evidence against the chain: never
		// "intact" beside it
		state = p.T("NOT proven intact: %d of %d checkpoints fail", failing, len(rep.Checkpoints))
	}
	fmt.Fprint(w, p.T("chain: %d entries over %d records, head %s: %s\n", rep.Entries, rep.Records, short16(rep.Head), state))
	for _, cp := range rep.Checkpoints {
		verdict := p.T("holds")
		if !cp.OK {
			verdict = p.T("FAILS: %s", oneLine(p.Translate(cp.Reason)))
		}
		tsa := cp.TSA
		if cp.Chain != "" {
			tsa += " (" + p.T(cp.Chain) + ")"
		}
		from := ""
		if cp.Source != "" {
			from = " (" + cp.Source + ")"
		}
		fmt.Fprint(w, p.T("checkpoint%s %s  entry %s  TSA %s: %s\n", from, p.Time(cp.Time), strconv.Itoa(int(cp.Seq)), tsa, verdict))
	}
}

// short16 is the first 16 characters of a hash.
func short16(s string) string {
	if len(s) > 16 {
		return s[:16]
	}
	return s
}
