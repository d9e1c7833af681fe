package session

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
)

// waitTimeout bounds every wait on something the test can observe.
const waitTimeout = 10 * time.Second

var t0 = time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)

// noLeaks checks, after every other cleanup of the test, that no goroutine
// the test started is left.
func noLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// ---- a heartbeat server with a script ----------------------------------------

// reply is one scripted answer; status 0 hangs up without answering.
type reply struct {
	status     int
	code       string
	reason     string
	retryAfter int
	plain      bool // a gateway's text body instead of a problem document
}

var ok200 = reply{status: http.StatusOK}

type hbCall struct {
	path string
	auth string
	req  api.HeartbeatRequest
	at   time.Time // the test clock when the request arrived
}

type hbServer struct {
	*httptest.Server
	clk        *ManualClock
	lease      time.Duration
	inactivity time.Duration // when set, the server's inactivity rule applies

	mu       sync.Mutex
	token    string // the accepted bearer token; "" accepts any
	script   []reply
	fallback reply
	calls    chan hbCall
}

func newHBServer(t *testing.T, clk *ManualClock, script ...reply) *hbServer {
	s := &hbServer{clk: clk, lease: time.Minute, script: script, fallback: ok200, calls: make(chan hbCall, 1000)}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

func (s *hbServer) setToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = tok
}

func (s *hbServer) client(token func() string) *client.Client {
	return client.New(s.URL, client.WithHTTPClient(s.Client()),
		client.WithTokenSource(func(context.Context) (string, error) { return token(), nil }))
}

func (s *hbServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := hbCall{path: r.URL.Path, auth: r.Header.Get("Authorization"), at: s.clk.Now()}
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&call.req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	rep := s.fallback
	switch {
	case s.token != "" && call.auth != "Bearer "+s.token:
		rep = reply{status: http.StatusUnauthorized, code: api.CodeInvalidToken}
	case s.inactivity > 0 && call.at.Sub(call.req.LastActivity) > s.inactivity:
		rep = reply{status: http.StatusGone, code: api.CodeSessionRevoked, reason: "inactivity"}
	case len(s.script) > 0:
		rep, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()
	s.calls <- call

	switch {
	case rep.status == 0:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	case rep.status == http.StatusOK:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(api.HeartbeatResponse{LeaseExpiresAt: call.at.Add(s.lease), HeartbeatInterval: 20})
	case rep.plain:
		http.Error(w, http.StatusText(rep.status), rep.status)
	default:
		w.Header().Set("Content-Type", api.ProblemContentType)
		if rep.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(rep.retryAfter))
		}
		w.WriteHeader(rep.status)
		_ = json.NewEncoder(w).Encode(api.Problem{Type: api.ProblemType(rep.code), Title: http.StatusText(rep.status),
			Status: rep.status, Code: rep.code, Reason: rep.reason, RequestID: "req-test"})
	}
}

// nextCall waits for the server's next heartbeat.
func (s *hbServer) nextCall(t *testing.T) hbCall {
	t.Helper()
	return waitFor(t, s.calls, "a heartbeat")
}

// noCall checks that no heartbeat came in.
func (s *hbServer) noCall(t *testing.T) {
	t.Helper()
	select {
	case c := <-s.calls:
		t.Fatalf("unexpected heartbeat at %v", c.at)
	default:
	}
}

// ---- running a keeper --------------------------------------------------------

type keeperRun struct {
	k        *Keeper
	statuses chan Status
	done     chan error
}

func startKeeper(t *testing.T, cfg KeeperConfig) *keeperRun {
	t.Helper()
	kr := &keeperRun{statuses: make(chan Status, 1000), done: make(chan error, 1)}
	cfg.OnStatus = func(st Status) { kr.statuses <- st }
	kr.k = NewKeeper(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { kr.done <- kr.k.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		waitFor(t, kr.done, "the keeper to stop")
	})
	return kr
}

func (kr *keeperRun) status(t *testing.T) Status {
	t.Helper()
	return waitFor(t, kr.statuses, "a status")
}

