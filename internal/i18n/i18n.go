// Package i18n is kyso's one message catalogue: every sentence, label and
// hint that people read goes through it, in Vietnamese (the default) or
// English. It is built on golang.org/x/text/message and its catalog.
//
// A message's key is its English text, written as a fmt format
// ("%d files signed"); vi.go holds the Vietnamese for each key, en.go the
// English where it differs from the key (plural forms). Numbers follow
// the language (1.234,5 in Vietnamese, 1,234.5 in English), so a %d or %v
// on an int is a quantity: pass identifiers, years and indices as strings.
// Times go through Printer.Time (dd/MM/yyyy HH:mm:ss +07:00 in Vietnamese).
//
// Libraries do not print; they return errors made with Errorf, whose
// Error() is English (for logs and scripts) and which Printer.Err renders
// in the reader's language. docs/i18n.md says how to add a message.
package i18n

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
	"golang.org/x/text/number"
)

// The languages kyso speaks.
const (
	VI = "vi"
	EN = "en"
)

var (
	builder = catalog.NewBuilder(catalog.Fallback(language.English))
	// known holds the keys each language has a message for.
	known = map[string]map[string]bool{VI: {}, EN: {}}
	// texts holds the messages as written, for Text.
	texts = map[string]map[string]string{VI: {}, EN: {}}
	// formatted holds the keys each language has in the x/text catalogue,
	// which T, Sprintf and Errorf render (a key registered only as text is
	// shown by Text alone).
	formatted = map[string]map[string]bool{VI: {}, EN: {}}
)

// register adds a language's messages; vi.go and en.go call it in init.
func register(lang string, msgs map[string]string) {
	tag := tagOf(lang)
	for k, m := range msgs {
		if err := builder.SetString(tag, k, m); err != nil {
			panic(fmt.Sprintf("i18n: %s message %q: %v", lang, k, err))
		}
		known[lang][k] = true
		formatted[lang][k] = true
		texts[lang][k] = m
	}
}

// registerText adds texts that are shown as written (Printer.Text): help,
// which may hold "%" and "${...}" that a format would read.
func registerText(lang string, msgs map[string]string) {
	for k, m := range msgs {
		known[lang][k] = true
		texts[lang][k] = m
	}
}

// registerMsg adds a message with plural or other selections.
// plurals are the English keys with plural forms (en.go).
var plurals = map[string]bool{}

func registerMsg(lang, key string, m ...catalog.Message) {
	if lang == EN {
		plurals[key] = true
	}
	if err := builder.Set(tagOf(lang), key, m...); err != nil {
		panic(fmt.Sprintf("i18n: %s message %q: %v", lang, key, err))
	}
	known[lang][key] = true
	formatted[lang][key] = true
}

func tagOf(lang string) language.Tag {
	if lang == VI {
		return language.Vietnamese
	}
	return language.English
}

// Has reports whether lang has its own message for key (English falls back
// to the key itself, so every key "has" English).
func Has(lang, key string) bool {
	if Normalize(lang) == EN {
		return true
	}
	return known[VI][key]
}

// Keys lists the keys with a message in lang, sorted.
func Keys(lang string) []string {
	var ks []string
	for k := range known[Normalize(lang)] {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Normalize maps a --lang value or a locale (vi_VN.UTF-8, en_US) to vi or
// en: English when it says English, else Vietnamese.
func Normalize(l string) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(l)), "en") {
		return EN
	}
	return VI
}

// Detect finds the language of a run before flags are parsed (help is
// rendered during parsing): --lang in args, else $KYSO_LANG, $LC_ALL,
// $LC_MESSAGES, $LANG; Vietnamese when none says English.
func Detect(args []string, getenv func(string) string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--lang="); ok {
			return Normalize(v)
		}
		if a == "--lang" && i+1 < len(args) {
			return Normalize(args[i+1])
		}
	}
	for _, v := range []string{"KYSO_LANG", "LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := getenv(v); s != "" {
			return Normalize(s)
		}
	}
	return VI
}

// Invisible marks that a test run (KYSO_I18N_TRACE=1) puts around what the
// catalogue renders, so a test can tell catalogue text from text that
// bypassed it. They are Unicode private-use characters, never in kyso's
// real output.
const (
	MarkOpen    = "\uE000" // a catalogue message starts
	MarkClose   = "\uE001" // it ends
	MarkMissing = "\uE002" // the message has no translation (after MarkOpen)
	MarkArgOpen = "\uE003" // a text argument that did not come from the catalogue
	MarkArgEnd  = "\uE004"
)

