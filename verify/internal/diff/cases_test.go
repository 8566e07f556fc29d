package diff

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

// want is a finding a test expects: the rule, its level and the object
// (0: the file or trailer). Never prose.
type want struct {
	rule   string
	level  Level
	object uint32
}

func (w want) String() string { return fmt.Sprintf("%s/%s/object %d", w.rule, w.level, w.object) }

func has(res *Result, w want) bool {
	for _, f := range res.Findings {
		if f.Rule == w.rule && f.Level == w.level && f.Object.Num == w.object {
			return true
		}
	}
	return false
}

func describe(res *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "level %s\n", res.Level)
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "  %s/%s/object %d: %s\n", f.Rule, f.Level, f.Object.Num, f.What)
	}
	for _, p := range res.Problems {
		fmt.Fprintf(&b, "  problem %s\n", p.Rule)
	}
	return b.String()
}

// check asserts the findings, the worst level, and whether the signature
// keeps (valid) or loses its validity under the case's permission.
func check(t *testing.T, res *Result, level Level, valid bool, wants ...want) {
	t.Helper()
	for _, w := range wants {
		if !has(res, w) {
			t.Errorf("no finding %s\n%s", w, describe(res))
		}
	}
	if res.Level != level {
		t.Errorf("level %s, want %s\n%s", res.Level, level, describe(res))
	}
	if got := len(res.Problems) == 0; got != valid {
		t.Errorf("valid %v, want %v\n%s", got, valid, describe(res))
	}
}

