package push_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/dynamo"
	"github.com/agentdesk/agentdesk/functions/keys"
	"github.com/agentdesk/agentdesk/functions/push"
	"github.com/agentdesk/agentdesk/infra/dynamolocal"
	"github.com/agentdesk/agentdesk/infra/wslocal"
	"github.com/agentdesk/agentdesk/shared/api"
)

// syncBuffer collects log output from concurrent goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is the push channel on the embedded DynamoDB behind a real local
// WebSocket gateway, running the handler through Lambda's JSON path.
type env struct {
	store    *dynamo.Store
	keys     *keys.Keys
	handler  *push.Handler
	gw       *wslocal.Server
	notifier *push.Notifier
	logs     *syncBuffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, table := dynamolocal.StartForTest(t)
	e := &env{store: dynamo.New(db, table), keys: keys.Random(), logs: &syncBuffer{}}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.handler = push.NewHandler(auth.NewService(e.store, e.keys, "", log), e.store, log)
	gw, err := wslocal.Start("127.0.0.1:0", wslocal.LambdaInvoker("PushFunction", e.handler.Handle), wslocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	e.gw = gw
	e.notifier = push.NewNotifier(e.store, push.NewHTTPManagement(gw.ManagementEndpoint(), aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, 8), log)
	return e
}

// user stores an active user and returns an access token for it.
func (e *env) user(t *testing.T, tid, uid string, mutate ...func(*domain.User)) string {
	t.Helper()
	now := time.Now().UTC()
	u := &domain.User{ID: uid, TenantID: tid, Email: uid + "@" + tid + ".example.com", DisplayName: uid, Locale: "en",
		Roles: []string{api.RoleAgent}, Status: api.StatusActive, TokenGeneration: 1, Version: 1, CreatedAt: now, UpdatedAt: now}
	for _, m := range mutate {
		m(u)
	}
	if err := e.store.Commit(context.Background(), &domain.Batch{Ops: []domain.Op{domain.CreateUser{User: u}}}); err != nil {
		t.Fatal(err)
	}
	return e.token(t, tid, uid, 1, now.Add(15*time.Minute))
}

func (e *env) token(t *testing.T, tid, uid string, gen int64, exp time.Time) string {
	t.Helper()
	tok, err := auth.SignAccess(e.keys.AccessToken, auth.Claims{Issuer: "agentdesk", Subject: uid, TenantID: tid, Gen: gen,
		Roles: []string{api.RoleAgent}, Device: "dev-claim", IssuedAt: time.Now().Unix(), Expires: exp.Unix(), ID: "jti"})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *env) dial(t *testing.T, token, device string) *websocket.Conn {
	t.Helper()
	c, res, err := e.tryDial(token, device)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, res)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func (e *env) tryDial(token, device string) (*websocket.Conn, *http.Response, error) {
	q := url.Values{}
	if token != "" {
		q.Set(push.ParamAccessToken, token)
	}
	if device != "" {
		q.Set(push.ParamDeviceID, device)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return websocket.Dial(ctx, e.gw.URL()+"?"+q.Encode(), nil)
}

// next reads the next event, failing after a second.
func next(t *testing.T, c *websocket.Conn) api.PushEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("no event within a second: %v", err)
	}
	var ev api.PushEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("event %s: %v", data, err)
	}
	return ev
}

