package fail

import "strconv"

// Remedy is a next step that names the command line's own syntax (a flag,
// a command): the libraries say only which remedy applies, and the command
// line words it (cmd/kyso/hints.go), so that no library message goes stale
// when a flag is renamed. Each remedy says what the user must give or
// change, in the terms of the library.
type Remedy int

const (
	// RemedyNone is no remedy.
	RemedyNone Remedy = iota

	// RemedyTSA: give a timestamp authority's URL.
	RemedyTSA
	// RemedyTSAUnreachable: check the timestamp authorities' URLs and the
	// network.
	RemedyTSAUnreachable
	// RemedyForce: an output exists; overwrite it on purpose.
	RemedyForce
	// RemedyStale: an existing output is not this input signed this way;
	// sign again, replacing it.
	RemedyStale
	// RemedyCountersign: the document is already signed by this signer;
	// ask for another signature on purpose.
	RemedyCountersign
	// RemedyMetaRow: the QR code needs the file's row in the metadata CSV.
	RemedyMetaRow
	// RemedyTrustSigner: give the root of the unit's CA as a trust anchor.
	RemedyTrustSigner
	// RemedyTrustRoot: give the CA's root of a chain as a trust anchor.
	RemedyTrustRoot
	// RemedyTrustTSA: give the TSA's root as a trust anchor, or use another
	// TSA.
	RemedyTrustTSA

	// RemedyPolicyFile: give a readable validation policy file.
	RemedyPolicyFile

	// RemedyLockTimeout: another process holds the catalogue; wait longer.
	RemedyLockTimeout
	// RemedyObjectStore: check the object store's settings.
	RemedyObjectStore
	// RemedyDryRun: gc on an object store only lists.
	RemedyDryRun
	// RemedyNewCheckpointFile: a checkpoint file is never overwritten.
	RemedyNewCheckpointFile
	// RemedyCheckpointFile: give a checkpoint file kyso wrote.
	RemedyCheckpointFile
	// RemedyDates: a period's start and end dates are YYYY-MM-DD, the start
	// not after the end.
	RemedyDates
	// RemedyNewExportFolder: an export goes to a new or empty folder.
	RemedyNewExportFolder
	// RemedyObjectLockMode: the object lock mode is compliance or
	// governance.
	RemedyObjectLockMode
	// RemedyRetentionDays: object lock needs a retention period.
	RemedyRetentionDays
	// RemedyNoObjectLock: the bucket has no object lock.
	RemedyNoObjectLock
	// RemedyObjectLockStore: object lock needs an object store.
	RemedyObjectLockStore
	// RemedyStoreAtInit: the content store is chosen when the catalogue is
	// created.
	RemedyStoreAtInit
	// RemedyLeaveStore: the catalogue knows its store; give none.
	RemedyLeaveStore
	// RemedySameStore: give no store, or the catalogue's own.
	RemedySameStore
	// RemedyStoreURL: a content store is an s3:// URL or a folder.
	RemedyStoreURL
	// RemedyOtherCatalogue: the catalogue belongs to another unit.
	RemedyOtherCatalogue
	// RemedyInitCatalogue: there is no catalogue at the path (its one
	// argument): create it, or name another.
	RemedyInitCatalogue
	// RemedyCatalogue: name the catalogue.
	RemedyCatalogue
	// RemedyCheckDamaged: the catalogue at the path (its one argument) is
	// damaged; check it.
	RemedyCheckDamaged

	// RemedyStampRect: the stamp rectangle's syntax.
	RemedyStampRect
	// RemedyFont: the stamp font must be a TrueType file.
	RemedyFont
	// RemedyFontCoverage: the stamp font must be TrueType with Vietnamese
	// glyphs.
	RemedyFontCoverage
	// RemedyStampBox: the stamp's text does not fit its box.
	RemedyStampBox

	// RemedyPKCS11Discover: no PKCS#11 module or token was found.
	RemedyPKCS11Discover
	// RemedyTokenOrModule: neither a token nor a module was named.
	RemedyTokenOrModule
	// RemedyModule: the token is in several modules; choose one.
	RemedyModule
	// RemedyTokenChoose: the module has several tokens; choose one.
	RemedyTokenChoose
	// RemedyTokenSerial: several tokens share the label; use the serial.
	RemedyTokenSerial
	// RemedyTokenLabel: no token has that label.
	RemedyTokenLabel
	// RemedyKeySelect: the token has no key or several; choose one.
	RemedyKeySelect
	// RemedyPIN: the token needs a PIN.
	RemedyPIN
	// RemedyPINNoTerminal: no PIN was given and there is no terminal to ask.
	RemedyPINNoTerminal
	// RemedyPasswordNoTerminal: no password was given and there is no
	// terminal to ask.
	RemedyPasswordNoTerminal
	// RemedyWrongPassword: the key file's password is wrong.
	RemedyWrongPassword

	remedyEnd
)

