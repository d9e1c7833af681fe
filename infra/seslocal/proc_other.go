//go:build !unix

package seslocal

import (
	"os/exec"
	"time"
)

func runProcess(cmd *exec.Cmd, onExit func(error)) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { onExit(cmd.Wait()) }()
	return nil
}

func stopProcess(cmd *exec.Cmd, exited <-chan struct{}) {
	_ = cmd.Process.Kill()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
	}
}
