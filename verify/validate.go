package verify

import (
	"crypto/sha256"
	"crypto/x509"
	"time"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/tsp"
)

// skew tolerates clocks that disagree by a little.
const skew = 5 * time.Minute

// evalTime is the time at which a timestamp made before the signature at
// index i is judged: that of the earliest later document timestamp that
// proves its own time (the archive-timestamp chain of PAdES B-LTA), else now.
func (v *verifier) evalTime(i int) time.Time {
	at := v.now
	for _, o := range v.sigs[i+1:] {
		if o.isDocTS() && o.proof != nil && o.proof.Before(at) {
			at = *o.proof
		}
	}
	return at
}

// validate judges time, chain and revocation of one signature.
// MaxSignatureTimestamps is how many different signature-time-stamp tokens
// of one signature are checked. Identical copies count once; past the
// limit the others are ignored with a warning. Each costs a CMS check, a
// chain and a revocation check, and a 4 MiB /Contents holds thousands of
// them; real signatures carry one.
const MaxSignatureTimestamps = 16

func (v *verifier) validate(s *sigState) {
	if s.isDocTS() {
		v.validateDocTimestamp(s)
		return
	}
	var proven, earliest *time.Time
	hasT := false
	consider := func(ts Timestamp) {
		s.out.Timestamps = append(s.out.Timestamps, ts)
		t := ts.Time
		if ts.Verified {
			hasT = true
			if earliest == nil || t.Before(*earliest) {
				earliest = &t
			}
		}
		if ts.Proves && (proven == nil || t.Before(*proven)) {
			proven = &t
			s.out.TSA = ts.TSA
		}
	}
	if s.si != nil && s.digestOK {
		toks := s.si.UnsignedAttr(cms.OIDSignatureTimeStampToken)
		seen := map[[32]byte]bool{}
		n := 0
		for _, der := range toks {
			k := sha256.Sum256(der)
			if seen[k] {
				continue // the same token again proves nothing more
			}
			seen[k] = true
			if n == MaxSignatureTimestamps {
				s.warnf("the signature carries more than %d different signature timestamps: only the first %d are checked", MaxSignatureTimestamps, MaxSignatureTimestamps)
				break
			}
			n++
			consider(v.signatureTimestamp(s, der))
		}
	}
	for _, o := range v.sigs[s.out.Index+1:] {
		if !o.isDocTS() || o.out.TimestampTime == nil || !o.digestOK || !o.sigOK {
			continue
		}
		consider(Timestamp{Kind: "document", Time: *o.out.TimestampTime, TSA: o.out.Signer,
			Chain: o.out.Chain, Verified: true, Proves: o.proof != nil, Signature: o.out.Index})
	}
	// Only a timestamp from a trusted TSA proves a time; one that does
	// not chain to a trust anchor is listed in Timestamps, flagged, and
	// neither shown as the signature's time nor counted for its level.
	switch {
	case proven != nil:
		s.out.TimestampTime = proven
	case earliest != nil:
		why := i18n.Sprintf("the timestamp of %s is not from a trusted timestamp authority: it proves nothing, the signing time is not proven", earliest.Format(time.RFC3339))
		s.warnf("%s", why)
		for i := range s.findings {
			if s.findings[i].Message == why {
				s.findings[i].ID = FindingUntrustedTS
			}
		}
	}
	hasT = proven != nil || (v.o.LevelAsWritten && earliest != nil)
	v.applyPolicy(s, proven)
	if s.out.SigningTime != nil {
		m := *s.out.SigningTime
		if proven != nil && m.After(proven.Add(skew)) {
			s.warnf("the claimed signing time %s is later than the timestamp %s", m.Format(time.RFC3339), proven.Format(time.RFC3339))
		}
		if m.After(v.now.Add(skew)) {
			s.warnf("the claimed signing time %s is in the future", m.Format(time.RFC3339))
		}
	}

	at := v.now
	if proven != nil {
		at = *proven
	}
	if s.cert == nil {
		s.out.Level = "B-B"
		return
	}
	ev := v.evidence(s.sd, s.si)
	chain := v.judgeChain(s, s.cert, append(s.pool, v.dss.certs...), at, false)
	rev := v.judgeRevocation(s, s.cert, chain, at, ev, false)
	if rev.fromDSS >= 0 {
		s.evidenceRev = rev.fromDSS
	}
	if s.cert.NotBefore.After(at.Add(skew)) {
		s.invalidf("the signer's certificate was not yet valid at %s", at.Format(time.RFC3339))
	}

	s.out.Level = "B-B"
	if hasT {
		s.out.Level = "B-T"
		if s.evidenceRev < 0 && chain.status != "trusted" {
			// The data could not be put to use (no trusted root to check
			// it against); the level then says what the file holds.
			s.evidenceRev = v.dss.revocationSince(max(s.out.Revision, 0))
		}
		if s.evidenceRev >= 0 {
			s.out.Level = "B-LT"
			for _, o := range v.sigs[s.out.Index+1:] {
				if o.isDocTS() && o.digestOK && o.sigOK && o.out.Revision > s.evidenceRev {
					s.out.Level = "B-LTA"
					break
				}
			}
		}
	}
}

