package main

import (
	"context"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/verify"
)

// A verifier that panics on one file makes that file's report
// indeterminate with one internal-error line; the others are judged.
func TestVerifyAllPanicIsOneFile(t *testing.T) {
	inputs := []inputFile{{Path: "a.pdf"}, {Path: "boom.pdf"}, {Path: "c.pdf"}}
	one := func(_ context.Context, path string) (*verify.Report, error) {
		if path == "boom.pdf" {
			var m map[string]int
			m["x"]++
		}
		return &verify.Report{File: path, Status: verify.Valid}, nil
	}
	var got []*verify.Report
	if err := verifyAll(context.Background(), inputs, 2, one, func(int, *verify.Report) {}, func(r *verify.Report) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Status != verify.Valid || got[2].Status != verify.Valid {
		t.Fatalf("%+v", got)
	}
	b := got[1]
	if b.Status != verify.Indeterminate || len(b.Errors) != 1 || !strings.HasPrefix(b.Errors[0], "internal error") || strings.Contains(b.Errors[0], "\n") {
		t.Fatalf("the panicking file: %+v", b)
	}
}
