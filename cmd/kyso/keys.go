package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/keys/pkcs11"
	"github.com/kyso-project/kyso/internal/revocation"
)

func init() { commands = append(commands, newKeysCmd) }

// keyFlags choose the signing key: a .p12 file or a key on a token. The
// secrets themselves are never flag values, only where to read them.
type keyFlags struct {
	P12, PassEnv, PassFile         string
	PKCS11, Token, KeyLabel, KeyID string
	PinEnv, PinFile, Chain         string
	// Search adds places to look for PKCS#11 modules when --pkcs11 is
	// not given (see pkcs11.SearchPath).
	Search []string
	// login (kyso keys only) asks for the PIN at the prompt.
	login bool
	// discover (kyso keys only): with neither --p12 nor --pkcs11, list
	// the tokens of every module found.
	discover bool
}

// addSourceFlags adds the flags saying where keys are: the file or module,
// the token and the secrets.
func (k *keyFlags) addSourceFlags(fs *pflag.FlagSet) {
	fs.StringVar(&k.P12, "p12", "", "key and certificate in a PKCS#12 file (.p12/.pfx)")
	fs.StringVar(&k.PassEnv, "pass-env", "", "name of the environment variable holding the .p12 password")
	fs.StringVar(&k.PassFile, "pass-file", "", "file whose first line is the .p12 password")
	fs.StringVar(&k.PKCS11, "pkcs11", "", "the token vendor's PKCS#11 module (.so/.dll; default: search the usual places, see docs/pkcs11.md)")
	fs.StringSliceVar(&k.Search, "pkcs11-path", nil, "more files, folders or patterns to search for PKCS#11 modules when --pkcs11 is not given (also $"+pkcs11.EnvPath+")")
	fs.StringVar(&k.Token, "token", "", "label (or serial number) of the token (see 'kyso keys')")
	fs.StringVar(&k.PinEnv, "pin-env", "", "name of the environment variable holding the token's PIN")
	fs.StringVar(&k.PinFile, "pin-file", "", "file whose first line is the token's PIN")
}

// addFlags adds every key flag of the signing commands.
func (k *keyFlags) addFlags(fs *pflag.FlagSet) {
	k.addSourceFlags(fs)
	fs.StringVar(&k.KeyLabel, "key-label", "", "label of the private key on the token")
	fs.StringVar(&k.KeyID, "key-id", "", "id of the private key on the token, in hex (e.g. 01)")
	fs.StringVar(&k.Chain, "chain", "", "PEM or DER file of CA certificates completing the signer's chain")
}

// p12Flags and tokenFlags are the two kinds of key source: a .p12 file
// with its password, or a token with its PIN. A flag of one kind excludes
// every flag of the other.
var (
	p12Flags   = []string{"p12", "pass-env", "pass-file"}
	tokenFlags = []string{"pkcs11", "pkcs11-path", "token", "key-label", "key-id", "pin-env", "pin-file"}
)

// markKeyFlagGroups declares, as cobra flag groups, which key flags of cmd
// exclude each other: the .p12 flags and the token flags, the two password
// sources, the two PIN sources. cobra checks them (config values included)
// before the command runs; a clash is a usage error.
func markKeyFlagGroups(cmd *cobra.Command) {
	fs := cmd.Flags()
	for _, p := range p12Flags {
		for _, t := range tokenFlags {
			if fs.Lookup(p) != nil && fs.Lookup(t) != nil {
				cmd.MarkFlagsMutuallyExclusive(p, t)
			}
		}
	}
	cmd.MarkFlagsMutuallyExclusive("pass-env", "pass-file")
	cmd.MarkFlagsMutuallyExclusive("pin-env", "pin-file")
}

// check refuses missing options and what the flag groups (markKeyFlagGroups)
// cannot say, before any secret is read.
func (k *keyFlags) check() error {
	const hint = "give --p12 FILE (with --pass-env VAR or --pass-file FILE) or --token LABEL (with --pin-env VAR or --pin-file FILE; 'kyso keys' lists the tokens)"
	switch {
	case k.P12 == "" && k.PKCS11 == "" && k.Token == "" && !k.discover:
		return fail.Usage(i18n.Errorf("no key given"), hint)
	case k.P12 == "":
		// A password without the file it opens (kyso keys looks for tokens).
		only := setFlags("--pass-env", k.PassEnv, "--pass-file", k.PassFile)
		if len(only) > 0 {
			return fail.Usage(i18n.Errorf("%s can only be used with --p12", strings.Join(only, ", ")), "a token takes --pin-env or --pin-file")
		}
	}
	if _, err := k.keyID(); err != nil {
		return err
	}
	return nil
}

