package main

import (
	"encoding/json"
	"path/filepath"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/sign"
)

// signMeta maps input base names to the TTHC metadata written into them.
type signMeta map[string]archive.Meta

// infoKeyTTHC is the document-information key under which kyso stores a
// result's TTHC metadata as JSON, so a signed file describes itself and
// `kyso archive ingest` can read it back without a CSV.
const infoKeyTTHC = archive.InfoKey

func loadSignMeta(path string) (signMeta, error) {
	if path == "" {
		return nil, nil
	}
	f, err := fileutil.OpenRegular(path)
	if err != nil {
		return nil, fail.Usage(err, "")
	}
	defer f.Close()
	m, err := archive.ReadMeta(f, path)
	if err != nil {
		return nil, fail.Usage(err, "")
	}
	return m, nil
}

func (s signMeta) forFile(input string) map[string]string {
	m, ok := s[filepath.Base(input)]
	if !ok {
		return nil
	}
	b, _ := json.Marshal(m)
	return map[string]string{infoKeyTTHC: string(b)}
}

// qrFor gives the QR code's codes for an input, or nil without a row.
func (s signMeta) qrFor(input string) *sign.QROptions {
	m, ok := s[filepath.Base(input)]
	if !ok {
		return nil
	}
	return &sign.QROptions{Dossier: m.Dossier, Procedure: m.Procedure}
}
