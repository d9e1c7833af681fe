// Package client is a typed HTTP client for the AgentDesk v1 API, used by the
// desktop and the end-to-end tests.
//
// Every method takes a context (cancellation and deadlines are honoured) and
// returns either the decoded body or an error. An error answered by the
// server is an *api.Problem (use errors.As), with Status, Code, RetryAfter
// (from the body or the Retry-After header) and RequestID filled in even
// when the answer was not a problem document (a gateway error, say). A
// failure to reach the server is a *NetworkError. Response bodies are read
// up to MaxResponseBytes; unknown JSON members are ignored.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/agentdesk/agentdesk/shared/api"
)

// MaxResponseBytes caps how much of a response body is read.
const MaxResponseBytes = 1 << 20

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "agentdesk-client/1"

// TokenSource returns the bearer access token for a request; "" sends none.
type TokenSource func(ctx context.Context) (string, error)

// ResponseInfo describes one answered request, for WithResponseHook.
type ResponseInfo struct {
	Method    string
	Path      string // the API path, e.g. /v1/admin/users/u1
	Status    int
	RequestID string // the X-Request-Id header
	Header    http.Header
	Duration  time.Duration
}

// Client calls one AgentDesk deployment. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	baseErr    error
	hc         *http.Client
	token      TokenSource
	lang       string
	userAgent  string
	onResponse func(ResponseInfo)

	mu            sync.Mutex
	lastRequestID string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the http.Client (timeouts, transport, TLS). The default
// is a client with a 30 second timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithTokenSource sets the function that returns the access token sent on
// every operation that needs one.
func WithTokenSource(ts TokenSource) Option {
	return func(c *Client) { c.token = ts }
}

// WithAccessToken sends a fixed access token.
func WithAccessToken(token string) Option {
	return WithTokenSource(func(context.Context) (string, error) { return token, nil })
}

// WithAcceptLanguage sets the Accept-Language header (e.g. "fr", "pt-BR"),
// which picks the language of problem titles and details.
func WithAcceptLanguage(lang string) Option {
	return func(c *Client) { c.lang = lang }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// WithResponseHook calls fn after every answered request (before its body is
// decoded), e.g. to log request ids.
func WithResponseHook(fn func(ResponseInfo)) Option {
	return func(c *Client) { c.onResponse = fn }
}

// New returns a client for the deployment at baseURL (the "Server URL",
// e.g. https://abc.execute-api.eu-west-1.amazonaws.com; a path prefix is
// kept). An invalid baseURL is reported by every call.
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		hc:        &http.Client{Timeout: 30 * time.Second},
		userAgent: DefaultUserAgent,
	}
	u, err := url.Parse(strings.TrimSpace(baseURL))
	switch {
	case err != nil:
		c.baseErr = fmt.Errorf("agentdesk: server URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		c.baseErr = fmt.Errorf("agentdesk: server URL %q: want http(s)://host[/prefix]", baseURL)
	default:
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = ""
		u.RawQuery, u.Fragment = "", ""
		c.base = u
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// LastRequestID is the X-Request-Id of the latest answered request.
func (c *Client) LastRequestID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastRequestID
}

// NetworkError is a request that got no HTTP answer: DNS, connection, TLS,
// timeout or cancellation. Unwrap gives the cause (context.Canceled,
// context.DeadlineExceeded, *url.Error, ...).
type NetworkError struct {
	Method, Path string
	Err          error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("agentdesk: %s %s: %v", e.Method, e.Path, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// ResponseError is a successful status whose body could not be read or
// decoded (or was too large).
type ResponseError struct {
	Method, Path string
	Status       int
	RequestID    string
	Err          error
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("agentdesk: %s %s: %d response (request %s): %v", e.Method, e.Path, e.Status, e.RequestID, e.Err)
}

func (e *ResponseError) Unwrap() error { return e.Err }

// ErrTooLarge is wrapped by a ResponseError for a body over MaxResponseBytes.
var ErrTooLarge = errors.New("response body too large")

// call describes one operation.
type call struct {
	method string
	path   string // already escaped
	query  url.Values
	auth   bool
	in     any // JSON body, or nil
	out    any // decoded on success when non-nil
}

// Do calls an operation that has no method here yet: path is the API path
// (escape user input with url.PathEscape), in the JSON body or nil, out where
// to decode a success body or nil. It sends the access token.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	return c.do(ctx, call{method: method, path: path, query: query, auth: true, in: in, out: out})
}

func (c *Client) do(ctx context.Context, k call) error {
	if c.baseErr != nil {
		return c.baseErr
	}
	target := c.base.String() + k.path
	if len(k.query) > 0 {
		target += "?" + k.query.Encode()
	}

	var body io.Reader
	if k.in != nil {
		b, err := json.Marshal(k.in)
		if err != nil {
			return fmt.Errorf("agentdesk: %s %s: encode request: %w", k.method, k.path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, target, body)
	if err != nil {
		return fmt.Errorf("agentdesk: %s %s: %w", k.method, k.path, err)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if k.in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	if k.auth && c.token != nil {
		tok, err := c.token(ctx)
		if err != nil {
			return fmt.Errorf("agentdesk: %s %s: access token: %w", k.method, k.path, err)
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	}

	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return &NetworkError{Method: k.method, Path: k.path, Err: err}
	}
	defer resp.Body.Close()

	rid := resp.Header.Get("X-Request-Id")
	c.mu.Lock()
	c.lastRequestID = rid
	c.mu.Unlock()
	if c.onResponse != nil {
		c.onResponse(ResponseInfo{
			Method: k.method, Path: k.path, Status: resp.StatusCode,
			RequestID: rid, Header: resp.Header.Clone(), Duration: time.Since(start),
		})
	}

	data, readErr := readLimited(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return problemFrom(resp, data, rid)
	}
	if readErr != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return &NetworkError{Method: k.method, Path: k.path, Err: ctxErr}
		}
		return &ResponseError{Method: k.method, Path: k.path, Status: resp.StatusCode, RequestID: rid, Err: readErr}
	}
	if k.out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return &ResponseError{Method: k.method, Path: k.path, Status: resp.StatusCode, RequestID: rid, Err: errors.New("empty body")}
	}
	if err := json.Unmarshal(data, k.out); err != nil {
		return &ResponseError{Method: k.method, Path: k.path, Status: resp.StatusCode, RequestID: rid, Err: fmt.Errorf("decode: %w", err)}
	}
	return nil
}

func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxResponseBytes+1))
	if err != nil {
		return data, err
	}
	if len(data) > MaxResponseBytes {
		return data[:MaxResponseBytes], ErrTooLarge
	}
	return data, nil
}

