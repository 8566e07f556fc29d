// Package sign makes PAdES baseline signatures (ETSI EN 319 142-1) on PDF
// files as incremental updates: the input's bytes are copied unchanged and
// hashed in one pass, the signature dictionary, field and stamp are appended,
// and the CMS (with an RFC 3161 signature timestamp for B-T and above) is
// patched into the reserved /Contents. Outputs are written to a temporary
// file next to the destination, checked, fsynced and renamed into place.
package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/tsp"
)

// Level is a PAdES baseline level.
type Level string

const (
	LevelBB   Level = "B-B"
	LevelBT   Level = "B-T"
	LevelBLT  Level = "B-LT"
	LevelBLTA Level = "B-LTA"
)

// ParseLevel accepts "B-B", "b-t", "BLT"... and returns the Level.
func ParseLevel(s string) (Level, error) {
	n := strings.ToUpper(strings.ReplaceAll(s, "-", ""))
	for _, l := range []Level{LevelBB, LevelBT, LevelBLT, LevelBLTA} {
		if strings.ReplaceAll(string(l), "-", "") == n {
			return l, nil
		}
	}
	return "", i18n.Errorf("unknown level %q: want B-B, B-T, B-LT or B-LTA", s)
}

func (l Level) needsTimestamp() bool { return l != LevelBB }

// Options control one signature.
type Options struct {
	Key   *keys.Key
	Level Level
	// TSA is required for B-T and above.
	TSA *tsp.Client
	// LTV gathers validation data for B-LT and B-LTA.
	LTV *LTV

	Reason, Location, ContactInfo string
	// FieldName of the new signature field; default "Signature<N>".
	FieldName string
	// Stamp draws the visible signature; nil signs invisibly.
	Stamp Stamper
	// Metadata, when set, is written into the document's Info dictionary
	// in the same update as the signature (so a signed file describes itself).
	Metadata map[string]string
	// Now gives the signing time (tests); default time.Now.
	Now func() time.Time
	// Check verifies a finished output before it is renamed into place.
	Check func(ctx context.Context, path string) error
	// Force overwrites existing outputs.
	Force bool
	// CheckTimestamp judges each signature timestamp the TSA returns
	// (trust, clock); an error fails the file. Nil accepts what the TSA
	// client's own checks accept.
	CheckTimestamp func(ctx context.Context, tok *tsp.Token) error

	// noRoom is told when the stamp was left out for lack of room.
	noRoom func()
}

// Stamper adds a visible appearance: it returns the widget rectangle and
// the appearance XObject, adding what it needs through u. page is the
// 0-based page index.
type Stamper interface {
	// extra lists further annotations (a QR code) to put on the page.
	Stamp(ctx context.Context, r *pdf.Reader, u *pdf.Update, page pdf.Page, pageIndex int, signingTime time.Time, key *keys.Key) (rect [4]float64, ap pdf.Ref, extra []pdf.Ref, err error)
	// PageIndex is the 0-based page the stamp goes on.
	PageIndex() int
}

// Status of one input.
type Status string

const (
	StatusSigned  Status = "signed"
	StatusSkipped Status = "skipped"
	StatusFailed  Status = "failed"
)

// Result is the outcome for one input; it is the --json contract of
// `kyso sign`.
type Result struct {
	Input  string `json:"input"`
	Output string `json:"output"`
	Status Status `json:"status"`
	Error  string `json:"error,omitempty"`
	// Reason says why an input was skipped without an output (it already
	// carries this signer's signature).
	Reason string `json:"reason,omitempty"`
	// Remedy is the next step for Reason (ask for a countersignature).
	Remedy      fail.Remedy `json:"-"`
	SHA256      string      `json:"sha256,omitempty"`
	Level       Level       `json:"level,omitempty"`
	SigningTime *time.Time  `json:"signing_time,omitempty"`
	Warnings    []string    `json:"warnings,omitempty"`
	// MinDPI is the lowest effective resolution of the pages' images.
	MinDPI float64 `json:"min_dpi,omitempty"`
	Err    error   `json:"-"`
}

// vnZone is Vietnam time (+07:00), fixed: Vietnam has no daylight saving.
var vnZone = time.FixedZone("ICT", 7*3600)

// prepared is a signature whose bytes are on disk except /Contents.
type prepared struct {
	tmp        *fileutil.AtomicFile
	tmpPath    string
	size       int64 // total length
	contentsAt int64 // offset of '<'
	contentsN  int   // hex capacity in bytes (without < >)
	digest     []byte
	when       time.Time
	// update is the appended section (its /Contents filled by finish),
	// written after base bytes of input.
	update []byte
	base   int64
}

// reserve returns the /Contents capacity in bytes for a signature by key.
func reserve(k *keys.Key, withTS bool) int {
	n := 4096
	n += len(k.Cert.Raw)
	for _, c := range k.Chain {
		n += len(c.Raw)
	}
	if withTS {
		n += 12288
	}
	return n
}