// validateDocTimestamp judges a document timestamp: its token was verified
// with the ranges; here its TSA. The TSA's revocation is judged more softly
// than a signer's: an unknown status is a warning, since an archive
// timestamp's TSA certificate is commonly short-lived and its status is
// rarely embedded before the next timestamp covers it.
func (v *verifier) validateDocTimestamp(s *sigState) {
	s.out.Level = ""
	if s.cert == nil {
		return
	}
	at := v.evalTime(s.out.Index)
	ev := v.evidence(s.token.SignedData, nil)
	chain := v.judgeChain(s, s.cert, append(s.pool, v.dss.certs...), at, true)
	gen := s.token.Info.GenTime
	if gen.Before(s.cert.NotBefore.Add(-skew)) || gen.After(s.cert.NotAfter.Add(skew)) {
		s.invalidf("the timestamp time %s is outside the TSA certificate's validity", gen.Format(time.RFC3339))
	}
	rev := v.judgeRevocation(s, s.cert, chain, gen, ev, true)
	if id, why := v.timestampPolicy(s.hash, at, s.cert); id != "" {
		s.policyFinding(id, why)
	}
	if s.token.SignedData != nil && len(s.token.SignedData.SignerInfos) == 1 {
		if id, why := v.timestampPolicy(signerHash(s.token.SignedData.SignerInfos[0]), at, nil); id != "" {
			s.policyFinding(id, why)
		}
	}
	defer func() {
		if s.proof == nil {
			// Not proven: the time stays in the token, not in the verdict.
			s.out.TimestampTime = nil
		}
	}()
	if s.digestOK && s.sigOK && chain.status == "trusted" && rev.status != "revoked" && len(s.invalid) == 0 && !s.policyRefused() {
		t := gen.UTC()
		s.proof = &t
	}
}

// signatureTimestamp judges one signature-time-stamp token: its imprint is
// over the SignerInfo's signature value.
func (v *verifier) signatureTimestamp(s *sigState, der []byte) Timestamp {
	ts := Timestamp{Kind: "signature", Chain: "incomplete"}
	tok, err := tsp.ParseToken(der)
	if err != nil {
		ts.Problems = append(ts.Problems, i18n.Sprintf("the signature timestamp cannot be read: %v", err))
		s.warnf("%s", ts.Problems[0])
		return ts
	}
	ts.Time = tok.Info.GenTime.UTC()
	if tok.Cert == nil && len(tok.SignedData.SignerInfos) == 1 {
		tok.Cert = tok.SignedData.SignerInfos[0].SignerCert(append(s.pool, v.dss.certs...))
	}
	if tok.Cert != nil {
		ts.TSA = formatDN(tok.Cert.Subject)
	}
	if tok.Cert == nil {
		ts.Problems = append(ts.Problems, "the TSA certificate is neither in the timestamp token nor in the file")
	} else if err := tok.Verify(); err != nil {
		ts.Problems = append(ts.Problems, i18n.Sprintf("the signature timestamp does not verify: %v", err))
	} else if !tok.MatchesData(s.si.Signature) {
		ts.Problems = append(ts.Problems, "the signature timestamp is not over this signature")
	}
	if len(ts.Problems) > 0 {
		for _, p := range ts.Problems {
			s.warnf("%s", p)
		}
		return ts
	}
	at := v.evalTime(s.out.Index)
	pool := append(append([]*x509.Certificate{}, tok.SignedData.Certificates...), s.pool...)
	pool = append(pool, v.dss.certs...)
	tsState := &sigState{evidenceRev: -1}
	chain := v.judgeChain(tsState, tok.Cert, pool, at, true)
	ts.Chain = chain.status
	v.judgeRevocation(tsState, tok.Cert, chain, tok.Info.GenTime, v.evidence(tok.SignedData, nil), true)
	ts.Verified = true
	if id, why := v.timestampPolicy(tok.Info.HashAlg, at, tok.Cert); id != "" {
		ts.Problems = append(ts.Problems, why)
	} else if len(tok.SignedData.SignerInfos) == 1 {
		if id, why := v.timestampPolicy(signerHash(tok.SignedData.SignerInfos[0]), at, nil); id != "" {
			ts.Problems = append(ts.Problems, why)
		}
	}
	ts.Problems = append(ts.Problems, tsState.invalid...)
	ts.Problems = append(ts.Problems, tsState.indet...)
	for _, w := range tsState.out.Warnings {
		s.warnf("signature timestamp: %s", w)
	}
	ts.Proves = chain.status == "trusted" && len(ts.Problems) == 0
	if !ts.Proves && chain.status == "trusted" {
		for _, p := range ts.Problems {
			s.warnf("signature timestamp: %s", p)
		}
	}
	if tok.Cert != nil && s.out.TSANotAfter == nil {
		na := tok.Cert.NotAfter.UTC()
		s.out.TSANotAfter = &na
	}
	return ts
}

// evidence is the revocation data embedded in the file for one CMS: the
// DSS, the CMS's own revocation choices and the Adobe archival attribute.
func (v *verifier) evidence(sd *cms.SignedData, si *cms.SignerInfo) evidenceSet {
	ev := evidenceSet{ocsps: append([][]byte{}, v.dss.ocsps...), crls: append([][]byte{}, v.dss.crls...)}
	if sd != nil {
		ev.crls = append(ev.crls, sd.CRLs...)
		for i, o := range sd.OtherRevocation {
			if i < len(sd.OtherRevocationFormats) && sd.OtherRevocationFormats[i].Equal(cms.OIDOCSPResponseFormat) {
				ev.ocsps = append(ev.ocsps, o)
			}
		}
	}
	if si != nil {
		if crls, ocsps, err := si.AdobeRevocationInfo(); err == nil {
			ev.crls = append(ev.crls, crls...)
			ev.ocsps = append(ev.ocsps, ocsps...)
		}
	}
	return ev
}

type evidenceSet struct{ ocsps, crls [][]byte }
