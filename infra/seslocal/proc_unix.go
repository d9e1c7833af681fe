//go:build unix && !linux

package seslocal

import (
	"os/exec"
	"syscall"
)

// runProcess starts cmd in its own process group and calls onExit with the
// result of Wait from another goroutine.
func runProcess(cmd *exec.Cmd, onExit func(error)) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { onExit(cmd.Wait()) }()
	return nil
}
