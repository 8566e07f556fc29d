package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"os"
	"strings"
	"time"

	"github.com/kyso-project/kyso/internal/fail"
)

// ErrLocked is returned when another process holds the catalogue's writer
// lock for longer than the lock timeout.
var ErrLocked = errors.New("catalogue is locked")

// lockedError is ErrLocked with the name of the process that holds the lock.
type lockedError string

func (e lockedError) Error() string        { return string(e) }
func (e lockedError) Is(target error) bool { return target == ErrLocked }

// writerLock is the lock file <db>.lock that writers take for as long as they
// work on the catalogue. bbolt's own file lock is held only for the short
// commits, so readers get in between them.
type writerLock struct{ f *os.File }

// lockHolder is written into the lock file so that a waiting process can say
// who it waits for.
type lockHolder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

func acquireWriterLock(ctx context.Context, path string, timeout time.Duration, command string) (*writerLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fail.Run(i18n.Errorf("catalogue lock %s: %v", path, err), "")
	}
	deadline := time.Now().Add(timeout)
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fail.Run(i18n.Errorf("catalogue lock %s: %v", path, err), "")
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fail.RunWith(lockedError("catalogue "+strings.TrimSuffix(path, ".lock")+" is locked by "+describeHolder(path)),
				fail.RemedyLockTimeout)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	host, _ := os.Hostname()
	if command == "" {
		command = strings.Join(os.Args, " ")
	}
	data, _ := json.Marshal(lockHolder{PID: os.Getpid(), Host: host, Command: command, Since: time.Now()})
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(append(data, '\n'), 0)
	}
	return &writerLock{f: f}, nil
}

// describeHolder reads who holds the lock: "pid 12 (kyso archive ingest ...) on pc-1".
func describeHolder(path string) string {
	data, err := os.ReadFile(path)
	var h lockHolder
	if err != nil || json.Unmarshal(data, &h) != nil || h.PID == 0 {
		return "another process"
	}
	cmd := h.Command
	if len(cmd) > 80 {
		cmd = cmd[:77] + "..."
	}
	return fmt.Sprintf("pid %d (%s) on %s since %s", h.PID, cmd, h.Host, h.Since.Format(time.RFC3339))
}

func (l *writerLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
