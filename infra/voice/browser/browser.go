//go:build linux

// Package browser runs JsSIP in Debian's headless Chromium (driven by
// playwright-core from driver.mjs) as a SIP client of the voice lab, so
// that tests and benchmarks can hold the softphone against a browser.
//
// The driver runs inside the lab's network namespace (ip netns exec), like
// every other part of the lab; the Go side only talks to its stdin and
// stdout. Each call's microphone is a WebAudio oscillator, and what the
// call receives is captured with an AudioWorklet and handed back as PCM
// for the tone detector (infra/voice/tone).
package browser

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// ErrUnavailable: no Chromium, node or npm packages on this machine.
var ErrUnavailable = errors.New("browser SIP client unavailable")

// Options of Start.
type Options struct {
	// Netns is the network namespace to run in (ip netns exec); empty runs
	// the driver in the caller's namespace.
	Netns string
	// Chromium is the browser binary; /usr/bin/chromium when empty.
	Chromium string
	// Stderr gets the driver's and the page's console output; discarded
	// when nil.
	Stderr io.Writer
}

// Browser is a running driver with its Chromium and page.
type Browser struct {
	// DriverPID is node's PID; Chromium's processes are its descendants.
	DriverPID int
	Version   string // Chromium's

	cmd   *exec.Cmd
	stdin io.WriteCloser
	wmu   sync.Mutex
	mu    sync.Mutex
	next  int
	wait  map[int]chan reply
	done  chan struct{}
	rerr  error
}

type reply struct {
	OK     bool            `json:"ok"`
	Error  string          `json:"error"`
	Result json.RawMessage `json:"result"`
}

// Dir finds this package's directory (driver.mjs, page/, node_modules)
// above the working directory.
func Dir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "infra", "voice", "browser")
		if _, err := os.Stat(filepath.Join(p, "driver.mjs")); err == nil {
			return p, nil
		}
		if _, err := os.Stat(filepath.Join(dir, "driver.mjs")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("infra/voice/browser/driver.mjs not found above the working directory")
		}
		dir = parent
	}
}

// Check says why Start cannot work here (ErrUnavailable), or nil: the
// browser, node and the npm packages must be installed.
func Check(chromium string) (node, dir string, err error) {
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		return "", "", fmt.Errorf("%w: no %s (apt-get install chromium)", ErrUnavailable, chromium)
	}
	if node, err = exec.LookPath("node"); err != nil {
		return "", "", fmt.Errorf("%w: node is not on PATH", ErrUnavailable)
	}
	if dir, err = Dir(); err != nil {
		return "", "", err
	}
	for _, pkg := range []string{"jssip", "esbuild", "playwright-core"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			return "", "", fmt.Errorf("%w: %s is not installed in %s (make setup runs npm ci there)", ErrUnavailable, pkg, dir)
		}
	}
	return node, dir, nil
}

// Start launches the driver and waits until the page is ready.
func Start(ctx context.Context, opt Options) (*Browser, error) {
	chromium := opt.Chromium
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	node, dir, err := Check(chromium)
	if err != nil {
		return nil, err
	}
	args := []string{node, filepath.Join(dir, "driver.mjs")}
	if opt.Netns != "" {
		args = append([]string{"ip", "netns", "exec", opt.Netns}, args...)
	}
	// Not CommandContext: ctx bounds the start, not the browser's life.
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Close can end the whole tree
	cmd.Stderr = opt.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &Browser{cmd: cmd, stdin: stdin, wait: map[int]chan reply{}, done: make(chan struct{})}
	hello := make(chan error, 1)
	go b.read(stdout, hello)
	select {
	case err := <-hello:
		if err != nil {
			b.kill()
			return nil, err
		}
		return b, nil
	case <-ctx.Done():
		b.kill()
		return nil, fmt.Errorf("browser: waiting for the page: %w", ctx.Err())
	}
}

func (b *Browser) read(stdout io.Reader, hello chan<- error) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20) // recordings come back as base64
	first := true
	for sc.Scan() {
		if first {
			first = false
			var h struct {
				Hello     bool   `json:"hello"`
				DriverPID int    `json:"driverPid"`
				Version   string `json:"version"`
			}
			if err := json.Unmarshal(sc.Bytes(), &h); err != nil || !h.Hello {
				hello <- fmt.Errorf("browser: unexpected first line %q", sc.Text())
				return
			}
			b.DriverPID, b.Version = h.DriverPID, h.Version
			hello <- nil
			continue
		}
		var m struct {
			ID int `json:"id"`
			reply
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue
		}
		b.mu.Lock()
		if ch, ok := b.wait[m.ID]; ok {
			ch <- m.reply
			delete(b.wait, m.ID)
		}
		b.mu.Unlock()
	}
	err := sc.Err()
	if err == nil {
		err = io.EOF
	}
	if first {
		hello <- fmt.Errorf("browser: the driver ended before its page was ready (%v); see its stderr", b.cmd.Wait())
	}
	b.mu.Lock()
	b.rerr = err
	b.mu.Unlock()
	close(b.done)
}

