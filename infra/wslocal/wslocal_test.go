package wslocal_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/functions/push"
	"github.com/agentdesk/agentdesk/infra/template"
	"github.com/agentdesk/agentdesk/infra/wslocal"
)

// recorder is a fake PushFunction: it admits ?token=ok, fails messages
// whose body is "boom", and records every event it is handed.
type recorder struct {
	events chan events.APIGatewayWebsocketProxyRequest
}

func (r *recorder) handle(_ context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	r.events <- ev
	if ev.RequestContext.RouteKey == "$connect" && ev.QueryStringParameters["token"] != "ok" {
		return events.APIGatewayProxyResponse{StatusCode: 401}, nil
	}
	if ev.Body == "boom" {
		return events.APIGatewayProxyResponse{}, errors.New("boom")
	}
	return events.APIGatewayProxyResponse{StatusCode: 200}, nil
}

func (r *recorder) next(t *testing.T, route string) events.APIGatewayWebsocketProxyRequest {
	t.Helper()
	select {
	case ev := <-r.events:
		if ev.RequestContext.RouteKey != route {
			t.Fatalf("got %s (%s), want %s", ev.RequestContext.RouteKey, ev.RequestContext.EventType, route)
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s event", route)
	}
	panic("unreachable")
}

func start(t *testing.T, opt wslocal.Options) (*wslocal.Server, *recorder) {
	t.Helper()
	rec := &recorder{events: make(chan events.APIGatewayWebsocketProxyRequest, 32)}
	srv, err := wslocal.Start("127.0.0.1:0", wslocal.LambdaInvoker("PushFunction", rec.handle), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, rec
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"User-Agent": {"wslocal-test"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func mgmt(srv *wslocal.Server) *push.HTTPManagement {
	return push.NewHTTPManagement(srv.ManagementEndpoint(), aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, 4)
}

func read(t *testing.T, c *websocket.Conn) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := c.Read(ctx)
	return string(data), err
}

var idShape = regexp.MustCompile(`^[A-Za-z0-9+/]{15}=$`)

func TestConnectEventsAndRefusal(t *testing.T) {
	srv, rec := start(t, wslocal.Options{})
	if !strings.HasPrefix(srv.URL(), "ws://127.0.0.1:") || !strings.HasSuffix(srv.URL(), "/"+wslocal.Stage) {
		t.Fatalf("URL %s", srv.URL())
	}

	// Refused: the handler's status reaches the client, nothing stays open.
	_, res, err := websocket.Dial(context.Background(), srv.URL()+"?token=bad", nil)
	if err == nil || res == nil || res.StatusCode != 401 {
		t.Fatalf("bad token: %v %v", res, err)
	}
	rec.next(t, "$connect")
	if n := len(srv.Connections()); n != 0 {
		t.Fatalf("%d connections after a refusal", n)
	}

	c := dial(t, srv.URL()+"?token=ok&device_id=d1&device_id=d2")
	ev := rec.next(t, "$connect")
	rc := ev.RequestContext
	if rc.EventType != "CONNECT" || rc.MessageDirection != "IN" || rc.Stage != wslocal.Stage || rc.APIID == "" || rc.RequestID == "" ||
		rc.ConnectedAt == 0 || rc.RequestTimeEpoch == 0 || rc.Identity.SourceIP != "127.0.0.1" || rc.Identity.UserAgent != "wslocal-test" {
		t.Fatalf("request context: %+v", rc)
	}
	if !idShape.MatchString(rc.ConnectionID) {
		t.Fatalf("connection id %q is not shaped like API Gateway's", rc.ConnectionID)
	}
	if ev.QueryStringParameters["device_id"] != "d2" || !slices.Equal(ev.MultiValueQueryStringParameters["device_id"], []string{"d1", "d2"}) {
		t.Fatalf("query: %v %v", ev.QueryStringParameters, ev.MultiValueQueryStringParameters)
	}
	if ev.Headers["Host"] == "" || ev.Headers["Sec-Websocket-Key"] == "" || ev.Headers["X-Forwarded-For"] != "127.0.0.1" {
		t.Fatalf("headers: %v", ev.Headers)
	}
	if got := srv.Connections(); !slices.Equal(got, []string{rc.ConnectionID}) {
		t.Fatalf("open connections %v", got)
	}

	// Messages: the action picks the route, else $default.
	if err := c.Write(context.Background(), websocket.MessageText, []byte(`{"action":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	msg := rec.next(t, "$default")
	if msg.RequestContext.EventType != "MESSAGE" || msg.Body != `{"action":"ping"}` || msg.RequestContext.ConnectionID != rc.ConnectionID ||
		msg.RequestContext.MessageID == nil {
		t.Fatalf("message event: %+v", msg)
	}
	// A failing invocation is reported to the client as API Gateway does.
	_ = c.Write(context.Background(), websocket.MessageText, []byte("boom"))
	rec.next(t, "$default")
	got, err := read(t, c)
	if err != nil || !strings.Contains(got, `"Internal server error"`) || !strings.Contains(got, rc.ConnectionID) {
		t.Fatalf("error reply %q %v", got, err)
	}

	// The client closes: $disconnect with its close code.
	_ = c.Close(websocket.StatusNormalClosure, "bye")
	dis := rec.next(t, "$disconnect")
	if dis.RequestContext.EventType != "DISCONNECT" || dis.RequestContext.ConnectionID != rc.ConnectionID ||
		dis.RequestContext.DisconnectStatusCode != 1000 || dis.RequestContext.DisconnectReason == nil || *dis.RequestContext.DisconnectReason != "bye" {
		t.Fatalf("disconnect event: %+v", dis.RequestContext)
	}
	if n := len(srv.Connections()); n != 0 {
		t.Fatalf("%d connections after close", n)
	}
}

func TestRoutesFromTemplate(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	if got := wslocal.RouteKeys(tpl); !slices.Equal(got, []string{"$connect", "$default", "$disconnect"}) {
		t.Fatalf("template WebSocket routes %v", got)
	}
	srv, rec := start(t, wslocal.Options{Routes: []string{"$connect", "$disconnect", "$default", "subscribe"}})
	c := dial(t, srv.URL()+"?token=ok")
	rec.next(t, "$connect")
	_ = c.Write(context.Background(), websocket.MessageText, []byte(`{"action":"subscribe","topic":"x"}`))
	rec.next(t, "subscribe")
	_ = c.Write(context.Background(), websocket.MessageText, []byte(`{"action":"$connect"}`))
	rec.next(t, "$default")
	_ = c.Write(context.Background(), websocket.MessageBinary, []byte{0xff, 0x00})
	if ev := rec.next(t, "$default"); !ev.IsBase64Encoded || ev.Body != "/wA=" {
		t.Fatalf("binary message: %q %v", ev.Body, ev.IsBase64Encoded)
	}
}

func TestManagementAPI(t *testing.T) {
	srv, rec := start(t, wslocal.Options{})
	c := dial(t, srv.URL()+"?token=ok")
	id := rec.next(t, "$connect").RequestContext.ConnectionID
	m := mgmt(srv)
	ctx := context.Background()

	if err := m.PostToConnection(ctx, id, []byte(`{"type":"banner_changed"}`)); err != nil {
		t.Fatal(err)
	}
	if got, err := read(t, c); err != nil || got != `{"type":"banner_changed"}` {
		t.Fatalf("pushed %q %v", got, err)
	}
	if err := m.PostToConnection(ctx, "bm90LWEtY29ubg==", []byte("x")); !errors.Is(err, push.ErrGone) {
		t.Fatalf("unknown id: %v, want ErrGone", err)
	}

	// Unsigned calls are refused, as AWS would.
	res, err := http.Post(srv.ManagementEndpoint()+"/@connections/"+strings.ReplaceAll(id, "/", "%2F"), "application/json", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("unsigned post: %d %s", res.StatusCode, body)
	}

	// Too large for API Gateway.
	var ae *push.APIError
	if err := m.PostToConnection(ctx, id, make([]byte, wslocal.MaxMessage+1)); !errors.As(err, &ae) || ae.Status != 413 {
		t.Fatalf("oversized post: %v", err)
	}

	// DELETE closes the socket; $disconnect follows; the id is gone.
	if err := m.DeleteConnection(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := read(t, c); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("after DeleteConnection the client read %v", err)
	}
	if dis := rec.next(t, "$disconnect"); dis.RequestContext.ConnectionID != id || dis.RequestContext.DisconnectStatusCode != 1000 {
		t.Fatalf("disconnect: %+v", dis.RequestContext)
	}
	if err := m.PostToConnection(ctx, id, []byte("x")); !errors.Is(err, push.ErrGone) {
		t.Fatalf("post after delete: %v", err)
	}
	if err := m.DeleteConnection(ctx, id); !errors.Is(err, push.ErrGone) {
		t.Fatalf("delete after delete: %v", err)
	}
}

func TestIdleTimeoutAndShutdown(t *testing.T) {
	srv, rec := start(t, wslocal.Options{IdleTimeout: 200 * time.Millisecond})
	idle := dial(t, srv.URL()+"?token=ok")
	rec.next(t, "$connect")
	if _, err := read(t, idle); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("idle connection: %v", err)
	}
	if dis := rec.next(t, "$disconnect"); dis.RequestContext.DisconnectStatusCode != 1001 {
		t.Fatalf("idle disconnect code %d", dis.RequestContext.DisconnectStatusCode)
	}

	srv2, rec2 := start(t, wslocal.Options{})
	c := dial(t, srv2.URL()+"?token=ok")
	id := rec2.next(t, "$connect").RequestContext.ConnectionID
	go func() { _, _ = read(t, c) }() // answer the close handshake
	if err := srv2.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waited for $disconnect.
	select {
	case ev := <-rec2.events:
		if ev.RequestContext.RouteKey != "$disconnect" || ev.RequestContext.ConnectionID != id {
			t.Fatalf("after Close: %+v", ev.RequestContext)
		}
	default:
		t.Fatal("Close returned before $disconnect ran")
	}
}

func TestManagementGet(t *testing.T) {
	srv, rec := start(t, wslocal.Options{AllowUnsigned: true})
	dial(t, srv.URL()+"?token=ok")
	id := rec.next(t, "$connect").RequestContext.ConnectionID
	res, err := http.Get(srv.ManagementEndpoint() + "/@connections/" + strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D").Replace(id))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var info struct {
		ConnectedAt string `json:"connectedAt"`
		Identity    struct {
			SourceIP string `json:"sourceIp"`
		} `json:"identity"`
	}
	if err := json.NewDecoder(res.Body).Decode(&info); err != nil || res.StatusCode != 200 || info.Identity.SourceIP != "127.0.0.1" || info.ConnectedAt == "" {
		t.Fatalf("GET connection: %d %+v %v", res.StatusCode, info, err)
	}
}