// ended waits for Run to return an *Ended, and for the Lost status.
func (kr *keeperRun) ended(t *testing.T) *Ended {
	t.Helper()
	err := waitFor(t, kr.done, "the keeper to end")
	kr.done <- err // for the cleanup
	var end *Ended
	if !errors.As(err, &end) {
		t.Fatalf("Run = %v, want *Ended", err)
	}
	for {
		st := kr.status(t)
		if st.State == Lost {
			if st.End != end {
				t.Fatalf("Lost status carries %v, Run returned %v", st.End, end)
			}
			return end
		}
	}
}

// stepUntilStatus moves the clock from timer to timer, each time once the
// keeper sleeps again, until the keeper reports a status.
func stepUntilStatus(t *testing.T, clk *ManualClock, kr *keeperRun) Status {
	t.Helper()
	ctx := testCtx(t)
	for range 1000 {
		// Wait until the keeper sleeps on the clock or reports (it reports
		// before it sleeps, and does not sleep once it has ended).
		wctx, cancel := context.WithCancel(ctx)
		slept := make(chan error, 1)
		go func() { slept <- clk.WaitPending(wctx, 1) }()
		select {
		case st := <-kr.statuses:
			cancel()
			<-slept
			return st
		case err := <-slept:
			cancel()
			if err != nil {
				t.Fatalf("keeper neither slept nor reported (clock at %v)", clk.Now())
			}
		}
		select {
		case st := <-kr.statuses:
			return st
		default:
		}
		if _, err := clk.AdvanceToNext(ctx); err != nil {
			break
		}
	}
	t.Fatalf("no status (clock at %v, keeper %+v)", clk.Now(), kr.k.Status())
	return Status{}
}

func newSession(interval int) api.Session {
	return api.Session{SessionID: "ses_1", Epoch: 7, LeaseExpiresAt: t0.Add(time.Minute), HeartbeatInterval: interval}
}

func fixedToken(tok string) func() string { return func() string { return tok } }

func between(t *testing.T, what string, got, lo, hi time.Duration) {
	t.Helper()
	if got < lo || got > hi {
		t.Fatalf("%s = %v, want between %v and %v", what, got, lo, hi)
	}
}

// ---- tests -------------------------------------------------------------------

// The brief's script: 200, then 503 twice, then 409 session_taken_over.
func TestKeeperRetriesThenTakenOver(t *testing.T) {
	noLeaks(t)
	clk := NewManualClock(t0)
	srv := newHBServer(t, clk, ok200,
		reply{status: 503, plain: true},
		reply{status: 503, code: api.CodeInternal},
		reply{status: 409, code: api.CodeSessionTakenOver})
	act := t0.Add(-5 * time.Second)
	kr := startKeeper(t, KeeperConfig{
		API: srv.client(fixedToken("tok")), Session: newSession(20), Clock: clk,
		LastActivity: func() time.Time { return act },
		OnCall:       func() bool { return true },
	})
	ctx := testCtx(t)

	if st := kr.status(t); st.State != Healthy || !st.LeaseExpiresAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("first status %+v", st)
	}

	// 200: renewed, nothing to report.
	d, _ := clk.AdvanceToNext(ctx)
	between(t, "first interval", d, 18*time.Second, 20*time.Second)
	c1 := srv.nextCall(t)
	if c1.path != "/v1/sessions/ses_1/heartbeat" || c1.auth != "Bearer tok" {
		t.Fatalf("call %+v", c1)
	}
	if c1.req.Epoch != 7 || !c1.req.LastActivity.Equal(act) || !c1.req.OnCall {
		t.Fatalf("heartbeat body %+v", c1.req)
	}

	// 503 (a gateway's text): Reconnecting, first backoff.
	d, _ = clk.AdvanceToNext(ctx)
	between(t, "second interval", d, 18*time.Second, 20*time.Second)
	c2 := srv.nextCall(t)
	st := kr.status(t)
	var p *api.Problem
	if st.State != Reconnecting || st.Failures != 1 || !errors.As(st.Err, &p) || p.Status != 503 {
		t.Fatalf("after a 503: %+v", st)
	}
	if !st.LeaseExpiresAt.Equal(c1.at.Add(time.Minute)) {
		t.Fatalf("lease %v, want the one the 200 gave (%v)", st.LeaseExpiresAt, c1.at.Add(time.Minute))
	}
	between(t, "first retry", st.NextRetry.Sub(c2.at), 500*time.Millisecond, time.Second)

	// 503 again: backoff doubles.
	clk.AdvanceToNext(ctx)
	c3 := srv.nextCall(t)
	if !c3.at.Equal(st.NextRetry) {
		t.Fatalf("retry went out at %v, planned %v", c3.at, st.NextRetry)
	}
	st = kr.status(t)
	if st.State != Reconnecting || st.Failures != 2 {
		t.Fatalf("after the second 503: %+v", st)
	}
	between(t, "second retry", st.NextRetry.Sub(c3.at), time.Second, 2*time.Second)

	// 409 session_taken_over: the end.
	clk.AdvanceToNext(ctx)
	srv.nextCall(t)
	end := kr.ended(t)
	if end.Cause != TakenOver || end.Problem == nil || end.Problem.Code != api.CodeSessionTakenOver {
		t.Fatalf("end %+v", end)
	}
	if got := kr.k.Status(); got.State != Lost || got.End != end {
		t.Fatalf("Status() = %+v", got)
	}
	srv.noCall(t)
	if n := clk.Pending(); n != 0 {
		t.Fatalf("%d timers left behind", n)
	}
}

func TestKeeperTerminalAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rep    reply
		cause  Cause
		reason string
	}{
		{"revoked", reply{status: 410, code: api.CodeSessionRevoked, reason: "admin_edit"}, Revoked, "admin_edit"},
		{"expired", reply{status: 410, code: api.CodeSessionRevoked, reason: "expired"}, Revoked, "expired"},
		{"gone", reply{status: 404, code: api.CodeNotFound}, NotFound, ""},
		{"forbidden", reply{status: 403, code: api.CodeForbidden}, Rejected, ""},
		{"unauthorized without a refresher", reply{status: 401, code: api.CodeInvalidToken}, Unauthorized, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLeaks(t)
			clk := NewManualClock(t0)
			srv := newHBServer(t, clk, tc.rep)
			kr := startKeeper(t, KeeperConfig{API: srv.client(fixedToken("tok")), Session: newSession(20), Clock: clk})
			kr.status(t)
			clk.AdvanceToNext(testCtx(t))
			srv.nextCall(t)
			end := kr.ended(t)
			if end.Cause != tc.cause || end.Reason != tc.reason || end.Problem == nil || end.Problem.Status != tc.rep.status {
				t.Fatalf("end %+v (problem %+v)", end, end.Problem)
			}
			srv.noCall(t)
		})
	}
}

func TestKeeperRefreshesTokenOnce(t *testing.T) {
	noLeaks(t)
	clk := NewManualClock(t0)
	srv := newHBServer(t, clk)
	srv.setToken("new")
	var tok atomic.Value
	tok.Store("old")
	var refreshes atomic.Int32
	kr := startKeeper(t, KeeperConfig{
		API:     srv.client(func() string { return tok.Load().(string) }),
		Session: newSession(20), Clock: clk,
		RefreshToken: func(context.Context) error {
			refreshes.Add(1)
			tok.Store("new")
			return nil
		},
	})
	ctx := testCtx(t)
	kr.status(t)

	// 401, refresh, the same heartbeat again at once: 200.
	clk.AdvanceToNext(ctx)
	if c := srv.nextCall(t); c.auth != "Bearer old" {
		t.Fatalf("first call %+v", c)
	}
	c := srv.nextCall(t)
	if c.auth != "Bearer new" || !c.at.Equal(clk.Now()) {
		t.Fatalf("retry %+v (clock %v)", c, clk.Now())
	}
	// Still healthy: the next heartbeat comes on the normal interval.
	d, _ := clk.AdvanceToNext(ctx)
	between(t, "interval after the refresh", d, 18*time.Second, 20*time.Second)
	srv.nextCall(t)
	select {
	case st := <-kr.statuses:
		t.Fatalf("a refresh that worked reported %+v", st)
	default:
	}

	// Later the token is refused again and the refresh does not help: one
	// refresh for this 401, then the end.
	srv.setToken("newer")
	clk.AdvanceToNext(ctx)
	srv.nextCall(t)
	srv.nextCall(t)
	end := kr.ended(t)
	if end.Cause != Unauthorized || end.Problem == nil || end.Problem.Code != api.CodeInvalidToken {
		t.Fatalf("end %+v", end)
	}
	if n := refreshes.Load(); n != 2 {
		t.Fatalf("%d refreshes, want one per 401 streak (2)", n)
	}
	srv.noCall(t)
}

