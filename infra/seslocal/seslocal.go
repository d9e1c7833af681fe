// Package seslocal runs the SES v2 emulator of the local stack,
// aws-ses-v2-local (pinned in infra/ses/package.json), as a child node
// process, and reads the mail it has caught.
//
// The emulator keeps mail in memory, serves a web UI to read it at its root
// URL, and answers SES v1 SendEmail/SendRawEmail and v2 SendEmail (Simple,
// Raw, Template). Its test API is GET /store, POST /clear-store and
// GET /health-check.
package seslocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/agentdesk/agentdesk/infra/template"
)

// PackageName is the npm package of the emulator.
const PackageName = "aws-ses-v2-local"

// startTimeout bounds how long Start waits for the emulator to answer.
const startTimeout = 20 * time.Second

// Email is one message caught by the emulator.
type Email struct {
	MessageID   string      `json:"messageId"`
	From        string      `json:"from"`
	ReplyTo     []string    `json:"replyTo"`
	Destination Destination `json:"destination"`
	Subject     string      `json:"subject"`
	Body        Body        `json:"body"`
	Headers     []Header    `json:"headers"`
	Attachments []struct {
		Filename    string `json:"filename"`
		ContentType string `json:"contentType"`
		Size        int    `json:"size"`
	} `json:"attachments"`
	// At is the time the emulator stored the message, to the second.
	At time.Time `json:"-"`
}

// Destination lists the recipients. For raw messages the entries may carry
// display names ("Ann <ann@example.com>").
type Destination struct {
	To  []string `json:"to"`
	Cc  []string `json:"cc"`
	Bcc []string `json:"bcc"`
}

// Body holds the text and HTML parts; either may be empty.
type Body struct {
	Text string `json:"text"`
	HTML string `json:"html"`
}

// Header is a custom message header.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Recipients returns the bare addresses of every To, Cc and Bcc recipient,
// lower-cased.
func (e Email) Recipients() []string {
	var out []string
	for _, list := range [][]string{e.Destination.To, e.Destination.Cc, e.Destination.Bcc} {
		for _, entry := range list {
			if addrs, err := mail.ParseAddressList(entry); err == nil {
				for _, a := range addrs {
					out = append(out, strings.ToLower(a.Address))
				}
				continue
			}
			out = append(out, strings.ToLower(strings.TrimSpace(entry)))
		}
	}
	return out
}

// SentTo reports whether addr is among the recipients (case-insensitive).
func (e Email) SentTo(addr string) bool {
	addr = strings.ToLower(strings.TrimSpace(addr))
	for _, r := range e.Recipients() {
		if r == addr {
			return true
		}
	}
	return false
}

// Server is a running emulator process.
type Server struct {
	endpoint string
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has exited
	waitErr  error
	out      *syncBuffer
	http     *http.Client
	close    sync.Once
}

// Dir returns the directory holding the emulator's package.json
// (<repo>/infra/ses).
func Dir() (string, error) {
	root, err := template.FindRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "infra", "ses"), nil
}

