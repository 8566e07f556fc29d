package pkcs11

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"strings"

	p11 "github.com/kyso-project/kyso/internal/keys/pkcs11/ck"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keys"
)

// Open logs in to the token and returns its key. The key's Signer signs on
// the token and is safe for concurrent use; Close logs out.
func Open(ctx context.Context, o Options) (*keys.Key, error) {
	keys.Protect()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The chain file is read first: a typo in it should not cost a PIN try.
	var extra []*x509.Certificate
	if o.ChainFile != "" {
		var err error
		if extra, err = readCertFile(o.ChainFile); err != nil {
			return nil, err
		}
	}
	mod, err := loadModule(o.Module)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			mod.release()
		}
	}()
	sl, err := mod.findToken(o.Token)
	if err != nil {
		return nil, err
	}
	t := &token{mod: mod, slot: sl}
	sh, err := mod.ctx.OpenSession(sl.id, p11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, t.wrap(err, "opening a session")
	}
	closeSession := true
	defer func() {
		if closeSession {
			_ = mod.ctx.CloseSession(sh)
		}
	}()
	loggedIn, err := t.login(sh, o.PIN)
	if err != nil {
		return nil, err
	}
	defer func() {
		if !ok && loggedIn {
			_ = mod.ctx.Logout(sh)
		}
	}()

	certs, err := t.certificates(sh)
	if err != nil {
		return nil, err
	}
	k, err := t.findKey(sh, o.KeyLabel, o.KeyID, certs)
	if err != nil {
		return nil, err
	}
	leaf, err := t.leafFor(sh, k, certs)
	if err != nil {
		return nil, err
	}
	pool := make([]*x509.Certificate, 0, len(certs)+len(extra))
	for _, c := range certs {
		pool = append(pool, c.cert)
	}
	pool = append(pool, extra...)
	chain := buildChain(ctx, leaf, pool, o.FetchIssuer)

	s := &signer{
		tok:  t,
		key:  k,
		pub:  leaf.PublicKey,
		desc: fmt.Sprintf("token '%s' key '%s'", sl.label(), k.name()),
	}
	if k.alwaysAuth {
		s.pin = bytes.Clone(o.PIN)
	}
	s.pool = newSessionPool(mod.ctx, sl, sh)
	s.logout = loggedIn
	closeSession = false
	ok = true
	return &keys.Key{
		Signer:      s,
		Cert:        leaf,
		Chain:       chain,
		Description: s.desc,
		Close:       s.close,
	}, nil
}

// token is an open token: the module and the slot it sits in.
type token struct {
	mod  *module
	slot slot
}

// login logs the user in with pin, once. It reports whether this call
// logged in (and so should log out).
func (t *token) login(sh p11.SessionHandle, pin []byte) (bool, error) {
	flags := t.slot.info.Flags
	name := t.slot.label()
	protected := flags&p11.CKF_PROTECTED_AUTHENTICATION_PATH != 0
	if len(pin) == 0 && !protected {
		if flags&p11.CKF_LOGIN_REQUIRED == 0 {
			return false, nil
		}
		return false, fail.UsageWith(i18n.Errorf("token '%s' needs a PIN", name), fail.RemedyPIN)
	}
	if flags&p11.CKF_USER_PIN_LOCKED != 0 {
		return false, t.pinLocked()
	}
	err := t.mod.ctx.Login(sh, p11.CKU_USER, pin)
	switch {
	case err == nil:
		return true, nil
	case isRV(err, p11.CKR_USER_ALREADY_LOGGED_IN):
		// Another key of this process holds the login; it logs out.
		return false, nil
	case isRV(err, p11.CKR_PIN_INCORRECT):
		return false, t.wrongPIN()
	case isRV(err, p11.CKR_PIN_LOCKED):
		return false, t.pinLocked()
	case isRV(err, p11.CKR_PIN_LEN_RANGE):
		ti := t.slot.info
		return false, fail.Run(i18n.Errorf("the PIN has the wrong length for token '%s' (it takes %d to %d characters)", name, ti.MinPinLen, ti.MaxPinLen),
			"check the PIN before trying again")
	case isRV(err, p11.CKR_PIN_EXPIRED):
		return false, fail.Run(i18n.Errorf("the PIN of token '%s' has expired", name), "change it with the token vendor's tool, then try again")
	}
	return false, t.wrap(err, "logging in")
}

