//go:build unix

package seslocal

import (
	"os/exec"
	"syscall"
	"time"
)

// stopProcess sends SIGTERM to the process group of cmd, then SIGKILL if it
// has not exited within a few seconds, and waits for the exit.
func stopProcess(cmd *exec.Cmd, exited <-chan struct{}) {
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-exited:
		return
	case <-time.After(3 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
	}
}
