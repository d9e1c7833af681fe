package session

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/shared/api"
)

// ---- a push server -------------------------------------------------------------

// wsServer is a WebSocket server like the push API: it refuses the upgrade
// with 401 unless access_token is the accepted token, then lets the test
// send frames and drop the connection.
type wsServer struct {
	*httptest.Server
	conns   chan *wsConn
	refused chan url.Values // the query of every refused handshake

	mu     sync.Mutex
	token  string
	open   []*wsConn
	served sync.WaitGroup
}

// wsConn is the server's side of one connection.
type wsConn struct {
	c      *websocket.Conn
	query  url.Values
	msgs   chan string               // text the client sent
	closed chan websocket.StatusCode // how the client's side ended
}

func newWSServer(t *testing.T, token string) *wsServer {
	s := &wsServer{conns: make(chan *wsConn, 100), refused: make(chan url.Values, 100), token: token}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.mu.Lock()
		for _, c := range s.open {
			_ = c.c.CloseNow()
		}
		s.mu.Unlock()
		s.Close()
		s.served.Wait() // hijacked connections outlive Close
	})
	return s
}

func (s *wsServer) setToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = tok
}

func (s *wsServer) url(path string) string { return "ws" + strings.TrimPrefix(s.URL, "http") + path }

func (s *wsServer) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	want := s.token
	s.mu.Unlock()
	if q.Get("access_token") != want {
		s.refused <- q
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	s.served.Add(1)
	defer s.served.Done()
	sc := &wsConn{c: c, query: q, msgs: make(chan string, 1000), closed: make(chan websocket.StatusCode, 1)}
	s.mu.Lock()
	s.open = append(s.open, sc)
	s.mu.Unlock()
	s.conns <- sc
	for {
		_, data, err := c.Read(context.Background())
		if err != nil {
			sc.closed <- websocket.CloseStatus(err)
			return
		}
		select {
		case sc.msgs <- string(data):
		default:
		}
	}
}

func (c *wsConn) send(t *testing.T, v any) {
	t.Helper()
	data, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		data = string(b)
	}
	ctx := testCtx(t)
	if err := c.c.Write(ctx, websocket.MessageText, []byte(data)); err != nil {
		t.Fatalf("server write: %v", err)
	}
}

// ---- running a push client -----------------------------------------------------

type pushRun struct {
	p      *Push
	events chan api.PushEvent
	states chan PushStatus
	done   chan error
	cancel context.CancelFunc
}

func startPush(t *testing.T, cfg PushConfig) *pushRun {
	t.Helper()
	pr := &pushRun{events: make(chan api.PushEvent, 100), states: make(chan PushStatus, 1000), done: make(chan error, 1)}
	cfg.OnEvent = func(ev api.PushEvent) { pr.events <- ev }
	cfg.OnState = func(st PushStatus) { pr.states <- st }
	pr.p = NewPush(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	pr.cancel = cancel
	go func() { pr.done <- pr.p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		err := waitFor(t, pr.done, "Push.Run to return")
		pr.done <- err
	})
	return pr
}

// state waits for the next state and checks it.
func (pr *pushRun) state(t *testing.T, want PushState) PushStatus {
	t.Helper()
	st := waitFor(t, pr.states, "a push state")
	if st.State != want {
		t.Fatalf("push state %+v, want %s", st, want)
	}
	return st
}

func (pr *pushRun) stop(t *testing.T) {
	t.Helper()
	pr.cancel()
	err := waitFor(t, pr.done, "Push.Run to return")
	pr.done <- err
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	// Run joins what it starts: nothing of the package runs once it has
	// returned (checked while the server is still up, so nothing on its
	// side ends the goroutines for us).
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	for _, fn := range []string{"session.readEvents", "session.(*Push)"} {
		if strings.Contains(stacks, fn) {
			t.Fatalf("%s still runs after Run returned:\n%s", fn, stacks)
		}
	}
}

func staticToken(tok string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return tok, nil }
}

// ---- tests -------------------------------------------------------------------

