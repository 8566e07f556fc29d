package verify

import (
	"strings"
	"unicode"

	"github.com/kyso-project/kyso/internal/i18n"
)

// Every reason and warning verify gives is also a Finding with a stable ID,
// for scripts, and keeps its catalogue key and arguments, so whoever renders
// the Report can say it in the reader's language (Finding.Localize). The
// English text stays in Reasons, Warnings, Errors and Finding.Message.

// findingIDs name the findings whose ID is older than the text or is kept
// apart from it; any other ID is derived from the message's key (findingID).
var findingIDs = map[string]string{
	"the document has no signature": "no-signature",
	"not a readable PDF: %v":        "not-a-pdf",
	"changed after signing: %s":     "changed-after-signing",
	"the document was changed after signing in a way no signature permits": "changed-not-permitted",
	"%s does not chain to a trusted root%s":                                "chain-untrusted",
	"%s chain is incomplete%s":                                             "chain-incomplete",
	"%s chain: %s":                                                         "chain-problem",
	"the revocation status of %s is unknown":                               "revocation-unknown",
	"the revocation status of %s is unknown: %s":                           "revocation-unknown",
	"the revocation status of %s is unknown: its issuer is not known":      "revocation-unknown-issuer",
	"%s was revoked on %s (%s), before %s":                                 "revoked",
	"%s was revoked on %s (%s), after %s":                                  "revoked-after-signing",
}

// findingID is the stable ID of a message key: from findingIDs, else the
// key's words without format verbs and small words, joined by hyphens.
func findingID(key string) string {
	if id, ok := findingIDs[key]; ok {
		return id
	}
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(key), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '%' && r != '-'
	}) {
		if strings.HasPrefix(w, "%") || stopWords[w] {
			continue
		}
		words = append(words, w)
		if len(words) == 6 {
			break
		}
	}
	if len(words) == 0 {
		return "other"
	}
	return strings.Join(words, "-")
}

var stopWords = map[string]bool{"the": true, "a": true, "an": true, "of": true, "is": true, "was": true, "are": true,
	"its": true, "it": true, "in": true, "to": true, "which": true, "and": true, "by": true, "on": true, "with": true,
	"s": true, "this": true, "that": true, "at": true, "for": true, "be": true, "does": true}

// message is a catalogue key and its arguments.
type message struct {
	key  string
	args []any
}

// newMessage renders format in English (remembering it for
// i18n.Printer.Translate) and unwraps a bare "%s" or "%v" around another
// message, so that the finding carries the inner message's key.
func newMessage(format string, a ...any) (message, string) {
	text := i18n.Sprintf(format, a...)
	m := message{key: format, args: a}
	if (format == "%s" || format == "%v") && len(a) == 1 {
		switch v := a[0].(type) {
		case *i18n.Error:
			m = message{key: v.Key, args: v.Args}
		case string:
			if e, ok := i18n.Rendered(v); ok {
				m = message{key: e.Key, args: e.Args}
			}
		}
	}
	return m, text
}

// finding records a conclusion of severity on the signature.
func (s *sigState) finding(severity, format string, a ...any) string {
	m, text := newMessage(format, a...)
	for _, f := range s.findings {
		if f.Message == text && f.Severity == severity {
			return text
		}
	}
	s.findings = append(s.findings, Finding{ID: findingID(m.key), Severity: severity, Message: text, key: m.key, args: m.args})
	return text
}

// fileFinding records a conclusion on the file.
func (v *verifier) fileFinding(severity, format string, a ...any) string {
	m, text := newMessage(format, a...)
	v.rep.Findings = append(v.rep.Findings, Finding{ID: findingID(m.key), Severity: severity, Message: text, key: m.key, args: m.args})
	return text
}

// Localize says the finding in p's language; a Finding read back from
// JSON has no key and is shown as its English message, translated where
// the catalogue knows it.
func (f Finding) Localize(p *i18n.Printer) string {
	if f.key == "" {
		return p.Translate(f.Message)
	}
	return p.T(f.key, p.LocalArgs(f.args)...)
}

// Localize fills every finding's Text in p's language (for --json).
func (r *Report) Localize(p *i18n.Printer) {
	for i := range r.Findings {
		r.Findings[i].Text = r.Findings[i].Localize(p)
	}
}

// policyRefused says whether the validation policy refused something of
// the signature (its findings with a policy- ID).
func (s *sigState) policyRefused() bool {
	for _, f := range s.findings {
		if strings.HasPrefix(f.ID, "policy-") {
			return true
		}
	}
	return false
}

// joinMessages joins texts with "; " as a catalogue message, so the joined
// text can still be said in the reader's language.
func joinMessages(parts []string) string { return i18n.Join(parts) }
