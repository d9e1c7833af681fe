// Package wslocal is the local API Gateway WebSocket API: a loopback server
// that accepts WebSocket connections and runs them through a Lambda
// handler the way API Gateway would, and that answers API Gateway's
// management API for those connections, so the push channel runs the same
// code locally as in AWS.
//
// The WebSocket URL is ws://{addr}/{stage} and the management endpoint
// http://{addr}/{stage}, as in AWS (wss://{api}.execute-api.{region}.
// amazonaws.com/{stage} and https://… of the same host and stage).
//
// For every connection it
//   - builds the events.APIGatewayWebsocketProxyRequest API Gateway sends
//     ($connect: eventType CONNECT with headers and query string;
//     messages: MESSAGE with the route chosen by $request.body.action, else
//     $default; $disconnect: DISCONNECT with the close code and reason),
//     with a random connectionId shaped like API Gateway's, and invokes the
//     handler through aws-lambda-go's JSON path (lambda.NewHandler(…).Invoke);
//   - refuses the upgrade with the handler's status when $connect answers
//     anything but 2xx, and with 500 when it fails;
//   - sends {"message":"Internal server error",…} to the client when a
//     message's invocation fails, and nothing on success (no route
//     responses: the API is one-way, server to client);
//   - closes connections idle for IdleTimeout (10 minutes) or open for
//     MaxDuration (2 hours), and limits messages to 128 KB, like API Gateway.
//
// The management API: POST {endpoint}/@connections/{id} sends the body as
// one message, DELETE closes the connection, GET describes it; unknown or
// closed ids answer 410 GoneException. Requests must carry a SigV4
// Authorization header for execute-api (the signature is not checked).
package wslocal

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/infra/lambdarun"
	"github.com/agentdesk/agentdesk/infra/template"
)

// Values that appear in the events and limits API Gateway enforces.
const (
	Stage              = "local"
	APIID              = "localws"
	AccountID          = "000000000000"
	Region             = "us-east-1"
	MaxMessage         = 128 << 10 // API Gateway's WebSocket message limit
	DefaultIdleTimeout = 10 * time.Minute
	DefaultMaxDuration = 2 * time.Hour
	DefaultTimeout     = 29 * time.Second // API Gateway's integration timeout

	RouteConnect    = "$connect"
	RouteDisconnect = "$disconnect"
	RouteDefault    = "$default"
)

// Invoke runs the function for one WebSocket event, as Lambda would.
type Invoke func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error)

// LambdaInvoker runs handler (any handler lambda.Start accepts) the way
// Lambda does: the event as JSON through lambda.NewHandler(handler).Invoke,
// the response decoded from JSON. fn names the function in the context's
// ARN.
func LambdaInvoker(fn string, handler any) Invoke {
	// aws-lambda-go reuses a handler's output buffer: one per concurrent
	// invocation, like Lambda instances.
	pool := &sync.Pool{New: func() any { return lambda.NewHandler(handler) }}
	return func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		var resp events.APIGatewayProxyResponse
		payload, err := json.Marshal(ev)
		if err != nil {
			return resp, fmt.Errorf("%s: encode event: %w", fn, err)
		}
		ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
			AwsRequestID:       uuid(),
			InvokedFunctionArn: "arn:aws:lambda:" + Region + ":" + AccountID + ":function:" + fn,
		})
		lh := pool.Get().(lambda.Handler)
		out, err := lh.Invoke(ctx, payload)
		if err == nil {
			err = json.Unmarshal(out, &resp) // before out's buffer is reused
		}
		pool.Put(lh)
		if err != nil {
			return events.APIGatewayProxyResponse{}, fmt.Errorf("%s: %w", fn, err)
		}
		return resp, nil
	}
}

