package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/tsp"
)

// appendUpdate writes u at the end of f (which holds r's bytes).
func appendUpdate(f *os.File, u *pdf.Update, size int64) (int64, error) {
	var buf bytes.Buffer
	n, err := u.Write(&buf)
	if err != nil {
		return 0, err
	}
	if _, err := f.WriteAt(buf.Bytes(), size); err != nil {
		return 0, fail.Run(i18n.Errorf("writing %s: %v", f.Name(), err), "check free disk space")
	}
	return n, nil
}

// AddDocTimestamp appends a document timestamp (ETSI.RFC3161) over the
// whole of the file f, as an incremental update, and fsyncs it.
func AddDocTimestamp(ctx context.Context, f *os.File, client *tsp.Client) error {
	return addDocTimestamp(ctx, f, client, nil)
}

// addDocTimestamp is AddDocTimestamp; check, when set, judges the token
// before it is written (trust, clock).
func addDocTimestamp(ctx context.Context, f *os.File, client *tsp.Client, check func(context.Context, *tsp.Token) error) error {
	if client == nil {
		return fail.UsageWith(i18n.Errorf("a document timestamp needs a timestamp authority"), fail.RemedyTSA)
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	r, err := pdf.NewReader(f, size)
	if err != nil {
		return fail.Input(i18n.Errorf("not a readable PDF: %v", err), "")
	}
	if _, enc := r.Trailer()["Encrypt"]; enc {
		return fail.Inputf("the PDF is encrypted; kyso timestamps only unencrypted documents")
	}
	const capacity = 20000
	u := pdf.NewUpdate(r)
	if err := addField(ctx, r, u, &Options{}, time.Now(), capacity, true); err != nil {
		// What reading the document refused is the input's fault.
		if fail.KindOf(err) == fail.KindNone && ctx.Err() == nil {
			err = fail.Input(err, "")
		}
		return err
	}
	if err := r.Err(); err != nil {
		return fail.Input(err, "")
	}
	var upd bytes.Buffer
	if _, err := u.Write(&upd); err != nil {
		if pdf.IsLimit(err) {
			return fail.Input(err, "")
		}
		return err
	}
	brAt, _ := u.Offset("byterange")
	cAt, _ := u.Offset("contents")
	total := size + int64(upd.Len())
	cEnd := cAt + int64(2*capacity+2)
	if err := patchByteRange(upd.Bytes()[brAt-size:], cAt, cEnd, total); err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
		return err
	}
	ub := upd.Bytes()
	h.Write(ub[:cAt-size])
	h.Write(ub[cEnd-size:])
	tok, err := client.Timestamp(ctx, crypto.SHA256, h.Sum(nil))
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(ctx, tok); err != nil {
			return err
		}
	}
	if len(tok.DER) > capacity {
		return i18n.Errorf("timestamp token is %d bytes, more than the %d reserved", len(tok.DER), capacity)
	}
	hx := ub[cAt-size+1 : cEnd-size-1]
	hex.Encode(hx, tok.DER)
	if _, err := f.WriteAt(ub, size); err != nil {
		return fail.Run(i18n.Errorf("writing %s: %v", f.Name(), err), "check free disk space")
	}
	return f.Sync()
}

// patchByteRange fills a byte-range placeholder at the start of slot.
func patchByteRange(slot []byte, cAt, cEnd, total int64) error {
	width := len(byteRangePlaceholder)
	if len(slot) < width || !bytes.HasPrefix(slot, byteRangePlaceholder) {
		return i18n.Errorf("byte range placeholder not found")
	}
	br := fmt.Sprintf("[0 %d %d %d", cAt, cEnd, total-cEnd)
	if len(br)+1 > width {
		return i18n.Errorf("byte range does not fit its placeholder")
	}
	copy(slot, br+strings.Repeat(" ", width-len(br)-1)+"]")
	return nil
}
