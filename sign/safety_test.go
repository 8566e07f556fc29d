package sign

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/stamp"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/internal/tsp"
)

// TestSignerPolicyOnline judges the test PKI's certificates against its
// OCSP responder on 127.0.0.1, at B-B: revoked stops the run, good passes,
// an untrusted chain and an unreachable responder only warn.
func TestSignerPolicyOnline(t *testing.T) {
	p := testpki.Serve(t, testpki.Options{}, nil)
	store := &trust.Store{Roots: []*x509.Certificate{p.Root.Cert}}
	revoked := &keys.Key{Signer: p.Revoked.Key, Cert: p.Revoked.Cert, Chain: p.Chain()}
	var warnings []string
	pol := func(st *trust.Store, f *revocation.Fetcher, lvl Level) *SignerPolicy {
		warnings = nil
		return &SignerPolicy{Trust: st, Fetcher: f, Level: lvl, Warn: func(s string, _ fail.Remedy) { warnings = append(warnings, s) }}
	}
	ctx := context.Background()

	err := pol(store, &revocation.Fetcher{}, LevelBB).CheckSigner(ctx, revoked)
	if fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked at B-B: %v, want a run failure saying revoked", err)
	}
	// revoked is found even when the chain is not trusted
	err = pol(&trust.Store{}, &revocation.Fetcher{}, LevelBT).CheckSigner(ctx, revoked)
	if fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked, untrusted chain: %v", err)
	}
	if err := pol(store, &revocation.Fetcher{}, LevelBB).CheckSigner(ctx, testKey(p)); err != nil || len(warnings) != 0 {
		t.Errorf("good signer: %v, warnings %q", err, warnings)
	}
	if err := pol(&trust.Store{}, &revocation.Fetcher{}, LevelBT).CheckSigner(ctx, testKey(p)); err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "does not chain") {
		t.Errorf("untrusted at B-T: %v, warnings %q (want one about the chain)", err, warnings)
	}
	if err := pol(&trust.Store{}, &revocation.Fetcher{}, LevelBLT).CheckSigner(ctx, testKey(p)); fail.KindOf(err) != fail.KindRun || fail.RemedyOf(err) != fail.RemedyTrustSigner {
		t.Errorf("untrusted at B-LT: %v (remedy %v), want a run failure asking for the CA's root", err, fail.RemedyOf(err))
	}
	// a token holding the certificate alone: the issuer comes from its AIA,
	// and revocation is still checked
	alone := &keys.Key{Signer: p.Revoked.Key, Cert: p.Revoked.Cert}
	err = pol(store, &revocation.Fetcher{}, LevelBB).CheckSigner(ctx, alone)
	if fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked, certificate alone: %v", err)
	}
	expired := &keys.Key{Signer: p.Expired.Key, Cert: p.Expired.Cert, Chain: p.Chain()}
	if err := pol(store, nil, LevelBB).CheckSigner(ctx, expired); err == nil || !strings.Contains(err.Error(), "expire") {
		t.Errorf("expired: %v", err)
	}
	// responders gone: unknown status is a warning at B-B
	off := testpki.Shared(t) // its AIA points nowhere reachable
	if err := pol(&trust.Store{Roots: []*x509.Certificate{off.Root.Cert}}, &revocation.Fetcher{Timeout: 2 * time.Second}, LevelBB).CheckSigner(ctx, testKey(off)); err != nil ||
		len(warnings) != 1 || !strings.Contains(warnings[0], "revocation status") {
		t.Errorf("unreachable responder: %v, warnings %q", err, warnings)
	}
}

