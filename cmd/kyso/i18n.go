package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kyso-project/kyso/internal/i18n"
)

// pr is the Printer of the run's language.
func (g *globalOptions) pr() *i18n.Printer {
	if g.p == nil || g.p.Lang() != g.language() {
		g.p = i18n.New(g.language())
	}
	return g.p
}

// t renders a catalogue message in the run's language.
func (g *globalOptions) t(key string, args ...any) string { return g.pr().T(key, args...) }

// localize puts the command tree into lang: every command's Short, Long and
// Example and every flag's usage are catalogue keys (their English text),
// replaced here by the catalogue's text; the usage and help templates are
// the catalogue's too. It runs before parsing, since --help is rendered
// while parsing.
func localize(root *cobra.Command, p *i18n.Printer) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.InitDefaultHelpFlag()
		if c == root {
			c.InitDefaultVersionFlag()
		}
		if c.Short != "" {
			c.Short = p.Text(c.Short)
		}
		if c.Long != "" {
			c.Long = p.Text(c.Long)
		}
		if c.Example != "" {
			c.Example = p.Text(c.Example)
		}
		tr := func(f *pflag.Flag) {
			switch {
			case f.Name == "help":
				f.Usage = p.T("help for %s", c.Name())
			case f.Name == "version" && c == root:
				f.Usage = p.T("version for %s", c.Name())
			case f.Usage != "":
				f.Usage = p.Text(f.Usage)
			}
		}
		c.LocalNonPersistentFlags().VisitAll(tr)
		c.PersistentFlags().VisitAll(tr)
		c.SetUsageTemplate(usageTemplate(p))
		c.SetVersionTemplate("{{.Name}} " + p.T("version %s", "{{.Version}}") + "\n")
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	cobra.AddTemplateFunc("kysoFlags", func(fs *pflag.FlagSet) string { return flagUsages(fs, p) })
	cobra.AddTemplateFunc("kysoUseLine", func(c *cobra.Command) string { return useLine(c, p) })
}

// usageTemplate is cobra's usage template with the catalogue's headings and
// kyso's flag listing (whose types and defaults are in the language too).
func usageTemplate(p *i18n.Printer) string {
	return p.T("Usage:") + `{{if .Runnable}}
  {{kysoUseLine .}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} ` + p.T("[command]") + `{{end}}{{if gt (len .Aliases) 0}}

` + p.T("Aliases:") + `
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

` + p.T("Examples:") + `
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

` + p.T("Commands:") + `{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

` + p.T("Flags:") + `
{{kysoFlags .LocalFlags}}{{end}}{{if .HasAvailableInheritedFlags}}

` + p.T("Global flags:") + `
{{kysoFlags .InheritedFlags}}{{end}}{{if .HasAvailableSubCommands}}

` + p.T("Use \"%s [command] --help\" for more about a command.", "{{.CommandPath}}") + `{{end}}
`
}

// useLine is cobra's UseLine with "[flags]" in the language.
func useLine(c *cobra.Command, p *i18n.Printer) string {
	u := c.UseLine()
	if s, ok := strings.CutSuffix(u, " [flags]"); ok {
		return s + " " + p.T("[flags]")
	}
	return u
}

// flagUsages lists flags as pflag does, with the type names and the
// "(default ...)" in the language.
func flagUsages(fs *pflag.FlagSet, p *i18n.Printer) string {
	type line struct{ left, right string }
	var lines []line
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if varname != "" {
			if tn := typeName(varname); tn != varname {
				varname = p.T(tn)
			}
			left += " " + varname
		}
		right := usage
		if def := defaultText(f); def != "" {
			right += " " + p.T("(default %s)", def)
		}
		if n := len([]rune(left)); n > width {
			width = n
		}
		lines = append(lines, line{left, right})
	})
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%s%s   %s\n", l.left, strings.Repeat(" ", width-len([]rune(l.left))), l.right)
	}
	return strings.TrimRight(b.String(), "\n")
}

// typeName maps pflag's type names to catalogue keys.
func typeName(t string) string {
	switch t {
	case "string", "strings", "stringArray", "int", "uint", "duration", "float", "float64", "int64", "uint64", "bool":
		return "type:" + t
	}
	return t
}

// defaultText is the default a flag shows, or "" when it is the zero value.
func defaultText(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "bool":
		if f.DefValue == "false" {
			return ""
		}
		return f.DefValue
	case "string":
		if f.DefValue == "" {
			return ""
		}
		return fmt.Sprintf("%q", f.DefValue)
	case "int", "int64", "uint", "uint64", "float64", "float":
		if f.DefValue == "0" {
			return ""
		}
	case "duration":
		if f.DefValue == "0s" {
			return ""
		}
	case "stringArray", "stringSlice", "strings", "intSlice":
		if f.DefValue == "[]" {
			return ""
		}
	}
	return f.DefValue
}