// setFlags returns the names, of (name, value) pairs, whose value is set.
func setFlags(pairs ...string) []string {
	var names []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			names = append(names, pairs[i])
		}
	}
	return names
}

// keyID decodes --key-id: hex, with or without 0x and colons.
func (k *keyFlags) keyID() ([]byte, error) {
	if k.KeyID == "" {
		return nil, nil
	}
	s := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(k.KeyID), "0x"), "0X")
	s = strings.NewReplacer(":", "", " ", "").Replace(s)
	id, err := hex.DecodeString(s)
	if err != nil || len(id) == 0 {
		return nil, fail.Usage(i18n.Errorf("--key-id %q is not hex", k.KeyID), "give the id as 'kyso keys' shows it, e.g. --key-id 01")
	}
	return id, nil
}

// secret reads the password or PIN once; the caller clears it.
func (k *keyFlags) secret(g *globalOptions) ([]byte, error) {
	src := keys.SecretSource{Env: k.PassEnv, File: k.PassFile, What: "password", Stderr: g.io.err}
	if k.P12 != "" {
		src.Prompt = g.t("Password for %s: ", filepath.Base(k.P12))
	} else {
		src = keys.SecretSource{Env: k.PinEnv, File: k.PinFile, What: "PIN", Stderr: g.io.err, Prompt: g.t("Enter the token's PIN: ")}
		if k.Token != "" {
			src.Prompt = g.t("PIN for token '%s': ", k.Token)
		}
	}
	if f, ok := g.io.in.(*os.File); ok {
		src.Stdin = f
	}
	return src.Read()
}

// load returns the key, reading the secret once. Usage errors (exit 2) for
// missing or conflicting options come before anything is read.
func (k *keyFlags) load(ctx context.Context, g *globalOptions) (*keys.Key, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	id, _ := k.keyID()
	if err := k.findModule(ctx, g); err != nil {
		return nil, err
	}
	secret, err := k.secret(g)
	if err != nil {
		return nil, err
	}
	defer clear(secret)
	if k.P12 != "" {
		key, err := keys.LoadP12(k.P12, secret)
		if err != nil {
			return nil, err
		}
		if k.Chain != "" {
			if err := pkcs11.CompleteChain(ctx, key, k.Chain, issuerFetcher()); err != nil {
				return nil, err
			}
		}
		return key, nil
	}
	// Issuers missing from the token and --chain are fetched from the
	// certificates' caIssuers addresses.
	return pkcs11.Open(ctx, pkcs11.Options{
		Module:      k.PKCS11,
		Token:       k.Token,
		KeyLabel:    k.KeyLabel,
		KeyID:       id,
		PIN:         secret,
		ChainFile:   k.Chain,
		FetchIssuer: issuerFetcher(),
	})
}

// findModule, when a token is asked for without --pkcs11, searches the
// modules for the one holding it (before any PIN is read) and says which
// it chose.
func (k *keyFlags) findModule(ctx context.Context, g *globalOptions) error {
	if k.P12 != "" || k.PKCS11 != "" {
		return nil
	}
	m, err := pkcs11.FindModule(ctx, pkcs11.SearchPath(k.Search), k.Token)
	if err != nil {
		return err
	}
	k.PKCS11 = m
	fmt.Fprint(g.io.err, g.t("kyso: note: token '%s' is in PKCS#11 module %s\n", k.Token, m))
	return nil
}

func newKeysCmd(g *globalOptions) *cobra.Command {
	f := &keyFlags{discover: true}
	cmd := &cobra.Command{
		Use:   "keys [--p12 FILE | --pkcs11 MODULE]",
		Short: "List the keys and certificates of a .p12 file or of the tokens plugged in",
		Long: `List what can sign: for a .p12 file its certificate; for a PKCS#11 module every
token (label, serial) and on each its keys and certificates (label, id in hex,
type, subject, issuer, validity), so that --token, --key-label and --key-id of
'kyso sign' can be chosen. Labels are shown as UTF-8.

With neither --p12 nor --pkcs11, kyso looks for token drivers (PKCS#11
modules) where they are usually installed (the Vietnamese CAs' drivers,
OpenSC, SoftHSM2; see docs/pkcs11.md), first in the places given with
--pkcs11-path or $KYSO_PKCS11_PATH, and lists the tokens of every module it
finds, saying where it looked. 'kyso sign --token LABEL' then finds the
module by itself.

Tokens hide private keys until the user logs in. Without a PIN, keys are listed
from the public keys and certificates stored beside them (what most tokens
show); give --pin-env, --pin-file or --login (prompt) to list the private keys
themselves. A PIN is tried once; with several tokens, choose one with --token.`,
		Example: `  kyso keys
  kyso keys --pkcs11 /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
  kyso keys --pkcs11 /usr/lib/softhsm/libsofthsm2.so --token "Token Hòa Đông" --pin-env KYSO_PIN --json
  kyso keys --p12 unit.p12 --pass-file ~/.kyso-pass`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeys(cmd.Context(), g, f)
		},
	}
	fs := cmd.Flags()
	f.addSourceFlags(fs)
	fs.BoolVar(&f.login, "login", false, "ask for the token's PIN at the prompt, to list private keys")
	markKeyFlagGroups(cmd)
	return cmd
}