// TestTimestampPolicy asks a real TSA on 127.0.0.1 for tokens and judges
// them: trusted and current passes; an untrusted TSA fails with configured
// anchors and only warns without them at B-T; a token from the future fails.
func TestTimestampPolicy(t *testing.T) {
	var skewed time.Duration
	p := testpki.Serve(t, testpki.Options{}, func(p *testpki.PKI) http.Handler {
		return &tsp.Server{Signer: p.TSA.Key, Cert: p.TSA.Cert, Chain: p.Chain(), Now: func() time.Time { return time.Now().Add(skewed) }}
	})
	client := &tsp.Client{URLs: []string{p.BaseURL + "/tsa"}}
	digest := make([]byte, 32)
	get := func() *tsp.Token {
		tok, err := client.Timestamp(context.Background(), 5 /* crypto.SHA256 */, digest)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	store := &trust.Store{Roots: []*x509.Certificate{p.Root.Cert}}
	var warned []string
	warn := func(s string, r fail.Remedy) {
		if r != fail.RemedyTrustTSA {
			t.Errorf("warning %q has remedy %v, want %v", s, r, fail.RemedyTrustTSA)
		}
		warned = append(warned, s)
	}
	tok := get()
	if err := (&SignerPolicy{Trust: store, Configured: true, Level: LevelBT}).CheckTimestamp(context.Background(), tok); err != nil {
		t.Errorf("trusted TSA: %v", err)
	}
	other := &trust.Store{Roots: []*x509.Certificate{p.AttackerRoot.Cert}}
	err := (&SignerPolicy{Trust: other, Configured: true, Level: LevelBT}).CheckTimestamp(context.Background(), tok)
	if fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), "does not chain") {
		t.Errorf("untrusted TSA with --trust: %v, want a run failure", err)
	}
	if err := (&SignerPolicy{Trust: other, Level: LevelBT, Warn: warn}).CheckTimestamp(context.Background(), tok); err != nil || len(warned) != 1 {
		t.Errorf("untrusted TSA, system roots, B-T: %v, warnings %q (want one)", err, warned)
	}
	if err := (&SignerPolicy{Trust: other, Level: LevelBLT}).CheckTimestamp(context.Background(), tok); fail.KindOf(err) != fail.KindRun {
		t.Errorf("untrusted TSA at B-LT: %v, want a run failure", err)
	}
	skewed = 30 * time.Minute
	err = (&SignerPolicy{Trust: store, Configured: true, Level: LevelBT}).CheckTimestamp(context.Background(), get())
	if fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), "ahead of this computer's clock") {
		t.Errorf("token from the future: %v", err)
	}
	skewed = 30 * time.Second // within the allowed skew
	if err := (&SignerPolicy{Trust: store, Configured: true, Level: LevelBT}).CheckTimestamp(context.Background(), get()); err != nil {
		t.Errorf("token 30 s ahead: %v, want accepted", err)
	}
}

// TestTruncatedInputRefused cuts a signed file (two revisions) short: the
// tail still holds the first revision's startxref, which a reader would
// fall back on; signing must refuse it as an input error instead.
func TestTruncatedInputRefused(t *testing.T) {
	p := testpki.Shared(t)
	res, out := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}}, fixture(t, "simple.pdf"))
	if res[0].Status != StatusSigned {
		t.Fatalf("first signature: %+v", res[0])
	}
	data, err := os.ReadFile(filepath.Join(out, "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, cut := range []int{len(data) - 200, len(data) - len(data)/8, len(data) / 2} {
		half := filepath.Join(dir, "half.pdf")
		if err := os.WriteFile(half, data[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		res, out2 := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}, Countersign: true}, half)
		if res[0].Status != StatusFailed || fail.KindOf(res[0].Err) != fail.KindInput {
			t.Errorf("cut at %d of %d: %+v, want an input failure", cut, len(data), res[0])
		}
		if _, err := os.Stat(filepath.Join(out2, "half.pdf")); err == nil {
			t.Errorf("cut at %d: an output was written", cut)
		}
	}
	// trailing blank lines after %%EOF are not damage
	padded := filepath.Join(dir, "padded.pdf")
	os.WriteFile(padded, append(append([]byte(nil), data...), "\r\n\n  \n"...), 0o644)
	if res, _ := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}, Countersign: true}, padded); res[0].Status != StatusSigned {
		t.Errorf("trailing whitespace: %+v", res[0])
	}
}

// TestAlreadySignedAndCountersign: an input signed by this unit is
// skipped with a reason and no output; with Countersign it is signed
// again, its stamp clear of the first.
func TestAlreadySignedAndCountersign(t *testing.T) {
	p := testpki.Shared(t)
	st := &DecreeStamp{}
	res, out := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB, Stamp: st}}, fixture(t, "scan200.pdf"))
	if res[0].Status != StatusSigned {
		t.Fatalf("%+v", res[0])
	}
	signed := filepath.Join(out, "scan200.pdf")
	res, out2 := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB, Stamp: st}}, signed)
	if res[0].Status != StatusSkipped || !strings.Contains(res[0].Reason, "already signed") {
		t.Errorf("already signed: %+v", res[0])
	}
	if _, err := os.Stat(filepath.Join(out2, "scan200.pdf")); err == nil {
		t.Error("already signed: an output was written")
	}
	// another key of the same unit (same subject) is another signer: its
	// signature is added, as to any document signed by someone else
	ec := &keys.Key{Signer: p.SignerEC.Key, Cert: p.SignerEC.Cert, Chain: p.Chain()}
	res, _ = signAll(t, BatchOptions{Options: Options{Key: ec, Level: LevelBB, Stamp: st}}, signed)
	if res[0].Status != StatusSigned {
		t.Errorf("another key of the unit: %+v", res[0])
	}
	res, out3 := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB, Stamp: st}, Countersign: true}, signed)
	if res[0].Status != StatusSigned {
		t.Fatalf("countersign: %+v", res[0])
	}
	pdfsigValid(t, filepath.Join(out3, "scan200.pdf"), 2)
	rects := widgetRects(t, filepath.Join(out3, "scan200.pdf"))
	if len(rects) != 2 {
		t.Fatalf("%d visible widgets, want 2", len(rects))
	}
	a, b := rects[0], rects[1]
	if a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3] {
		t.Errorf("the second stamp %v covers the first %v", b, a)
	}
}

