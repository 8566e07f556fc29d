package main

import (
	"context"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/tsp"
)

type renewFlags struct {
	archiveFlags
	verifyFlags
	TSA    []string
	Before string
}

func newArchiveRenewCmd(g *globalOptions) *cobra.Command {
	f := &renewFlags{}
	cmd := &cobra.Command{
		Use:   "renew --tsa URL [--before DURATION]",
		Short: "Add fresh validation data and archive timestamps before the old ones expire",
		Long: `For every record whose protection ends within --before — the certificate of the
TSA of its newest document timestamp, or, without one, the signer's or a signature
timestamp's certificate — add fresh validation data (certificates, OCSP responses,
CRLs in a /DSS) and a new RFC 3161 document timestamp, as incremental updates that
leave every signature intact. The new bytes become the record's current version;
the old version stays in the store and the history says so. Run it from the
nightly job while the network is up.

DURATION is a Go duration (72h) or a number of days or years: 180d, 2y, 20y.`,
		Example: `  kyso archive renew --db kyso.db --trust roots/ --tsa http://tsa.example.vn/tsr
  kyso archive renew --db kyso.db --trust roots/ --tsa http://tsa.example.vn/tsr --before 180d --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runArchiveRenew(cmd, g, f) },
	}
	fs := cmd.Flags()
	f.archiveFlags.addFlags(fs)
	f.verifyFlags.addFlags(fs)
	fs.StringArrayVar(&f.TSA, "tsa", nil, "RFC 3161 timestamp authority URL (repeatable; tried in order)")
	fs.StringVar(&f.Before, "before", "2y", "renew what expires within this window")
	return cmd
}

// parseWindow reads "20y", "180d" or a Go duration.
func parseWindow(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"y": 365 * 24 * time.Hour, "d": 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil || v < 0 {
				return 0, i18n.Errorf("%q: want a number of %s", s, map[string]string{"y": "years", "d": "days"}[suffix])
			}
			return time.Duration(v * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, i18n.Errorf("%q: want 180d, 2y or a duration such as 72h", s)
	}
	return d, nil
}

func runArchiveRenew(cmd *cobra.Command, g *globalOptions, f *renewFlags) error {
	if len(f.TSA) == 0 {
		return fail.Usage(i18n.Errorf("--tsa is required"), "")
	}
	window, err := parseWindow(f.Before)
	if err != nil {
		return fail.Usage(i18n.Errorf("--before %v", err), "")
	}
	ltv, err := newLTV(g, f.Trust, &tsp.Client{URLs: f.TSA})
	if err != nil {
		return err
	}
	c, err := f.openVerifying(cmd, g, &f.verifyFlags)
	if err != nil {
		return err
	}
	defer c.Close()
	jl := newJSONLines(g.io.out)
	sum, err := c.Renew(cmd.Context(), archive.RenewOptions{
		Before: window,
		Extend: func(ctx context.Context, in, out string) ([]string, error) {
			return ltv.ExtendFile(ctx, in, out, true, true)
		},
	}, func(r archive.RenewResult) error {
		if g.JSON {
			return jl.write(r)
		}
		until := "-"
		if r.Until != nil {
			until = r.Until.Format(time.DateOnly)
		}
		fmt.Fprint(g.io.out, g.t("%s record %s protected until %s%s\n", padRunes(g.t(string(r.Status)), 8), strconv.FormatUint(r.ID, 10), until, reasonSuffix(oneLine(g.pr().Translate(r.Reason)))))
		for _, w := range r.Warnings {
			fmt.Fprint(g.io.err, g.t("kyso: warning: record %s: %s\n", strconv.FormatUint(r.ID, 10), oneLine(g.pr().Translate(w))))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !g.JSON {
		fmt.Fprint(g.io.err, g.t("kyso: %d renewed, %d current, %d failed\n", sum.Renewed, sum.Current, sum.Failed))
	}
	if sum.Failed > 0 {
		return exitStatus(exitInput)
	}
	return nil
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return ": " + reason
}
