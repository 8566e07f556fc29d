package pkcs11

import (
	"crypto"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"math/big"
	"runtime"
	"sync"

	p11 "github.com/kyso-project/kyso/internal/keys/pkcs11/ck"

	"github.com/kyso-project/kyso/internal/fail"
)

// signer is a crypto.Signer whose private key stays on the token.
type signer struct {
	tok    *token
	key    *keyObject
	pub    crypto.PublicKey
	desc   string
	pool   *sessionPool
	logout bool // this key logged in, so it logs out

	// pin is kept only for keys with CKA_ALWAYS_AUTHENTICATE.
	pin []byte

	// busy is held shared by every Sign and exclusively by close, so the
	// module is not finalized under a call in flight.
	busy sync.RWMutex

	mu sync.Mutex
	// pinErr stops every later signature once a context-specific login
	// failed on the PIN: trying again would count as another failure.
	pinErr    error
	closeOnce sync.Once
	closeErr  error
}

func (s *signer) Public() crypto.PublicKey { return s.pub }

// Sign signs digest on the token: RSA PKCS#1 v1.5 or PSS (as opts say),
// or ECDSA with an ASN.1 DER signature, like the standard library's keys.
func (s *signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	mech, data, err := s.mechanism(digest, opts)
	if err != nil {
		return nil, i18n.Errorf("%s: %v", s.desc, err)
	}
	s.busy.RLock()
	defer s.busy.RUnlock()
	s.mu.Lock()
	pinErr := s.pinErr
	s.mu.Unlock()
	if pinErr != nil {
		return nil, pinErr
	}
	sh, err := s.pool.get()
	if err != nil {
		if errors.Is(err, ErrTokenGone) {
			return nil, err
		}
		err = s.tok.wrap(err, fmt.Sprintf("key '%s': opening a session", s.key.name()))
		if isGone(err) {
			s.pool.shut(err)
		}
		return nil, err
	}
	sig, dirty, err := s.signOn(sh, mech, data)
	s.pool.put(sh, err, dirty)
	if err != nil {
		return nil, err
	}
	if s.key.keyType == p11.CKK_EC {
		return ecdsaDER(sig)
	}
	return sig, nil
}

// signOn signs on one session. dirty says the session may be left with an
// operation started, so it should not be used again.
func (s *signer) signOn(sh p11.SessionHandle, mech []*p11.Mechanism, data []byte) (sig []byte, dirty bool, err error) {
	ctx := s.tok.mod.ctx
	if err := ctx.SignInit(sh, mech, s.key.handle); err != nil {
		return nil, false, s.tok.wrap(err, fmt.Sprintf("key '%s': starting a signature", s.key.name()))
	}
	if s.key.alwaysAuth {
		if err := ctx.Login(sh, p11.CKU_CONTEXT_SPECIFIC, s.pin); err != nil {
			var e error
			switch {
			case isRV(err, p11.CKR_PIN_INCORRECT):
				e = s.tok.wrongPIN()
			case isRV(err, p11.CKR_PIN_LOCKED):
				e = s.tok.pinLocked()
			default:
				return nil, true, s.tok.wrap(err, fmt.Sprintf("key '%s': logging in for the signature", s.key.name()))
			}
			s.mu.Lock()
			s.pinErr = e
			s.mu.Unlock()
			return nil, true, e
		}
	}
	sig, err = ctx.Sign(sh, data)
	if err != nil {
		return nil, false, s.tok.wrap(err, fmt.Sprintf("key '%s': signing", s.key.name()))
	}
	return sig, false, nil
}

// DER DigestInfo prefixes (RFC 8017 section 9.2, note 1): CKM_RSA_PKCS
// signs what it is given, so the prefix is added here.
var digestInfoPrefix = map[crypto.Hash][]byte{
	crypto.SHA224: {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

var pssHash = map[crypto.Hash][2]uint{
	crypto.SHA256: {p11.CKM_SHA256, p11.CKG_MGF1_SHA256},
	crypto.SHA384: {p11.CKM_SHA384, p11.CKG_MGF1_SHA384},
	crypto.SHA512: {p11.CKM_SHA512, p11.CKG_MGF1_SHA512},
}

// mechanism chooses the PKCS#11 mechanism and the data to sign.
func (s *signer) mechanism(digest []byte, opts crypto.SignerOpts) ([]*p11.Mechanism, []byte, error) {
	h := opts.HashFunc()
	if h != 0 && len(digest) != h.Size() {
		return nil, nil, i18n.Errorf("digest is %d bytes, %v needs %d", len(digest), h, h.Size())
	}
	switch s.key.keyType {
	case p11.CKK_EC:
		if h == 0 {
			return nil, nil, i18n.Errorf("ECDSA needs a hashed message")
		}
		return []*p11.Mechanism{p11.NewMechanism(p11.CKM_ECDSA, nil)}, digest, nil
	case p11.CKK_RSA:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			hm, ok := pssHash[h]
			if !ok {
				return nil, nil, i18n.Errorf("RSA-PSS with %v is not supported", h)
			}
			salt := pss.SaltLength
			if salt == rsa.PSSSaltLengthAuto || salt == rsa.PSSSaltLengthEqualsHash {
				salt = h.Size()
			}
			if salt < 0 {
				return nil, nil, i18n.Errorf("RSA-PSS salt length %d is not supported", salt)
			}
			return []*p11.Mechanism{p11.NewMechanism(p11.CKM_RSA_PKCS_PSS, p11.NewPSSParams(hm[0], hm[1], uint(salt)))}, digest, nil
		}
		if h == 0 {
			return []*p11.Mechanism{p11.NewMechanism(p11.CKM_RSA_PKCS, nil)}, digest, nil
		}
		prefix, ok := digestInfoPrefix[h]
		if !ok {
			return nil, nil, i18n.Errorf("RSA PKCS#1 v1.5 with %v is not supported", h)
		}
		data := make([]byte, 0, len(prefix)+len(digest))
		data = append(append(data, prefix...), digest...)
		return []*p11.Mechanism{p11.NewMechanism(p11.CKM_RSA_PKCS, nil)}, data, nil
	}
	return nil, nil, i18n.Errorf("key type 0x%x cannot sign", s.key.keyType)
}

// ecdsaDER turns the raw r||s that CKM_ECDSA returns into the ASN.1
// Ecdsa-Sig-Value that X.509 and CMS expect.
func ecdsaDER(raw []byte) ([]byte, error) {
	if len(raw) == 0 || len(raw)%2 != 0 {
		return nil, i18n.Errorf("token returned an ECDSA signature of %d bytes", len(raw))
	}
	n := len(raw) / 2
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:n]), new(big.Int).SetBytes(raw[n:])})
}