// keyRow is one line of `kyso keys --json`: a key, or a certificate that
// belongs to no key listed (a CA certificate, or a key the token hides).
type keyRow struct {
	Token string `json:"token"`
	// Module is the PKCS#11 module of the token.
	Module      string `json:"module,omitempty"`
	TokenSerial string `json:"token_serial"`
	// Object is "private-key", "public-key" (a key seen only by its
	// public half, without login), "certificate", "p12", or "token" for a
	// token with nothing visible.
	Object    string     `json:"object"`
	Label     string     `json:"label"`
	ID        string     `json:"id"`
	Type      string     `json:"type"`
	Subject   string     `json:"subject"`
	Issuer    string     `json:"issuer"`
	NotBefore *time.Time `json:"not_before"`
	NotAfter  *time.Time `json:"not_after"`
	HasCert   bool       `json:"has_cert"`
}

func (r *keyRow) setCert(c *x509.Certificate) {
	if c == nil {
		return
	}
	nb, na := c.NotBefore, c.NotAfter
	r.Subject, r.Issuer, r.NotBefore, r.NotAfter, r.HasCert = c.Subject.String(), c.Issuer.String(), &nb, &na, true
}

// keyGroup is what one token or file holds, under a title for people.
type keyGroup struct {
	title string
	rows  []keyRow
	note  string
}

func runKeys(ctx context.Context, g *globalOptions, f *keyFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	var groups []keyGroup
	if f.P12 != "" {
		secret, err := f.secret(g)
		if err != nil {
			return err
		}
		key, err := keys.LoadP12(f.P12, secret)
		clear(secret)
		if err != nil {
			return err
		}
		grp := keyGroup{title: i18n.Sprintf("file %s", f.P12)}
		for i, c := range append([]*x509.Certificate{key.Cert}, key.Chain...) {
			r := keyRow{Object: "certificate", Type: keyType(c.PublicKey)}
			if i == 0 {
				r.Object, r.Label = "p12", filepath.Base(f.P12)
			}
			r.setCert(c)
			grp.rows = append(grp.rows, r)
		}
		groups = append(groups, grp)
	} else if f.PKCS11 == "" && f.Token == "" {
		if f.PinEnv != "" || f.PinFile != "" || f.login {
			return fail.Usage(i18n.Errorf("a PIN is tried on one token only"), "choose the token with --token LABEL (run 'kyso keys' without a PIN to see them)")
		}
		var err error
		if groups, err = discoverGroups(ctx, g, f); err != nil {
			return err
		}
	} else {
		if err := f.findModule(ctx, g); err != nil {
			return err
		}
		var pin []byte
		if f.PinEnv != "" || f.PinFile != "" || f.login {
			var err error
			if pin, err = f.secret(g); err != nil {
				return err
			}
			defer clear(pin)
		}
		tokens, err := pkcs11.List(ctx, f.PKCS11, f.Token, pin)
		if err != nil {
			return err
		}
		if len(tokens) == 0 {
			return fail.Run(i18n.Errorf("pkcs11 module %s: no token is present", f.PKCS11), "plug the token in, then try again")
		}
		for _, t := range tokens {
			groups = append(groups, tokenGroup(t, f.PKCS11))
		}
	}
	if g.JSON {
		jl := newJSONLines(g.io.out)
		for _, grp := range groups {
			for i := range grp.rows {
				if err := jl.write(&grp.rows[i]); err != nil {
					return fail.Run(i18n.Errorf("writing output: %v", err), "")
				}
			}
		}
		return nil
	}
	return printKeys(g, groups)
}

