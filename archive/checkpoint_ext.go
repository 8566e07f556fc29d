package archive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
)

// A checkpoint stored only in the catalogue can be deleted with it: whoever
// rewrites the chain also empties checkpoints/. The external copy is the
// same checkpoint written to a file that is kept off the machine (another
// server, a USB key in a safe, the province's archive); `archive audit
// --checkpoint FILE` checks it against the recomputed chain, so the
// catalogue must still hold that position with that head.

// ExternalCheckpointFormat names the external checkpoint file's format.
const ExternalCheckpointFormat = "kyso catalogue checkpoint v1"

// ExternalCheckpoint is the file `kyso archive checkpoint --out FILE`
// writes: the checkpoint, the catalogue's unit, and the statement whose
// SHA-256 the token timestamps (written out so that it can be checked
// without kyso: `openssl ts -verify -data`).
type ExternalCheckpoint struct {
	Format    string `json:"format"`
	Unit      string `json:"unit"`
	Statement string `json:"statement"`
	Checkpoint
}

// External returns cp as the external file of a catalogue of unit.
func (cp Checkpoint) External(unit string) ExternalCheckpoint {
	return ExternalCheckpoint{Format: ExternalCheckpointFormat, Unit: unit,
		Statement: string(checkpointStatement(unit, cp.Seq, cp.Head)), Checkpoint: cp}
}

// WriteExternalCheckpoint writes e to path, complete or not at all (a
// temporary file, fsynced, then renamed); an existing path is refused.
func WriteExternalCheckpoint(path string, e ExternalCheckpoint) error {
	if _, err := os.Lstat(path); err == nil {
		return fail.UsageWith(i18n.Errorf("checkpoint file %s already exists", path), fail.RemedyNewCheckpointFile)
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kyso-checkpoint-*")
	if err != nil {
		return fail.Run(i18n.Errorf("checkpoint file %s: %v", path, unwrapPath(err)), "")
	}
	name := tmp.Name()
	tmp.Close()
	if err := writeSynced(name, b); err != nil {
		os.Remove(name)
		return fail.Run(i18n.Errorf("checkpoint file %s: %v", path, unwrapPath(err)), "")
	}
	if err := os.Link(name, path); err != nil {
		os.Remove(name)
		if errors.Is(err, fs.ErrExist) {
			return fail.UsageWith(i18n.Errorf("checkpoint file %s already exists", path), fail.RemedyNewCheckpointFile)
		}
		// A file system without hard links: rename, the file was absent.
		if err := fileutil.Rename(name, path); err != nil {
			return fail.Run(i18n.Errorf("checkpoint file %s: %v", path, unwrapPath(err)), "")
		}
		return nil
	}
	os.Remove(name)
	return nil
}

// ReadExternalCheckpoint reads a file written by WriteExternalCheckpoint.
func ReadExternalCheckpoint(path string) (ExternalCheckpoint, error) {
	var e ExternalCheckpoint
	b, err := fileutil.ReadFileMax(path, 1<<20)
	if err != nil {
		return e, fail.Input(i18n.Errorf("checkpoint file %s: %v", path, unwrapPath(err)), "")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Format != ExternalCheckpointFormat || len(e.Token) == 0 {
		why := "not a kyso checkpoint file"
		if err != nil {
			why += ": " + err.Error()
		}
		return e, fail.InputWith(i18n.Errorf("checkpoint file %s: %s", path, why), fail.RemedyCheckpointFile)
	}
	return e, nil
}

// checkExternal checks an external checkpoint as a stored one is checked,
// and also that it is of this catalogue's unit and that the catalogue
// still stores it (a catalogue whose checkpoints were removed fails).
func checkExternal(name string, e ExternalCheckpoint, unit string, stored []Checkpoint, entries map[uint64][32]byte, length uint64, o ChainOptions) CheckpointCheck {
	var res CheckpointCheck
	if e.Unit != unit {
		res = CheckpointCheck{Seq: e.Seq, Head: e.Head, Time: e.Time, TSA: e.TSA,
			Reason: fmt.Sprintf("the checkpoint is of unit %s, this catalogue is of unit %s", e.Unit, unit)}
	} else {
		res = checkCheckpointValue(e.Checkpoint, unit, entries, length, o)
	}
	res.Source = name
	if !res.OK {
		return res
	}
	for _, cp := range stored {
		if cp.Seq == e.Seq && cp.Head == e.Head && bytes.Equal(cp.Token, e.Token) {
			return res
		}
	}
	res.OK = false
	res.Reason = "the chain holds it, but the catalogue no longer stores this checkpoint: its checkpoints were removed"
	return res
}
