package verify

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestWriteHTML(t *testing.T) {
	ts := time.Date(2025, 3, 5, 2, 30, 45, 0, time.UTC)
	reports := []*Report{
		{File: "a.pdf", Status: Valid, Signatures: []Signature{{
			Field: "Sig1", SubFilter: subCAdES, Kind: kindApproval, Status: Valid,
			Signer: "CN=UBND xã Hòa Đông,O=UBND xã Hòa Đông,C=VN", Issuer: "CN=<script>alert(1)</script>",
			SigningTime: &ts, TimestampTime: &ts, Integrity: true, Covers: "whole", Modification: "none",
			Chain: "trusted", Revocation: "good", Level: "B-T",
			Timestamps: []Timestamp{{Kind: "signature", Time: ts, TSA: "CN=TSA", Chain: "trusted", Proves: true}},
		}}, Revisions: []Revision{{Index: 0, End: 100}, {Index: 1, End: 200}}},
		{File: "b.pdf", Status: Invalid, Errors: []string{"not a readable PDF: <b>"}},
	}
	for _, lang := range []string{"vi", "en"} {
		var buf bytes.Buffer
		if err := WriteHTML(&buf, reports, HTMLOptions{Lang: lang, Generated: ts}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{"<html", "Hòa Đông", "a.pdf", "b.pdf", "&lt;script&gt;", "&lt;b&gt;", "B-T"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: report lacks %q", lang, want)
			}
		}
		if strings.Contains(out, "<script>") || strings.Contains(out, "<b>") {
			t.Errorf("%s: unescaped markup from a file", lang)
		}
		wantVerdict := map[string]string{"vi": "HỢP LỆ", "en": "VALID"}[lang]
		if !strings.Contains(out, wantVerdict) || !strings.Contains(out, FormatTime(lang, &ts)[:19]) {
			t.Errorf("%s: verdict or time missing", lang)
		}
	}
}

func TestFormatTime(t *testing.T) {
	ts := time.Date(2025, 3, 5, 2, 30, 45, 0, time.UTC)
	if got := FormatTime("vi", &ts); got != "05/03/2025 09:30:45 +07:00" {
		t.Errorf("vi: %q", got)
	}
	if got := FormatTime("en", &ts); got != "2025-03-05 09:30:45 +07:00" {
		t.Errorf("en: %q", got)
	}
	if got := ShortName(`CN=Nguyễn Văn A\, Jr,O=UBND`); got != "Nguyễn Văn A, Jr" {
		t.Errorf("ShortName: %q", got)
	}
}

// A signature whose bytes were never hashed (a limit) is not said to be
// altered: the report says its integrity was not checked.
func TestIntegrityNotChecked(t *testing.T) {
	for _, tc := range []struct {
		s    Signature
		want string
	}{
		{Signature{Integrity: true, DigestAlg: "SHA-256"}, "intact"},
		{Signature{DigestAlg: "SHA-256"}, "altered"},
		{Signature{}, "not checked"},
	} {
		if got := tc.s.IntegrityKey(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
	}
	rep := []*Report{{File: "a.pdf", Status: Indeterminate, Signatures: []Signature{{Field: "Sig1", Status: Indeterminate, Chain: "trusted", Covers: "whole"}}}}
	for lang, want := range map[string]string{"en": "not checked", "vi": "chưa kiểm tra"} {
		var buf bytes.Buffer
		if err := WriteHTML(&buf, rep, HTMLOptions{Lang: lang}); err != nil {
			t.Fatal(err)
		}
		if out := buf.String(); !strings.Contains(out, want) || strings.Contains(out, "altered") || strings.Contains(out, "đã bị thay đổi") {
			t.Errorf("%s: want integrity %q, not altered", lang, want)
		}
	}
}