// Tracing reports whether rendered messages are marked for the language
// test.
func Tracing() bool { return os.Getenv("KYSO_I18N_TRACE") == "1" }

// Printer renders messages in one language.
type Printer struct {
	lang  string
	p     *message.Printer
	trace bool
}

// New returns a Printer for lang (vi or en; anything else is normalized).
func New(lang string) *Printer {
	l := Normalize(lang)
	return &Printer{lang: l, p: message.NewPrinter(tagOf(l), message.Catalog(builder)), trace: Tracing()}
}

// Lang is vi or en.
func (p *Printer) Lang() string { return p.lang }

// T renders the message key with args.
func (p *Printer) T(key string, args ...any) string {
	if !p.trace {
		return p.sprintf(key, args...)
	}
	for i, a := range args {
		if s, ok := a.(string); ok && s != "" && !strings.HasPrefix(s, MarkOpen) {
			args[i] = MarkArgOpen + s + MarkArgEnd
		}
	}
	s := p.sprintf(key, args...)
	if !Has(p.lang, key) {
		return MarkOpen + MarkMissing + s + MarkClose
	}
	return MarkOpen + s + MarkClose
}

// sprintf renders a message. English numbers are written as fmt writes
// them (2048, not 2,048), so English output stays what scripts have always
// read; its plural forms (en.go) go through the catalogue. Vietnamese
// numbers follow the language (1.234,5).
func (p *Printer) sprintf(key string, args ...any) string {
	if p.lang == EN && !plurals[key] {
		if m, ok := texts[EN][key]; ok {
			key = m
		}
		return fmt.Sprintf(key, args...)
	}
	return p.p.Sprintf(key, args...)
}

// Text is the message of key as written, without formatting: for help
// texts, which may hold a literal "%".
func (p *Printer) Text(key string) string {
	m, ok := texts[p.lang][key]
	if !ok {
		m = key
	}
	if !p.trace {
		return m
	}
	if !Has(p.lang, key) {
		return MarkOpen + MarkMissing + m + MarkClose
	}
	return MarkOpen + m + MarkClose
}

// Translate renders a message that was already rendered in English: s is
// a key, or the English text of Sprintf; anything else comes back as it is.
func (p *Printer) Translate(s string) string { return p.translate(s, 0) }

// translate is Translate with the depth of nested messages, which stops a
// text that (through a bare "%s") would lead back to itself.
func (p *Printer) translate(s string, depth int) string {
	if s == "" {
		return ""
	}
	if v, ok := rendered.Load(s); ok && depth < 8 {
		m := v.(*Error)
		if m.Key != "%s" && m.Key != "%v" {
			return p.T(m.Key, p.localArgs(m.Args, depth+1)...)
		}
	}
	if known[VI][s] && !strings.Contains(s, "%") {
		return p.T(s)
	}
	return s
}

// rendered maps the English text of Sprintf to its key and arguments, so
// that text stored as a string (a hint, a reason) can still be shown in the
// reader's language. It holds at most maxRendered entries.
var (
	rendered  sync.Map
	nRendered int
	renderMu  sync.Mutex
)

const maxRendered = 1 << 14

// Rendered returns the key and arguments of a text made by Sprintf.
func Rendered(s string) (*Error, bool) {
	v, ok := rendered.Load(s)
	if !ok {
		return nil, false
	}
	return v.(*Error), true
}

// Sprintf renders key in English, remembering it for Translate.
func Sprintf(key string, args ...any) string {
	s := fmt.Sprintf(key, args...)
	if key == "%s" || key == "%v" {
		return s // it says nothing more than its argument
	}
	renderMu.Lock()
	if nRendered >= maxRendered {
		// Full: start again rather than grow without bound; what is
		// forgotten is shown in English.
		rendered.Clear()
		nRendered = 0
	}
	{
		if _, loaded := rendered.LoadOrStore(s, &Error{Key: key, Args: args}); !loaded {
			nRendered++
		}
	}
	renderMu.Unlock()
	return s
}

// Error is an error whose text comes from the catalogue: Error() gives the
// English, Printer.Err the reader's language. Arguments that are errors are
// wrapped (errors.Is and errors.As see them).
type Error struct {
	Key  string
	Args []any
}

// Errorf makes a catalogue error. The key uses %v (not %w) for an error
// argument; the argument is wrapped all the same.
func Errorf(key string, args ...any) error { return &Error{Key: key, Args: args} }

// Error is the English text. It is remembered (as Sprintf's is), so that
// the text kept as a string — a verify report's errors, a result's reason —
// can still be shown in the reader's language by Translate.
func (e *Error) Error() string { return Sprintf(e.Key, e.Args...) }

