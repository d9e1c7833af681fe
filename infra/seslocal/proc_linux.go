package seslocal

import (
	"os/exec"
	"runtime"
	"syscall"
)

// runProcess starts cmd in its own process group and calls onExit with the
// result of Wait from another goroutine.
//
// The child also gets SIGKILL if this process dies (Pdeathsig), so a test
// binary killed by a timeout leaves no emulator behind. Pdeathsig fires when
// the thread that started the child exits, so the start happens on a
// goroutine locked to its thread until the child has exited.
func runProcess(cmd *exec.Cmd, onExit func(error)) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		onExit(cmd.Wait())
	}()
	return <-started
}
