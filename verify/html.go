package verify

import (
	"html/template"
	"io"
	"strings"
	"time"
)

// HTMLOptions shape the printable report.
type HTMLOptions struct {
	Lang string
	// Generated is the time printed as the report's date (zero: now).
	Generated time.Time
	// Version names the kyso that made the report.
	Version string
}

// WriteHTML writes a printable report of reports: a summary, then one
// section per file with its verdict, reasons, and for each signature who
// signed, when, its chain, timestamps and the revision history. Everything
// from the files is escaped by html/template.
func WriteHTML(w io.Writer, reports []*Report, o HTMLOptions) error {
	if o.Generated.IsZero() {
		o.Generated = time.Now()
	}
	lang := o.Lang
	if lang != "vi" {
		lang = "en"
	}
	t := template.Must(template.New("report").Funcs(template.FuncMap{
		"t":      func(k string) string { return Text(lang, k) },
		"status": func(s Status) string { return StatusText(lang, s) },
		"time":   func(t *time.Time) string { return FormatTime(lang, t) },
		"tval":   func(t time.Time) string { return FormatTime(lang, &t) },
		"short":  ShortName,
		"integrity": func(ok bool) string {
			if ok {
				return Text(lang, "intact")
			}
			return Text(lang, "altered")
		},
		"inc":     func(i int) int { return i + 1 },
		"basis":   basisOf,
		"digests": describeDigests,
		"join":    func(s []string) string { return strings.Join(s, ", ") },
		"count": func(rs []*Report, s Status) int {
			n := 0
			for _, r := range rs {
				if r.Status == s {
					n++
				}
			}
			return n
		},
	}).Parse(htmlTemplate))
	return t.Execute(w, struct {
		Lang      string
		Reports   []*Report
		Generated time.Time
		Version   string
	}{lang, reports, o.Generated, o.Version})
}