func TestKeeperRefreshFailures(t *testing.T) {
	t.Run("network error: retried", func(t *testing.T) {
		noLeaks(t)
		clk := NewManualClock(t0)
		srv := newHBServer(t, clk)
		srv.setToken("new")
		var tok atomic.Value
		tok.Store("old")
		var refreshes atomic.Int32
		kr := startKeeper(t, KeeperConfig{
			API:     srv.client(func() string { return tok.Load().(string) }),
			Session: newSession(20), Clock: clk,
			RefreshToken: func(context.Context) error {
				if refreshes.Add(1) == 1 {
					return &client.NetworkError{Method: "POST", Path: "/v1/auth/refresh", Err: errors.New("connection refused")}
				}
				tok.Store("new")
				return nil
			},
		})
		ctx := testCtx(t)
		kr.status(t)
		clk.AdvanceToNext(ctx)
		srv.nextCall(t)
		st := kr.status(t)
		var ne *client.NetworkError
		if st.State != Reconnecting || !errors.As(st.Err, &ne) {
			t.Fatalf("after a failed refresh: %+v", st)
		}
		clk.AdvanceToNext(ctx)
		if c := srv.nextCall(t); c.auth != "Bearer old" {
			t.Fatalf("retry %+v", c)
		}
		if c := srv.nextCall(t); c.auth != "Bearer new" {
			t.Fatalf("after the refresh %+v", c)
		}
		if st := kr.status(t); st.State != Healthy || st.Failures != 0 {
			t.Fatalf("after recovery: %+v", st)
		}
	})
	t.Run("refresh refused: the end", func(t *testing.T) {
		noLeaks(t)
		clk := NewManualClock(t0)
		srv := newHBServer(t, clk)
		srv.setToken("new")
		refused := &api.Problem{Status: 401, Code: api.CodeInvalidToken}
		kr := startKeeper(t, KeeperConfig{
			API:     srv.client(fixedToken("old")),
			Session: newSession(20), Clock: clk,
			RefreshToken: func(context.Context) error { return refused },
		})
		kr.status(t)
		clk.AdvanceToNext(testCtx(t))
		srv.nextCall(t)
		end := kr.ended(t)
		if end.Cause != Unauthorized || !errors.Is(end.Err, refused) {
			t.Fatalf("end %+v", end)
		}
	})
}

// Failures that may pass are retried with backoff, never past the lease:
// the last try goes out LeaseMargin before it expires, then the session is
// lost.
func TestKeeperNeverRetriesPastTheLease(t *testing.T) {
	noLeaks(t)
	clk := NewManualClock(t0)
	srv := newHBServer(t, clk)
	srv.fallback = reply{status: 0} // hang up, every time
	kr := startKeeper(t, KeeperConfig{API: srv.client(fixedToken("tok")), Session: newSession(20), Clock: clk,
		MinBackoff: time.Second, MaxBackoff: 8 * time.Second})
	ctx := testCtx(t)
	kr.status(t)
	lease := t0.Add(time.Minute)
	last := lease.Add(-DefaultLeaseMargin)

	var calls []hbCall
	for {
		clk.AdvanceToNext(ctx)
		calls = append(calls, srv.nextCall(t))
		st := kr.status(t)
		if st.State == Lost {
			if st.End.Cause != LeaseExpired {
				t.Fatalf("end %+v", st.End)
			}
			var ne *client.NetworkError
			if !errors.As(st.End.Err, &ne) {
				t.Fatalf("the end should carry the last failure, got %v", st.End.Err)
			}
			break
		}
		if st.State != Reconnecting || st.Failures != len(calls) || st.NextRetry.After(last) {
			t.Fatalf("after %d failures: %+v (last retry allowed at %v)", len(calls), st, last)
		}
	}
	if got := calls[len(calls)-1].at; !got.Equal(last) {
		t.Fatalf("last try at %v, want %v", got, last)
	}
	for i := 1; i < len(calls)-1; i++ {
		between(t, "retry delay", calls[i+1].at.Sub(calls[i].at), 0, 8*time.Second)
	}
	if len(calls) < 6 {
		t.Fatalf("only %d tries in the lease", len(calls))
	}
	err := waitFor(t, kr.done, "Run to return")
	kr.done <- err
	var end *Ended
	if !errors.As(err, &end) || end.Cause != LeaseExpired {
		t.Fatalf("Run = %v", err)
	}
}