// Events flow, frames that are not events are skipped, pings go out, a
// dropped connection is made again, and cancelling closes it normally.
func TestPushDeliversEventsAndReconnects(t *testing.T) {
	noLeaks(t)
	srv := newWSServer(t, "tok")
	pr := startPush(t, PushConfig{URL: srv.url("/local?keep=1"), Token: staticToken("tok"), DeviceID: "dev_1",
		PingInterval: 20 * time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})

	pr.state(t, PushConnecting)
	pr.state(t, PushConnected)
	sc := waitFor(t, srv.conns, "a connection")
	if q := sc.query; q.Get("access_token") != "tok" || q.Get("device_id") != "dev_1" || q.Get("keep") != "1" {
		t.Fatalf("query %v", q)
	}
	if m := waitFor(t, sc.msgs, "a ping"); m != `{"action":"ping"}` {
		t.Fatalf("keep-alive %q", m)
	}

	banner := api.PushEvent{Type: api.EventBannerChanged, At: t0}
	sc.send(t, banner)
	sc.send(t, `{"message":"Forbidden","connectionId":"abc=","requestId":"r1"}`) // API Gateway's own answer
	sc.send(t, `not json`)
	revoked := api.PushEvent{Type: api.EventSessionRevoked, SessionID: "ses_1", Epoch: 7, Reason: "admin_edit", At: t0}
	sc.send(t, revoked)
	if ev := waitFor(t, pr.events, "an event"); ev != banner {
		t.Fatalf("first event %+v", ev)
	}
	if ev := waitFor(t, pr.events, "an event"); ev != revoked {
		t.Fatalf("second event %+v", ev)
	}

	// API Gateway closes every connection after two hours.
	if err := sc.c.Close(websocket.StatusGoingAway, "max duration"); err != nil {
		t.Fatalf("server close: %v", err)
	}
	st := pr.state(t, PushReconnecting)
	if st.Failures != 1 || st.Err == nil || st.NextRetry.IsZero() {
		t.Fatalf("after the drop: %+v", st)
	}
	pr.state(t, PushConnected)
	sc2 := waitFor(t, srv.conns, "a second connection")
	settings := api.PushEvent{Type: api.EventSettingsChanged, At: t0}
	sc2.send(t, settings)
	if ev := waitFor(t, pr.events, "an event"); ev != settings {
		t.Fatalf("event after reconnect %+v", ev)
	}

	pr.stop(t)
	if code := waitFor(t, sc2.closed, "the close"); code != websocket.StatusNormalClosure {
		t.Fatalf("client closed with %v, want a normal closure", code)
	}
}

// A refused token is refreshed once and the next connection uses the new
// one; after a connection the next refusal gets a refresh again.
func TestPushRefreshesARefusedToken(t *testing.T) {
	noLeaks(t)
	srv := newWSServer(t, "new")
	var tok atomic.Value
	tok.Store("old")
	var refreshes atomic.Int32
	pr := startPush(t, PushConfig{URL: srv.url("/local"), MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
		Token: func(context.Context) (string, error) { return tok.Load().(string), nil },
		RefreshToken: func(context.Context) error {
			refreshes.Add(1)
			srv.mu.Lock()
			tok.Store(srv.token)
			srv.mu.Unlock()
			return nil
		},
	})
	pr.state(t, PushConnecting)
	if q := waitFor(t, srv.refused, "a refusal"); q.Get("access_token") != "old" {
		t.Fatalf("refused %v", q)
	}
	st := pr.state(t, PushReconnecting)
	if !errors.Is(st.Err, errAuth) {
		t.Fatalf("after the refusal: %+v", st)
	}
	pr.state(t, PushConnected)
	if sc := waitFor(t, srv.conns, "a connection"); sc.query.Get("access_token") != "new" {
		t.Fatalf("connected with %v", sc.query)
	}

	// The token expires; the server drops the connection and refuses it.
	srv.setToken("newer")
	srv.mu.Lock()
	_ = srv.open[0].c.Close(websocket.StatusGoingAway, "")
	srv.mu.Unlock()
	pr.state(t, PushReconnecting)
	waitFor(t, srv.refused, "a refusal")
	pr.state(t, PushReconnecting)
	pr.state(t, PushConnected)
	if sc := waitFor(t, srv.conns, "a connection"); sc.query.Get("access_token") != "newer" {
		t.Fatalf("connected with %v", sc.query)
	}
	if n := refreshes.Load(); n != 2 {
		t.Fatalf("%d refreshes, want 2", n)
	}
	pr.stop(t)
}