// binScript finds the emulator's CLI script from its package.json "bin".
func binScript(dir string) (string, error) {
	pkgDir := filepath.Join(dir, "node_modules", PackageName)
	data, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("seslocal: %s is not installed in %s: run `make setup`", PackageName, filepath.Join(dir, "node_modules"))
	}
	if err != nil {
		return "", fmt.Errorf("seslocal: %w", err)
	}
	var pkg struct {
		Bin json.RawMessage `json:"bin"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		return "", fmt.Errorf("seslocal: %s/package.json: %w", pkgDir, err)
	}
	var bin string
	var bins map[string]string
	switch {
	case json.Unmarshal(pkg.Bin, &bin) == nil && bin != "":
	case json.Unmarshal(pkg.Bin, &bins) == nil && bins[PackageName] != "":
		bin = bins[PackageName]
	default:
		return "", fmt.Errorf("seslocal: %s/package.json has no bin script", pkgDir)
	}
	script := filepath.Join(pkgDir, filepath.FromSlash(bin))
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("seslocal: %s is incomplete (%v): run `make setup`", pkgDir, err)
	}
	return script, nil
}

var runningAt = regexp.MustCompile(`server running at \S+:(\d+)\s*$`)

// Start runs the emulator listening on addr ("127.0.0.1:8005"; port 0 picks
// a free port; an empty host means 127.0.0.1) and waits until it answers
// GET /health-check. The process and its children are killed by Close, and
// when ctx is cancelled.
func Start(ctx context.Context, addr string) (*Server, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("seslocal: address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, fmt.Errorf("seslocal: port %q: %w", port, err)
	}
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	script, err := binScript(dir)
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("seslocal: node is not on PATH: run `make setup`")
	}

	s := &Server{
		exited: make(chan struct{}),
		out:    &syncBuffer{limit: 64 << 10},
		http:   &http.Client{Timeout: 10 * time.Second},
	}
	s.cmd = exec.Command(node, script, "--host", host, "--port", port)
	s.cmd.Dir = dir
	s.cmd.Env = append(os.Environ(), "SMTP_TRANSPORT=") // never relay mail anywhere
	// The emulator prints "server running at http://localhost:PORT" once
	// listening; with port 0 that line is where the chosen port is learnt.
	portCh := make(chan string, 1)
	s.cmd.Stdout = &portWatcher{buf: s.out, port: portCh}
	s.cmd.Stderr = s.out
	err = runProcess(s.cmd, func(err error) {
		s.waitErr = err
		close(s.exited)
	})
	if err != nil {
		return nil, fmt.Errorf("seslocal: start %s: %w", script, err)
	}

	waitCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	fail := func(err error) (*Server, error) {
		s.Close()
		return nil, fmt.Errorf("seslocal: %w\n--- emulator output ---\n%s", err, s.Output())
	}
	select {
	case p := <-portCh:
		s.endpoint = "http://" + net.JoinHostPort(host, p)
	case <-s.exited:
		return fail(fmt.Errorf("emulator exited before listening: %v", s.waitErr))
	case <-waitCtx.Done():
		return fail(fmt.Errorf("emulator did not start within %v: %w", startTimeout, waitCtx.Err()))
	}
	if err := s.waitHealthy(waitCtx); err != nil {
		return fail(err)
	}
	if ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				s.Close()
			case <-s.exited:
			}
		}()
	}
	return s, nil
}

// waitHealthy polls GET /health-check until it answers 200.
func (s *Server) waitHealthy(ctx context.Context) error {
	delay := 10 * time.Millisecond
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint+"/health-check", nil)
		resp, err := s.http.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("health check: %s", resp.Status)
		}
		t := time.NewTimer(delay)
		select {
		case <-s.exited:
			t.Stop()
			return fmt.Errorf("emulator exited: %v", s.waitErr)
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("emulator not healthy: %v (%w)", err, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// Endpoint returns the emulator's base URL, e.g. http://127.0.0.1:8005; its
// web UI is served there.
func (s *Server) Endpoint() string { return s.endpoint }

// Output returns what the emulator printed so far (bounded).
func (s *Server) Output() string { return s.out.String() }

// Close kills the emulator's process group and waits for it to exit.
func (s *Server) Close() error {
	s.close.Do(func() {
		select {
		case <-s.exited:
		default:
			stopProcess(s.cmd, s.exited)
		}
	})
	return nil
}

// Emails returns the messages stored at or after since (the emulator keeps
// whole seconds, so messages from since's second are included); the zero
// time returns all.
func (s *Server) Emails(ctx context.Context, since time.Time) ([]Email, error) {
	u := s.endpoint + "/store"
	var sinceSec int64
	if !since.IsZero() {
		sinceSec = since.Unix()
		u += "?" + url.Values{"since": {strconv.FormatInt(sinceSec, 10)}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("seslocal: read store: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("seslocal: read store: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("seslocal: read store: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	var store struct {
		Emails []struct {
			Email
			At int64 `json:"at"`
		} `json:"emails"`
	}
	if err := json.Unmarshal(body, &store); err != nil {
		return nil, fmt.Errorf("seslocal: decode store: %w", err)
	}
	out := make([]Email, 0, len(store.Emails))
	for _, e := range store.Emails {
		if e.At < sinceSec {
			continue
		}
		em := e.Email
		em.At = time.Unix(e.At, 0)
		out = append(out, em)
	}
	return out, nil
}

// Clear empties the emulator's store (mail and templates).
func (s *Server) Clear(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint+"/clear-store", nil)
	if err != nil {
		return err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("seslocal: clear store: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("seslocal: clear store: %s", resp.Status)
	}
	return nil
}

// pollInterval is how often WaitFor reads the store.
const pollInterval = 25 * time.Millisecond

// WaitFor polls the store until a message sent to the address to (any of To,
// Cc, Bcc; "" for any recipient) satisfies match (nil matches any) and
// returns the newest such message. It gives up when ctx ends; without a
// deadline on ctx it waits at most 10 seconds.
func (s *Server) WaitFor(ctx context.Context, to string, match func(Email) bool) (Email, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	var lastErr error
	seen := 0
	for {
		emails, err := s.Emails(ctx, time.Time{})
		if err == nil {
			seen = len(emails)
			for i := len(emails) - 1; i >= 0; i-- {
				e := emails[i]
				if (to == "" || e.SentTo(to)) && (match == nil || match(e)) {
					return e, nil
				}
			}
		} else {
			lastErr = err
		}
		t := time.NewTimer(pollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			if lastErr != nil {
				return Email{}, fmt.Errorf("seslocal: no matching email to %q: %w (last error: %v)", to, ctx.Err(), lastErr)
			}
			return Email{}, fmt.Errorf("seslocal: no matching email to %q among %d stored: %w", to, seen, ctx.Err())
		case <-s.exited:
			t.Stop()
			return Email{}, fmt.Errorf("seslocal: emulator exited: %v", s.waitErr)
		case <-t.C:
		}
	}
}

// NewClient returns an SES v2 client for a local endpoint, with static dummy
// credentials and region us-east-1; it reads no environment or shared AWS
// config.
func NewClient(ctx context.Context, endpoint string, optFns ...func(*sesv2.Options)) (*sesv2.Client, error) {
	_ = ctx // reserved: the client needs no I/O to be built
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("seslocal: endpoint %q is not an http(s) URL", endpoint)
	}
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
	opts := append([]func(*sesv2.Options){func(o *sesv2.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	}}, optFns...)
	return sesv2.NewFromConfig(cfg, opts...), nil
}

// portWatcher copies the emulator's stdout into buf and sends the port of
// its "server running at" line, once.
type portWatcher struct {
	buf  *syncBuffer
	port chan<- string
	line []byte
	sent bool
}

func (w *portWatcher) Write(p []byte) (int, error) {
	_, _ = w.buf.Write(p)
	if w.sent {
		return len(p), nil
	}
	w.line = append(w.line, p...)
	for {
		i := bytes.IndexByte(w.line, '\n')
		if i < 0 {
			break
		}
		if m := runningAt.FindSubmatch(w.line[:i]); m != nil {
			w.port <- string(m[1])
			w.sent, w.line = true, nil
			break
		}
		w.line = w.line[i+1:]
	}
	if len(w.line) > 4096 {
		w.line = w.line[len(w.line)-4096:]
	}
	return len(p), nil
}

// syncBuffer is a bounded, goroutine-safe buffer keeping the first limit
// bytes of output.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.limit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *syncBuffer) WriteString(s string) { _, _ = b.Write([]byte(s)) }

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