// RouteKeys returns the route keys of the template's WebSocket API routes
// (AWS::ApiGatewayV2::Route resources).
func RouteKeys(tpl *template.Template) []string {
	var keys []string
	for _, r := range tpl.Resources {
		if r.Type != "AWS::ApiGatewayV2::Route" {
			continue
		}
		if k, ok := r.Properties["RouteKey"].(string); ok && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Options tune a Server.
type Options struct {
	// Stage is the first path segment (default Stage).
	Stage string
	// Routes are the API's route keys (default $connect, $disconnect,
	// $default); a message whose "action" names a route goes there.
	Routes []string
	// Timeout limits each invocation (default DefaultTimeout).
	Timeout     time.Duration
	IdleTimeout time.Duration // default DefaultIdleTimeout
	MaxDuration time.Duration // default DefaultMaxDuration
	// AllowUnsigned accepts management calls without a SigV4 header.
	AllowUnsigned bool
	// Log receives one line per connection event and failures; never
	// query strings, headers or message bodies. Nil logs nothing.
	Log *slog.Logger
}

// Server is a running local WebSocket API.
type Server struct {
	opt    Options
	ln     net.Listener
	http   *http.Server
	invoke Invoke

	mu     sync.Mutex
	conns  map[string]*conn
	closed bool
	wg     sync.WaitGroup // connections and their $disconnect
}

type conn struct {
	id          string
	ready       chan struct{}   // closed once the handshake is done
	ws          *websocket.Conn // set before ready is closed; nil if the handshake failed
	connectedAt time.Time
	lastActive  atomic.Int64 // unix ms
	sourceIP    string
	userAgent   string
	domain      string
	// closeCode/closeReason say why it closed; set once, by whoever
	// closed it first.
	closeOnce   sync.Once
	closeCode   websocket.StatusCode
	closeReason string
}

// Listen binds addr (use 127.0.0.1:0 for any free port); Serve starts it.
// The URLs are known from here on, so a Notifier can be wired before the
// handler exists.
func Listen(addr string, opt Options) (*Server, error) {
	if opt.Stage == "" {
		opt.Stage = Stage
	}
	if len(opt.Routes) == 0 {
		opt.Routes = []string{RouteConnect, RouteDisconnect, RouteDefault}
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = DefaultIdleTimeout
	}
	if opt.MaxDuration <= 0 {
		opt.MaxDuration = DefaultMaxDuration
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{opt: opt, ln: ln, conns: map[string]*conn{}}
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// Serve starts serving connections with invoke.
func (s *Server) Serve(invoke Invoke) {
	s.invoke = invoke
	go func() { _ = s.http.Serve(s.ln) }()
}

// Start is Listen then Serve.
func Start(addr string, invoke Invoke, opt Options) (*Server, error) {
	s, err := Listen(addr, opt)
	if err != nil {
		return nil, err
	}
	s.Serve(invoke)
	return s, nil
}

// Addr is the bound host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the WebSocket URL clients connect to.
func (s *Server) URL() string { return "ws://" + s.Addr() + "/" + s.opt.Stage }

// ManagementEndpoint is the management API's endpoint (append
// /@connections/{id}).
func (s *Server) ManagementEndpoint() string { return "http://" + s.Addr() + "/" + s.opt.Stage }

// Connections returns the ids of the open connections.
func (s *Server) Connections() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.conns))
	for id := range s.conns {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Close stops accepting, closes every connection (code 1001, as API
// Gateway does on a deployment change) and waits for their $disconnect
// invocations.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	open := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		open = append(open, c)
	}
	s.mu.Unlock()
	err := s.http.Close()
	_ = s.ln.Close() // when Serve never ran
	for _, c := range open {
		s.closeConn(c, websocket.StatusGoingAway, "Going away")
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(s.opt.Timeout + 5*time.Second):
		err = errors.Join(err, errors.New("wslocal: connections still closing"))
	}
	return err
}

// ServeHTTP implements http.Handler: WebSocket upgrades on /{stage}, the
// management API under /{stage}/@connections/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix := "/" + s.opt.Stage
	path := r.URL.EscapedPath()
	if rest, ok := strings.CutPrefix(path, prefix+"/@connections/"); ok {
		id, err := url.PathUnescape(rest)
		if err != nil || rest == "" || strings.Contains(rest, "/") {
			writeMessage(w, http.StatusNotFound, "NotFoundException", "Not Found")
			return
		}
		s.manage(w, r, id)
		return
	}
	if path != prefix && path != prefix+"/" {
		writeMessage(w, http.StatusForbidden, "", "Forbidden")
		return
	}
	s.connect(w, r)
}

func (s *Server) logger() *slog.Logger {
	if s.opt.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.opt.Log
}

// run invokes the function with the integration timeout; a client going
// away does not cancel an invocation.
func (s *Server) run(ev events.APIGatewayWebsocketProxyRequest) (resp events.APIGatewayProxyResponse, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opt.Timeout)
	defer cancel()
	resp, err = lambdarun.Invoke(ctx, s.invoke, ev)
	if errors.Is(err, context.DeadlineExceeded) {
		return resp, fmt.Errorf("%s timed out after %v", ev.RequestContext.RouteKey, s.opt.Timeout)
	}
	return resp, err
}

