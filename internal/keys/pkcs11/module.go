package pkcs11

import (
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"

	p11 "github.com/kyso-project/kyso/internal/keys/pkcs11/ck"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-project/kyso/internal/fail"
)

// A PKCS#11 module may be initialized only once per process, and most
// modules keep their state in globals, so every Open and List of the same
// module shares one loaded, initialized context, finalized when the last
// user releases it.
type module struct {
	path string
	ctx  *p11.Ctx
	refs int
	// owned is false when someone else in the process had already
	// initialized the module: then it is not ours to finalize.
	owned bool
}

var modules = struct {
	sync.Mutex
	m map[string]*module
}{m: map[string]*module{}}

const moduleHint = "give the vendor's PKCS#11 library (.so on Linux, .dll on Windows); check it with 'pkcs11-tool --module FILE -L' and see docs/pkcs11.md"

// loadModule loads and initializes the module at path, or returns the one
// already loaded.
func loadModule(path string) (*module, error) {
	if path == "" {
		return nil, fail.Usage(i18n.Errorf("no PKCS#11 module given"), moduleHint)
	}
	key := path
	// A bare name ("opensc-pkcs11.so") is left for the dynamic loader's
	// search path; anything with a separator must exist as a file.
	if strings.ContainsRune(path, os.PathSeparator) || strings.ContainsRune(path, '/') {
		if _, err := os.Stat(path); err != nil {
			return nil, fail.Run(i18n.Errorf("pkcs11 module %s cannot be loaded: %v", path, err), moduleHint)
		}
		if abs, err := filepath.Abs(path); err == nil {
			key = abs
		}
	}
	modules.Lock()
	defer modules.Unlock()
	if m := modules.m[key]; m != nil {
		m.refs++
		return m, nil
	}
	ctx, err := p11.Load(path)
	if err != nil {
		return nil, fail.Run(i18n.Errorf("pkcs11 module %s cannot be loaded: %v (not a PKCS#11 library for this system, or a library it needs is missing)", path, err), moduleHint)
	}
	m := &module{path: path, ctx: ctx, refs: 1, owned: true}
	if err := ctx.Initialize(); err != nil {
		if !isRV(err, p11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
			ctx.Destroy()
			return nil, fail.Run(i18n.Errorf("pkcs11 module %s cannot be initialized: %v", path, err), moduleHint)
		}
		m.owned = false
	}
	modules.m[key] = m
	return m, nil
}

// release drops one reference; the last one finalizes and unloads.
func (m *module) release() {
	modules.Lock()
	defer modules.Unlock()
	m.refs--
	if m.refs > 0 {
		return
	}
	for k, v := range modules.m {
		if v == m {
			delete(modules.m, k)
		}
	}
	if m.owned {
		_ = m.ctx.Finalize()
	}
	m.ctx.Destroy()
}

// slot is a slot with a token in it.
type slot struct {
	id   uint
	info p11.TokenInfo
}

func (s slot) label() string  { return tokenText(s.info.Label) }
func (s slot) serial() string { return tokenText(s.info.SerialNumber) }

// describe names a token for messages: its label and serial.
func (s slot) describe() string {
	if sn := s.serial(); sn != "" {
		return fmt.Sprintf("'%s' (serial %s)", s.label(), sn)
	}
	return fmt.Sprintf("'%s'", s.label())
}

// slots lists the slots that hold a token.
func (m *module) slots() ([]slot, error) {
	ids, err := m.ctx.GetSlotList(true)
	if err != nil {
		return nil, fail.Run(i18n.Errorf("pkcs11 module %s: listing slots: %v", m.path, err), "")
	}
	out := make([]slot, 0, len(ids))
	for _, id := range ids {
		ti, err := m.ctx.GetTokenInfo(id)
		if err != nil || ti.Flags&p11.CKF_TOKEN_INITIALIZED == 0 {
			// A token pulled out between the two calls is simply absent;
			// a blank one holds nothing to sign with.
			continue
		}
		out = append(out, slot{id: id, info: ti})
	}
	return out, nil
}

// findToken picks the token whose label (or serial number) is want; with
// want empty, the only token present.
func (m *module) findToken(want string) (slot, error) {
	all, err := m.slots()
	if err != nil {
		return slot{}, err
	}
	if len(all) == 0 {
		return slot{}, fail.Run(i18n.Errorf("pkcs11 module %s: no token is present", m.path),
			"plug the token in (and check its driver or the smart-card service is running), then try again")
	}
	var hits []slot
	if want == "" {
		hits = all
	} else {
		w := norm.NFC.String(strings.TrimSpace(want))
		for _, s := range all {
			if norm.NFC.String(s.label()) == w {
				hits = append(hits, s)
			}
		}
		if len(hits) == 0 {
			for _, s := range all {
				if s.serial() == w {
					hits = append(hits, s)
				}
			}
		}
	}
	switch {
	case len(hits) == 1:
		return hits[0], nil
	case want == "":
		return slot{}, fail.UsageWith(i18n.Errorf("pkcs11 module %s has %d tokens: %s", m.path, len(all), describeSlots(all)),
			fail.RemedyTokenChoose)
	case len(hits) > 1:
		return slot{}, fail.UsageWith(i18n.Errorf("pkcs11 module %s: %d tokens are labelled '%s': %s", m.path, len(hits), want, describeSlots(hits)),
			fail.RemedyTokenSerial)
	}
	return slot{}, fail.RunWith(i18n.Errorf("token '%s' not found in pkcs11 module %s; tokens present: %s", want, m.path, describeSlots(all)),
		fail.RemedyTokenLabel)
}

func describeSlots(ss []slot) string {
	d := make([]string, len(ss))
	for i, s := range ss {
		d[i] = s.describe()
	}
	return strings.Join(d, ", ")
}

// tokenText turns a blank-padded PKCS#11 text field into a string. The
// standard says UTF-8; a field that is not is taken as Latin-1, so that
// it still prints and every byte is kept.
func tokenText(s string) string {
	s = strings.TrimRight(s, " \x00")
	if utf8.ValidString(s) {
		return s
	}
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// isRV reports whether err is the PKCS#11 return value rv.
func isRV(err error, rv uint) bool {
	var e p11.Error
	return errors.As(err, &e) && uint(e) == rv
}
