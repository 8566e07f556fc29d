package main

import (
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kyso-project/kyso/archive"
)

// s3Flags say how to reach an object store. Only addresses: the
// credentials come from the environment or the AWS credentials file.
type s3Flags struct {
	Endpoint, Region string
	fs               *pflag.FlagSet
}

func (s *s3Flags) addFlags(fs *pflag.FlagSet) {
	s.fs = fs
	fs.StringVar(&s.Endpoint, "s3-endpoint", "", "object store endpoint, host:port or http(s)://host:port (default $KYSO_S3_ENDPOINT, else AWS)")
	fs.StringVar(&s.Region, "s3-region", "", "object store region (default $KYSO_S3_REGION, else $AWS_REGION)")
}

// access reads the object store settings: a flag given on the command
// line, else the environment, else the flag's value from the config file.
func (s *s3Flags) access(cmd *cobra.Command) archive.S3Access {
	pick := func(name, flag string, env ...string) string {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			return flag
		}
		for _, e := range env {
			if v := os.Getenv(e); v != "" {
				return v
			}
		}
		return flag
	}
	return archive.S3Access{
		Endpoint:        pick("s3-endpoint", s.Endpoint, "KYSO_S3_ENDPOINT"),
		Region:          pick("s3-region", s.Region, "KYSO_S3_REGION", "AWS_REGION"),
		AccessKey:       os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretKey:       os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		Profile:         os.Getenv("AWS_PROFILE"),
		CredentialsFile: os.Getenv("AWS_SHARED_CREDENTIALS_FILE"),
	}
}

func newArchiveGCCmd(g *globalOptions) *cobra.Command {
	var a archiveFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "gc [--dry-run]",
		Short: "List (and in a folder store remove) stored contents no record refers to",
		Long: `List the contents of the store that no record refers to. A crash between the
upload of a file to an object store and the commit of its record leaves one;
so may another program writing into the bucket. They harm nothing: ingesting
the same file again uses the object that is there.

With --dry-run, gc only lists them. Without it, gc removes them from a folder
store; on an object store (s3://) kyso never deletes, and gc without --dry-run
is refused: objects may be under Object Lock retention, and kyso's
credentials need no delete permission. Remove them, if at all, with the
bucket's own tools once their retention ends.`,
		Example: `  kyso archive gc --db province.db --dry-run`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.open(cmd, dryRun, nil)
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.GC(cmd.Context(), dryRun)
			if err != nil {
				return err
			}
			jl := newJSONLines(g.io.out)
			for _, o := range res.Unreferenced {
				if g.JSON {
					if err := jl.write(map[string]any{"sha256": o.SHA256, "size": o.Size, "object": c.FilePath(o.SHA256), "removed": !dryRun}); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintln(g.io.out, g.t("unreferenced %s %d bytes", c.FilePath(o.SHA256), o.Size))
			}
			if !g.JSON {
				if dryRun {
					fmt.Fprintln(g.io.out, g.t("gc: %d unreferenced objects in %s (dry run: nothing removed)", len(res.Unreferenced), c.StorePath()))
				} else {
					fmt.Fprintln(g.io.out, g.t("gc: %d unreferenced files removed from %s", res.Removed, c.StorePath()))
				}
			}
			return nil
		},
	}
	a.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only list what has no record")
	return cmd
}

// printStore tells what the audit found in the store itself.
func printStore(w interface{ Write([]byte) (int, error) }, st *archive.StoreReport, location string, p *i18n.Printer) {
	if st == nil {
		return
	}
	if !strings.HasPrefix(location, "s3://") && len(st.Unreferenced) == 0 && len(st.Unprotected) == 0 {
		return // a folder store with nothing to say: the records' lines said it all
	}
	for _, s := range st.Unprotected {
		fmt.Fprintln(w, p.T("unprotected object %s: no Object Lock retention in force", s))
	}
	line := p.T("store: %s: %d objects, %d referenced", location, st.Objects, st.Referenced)
	if n := len(st.Unreferenced); n > 0 {
		line += p.T(", %d unreferenced (kyso archive gc --dry-run lists them)", n)
	}
	if n := len(st.Unprotected); n > 0 {
		line += p.T(", %d without retention", n)
	}
	fmt.Fprintln(w, line)
}