// Invoke calls window.lab[fn](args...) in the page and decodes its result
// into out (when not nil).
func (b *Browser) Invoke(ctx context.Context, out any, fn string, args ...any) error {
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan reply, 1)
	b.wait[id] = ch
	b.mu.Unlock()
	if args == nil {
		args = []any{}
	}
	line, err := json.Marshal(map[string]any{"id": id, "fn": fn, "args": args})
	if err != nil {
		return err
	}
	b.wmu.Lock()
	_, err = b.stdin.Write(append(line, '\n'))
	b.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("browser %s: %w", fn, err)
	}
	select {
	case r := <-ch:
		if !r.OK {
			return fmt.Errorf("browser %s: %s", fn, r.Error)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.wait, id)
		b.mu.Unlock()
		return fmt.Errorf("browser %s: %w", fn, ctx.Err())
	case <-b.done:
		return fmt.Errorf("browser %s: the driver ended: %v", fn, b.rerr)
	}
}

// Account is the SIP account JsSIP registers.
type Account struct {
	WSURI    string `json:"wsURI"`
	Domain   string `json:"domain"`
	User     string `json:"user"`
	Password string `json:"password"`
}

// Register starts JsSIP's user agent and waits until it is registered.
func (b *Browser) Register(ctx context.Context, a Account) error {
	return b.Invoke(ctx, nil, "register", a)
}

// Call is one of the page's calls.
type Call struct {
	ID int `json:"id"`
	// InviteToAudio: INVITE sent (JsSIP's "sending") -> first audio
	// packet received (the remote track unmuted, or getStats counting a
	// packet). DialToAudio counts from ua.call(), media setup included.
	// AnswerToAudio: for an incoming call, answer() -> first packet.
	InviteToAudio time.Duration `json:"-"`
	DialToAudio   time.Duration `json:"-"`
	AnswerToAudio time.Duration `json:"-"`
	From          string        `json:"from"`

	b *Browser
}

type callResult struct {
	ID            int     `json:"id"`
	InviteToAudio float64 `json:"inviteToAudioMs"`
	DialToAudio   float64 `json:"dialToAudioMs"`
	AnswerToAudio float64 `json:"answerToAudioMs"`
	From          string  `json:"from"`
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// Mic is the oscillator a call sends.
type Mic struct {
	Freq float64 `json:"freq"`
	// Amp is the oscillator's gain; 0 keeps it silent until Echo.
	Amp float64 `json:"amp"`
}

// Dial calls target and returns at the first audio packet received.
func (b *Browser) Dial(ctx context.Context, target string, mic Mic) (*Call, error) {
	var r callResult
	if err := b.Invoke(ctx, &r, "call", target, mic); err != nil {
		return nil, err
	}
	return &Call{ID: r.ID, InviteToAudio: ms(r.InviteToAudio), DialToAudio: ms(r.DialToAudio), b: b}, nil
}

// Answer waits for an incoming call, answers it and returns at its first
// audio packet.
func (b *Browser) Answer(ctx context.Context, mic Mic) (*Call, error) {
	var r callResult
	if err := b.Invoke(ctx, &r, "answer", mic); err != nil {
		return nil, err
	}
	return &Call{ID: r.ID, AnswerToAudio: ms(r.AnswerToAudio), From: r.From, b: b}, nil
}

// Recording is audio the page received: mono samples in [-1, 1].
type Recording struct {
	Rate    int
	Samples []float64
	// Start is the AudioContext time of the first sample; ToneAt, for
	// Echo, that of the oscillator's start (seconds).
	Start, ToneAt float64
}

type recordResult struct {
	Rate   int     `json:"rate"`
	Start  float64 `json:"start"`
	ToneAt float64 `json:"toneAt"`
	PCM    string  `json:"pcm"`
}

func (r recordResult) decode() (*Recording, error) {
	raw, err := base64.StdEncoding.DecodeString(r.PCM)
	if err != nil {
		return nil, err
	}
	rec := &Recording{Rate: r.Rate, Start: r.Start, ToneAt: r.ToneAt, Samples: make([]float64, len(raw)/2)}
	for i := range rec.Samples {
		rec.Samples[i] = float64(int16(binary.LittleEndian.Uint16(raw[2*i:]))) / 32768
	}
	return rec, nil
}

// Record captures d of what the call receives, as played out.
func (c *Call) Record(ctx context.Context, d time.Duration) (*Recording, error) {
	var r recordResult
	if err := c.b.Invoke(ctx, &r, "record", c.ID, d.Milliseconds()); err != nil {
		return nil, err
	}
	return r.decode()
}

// Echo, on a call dialled with a silent Mic, starts capturing, switches
// the oscillator on after delay and captures d in all; the tone's onset
// in the capture minus Recording.ToneAt is the round trip.
func (c *Call) Echo(ctx context.Context, delay, d time.Duration, amp float64) (*Recording, error) {
	var r recordResult
	opt := map[string]any{"delayMs": delay.Milliseconds(), "ms": d.Milliseconds(), "amp": amp}
	if err := c.b.Invoke(ctx, &r, "echo", c.ID, opt); err != nil {
		return nil, err
	}
	return r.decode()
}

// Hangup ends the call (BYE, or CANCEL before the answer).
func (c *Call) Hangup(ctx context.Context) error {
	return c.b.Invoke(ctx, nil, "hangup", c.ID)
}

// Close unregisters, closes Chromium and waits for the driver to exit;
// after 10 s it kills the driver's process group.
func (b *Browser) Close() error {
	_ = b.stdin.Close() // the driver hangs up, unregisters, closes the browser
	exited := make(chan error, 1)
	go func() { <-b.done; exited <- b.cmd.Wait() }()
	select {
	case err := <-exited:
		return err
	case <-time.After(10 * time.Second):
		b.kill()
		<-exited
		return errors.New("browser: the driver did not exit within 10 s; killed")
	}
}

func (b *Browser) kill() {
	if b.cmd.Process != nil {
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
	}
}