// Without a way to refresh, refusals back off exponentially (with jitter,
// capped); a connection that lasted StableAfter starts the backoff over.
// The clock is a ManualClock, so the delays are checked exactly.
func TestPushBackoffAndReset(t *testing.T) {
	noLeaks(t)
	clk := NewManualClock(t0)
	srv := newWSServer(t, "good")
	var tok atomic.Value
	tok.Store("bad")
	pr := startPush(t, PushConfig{URL: srv.url("/local"), Clock: clk,
		Token:      func(context.Context) (string, error) { return tok.Load().(string), nil },
		MinBackoff: time.Second, MaxBackoff: 8 * time.Second, StableAfter: time.Minute, PingInterval: time.Hour})
	ctx := testCtx(t)
	pr.state(t, PushConnecting)

	bounds := [][2]time.Duration{{500 * time.Millisecond, time.Second}, {time.Second, 2 * time.Second},
		{2 * time.Second, 4 * time.Second}, {4 * time.Second, 8 * time.Second}, {4 * time.Second, 8 * time.Second}}
	for i, b := range bounds {
		waitFor(t, srv.refused, "a refusal")
		st := pr.state(t, PushReconnecting)
		if st.Failures != i+1 {
			t.Fatalf("failures %d, want %d", st.Failures, i+1)
		}
		between(t, "backoff", st.NextRetry.Sub(clk.Now()), b[0], b[1])
		if i == len(bounds)-1 {
			tok.Store("good")
		}
		clk.AdvanceToNext(ctx)
	}
	pr.state(t, PushConnected)
	sc := waitFor(t, srv.conns, "a connection")

	// Dropped at once: not stable, the backoff goes on growing.
	_ = sc.c.CloseNow()
	st := pr.state(t, PushReconnecting)
	if st.Failures != len(bounds)+1 {
		t.Fatalf("after an unstable connection: %+v", st)
	}
	clk.AdvanceToNext(ctx)
	pr.state(t, PushConnected)
	sc = waitFor(t, srv.conns, "a connection")

	// Stable for a minute, then dropped: the backoff starts over.
	clk.Advance(time.Minute)
	_ = sc.c.CloseNow()
	st = pr.state(t, PushReconnecting)
	if st.Failures != 1 {
		t.Fatalf("after a stable connection: %+v", st)
	}
	between(t, "backoff after a stable connection", st.NextRetry.Sub(clk.Now()), 500*time.Millisecond, time.Second)

	// Stopped while waiting to retry.
	pr.stop(t)
	if n := clk.Pending(); n != 0 {
		t.Fatalf("%d timers left behind", n)
	}
}

// Cancelling while the handshake hangs returns promptly, leaving nothing.
func TestPushStopsDuringAHangingHandshake(t *testing.T) {
	noLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c // and never answers
		}
	}()
	pr := startPush(t, PushConfig{URL: "ws://" + ln.Addr().String() + "/local", Token: staticToken("tok")})
	pr.state(t, PushConnecting)
	c := waitFor(t, accepted, "the handshake")
	defer c.Close()
	pr.stop(t)
	if st := pr.p.Status(); st.State != PushConnecting {
		t.Fatalf("status after a stop mid-handshake: %+v", st)
	}
}

func TestPushConfigErrors(t *testing.T) {
	for _, cfg := range []PushConfig{
		{URL: "http://example.test/", Token: staticToken("t")},
		{URL: "ws:///nohost", Token: staticToken("t")},
		{URL: "ws://example.test/"},
	} {
		if err := NewPush(cfg).Run(context.Background()); err == nil || errors.Is(err, context.Canceled) {
			t.Errorf("Run(%+v) = %v, want a config error", cfg.URL, err)
		}
	}
}

// The desktop's wiring in one story: the push channel tells the keeper that
// another device took the session over, and the keeper ends at once.
func TestPushEndsKeeperOnTakeover(t *testing.T) {
	noLeaks(t)
	clk := NewManualClock(t0)
	hb := newHBServer(t, clk)
	kr := startKeeper(t, KeeperConfig{API: hb.client(fixedToken("tok")), Session: newSession(20), Clock: clk})
	kr.status(t)
	ws := newWSServer(t, "tok")
	other := make(chan api.PushEvent, 10)
	p := NewPush(PushConfig{URL: ws.url("/local"), Token: staticToken("tok"), OnEvent: func(ev api.PushEvent) {
		if !kr.k.HandlePush(ev) {
			other <- ev
		}
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()

	sc := waitFor(t, ws.conns, "a connection")
	sc.send(t, api.PushEvent{Type: api.EventSessionTakenOver, SessionID: "ses_0", Epoch: 6}) // not ours
	holder := api.SessionHolder{DeviceName: "Front desk", Platform: "windows", Since: t0, OnCall: false}
	sc.send(t, api.PushEvent{Type: api.EventSessionTakenOver, SessionID: "ses_1", Epoch: 7, Holder: &holder, At: t0})
	end := kr.ended(t)
	if end.Cause != TakenOver || end.Holder == nil || *end.Holder != holder {
		t.Fatalf("end %+v", end)
	}
	if ev := waitFor(t, other, "the event for the predecessor"); ev.SessionID != "ses_0" {
		t.Fatalf("left to the app: %+v", ev)
	}
	hb.noCall(t)
}
