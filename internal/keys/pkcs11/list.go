package pkcs11

import (
	"bytes"
	"context"
	"sort"

	p11 "github.com/kyso-project/kyso/internal/keys/pkcs11/ck"

	"github.com/kyso-project/kyso/internal/keys"
)

// List describes the tokens of module: all of them, or the one whose label
// or serial is tokenLabel. With a PIN it logs in first (once), which needs
// a single token, since a PIN tried on the wrong token counts as a failure.
func List(ctx context.Context, module, tokenLabel string, pin []byte) ([]TokenInfo, error) {
	keys.Protect()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mod, err := loadModule(module)
	if err != nil {
		return nil, err
	}
	defer mod.release()
	var slots []slot
	if tokenLabel != "" || len(pin) > 0 {
		s, err := mod.findToken(tokenLabel)
		if err != nil {
			return nil, err
		}
		slots = []slot{s}
	} else if slots, err = mod.slots(); err != nil {
		return nil, err
	}
	out := make([]TokenInfo, 0, len(slots))
	for _, s := range slots {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ti, err := listToken(&token{mod: mod, slot: s}, pin)
		if err != nil {
			return nil, err
		}
		out = append(out, ti)
	}
	return out, nil
}

func listToken(t *token, pin []byte) (TokenInfo, error) {
	ti := TokenInfo{
		Slot:         t.slot.id,
		Label:        t.slot.label(),
		Serial:       t.slot.serial(),
		Manufacturer: tokenText(t.slot.info.ManufacturerID),
		Model:        tokenText(t.slot.info.Model),
	}
	ctx := t.mod.ctx
	sh, err := ctx.OpenSession(t.slot.id, p11.CKF_SERIAL_SESSION)
	if err != nil {
		return ti, t.wrap(err, "opening a session")
	}
	defer func() { _ = ctx.CloseSession(sh) }()
	if len(pin) > 0 {
		loggedIn, err := t.login(sh, pin)
		if err != nil {
			return ti, err
		}
		if loggedIn {
			defer func() { _ = ctx.Logout(sh) }()
		}
		ti.LoggedIn = true
	}
	privs, err := t.keyObjects(sh, p11.CKO_PRIVATE_KEY)
	if err != nil {
		return ti, err
	}
	pubs, err := t.keyObjects(sh, p11.CKO_PUBLIC_KEY)
	if err != nil {
		return ti, err
	}
	certs, err := t.certificates(sh)
	if err != nil {
		return ti, err
	}
	for _, c := range certs {
		ti.Certs = append(ti.Certs, CertInfo{Label: c.label, ID: c.id, Cert: c.cert})
	}
	for _, k := range privs {
		completePublic(k, pubs)
		ti.Keys = append(ti.Keys, keyInfo(k, true, certs))
	}
	for _, p := range pubs {
		paired := false
		for _, k := range privs {
			if bytes.Equal(p.id, k.id) && p.keyType == k.keyType {
				paired = true
				break
			}
		}
		if !paired {
			ti.Keys = append(ti.Keys, keyInfo(p, false, certs))
		}
	}
	sort.SliceStable(ti.Keys, func(i, j int) bool { return bytes.Compare(ti.Keys[i].ID, ti.Keys[j].ID) < 0 })
	return ti, nil
}

func keyInfo(k *keyObject, private bool, certs []certObject) KeyInfo {
	ki := KeyInfo{Label: k.label, ID: k.id, Type: k.typeName(), Private: private, AlwaysAuthenticate: k.alwaysAuth}
	if c := certFor(k, certs); c != nil {
		ki.Cert = c.cert
	}
	return ki
}
