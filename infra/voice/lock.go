//go:build linux

package voice

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Labs carry real-time media (rtpengine, baresip, pion, Chromium): two at
// once on a small CI machine starve each other until calls lose their
// audio and control ports stop answering. `go test ./...` runs packages in
// parallel, so Start takes this machine-wide lock and Stop releases it:
// labs run one after another, whichever process starts them.
var lockPath = filepath.Join(os.TempDir(), "agentdesk-voice-lab.lock")

// acquireLock waits for the machine's lab lock (flock, so a killed holder
// releases it) until ctx ends.
func acquireLock(ctx context.Context) (*os.File, error) {
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("voice lab: lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if err != syscall.EWOULDBLOCK {
			_ = f.Close()
			return nil, fmt.Errorf("voice lab: lock %s: %w", lockPath, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("voice lab: waiting for another lab on this machine to stop (%s): %w", lockPath, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
