package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kyso-project/kyso/archive"
	"strconv"
)

func newArchiveCheckCmd(g *globalOptions) *cobra.Command {
	var a archiveFlags
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the catalogue file's consistency: pages, records, indexes, histories, contents",
		Long: `Check that the catalogue file holds together, before trusting it or after a
disk or power failure:
  pages     the bbolt file's pages, read without bbolt: in range, of their type,
            each reached once, the free list sound (the later checks need it)
  bbolt     bbolt's own consistency check
  schema    the schema version, the unit and every bucket and index are there
  records   every record decodes, under its own id, with a SHA-256
  indexes   every index entry a record should have is there, and every entry
            there points at a record that has it
  history   every record's history chain is unbroken
  contents  every stored version of every record is in the content store, of
            its recorded size (kyso archive audit re-hashes them)
Human output lists the problems, one a line; --json writes one object per
problem: {"check","record","problem"}. The check reads like ls: writers wait
until it is done. Exit 0 when the catalogue is sound, 1 when problems are
found, 5 when the file cannot even be opened as a catalogue.`,
		Example: `  kyso archive check --db kyso.db
  kyso archive check --db /srv/kyso/kyso.db --json > problems.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			jl := newJSONLines(g.io.out)
			o := a.options(cmd, true)
			sum, err := archive.Check(cmd.Context(), a.dbPath(), o, func(p archive.Problem) error {
				if g.JSON {
					return jl.write(p)
				}
				line := g.t("%s %s", padRunes(p.Check, 9), g.pr().Translate(p.Problem))
				if p.Record != 0 {
					line = g.t("%s record %s: %s", padRunes(p.Check, 9), strconv.FormatUint(p.Record, 10), g.pr().Translate(p.Problem))
				}
				_, err := fmt.Fprintln(g.io.out, line)
				return err
			})
			if err != nil && !errors.Is(err, archive.ErrCheckFailed) {
				return err
			}
			if !g.JSON {
				fmt.Fprint(g.io.out, g.t("check %s: %d records; checks: %s", a.dbPath(), sum.Records, strings.Join(sum.Checks, ", ")))
				if len(sum.Skipped) > 0 {
					fmt.Fprint(g.io.out, g.t("; skipped (the file's structure is broken): %s", strings.Join(sum.Skipped, ", ")))
				}
				if sum.Problems == 0 {
					fmt.Fprintln(g.io.out, g.t(": no problems"))
				} else {
					fmt.Fprint(g.io.out, g.t(": %d problem(s)\n", sum.Problems))
				}
			}
			if sum.Problems > 0 {
				return exitStatus(exitInvalid)
			}
			return nil
		},
	}
	a.addFlags(cmd.Flags())
	return cmd
}
