package verify

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/hostile"
)

// A file with more signatures than pdf.Limits.MaxSignatures is invalid,
// with an error naming the limit, and is refused before any signature is
// judged: quickly, and with no per-signature state in the report.
func TestTooManySignatures(t *testing.T) {
	max := pdf.DefaultLimits.MaxSignatures
	for _, n := range []int{max + 1, 20 * max} {
		doc := hostile.ManySignatures(n)
		start := time.Now()
		rep := verifyBytes(t, doc, Options{})
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%d signatures: %v", n, d)
		}
		if rep.Status != Invalid {
			t.Errorf("%d signatures: status %s", n, rep.Status)
		}
		if len(rep.Signatures) != 0 {
			t.Errorf("%d signatures: %d judged", n, len(rep.Signatures))
		}
		if !mentions(rep.Errors, "MaxSignatures") || !mentions(rep.Errors, "more than 1000 signatures") {
			t.Errorf("%d signatures: errors %q do not name the limit", n, rep.Errors)
		}
		if mentions(rep.Errors, "no signature") {
			t.Errorf("%d signatures: %q", n, rep.Errors)
		}
	}
	// At the limit every signature is judged.
	rep := verifyBytes(t, hostile.ManySignatures(max), Options{})
	if len(rep.Signatures) != max || mentions(rep.Errors, "MaxSignatures") {
		t.Errorf("%d signatures: %d judged, errors %q", max, len(rep.Signatures), strings.Join(rep.Errors, "; "))
	}
}

// A cancelled context stops a file of many signatures between signatures:
// Verify returns the context's error, not a verdict.
func TestManySignaturesCancelled(t *testing.T) {
	doc := hostile.ManySignatures(pdf.DefaultLimits.MaxSignatures)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	rep, err := Verify(ctx, bytes.NewReader(doc), int64(len(doc)), Options{})
	if !errors.Is(err, context.Canceled) || rep != nil {
		t.Fatalf("Verify = %v, %v; want context.Canceled", rep, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v after cancellation", d)
	}
}