// cobraError turns the errors cobra and pflag make (English sentences) into
// catalogue errors; any other error comes back as it is.
func cobraError(err error) error {
	s := err.Error()
	var a, b string
	var n, m int
	switch {
	case scan(s, "unknown command %q for %q", &a, &b):
		return i18n.Errorf("unknown command %q for %q", a, b)
	case strings.HasPrefix(s, "unknown flag: "):
		return i18n.Errorf("unknown flag: %s", strings.TrimPrefix(s, "unknown flag: "))
	case strings.HasPrefix(s, "unknown shorthand flag: "):
		return i18n.Errorf("unknown shorthand flag: %s", strings.TrimPrefix(s, "unknown shorthand flag: "))
	case strings.HasPrefix(s, "flag needs an argument: "):
		return i18n.Errorf("flag needs an argument: %s", strings.TrimPrefix(s, "flag needs an argument: "))
	case strings.HasPrefix(s, "bad flag syntax: "):
		return i18n.Errorf("bad flag syntax: %s", strings.TrimPrefix(s, "bad flag syntax: "))
	case scan(s, "requires at least %d arg(s), only received %d", &n, &m):
		return i18n.Errorf("requires at least %d arg(s), only received %d", n, m)
	case scan(s, "accepts %d arg(s), received %d", &n, &m):
		return i18n.Errorf("accepts %d arg(s), received %d", n, m)
	case scan(s, "accepts at most %d arg(s), received %d", &n, &m):
		return i18n.Errorf("accepts at most %d arg(s), received %d", n, m)
	case scan(s, "accepts between %d and %d arg(s), received", &n, &m):
		return i18n.Errorf("accepts between %d and %d arg(s)", n, m)
	case strings.HasPrefix(s, "unknown command ") && strings.HasSuffix(s, "takes no arguments"):
		return i18n.Errorf("unknown command %s takes no arguments", strings.TrimSuffix(strings.TrimPrefix(s, "unknown command "), " takes no arguments"))
	case strings.HasPrefix(s, "if any flags in the group [") && strings.Contains(s, "] are set none of the others can be; "):
		g, set, _ := strings.Cut(strings.TrimPrefix(s, "if any flags in the group ["), "] are set none of the others can be; ")
		return i18n.Errorf("if any flags in the group [%s] are set none of the others can be; %s were all set", g, strings.TrimSuffix(set, " were all set"))
	case strings.HasPrefix(s, "if any flags in the group [") && strings.Contains(s, "] are set they must all be set; missing "):
		g, miss, _ := strings.Cut(strings.TrimPrefix(s, "if any flags in the group ["), "] are set they must all be set; missing ")
		return i18n.Errorf("if any flags in the group [%s] are set they must all be set; missing %s", g, miss)
	case strings.HasPrefix(s, "at least one of the flags in the group [") && strings.HasSuffix(s, "] is required"):
		return i18n.Errorf("at least one of the flags in the group [%s] is required", strings.TrimSuffix(strings.TrimPrefix(s, "at least one of the flags in the group ["), "] is required"))
	case strings.HasPrefix(s, "invalid argument "):
		if i := strings.Index(s, " flag: "); i > 0 {
			head := strings.TrimPrefix(s[:i], "invalid argument ")
			if v, f, ok := strings.Cut(head, " for "); ok {
				return i18n.Errorf("invalid argument %s for %s flag: %v", v, f, valueError(s[i+len(" flag: "):]))
			}
		}
	}
	return err
}

// scan is fmt.Sscanf that says whether the whole pattern matched.
func scan(s, format string, a ...any) bool {
	n, err := fmt.Sscanf(s, format, a...)
	return err == nil && n == len(a)
}

// valueError says why pflag refused a value, in words people read.
func valueError(s string) error {
	switch {
	case strings.HasSuffix(s, "invalid syntax"):
		return i18n.Errorf("not a number")
	case strings.HasSuffix(s, "value out of range"):
		return i18n.Errorf("out of range")
	}
	return errors.New(s)
}

// resultError says why a file failed: its error in the language, else the
// English text stored in a result.
func resultError(p *i18n.Printer, err error, text string) string {
	if err != nil {
		return p.Err(err)
	}
	return p.Translate(text)
}
