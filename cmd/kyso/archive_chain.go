package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

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
					fmt.Fprintf(g.io.out, "checkpoint %s  entries %d  head %.16s  records %d  TSA %s\n",
						cp.Time.Format(time.RFC3339), cp.Seq, cp.Head, cp.Records, cp.TSA)
				}
				if !g.JSON {
					fmt.Fprintf(g.io.out, "%d checkpoints\n", len(cps))
				}
				return nil
			}
			if len(tsaURLs) == 0 {
				return fail.Usage(errors.New("checkpoint needs --tsa URL"), "kyso archive checkpoint --db kyso.db --tsa http://tsa.example.vn/tsr")
			}
			if out != "" {
				if _, err := os.Lstat(out); err == nil {
					return fail.Usage(fmt.Errorf("checkpoint file %s already exists", out), "give a new file to --out: each checkpoint is kept")
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
			fmt.Fprintf(g.io.out, "checkpoint %s: %d records, chain entry %d, head %s, timestamped by %s\n",
				cp.Time.Format(time.RFC3339), cp.Records, cp.Seq, cp.Head, cp.TSA)
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
func printChain(w io.Writer, rep *archive.ChainReport) {
	if rep == nil {
		return
	}
	chainProblems := 0
	for _, p := range rep.Problems {
		if p.ID == 0 {
			chainProblems++
			fmt.Fprintf(w, "corrupt  chain: %s\n", p.Reason)
		}
	}
	failing := 0
	for _, cp := range rep.Checkpoints {
		if !cp.OK {
			failing++
		}
	}
	state := "intact"
	switch {
	case len(rep.Problems) > 0:
		state = fmt.Sprintf("%d problems", len(rep.Problems))
	case failing > 0:
		// a checkpoint that fails is evidence against the chain: never
		// "intact" beside it
		state = fmt.Sprintf("NOT proven intact: %d of %d checkpoints fail", failing, len(rep.Checkpoints))
	}
	fmt.Fprintf(w, "chain: %d entries over %d records, head %.16s: %s\n", rep.Entries, rep.Records, rep.Head, state)
	for _, cp := range rep.Checkpoints {
		verdict := "holds"
		if !cp.OK {
			verdict = "FAILS: " + cp.Reason
		}
		tsa := cp.TSA
		if cp.Chain != "" {
			tsa += " (" + cp.Chain + ")"
		}
		from := ""
		if cp.Source != "" {
			from = " (" + cp.Source + ")"
		}
		fmt.Fprintf(w, "checkpoint%s %s  entry %d  TSA %s: %s\n", from, cp.Time.Format(time.RFC3339), cp.Seq, tsa, verdict)
	}
}
