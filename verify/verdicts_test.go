package verify

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

// TestAttackVerdicts runs the whole verifier on every document of the
// attack generator (CCS 2019, NDSS 2021 shadow attacks, S&P 2021
// certification attacks, and their legitimate counterparts): the signature
// under attack must be invalid with a reason naming the object, and the
// legitimate ones valid. The generator's throwaway signer is the trust
// anchor here, so that nothing but the attack decides.
func TestAttackVerdicts(t *testing.T) {
	cert, _, err := attackgen.TestCertificate()
	if err != nil {
		t.Fatal(err)
	}
	store := storeOf(t, cert)
	for _, c := range chgAttackCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			r := verifyBytes(t, c.PDF, Options{Trust: store, RevocationSoft: true})
			var s *Signature
			for i := range r.Signatures {
				if r.Signatures[i].Field == c.Field {
					s = &r.Signatures[i]
				}
			}
			if s == nil {
				t.Fatalf("no signature in field %q; file %s %q", c.Field, r.Status, r.Errors)
			}
			if c.Expect.Valid {
				if s.Status != Valid {
					t.Errorf("%s (%s): status %s, want valid; reasons %q", c.Attack, c.What, s.Status, s.Reasons)
				}
				if c.Expect.Class != "" && s.Modification != c.Expect.Class && s.Covers != "whole" {
					t.Errorf("modification %s, want %s", s.Modification, c.Expect.Class)
				}
				return
			}
			if s.Status != Invalid || r.Status != Invalid {
				t.Fatalf("%s (%s): signature %s, file %s; want invalid", c.Attack, c.What, s.Status, r.Status)
			}
			if len(s.Reasons) == 0 {
				t.Fatal("invalid without a reason")
			}
			if c.Expect.Object != 0 && c.Expect.By == attackgen.ByChanges {
				mustContain(t, "reasons", s.Reasons, fmt.Sprintf("object %d", c.Expect.Object))
			}
			if c.Expect.Class != "" && c.Expect.By == attackgen.ByChanges && s.Modification != c.Expect.Class {
				t.Errorf("modification %s, want %s", s.Modification, c.Expect.Class)
			}
			if c.Expect.By == attackgen.ByChanges && c.Expect.Reason != "" {
				mustContain(t, "reasons", []string{strings.ToLower(strings.Join(s.Reasons, " | "))}, strings.ToLower(c.Expect.Reason))
			}
		})
	}
}