func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	if !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket") {
		writeMessage(w, http.StatusUpgradeRequired, "", "Upgrade Required")
		return
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		writeMessage(w, http.StatusServiceUnavailable, "", "Service Unavailable")
		return
	}
	now := time.Now()
	c := &conn{id: connectionID(), connectedAt: now, sourceIP: sourceIP(r), userAgent: r.UserAgent(), domain: r.Host, ready: make(chan struct{})}
	c.lastActive.Store(now.UnixMilli())
	ev := s.event(c, RouteConnect, "CONNECT", now)
	ev.Headers, ev.MultiValueHeaders = connectHeaders(r, c.sourceIP, now)
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = map[string]string{}, map[string][]string(q)
		for k, v := range q {
			ev.QueryStringParameters[k] = v[len(v)-1]
		}
	}
	log := s.logger().With("connection_id", c.id)
	resp, err := s.run(ev)
	if err != nil {
		log.Error("ws $connect failed", "err", err)
		writeMessage(w, http.StatusInternalServerError, "", "Internal server error")
		return
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		log.Info("ws connection refused", "status", resp.StatusCode)
		writeMessage(w, resp.StatusCode, "", http.StatusText(resp.StatusCode))
		return
	}
	var sub []string
	for k, v := range resp.Headers {
		if strings.EqualFold(k, "Sec-WebSocket-Protocol") {
			sub = []string{v}
		}
	}
	// Registered before the handshake answers, so that the management API
	// knows the connection as soon as the client does.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeMessage(w, http.StatusServiceUnavailable, "", "Service Unavailable")
		s.disconnect(c, websocket.StatusGoingAway, "Going away")
		return
	}
	s.conns[c.id] = c
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// API Gateway checks no Origin: the $connect handler decides.
		InsecureSkipVerify: true, Subprotocols: sub, CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		close(c.ready)
		s.forget(c)
		log.Warn("ws upgrade failed", "err", err)
		s.disconnect(c, websocket.StatusAbnormalClosure, "Handshake failed")
		return
	}
	ws.SetReadLimit(MaxMessage)
	c.ws = ws
	close(c.ready)
	log.Info("ws connected")
	s.serveConn(c)
}