var remedyNames = [...]string{
	RemedyNone:               "none",
	RemedyTSA:                "tsa",
	RemedyTSAUnreachable:     "tsa-unreachable",
	RemedyForce:              "force",
	RemedyStale:              "stale",
	RemedyCountersign:        "countersign",
	RemedyMetaRow:            "meta-row",
	RemedyTrustSigner:        "trust-signer",
	RemedyTrustRoot:          "trust-root",
	RemedyTrustTSA:           "trust-tsa",
	RemedyPolicyFile:         "policy-file",
	RemedyLockTimeout:        "lock-timeout",
	RemedyObjectStore:        "object-store",
	RemedyDryRun:             "dry-run",
	RemedyNewCheckpointFile:  "new-checkpoint-file",
	RemedyCheckpointFile:     "checkpoint-file",
	RemedyDates:              "dates",
	RemedyNewExportFolder:    "new-export-folder",
	RemedyObjectLockMode:     "object-lock-mode",
	RemedyRetentionDays:      "retention-days",
	RemedyNoObjectLock:       "no-object-lock",
	RemedyObjectLockStore:    "object-lock-store",
	RemedyStoreAtInit:        "store-at-init",
	RemedyLeaveStore:         "leave-store",
	RemedySameStore:          "same-store",
	RemedyStoreURL:           "store-url",
	RemedyOtherCatalogue:     "other-catalogue",
	RemedyInitCatalogue:      "init-catalogue",
	RemedyCatalogue:          "catalogue",
	RemedyCheckDamaged:       "check-damaged",
	RemedyStampRect:          "stamp-rect",
	RemedyFont:               "font",
	RemedyFontCoverage:       "font-coverage",
	RemedyStampBox:           "stamp-box",
	RemedyPKCS11Discover:     "pkcs11-discover",
	RemedyTokenOrModule:      "token-or-module",
	RemedyModule:             "module",
	RemedyTokenChoose:        "token-choose",
	RemedyTokenSerial:        "token-serial",
	RemedyTokenLabel:         "token-label",
	RemedyKeySelect:          "key-select",
	RemedyPIN:                "pin",
	RemedyPINNoTerminal:      "pin-no-terminal",
	RemedyPasswordNoTerminal: "password-no-terminal",
	RemedyWrongPassword:      "wrong-password",
}

// String is the remedy's name (for tests and logs; the user sees the
// command line's wording).
func (r Remedy) String() string {
	if r >= 0 && int(r) < len(remedyNames) && remedyNames[r] != "" {
		return remedyNames[r]
	}
	return "remedy(" + strconv.Itoa(int(r)) + ")"
}

// Remedies lists every remedy but RemedyNone.
func Remedies() []Remedy {
	rs := make([]Remedy, 0, remedyEnd-1)
	for r := RemedyNone + 1; r < remedyEnd; r++ {
		rs = append(rs, r)
	}
	return rs
}
