package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
)

// PushState is where the push channel stands.
type PushState string

const (
	// PushConnecting: the first connection is being made.
	PushConnecting PushState = "connecting"
	// PushConnected: events flow. Events sent while disconnected are lost:
	// on every Connected, reload what banner_changed and settings_changed
	// would have said (GET /v1/me).
	PushConnected PushState = "connected"
	// PushReconnecting: the connection failed or dropped; PushStatus.NextRetry
	// says when the next try goes out (the "reconnecting" banner).
	PushReconnecting PushState = "reconnecting"
)

// PushStatus is a snapshot of a Push.
type PushStatus struct {
	State PushState
	// NextRetry is when the next connection attempt goes out (Reconnecting).
	NextRetry time.Time
	// Failures counts failed attempts since the last stable connection.
	Failures int
	// Err is why the last connection failed or dropped.
	Err error
}

// PushConfig configures a Push. URL and Token are required.
type PushConfig struct {
	// URL is MeResponse.PushURL (ws:// locally, wss:// in AWS).
	URL string
	// Token returns the current access token; it is asked on every
	// connection attempt, so a refreshed token is used on reconnect.
	Token client.TokenSource
	// DeviceID is sent as device_id when set.
	DeviceID string
	// RefreshToken is asked once when the server refuses the token (401 or
	// 403 at the handshake, or a policy-violation close), before trying
	// again. Nil: just back off.
	RefreshToken Refresher

	// OnEvent receives every event with a type, in order, from Run's
	// goroutine; OnState every state change, likewise. Neither should block
	// for long.
	OnEvent func(api.PushEvent)
	OnState func(PushStatus)

	// PingInterval is how often {"action":"ping"} keeps the connection
	// from idling out (API Gateway drops it after 10 idle minutes; default
	// 4 minutes).
	PingInterval time.Duration
	// MinBackoff and MaxBackoff bound the delay between attempts (defaults
	// 500 ms and 30 s); StableAfter is how long a connection must last for
	// the backoff to start over (default 1 minute).
	MinBackoff, MaxBackoff, StableAfter time.Duration
	// DialTimeout bounds one connection attempt (default 15 s);
	// WriteTimeout one ping (default 10 s).
	DialTimeout, WriteTimeout time.Duration
	// HTTPClient makes the handshake (default: a client of the Push's own,
	// whose idle connections are closed when Run returns).
	HTTPClient *http.Client
	// Clock defaults to the real clock.
	Clock Clock
}

// Push defaults.
const (
	DefaultPingInterval     = 4 * time.Minute
	DefaultPushMinBackoff   = 500 * time.Millisecond
	DefaultPushMaxBackoff   = 30 * time.Second
	DefaultStableAfter      = time.Minute
	DefaultDialTimeout      = 15 * time.Second
	DefaultPushWriteTimeout = 10 * time.Second
)

// pingMessage is the keep-alive the push API routes on "action".
var pingMessage = []byte(`{"action":"ping"}`)

// Push is a reconnecting client of the push channel. Create it with NewPush
// and call Run once.
type Push struct {
	cfg     PushConfig
	clock   Clock
	backoff backoff

	mu     sync.Mutex
	status PushStatus
}

// NewPush returns a Push for cfg; nothing runs until Run.
func NewPush(cfg PushConfig) *Push {
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultPushMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultPushMaxBackoff, cfg.MinBackoff)
	}
	if cfg.StableAfter <= 0 {
		cfg.StableAfter = DefaultStableAfter
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultPushWriteTimeout
	}
	return &Push{
		cfg:     cfg,
		clock:   cfg.Clock,
		backoff: backoff{min: cfg.MinBackoff, max: cfg.MaxBackoff},
	}
}

// Status is the latest snapshot.
func (p *Push) Status() PushStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// errAuth marks a connection the server refused for its token.
var errAuth = errors.New("push: access token refused")