func TestKeeperHonoursRetryAfterAndRecovers(t *testing.T) {
	noLeaks(t)
	clk := NewManualClock(t0)
	srv := newHBServer(t, clk, reply{status: 429, code: api.CodeTooManyAttempts, retryAfter: 30}, ok200)
	kr := startKeeper(t, KeeperConfig{API: srv.client(fixedToken("tok")), Session: newSession(20), Clock: clk})
	ctx := testCtx(t)
	kr.status(t)
	clk.AdvanceToNext(ctx)
	c := srv.nextCall(t)
	st := kr.status(t)
	if st.State != Reconnecting {
		t.Fatalf("after 429: %+v", st)
	}
	between(t, "wait after 429", st.NextRetry.Sub(c.at), 30*time.Second, 30*time.Second)
	clk.AdvanceToNext(ctx)
	c = srv.nextCall(t)
	st = kr.status(t)
	if st.State != Healthy || st.Failures != 0 || st.Err != nil || !st.LeaseExpiresAt.Equal(c.at.Add(time.Minute)) {
		t.Fatalf("after recovery: %+v", st)
	}
}

func TestKeeperInactivityWarning(t *testing.T) {
	noLeaks(t)
	clk := NewManualClock(t0)
	srv := newHBServer(t, clk)
	srv.inactivity = 3 * time.Minute
	var mu sync.Mutex
	act := t0
	lastActivity := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return act
	}
	kr := startKeeper(t, KeeperConfig{API: srv.client(fixedToken("tok")), Session: newSession(20), Clock: clk,
		LastActivity: lastActivity, InactivityTimeout: 3 * time.Minute})
	kr.status(t)

	// One minute before the timeout: the warning, with the deadline.
	st := stepUntilStatus(t, clk, kr)
	if st.State != Healthy || !st.InactivityDeadline.Equal(t0.Add(3*time.Minute)) || !clk.Now().Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("warning %+v at %v", st, clk.Now())
	}
	if got := kr.k.Status().InactivityDeadline; !got.Equal(st.InactivityDeadline) {
		t.Fatalf("Status() deadline %v", got)
	}

	// "Stay signed in": activity clears it at once.
	clk.Advance(30 * time.Second)
	mu.Lock()
	act = clk.Now()
	mu.Unlock()
	kr.k.Touch()
	if st := kr.status(t); st.State != Healthy || !st.InactivityDeadline.IsZero() {
		t.Fatalf("after activity: %+v", st)
	}
	stayed := clk.Now()

	// No more activity: warned again, then at the deadline the keeper asks
	// the server, which ends the session for inactivity.
	st = stepUntilStatus(t, clk, kr)
	deadline := stayed.Add(3 * time.Minute)
	if !st.InactivityDeadline.Equal(deadline) || !clk.Now().Equal(stayed.Add(2*time.Minute)) {
		t.Fatalf("second warning %+v at %v", st, clk.Now())
	}
	for {
		if st := stepUntilStatus(t, clk, kr); st.State == Lost {
			if st.End.Cause != Revoked || st.End.Reason != "inactivity" {
				t.Fatalf("end %+v", st.End)
			}
			break
		}
	}
	var lastCall hbCall
	for len(srv.calls) > 0 {
		lastCall = <-srv.calls
	}
	// Right after the deadline, not at the next 20-second beat.
	if !lastCall.at.After(deadline) || lastCall.at.After(deadline.Add(deadlineGrace)) {
		t.Fatalf("the deciding heartbeat went at %v, want right after the deadline (%v)", lastCall.at, deadline)
	}
	if !lastCall.req.LastActivity.Equal(stayed) {
		t.Fatalf("last activity sent %v, want %v", lastCall.req.LastActivity, stayed)
	}
}

