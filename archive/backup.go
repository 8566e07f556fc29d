package archive

import (
	"context"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
)

// Backup writes a consistent copy of the catalogue file to out from one read
// transaction, so others may keep reading (a writer's next commit waits
// for it). The copy is fsynced under a temporary name, then renamed over
// out. The content store is not copied: its files never change once
// written, so a plain incremental copy of the folder is enough.
func (c *Catalogue) Backup(ctx context.Context, out string) (int64, error) {
	if abs, err := filepath.Abs(out); err == nil {
		if self, err := filepath.Abs(c.path); err == nil && abs == self {
			return 0, fail.Usagef("backup %s: that is the catalogue itself", out)
		}
	}
	// One atomic write (fileutil.AtomicFile): a crash leaves the old backup
	// or the complete new one; the catalogue's own mode, 0644 minus umask.
	tmp, err := fileutil.CreateAtomic(out, 0o644)
	if err != nil {
		return 0, fail.Run(i18n.Errorf("backup %s: %v", out, err), "")
	}
	defer tmp.Abort()
	var n int64
	err = c.view(ctx, func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(tmp)
		if err != nil {
			return err
		}
		// The page check below cannot see damage inside a value: every
		// record of the snapshot copied must decode too.
		if p := recordsProblem(tx); p != "" {
			return damagef("%s", p)
		}
		return nil
	})
	if err != nil {
		if fail.KindOf(err) != fail.KindNone {
			return 0, err
		}
		return 0, fail.Run(i18n.Errorf("backup %s: %v", out, err), "")
	}
	if err := tmp.Close(); err != nil {
		return 0, fail.Run(i18n.Errorf("backup %s: %v", out, err), "")
	}
	// A backup of a damaged catalogue must not replace a good one: the
	// copy's pages are checked before it takes the name.
	if p := structureProblem(tmp.TempPath()); p != "" {
		return 0, damagedErr(&DamagedError{Path: c.path, Detail: p})
	}
	if err := tmp.Commit(true); err != nil {
		return 0, fail.Run(i18n.Errorf("backup %s: %v", out, err), "")
	}
	return n, nil
}

// errFirstProblem stops a check at its first problem.
var errFirstProblem = errors.New("first problem found")

// recordsProblem runs the records check of `kyso archive check` over tx
// and returns its first problem ("" when every record decodes).
func recordsProblem(tx *bolt.Tx) string {
	first := ""
	env := &CheckEnv{Tx: tx, report: func(p Problem) error {
		first = fmt.Sprintf("record %d: %s", p.Record, p.Problem)
		return errFirstProblem
	}}
	if err := checkRecords(env); err != nil && first == "" {
		first = err.Error()
	}
	return first
}