// close logs out, closes the sessions and releases the module. Signatures
// in flight finish first; later ones fail with ErrTokenGone.
func (s *signer) close() error {
	s.closeOnce.Do(func() {
		s.pool.shut(i18n.Errorf("%s: %v (the key was closed)", s.desc, ErrTokenGone))
		s.busy.Lock()
		defer s.busy.Unlock()
		s.closeErr = s.pool.closeAll(s.logout)
		clear(s.pin)
		s.tok.mod.release()
	})
	return s.closeErr
}

// sessionPool hands out sessions on one token. The first session holds
// the login, which every other session of the process shares, so it is
// never closed before the end. More sessions are opened on demand up to a
// limit; a token that refuses one more (CKR_SESSION_COUNT) sets the limit
// to what is open, down to serializing on the one session.
type sessionPool struct {
	ctx  *p11.Ctx
	slot uint
	idle chan p11.SessionHandle

	mu   sync.Mutex
	open int
	max  int
	gone error
	done chan struct{}
}

func newSessionPool(ctx *p11.Ctx, sl slot, first p11.SessionHandle) *sessionPool {
	n := runtime.GOMAXPROCS(0)
	ti := sl.info
	if m := ti.MaxSessionCount; m != p11.CK_EFFECTIVELY_INFINITE && m != p11.CK_UNAVAILABLE_INFORMATION {
		free := int(m)
		if c := ti.SessionCount; c != p11.CK_UNAVAILABLE_INFORMATION && c < m {
			// The first session is already counted.
			free = int(m-c) + 1
		}
		n = max(1, min(n, free))
	}
	p := &sessionPool{ctx: ctx, slot: sl.id, idle: make(chan p11.SessionHandle, n), open: 1, max: n, done: make(chan struct{})}
	p.idle <- first
	return p
}

func (p *sessionPool) get() (p11.SessionHandle, error) {
	for {
		p.mu.Lock()
		if p.gone != nil {
			p.mu.Unlock()
			return 0, p.gone
		}
		select {
		case sh := <-p.idle:
			p.mu.Unlock()
			return sh, nil
		default:
		}
		if p.open < p.max {
			p.open++
			p.mu.Unlock()
			sh, err := p.ctx.OpenSession(p.slot, p11.CKF_SERIAL_SESSION)
			if err == nil {
				return sh, nil
			}
			p.mu.Lock()
			p.open--
			if p.open > 0 && !isGone(err) {
				// No more sessions (CKR_SESSION_COUNT, or a token that says
				// so in its own words): make do with those open.
				p.max = p.open
				p.mu.Unlock()
				continue
			}
			p.mu.Unlock()
			return 0, err
		}
		p.mu.Unlock()
		select {
		case sh := <-p.idle:
			return sh, nil
		case <-p.done:
			return 0, p.goneErr()
		}
	}
}

func (p *sessionPool) goneErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gone
}

// put returns a session after a call that ended with err.
func (p *sessionPool) put(sh p11.SessionHandle, err error, dirty bool) {
	if err != nil && isGone(err) {
		p.shut(err)
		return
	}
	if dirty {
		p.mu.Lock()
		if p.open > 1 {
			p.open--
			p.max = p.open
			p.mu.Unlock()
			_ = p.ctx.CloseSession(sh)
			return
		}
		p.mu.Unlock()
	}
	p.idle <- sh
}

// shut stops handing out sessions; every later get returns err.
func (p *sessionPool) shut(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone == nil {
		p.gone = err
		close(p.done)
	}
}

// closeAll logs out (if asked) and closes every session of the process on
// the token; the caller holds off every Sign.
func (p *sessionPool) closeAll(logout bool) error {
	if logout {
		select {
		case sh := <-p.idle:
			_ = p.ctx.Logout(sh)
		default:
			// The sessions went with the token, and the login with them.
		}
	}
	if err := p.ctx.CloseAllSessions(p.slot); err != nil && !isGone(err) {
		return fail.Run(i18n.Errorf("closing the token's sessions: %v", err), "")
	}
	return nil
}