// The generated attacks and legitimate updates (internal/pdftest/attackgen: a
// signed base and updates, built in memory), judged rule by rule.
func TestRulesOnGeneratedCases(t *testing.T) {
	cs, _ := attackCases(t)
	for _, tc := range []struct {
		name  string
		level Level
		valid bool
		wants []want
	}{
		{"legit/dss", Archival, true, []want{{"dss.added", Archival, 1}}},
		{"legit/dss-p1", Archival, true, []want{{"dss.added", Archival, 1}}},
		{"legit/lta-xrefstream", Archival, true, []want{{"field.new-document-timestamp", Archival, 18}, {"annots.new-field-widget", None, 18}, {"dss.added", Archival, 14}}},
		{"legit/timestamp-p1", Archival, true, []want{{"field.new-document-timestamp", Archival, 10}}},
		{"legit/info", Archival, true, []want{{"info.updated", Archival, 6}}},
		{"legit/metadata", Archival, true, []want{{"catalog.archival-key", Archival, 1}, {"metadata.updated", Archival, 9}}},
		{"legit/second-signature", FormFill, true, []want{{"field.new-signature", FormFill, 10}}},
		{"legit/form-fill-in-place", FormFill, true, []want{{"field.fill", FormFill, 7}, {"appearance.field-rewritten", FormFill, 11}}},
		{"legit/tagged-second-signature", FormFill, true, []want{{"struct.updated", FormFill, 7}}},
		{"legit/text-annotation", Annotation, true, []want{{"annots.added", Annotation, 9}}},
		{"legit/orphans", None, true, nil},
		{"legit/identical-rewrite", None, true, nil},
		{"ssa/prepared-field-p2", FormFill, true, []want{{"field.signed-in", FormFill, 8}}},
		{"eaa/freetext-p1", Annotation, false, []want{{"annots.added", Annotation, 11}}},
		{"eaa/freetext-p3", Annotation, true, []want{{"annots.added", Annotation, 11}}},
		{"ssa/visible-signature-p2", Other, false, []want{{"field.new-visible-after-certification", Other, 10}}},
		{"ssa/visible-timestamp-p1", Other, false, []want{{"field.new-visible-after-certification", Other, 10}}},
		{"isa/catalog-pages", Other, false, []want{{"catalog.pages", Other, 1}, {"new.unexplained", Other, 9}}},
		{"isa/page-content", Other, false, []want{{"page.contents", Other, 3}}},
		{"isa/pages-kids", Other, false, []want{{"page.tree", Other, 2}}},
		{"isa/content-in-place", Other, false, []want{{Unexplained, Other, 4}}},
		{"isa/dangling-reference", Other, false, []want{{"new.fills-dangling-reference", Other, 40}}},
		{"isa/free-object", Other, false, []want{{"object.freed", Other, 4}}},
		{"isa/objstm-replaced", Other, false, []want{{"objstm.replaced", Other, 7}}},
		{"isa/no-xref", Other, false, []want{{"file.update-after-eof", Other, 0}}},
		{"shadow/hide-replace-root", Other, false, []want{{"file.root-existing-object", Other, 10}}},
		{"shadow/hide-resources", Other, false, []want{{"page.resources", Other, 3}}},
		{"shadow/hide-annotation-hidden", Annotation, false, []want{{"annotation.uncovers", Annotation, 9}, {"annotation.modified", Annotation, 9}}},
		{"shadow/hide-annotation-removed", Annotation, false, []want{{"annotation.uncovers", Annotation, 9}, {"annots.deleted", Annotation, 9}}},
		{"shadow/dss-array-is-page-contents", Other, false, []want{{"object.shared", Other, 7}}},
		{"shadow/info-is-page-resources", Other, false, []want{{"object.shared", Other, 6}}},
		{"shadow/replace-actual-text", Other, false, []want{{"struct.entry-changed", Other, 9}}},
		{"shadow/replace-appearance-existing", Other, false, []want{{"appearance.existing-object", Other, 7}}},
		{"shadow/replace-shared-appearance", Other, false, []want{{"appearance.shared", Other, 11}}},
		{"shadow/replace-locked-field", Other, false, []want{{"field.locked-changed", Other, 7}}},
		{"shadow/replace-overlay-p1", FormFill, false, []want{{"field.fill", FormFill, 7}}},
		{"shadow/replace-overlay-p2", FormFill, true, []want{{"field.fill", FormFill, 7}}},
		{"isa/xref-duplicate-first", Other, false, []want{{"file.xref-duplicate-entry", Other, 4}, {Unexplained, Other, 4}}},
		{"isa/xref-stream-duplicate-first", Other, false, []want{{"file.xref-duplicate-entry", Other, 4}, {Unexplained, Other, 4}}},
		{"usf/entry-past-signed-end", Other, false, []want{{"file.entry-past-revision-end", Other, 4}}},
		{"shadow/xref-duplicate-prepared", Other, false, []want{{"file.xref-duplicate-in-signed", Other, 4}}},
		{"isa/hybrid-table-frees-signed", Other, false, []want{{"file.hybrid-xref-disagrees", Other, 4}}},
		{"shadow/hybrid-table-frees-prepared", Other, false, []want{{"file.hybrid-xref-disagrees-in-signed", Other, 4}}},
		{"legit/dss-hybrid", Archival, true, []want{{"dss.added", Archival, 1}}},
		{"shadow/hide-empty-signature-field", Annotation, true, []want{{"field.new-empty-covering", Annotation, 10}}},
		{"shadow/replace-under-unreadable", Other, false, []want{{"object.unreadable-referrer", Other, 7}}},
		{"shadow/form-da-added-p1", FormFill, false, []want{{"form.defaults-changed", FormFill, 9}}},
		{"legit/form-da-added-p2", FormFill, true, []want{{"form.defaults-changed", FormFill, 9}}},
		{"legit/form-defaults-added-p1", Archival, true, []want{{"form.defaults-added", Archival, 10}}},
		{"shadow/need-appearances-locked", Other, false, []want{{"form.defaults-redraw-frozen", Other, 10}}},
		{"shadow/need-appearances-p1", FormFill, false, []want{{"form.defaults-changed", FormFill, 10}}},
		{"legit/need-appearances-approval", FormFill, true, []want{{"form.defaults-changed", FormFill, 10}}},
		{"shadow/lock-inherited-value", Other, false, []want{{"field.locked-changed", Other, 7}}},
		{"legit/parent-value-overridden", FormFill, true, []want{{"field.fill", FormFill, 7}}},
		{"ssa/widget-placed-p2", Other, false, []want{{"widget.shown-after-certification", Other, 9}}},
		{"ssa/widget-unhidden-p2", Other, false, []want{{"widget.shown-after-certification", Other, 9}}},
		{"shadow/widget-unhidden-approval", Annotation, true, []want{{"widget.shown-unfilled", Annotation, 9}}},
		{"legit/widget-placed-filled-p2", FormFill, true, []want{{"annots.widget-placed", FormFill, 9}, {"field.fill", FormFill, 9}}},
		{"legit/widget-unhidden-filled-p2", FormFill, true, []want{{"field.fill", FormFill, 9}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := cs[tc.name]
			if !ok {
				t.Fatalf("no generated case %s", tc.name)
			}
			check(t, analyse(t, c.PDF, c.Field, caseOptions(c)), tc.level, tc.valid, tc.wants...)
		})
	}
}