// problemFrom turns an error answer into an *api.Problem: the body when it is
// a problem document, else one made from the status. The HTTP status, the
// Retry-After header and the request id fill what the body leaves out.
func problemFrom(resp *http.Response, data []byte, rid string) *api.Problem {
	p := &api.Problem{}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	parsed := false
	if mt == api.ProblemContentType || mt == "application/json" {
		parsed = json.Unmarshal(data, p) == nil && p.Code != ""
	}
	if !parsed {
		*p = api.Problem{Detail: snippet(data)}
	}
	if p.Status == 0 || p.Status != resp.StatusCode {
		p.Status = resp.StatusCode
	}
	if p.Code == "" {
		p.Code = codeForStatus(resp.StatusCode)
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(resp.StatusCode)
	}
	if p.RequestID == "" {
		p.RequestID = rid
	}
	if p.RetryAfter <= 0 {
		p.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return p
}

// retryAfter reads a Retry-After header: delta seconds or an HTTP date.
func retryAfter(v string, now time.Time) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return n
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return int((d + time.Second - 1) / time.Second)
		}
	}
	return 0
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return api.CodeBadRequest
	case http.StatusUnauthorized:
		return api.CodeUnauthorized
	case http.StatusForbidden:
		return api.CodeForbidden
	case http.StatusNotFound:
		return api.CodeNotFound
	case http.StatusMethodNotAllowed:
		return api.CodeMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return api.CodeBodyTooLarge
	case http.StatusUnsupportedMediaType:
		return api.CodeUnsupportedMediaType
	case http.StatusUnprocessableEntity:
		return api.CodeValidation
	case http.StatusTooManyRequests:
		return api.CodeTooManyAttempts
	}
	if status >= 500 {
		return api.CodeInternal
	}
	return "http_" + strconv.Itoa(status)
}

// snippet keeps the start of a non-problem error body for the detail.
func snippet(b []byte) string {
	const max = 200
	s := strings.TrimSpace(string(b))
	if !utf8.ValidString(s) {
		return ""
	}
	if len(s) > max {
		s = s[:max]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}