// serveConn reads messages until the connection ends, then runs $disconnect.
func (s *Server) serveConn(c *conn) {
	idle := time.AfterFunc(s.opt.IdleTimeout, func() { s.closeConn(c, websocket.StatusGoingAway, "Going away") })
	limit := time.AfterFunc(s.opt.MaxDuration, func() { s.closeConn(c, websocket.StatusGoingAway, "Going away") })
	defer idle.Stop()
	defer limit.Stop()
	var err error
	for {
		var typ websocket.MessageType
		var data []byte
		typ, data, err = c.ws.Read(context.Background())
		if err != nil {
			break
		}
		idle.Reset(s.opt.IdleTimeout)
		c.lastActive.Store(time.Now().UnixMilli())
		s.message(c, typ, data)
	}
	// Unless the server closed it first, the client did (or the socket broke).
	c.closeOnce.Do(func() {
		var ce websocket.CloseError
		switch {
		case errors.As(err, &ce):
			c.closeCode, c.closeReason = ce.Code, ce.Reason
		case errors.Is(err, websocket.ErrMessageTooBig):
			c.closeCode, c.closeReason = websocket.StatusMessageTooBig, "Message too big"
		default:
			c.closeCode, c.closeReason = websocket.StatusAbnormalClosure, "Connection closed abnormally"
		}
		_ = c.ws.CloseNow()
	})
	s.forget(c)
	code, reason := c.closeCode, c.closeReason
	s.disconnect(c, code, reason)
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	if s.conns[c.id] == c {
		delete(s.conns, c.id)
	}
	s.mu.Unlock()
}

// closeConn closes a connection from the server side (idle, too old,
// DeleteConnection, shutdown). It returns at once; serveConn runs
// $disconnect when the socket is done.
func (s *Server) closeConn(c *conn, code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason = code, reason
		s.forget(c)
		go func() {
			<-c.ready
			if c.ws != nil {
				_ = c.ws.Close(code, reason)
			}
		}()
	})
}

func (s *Server) disconnect(c *conn, code websocket.StatusCode, reason string) {
	now := time.Now()
	ev := s.event(c, RouteDisconnect, "DISCONNECT", now)
	ev.Headers = map[string]string{"Host": c.domain, "X-Forwarded-For": c.sourceIP, "X-Forwarded-Proto": "http"}
	ev.RequestContext.DisconnectStatusCode = int64(code)
	ev.RequestContext.DisconnectReason = &reason
	if !slices.Contains(s.opt.Routes, RouteDisconnect) {
		return
	}
	if _, err := s.run(ev); err != nil {
		s.logger().Error("ws $disconnect failed", "connection_id", c.id, "err", err)
		return
	}
	s.logger().Info("ws disconnected", "connection_id", c.id, "code", int(code))
}

// message routes one client message ($request.body.action, else $default).
func (s *Server) message(c *conn, typ websocket.MessageType, data []byte) {
	route := ""
	if typ == websocket.MessageText {
		var body map[string]any
		if json.Unmarshal(data, &body) == nil {
			if a, ok := body["action"].(string); ok && !strings.HasPrefix(a, "$") && slices.Contains(s.opt.Routes, a) {
				route = a
			}
		}
	}
	if route == "" && slices.Contains(s.opt.Routes, RouteDefault) {
		route = RouteDefault
	}
	now := time.Now()
	ev := s.event(c, route, "MESSAGE", now)
	ev.RequestContext.MessageID = randomB64(12)
	if typ == websocket.MessageText && utf8.Valid(data) {
		ev.Body = string(data)
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(data), true
	}
	if route == "" {
		s.reply(c, `{"message": "Forbidden", "connectionId":"%s", "requestId":"%s"}`, ev.RequestContext.RequestID)
		return
	}
	if _, err := s.run(ev); err != nil {
		s.logger().Error("ws message failed", "connection_id", c.id, "route", route, "err", err)
		s.reply(c, `{"message": "Internal server error", "connectionId":"%s", "requestId":"%s"}`, ev.RequestContext.RequestID)
	}
}

func (s *Server) reply(c *conn, format, reqID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.ws.Write(ctx, websocket.MessageText, fmt.Appendf(nil, format, c.id, reqID))
}

// event fills what every WebSocket event carries.
func (s *Server) event(c *conn, route, eventType string, now time.Time) events.APIGatewayWebsocketProxyRequest {
	reqID := randomB64(11)
	return events.APIGatewayWebsocketProxyRequest{
		RequestContext: events.APIGatewayWebsocketProxyRequestContext{
			RouteKey: route, EventType: eventType, MessageDirection: "IN",
			ExtendedRequestID: reqID, RequestID: reqID,
			RequestTime:      now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch: now.UnixMilli(),
			Stage:            s.opt.Stage, DomainName: c.domain, APIID: APIID, AccountID: AccountID,
			ConnectedAt: c.connectedAt.UnixMilli(), ConnectionID: c.id,
			Identity: events.APIGatewayRequestIdentity{SourceIP: c.sourceIP, UserAgent: c.userAgent},
		},
	}
}