func widgetRects(t *testing.T, path string) [][4]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	r, err := pdf.NewReader(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	pages, err := r.Pages()
	if err != nil {
		t.Fatal(err)
	}
	return occupied(r, pages[0])
}

// TestAlreadySignedInvisible: an invisible signature of this certificate
// counts as this signer's when kyso made it (a re-run into another folder),
// not when another tool did (a legacy signature of the same key, which is
// signed over like any earlier signature).
func TestAlreadySignedInvisible(t *testing.T) {
	p := testpki.Shared(t)
	res, out := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}}, fixture(t, "simple.pdf"))
	if res[0].Status != StatusSigned {
		t.Fatal(res[0])
	}
	signed := filepath.Join(out, "simple.pdf")
	res, _ = signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}}, signed)
	if res[0].Status != StatusSkipped {
		t.Errorf("kyso's own invisible signature: %+v, want skipped", res[0])
	}
	data, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	foreign := bytes.Replace(data, []byte("/Name /kyso"), []byte("/Name /kysx"), 1)
	if bytes.Equal(foreign, data) {
		t.Fatal("no /Prop_Build name to change")
	}
	other := filepath.Join(t.TempDir(), "other-tool.pdf")
	os.WriteFile(other, foreign, 0o644)
	// (changing a signed byte breaks that signature, so the new one fails
	// its own check afterwards; what matters is that it is not skipped)
	res, _ = signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}}, other)
	if res[0].Status == StatusSkipped || res[0].Reason != "" {
		t.Errorf("another tool's invisible signature of the same key: %+v, want it signed over", res[0])
	}
}

// TestNoRoomSignsInvisibly: when every place on the page is taken by
// existing stamps, the new signature is made without a stamp rather than
// over one.
func TestNoRoomSignsInvisibly(t *testing.T) {
	p := testpki.Shared(t)
	// a stamp box as large as the page cannot avoid anything
	full := [4]float64{0, 0, 595, 842}
	st := &DecreeStamp{Place: stamp.PlaceOptions{Rect: &full}}
	res, out := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB, Stamp: st}}, fixture(t, "simple.pdf"))
	if res[0].Status != StatusSigned {
		t.Fatalf("%+v", res[0])
	}
	res, out2 := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB, Stamp: &DecreeStamp{}}, Countersign: true}, filepath.Join(out, "simple.pdf"))
	if res[0].Status != StatusSigned || len(res[0].Warnings) == 0 || !strings.Contains(strings.Join(res[0].Warnings, " "), "without a visible stamp") {
		t.Fatalf("%+v", res[0])
	}
	if n := len(widgetRects(t, filepath.Join(out2, "simple.pdf"))); n != 1 {
		t.Errorf("%d visible widgets, want only the first", n)
	}
	pdfsigValid(t, filepath.Join(out2, "simple.pdf"), 2)
}

// TestExistingOutputMustMatch keeps an output only when it is this input
// signed by this certificate at this level.
func TestExistingOutputMustMatch(t *testing.T) {
	p, tsa := serveTSA(t)
	in := fixture(t, "simple.pdf")
	res, out := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}}, in)
	if res[0].Status != StatusSigned {
		t.Fatal(res[0])
	}
	o := filepath.Join(out, "simple.pdf")
	ctx := context.Background()
	if err := CheckExistingOutput(ctx, in, o, p.Signer.Cert, LevelBB, nil); err != nil {
		t.Errorf("same input, certificate, level: %v", err)
	}
	if err := CheckExistingOutput(ctx, in, o, p.SignerEC.Cert, LevelBB, nil); err == nil {
		t.Error("other certificate: kept")
	}
	if err := CheckExistingOutput(ctx, in, o, p.Signer.Cert, LevelBT, nil); err == nil {
		t.Error("other level: kept")
	}
	if err := CheckExistingOutput(ctx, fixture(t, "form.pdf"), o, p.Signer.Cert, LevelBB, nil); err == nil {
		t.Error("other input: kept")
	}
	res, out = signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBT, TSA: &tsp.Client{URLs: []string{tsa}}}}, in)
	if res[0].Status != StatusSigned {
		t.Fatal(res[0])
	}
	if err := CheckExistingOutput(ctx, in, filepath.Join(out, "simple.pdf"), p.Signer.Cert, LevelBT, nil); err != nil {
		t.Errorf("B-T output: %v", err)
	}
}

