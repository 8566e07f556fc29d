package main

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/verify"
)

// writeAuditReport writes the auditor's report of a catalogue audit: one
// section per record (its current file's SHA-256, size, dossier code, the
// verdict and the fixity outcome, its signatures as the catalogue holds
// them), the tally, the basis and the auditor's block.
func writeAuditReport(ctx context.Context, g *globalOptions, c *archive.Catalogue, path string, results []archive.AuditResult,
	sum archive.AuditSummary, vf *verifyFlags) error {
	p := g.pr()
	records := map[uint64]*archive.Record{}
	if err := c.List(ctx, archive.Query{}, func(r *archive.Record) error {
		records[r.ID] = r
		return nil
	}); err != nil {
		return err
	}
	vo, err := vf.options(g)
	if err != nil {
		return err
	}
	basis := &verify.Basis{Config: g.config.Path, ConfigSource: g.config.Source, Trust: vf.Trust, Policy: vo.Policy}
	if basis.Policy == nil {
		basis.Policy = verify.DefaultPolicy()
	}
	if vo.Trust != nil {
		basis.AnchorCount = len(vo.Trust.Roots)
		if !vo.Trust.System {
			basis.Anchors = verify.AnchorsOf(vo.Trust)
		} else {
			basis.Trust = []string{"system"}
		}
	}
	entries := make([]verify.AuditEntry, 0, len(results))
	for _, res := range results {
		rep := &verify.Report{File: "—", SHA256: res.SHA256, Status: res.Verdict}
		e := verify.AuditEntry{Report: rep, Dossier: res.Dossier, Fixity: string(res.Status), Record: strconv.FormatUint(res.ID, 10)}
		if r := records[res.ID]; r != nil {
			rep.File = r.Name
			rep.Size = r.Size
			rep.CheckedAt = r.VerifiedAt
			if rep.Status == "" {
				rep.Status = r.Status
			}
			for i, s := range r.Signatures {
				rep.Signatures = append(rep.Signatures, verify.Signature{Index: i, Kind: s.Kind, Signer: s.Signer, Issuer: s.Issuer,
					Serial: s.Serial, SigningTime: s.SigningTime, TimestampTime: s.TimestampTime, TSA: s.TSA, Level: s.Level, Status: s.Status})
			}
		}
		if res.Status != archive.FixityOK {
			rep.Status = verify.Invalid
			if res.Reason != "" {
				rep.Errors = []string{res.Reason}
			}
		}
		entries = append(entries, e)
	}
	notes := []string{p.T("Records checked: %d — ok: %d — missing: %d — corrupt: %d — no longer valid: %d",
		sum.Checked, sum.OK, sum.Missing, sum.Corrupt, sum.Invalid)}
	if err := writeAtomic(path, func(w io.Writer) error {
		return verify.WriteAuditHTML(w, entries, verify.HTMLOptions{Printer: p, Version: versionString(),
			Title: p.T("Catalogue audit report"), Scope: c.Path(), Basis: basis, Notes: notes})
	}); err != nil {
		return err
	}
	return nil
}

// checkReportName refuses a --report that is not *.html.
func checkReportName(path string) error {
	if path == "" || hasExt(path, ".html", ".htm") {
		return nil
	}
	return fail.Usage(i18n.Errorf("--report %s: the report is HTML; name it *.html", path), "")
}

func hasExt(path string, exts ...string) bool {
	for _, e := range exts {
		if strings.EqualFold(filepath.Ext(path), e) {
			return true
		}
	}
	return false
}