func connectHeaders(r *http.Request, ip string, now time.Time) (map[string]string, map[string][]string) {
	single, multi := map[string]string{}, map[string][]string{}
	for k, v := range r.Header {
		single[k], multi[k] = strings.Join(v, ","), slices.Clone(v)
	}
	port := "80"
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	xff := ip
	if prev := r.Header.Get("X-Forwarded-For"); prev != "" {
		xff = prev + ", " + ip
	}
	var trace [12]byte
	_, _ = rand.Read(trace[:])
	for k, v := range map[string]string{
		"Host": r.Host, "X-Forwarded-For": xff, "X-Forwarded-Port": port, "X-Forwarded-Proto": "http",
		"X-Amzn-Trace-Id": fmt.Sprintf("Root=1-%08x-%s", now.Unix(), hex.EncodeToString(trace[:])),
	} {
		single[k], multi[k] = v, []string{v}
	}
	return single, multi
}

// manage serves the management API for one connection id.
func (s *Server) manage(w http.ResponseWriter, r *http.Request, id string) {
	if !s.opt.AllowUnsigned && !signed(r) {
		writeMessage(w, http.StatusForbidden, "ForbiddenException", "Missing Authentication Token")
		return
	}
	s.mu.Lock()
	c := s.conns[id]
	s.mu.Unlock()
	if c != nil {
		select {
		case <-c.ready:
		case <-r.Context().Done():
			return
		}
		if c.ws == nil {
			c = nil
		}
	}
	switch r.Method {
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxMessage+1))
		if err != nil {
			writeMessage(w, http.StatusBadRequest, "BadRequestException", "Bad Request")
			return
		}
		if len(body) > MaxMessage {
			writeMessage(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException", "Message too long")
			return
		}
		if c == nil {
			gone(w)
			return
		}
		typ := websocket.MessageText
		if !utf8.Valid(body) {
			typ = websocket.MessageBinary
		}
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := c.ws.Write(ctx, typ, body); err != nil {
			s.logger().Info("ws post to a closing connection", "connection_id", id, "err", err)
			gone(w)
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		if c == nil {
			gone(w)
			return
		}
		s.closeConn(c, websocket.StatusNormalClosure, "")
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet:
		if c == nil {
			gone(w)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"connectedAt":  c.connectedAt.UTC().Format(time.RFC3339Nano),
			"lastActiveAt": time.UnixMilli(c.lastActive.Load()).UTC().Format(time.RFC3339Nano),
			"identity":     map[string]string{"sourceIp": c.sourceIP, "userAgent": c.userAgent},
		})
	default:
		writeMessage(w, http.StatusNotFound, "NotFoundException", "Not Found")
	}
}

// signed reports whether the request carries a SigV4 header for execute-api.
func signed(r *http.Request) bool {
	a := r.Header.Get("Authorization")
	return strings.HasPrefix(a, "AWS4-HMAC-SHA256 Credential=") && strings.Contains(a, "/execute-api/aws4_request") &&
		r.Header.Get("X-Amz-Date") != ""
}

func gone(w http.ResponseWriter) {
	w.Header().Set("X-Amzn-Errortype", "GoneException")
	writeJSON(w, http.StatusGone, map[string]any{"message": nil})
}

func writeMessage(w http.ResponseWriter, status int, errType, msg string) {
	if errType != "" {
		w.Header().Set("X-Amzn-Errortype", errType)
	}
	writeJSON(w, status, map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func sourceIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// connectionID makes an id shaped like API Gateway's ("L0SM9cOFvHcCIhw=").
func connectionID() string { return randomB64(11) }

func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
