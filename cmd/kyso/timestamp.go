package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/termsafe"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/internal/tsp"
	"github.com/kyso-project/kyso/sign"
)

func init() { commands = append(commands, newTimestampCmd) }

type timestampFlags struct {
	TSA     []string
	Trust   []string
	Out     string
	InPlace bool
	Offline bool
	NoDSS   bool
}

// timestampResult is the --json contract of `kyso timestamp`.
type timestampResult struct {
	Input    string   `json:"input"`
	Output   string   `json:"output,omitempty"`
	Status   string   `json:"status"` // timestamped | failed
	Error    string   `json:"error,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

func newTimestampCmd(g *globalOptions) *cobra.Command {
	f := &timestampFlags{}
	cmd := &cobra.Command{
		Use:   "timestamp INPUT... --tsa URL (--out DIR | --in-place)",
		Short: "Extend signed PDFs to B-LT/B-LTA: validation data and a document timestamp",
		Long: `Add, as incremental updates that never break an existing signature, the
validation data (certificates, OCSP responses, CRLs in a /DSS) of every signature
already in each PDF, when it can be gathered, and then an RFC 3161 document
timestamp (ETSI.RFC3161) over the whole file. Works on files signed by kyso or by
other tools. Outputs mirror the inputs under --out, or replace them atomically
with --in-place.

Each timestamp token is checked before it is written, as sign checks them at
B-LTA: a token dated ahead of this computer's clock, or from a TSA that does not
chain to --trust (without --trust: to the system roots), stops the run (exit 5)
with nothing written for that file.`,
		Example: `  kyso timestamp signed/ --out archived/ --trust roots/ --tsa http://tsa.example.vn/tsr
  kyso timestamp contract.pdf --in-place --trust root.pem --tsa http://tsa.example.vn/tsr`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTimestamp(cmd.Context(), g, f, args)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&f.TSA, "tsa", nil, "RFC 3161 timestamp authority URL (repeatable; tried in order)")
	fs.StringArrayVar(&f.Trust, "trust", nil, "trust anchors (PEM/DER file or folder; repeatable)")
	fs.StringVarP(&f.Out, "out", "o", "", "output folder")
	fs.BoolVar(&f.InPlace, "in-place", false, "replace each input atomically")
	cmd.MarkFlagsOneRequired("out", "in-place")
	cmd.MarkFlagsMutuallyExclusive("out", "in-place")
	return cmd
}

func runTimestamp(ctx context.Context, g *globalOptions, f *timestampFlags, args []string) error {
	if len(f.TSA) == 0 {
		return fail.Usage(i18n.Errorf("--tsa is required"), "")
	}
	inputs, err := collectPDFs(args)
	if err != nil {
		return err
	}
	if len(inputs) == 0 {
		return nothingToDo(g, args)
	}
	client := &tsp.Client{URLs: f.TSA}
	ltv, err := newLTV(g, f.Trust, client)
	if err != nil {
		return err
	}
	outs := make([]string, len(inputs))
	for i, in := range inputs {
		outs[i] = in.Path
		if !f.InPlace {
			outs[i] = slashPath(filepath.Join(f.Out, in.Rel))
		}
	}
	removeStaleTemps(g, outs)
	jl := newJSONLines(g.io.out)
	bar := newProgress(g, "timestamping", len(inputs))
	failed := 0
	for i, in := range inputs {
		if ctx.Err() != nil {
			return exitStatus(exitInterrupted)
		}
		out := outs[i]
		res := timestampResult{Input: in.Path, Output: out, Status: "timestamped"}
		var warnings []string
		err := in.Err
		if err != nil {
			err = in.inputError()
		} else {
			warnings, err = ltv.ExtendFile(ctx, in.Path, out, true, f.InPlace)
		}
		res.Warnings = warnings
		bar.step()
		if err != nil {
			if fail.KindOf(err) == fail.KindRun || errors.Is(err, context.Canceled) {
				return err
			}
			res.Status, res.Error, res.Output = "failed", err.Error(), ""
			failed++
		}
		if g.JSON {
			jl.write(res)
			continue
		}
		if res.Status == "failed" {
			bar.print(g.io.err, g.t("kyso: error: %s: %s\n", termsafe.String(in.Path), oneLine(g.pr().Err(err))))
		} else {
			bar.print(g.io.out, g.t("timestamped %s -> %s\n", termsafe.String(in.Path), termsafe.String(out)))
		}
		for _, w := range warnings {
			bar.print(g.io.err, g.t("kyso: warning: %s: %s\n", termsafe.String(in.Path), oneLine(g.pr().Translate(w))))
		}
	}
	bar.finish()
	if failed > 0 {
		return exitStatus(exitInput)
	}
	return nil
}

// newLTV builds the validation-data gatherer from trust flags. Every
// document timestamp it adds is judged before it is written, as sign judges
// its timestamps at B-LTA: a token dated ahead of this computer's clock, or
// from a TSA that does not chain to the anchors, stops the run (exit 5)
// with nothing written for that file.
func newLTV(g *globalOptions, trustPaths []string, client *tsp.Client) (*sign.LTV, error) {
	store, err := trust.Load(trustPaths)
	if err != nil {
		return nil, err
	}
	policy := newSignerPolicy(g, store, len(trustPaths) > 0, sign.LevelBLTA)
	return &sign.LTV{Trust: store, Fetcher: &revocation.Fetcher{}, TSA: client, CheckTimestamp: policy.CheckTimestamp}, nil
}

// removeStaleTemps removes, once per folder of outs, the temporary files
// that killed runs left there, and says so.
func removeStaleTemps(g *globalOptions, outs []string) {
	seen := map[string]bool{}
	var removed []string
	for _, o := range outs {
		d := filepath.Dir(o)
		if seen[d] {
			continue
		}
		seen[d] = true
		r, _ := fileutil.RemoveStaleTemps(d)
		removed = append(removed, r...)
	}
	if len(removed) > 0 {
		fmt.Fprint(g.io.err, g.t("kyso: removed %d temporary file(s) left by an interrupted run (%s)\n", len(removed), removed[0]))
	}
}
