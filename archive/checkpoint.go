package archive

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/tsp"
)

// Checkpoint is an RFC 3161 timestamp over the catalogue's chain head: the
// TSA's word that the catalogue held exactly these record writes at Time.
type Checkpoint struct {
	// Seq is the chain position timestamped (the number of entries then),
	// Head that entry's hash in hex.
	Seq  uint64 `json:"seq"`
	Head string `json:"head"`
	// Records is how many records the catalogue held.
	Records int `json:"records"`
	// Time is the token's genTime; TSA the subject of its certificate.
	Time time.Time `json:"time"`
	TSA  string    `json:"tsa"`
	// Token is the DER TimeStampToken.
	Token []byte `json:"token"`
}

// checkpointStatement is what a checkpoint timestamps: its SHA-256 is the
// token's message imprint.
func checkpointStatement(unit string, seq uint64, head string) []byte {
	return fmt.Appendf(nil, "kyso catalogue checkpoint v1\nunit: %s\nentries: %d\nhead: %s\n", unit, seq, head)
}

// CheckpointCheck is what an audit found about one stored checkpoint.
type CheckpointCheck struct {
	Seq  uint64    `json:"seq"`
	Head string    `json:"head"`
	Time time.Time `json:"time"`
	TSA  string    `json:"tsa"`
	// Chain is the TSA certificate's path: trusted, untrusted, incomplete,
	// or "" when no trust anchors were given.
	Chain  string `json:"tsa_chain,omitempty"`
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
	// Source is the file of an external checkpoint (audit --checkpoint);
	// empty for one stored in the catalogue.
	Source string `json:"source,omitempty"`
}

// checkCheckpoint checks a stored checkpoint against the recomputed chain
// (entries holds the recomputed entry at each checkpointed position).
func checkCheckpoint(k, v []byte, unit string, entries map[uint64][32]byte, length uint64, o ChainOptions) CheckpointCheck {
	var cp Checkpoint
	if err := json.Unmarshal(v, &cp); err != nil {
		return CheckpointCheck{Seq: idOfKey(k), Reason: "the checkpoint is unreadable: " + err.Error()}
	}
	return checkCheckpointValue(cp, unit, entries, length, o)
}

// checkCheckpointValue checks a checkpoint, stored or external.
func checkCheckpointValue(cp Checkpoint, unit string, entries map[uint64][32]byte, length uint64, o ChainOptions) CheckpointCheck {
	res := CheckpointCheck{Seq: cp.Seq, Head: cp.Head, Time: cp.Time, TSA: cp.TSA}
	tok, err := tsp.ParseToken(cp.Token)
	if err != nil {
		res.Reason = "the timestamp token is unreadable: " + err.Error()
		return res
	}
	if err := tok.Verify(); err != nil {
		res.Reason = "the timestamp token does not verify: " + err.Error()
		return res
	}
	if !tok.MatchesData(checkpointStatement(unit, cp.Seq, cp.Head)) {
		res.Reason = "the timestamp token is not over this checkpoint: the checkpoint was edited"
		return res
	}
	if !tok.Info.GenTime.Equal(cp.Time) {
		res.Reason = fmt.Sprintf("the checkpoint says %s, its token %s: the checkpoint was edited", cp.Time.Format(time.RFC3339), tok.Info.GenTime.Format(time.RFC3339))
		return res
	}
	if o.Trust != nil && tok.Cert != nil {
		cr, err := o.Trust.Chain(tok.Cert, tok.SignedData.Certificates, tok.Info.GenTime)
		if err == nil {
			res.Chain = cr.Status.String()
		}
	}
	var zero [32]byte
	switch {
	case cp.Seq == 0:
		if cp.Head != hex.EncodeToString(zero[:]) {
			res.Reason = "the checkpoint of the empty catalogue has a head"
			return res
		}
	case cp.Seq > length:
		res.Reason = fmt.Sprintf("the chain has %d entries, the checkpoint timestamped %d: entries were removed", length, cp.Seq)
		return res
	default:
		e := entries[cp.Seq]
		if hex.EncodeToString(e[:]) != cp.Head {
			res.Reason = fmt.Sprintf("chain entry %d no longer hashes to what was timestamped on %s: the catalogue was changed before that date",
				cp.Seq, cp.Time.Format(time.RFC3339))
			return res
		}
	}
	res.OK = true
	return res
}

// Checkpoint timestamps the current chain head with a TSA and stores the
// token in checkpoints/. It first verifies the chain: a catalogue already
// edited is not certified. The catalogue must be open for writing.
func (c *Catalogue) Checkpoint(ctx context.Context, tsa *tsp.Client) (*Checkpoint, error) {
	if c.lock == nil {
		return nil, fail.Runf("catalogue %s: opened read-only", c.path)
	}
	var cp Checkpoint
	var problems []ChainProblem
	err := c.view(ctx, func(tx *bolt.Tx) error {
		rep, err := verifyChainTx(ctx, tx, c.unit.Code, ChainOptions{})
		if err != nil {
			return err
		}
		problems = rep.Problems
		cp.Seq, cp.Head, cp.Records = rep.Entries, rep.Head, rep.Records
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, fail.Run(i18n.Errorf("catalogue %s fails its own check (%s; %d problems): no checkpoint taken", c.path, problems[0].Reason, len(problems)),
			"run kyso archive audit to see them, and restore the catalogue from a backup")
	}
	digest := sha256.Sum256(checkpointStatement(c.unit.Code, cp.Seq, cp.Head))
	tok, err := tsa.Timestamp(ctx, crypto.SHA256, digest[:])
	if err != nil {
		return nil, err
	}
	cp.Token, cp.Time = tok.DER, tok.Info.GenTime
	if tok.Cert != nil {
		cp.TSA = tok.Cert.Subject.String()
	}
	// The writer lock is held, so the chain cannot have moved since it was
	// read; check anyway rather than store a token over another head.
	err = c.update(ctx, func(tx *bolt.Tx) error {
		seq, head := chainHead(tx)
		if seq != cp.Seq || hex.EncodeToString(head[:]) != cp.Head {
			return fail.Runf("catalogue %s changed while the timestamp was asked for", c.path)
		}
		b := tx.Bucket(bucketCheckpoints)
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(u64(n), jsonMarshal(&cp))
	})
	if err != nil {
		return nil, err
	}
	return &cp, nil
}

// Checkpoints returns the stored checkpoints, oldest first.
func (c *Catalogue) Checkpoints(ctx context.Context) ([]Checkpoint, error) {
	var out []Checkpoint
	err := c.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCheckpoints)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var cp Checkpoint
			if err := json.Unmarshal(v, &cp); err != nil {
				return fail.Run(i18n.Errorf("catalogue %s: checkpoint %d: %v", c.path, idOfKey(k), err), "")
			}
			out = append(out, cp)
			return nil
		})
	})
	return out, err
}