// A push event about this session ends the keeper at once; events about
// other sessions and tenant events are left to the app.
func TestKeeperHandlePush(t *testing.T) {
	noLeaks(t)
	clk := NewManualClock(t0)
	srv := newHBServer(t, clk)
	kr := startKeeper(t, KeeperConfig{API: srv.client(fixedToken("tok")), Session: newSession(20), Clock: clk})
	kr.status(t)

	holder := &api.SessionHolder{DeviceName: "Laptop 2", Platform: "windows", Since: t0}
	for _, ev := range []api.PushEvent{
		{Type: api.EventBannerChanged},
		{Type: api.EventSessionTakenOver, SessionID: "ses_0", Epoch: 6}, // for the predecessor
		{Type: api.EventSessionRevoked, SessionID: "ses_1", Epoch: 8},
	} {
		if kr.k.HandlePush(ev) {
			t.Fatalf("HandlePush(%+v) = true", ev)
		}
	}
	if !kr.k.HandlePush(api.PushEvent{Type: api.EventSessionTakenOver, SessionID: "ses_1", Epoch: 7, Holder: holder}) {
		t.Fatal("HandlePush(own takeover) = false")
	}
	end := kr.ended(t)
	if end.Cause != TakenOver || end.Holder != holder {
		t.Fatalf("end %+v", end)
	}
	srv.noCall(t)
	// After the end, more events are harmless.
	kr.k.HandlePush(api.PushEvent{Type: api.EventSessionRevoked, SessionID: "ses_1", Epoch: 7, Reason: "admin_logout"})
}

func TestKeeperStopsOnCancel(t *testing.T) {
	noLeaks(t)
	srv := newHBServer(t, NewManualClock(t0))
	kr := &keeperRun{statuses: make(chan Status, 10), done: make(chan error, 1)}
	k := NewKeeper(KeeperConfig{API: srv.client(fixedToken("tok")), Session: newSession(20),
		OnStatus: func(st Status) { kr.statuses <- st }})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { kr.done <- k.Run(ctx) }()
	kr.status(t)
	cancel()
	if err := waitFor(t, kr.done, "Run to return"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	srv.noCall(t)
}

func TestKeeperConfigErrors(t *testing.T) {
	if err := NewKeeper(KeeperConfig{}).Run(context.Background()); err == nil {
		t.Fatal("Run without API and session should fail")
	}
}

func TestForSession(t *testing.T) {
	for _, tc := range []struct {
		ev   api.PushEvent
		want bool
	}{
		{api.PushEvent{Type: api.EventBannerChanged}, true},
		{api.PushEvent{Type: api.EventSettingsChanged}, true},
		{api.PushEvent{Type: api.EventSessionTakenOver, SessionID: "ses_1", Epoch: 7}, true},
		{api.PushEvent{Type: api.EventSessionRevoked, SessionID: "ses_1"}, true},
		{api.PushEvent{Type: api.EventSessionTakenOver, SessionID: "ses_0", Epoch: 6}, false},
		{api.PushEvent{Type: api.EventSessionRevoked, SessionID: "ses_1", Epoch: 6}, false},
	} {
		if got := ForSession(tc.ev, "ses_1", 7); got != tc.want {
			t.Errorf("ForSession(%+v, ses_1, 7) = %v", tc.ev, got)
		}
	}
	// Signed in but no station session yet: only tenant events matter.
	if ForSession(api.PushEvent{Type: api.EventSessionRevoked, SessionID: "ses_1", Epoch: 7}, "", 0) {
		t.Error("a session event concerned a client without a session")
	}
}
