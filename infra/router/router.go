// Package router is the local API Gateway: an http.Handler that serves the
// HttpApi routes of template.yaml by invoking each function's handler the way
// API Gateway (HTTP API, payload format 2.0) and Lambda would.
//
// For every request it matches the route (path parameters {id}, greedy
// {proxy+}, ANY, $default; most specific route first), builds the
// events.APIGatewayV2HTTPRequest API Gateway would send, serialises it to
// JSON and invokes the function through
// lambda.NewHandler(httpadapter.NewV2(h).ProxyWithContext), the same code
// path as the Lambda main, then maps the response back to HTTP.
//
// Like API Gateway it answers 404 {"message":"Not Found"} when no route
// matches (a known path with another method included), 413 for bodies over
// 10 MB, 500 {"message":"Internal Server Error"} when the function fails,
// panics, times out or returns a malformed response, and adds an
// apigw-requestid header to every response. Like Lambda it limits the event
// and the response to 6 MB and gives the handler a context with the
// function's deadline and a lambdacontext.LambdaContext. Each concurrent
// invocation gets its own Lambda handler instance (aws-lambda-go reuses an
// output buffer, as one Lambda instance serves one request at a time).
package router

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
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/agentdesk/agentdesk/infra/lambdarun"
	"github.com/agentdesk/agentdesk/infra/template"
)

// Limits enforced like API Gateway and Lambda.
const (
	// MaxRequestBody is API Gateway's payload limit (10 MB).
	MaxRequestBody = 10 << 20
	// MaxInvokePayload is Lambda's synchronous invocation limit for the
	// event and for the response (6 MB).
	MaxInvokePayload = 6 << 20
)

// Values that appear in the events.
const (
	Stage     = "$default"
	APIID     = "local"
	AccountID = "000000000000"
	Region    = "us-east-1"
)