func (t *token) wrongPIN() error {
	msg := fmt.Sprintf("wrong PIN for token '%s'; the token counts failed attempts and locks after a few: check the PIN before trying again", t.slot.label())
	// The flags are read again: many tokens say when the next try is the last.
	if ti, err := t.mod.ctx.GetTokenInfo(t.slot.id); err == nil {
		switch {
		case ti.Flags&p11.CKF_USER_PIN_LOCKED != 0:
			return t.pinLocked()
		case ti.Flags&p11.CKF_USER_PIN_FINAL_TRY != 0:
			msg += " (one attempt is left before it locks)"
		}
	}
	return fail.Run(errors.New(msg), "kyso tried the PIN once and will not retry it; run again with the right PIN")
}

func (t *token) pinLocked() error {
	return fail.Run(i18n.Errorf("the PIN of token '%s' is locked after too many wrong attempts", t.slot.label()),
		"unblock it with the vendor's token tool and the PUK/SO PIN, or ask the CA that issued the token")
}

// wrap classifies a PKCS#11 error of the token: ErrTokenGone when the
// token is gone, otherwise a run failure.
func (t *token) wrap(err error, doing string) error {
	if isGone(err) {
		return fail.Run(i18n.Errorf("token '%s': %s: %v (%v)", t.slot.label(), doing, ErrTokenGone, err),
			"plug the token back in and run again; files already reported as signed are complete")
	}
	return fail.Run(i18n.Errorf("token '%s': %s: %v", t.slot.label(), doing, err), "")
}

// isGone says whether a PKCS#11 error means the token (or the login on
// it) is no longer there, so no later call can succeed.
func isGone(err error) bool {
	for _, rv := range []uint{
		p11.CKR_DEVICE_REMOVED, p11.CKR_TOKEN_NOT_PRESENT, p11.CKR_TOKEN_NOT_RECOGNIZED,
		p11.CKR_SESSION_HANDLE_INVALID, p11.CKR_SESSION_CLOSED, p11.CKR_SLOT_ID_INVALID,
		p11.CKR_DEVICE_ERROR, p11.CKR_USER_NOT_LOGGED_IN, p11.CKR_CRYPTOKI_NOT_INITIALIZED,
	} {
		if isRV(err, rv) {
			return true
		}
	}
	return errors.Is(err, ErrTokenGone)
}

// keyObject is a key found on the token.
type keyObject struct {
	handle     p11.ObjectHandle
	label      string
	id         []byte
	keyType    uint
	alwaysAuth bool
	// public is the key's public half when the object tells it (RSA
	// private keys carry their modulus; EC private keys do not).
	public crypto.PublicKey
	curve  string // for EC keys
}

func (k *keyObject) name() string {
	if k.label != "" {
		return k.label
	}
	return "id " + hex.EncodeToString(k.id)
}

// typeName is "RSA-2048", "EC P-256" and the like.
func (k *keyObject) typeName() string {
	switch k.keyType {
	case p11.CKK_RSA:
		if pk, ok := k.public.(*rsa.PublicKey); ok {
			return fmt.Sprintf("RSA-%d", pk.N.BitLen())
		}
		return "RSA"
	case p11.CKK_EC:
		if k.curve != "" {
			return "EC " + k.curve
		}
		return "EC"
	}
	return fmt.Sprintf("type 0x%x", k.keyType)
}

func (k *keyObject) describe() string {
	return fmt.Sprintf("'%s' (id %s, %s)", k.label, hex.EncodeToString(k.id), k.typeName())
}