// Unwrap returns the error arguments.
func (e *Error) Unwrap() []error {
	var errs []error
	for _, a := range e.Args {
		if err, ok := a.(error); ok {
			errs = append(errs, err)
		}
	}
	return errs
}

// LocalArgs renders the arguments of a message in p's language: errors
// through Err, strings that are rendered messages through Translate.
func (p *Printer) LocalArgs(args []any) []any { return p.localArgs(args, 0) }

func (p *Printer) localArgs(args []any, depth int) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case error:
			out[i] = p.Err(v)
		case string:
			out[i] = p.translate(v, depth)
		case fmt.Stringer:
			out[i] = v.String()
		default:
			out[i] = a
		}
	}
	return out
}

// Localizer is an error that knows how to say itself in a language.
type Localizer interface {
	Localize(p *Printer) string
}

// Err renders err in p's language: a catalogue Error through the
// catalogue; a wrapper made by fmt.Errorf keeps its text, with the part
// that is a catalogue error (or an operating-system error kyso knows)
// rendered in p's language.
func (p *Printer) Err(err error) string {
	if err == nil {
		return ""
	}
	switch e := err.(type) {
	case *Error:
		return p.T(e.Key, p.LocalArgs(e.Args)...)
	case Localizer:
		return e.Localize(p)
	}
	if s, ok := p.sysErr(err); ok {
		return s
	}
	// A wrapper with one inner error: translate the inner part in place.
	if u, ok := err.(interface{ Unwrap() error }); ok && u.Unwrap() != nil {
		inner := u.Unwrap()
		outer := err.Error()
		in := inner.Error()
		if in == outer {
			return p.Err(inner)
		}
		if before, ok := strings.CutSuffix(outer, in); ok {
			return p.Translate(before) + p.Err(inner)
		}
	}
	return p.Translate(err.Error())
}

// sysErr renders the operating-system errors a user meets most.
func (p *Printer) sysErr(err error) (string, bool) {
	var pe *os.PathError
	if errors.As(err, &pe) && err == error(pe) {
		return p.T("%s %s: %v", p.T(opName(pe.Op)), pe.Path, p.Err(pe.Err)), true
	}
	switch {
	case errors.Is(err, os.ErrNotExist) && err.Error() == "no such file or directory":
		return p.T("no such file or folder"), true
	case errors.Is(err, os.ErrPermission) && err.Error() == "permission denied":
		return p.T("permission denied"), true
	case errors.Is(err, os.ErrExist) && err.Error() == "file exists":
		return p.T("the file exists"), true
	}
	return "", false
}

func opName(op string) string {
	switch op {
	case "open":
		return "opening"
	case "stat", "lstat":
		return "reading"
	case "mkdir":
		return "creating the folder"
	case "remove":
		return "removing"
	case "rename":
		return "renaming"
	case "write":
		return "writing"
	case "read":
		return "reading"
	}
	return op
}

// vnZone is Vietnam time, in which decrees want times shown.
var vnZone = time.FixedZone("+07", 7*3600)

// Time shows t in Vietnam time: 05/03/2025 09:30:45 +07:00 in Vietnamese,
// 2025-03-05 09:30:45 +07:00 in English; "—" for no time.
func (p *Printer) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if p.lang == VI {
		return t.In(vnZone).Format("02/01/2006 15:04:05 -07:00")
	}
	return t.In(vnZone).Format("2006-01-02 15:04:05 -07:00")
}

// Date shows a day: 05/03/2025 in Vietnamese, 2025-03-05 in English.
func (p *Printer) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if p.lang == VI {
		return t.In(vnZone).Format("02/01/2006")
	}
	return t.In(vnZone).Format("2006-01-02")
}

// Number shows x with decimals digits after the separator, grouped as the
// language groups (1.234,5 / 1,234.5).
func (p *Printer) Number(x float64, decimals int) string {
	return p.p.Sprint(number.Decimal(x, number.MinFractionDigits(decimals), number.MaxFractionDigits(decimals)))
}

// Int shows a quantity grouped as the language groups.
func (p *Printer) Int(n int64) string { return p.p.Sprint(number.Decimal(n)) }

// Join joins texts with "; " through the catalogue ("%s; %s" step by step),
// so Translate can still render the joined text.
func Join(parts []string) string {
	out := ""
	for i, p := range parts {
		if i == 0 {
			out = p
			continue
		}
		out = Sprintf("%s; %s", out, p)
	}
	return out
}