// Invoke runs one function invocation for an event, as Lambda would.
type Invoke func(ctx context.Context, event events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Router is the local API Gateway. Set its exported fields before serving.
type Router struct {
	// Logger receives one line per request (method, route, function,
	// status, duration, request id) and function failures; never headers
	// or bodies. Nil logs nothing.
	Logger *slog.Logger
	// Timeouts limits each function's invocation, by logical id (see
	// template.FunctionTimeout). A function without one is not limited.
	Timeouts map[string]time.Duration
	// Now is the clock used for requestContext.time; time.Now when nil.
	Now func() time.Time

	routes []*route
	invoke map[string]Invoke
}

type route struct {
	template.Route
	segments []segment // nil for $default
	rank     []int     // specificity, compared lexicographically
}

type segKind int

const (
	segGreedy segKind = iota // {name+}
	segParam                 // {name}
	segLiteral
)

type segment struct {
	kind segKind
	text string // literal text or parameter name
}

// New builds a router for routes whose functions are http.Handlers, by
// function logical id. Every route's function must have a handler; handlers
// of functions without routes are ignored.
func New(routes []template.Route, handlers map[string]http.Handler) (*Router, error) {
	invokers := make(map[string]Invoke, len(handlers))
	for fn, h := range handlers {
		if h == nil {
			return nil, fmt.Errorf("router: nil handler for %s", fn)
		}
		invokers[fn] = lambdaInvoker(fn, h)
	}
	return NewFromInvokers(routes, invokers)
}

// NewFromTemplate builds a router for the template's routes, with the
// functions' timeouts from the template.
func NewFromTemplate(tpl *template.Template, handlers map[string]http.Handler) (*Router, error) {
	r, err := New(tpl.Routes(), handlers)
	if err != nil {
		return nil, err
	}
	r.Timeouts = map[string]time.Duration{}
	for _, fn := range tpl.Functions() {
		r.Timeouts[fn] = tpl.FunctionTimeout(fn)
	}
	return r, nil
}

// NewFromInvokers builds a router whose functions are given as Invoke
// functions, by logical id.
func NewFromInvokers(routes []template.Route, invokers map[string]Invoke) (*Router, error) {
	r := &Router{invoke: invokers}
	seen := map[string]string{}
	var missing []string
	for _, tr := range routes {
		rt, err := compile(tr)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[tr.Key()]; dup {
			return nil, fmt.Errorf("router: route %s declared by %s and %s", tr.Key(), prev, tr.Function)
		}
		seen[tr.Key()] = tr.Function
		if invokers[tr.Function] == nil {
			missing = append(missing, tr.Function+" ("+tr.Key()+")")
		}
		r.routes = append(r.routes, rt)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("router: no handler for %s", strings.Join(missing, ", "))
	}
	// Most specific first: literal segments beat parameters beat greedy
	// parameters, position by position; a method beats ANY; $default last.
	sort.SliceStable(r.routes, func(i, j int) bool {
		a, b := r.routes[i], r.routes[j]
		if (a.segments == nil) != (b.segments == nil) {
			return b.segments == nil
		}
		for k := 0; k < len(a.rank) && k < len(b.rank); k++ {
			if a.rank[k] != b.rank[k] {
				return a.rank[k] > b.rank[k]
			}
		}
		if len(a.rank) != len(b.rank) {
			return len(a.rank) > len(b.rank)
		}
		return a.Method != "ANY" && b.Method == "ANY"
	})
	return r, nil
}

func compile(tr template.Route) (*route, error) {
	rt := &route{Route: tr}
	if tr.Path == template.DefaultRoute {
		return rt, nil
	}
	if tr.Method == "" {
		return nil, fmt.Errorf("router: route %q has no method", tr.Path)
	}
	if !strings.HasPrefix(tr.Path, "/") {
		return nil, fmt.Errorf("router: route path %q does not start with /", tr.Path)
	}
	parts := strings.Split(tr.Path[1:], "/")
	if tr.Path == "/" {
		parts = nil
	}
	for i, p := range parts {
		var seg segment
		switch {
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			if i != len(parts)-1 {
				return nil, fmt.Errorf("router: greedy parameter %s must be last in %s", p, tr.Path)
			}
			seg = segment{kind: segGreedy, text: p[1 : len(p)-2]}
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			seg = segment{kind: segParam, text: p[1 : len(p)-1]}
		default:
			if strings.ContainsAny(p, "{}") {
				return nil, fmt.Errorf("router: malformed segment %q in %s", p, tr.Path)
			}
			seg = segment{kind: segLiteral, text: p}
		}
		if seg.kind != segLiteral && seg.text == "" {
			return nil, fmt.Errorf("router: empty parameter name in %s", tr.Path)
		}
		rt.segments = append(rt.segments, seg)
		rt.rank = append(rt.rank, int(seg.kind))
	}
	if rt.segments == nil {
		rt.segments = []segment{} // "/" matches only the root
	}
	return rt, nil
}

// match reports whether the decoded path fits the route and returns the
// path parameters.
func (rt *route) match(parts []string) (map[string]string, bool) {
	if rt.segments == nil {
		return nil, true
	}
	var params map[string]string
	for i, seg := range rt.segments {
		if seg.kind == segGreedy {
			if i >= len(parts) {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[seg.text] = strings.Join(parts[i:], "/")
			return params, true
		}
		if i >= len(parts) {
			return nil, false
		}
		switch seg.kind {
		case segLiteral:
			if parts[i] != seg.text {
				return nil, false
			}
		case segParam:
			if parts[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[seg.text] = parts[i]
		}
	}
	if len(parts) != len(rt.segments) {
		return nil, false
	}
	return params, true
}

// lookup finds the route for a request.
func (r *Router) lookup(method, path string) (*route, map[string]string) {
	var parts []string
	if path != "/" {
		parts = strings.Split(strings.TrimPrefix(path, "/"), "/")
	}
	for _, rt := range r.routes {
		if rt.segments != nil && rt.Method != "ANY" && rt.Method != method {
			continue
		}
		if params, ok := rt.match(parts); ok {
			return rt, params
		}
	}
	return nil, nil
}

// ServeHTTP implements http.Handler.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	now := start
	if r.Now != nil {
		now = r.Now()
	}
	reqID := requestID()
	w.Header().Set("Apigw-Requestid", reqID)

	status, fn, routeKey := r.serve(w, req, reqID, now)
	if r.Logger != nil {
		r.Logger.Info("api", "method", req.Method, "route", routeKey, "function", fn,
			"status", status, "duration", time.Since(start).Round(time.Microsecond), "request_id", reqID)
	}
}

func (r *Router) serve(w http.ResponseWriter, req *http.Request, reqID string, now time.Time) (status int, fn, routeKey string) {
	rt, params := r.lookup(req.Method, req.URL.Path)
	if rt == nil {
		return writeMessage(w, http.StatusNotFound, "Not Found"), "", ""
	}
	fn, routeKey = rt.Function, rt.Key()
	if req.ContentLength > MaxRequestBody {
		return writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large"), fn, routeKey
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, MaxRequestBody+1))
	if err != nil {
		return writeMessage(w, http.StatusBadRequest, "Bad Request"), fn, routeKey
	}
	if len(body) > MaxRequestBody {
		return writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large"), fn, routeKey
	}

	event := BuildEvent(req, body, routeKey, params, reqID, now)
	resp, err := r.run(req.Context(), fn, event)
	if err != nil {
		if errors.Is(err, errEventTooLarge) {
			return writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large"), fn, routeKey
		}
		r.logError("function failed", fn, reqID, err)
		return writeMessage(w, http.StatusInternalServerError, "Internal Server Error"), fn, routeKey
	}
	status, err = writeResponse(w, resp)
	if err != nil {
		r.logError("malformed function response", fn, reqID, err)
		return writeMessage(w, http.StatusInternalServerError, "Internal Server Error"), fn, routeKey
	}
	return status, fn, routeKey
}

func (r *Router) logError(msg, fn, reqID string, err error) {
	if r.Logger != nil {
		r.Logger.Error(msg, "function", fn, "request_id", reqID, "error", err)
	}
}

var errEventTooLarge = errors.New("event exceeds Lambda's invocation payload limit")

// run invokes fn with the function's deadline; a function still running at
// its deadline is abandoned, as Lambda would stop it.
func (r *Router) run(parent context.Context, fn string, event events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	// A client going away does not cancel a Lambda invocation.
	ctx := context.WithoutCancel(parent)
	timeout := r.Timeouts[fn]
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       uuid(),
		InvokedFunctionArn: "arn:aws:lambda:" + Region + ":" + AccountID + ":function:" + fn,
	})
	resp, err := lambdarun.Invoke(ctx, r.invoke[fn], event)
	if errors.Is(err, context.DeadlineExceeded) {
		return resp, fmt.Errorf("task timed out after %v", timeout)
	}
	return resp, err
}

