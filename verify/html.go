package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/kyso-project/kyso/internal/trust"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kyso-project/kyso/internal/i18n"
)

// HTMLOptions shape the auditor's report.
type HTMLOptions struct {
	// Lang is vi or en (Printer, when set, wins).
	Lang    string
	Printer *i18n.Printer
	// Generated is the time printed as the report's date (zero: now).
	Generated time.Time
	// Version names the kyso that made the report.
	Version string
	// Title replaces the report's title (kyso archive audit).
	Title string
	// Scope says what was checked (a catalogue's path), shown in the header.
	Scope string
	// Basis is the configuration, anchors and policy in force; nil: the
	// first report's.
	Basis *Basis
	// Notes are lines shown under the tally (the catalogue's chain...).
	Notes []string
}

// AuditEntry is one file of the report: a verification Report, and what
// the catalogue knows of it.
type AuditEntry struct {
	Report *Report
	// Dossier is the dossier code (mã hồ sơ), when known.
	Dossier string
	// Fixity is the archive audit's outcome (ok, missing, corrupt,
	// invalid); empty for kyso verify.
	Fixity string
	// Record names the catalogue record ("" for kyso verify).
	Record string
}

// WriteHTML writes the auditor's report of reports (kyso verify --report).
func WriteHTML(w io.Writer, reports []*Report, o HTMLOptions) error {
	entries := make([]AuditEntry, len(reports))
	for i, r := range reports {
		entries[i] = AuditEntry{Report: r}
		if r.SignedMetadata != nil {
			entries[i].Dossier = r.SignedMetadata.Fields["dossier_code"]
		}
	}
	return WriteAuditHTML(w, entries, o)
}

// WriteAuditHTML writes a printable report an auditor can file: A4 pages
// numbered "page n of m"; a header with the report's time, kyso's version,
// the trust anchors (subject and SHA-256), the validation policy and the
// config file; per file its verdict first, then its SHA-256, size and
// dossier code, its signatures with the signing time labelled as proven
// (by a trusted timestamp) or as claimed; a closing tally and a block for
// the auditor's signature. Everything from the files is escaped by
// html/template.
func WriteAuditHTML(w io.Writer, entries []AuditEntry, o HTMLOptions) error {
	if o.Generated.IsZero() {
		o.Generated = time.Now()
	}
	p := o.Printer
	if p == nil {
		p = i18n.New(o.Lang)
	}
	basis := o.Basis
	if basis == nil {
		for _, e := range entries {
			if e.Report != nil && e.Report.Basis != nil {
				basis = e.Report.Basis
				break
			}
		}
	}
	counts := map[Status]int{}
	for _, e := range entries {
		counts[e.Report.Status]++
	}
	title := o.Title
	if title == "" {
		title = p.T("Signature verification report")
	}
	t := template.Must(template.New("report").Funcs(template.FuncMap{
		"T":      func(k string, a ...any) string { return p.T(k, a...) },
		"status": func(s Status) string { return statusText(p, s) },
		"time": func(t *time.Time) string {
			if t == nil {
				return "—"
			}
			return p.Time(*t)
		},
		"tval":      p.Time,
		"short":     ShortName,
		"int":       func(n int64) string { return p.Int(n) },
		"integrity": func(s Signature) string { return p.T(s.IntegrityKey()) },
		"word":      func(k string) string { return p.T(wordKey(k)) },
		"inc":       func(i int) string { return fmt.Sprint(i + 1) },
		"sigf":      func(r *Report, i int, warn bool) []shownFinding { return findingTexts(p, r, &i, warn) },
		"filef":     func(r *Report, warn bool) []shownFinding { return findingTexts(p, r, nil, warn) },
		"digests":   func(pol *Policy) string { return describeDigests(p, pol) },
		"join":      func(s []string) string { return strings.Join(s, ", ") },
		"fixity":    func(s string) string { return p.T(fixityKey(s)) },
		"tr":        p.Translate,
		"proven":    func(s Signature) bool { return s.TimestampTime != nil },
		"docts":     func(s Signature) bool { return s.Kind == kindDocTimestamp },
		"countOf":   func(s Status) int { return counts[s] },
		"pageWord":  func() string { return p.T("page") },
		"ofWord":    func() string { return p.T("of") },
	}).Parse(auditTemplate))
	return t.Execute(w, struct {
		Lang      string
		Title     string
		Scope     string
		Entries   []AuditEntry
		Generated time.Time
		Version   string
		Basis     *Basis
		Notes     []string
		Total     int
	}{p.Lang(), title, o.Scope, entries, o.Generated, o.Version, basis, o.Notes, len(entries)})
}

