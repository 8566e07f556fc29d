package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kyso-project/kyso/internal/fail"
)

func init() { commands = append(commands, newDocsCmd) }

// newDocsCmd writes the CLI reference (docs/cli/) from the command tree, so
// the reference cannot drift from --help; `make docs` fails on a diff.
func newDocsCmd(g *globalOptions) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:     "docs --out DIR",
		Short:   "Write the command-line reference as Markdown",
		Hidden:  true,
		Example: "  kyso docs --out docs/cli",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fail.Run(err, "")
			}
			// The reference in docs/ is English, whatever --lang says.
			en := newLocalizedRootCmd(g.io, "")
			en.InitDefaultCompletionCmd()
			return writeDocs(en, out)
		},
	}
	cmd.Flags().StringVar(&out, "out", "docs/cli", "output folder")
	return cmd
}

func writeDocs(c *cobra.Command, dir string) error {
	if c.Hidden || c.Name() == "help" {
		return nil
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n%s\n\n", c.CommandPath(), c.Short)
	if c.Runnable() {
		fmt.Fprintf(&b, "```\n%s\n```\n\n", c.UseLine())
	}
	if c.Long != "" {
		fmt.Fprintf(&b, "%s\n\n", c.Long)
	}
	if c.Example != "" {
		fmt.Fprintf(&b, "## Examples\n\n```\n%s\n```\n\n", c.Example)
	}
	if fs := c.NonInheritedFlags(); fs.HasAvailableFlags() {
		fmt.Fprintf(&b, "## Flags\n\n```\n%s```\n\n", fs.FlagUsages())
	}
	if fs := c.InheritedFlags(); fs.HasAvailableFlags() {
		fmt.Fprintf(&b, "## Global flags\n\n```\n%s```\n\n", fs.FlagUsages())
	}
	var subs []string
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() && s.Name() != "help" {
			subs = append(subs, fmt.Sprintf("- [%s](%s.md): %s", s.CommandPath(), docName(s), s.Short))
		}
	}
	if len(subs) > 0 {
		fmt.Fprintf(&b, "## Commands\n\n%s\n", strings.Join(subs, "\n"))
	}
	b.WriteString("\nSee [exit codes](../exit-codes.md).\n")
	if err := os.WriteFile(filepath.Join(dir, docName(c)+".md"), b.Bytes(), 0o644); err != nil {
		return fail.Run(err, "")
	}
	for _, s := range c.Commands() {
		if err := writeDocs(s, dir); err != nil {
			return err
		}
	}
	return nil
}

func docName(c *cobra.Command) string { return strings.ReplaceAll(c.CommandPath(), " ", "_") }