// lambdaInvoker runs h the way the function's Lambda main does: the event is
// serialised to JSON and handed to lambda.NewHandler(httpadapter...), and the
// response decoded from JSON.
func lambdaInvoker(fn string, h http.Handler) Invoke {
	adapter := httpadapter.NewV2(h)
	// aws-lambda-go's handler reuses its output buffer between calls: one
	// per concurrent invocation, like Lambda instances.
	pool := &sync.Pool{New: func() any { return lambda.NewHandler(adapter.ProxyWithContext) }}
	return func(ctx context.Context, event events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		var resp events.APIGatewayV2HTTPResponse
		payload, err := json.Marshal(event)
		if err != nil {
			return resp, fmt.Errorf("%s: encode event: %w", fn, err)
		}
		if len(payload) > MaxInvokePayload {
			return resp, errEventTooLarge
		}
		lh := pool.Get().(lambda.Handler)
		out, err := lh.Invoke(ctx, payload)
		if err == nil && len(out) > MaxInvokePayload {
			err = fmt.Errorf("response of %d bytes exceeds Lambda's %d byte limit", len(out), MaxInvokePayload)
		}
		if err == nil {
			err = json.Unmarshal(out, &resp) // before out's buffer is reused
		}
		pool.Put(lh)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("%s: %w", fn, err)
		}
		return resp, nil
	}
}

// BuildEvent builds the payload format 2.0 event API Gateway sends for req,
// whose body has already been read. The path is used decoded, as HTTP APIs
// deliver rawPath.
func BuildEvent(req *http.Request, body []byte, routeKey string, params map[string]string, reqID string, now time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	var cookies []string
	for name, values := range req.Header {
		lname := strings.ToLower(name)
		if lname == "cookie" {
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lname] = strings.Join(values, ",")
	}
	headers["host"] = req.Host
	if len(body) > 0 || req.ContentLength > 0 {
		headers["content-length"] = strconv.Itoa(len(body))
	}
	sourceIP := req.RemoteAddr
	if host, _, err := net.SplitHostPort(req.RemoteAddr); err == nil {
		sourceIP = host
	}
	if xff := headers["x-forwarded-for"]; xff != "" {
		headers["x-forwarded-for"] = xff + ", " + sourceIP
	} else {
		headers["x-forwarded-for"] = sourceIP
	}
	proto, port := "http", "80"
	if req.TLS != nil {
		proto, port = "https", "443"
	}
	if _, p, err := net.SplitHostPort(req.Host); err == nil {
		port = p
	}
	headers["x-forwarded-proto"] = proto
	headers["x-forwarded-port"] = port
	headers["x-amzn-trace-id"] = traceID(now)

	var query map[string]string
	if values, err := url.ParseQuery(req.URL.RawQuery); err == nil && len(values) > 0 {
		query = make(map[string]string, len(values))
		for k, v := range values {
			query[k] = strings.Join(v, ",")
		}
	}

	domain := req.Host
	if h, _, err := net.SplitHostPort(req.Host); err == nil {
		domain = h
	}
	prefix, _, _ := strings.Cut(domain, ".")

	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               req.URL.Path,
		RawQueryString:        req.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    AccountID,
			Stage:        Stage,
			RequestID:    reqID,
			APIID:        APIID,
			DomainName:   req.Host,
			DomainPrefix: prefix,
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    req.Method,
				Path:      req.URL.Path,
				Protocol:  req.Proto,
				SourceIP:  sourceIP,
				UserAgent: req.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isText(headers["content-type"]) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// isText reports whether API Gateway passes a body of this content type as
// text; HTTP APIs base64-encode everything else (including form posts and
// bodies without a content type).
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if strings.HasPrefix(mt, "text/") {
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript", "application/ecmascript":
		return true
	}
	return strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml")
}

// writeResponse maps a function's response to HTTP.
func writeResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) (int, error) {
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return 0, fmt.Errorf("invalid status code %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return 0, fmt.Errorf("body is not valid base64: %w", err)
		}
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	// Payload format 2.0 documents no multiValueHeaders and the adapter
	// never sets them; they are honoured here for handlers that do.
	for k, vs := range resp.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
	return resp.StatusCode, nil
}

// writeMessage writes API Gateway's own JSON error.
func writeMessage(w http.ResponseWriter, status int, msg string) int {
	body, _ := json.Marshal(map[string]string{"message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

// requestID makes an id shaped like API Gateway's (16 base64 characters).
func requestID() string {
	var b [11]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

func traceID(now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s", now.Unix(), hex.EncodeToString(b[:]))
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
