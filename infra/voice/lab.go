//go:build linux

package voice

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
)

// ErrUnsupported: this machine cannot run the lab (not root, or network
// namespaces are not permitted). Tests skip on it.
var ErrUnsupported = errors.New("voice lab unsupported here")

// Options of Start; zero values take the script's defaults.
type Options struct {
	Netns  string // network namespace name (default agentdesk-voice)
	Dir    string // state directory (default <repo>/.local/voice)
	Domain string // SIP domain (default voice.agentdesk.test)
	// DemoSIPPassword, when set, becomes extension 1001's password.
	DemoSIPPassword string
}

// Lab is a running voice lab.
type Lab struct {
	Script string
	Netns  string
	Dir    string
	// Env holds lab.env: SIP_WS_URI, SIP_DOMAIN, ICE_SERVERS,
	// AGENTDESK_DEMO_SIP_PASSWORD, VOICE_LAB_<AGENT>_URI, _NUMBER, _CTRL,
	// VOICE_LAB_WAV_DIR, ...
	Env map[string]string

	env  []string
	lock *os.File // the machine's lab lock, held until Stop
}

// Start brings the lab up (scripts/voice-lab.sh up) and reads its settings.
// An *exec.ExitError with status 3 from the script becomes ErrUnsupported.
func Start(ctx context.Context, opt Options) (*Lab, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: needs root to create a network namespace", ErrUnsupported)
	}
	script, err := findScript()
	if err != nil {
		return nil, err
	}
	lock, err := acquireLock(ctx)
	if err != nil {
		return nil, err
	}
	l := &Lab{Script: script, env: os.Environ(), lock: lock}
	set := func(k, v string) {
		if v != "" {
			l.env = append(l.env, k+"="+v)
		}
	}
	set("VOICE_LAB_NETNS", opt.Netns)
	set("VOICE_LAB_DIR", opt.Dir)
	set("VOICE_LAB_DOMAIN", opt.Domain)
	set("AGENTDESK_DEMO_SIP_PASSWORD", opt.DemoSIPPassword)
	if _, err := l.run(ctx, "up"); err != nil {
		l.unlock()
		return nil, err
	}
	out, err := l.run(ctx, "env")
	if err != nil {
		_, _ = l.run(context.Background(), "down")
		l.unlock()
		return nil, err
	}
	l.Env = parseEnv(out)
	l.Netns, l.Dir = l.Env["VOICE_LAB_NETNS"], l.Env["VOICE_LAB_DIR"]
	return l, nil
}

// Stop tears the lab down (scripts/voice-lab.sh down).
func (l *Lab) Stop(ctx context.Context) error {
	_, err := l.run(ctx, "down")
	l.unlock()
	return err
}

func (l *Lab) unlock() {
	if l.lock != nil {
		_ = l.lock.Close() // closing the descriptor releases the flock
		l.lock = nil
	}
}

// RestartKamailio restarts Kamailio (scripts/voice-lab.sh
// restart-kamailio). Registrations are kept in memory, so they are lost:
// WebSocket clients see their connection drop and must register again; the
// lab's agents are restarted and registered before it returns, which
// closes connections made by Agent.
func (l *Lab) RestartKamailio(ctx context.Context) error {
	_, err := l.run(ctx, "restart-kamailio")
	return err
}

// Subscribers returns the lab's SIP users and their passwords: extensions
// 1001 (the local stack's demo agent), 1002 and 1003, and the agents
// customer, tone and echo.
func (l *Lab) Subscribers() (map[string]string, error) {
	data, err := os.ReadFile(filepath.Join(l.Dir, "subscribers"))
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			m[f[0]] = f[1]
		}
	}
	return m, nil
}

func (l *Lab) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, l.Script, args...)
	cmd.Env = l.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), nil
	case errors.As(err, &ee) && ee.ExitCode() == 3:
		return "", fmt.Errorf("%w: %s", ErrUnsupported, strings.TrimSpace(stderr.String()))
	default:
		return "", fmt.Errorf("voice-lab.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
}

// Agent connects to the control port of a lab user agent ("customer",
// "tone" or "echo").
func (l *Lab) Agent(ctx context.Context, name string) (*Baresip, error) {
	addr := l.Env["VOICE_LAB_"+strings.ToUpper(name)+"_CTRL"]
	if addr == "" {
		return nil, fmt.Errorf("voice lab: no agent %q", name)
	}
	c, err := l.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("voice lab: %s's control port: %w", name, err)
	}
	return NewBaresip(c), nil
}

// DialContext connects to addr inside the lab's network namespace (the
// socket is made there; the calling process stays where it is).
func (l *Lab) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var conn net.Conn
	err := l.InNetns(func() error {
		var err error
		conn, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return conn, err
}

// InNetns runs fn on an OS thread that has entered the lab's network
// namespace: sockets fn creates belong to the namespace and keep working
// afterwards from any goroutine. fn must not start goroutines that create
// sockets (they run on other threads).
func (l *Lab) InNetns(fn func() error) error {
	target, err := os.Open(filepath.Join("/run/netns", l.Netns))
	if err != nil {
		return err
	}
	defer target.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		if err := setns(target); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", l.Netns, err)
			return
		}
		ferr := fn()
		if err := setns(orig); err == nil {
			runtime.UnlockOSThread()
		} // else the thread stays locked and ends with this goroutine
		errc <- ferr
	}()
	return <-errc
}

func setns(f *os.File) error {
	if sysSetns == 0 {
		return syscall.ENOSYS
	}
	if _, _, e := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
		return e
	}
	return nil
}

// Command runs a program inside the lab's namespace (ip netns exec).
func (l *Lab) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.Netns, name}, args...)...)
}

// Recordings lists an agent's recordings of received audio
// (dump-<time>-dec.wav), oldest first.
func (l *Lab) Recordings(agent string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(l.Env["VOICE_LAB_WAV_DIR"], agent, "*-dec.wav"))
	sort.Strings(files) // the names carry the start time
	return files, err
}

// Logs returns the last lines of every component's log, for a failing
// test's report.
func (l *Lab) Logs(lines int) string {
	files, _ := filepath.Glob(filepath.Join(l.Dir, "logs", "*.log"))
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(all) > lines {
			all = all[len(all)-lines:]
		}
		fmt.Fprintf(&b, "==> %s <==\n%s\n", f, strings.Join(all, "\n"))
	}
	return b.String()
}

// findScript finds scripts/voice-lab.sh above the working directory.
func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "scripts", "voice-lab.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("scripts/voice-lab.sh not found above the working directory")
		}
		dir = parent
	}
}

// parseEnv reads KEY='value' lines.
func parseEnv(s string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		m[k] = strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
	}
	return m
}