const htmlTemplate = `<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<title>{{t "report_title"}}</title>
<style>
body { font-family: "Times New Roman", "Liberation Serif", serif; font-size: 11pt; margin: 2em; color: #000; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; border-top: 1px solid #888; padding-top: .6em; } h3 { font-size: 11.5pt; margin-bottom: .3em; }
table { border-collapse: collapse; margin: .3em 0 .8em; } td, th { border: 1px solid #999; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; font-weight: bold; } .k { width: 14em; background: #f6f6f6; }
.valid { color: #065f06; font-weight: bold; } .invalid { color: #a00; font-weight: bold; } .indeterminate { color: #8a5a00; font-weight: bold; }
.mono { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; word-break: break-all; }
section.file { page-break-inside: avoid; } @media print { section.file { page-break-before: auto; } }
ul { margin: .2em 0 .6em; }
</style>
</head>
<body>
<h1>{{t "report_title"}}</h1>
<p>{{t "checked_at"}}: {{tval .Generated}}{{if .Version}} — kyso {{.Version}}{{end}}</p>
<h2>{{t "summary"}}</h2>
<table>
<tr><th>{{t "file"}}</th><th>{{t "verdict"}}</th><th>{{t "signatures"}}</th></tr>
{{range .Reports}}<tr><td class="mono">{{.File}}</td><td class="{{.Status}}">{{status .Status}}</td><td>{{len .Signatures}}</td></tr>
{{end}}</table>
<p>{{t "valid"}}: {{count .Reports "valid"}} · {{t "indeterminate"}}: {{count .Reports "indeterminate"}} · {{t "invalid"}}: {{count .Reports "invalid"}}</p>
{{with basis .Reports}}<h2>{{t "basis"}}</h2>
<table>
<tr><td class="k">{{t "config"}}</td><td>{{if .Config}}<span class="mono">{{.Config}}</span> ({{.ConfigSource}}){{else}}{{t "none"}}{{end}}</td></tr>
<tr><td class="k">{{t "trust_anchors"}}</td><td>{{if .Anchors}}<ol>{{range .Anchors}}<li>{{.Subject}}<br><span class="mono">SHA-256 {{.SHA256}}</span></li>{{end}}</ol>{{else}}{{t "system_roots"}} ({{.AnchorCount}}){{end}}</td></tr>
{{with .Policy}}<tr><td class="k">{{t "policy"}}</td><td>{{.Name}}{{if .SHA256}} <span class="mono">SHA-256 {{.SHA256}}</span>{{end}}<br>RSA &ge; {{.MinRSABits}} bit, EC &ge; {{.MinECBits}} bit<br>{{digests .}}<br>EKU: {{join .EKUs}}</td></tr>{{end}}
</table>{{end}}
{{range .Reports}}
<section class="file">
<h2>{{t "file"}}: <span class="mono">{{.File}}</span> — <span class="{{.Status}}">{{status .Status}}</span></h2>
<table>
{{if .SHA256}}<tr><td class="k">{{t "sha256"}}</td><td class="mono">{{.SHA256}}</td></tr>{{end}}
<tr><td class="k">{{t "size"}}</td><td>{{.Size}} {{t "bytes"}}</td></tr>
<tr><td class="k">{{t "checked_at"}}</td><td>{{tval .CheckedAt}}</td></tr>
</table>
{{if .Errors}}<h3>{{t "errors"}}</h3><ul>{{range .Errors}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Warnings}}<h3>{{t "warnings"}}</h3><ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Findings}}<h3>{{t "findings"}}</h3><ul>{{range .Findings}}<li><span class="mono">{{.ID}}</span> ({{t .Severity}}{{if .Signature}}, {{t "signature"}} {{inc .Signature}}{{end}}): {{.Message}}</li>{{end}}</ul>{{end}}
{{with .SignedMetadata}}<h3>{{t "signed_metadata"}} ({{t "signature"}} {{inc .Signature}}, {{t "revision"}} {{.Revision}})</h3><table>{{range $k, $v := .Fields}}<tr><td class="k">{{$k}}</td><td>{{$v}}</td></tr>{{end}}</table>{{end}}
{{range .Signatures}}
<h3>{{t "signature"}} {{inc .Index}}{{if .Field}} — {{.Field}}{{end}} — <span class="{{.Status}}">{{status .Status}}</span></h3>
<table>
<tr><td class="k">{{t "kind"}}</td><td>{{t .Kind}} ({{.SubFilter}}){{if .DocMDP}}, DocMDP P={{.DocMDP}}{{end}}</td></tr>
<tr><td class="k">{{t "signer"}}</td><td>{{short .Signer}}<br><span class="mono">{{.Signer}}</span></td></tr>
<tr><td class="k">{{t "issuer"}}</td><td>{{short .Issuer}}<br><span class="mono">{{.Issuer}}</span></td></tr>
<tr><td class="k">{{t "serial"}}</td><td class="mono">{{.Serial}}</td></tr>
<tr><td class="k">{{t "signing_time"}}</td><td>{{time .SigningTime}}{{if .SigningTime}} ({{t "claimed"}}){{end}}</td></tr>
<tr><td class="k">{{t "timestamp"}}</td><td>{{time .TimestampTime}}{{if .TSA}} — {{short .TSA}}{{end}}</td></tr>
<tr><td class="k">{{t "integrity"}}</td><td>{{integrity .Integrity}}{{if .DigestAlg}} ({{.DigestAlg}}){{end}}</td></tr>
<tr><td class="k">{{t "covers"}}</td><td>{{t .Covers}}</td></tr>
<tr><td class="k">{{t "modification"}}</td><td>{{if .Modification}}{{t .Modification}}{{else}}—{{end}}</td></tr>
<tr><td class="k">{{t "chain"}}</td><td>{{t .Chain}}{{if .ChainSubjects}}<ol>{{range .ChainSubjects}}<li class="mono">{{.}}</li>{{end}}</ol>{{end}}</td></tr>
<tr><td class="k">{{t "revocation"}}</td><td>{{t .Revocation}}</td></tr>
{{if .Level}}<tr><td class="k">{{t "level"}}</td><td>{{.Level}}</td></tr>{{end}}
</table>
{{if .Timestamps}}<table><tr><th>{{t "timestamps"}}</th><th>{{t "tsa"}}</th><th>{{t "chain"}}</th><th></th></tr>
{{range .Timestamps}}<tr><td>{{if eq .Kind "signature"}}{{t "kind_signature"}}{{else}}{{t "kind_document"}} ({{t "signature"}} {{inc .Signature}}){{end}}<br>{{tval .Time}}</td><td>{{short .TSA}}</td><td>{{t .Chain}}</td><td>{{if .Proves}}{{t "proves"}}{{else}}{{t "not_proves"}}{{end}}{{range .Problems}}<br>{{.}}{{end}}</td></tr>
{{end}}</table>{{end}}
{{if .Reasons}}<p><b>{{t "reasons"}}:</b></p><ul>{{range .Reasons}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Warnings}}<p><b>{{t "warnings"}}:</b></p><ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{end}}
{{if .Revisions}}<h3>{{t "revisions"}}</h3>
<table><tr><th>{{t "revision"}}</th><th>{{t "end"}}</th><th>{{t "changes"}}</th></tr>
{{range .Revisions}}<tr><td>{{.Index}}{{if eq .Index 0}} ({{t "rev_original"}}){{end}}</td><td>{{.End}}</td><td>{{if .Class}}{{t .Class}}{{end}}{{range .Changes}}<br>{{.}}{{end}}</td></tr>
{{end}}</table>{{end}}
</section>
{{end}}
</body>
</html>
`