// signed signs doc (an approval signature, or a certification with P) and
// returns it.
func signed(t *testing.T, doc []byte, p int) []byte {
	t.Helper()
	out, _, err := attackgen.Sign(doc, attackgen.SigOptions{Field: "Signature1", DocMDP: p, Placeholder: 4096})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func appendRev(t *testing.T, doc []byte, fn func(r *pdf.Reader, u *pdf.Update) error) []byte {
	t.Helper()
	out, err := attackgen.Append(doc, fn)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func catalogOf(t *testing.T, r *pdf.Reader) pdf.Dict {
	t.Helper()
	cat, err := r.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	return cat.Clone()
}

func page1(t *testing.T, r *pdf.Reader) (pdf.Ref, pdf.Dict) {
	t.Helper()
	pages, err := r.Pages()
	if err != nil || len(pages) == 0 {
		t.Fatalf("pages: %v", err)
	}
	return pages[0].Ref, pages[0].Dict.Clone()
}

func esic(level int) pdf.Dict {
	return pdf.Dict{"ESIC": pdf.Dict{"Type": pdf.Name("DeveloperExtensions"), "BaseVersion": pdf.Name("1.7"), "ExtensionLevel": pdf.Int(level)}}
}

// Regression (issue 17): an update that only rewrites an indirect catalog
// /Extensions is archival, also after a P=1 certification, as
// docs/verify-changes.md says; other validators agree. Only if the object
// serves nothing else.
func TestIndirectExtensions(t *testing.T) {
	_, b := attackCases(t)
	var ext pdf.Ref
	base := appendRev(t, b.Simple, func(r *pdf.Reader, u *pdf.Update) error {
		ext = u.Add(esic(1))
		cat := catalogOf(t, r)
		cat["Extensions"] = ext
		u.Set(r.RootRef(), cat)
		return nil
	})
	rewrite := func(r *pdf.Reader, u *pdf.Update) error {
		d := esic(2)
		d["ISO_"] = pdf.Array{pdf.Dict{"Type": pdf.Name("DeveloperExtensions"), "BaseVersion": pdf.Name("2.0"), "ExtensionLevel": pdf.Int(32001)}}
		u.Set(ext, d)
		return nil
	}
	for _, p := range []int{0, 1} {
		doc := appendRev(t, signed(t, base, p), rewrite)
		check(t, analyse(t, doc, "Signature1", Options{DocMDP: p}), Archival, true, want{"extensions.updated", Archival, ext.Num})
	}
	// The same object also drawn by the page: the rewrite is refused.
	shared := appendRev(t, base, func(r *pdf.Reader, u *pdf.Update) error {
		ref, pg := page1(t, r)
		res, _ := r.Dict(pg["Resources"])
		res = res.Clone()
		res["Properties"] = pdf.Dict{"MC0": ext}
		pg["Resources"] = res
		u.Set(ref, pg)
		return nil
	})
	doc := appendRev(t, signed(t, shared, 0), rewrite)
	check(t, analyse(t, doc, "Signature1", Options{}), Other, false, want{"object.shared", Other, ext.Num})
}

// Each key of a field or widget that form filling never changes is
// refused by a rule of its own; the keys of FormFillKeys are form filling.
func TestFieldKeys(t *testing.T) {
	_, b := attackCases(t)
	doc := signed(t, b.Form, 0)
	r, err := attackgen.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	qref, qd, err := attackgen.FieldRef(r, "quantity")
	if err != nil || qd == nil {
		t.Fatalf("field quantity: %v", err)
	}
	for _, tc := range []struct {
		key   pdf.Name
		value pdf.Object
		level Level
		valid bool
		rule  string
	}{
		{"V", pdf.Str("12"), FormFill, true, "field.fill"},
		{"Ff", pdf.Int(1), FormFill, true, "field.fill"},
		{"Q", pdf.Int(2), FormFill, true, "field.fill"},
		{"Rect", pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(500), pdf.Int(500)}, Other, false, "field.key-not-fillable"},
		{"T", pdf.Str("renamed"), Other, false, "field.key-not-fillable"},
		{"MK", pdf.Dict{"BG": pdf.Array{pdf.Int(1)}}, Other, false, "field.key-not-fillable"},
		{"A", pdf.Dict{"S": pdf.Name("JavaScript"), "JS": pdf.Str("app.alert(1)")}, Other, false, "field.key-not-fillable"},
		{"Kids", pdf.Array{}, Other, false, "field.kids"},
		{"Type", pdf.Name("Sig"), Other, false, "field.type"},
	} {
		t.Run(string(tc.key), func(t *testing.T) {
			upd := appendRev(t, doc, func(r *pdf.Reader, u *pdf.Update) error {
				d := qd.Clone()
				d[tc.key] = tc.value
				u.Set(qref, d)
				return nil
			})
			check(t, analyse(t, upd, "Signature1", Options{}), tc.level, tc.valid, want{tc.rule, tc.level, qref.Num})
		})
	}
}

// Catalog, form and page keys, each judged by the rule for it.
func TestCatalogFormAndPageKeys(t *testing.T) {
	_, b := attackCases(t)
	doc := signed(t, b.Simple, 0)
	r, err := attackgen.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	root := r.RootRef()
	cat := catalogOf(t, r)
	pref, _ := page1(t, r)
	// The form, where it lives: its own object or the catalog.
	form, _ := cat["AcroForm"].(pdf.Ref)
	formObj := form.Num
	if formObj == 0 {
		formObj = root.Num
	}
	setForm := func(r *pdf.Reader, u *pdf.Update, k pdf.Name, v pdf.Object) {
		c := catalogOf(t, r)
		d, _ := r.Dict(c["AcroForm"])
		d = d.Clone()
		d[k] = v
		if form.Num != 0 {
			u.Set(form, d)
			return
		}
		c["AcroForm"] = d
		u.Set(root, c)
	}
	for _, tc := range []struct {
		name  string
		fn    func(r *pdf.Reader, u *pdf.Update)
		level Level
		valid bool
		want  want
	}{
		{"catalog-perms", func(r *pdf.Reader, u *pdf.Update) {
			c := catalogOf(t, r)
			c["Perms"] = pdf.Dict{}
			u.Set(root, c)
		}, Other, false, want{"catalog.perms", Other, root.Num}},
		{"catalog-openaction", func(r *pdf.Reader, u *pdf.Update) {
			c := catalogOf(t, r)
			c["OpenAction"] = pdf.Dict{"S": pdf.Name("JavaScript"), "JS": pdf.Str("1")}
			u.Set(root, c)
		}, Other, false, want{"catalog.other-key", Other, root.Num}},
		{"catalog-version", func(r *pdf.Reader, u *pdf.Update) {
			c := catalogOf(t, r)
			c["Version"] = pdf.Name("2.0")
			u.Set(root, c)
		}, Archival, true, want{"catalog.archival-key", Archival, root.Num}},
		{"page-bookkeeping", func(r *pdf.Reader, u *pdf.Update) {
			_, pg := page1(t, r)
			pg["LastModified"] = pdf.Str("D:20260101000000Z")
			u.Set(pref, pg)
		}, Archival, true, want{"page.bookkeeping", Archival, pref.Num}},
		{"page-rotate", func(r *pdf.Reader, u *pdf.Update) {
			_, pg := page1(t, r)
			pg["Rotate"] = pdf.Int(90)
			u.Set(pref, pg)
		}, Other, false, want{"page.display-key", Other, pref.Num}},
		{"page-tabs", func(r *pdf.Reader, u *pdf.Update) {
			_, pg := page1(t, r)
			pg["Tabs"] = pdf.Name("S")
			u.Set(pref, pg)
		}, FormFill, true, want{"page.field-keys", FormFill, pref.Num}},
		{"form-xfa", func(r *pdf.Reader, u *pdf.Update) {
			setForm(r, u, "XFA", pdf.Str("<xdp/>"))
		}, Other, false, want{"form.other-key", Other, formObj}},
		{"form-need-appearances", func(r *pdf.Reader, u *pdf.Update) {
			setForm(r, u, "NeedAppearances", pdf.Bool(true))
		}, FormFill, true, want{"form.defaults-changed", FormFill, formObj}},
		{"form-sigflags", func(r *pdf.Reader, u *pdf.Update) {
			setForm(r, u, "SigFlags", pdf.Int(1))
		}, Archival, true, want{"form.sigflags", Archival, formObj}},
		{"unused-object", func(r *pdf.Reader, u *pdf.Update) {
			n := u.Add(pdf.Dict{"Note": pdf.Str("nothing uses this")})
			_ = n
		}, None, true, want{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upd := appendRev(t, doc, func(r *pdf.Reader, u *pdf.Update) error { tc.fn(r, u); return nil })
			var wants []want
			if tc.want.rule != "" {
				wants = append(wants, tc.want)
			}
			check(t, analyse(t, upd, "Signature1", Options{}), tc.level, tc.valid, wants...)
		})
	}
}

// A new object that an accepted change does not refer to, but that a
// changed object reaches, is unexplained: here a bookkeeping key of the
// page is accepted, and the page also points a refused key at a new
// object, which no accepted change justifies.
func TestNewObjectsMustBeJustified(t *testing.T) {
	_, b := attackCases(t)
	doc := signed(t, b.Simple, 0)
	var fresh pdf.Ref
	upd := appendRev(t, doc, func(r *pdf.Reader, u *pdf.Update) error {
		ref, pg := page1(t, r)
		fresh = u.Add(pdf.Dict{"S": pdf.Name("Transparency")})
		pg["Group"] = fresh
		u.Set(ref, pg)
		return nil
	})
	check(t, analyse(t, upd, "Signature1", Options{}), Other, false, want{"page.display-key", Other, 3}, want{"new.unexplained", Other, fresh.Num})
}

// When the signed revision reaches an object kyso cannot read, what it
// refers to is unknown: an orphan new object, or /Info rewritten (allowed
// only when nothing else uses it), is refused rather than judged nothing
// or archival. The same updates on the readable document are accepted.
func TestUnreadableReferrerFailsClosed(t *testing.T) {
	_, bases := attackCases(t)
	prep := func(damaged bool) []byte {
		return appendRev(t, bases.Simple, func(r *pdf.Reader, u *pdf.Update) error {
			ref, d := page1(t, r)
			body := "<</ProcSet[/PDF]>>"
			if damaged {
				body = "<</ProcSet[/PDF]/Producer 1.2.3>>"
			}
			d["PieceInfo"] = u.Add(pdf.Raw{Bytes: []byte(body)})
			u.Set(ref, d)
			return nil
		})
	}
	for _, damaged := range []bool{false, true} {
		doc := signed(t, prep(damaged), 0)
		orphan := appendRev(t, doc, func(r *pdf.Reader, u *pdf.Update) error {
			u.Add(pdf.Dict{"Type": pdf.Name("XObject")})
			return nil
		})
		info := appendRev(t, doc, func(r *pdf.Reader, u *pdf.Update) error {
			ir, ok := r.Trailer()["Info"].(pdf.Ref)
			if !ok {
				t.Fatal("the base has no /Info")
			}
			d, _ := r.Dict(ir)
			d = d.Clone()
			d["Title"] = pdf.Str("changed")
			u.Set(ir, d)
			return nil
		})
		for name, upd := range map[string][]byte{"orphan": orphan, "info": info} {
			res := analyse(t, upd, "Signature1", Options{})
			hidden := false
			for _, f := range res.Findings {
				hidden = hidden || f.Rule == "object.unreadable-referrer"
			}
			if damaged && (!hidden || res.Level != Other || len(res.Problems) == 0) {
				t.Errorf("damaged, %s: level %v, findings %v; want object.unreadable-referrer", name, res.Level, res.Findings)
			}
			if !damaged && (hidden || res.Level == Other) {
				t.Errorf("readable, %s: level %v, findings %v", name, res.Level, res.Findings)
			}
		}
	}
}