// Run connects and keeps reconnecting until ctx is done, then closes the
// connection and returns ctx's error (or an error at once for a bad
// config). Every goroutine it starts has ended when it returns.
func (p *Push) Run(ctx context.Context) error {
	if _, err := p.target(""); err != nil {
		return err
	}
	if p.cfg.Token == nil {
		return errors.New("push: PushConfig needs Token")
	}
	hc := p.cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	defer hc.CloseIdleConnections()

	p.setStatus(PushStatus{State: PushConnecting})
	failures := 0
	refreshed := false
	for {
		connected, stable, err := p.connect(ctx, hc)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if stable {
			failures = 0
		}
		if connected {
			refreshed = false // the token got in: a later refusal deserves a refresh
		}
		if errors.Is(err, errAuth) && !refreshed && p.cfg.RefreshToken != nil {
			refreshed = true
			rctx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
			rerr := p.cfg.RefreshToken(rctx)
			cancel()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if rerr != nil {
				err = fmt.Errorf("%w (refresh: %v)", err, rerr)
			}
		}
		failures++
		next := p.clock.Now().Add(p.backoff.delay(failures))
		p.setStatus(PushStatus{State: PushReconnecting, NextRetry: next, Failures: failures, Err: err})
		t := p.clock.NewTimer(next.Sub(p.clock.Now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}

// target is the push URL with the token and device id as query parameters.
func (p *Push) target(token string) (string, error) {
	u, err := url.Parse(p.cfg.URL)
	if err != nil {
		return "", fmt.Errorf("push: URL: %w", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" || u.Host == "" {
		return "", fmt.Errorf("push: URL %q: want ws(s)://host/...", p.cfg.URL)
	}
	q := u.Query()
	q.Set("access_token", token)
	if p.cfg.DeviceID != "" {
		q.Set("device_id", p.cfg.DeviceID)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// connect makes one connection and serves it until it drops (the error
// says why) or ctx is done; connected says the handshake succeeded, stable
// that the connection lasted StableAfter.
func (p *Push) connect(ctx context.Context, hc *http.Client) (connected, stable bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
	defer cancel()
	token, err := p.cfg.Token(dctx)
	if err != nil {
		return false, false, fmt.Errorf("push: access token: %w", err)
	}
	target, err := p.target(token)
	if err != nil {
		return false, false, err
	}
	c, resp, err := websocket.Dial(dctx, target, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return false, false, fmt.Errorf("%w (handshake %d)", errAuth, resp.StatusCode)
		}
		return false, false, fmt.Errorf("push: connect: %w", err)
	}
	since := p.clock.Now()
	p.setStatus(PushStatus{State: PushConnected})
	err = p.serve(ctx, c)
	stable = p.clock.Now().Sub(since) >= p.cfg.StableAfter
	if websocket.CloseStatus(err) == websocket.StatusPolicyViolation {
		err = fmt.Errorf("%w (%v)", errAuth, err)
	}
	return true, stable, err
}

// serve reads events and sends pings on one connection. A goroutine reads
// (handing events over to this one, so every callback runs on Run's
// goroutine); it has ended when serve returns.
func (p *Push) serve(ctx context.Context, c *websocket.Conn) error {
	readCtx, stopRead := context.WithCancel(context.Background())
	defer stopRead()
	events := make(chan api.PushEvent)
	readErr := make(chan error, 1)
	go func() { readErr <- readEvents(readCtx, c, events) }()
	// drop closes the connection and waits for the reader.
	drop := func(close func() error) {
		_ = close()
		stopRead()
		<-readErr
	}

	ping := p.clock.NewTimer(p.cfg.PingInterval)
	defer func() { ping.Stop() }()
	for {
		select {
		case <-ctx.Done():
			drop(func() error { return c.Close(websocket.StatusNormalClosure, "") })
			return ctx.Err()
		case err := <-readErr:
			_ = c.CloseNow()
			return err
		case ev := <-events:
			if p.cfg.OnEvent != nil {
				p.cfg.OnEvent(ev)
			}
		case <-ping.C():
			wctx, cancel := context.WithTimeout(ctx, p.cfg.WriteTimeout)
			err := c.Write(wctx, websocket.MessageText, pingMessage)
			cancel()
			if err != nil {
				drop(c.CloseNow)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("push: ping: %w", err)
			}
			ping = p.clock.NewTimer(p.cfg.PingInterval)
		}
	}
}

// readEvents reads frames until the connection fails, handing over every
// JSON event that has a type; anything else (API Gateway's own answers,
// say) is skipped.
func readEvents(ctx context.Context, c *websocket.Conn, out chan<- api.PushEvent) error {
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return fmt.Errorf("push: read: %w", err)
		}
		var ev api.PushEvent
		if json.Unmarshal(data, &ev) != nil || ev.Type == "" {
			continue
		}
		select {
		case out <- ev:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (p *Push) setStatus(st PushStatus) {
	p.mu.Lock()
	old := p.status
	p.status = st
	p.mu.Unlock()
	if p.cfg.OnState != nil && (old.State != st.State || !old.NextRetry.Equal(st.NextRetry)) {
		p.cfg.OnState(st)
	}
}
