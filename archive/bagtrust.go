package archive

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/trust"
)

// A bag is a claim made by whoever hands it over. What import believes of
// it, and why:
//
//   - the tree: regular files and folders only (Lstat, never followed): a
//     symlink could make import read a file outside the bag, a FIFO or a
//     device could block it or feed it endless bytes; at most maxBagFiles
//     files and maxBagDepth levels (walkBag, baglimits.go);
//   - tagmanifest-sha256.txt: every tag file it lists must match, and it must
//     list manifest-sha256.txt and bagit.txt;
//   - tagmanifest-sha256.txt.p7s, when present: a detached CMS signature over
//     the tag manifest by the exporting unit, which therefore covers the
//     manifest and through it every file of the payload. An invalid one
//     refuses the bag; a valid one names the sender and says whether its
//     certificate chains to the importing catalogue's trust anchors;
//   - the records: claims only. Every file is verified again with this
//     catalogue's verifier (judge, as ingest does) and the fresh verdict is
//     what is recorded.
const (
	bagTagManifest = "tagmanifest-sha256.txt"
	bagSignature   = "tagmanifest-sha256.txt.p7s"
)

// ErrBagRefused marks a bag that fails its own checks: a signature that
// does not verify, a tag manifest that does not match, a special file. The
// command line exits 1 (verification failed) for it.
var ErrBagRefused = errors.New("bag refused")

func refuse(dir, format string, a ...any) error {
	return fail.Input(i18n.Errorf("bag %s: %s: %v", dir, fmt.Sprintf(format, a...), ErrBagRefused),
		"the bag was changed after it was exported, or was not written by kyso: ask the sender for a new export")
}

// BagSender is who signed a bag.
type BagSender struct {
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	Serial  string `json:"serial"`
	// Chain is trusted, untrusted or incomplete: the signer's certificate
	// path to this catalogue's trust anchors, judged now.
	Chain    string   `json:"chain"`
	Problems []string `json:"problems,omitempty"`
}

// Trusted says the sender's certificate chains to a trust anchor.
func (s *BagSender) Trusted() bool {
	return s != nil && s.Chain == trust.Trusted.String() && len(s.Problems) == 0
}

// signTagManifest returns a detached CMS signature over the tag manifest.
func signTagManifest(ctx context.Context, key *keys.Key, tm []byte) ([]byte, error) {
	digest := sha256.Sum256(tm)
	der, _, err := cms.SignDetached(ctx, digest[:], cms.SignOptions{Signer: key.Signer, Cert: key.Cert, Chain: key.Chain, Hash: crypto.SHA256})
	if err != nil {
		return nil, fail.Run(i18n.Errorf("signing the bag with %s: %v", key.Description, err), "")
	}
	return der, nil
}