func statusText(p *i18n.Printer, s Status) string {
	switch s {
	case Valid:
		return p.T("VALID")
	case Indeterminate:
		return p.T("INDETERMINATE")
	}
	return p.T("INVALID")
}

// wordKey is the catalogue key of a value of the Report (a chain status, a
// change class, a signature kind...).
func wordKey(k string) string {
	if w, ok := valueWords[k]; ok {
		return w
	}
	return k
}

// valueWords are the English words for the Report's values.
var valueWords = map[string]string{
	"good": "not revoked", "whole": "the whole document", "revision": "its revision",
	"partial": "part of the document", "document-timestamp": "document timestamp",
	"archival": "validation data and timestamps only", "form-fill": "form filling", "annotation": "annotations",
	"other": "other changes", "none": "none", "": "none",
}

func fixityKey(s string) string {
	switch s {
	case "ok":
		return "fixity: ok"
	case "missing":
		return "fixity: missing"
	case "corrupt":
		return "fixity: corrupt"
	case "invalid":
		return "fixity: no longer valid"
	}
	return s
}

// findingTexts are the localized findings of signature i (nil: the file),
// warnings or not; errors without a finding are included for the file.
func findingTexts(p *i18n.Printer, r *Report, i *int, warn bool) []shownFinding {
	var out []shownFinding
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if (f.Signature == nil) != (i == nil) || i != nil && *f.Signature != *i || (f.Severity == "warning") != warn {
			continue
		}
		out = append(out, shownFinding{f.Localize(p), f.ID})
		seen[f.Message] = true
	}
	if i == nil && !warn {
		for _, e := range r.Errors {
			if !seen[e] {
				out = append(out, shownFinding{Text: p.Translate(e)})
			}
		}
	}
	if i != nil && len(r.Findings) == 0 && int(*i) < len(r.Signatures) {
		// A report without findings (read back from a catalogue).
		s := r.Signatures[*i]
		src := s.Reasons
		if warn {
			src = s.Warnings
		}
		for _, m := range src {
			out = append(out, shownFinding{Text: p.Translate(m)})
		}
	}
	return out
}

// shownFinding is a finding as the report shows it: the text, and the ID
// scripts and auditors can quote.
type shownFinding struct{ Text, ID string }

// describeDigests renders a policy's digests: "sha-256, sha-1 (sunset 2009-08-01)".
func describeDigests(p *i18n.Printer, pol *Policy) string {
	names := make([]string, 0, len(pol.Digests))
	for k := range pol.Digests {
		names = append(names, k)
	}
	sort.Strings(names)
	for i, k := range names {
		if s := pol.Digests[k]; s != "" {
			names[i] = p.T("%s (sunset %s)", k, s)
		}
	}
	return strings.Join(names, ", ")
}