// prepare copies in to a temporary file beside out, appends the signature
// update with an empty /Contents, and computes the digest to sign.
func prepare(ctx context.Context, in io.ReaderAt, size int64, out string, o *Options) (p *prepared, err error) {
	r, err := pdf.NewReader(in, size)
	if err != nil {
		return nil, fail.Input(i18n.Errorf("not a readable PDF: %v", err), "")
	}
	if _, enc := r.Trailer()["Encrypt"]; enc {
		return nil, fail.Inputf("the PDF is encrypted; kyso signs only unencrypted documents")
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	when := now().Truncate(time.Second)
	u := pdf.NewUpdate(r)
	capacity := reserve(o.Key, o.Level.needsTimestamp())
	if err := addSignature(ctx, r, u, o, when, capacity); err != nil {
		// What reading the document refused (a cycle, a limit, a damaged
		// object) is the input's fault; the rest keeps its own kind.
		if fail.KindOf(err) == fail.KindNone && ctx.Err() == nil {
			err = fail.Input(err, "")
		}
		return nil, err
	}
	if err := r.Err(); err != nil {
		return nil, fail.Input(err, "")
	}
	// What kyso read to sign (the pages, the form, the page it stamps)
	// must mean one thing to every reader, or the signer may approve
	// another document than the one a verifier is shown.
	if err := checkUnambiguous(r); err != nil {
		return nil, err
	}
	var upd bytes.Buffer
	if _, err := u.Write(&upd); err != nil {
		err = i18n.Errorf("writing the signature update: %v", err)
		if pdf.IsLimit(err) {
			return nil, fail.Input(err, "")
		}
		return nil, err
	}
	brAt, _ := u.Offset("byterange")
	cAt, _ := u.Offset("contents")
	total := size + int64(upd.Len())
	cEnd := cAt + int64(2*capacity+2)
	if err := patchByteRange(upd.Bytes()[brAt-size:], cAt, cEnd, total); err != nil {
		return nil, err
	}

	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fail.Run(i18n.Errorf("creating %s: %v", dir, err), "")
	}
	tmp, err := fileutil.CreateAtomic(out, 0)
	if err != nil {
		return nil, fail.Run(i18n.Errorf("creating a temporary file in %s: %v", dir, err), "")
	}
	defer func() {
		if err != nil || p == nil { // p is nil on a panic too: no temporary file is left
			tmp.Abort()
		}
	}()
	h := sha256.New()
	if err := copyHashing(ctx, tmp.File, h, io.NewSectionReader(in, 0, size)); err != nil {
		return nil, err
	}
	ub := upd.Bytes()
	rel := cAt - size
	h.Write(ub[:rel])
	h.Write(ub[rel+int64(2*capacity+2):])
	if _, err := tmp.Write(ub); err != nil {
		return nil, fail.Run(i18n.Errorf("writing %s: %v", tmp.TempPath(), err), "")
	}
	return &prepared{tmp: tmp, tmpPath: tmp.TempPath(), size: total, contentsAt: cAt, contentsN: capacity, digest: h.Sum(nil), when: when,
		update: ub, base: size}, nil
}

// copyHashing copies src to dst and into h, checking ctx between blocks,
// and starts the disk writing behind it as it goes.
func copyHashing(ctx context.Context, dst *os.File, h hash.Hash, src io.Reader) error {
	buf := make([]byte, 1<<20)
	var written, flushed int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if _, err := dst.Write(buf[:n]); err != nil {
				return fail.Run(i18n.Errorf("writing output: %v", err), "check free disk space")
			}
			written += int64(n)
			if written-flushed >= 4<<20 {
				fileutil.StartWriteback(dst, flushed, written-flushed)
				flushed = written
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return fail.Input(i18n.Errorf("reading input: %v", rerr), "")
		}
	}
}

// cmsSign makes the SignedData for p, with a signature timestamp when
// the level asks for one.
func cmsSign(ctx context.Context, p *prepared, o *Options) ([]byte, error) {
	der, sigValue, err := cms.SignDetached(ctx, p.digest, cms.SignOptions{Signer: o.Key.Signer, Cert: o.Key.Cert, Chain: o.Key.Chain, Hash: crypto.SHA256})
	if err != nil {
		return nil, fail.Run(i18n.Errorf("signing with %s: %v", o.Key.Description, err), "")
	}
	if !o.Level.needsTimestamp() {
		return der, nil
	}
	if o.TSA == nil {
		return nil, fail.UsageWith(i18n.Errorf("level %s needs a timestamp authority", o.Level), fail.RemedyTSA)
	}
	imprint := sha256.Sum256(sigValue)
	tok, err := o.TSA.Timestamp(ctx, crypto.SHA256, imprint[:])
	if err != nil {
		return nil, err
	}
	if o.CheckTimestamp != nil {
		if err := o.CheckTimestamp(ctx, tok); err != nil {
			return nil, err
		}
	}
	der, err = cms.AddUnsignedAttr(der, cms.OIDSignatureTimeStampToken, tok.DER)
	if err != nil {
		return nil, i18n.Errorf("adding the signature timestamp: %v", err)
	}
	return der, nil
}

// finish writes the CMS into /Contents, fsyncs and closes the temporary file.
func (p *prepared) finish(der []byte) error {
	if len(der) > p.contentsN {
		return i18n.Errorf("signature is %d bytes, more than the %d reserved", len(der), p.contentsN)
	}
	hx := p.update[p.contentsAt-p.base+1 : p.contentsAt-p.base+1+int64(2*p.contentsN)]
	hex.Encode(hx, der)
	for i := 2 * len(der); i < len(hx); i++ {
		hx[i] = '0'
	}
	if _, err := p.tmp.WriteAt(hx, p.contentsAt+1); err != nil {
		return fail.Run(i18n.Errorf("writing %s: %v", p.tmpPath, err), "")
	}
	if err := p.tmp.Close(); err != nil {
		return fail.Run(err, "")
	}
	return nil
}

func (p *prepared) abort() { p.tmp.Abort() }

// commit puts the finished temporary file in its target's place
// (fileutil.AtomicFile.Commit); without force an existing output is never
// overwritten, even one that appeared meanwhile.
func commit(tmp *fileutil.AtomicFile, force bool) error {
	if err := tmp.Commit(force); err != nil {
		if errors.Is(err, fileutil.ErrTargetExists) {
			return fail.InputWith(i18n.Errorf("%s already exists", tmp.Target()), fail.RemedyForce)
		}
		return fail.Run(i18n.Errorf("renaming into %s: %v", tmp.Target(), err), "")
	}
	return nil
}