// findKey finds the one private key matching label and id. Many tokens
// label the key and its certificate differently (a Viettel-CA token's
// certificate is "NAME's Viettel-CA SHA2 Certificate"), and users give the
// label they see, so a label that names no key but one certificate
// selects the key of that certificate.
func (t *token) findKey(sh p11.SessionHandle, label string, id []byte, certs []certObject) (*keyObject, error) {
	all, err := t.keyObjects(sh, p11.CKO_PRIVATE_KEY)
	if err != nil {
		return nil, err
	}
	var hits []*keyObject
	for _, k := range all {
		if (label == "" || k.label == label) && (id == nil || bytes.Equal(k.id, id)) {
			hits = append(hits, k)
		}
	}
	if len(hits) == 0 && label != "" {
		var named []certObject
		for _, c := range certs {
			if c.label == label {
				named = append(named, c)
			}
		}
		if len(named) == 1 {
			c := named[0]
			for _, k := range all {
				if (id == nil || bytes.Equal(k.id, id)) && (bytes.Equal(k.id, c.id) || samePublic(c.cert.PublicKey, k.public)) {
					hits = append(hits, k)
				}
			}
		}
	}
	if len(hits) == 1 {
		k := hits[0]
		if k.keyType != p11.CKK_RSA && k.keyType != p11.CKK_EC {
			return nil, fail.Run(i18n.Errorf("token '%s' key %s: kyso signs only with RSA and EC keys", t.slot.label(), k.describe()), "")
		}
		return k, nil
	}
	list := make([]string, len(all))
	for i, k := range all {
		list[i] = k.describe()
	}
	have := "private keys on it: " + strings.Join(list, ", ")
	if len(all) == 0 {
		have = "it holds no private key visible after login"
	}
	var what string
	switch {
	case label == "" && id == nil && len(hits) == 0:
		what = "no private key"
	case label == "" && id == nil:
		what = "more than one private key"
	case len(hits) == 0:
		what = fmt.Sprintf("no private key %s", selector(label, id))
	default:
		what = fmt.Sprintf("%d private keys %s", len(hits), selector(label, id))
	}
	return nil, fail.UsageWith(i18n.Errorf("token '%s' has %s; %s", t.slot.label(), what, have),
		fail.RemedyKeySelect)
}

func selector(label string, id []byte) string {
	var s []string
	if label != "" {
		s = append(s, fmt.Sprintf("labelled '%s'", label))
	}
	if id != nil {
		s = append(s, "with id "+hex.EncodeToString(id))
	}
	return strings.Join(s, " and ")
}

// certObject is an X.509 certificate found on the token.
type certObject struct {
	label string
	id    []byte
	cert  *x509.Certificate
}

// leafFor picks the certificate of key k.
func (t *token) leafFor(sh p11.SessionHandle, k *keyObject, certs []certObject) (*x509.Certificate, error) {
	if k.public == nil {
		pubs, err := t.keyObjects(sh, p11.CKO_PUBLIC_KEY)
		if err != nil {
			return nil, err
		}
		completePublic(k, pubs)
	}
	if c := certFor(k, certs); c != nil {
		return c.cert, nil
	}
	for _, c := range certs {
		if bytes.Equal(c.id, k.id) {
			return nil, fail.Run(i18n.Errorf("token '%s': certificate '%s' has the id of key %s but not its public key", t.slot.label(), c.label, k.describe()),
				"the token's objects are inconsistent; ask the CA to re-issue or re-write the certificate")
		}
	}
	return nil, fail.Run(i18n.Errorf("token '%s' holds no certificate for key %s", t.slot.label(), k.describe()),
		"write the certificate to the token with the vendor's tool (or pkcs11-tool --write-object CERT --type cert --id ID)")
}

// completePublic gives an EC private key, whose object does not carry its
// point, the public key of the public key object with the same id.
func completePublic(k *keyObject, pubs []*keyObject) {
	if k.public != nil {
		return
	}
	for _, p := range pubs {
		if bytes.Equal(p.id, k.id) && p.keyType == k.keyType && p.public != nil {
			k.public = p.public
			return
		}
	}
}

// certFor returns the certificate of key k: of those with the same CKA_ID
// and public key the one valid longest, else any with its public key. When
// the key's public half is unknown, the same id and curve must do.
func certFor(k *keyObject, certs []certObject) *certObject {
	matches := func(c *x509.Certificate) bool {
		if k.public == nil {
			ec, ok := c.PublicKey.(*ecdsa.PublicKey)
			return ok && k.keyType == p11.CKK_EC && ec.Curve.Params().Name == k.curve
		}
		return samePublic(c.PublicKey, k.public)
	}
	var best *certObject
	for i, c := range certs {
		if bytes.Equal(c.id, k.id) && matches(c.cert) && (best == nil || c.cert.NotAfter.After(best.cert.NotAfter)) {
			best = &certs[i]
		}
	}
	if best != nil || k.public == nil {
		return best
	}
	for i, c := range certs {
		if matches(c.cert) {
			return &certs[i]
		}
	}
	return nil
}

// samePublic reports whether a and b are the same public key (false when
// either is nil or of a type Go does not know).
func samePublic(a, b crypto.PublicKey) bool {
	pa, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && b != nil && pa.Equal(b)
}
