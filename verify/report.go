package verify

import "time"

// Status is a verdict: on a whole file or on one signature.
type Status string

const (
	Valid         Status = "valid"
	Invalid       Status = "invalid"
	Indeterminate Status = "indeterminate"
)

// Known says s is one of the verdicts above: a verdict read back from a
// catalogue or a bag is checked with it.
func (s Status) Known() bool {
	return s == Valid || s == Invalid || s == Indeterminate
}

// Report is the verdict on one file. It is the contract of `kyso verify --json`.
type Report struct {
	File       string      `json:"file"`
	Status     Status      `json:"status"`
	Warnings   []string    `json:"warnings"`
	Errors     []string    `json:"errors"`
	Signatures []Signature `json:"signatures"`
	// Revisions lists the file's incremental updates, oldest first.
	Revisions []Revision `json:"revisions,omitempty"`
	SHA256    string     `json:"sha256,omitempty"`
	Size      int64      `json:"size,omitempty"`
	// CheckedAt is the time the verdict was reached (or --at).
	CheckedAt time.Time `json:"checked_at"`
	// Findings are conclusions with a stable ID (policy refusals, an
	// untrusted timestamp, signed metadata changed after signing).
	Findings []Finding `json:"findings,omitempty"`
	// SignedMetadata is the TTHC metadata as signed (see metadata.go).
	SignedMetadata *SignedMetadata `json:"signed_metadata,omitempty"`
	// Basis is the configuration, trust anchors and policy in force.
	Basis *Basis `json:"basis,omitempty"`
}

// Signature is the verdict on one signature or document timestamp.
type Signature struct {
	Index     int    `json:"index"`
	Field     string `json:"field"`
	SubFilter string `json:"subfilter"`
	// Kind is approval, certification or document-timestamp.
	Kind   string `json:"kind"`
	Signer string `json:"signer"`
	Issuer string `json:"issuer"`
	Serial string `json:"serial"`
	// SignerCertSHA256 is the hex SHA-256 of the signer's (or TSA's) certificate.
	SignerCertSHA256 string     `json:"signer_cert_sha256,omitempty"`
	NotAfter         *time.Time `json:"not_after,omitempty"`
	// SigningTime is the claimed time (/M or CMS signing-time): not proven.
	SigningTime *time.Time `json:"signing_time"`
	// TimestampTime is the earliest proven time (a signature timestamp or the
	// first later document timestamp), or the document timestamp's own time.
	TimestampTime *time.Time `json:"timestamp_time"`
	TSA           string     `json:"tsa,omitempty"`
	// TSANotAfter is when the certificate of the TSA that gave TimestampTime expires.
	TSANotAfter  *time.Time `json:"tsa_not_after,omitempty"`
	Level        string     `json:"level"`
	Integrity    bool       `json:"integrity"`
	Covers       string     `json:"covers"`       // whole | revision | partial
	Modification string     `json:"modification"` // none | archival | form-fill | annotation | other
	Chain        string     `json:"chain"`        // trusted | untrusted | incomplete
	Revocation   string     `json:"revocation"`   // good | revoked | unknown
	// DocMDP is the permission of a certification signature (1, 2 or 3), else 0.
	DocMDP        int      `json:"docmdp,omitempty"`
	DigestAlg     string   `json:"digest_algorithm,omitempty"`
	Status        Status   `json:"status"`
	Reasons       []string `json:"reasons"`
	Warnings      []string `json:"warnings,omitempty"`
	ChainSubjects []string `json:"chain_subjects,omitempty"`
	Reason        string   `json:"reason,omitempty"`
	Location      string   `json:"location,omitempty"`
	// Revision is the index (0 = original) of the revision that added it.
	Revision int `json:"revision"`
	// Timestamps are the timestamps over this signature: its own
	// signature timestamps and the later document timestamps.
	Timestamps []Timestamp `json:"timestamps,omitempty"`
}

// Revision describes one incremental update of the file.
type Revision struct {
	Index int   `json:"index"`
	End   int64 `json:"end"`
	// Changes summarises what the revision changed ("signature Sig1",
	// "DSS", "annotation on page 1", "page 1 content"...).
	Changes []string `json:"changes,omitempty"`
	Class   string   `json:"class,omitempty"`
}

// Timestamp is one RFC 3161 timestamp that bears on a signature: one in the
// signature itself, or a later document timestamp over it.
type Timestamp struct {
	// Kind is "signature" or "document".
	Kind string    `json:"kind"`
	Time time.Time `json:"time"`
	TSA  string    `json:"tsa"`
	// Chain is the TSA certificate's chain status at the time it was
	// judged (trusted, untrusted, incomplete).
	Chain string `json:"chain"`
	// Verified says the token's signature and imprint check out; Proves
	// that it is also from a trusted, unrevoked TSA, so it proves the
	// signature existed at Time.
	Verified bool `json:"verified"`
	Proves   bool `json:"proves"`
	// Signature is the Index of the document timestamp ("document" kind).
	Signature int      `json:"signature,omitempty"`
	Problems  []string `json:"problems,omitempty"`
}

// IntegrityKey is the catalogue key of what the integrity check found:
// "intact", "altered", or "not checked" when the signed bytes were never
// hashed (a limit, a digest algorithm kyso does not know): Integrity is
// false then too, but nothing was found altered.
func (s Signature) IntegrityKey() string {
	switch {
	case s.Integrity:
		return "intact"
	case s.DigestAlg == "":
		return "not checked"
	}
	return "altered"
}