// checkBagSignature verifies tagmanifest-sha256.txt.p7s, if the bag has one.
func checkBagSignature(dir string, tm []byte, anchors *trust.Store, now time.Time) (*BagSender, error) {
	der, err := readRegular(filepath.Join(dir, bagSignature), 1<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, refuse(dir, "%s: %v", bagSignature, unwrapPath(err))
	}
	sd, err := cms.Parse(der)
	if err != nil {
		return nil, refuse(dir, "%s is not a CMS signature: %v", bagSignature, err)
	}
	if sd.EContent != nil || len(sd.SignerInfos) != 1 {
		return nil, refuse(dir, "%s: want a detached signature with one signer", bagSignature)
	}
	si := sd.SignerInfos[0]
	if si.Hash == 0 || !si.Hash.Available() || si.Hash == crypto.SHA1 || si.Hash == crypto.MD5 {
		return nil, refuse(dir, "%s: unsupported or weak digest algorithm", bagSignature)
	}
	cert := si.SignerCert(sd.Certificates)
	if cert == nil {
		return nil, refuse(dir, "%s: the signer's certificate is not in the signature", bagSignature)
	}
	h := si.Hash.New()
	h.Write(tm)
	if si.SignedAttrsRaw == nil {
		return nil, refuse(dir, "%s: no signed attributes", bagSignature)
	}
	if err := si.VerifySignature(cert, h.Sum(nil)); err != nil {
		if errors.Is(err, cms.ErrDigestMismatch) {
			return nil, refuse(dir, "the signature in %s is not over this %s: the tag manifest was changed", bagSignature, bagTagManifest)
		}
		return nil, refuse(dir, "the signature in %s does not verify: %v", bagSignature, err)
	}
	s := &BagSender{Subject: cert.Subject.String(), Issuer: cert.Issuer.String(), Serial: fmt.Sprintf("%X", cert.SerialNumber), Chain: trust.Untrusted.String()}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		s.Problems = append(s.Problems, fmt.Sprintf("the sender's certificate is not valid now (valid %s to %s)",
			cert.NotBefore.Format(time.DateOnly), cert.NotAfter.Format(time.DateOnly)))
	}
	if anchors != nil {
		cr, err := anchors.Chain(cert, sd.Certificates, now)
		if err == nil {
			s.Chain = cr.Status.String()
			s.Problems = append(s.Problems, cr.Problems...)
		}
	}
	return s, nil
}

// openRegular opens a file of the bag only if it is a regular file and not
// a symbolic link: links are refused before anything is opened, and
// fileutil.OpenRegular checks the opened file itself (never blocking on a
// FIFO or device), and that it is the one that was looked at.
func openRegular(p string) (*fileutil.File, error) {
	before, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, &os.PathError{Op: "open", Path: p, Err: i18n.Errorf("%s, not a regular file", fileutil.Kind(before.Mode().Type()))}
	}
	f, err := fileutil.OpenRegular(p)
	if err != nil {
		return nil, err
	}
	after, err := f.Stat()
	if err != nil || !os.SameFile(before, after) {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: p, Err: i18n.Errorf("the file changed while it was opened")}
	}
	return f, nil
}

// readRegular reads a small regular file of the bag whole, up to max bytes.
func readRegular(p string, max int64) ([]byte, error) {
	f, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, &os.PathError{Op: "read", Path: p, Err: i18n.Errorf("%d bytes, more than a tag file may hold", st.Size())}
	}
	var buf bytes.Buffer
	if _, err = buf.ReadFrom(f.Reader()); err != nil {
		return nil, err
	}
	return buf.Bytes(), f.Unchanged()
}

// readTagManifest reads and parses the tag manifest, which must list
// manifest-sha256.txt and bagit.txt; it returns its bytes (what a signature
// covers) and its entries. Nothing it lists is read yet: the signature over
// it is checked first (checkTagFiles comes after).
func readTagManifest(dir string) ([]byte, map[string]string, error) {
	tm, err := readRegular(filepath.Join(dir, bagTagManifest), 1<<20)
	if err != nil {
		return nil, nil, refuse(dir, "%s: %v", bagTagManifest, unwrapPath(err))
	}
	entries, err := ParseManifest(bytes.NewReader(tm), bagTagManifest)
	if err != nil {
		return nil, nil, refuse(dir, "%v", err)
	}
	for _, need := range []string{"manifest-sha256.txt", "bagit.txt"} {
		if _, ok := entries[need]; !ok {
			return nil, nil, refuse(dir, "%s does not list %s", bagTagManifest, need)
		}
	}
	return tm, entries, nil
}

// checkTagFiles checks every tag file the tag manifest lists against it,
// in a fixed order, each distinct file hashed once (bagHasher).
func checkTagFiles(dir string, entries map[string]string, h *bagHasher) error {
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		got, err := h.sum(name)
		if err != nil {
			return refuse(dir, "%s: %v", name, unwrapPath(err))
		}
		if got != entries[name] {
			return refuse(dir, "%s does not match %s", name, bagTagManifest)
		}
	}
	return nil
}