// discoverGroups lists the tokens of every module found on the search
// path, and says on stderr where it looked and which modules failed.
func discoverGroups(ctx context.Context, g *globalOptions, f *keyFlags) ([]keyGroup, error) {
	found, tried, err := pkcs11.Discover(ctx, pkcs11.SearchPath(f.Search))
	if err != nil {
		return nil, err
	}
	var groups []keyGroup
	var failed []string
	for _, m := range found {
		if m.Err != nil {
			failed = append(failed, fmt.Sprintf("%s (%v)", m.Path, m.Err))
			continue
		}
		for _, t := range m.Tokens {
			grp := tokenGroup(t, m.Path)
			grp.title += " in " + m.Path
			groups = append(groups, grp)
		}
	}
	for _, fl := range failed {
		fmt.Fprint(g.io.err, g.t("kyso: note: PKCS#11 module %s could not be used\n", fl))
	}
	if len(groups) == 0 {
		return nil, fail.RunWith(i18n.Errorf("no token found; %s", pkcs11.TriedText(tried)), fail.RemedyPKCS11Discover)
	}
	var mods []string
	for _, m := range found {
		mods = append(mods, m.Path)
	}
	fmt.Fprintln(g.io.err, g.t("kyso: note: PKCS#11 modules found: %s (%d places searched; 'kyso sign --token LABEL' finds the module by itself)",
		strings.Join(mods, ", "), len(tried)))
	return groups, nil
}

// tokenGroup lists a token's keys, then the certificates of no listed key.
func tokenGroup(t pkcs11.TokenInfo, module string) keyGroup {
	grp := keyGroup{title: i18n.Sprintf("token '%s' (serial %s, %s %s)", t.Label, t.Serial, t.Manufacturer, t.Model)}
	base := keyRow{Token: t.Label, TokenSerial: t.Serial, Module: module}
	owned := map[*x509.Certificate]bool{}
	for _, k := range t.Keys {
		r := base
		r.Object, r.Label, r.ID, r.Type = "public-key", k.Label, hex.EncodeToString(k.ID), k.Type
		if k.Private {
			r.Object = "private-key"
		}
		r.setCert(k.Cert)
		owned[k.Cert] = true
		grp.rows = append(grp.rows, r)
	}
	for _, c := range t.Certs {
		if owned[c.Cert] {
			continue
		}
		r := base
		r.Object, r.Label, r.ID, r.Type = "certificate", c.Label, hex.EncodeToString(c.ID), keyType(c.Cert.PublicKey)
		r.setCert(c.Cert)
		grp.rows = append(grp.rows, r)
	}
	if len(grp.rows) == 0 {
		r := base
		r.Object = "token"
		grp.rows = append(grp.rows, r)
	}
	if !t.LoggedIn {
		grp.note = i18n.Sprintf("token '%s' was read without login: private keys are hidden, so keys are shown by their public keys where the token has them (--pin-env, --pin-file or --login show the private keys)", t.Label)
	}
	return grp
}

func printKeys(g *globalOptions, groups []keyGroup) error {
	w := tabwriter.NewWriter(g.io.out, 0, 0, 2, ' ', 0)
	date := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return g.pr().Date(*t)
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for i, grp := range groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, g.pr().Translate(grp.title))
		if len(grp.rows) == 1 && grp.rows[0].Object == "token" {
			fmt.Fprintln(w, g.t("  (nothing visible)"))
			continue
		}
		fmt.Fprintln(w, g.t("  OBJECT\tLABEL\tID\tTYPE\tSUBJECT\tISSUER\tFROM\tTO"))
		for _, r := range grp.rows {
			fmt.Fprintln(w, g.t("  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", g.t(r.Object), dash(r.Label), dash(r.ID), dash(r.Type),
				dash(r.Subject), dash(r.Issuer), date(r.NotBefore), date(r.NotAfter)))
		}
	}
	if err := w.Flush(); err != nil {
		return fail.Run(i18n.Errorf("writing output: %v", err), "")
	}
	for _, grp := range groups {
		if grp.note != "" {
			fmt.Fprint(g.io.err, g.t("kyso: note: %s\n", g.pr().Translate(grp.note)))
		}
	}
	return nil
}

// keyType names a public key: "RSA-2048", "EC P-256", "Ed25519".
func keyType(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "EC " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

// issuerFetcher fetches a missing issuer certificate from caIssuers.
func issuerFetcher() func(context.Context, *x509.Certificate) (*x509.Certificate, error) {
	f := &revocation.Fetcher{}
	return f.IssuerCert
}
