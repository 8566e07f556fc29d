package main

import (
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/keys/pkcs11"
)

// remedyHints words each remedy of the libraries with this command line's
// flags: no library message names a flag (a test walks their source), so
// renaming a flag means changing this table and the help, nothing else.
// Each text is a catalogue key (a fmt format when the remedy carries
// arguments: fail.Error.RemedyArgs, never parsed from a message).
var remedyHints = map[fail.Remedy]string{
	// sign, timestamp
	fail.RemedyTSA:            "give one with --tsa URL",
	fail.RemedyTSAUnreachable: "check the --tsa URLs and the network",
	fail.RemedyForce:          "use --force to overwrite it",
	fail.RemedyStale:          "re-sign with --force to replace it",
	fail.RemedyCountersign:    "--countersign adds another signature",
	fail.RemedyMetaRow:        "add the file to the --meta CSV, or sign without --qr",
	fail.RemedyTrustSigner:    "give the root of the unit's CA with --trust FILE",
	fail.RemedyTrustRoot:      "give the CA's root with --trust",
	fail.RemedyTrustTSA:       "give the TSA's root with --trust, or use a TSA the unit trusts",
	// verify
	fail.RemedyPolicyFile: "give --policy a readable YAML policy file (see docs/verify.md)",
	// archive
	fail.RemedyLockTimeout:       "wait for that process to finish, or give it longer with --lock-timeout",
	fail.RemedyObjectStore:       "check the object store's address, credentials and free space (kyso archive --help names the settings)",
	fail.RemedyDryRun:            "kyso archive gc --dry-run lists them",
	fail.RemedyNewCheckpointFile: "give a new file to --out: each checkpoint is kept",
	fail.RemedyCheckpointFile:    "give a file written by kyso archive checkpoint --out",
	fail.RemedyDates:             "give --from and --to as dates YYYY-MM-DD, --from not after --to",
	fail.RemedyNewExportFolder:   "give a new folder to --out",
	fail.RemedyObjectLockMode:    "give --object-lock compliance or --object-lock governance",
	fail.RemedyRetentionDays:     "give --retention-days greater than 0 with --object-lock",
	fail.RemedyNoObjectLock:      "create a bucket with object lock enabled, or init without --object-lock",
	fail.RemedyObjectLockStore:   "--object-lock needs an object store: --store s3://bucket/prefix",
	fail.RemedyStoreAtInit:       "an object store is chosen when the catalogue is created (kyso archive init --store s3://bucket/prefix)",
	fail.RemedyLeaveStore:        "leave out --store: the catalogue knows its store",
	fail.RemedySameStore:         "leave out --store, or give the same one",
	fail.RemedyStoreURL:          "give --store s3://bucket/prefix, or a folder",
	fail.RemedyOtherCatalogue:    "use another --db, or archive ls to see what it holds",
	fail.RemedyInitCatalogue:     "create it with 'kyso archive init --db %s --unit CODE --unit-name NAME --level LEVEL', or give --db or $KYSO_DB",
	fail.RemedyCatalogue:         "give --db or $KYSO_DB",
	fail.RemedyCheckDamaged:      "`kyso archive check --db %s` lists what is damaged; keep the damaged file for it",
	// the stamp
	fail.RemedyStampRect:    `for example --stamp-rect "140,265,215,281mm"`,
	fail.RemedyFont:         "give --font a TrueType (.ttf) file",
	fail.RemedyFontCoverage: "give --font a TrueType (.ttf, glyf outlines) font with Vietnamese coverage",
	fail.RemedyStampBox:     "give --stamp-rect a larger box or shorten --agency",
	// keys
	fail.RemedyPKCS11Discover:     "plug the token in and install its driver; if kyso still does not find it, give the driver's file with --pkcs11 FILE, or its folder with --pkcs11-path or $" + pkcs11.EnvPath + " (see docs/pkcs11.md)",
	fail.RemedyTokenOrModule:      "give --token LABEL (see 'kyso keys'), or --pkcs11 FILE",
	fail.RemedyModule:             "choose the module with --pkcs11 FILE",
	fail.RemedyTokenChoose:        "choose one with --token LABEL",
	fail.RemedyTokenSerial:        "give the token's serial number to --token instead of its label",
	fail.RemedyTokenLabel:         "check the label with 'kyso keys --pkcs11 MODULE'",
	fail.RemedyKeySelect:          "choose the key with --key-label LABEL or --key-id HEX",
	fail.RemedyPIN:                "give it with --pin-env VAR or --pin-file FILE, or type it at the prompt",
	fail.RemedyPINNoTerminal:      "use --pin-env VAR or --pin-file FILE",
	fail.RemedyPasswordNoTerminal: "use --pass-env VAR or --pass-file FILE",
	fail.RemedyWrongPassword:      "check the password given with --pass-env or --pass-file",
}

// remedyHint is the wording of remedy r with its arguments, in p's
// language; "" for RemedyNone.
func remedyHint(p *i18n.Printer, r fail.Remedy, args ...any) string {
	key, ok := remedyHints[r]
	if !ok {
		return ""
	}
	return p.T(key, args...)
}

// hintOf is the next step err suggests, in p's language: a library's
// remedy worded by remedyHints, or its free-text hint; "" when none.
func hintOf(p *i18n.Printer, err error) string {
	e := fail.NextStep(err)
	switch {
	case e == nil:
		return ""
	case e.Remedy != fail.RemedyNone:
		return remedyHint(p, e.Remedy, e.RemedyArgs...)
	}
	return p.Translate(e.Hint)
}