// TestDocTimestampChecked: at B-LTA the document timestamp's token is
// judged as the signature timestamp's is; one from the future is refused
// and the file is left as it was.
func TestDocTimestampChecked(t *testing.T) {
	p := testpki.Serve(t, testpki.Options{}, func(p *testpki.PKI) http.Handler {
		return &tsp.Server{Signer: p.TSA.Key, Cert: p.TSA.Cert, Chain: p.Chain(), Now: func() time.Time { return time.Now().Add(time.Hour) }}
	})
	res, out := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}}, fixture(t, "simple.pdf"))
	if res[0].Status != StatusSigned {
		t.Fatal(res[0])
	}
	path := filepath.Join(out, "simple.pdf")
	before, _ := os.ReadFile(path)
	store := &trust.Store{Roots: []*x509.Certificate{p.Root.Cert}}
	pol := &SignerPolicy{Trust: store, Configured: true, Level: LevelBLTA}
	l := &LTV{Trust: store, Fetcher: &revocation.Fetcher{}, TSA: &tsp.Client{URLs: []string{p.BaseURL + "/tsa"}}, CheckTimestamp: pol.CheckTimestamp}
	_, err := l.ExtendFile(context.Background(), path, filepath.Join(t.TempDir(), "lta.pdf"), true, false)
	if err == nil || !strings.Contains(err.Error(), "ahead of this computer's clock") {
		t.Errorf("document timestamp from the future: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the input changed")
	}
}

// TestStampSaysWhatItCouldNotCheck: a scan kyso does not decode (here a
// Group 3 fax image) leaves the stamp in its default box without knowing
// what lies under it; the file's result says so, naming the encoding. A
// Group 4 scan of the same page is examined and draws no such warning.
func TestStampSaysWhatItCouldNotCheck(t *testing.T) {
	p := testpki.Shared(t)
	g4 := filepath.Join("..", "internal", "stamp", "testdata", "scanccitt.pdf")
	data, err := os.ReadFile(g4)
	if err != nil {
		t.Fatal(err)
	}
	g3data := bytes.Replace(data, []byte("/K -1"), []byte("/K  0"), 1)
	if bytes.Equal(g3data, data) {
		t.Fatal("no /K -1 in the fixture")
	}
	g3 := filepath.Join(t.TempDir(), "g3.pdf")
	if err := os.WriteFile(g3, g3data, 0o644); err != nil {
		t.Fatal(err)
	}
	res, _ := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB, Stamp: &DecreeStamp{}}}, g4, g3)
	for _, r := range res {
		if r.Status != StatusSigned {
			t.Fatalf("%+v", r)
		}
		w := strings.Join(r.Warnings, " | ")
		unexamined := strings.Contains(w, "default place")
		switch filepath.Base(r.Input) {
		case "g3.pdf":
			if !unexamined || !strings.Contains(w, "CCITTFaxDecode") {
				t.Errorf("Group 3 scan: warnings %q, want the stamp's place said unchecked, naming the encoding", w)
			}
		default:
			if unexamined || strings.Contains(w, "covers part") {
				t.Errorf("Group 4 scan: warnings %q, want none about the stamp", w)
			}
		}
	}
}

// TestRefusesAmbiguousObjects: a page giving /Rotate twice with different
// values is shown upright by one viewer and turned by another; kyso does
// not sign what readers resolve differently.
func TestRefusesAmbiguousObjects(t *testing.T) {
	p := testpki.Shared(t)
	doc, err := os.ReadFile(fixture(t, "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdf.NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	pages, err := r.Pages()
	if err != nil {
		t.Fatal(err)
	}
	d := pages[0].Dict.Clone()
	d["Rotate"] = pdf.Raw{Bytes: []byte("0 /Rotate 90")}
	u := pdf.NewUpdate(r)
	u.Set(pages[0].Ref, d)
	var b bytes.Buffer
	b.Write(doc)
	if _, err := u.Write(&b); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "twice.pdf")
	if err := os.WriteFile(in, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	res, out := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB, Stamp: &DecreeStamp{}}}, in)
	if res[0].Status != StatusFailed || fail.KindOf(res[0].Err) != fail.KindInput ||
		!strings.Contains(res[0].Err.Error(), "gives /Rotate twice") {
		t.Fatalf("%+v, want an input error naming the key", res[0])
	}
	if _, err := os.Stat(filepath.Join(out, "twice.pdf")); !os.IsNotExist(err) {
		t.Errorf("an output was written: %v", err)
	}
}