const auditTemplate = `<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-center { content: "{{pageWord}} " counter(page) " {{ofWord}} " counter(pages); font: 9pt "Liberation Serif", "Times New Roman", serif; }
  @bottom-left { content: "kyso{{if .Version}} {{.Version}}{{end}}"; font: 8pt "Liberation Serif", serif; color: #555; }
  @bottom-right { content: "{{tval .Generated}}"; font: 8pt "Liberation Serif", serif; color: #555; } }
body { font-family: "Liberation Serif", "Times New Roman", serif; font-size: 11pt; color: #000; margin: 0; }
@media screen { body { max-width: 190mm; margin: 1em auto; } }
h1 { font-size: 16pt; margin: 0 0 .3em; } h2 { font-size: 12.5pt; margin: .9em 0 .3em; }
h3 { font-size: 11pt; margin: .6em 0 .2em; }
table { border-collapse: collapse; width: 100%; margin: .2em 0 .5em; }
td, th { border: 1px solid #999; padding: 2px 5px; text-align: left; vertical-align: top; }
th { background: #eee; } td.k { width: 50mm; background: #f6f6f6; }
.mono { font-family: "Liberation Mono", "DejaVu Sans Mono", monospace; font-size: 8.5pt; word-break: break-all; }
.verdict { font-weight: bold; } .valid { color: #065f06; } .invalid { color: #a00; } .indeterminate { color: #8a5a00; }
section.file { break-inside: avoid-page; border-top: 1.5px solid #444; margin-top: .8em; padding-top: .3em; }
section.file h2 { margin-top: 0; }
.proven { font-weight: bold; } .claimed { font-style: italic; }
.id { font-family: "Liberation Mono", monospace; font-size: 8pt; color: #444; }
ul { margin: .1em 0 .4em 1.2em; padding: 0; }
.tally td { text-align: center; font-size: 12pt; }
.sign { break-inside: avoid-page; margin-top: 2em; display: flex; justify-content: space-between; }
.sign div { width: 45%; text-align: center; } .sign .line { margin-top: 22mm; border-top: 1px dotted #000; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<table>
<tr><td class="k">{{T "Report made at"}}</td><td>{{tval .Generated}}</td></tr>
<tr><td class="k">{{T "Made by"}}</td><td>kyso {{if .Version}}{{.Version}}{{else}}—{{end}}</td></tr>
{{if .Scope}}<tr><td class="k">{{T "Catalogue"}}</td><td class="mono">{{.Scope}}</td></tr>{{end}}
<tr><td class="k">{{T "Files"}}</td><td>{{.Total}}</td></tr>
{{with .Basis}}
<tr><td class="k">{{T "Configuration file"}}</td><td>{{if .Config}}<span class="mono">{{.Config}}</span> ({{.ConfigSource}}){{else}}{{T "none"}}{{end}}</td></tr>
<tr><td class="k">{{T "Trust anchors"}}</td><td>{{if .Anchors}}<ol>{{range .Anchors}}<li>{{.Subject}}<br><span class="mono">SHA-256 {{.SHA256}}</span></li>{{end}}</ol>{{else}}{{T "the system's root certificates (%d)" .AnchorCount}}{{end}}</td></tr>
{{with .Policy}}<tr><td class="k">{{T "Validation policy"}}</td><td>{{.Name}}{{if .SHA256}} <span class="mono">SHA-256 {{.SHA256}}</span>{{end}}<br>{{T "RSA keys of %d to %d bits, elliptic curves of at least %d bits" .MinRSABits .MaxRSABits .MinECBits}}<br>{{T "digests: %s" (digests .)}}<br>{{T "accepted key usages: %s" (join .EKUs)}}</td></tr>{{end}}
{{end}}
</table>

{{range .Entries}}{{$r := .Report}}
<section class="file">
<h2><span class="verdict {{$r.Status}}">{{status $r.Status}}</span> — <span class="mono">{{$r.File}}</span></h2>
<table>
{{if .Record}}<tr><td class="k">{{T "Record"}}</td><td>{{.Record}}{{if .Fixity}} — {{fixity .Fixity}}{{end}}</td></tr>{{end}}
<tr><td class="k">SHA-256</td><td class="mono">{{if $r.SHA256}}{{$r.SHA256}}{{else}}—{{end}}</td></tr>
<tr><td class="k">{{T "Size"}}</td><td>{{T "%d bytes" $r.Size}}</td></tr>
{{if .Dossier}}<tr><td class="k">{{T "Dossier code"}}</td><td class="mono">{{.Dossier}}</td></tr>{{end}}
<tr><td class="k">{{T "Checked at"}}</td><td>{{tval $r.CheckedAt}}</td></tr>
</table>
{{with filef $r false}}<h3>{{T "Reasons"}}</h3><ul>{{range .}}<li>{{.Text}}{{if .ID}} <span class="id">[{{.ID}}]</span>{{end}}</li>{{end}}</ul>{{end}}
{{range $r.Signatures}}{{$i := .Index}}
<h3>{{if docts .}}{{T "Document timestamp %s" (inc .Index)}}{{else}}{{T "Signature %s" (inc .Index)}}{{end}} — <span class="verdict {{.Status}}">{{status .Status}}</span></h3>
<table>
<tr><td class="k">{{T "Signer"}}</td><td>{{short .Signer}}{{if .Signer}}<br><span class="mono">{{.Signer}}</span>{{end}}</td></tr>
<tr><td class="k">{{T "Issuer"}}</td><td>{{short .Issuer}}{{if .Serial}}<br><span class="mono">{{T "serial %s" .Serial}}</span>{{end}}</td></tr>
{{if proven .}}<tr><td class="k">{{T "Time (proven)"}}</td><td class="proven">{{time .TimestampTime}}{{if .TSA}} — {{T "timestamp by %s" (short .TSA)}}{{end}}</td></tr>{{end}}
{{if and .SigningTime (not (docts .))}}<tr><td class="k">{{if proven .}}{{T "Time claimed by the signer"}}{{else}}{{T "Time (claimed, not proven)"}}{{end}}</td><td class="claimed">{{time .SigningTime}}</td></tr>{{end}}
{{if .Chain}}<tr><td class="k">{{T "Integrity"}}</td><td>{{integrity .}}{{if .DigestAlg}} ({{.DigestAlg}}){{end}}{{if .Covers}} — {{T "covers %s" (word .Covers)}}{{end}}</td></tr>
<tr><td class="k">{{T "Certificate chain"}}</td><td>{{word .Chain}}{{if .ChainSubjects}}<ol>{{range .ChainSubjects}}<li class="mono">{{.}}</li>{{end}}</ol>{{end}}</td></tr>
<tr><td class="k">{{T "Revocation"}}</td><td>{{word .Revocation}}</td></tr>{{end}}
{{if .Modification}}<tr><td class="k">{{T "Changed after signing"}}</td><td>{{word .Modification}}</td></tr>{{end}}
{{if .Level}}<tr><td class="k">{{T "PAdES level"}}</td><td>{{.Level}}</td></tr>{{end}}
</table>
{{with sigf $r $i false}}<p><strong>{{T "Reasons"}}:</strong></p><ul>{{range .}}<li>{{.Text}}{{if .ID}} <span class="id">[{{.ID}}]</span>{{end}}</li>{{end}}</ul>{{end}}
{{with sigf $r $i true}}<p><strong>{{T "Warnings"}}:</strong></p><ul>{{range .}}<li>{{.Text}}{{if .ID}} <span class="id">[{{.ID}}]</span>{{end}}</li>{{end}}</ul>{{end}}
{{end}}
{{with filef $r true}}<h3>{{T "Warnings"}}</h3><ul>{{range .}}<li>{{.Text}}{{if .ID}} <span class="id">[{{.ID}}]</span>{{end}}</li>{{end}}</ul>{{end}}
</section>
{{end}}

<h2>{{T "Tally"}}</h2>
<table class="tally"><tr><th>{{T "valid"}}</th><th>{{T "invalid"}}</th><th>{{T "indeterminate"}}</th><th>{{T "Total"}}</th></tr>
<tr><td class="valid">{{countOf "valid"}}</td><td class="invalid">{{countOf "invalid"}}</td><td class="indeterminate">{{countOf "indeterminate"}}</td><td>{{.Total}}</td></tr></table>
{{range .Notes}}<p>{{.}}</p>{{end}}
<div class="sign">
<div><strong>{{T "Prepared by"}}</strong><br><i>{{T "(signature and full name)"}}</i><div class="line"></div></div>
<div>{{T "Date: ..../..../........"}}<br><strong>{{T "Auditor"}}</strong><br><i>{{T "(signature and full name)"}}</i><div class="line"></div></div>
</div>
</body>
</html>
`

// AnchorsOf lists a store's trust anchors with their SHA-256, as a Basis
// names them.
func AnchorsOf(st *trust.Store) []Anchor {
	var out []Anchor
	for _, c := range st.Roots {
		sum := sha256.Sum256(c.Raw)
		out = append(out, Anchor{Subject: formatDN(c.Subject), SHA256: hex.EncodeToString(sum[:])})
	}
	return out
}