func TestConnectAndReceive(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tokA := e.user(t, "t1", "alice")
	tokB := e.user(t, "t1", "bob")
	tokC := e.user(t, "t2", "carol")
	a1 := e.dial(t, tokA, "laptop")
	a2 := e.dial(t, tokA, "") // device from the token's claims
	b := e.dial(t, tokB, "desk")
	c := e.dial(t, tokC, "")

	conns, err := e.store.ListConnectionsByUser(ctx, "t1", "alice", time.Now())
	if err != nil || len(conns) != 2 {
		t.Fatalf("alice's connections: %v %v", conns, err)
	}
	devices := []string{conns[0].DeviceID, conns[1].DeviceID}
	slices.Sort(devices)
	if !slices.Equal(devices, []string{"dev-claim", "laptop"}) || !slices.Contains(e.gw.Connections(), conns[0].ID) {
		t.Fatalf("stored %+v %+v; gateway has %v", conns[0], conns[1], e.gw.Connections())
	}
	if age := conns[0].ExpiresAt.Sub(conns[0].ConnectedAt); age != domain.ConnectionMaxAge {
		t.Fatalf("connection expires after %v", age)
	}

	at := time.Now().UTC().Truncate(time.Second)
	taken := api.PushEvent{Type: api.EventSessionTakenOver, SessionID: "ses_1", Epoch: 3, At: at,
		Holder: &api.SessionHolder{DeviceName: "Other PC", Platform: "windows", Since: at}}
	if err := e.notifier.Notify(ctx, "t1", "alice", taken); err != nil {
		t.Fatal(err)
	}
	for _, conn := range []*websocket.Conn{a1, a2} {
		got := next(t, conn)
		if got.Type != taken.Type || got.SessionID != "ses_1" || got.Epoch != 3 || !got.At.Equal(at) || got.Holder == nil || got.Holder.DeviceName != "Other PC" {
			t.Fatalf("alice got %+v", got)
		}
	}

	// Tenant-wide: t1's desktops, not t2's. Bob's first message being the
	// banner proves he did not get Alice's event either.
	banner := api.PushEvent{Type: api.EventBannerChanged, At: at}
	if err := e.notifier.NotifyTenant(ctx, "t1", banner); err != nil {
		t.Fatal(err)
	}
	for _, conn := range []*websocket.Conn{a1, a2, b} {
		if got := next(t, conn); got.Type != api.EventBannerChanged {
			t.Fatalf("tenant event: %+v", got)
		}
	}
	if err := e.notifier.Notify(ctx, "t2", "carol", api.PushEvent{Type: api.EventSettingsChanged, At: at}); err != nil {
		t.Fatal(err)
	}
	if got := next(t, c); got.Type != api.EventSettingsChanged {
		t.Fatalf("carol's first event is %+v: another tenant's event reached her", got)
	}
	// Nobody connected: nothing to do, no error.
	if err := e.notifier.Notify(ctx, "t1", "nobody", taken); err != nil {
		t.Fatal(err)
	}

	// The desktop's keep-alive goes through $default and answers nothing;
	// the connection stays usable.
	if err := a1.Write(ctx, websocket.MessageText, []byte(`{"action":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	_ = e.notifier.Notify(ctx, "t1", "alice", banner)
	if got := next(t, a1); got.Type != api.EventBannerChanged {
		t.Fatalf("after a ping: %+v", got)
	}

	for _, tok := range []string{tokA, tokB, tokC} {
		if strings.Contains(e.logs.String(), tok) {
			t.Fatal("an access token reached the logs")
		}
	}
}

func TestBadTokensAreRefused(t *testing.T) {
	e := newEnv(t)
	good := e.user(t, "t1", "alice")
	e.user(t, "t1", "gone", func(u *domain.User) { u.Status = api.StatusDisabled })
	e.user(t, "t1", "reset", func(u *domain.User) { u.ResetRequired = true })
	other := keys.Random()
	forged, _ := auth.SignAccess(other.AccessToken, auth.Claims{Issuer: "agentdesk", Subject: "alice", TenantID: "t1", Gen: 1, Expires: time.Now().Add(time.Hour).Unix()})
	for name, tok := range map[string]string{
		"none":           "",
		"garbage":        "not-a-token",
		"forged":         forged,
		"expired":        e.token(t, "t1", "alice", 1, time.Now().Add(-time.Second)),
		"old generation": e.token(t, "t1", "alice", 0, time.Now().Add(time.Hour)),
		"disabled user":  e.token(t, "t1", "gone", 1, time.Now().Add(time.Hour)),
		"reset required": e.token(t, "t1", "reset", 1, time.Now().Add(time.Hour)),
		"unknown user":   e.token(t, "t1", "ghost", 1, time.Now().Add(time.Hour)),
		"too long":       strings.Repeat("x", 9000),
	} {
		c, res, err := e.tryDial(tok, "")
		if err == nil {
			_ = c.CloseNow()
			t.Errorf("%s: connected", name)
			continue
		}
		if res == nil || res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %v %v, want 401", name, res, err)
		}
	}
	if n := len(e.gw.Connections()); n != 0 {
		t.Fatalf("%d connections open after refusals", n)
	}
	for _, uid := range []string{"alice", "gone", "reset", "ghost"} {
		if cs, _ := e.store.ListConnectionsByUser(context.Background(), "t1", uid, time.Now()); len(cs) != 0 {
			t.Fatalf("a refused connection of %s was stored", uid)
		}
	}
	// A bad device id is refused too, even with a good token.
	if _, res, err := e.tryDial(good, "bad\u202edevice"); err == nil || res.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad device id: %v %v", res, err)
	}
	// The header works for clients that can set one.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, e.gw.URL(), &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + good}}})
	if err != nil {
		t.Fatalf("bearer header: %v", err)
	}
	_ = c.CloseNow()
	if strings.Contains(e.logs.String(), good) || strings.Contains(e.logs.String(), forged) {
		t.Fatal("an access token reached the logs")
	}
}

func TestGoneConnectionsArePruned(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.user(t, "t1", "alice")
	live := e.dial(t, tok, "laptop")
	// Connections API Gateway no longer knows: closed without $disconnect
	// (ids with the characters a path must escape).
	now := time.Now().UTC()
	for _, id := range []string{"c3RhbGU/+x1=", "Z29uZQ=="} {
		if err := e.store.PutConnection(ctx, &domain.Connection{ID: id, TenantID: "t1", UserID: "alice",
			ConnectedAt: now, ExpiresAt: now.Add(domain.ConnectionMaxAge)}); err != nil {
			t.Fatal(err)
		}
	}
	if cs, _ := e.store.ListConnectionsByUser(ctx, "t1", "alice", now); len(cs) != 3 {
		t.Fatalf("%d connections before", len(cs))
	}
	if err := e.notifier.Notify(ctx, "t1", "alice", api.PushEvent{Type: api.EventSessionRevoked, Reason: "disabled", At: now}); err != nil {
		t.Fatalf("gone connections are not a failure: %v", err)
	}
	if got := next(t, live); got.Type != api.EventSessionRevoked || got.Reason != "disabled" {
		t.Fatalf("live connection got %+v", got)
	}
	cs, _ := e.store.ListConnectionsByUser(ctx, "t1", "alice", now)
	if len(cs) != 1 || !slices.Contains(e.gw.Connections(), cs[0].ID) {
		t.Fatalf("after pruning: %+v", cs)
	}
	if all, _ := e.store.ListConnectionsByTenant(ctx, "t1", now); len(all) != 1 {
		t.Fatalf("tenant index still lists %d", len(all))
	}

	// Disconnect closes the user's sockets through the management API.
	if err := e.notifier.Disconnect(ctx, "t1", "alice"); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, _, err := live.Read(rctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("after Disconnect: %v", err)
	}
}

func TestHandlerRoutes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev := func(route, id, body string) events.APIGatewayWebsocketProxyRequest {
		return events.APIGatewayWebsocketProxyRequest{Body: body,
			RequestContext: events.APIGatewayWebsocketProxyRequestContext{RouteKey: route, ConnectionID: id}}
	}
	for _, tc := range []struct {
		route, body string
		want        int
	}{
		{push.RouteDefault, `{"action":"ping"}`, 200},
		{push.RouteDefault, `{"action":"subscribe"}`, 400},
		{push.RouteDefault, `not json`, 400},
		{push.RouteDisconnect, ``, 200}, // unknown ids are fine
	} {
		res, err := e.handler.Handle(ctx, ev(tc.route, "abc=", tc.body))
		if err != nil || res.StatusCode != tc.want {
			t.Errorf("%s %q: %d %v, want %d", tc.route, tc.body, res.StatusCode, err, tc.want)
		}
	}
	// $disconnect forgets a stored connection.
	tok := e.user(t, "t1", "alice")
	connect := ev(push.RouteConnect, "abc=", "")
	connect.QueryStringParameters = map[string]string{push.ParamAccessToken: tok}
	if res, err := e.handler.Handle(ctx, connect); err != nil || res.StatusCode != 200 {
		t.Fatalf("$connect: %d %v", res.StatusCode, err)
	}
	if res, err := e.handler.Handle(ctx, ev(push.RouteDisconnect, "abc=", "")); err != nil || res.StatusCode != 200 {
		t.Fatalf("$disconnect: %d %v", res.StatusCode, err)
	}
	if cs, _ := e.store.ListConnectionsByUser(ctx, "t1", "alice", time.Now()); len(cs) != 0 {
		t.Fatalf("still stored after $disconnect: %+v", cs)
	}
}

// fakeAPI records posts and can fail some connections.
type fakeAPI struct {
	inFlight, peak atomic.Int32
	posted         sync.Map
	fail           map[string]error
	release        chan struct{}
}

func (f *fakeAPI) PostToConnection(ctx context.Context, id string, data []byte) error {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if f.release != nil {
		<-f.release
	}
	if err := f.fail[id]; err != nil {
		return err
	}
	f.posted.Store(id, string(data))
	return nil
}

func (f *fakeAPI) DeleteConnection(context.Context, string) error { return nil }

func TestNotifierBoundsConcurrencyAndReportsFailures(t *testing.T) {
	db, table := dynamolocal.StartForTest(t)
	store := dynamo.New(db, table)
	ctx := context.Background()
	now := time.Now().UTC()
	var ids []string
	for i := range 40 {
		id := fmt.Sprintf("conn%02d=", i)
		ids = append(ids, id)
		if err := store.PutConnection(ctx, &domain.Connection{ID: id, TenantID: "t1", UserID: fmt.Sprintf("u%d", i%7),
			ConnectedAt: now, ExpiresAt: now.Add(domain.ConnectionMaxAge)}); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncBuffer{}
	api1 := &fakeAPI{release: make(chan struct{}), fail: map[string]error{
		"conn03=": errors.New("connection reset"), "conn04=": &push.APIError{Status: 403, Type: "ForbiddenException"}, "conn05=": push.ErrGone,
	}}
	n := push.NewNotifier(store, api1, slog.New(slog.NewJSONHandler(logs, nil)))
	n.Concurrency = 5
	done := make(chan error, 1)
	go func() { done <- n.NotifyTenant(ctx, "t1", api.PushEvent{Type: api.EventSettingsChanged, At: now}) }()
	// Let every post through one by one; at most five are ever waiting.
	for range ids {
		api1.release <- struct{}{}
	}
	err := <-done
	if api1.peak.Load() > 5 || api1.peak.Load() < 2 {
		t.Fatalf("peak concurrency %d, want 2..5", api1.peak.Load())
	}
	if err == nil || !strings.Contains(err.Error(), "2 of 40") {
		t.Fatalf("NotifyTenant error: %v", err)
	}
	delivered := 0
	api1.posted.Range(func(k, v any) bool {
		delivered++
		if !strings.Contains(v.(string), `"type":"settings_changed"`) {
			t.Errorf("%s got %s", k, v)
		}
		return true
	})
	if delivered != 37 {
		t.Fatalf("%d delivered, want 37", delivered)
	}
	// The failures are logged with their connection ids; the gone one is
	// pruned, the failing ones are kept for the next try.
	for _, id := range []string{"conn03=", "conn04="} {
		if !strings.Contains(logs.String(), `"connection_id":"`+id+`"`) {
			t.Errorf("failure of %s not logged:\n%s", id, logs)
		}
	}
	left, _ := store.ListConnectionsByTenant(ctx, "t1", now)
	if len(left) != 39 || slices.ContainsFunc(left, func(c *domain.Connection) bool { return c.ID == "conn05=" }) {
		t.Fatalf("%d left after pruning one", len(left))
	}
}
