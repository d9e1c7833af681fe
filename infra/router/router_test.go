package router

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/agentdesk/agentdesk/infra/template"
)

// capturing returns an invoker that records events and answers 200.
func capturing() (Invoke, func() events.APIGatewayV2HTTPRequest) {
	var mu sync.Mutex
	var last events.APIGatewayV2HTTPRequest
	inv := func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		mu.Lock()
		last = ev
		mu.Unlock()
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: ev.RouteKey}, nil
	}
	return inv, func() events.APIGatewayV2HTTPRequest {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func do(t *testing.T, c *http.Client, method, u string, body io.Reader, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

var testRoutes = []template.Route{
	{Function: "Users", Method: "GET", Path: "/v1/admin/users/{id}"},
	{Function: "Users", Method: "GET", Path: "/v1/admin/users/me"},
	{Function: "Users", Method: "PATCH", Path: "/v1/admin/users/{id}"},
	{Function: "Files", Method: "ANY", Path: "/files/{proxy+}"},
	{Function: "Files", Method: "GET", Path: "/files/{dir}/{name}"},
	{Function: "Health", Method: "GET", Path: "/v1/health"},
	{Function: "Root", Method: "GET", Path: "/"},
}

func TestEventMatchesPayloadFormat2(t *testing.T) {
	inv, last := capturing()
	r, err := NewFromInvokers(testRoutes, map[string]Invoke{"Users": inv, "Files": inv, "Health": inv, "Root": inv})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	defer srv.Close()

	hdr := http.Header{}
	hdr.Add("X-Multi", "a")
	hdr.Add("X-Multi", "b")
	hdr.Add("Cookie", "session=abc; theme=dark")
	hdr.Add("Cookie", "lang=fr")
	hdr.Set("User-Agent", "agentdesk-test/1.0")
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Authorization", "Bearer t0k")
	before := time.Now()
	resp, body := do(t, srv.Client(), "GET", srv.URL+"/v1/admin/users/u%2D42?tag=a&tag=b&q=caf%C3%A9&empty=", strings.NewReader(`{"x":1}`), hdr)
	if resp.StatusCode != 200 || string(body) != "GET /v1/admin/users/{id}" {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
	ev := last()

	if ev.Version != "2.0" || ev.RouteKey != "GET /v1/admin/users/{id}" || ev.RequestContext.RouteKey != ev.RouteKey {
		t.Errorf("version %q routeKey %q/%q", ev.Version, ev.RouteKey, ev.RequestContext.RouteKey)
	}
	if ev.RawPath != "/v1/admin/users/u-42" || ev.RequestContext.HTTP.Path != ev.RawPath {
		t.Errorf("rawPath %q http.path %q", ev.RawPath, ev.RequestContext.HTTP.Path)
	}
	if ev.RawQueryString != "tag=a&tag=b&q=caf%C3%A9&empty=" {
		t.Errorf("rawQueryString %q", ev.RawQueryString)
	}
	wantQuery := map[string]string{"tag": "a,b", "q": "café", "empty": ""}
	if fmt.Sprint(ev.QueryStringParameters) != fmt.Sprint(wantQuery) {
		t.Errorf("query %v", ev.QueryStringParameters)
	}
	if fmt.Sprint(ev.PathParameters) != fmt.Sprint(map[string]string{"id": "u-42"}) {
		t.Errorf("path parameters %v", ev.PathParameters)
	}
	if !slices.Equal(ev.Cookies, []string{"session=abc", "theme=dark", "lang=fr"}) {
		t.Errorf("cookies %q", ev.Cookies)
	}
	for k := range ev.Headers {
		if k != strings.ToLower(k) {
			t.Errorf("header %q not lower-case", k)
		}
	}
	for k, want := range map[string]string{
		"x-multi": "a,b", "user-agent": "agentdesk-test/1.0", "content-type": "application/json",
		"authorization": "Bearer t0k", "host": strings.TrimPrefix(srv.URL, "http://"),
		"content-length": "7", "x-forwarded-for": "127.0.0.1", "x-forwarded-proto": "http",
	} {
		if got := ev.Headers[k]; got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := ev.Headers["cookie"]; ok {
		t.Error("cookie header left in headers")
	}
	if !strings.HasPrefix(ev.Headers["x-amzn-trace-id"], "Root=1-") {
		t.Errorf("trace id %q", ev.Headers["x-amzn-trace-id"])
	}
	if ev.Body != `{"x":1}` || ev.IsBase64Encoded {
		t.Errorf("body %q base64 %v", ev.Body, ev.IsBase64Encoded)
	}

	rc := ev.RequestContext
	if rc.RequestID == "" || rc.RequestID != resp.Header.Get("Apigw-Requestid") {
		t.Errorf("request id %q, header %q", rc.RequestID, resp.Header.Get("Apigw-Requestid"))
	}
	if rc.Stage != "$default" || rc.APIID == "" || rc.AccountID == "" || rc.DomainName != ev.Headers["host"] || rc.DomainPrefix != "127" {
		t.Errorf("request context %+v", rc)
	}
	if rc.HTTP.Method != "GET" || rc.HTTP.SourceIP != "127.0.0.1" || rc.HTTP.UserAgent != "agentdesk-test/1.0" || rc.HTTP.Protocol != "HTTP/1.1" {
		t.Errorf("http %+v", rc.HTTP)
	}
	at, err := time.Parse("02/Jan/2006:15:04:05 -0700", rc.Time)
	if err != nil || at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("time %q: %v", rc.Time, err)
	}
	if rc.TimeEpoch < before.UnixMilli() || rc.TimeEpoch > time.Now().UnixMilli() {
		t.Errorf("timeEpoch %d", rc.TimeEpoch)
	}

	// No query, no cookies, no body: the optional fields are absent.
	do(t, srv.Client(), "GET", srv.URL+"/v1/health", nil, nil)
	ev = last()
	if ev.QueryStringParameters != nil || ev.Cookies != nil || ev.PathParameters != nil || ev.Body != "" || ev.IsBase64Encoded {
		t.Errorf("bare request event %+v", ev)
	}
	raw, _ := json.Marshal(ev)
	for _, absent := range []string{`"cookies"`, `"queryStringParameters"`, `"pathParameters"`, `"body"`} {
		if bytes.Contains(raw, []byte(absent)) {
			t.Errorf("%s present in %s", absent, raw)
		}
	}
}

func TestBase64Decision(t *testing.T) {
	inv, last := capturing()
	r, err := NewFromInvokers([]template.Route{{Function: "F", Method: "POST", Path: "/x"}}, map[string]Invoke{"F": inv})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, tc := range []struct {
		contentType string
		body        string
		base64      bool
	}{
		{"application/json; charset=utf-8", `{"a":"é"}`, false},
		{"text/plain", "hello", false},
		{"application/problem+json", "{}", false},
		{"application/x-www-form-urlencoded", "a=1&b=2", true},
		{"application/octet-stream", "\x00\x01\xff", true},
		{"", "no type", true},
		{"text/plain", "\xff\xfe not utf-8", true},
	} {
		hdr := http.Header{}
		if tc.contentType != "" {
			hdr.Set("Content-Type", tc.contentType)
		}
		do(t, srv.Client(), "POST", srv.URL+"/x", strings.NewReader(tc.body), hdr)
		ev := last()
		if ev.IsBase64Encoded != tc.base64 {
			t.Errorf("%q: isBase64Encoded %v", tc.contentType, ev.IsBase64Encoded)
		}
		got := ev.Body
		if ev.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(ev.Body)
			if err != nil {
				t.Fatal(err)
			}
			got = string(b)
		}
		if got != tc.body {
			t.Errorf("%q: body %q", tc.contentType, got)
		}
	}
}

func TestRouteSelection(t *testing.T) {
	inv, _ := capturing()
	invokers := map[string]Invoke{"Users": inv, "Files": inv, "Health": inv, "Root": inv, "Default": inv}
	r, err := NewFromInvokers(testRoutes, invokers)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/v1/admin/users/me", "GET /v1/admin/users/me"},
		{"GET", "/v1/admin/users/u1", "GET /v1/admin/users/{id}"},
		{"PATCH", "/v1/admin/users/me", "PATCH /v1/admin/users/{id}"},
		{"GET", "/files/a/b", "GET /files/{dir}/{name}"},
		{"POST", "/files/a/b", "ANY /files/{proxy+}"},
		{"GET", "/files/a/b/c", "ANY /files/{proxy+}"},
		{"DELETE", "/files/a", "ANY /files/{proxy+}"},
		{"GET", "/", "GET /"},
		{"GET", "/v1/health", "GET /v1/health"},
		{"POST", "/v1/health", "404"},
		{"DELETE", "/v1/admin/users/u1", "404"},
		{"GET", "/v1/admin/users", "404"},
		{"GET", "/v1/admin/users/", "404"},
		{"GET", "/v1/health/", "404"},
		{"GET", "/files", "404"},
		{"GET", "/nowhere", "404"},
	} {
		resp, body := do(t, srv.Client(), tc.method, srv.URL+tc.path, nil, nil)
		got := string(body)
		if resp.StatusCode == 404 {
			if got != `{"message":"Not Found"}` || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s %s: 404 body %q type %q", tc.method, tc.path, got, resp.Header.Get("Content-Type"))
			}
			got = "404"
		}
		if resp.Header.Get("Apigw-Requestid") == "" {
			t.Errorf("%s %s: no apigw-requestid", tc.method, tc.path)
		}
		if got != tc.want {
			t.Errorf("%s %s -> %s, want %s", tc.method, tc.path, got, tc.want)
		}
	}

	// With a $default route, whatever matches nothing else goes there.
	withDefault := append(slices.Clone(testRoutes), template.Route{Function: "Default", Method: "ANY", Path: template.DefaultRoute})
	r, err = NewFromInvokers(withDefault, invokers)
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(r)
	defer srv2.Close()
	for _, path := range []string{"/nowhere", "/v1/health/"} {
		if _, body := do(t, srv2.Client(), "POST", srv2.URL+path, nil, nil); string(body) != "$default" {
			t.Errorf("POST %s -> %s, want $default", path, body)
		}
	}
	if _, body := do(t, srv2.Client(), "GET", srv2.URL+"/v1/health", nil, nil); string(body) != "GET /v1/health" {
		t.Errorf("GET /v1/health with $default -> %s", body)
	}
}

// echo is an http.Handler that reports what it received, as JSON, and sets
// cookies and headers.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/bin" {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(b)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var cookies []string
	for _, c := range r.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	gw, _ := core.GetAPIGatewayV2ContextFromContext(r.Context())
	lc, _ := lambdacontext.FromContext(r.Context())
	_, hasDeadline := r.Context().Deadline()
	out := map[string]any{
		"method": r.Method, "path": r.URL.Path, "query": r.URL.Query(), "cookies": cookies,
		"body": base64.StdEncoding.EncodeToString(body), "authorization": r.Header.Get("Authorization"),
		"multi": r.Header.Values("X-Multi"), "routeKey": gw.RouteKey, "requestId": gw.RequestID,
		"remoteAddr": r.RemoteAddr, "lambdaRequestId": lc.AwsRequestID, "functionArn": lc.InvokedFunctionArn,
		"deadline": hasDeadline,
	}
	http.SetCookie(w, &http.Cookie{Name: "a", Value: "1", Path: "/", HttpOnly: true})
	http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Echo", "yes")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(out)
})

func TestThroughTheLambdaAdapter(t *testing.T) {
	routes := []template.Route{
		{Function: "Echo", Method: "POST", Path: "/items/{id}"},
		{Function: "Echo", Method: "POST", Path: "/bin"},
	}
	r, err := New(routes, map[string]http.Handler{"Echo": echo})
	if err != nil {
		t.Fatal(err)
	}
	r.Timeouts = map[string]time.Duration{"Echo": 5 * time.Second}
	srv := httptest.NewServer(r)
	defer srv.Close()

	hdr := http.Header{}
	hdr.Set("Cookie", "session=abc; theme=dark")
	hdr.Set("Authorization", "Bearer t0k")
	hdr.Add("X-Multi", "a")
	hdr.Add("X-Multi", "b")
	hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body := do(t, srv.Client(), "POST", srv.URL+"/items/i-7?x=1&x=2", strings.NewReader("a=1&b=%C3%A9"), hdr)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got struct {
		Method, Path, Body, Authorization, RouteKey, RequestID, RemoteAddr, LambdaRequestID, FunctionArn string
		Query                                                                                            url.Values
		Cookies, Multi                                                                                   []string
		Deadline                                                                                         bool
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	decoded, _ := base64.StdEncoding.DecodeString(got.Body)
	if got.Method != "POST" || got.Path != "/items/i-7" || string(decoded) != "a=1&b=%C3%A9" {
		t.Errorf("echo %+v (body %q)", got, decoded)
	}
	if !slices.Equal(got.Query["x"], []string{"1", "2"}) {
		t.Errorf("query %v", got.Query)
	}
	if !slices.Equal(got.Cookies, []string{"session=abc", "theme=dark"}) {
		t.Errorf("cookies %v", got.Cookies)
	}
	if got.Authorization != "Bearer t0k" || !slices.Equal(got.Multi, []string{"a", "b"}) {
		t.Errorf("headers: authorization %q multi %v", got.Authorization, got.Multi)
	}
	if got.RouteKey != "POST /items/{id}" || got.RequestID != resp.Header.Get("Apigw-Requestid") {
		t.Errorf("gateway context: route %q id %q", got.RouteKey, got.RequestID)
	}
	if got.RemoteAddr != "127.0.0.1" || got.LambdaRequestID == "" || !strings.HasSuffix(got.FunctionArn, ":function:Echo") || !got.Deadline {
		t.Errorf("lambda context %+v", got)
	}
	if resp.Header.Get("X-Echo") != "yes" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("response headers %v", resp.Header)
	}
	setCookies := resp.Header.Values("Set-Cookie")
	if len(setCookies) != 2 || !strings.HasPrefix(setCookies[0], "a=1") || !strings.HasPrefix(setCookies[1], "b=2") {
		t.Errorf("Set-Cookie %q", setCookies)
	}

	// Binary round trip: every byte value, in and out base64 on the wire.
	bin := make([]byte, 4096)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	hdr = http.Header{}
	hdr.Set("Content-Type", "application/octet-stream")
	resp, body = do(t, srv.Client(), "POST", srv.URL+"/bin", bytes.NewReader(bin), hdr)
	if resp.StatusCode != 200 || !bytes.Equal(body, bin) {
		t.Errorf("binary round trip: status %d, %d bytes back, equal %v", resp.StatusCode, len(body), bytes.Equal(body, bin))
	}
	if resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("binary content type %q", resp.Header.Get("Content-Type"))
	}
}

func TestConcurrentInvocationsDoNotShareBuffers(t *testing.T) {
	r, err := New([]template.Route{{Function: "Echo", Method: "POST", Path: "/bin"}}, map[string]http.Handler{"Echo": echo})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	defer srv.Close()
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := bytes.Repeat([]byte{byte(i)}, 20000+i)
			req, _ := http.NewRequest("POST", srv.URL+"/bin", bytes.NewReader(want))
			req.Header.Set("Content-Type", "application/octet-stream")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if !bytes.Equal(got, want) {
				t.Errorf("request %d got %d bytes of someone else's answer", i, len(got))
			}
		}()
	}
	wg.Wait()
}

func TestLimitsAndFailures(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	handlers := map[string]http.Handler{
		"Echo":  echo,
		"Fail":  http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }),
		"Mute":  http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}),
		"Slow":  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }),
		"Large": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(make([]byte, 5<<20)) }),
	}
	routes := []template.Route{
		{Function: "Echo", Method: "POST", Path: "/bin"},
		{Function: "Fail", Method: "GET", Path: "/fail"},
		{Function: "Mute", Method: "GET", Path: "/mute"},
		{Function: "Slow", Method: "GET", Path: "/slow"},
		{Function: "Large", Method: "GET", Path: "/large"},
	}
	r, err := New(routes, handlers)
	if err != nil {
		t.Fatal(err)
	}
	r.Timeouts = map[string]time.Duration{"Slow": 100 * time.Millisecond}
	srv := httptest.NewServer(r)
	defer srv.Close()

	want500 := `{"message":"Internal Server Error"}`
	for _, path := range []string{"/fail", "/mute", "/large"} {
		resp, body := do(t, srv.Client(), "GET", srv.URL+path, nil, nil)
		if resp.StatusCode != 500 || string(body) != want500 {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	start := time.Now()
	resp, body := do(t, srv.Client(), "GET", srv.URL+"/slow", nil, nil)
	if resp.StatusCode != 500 || string(body) != want500 {
		t.Errorf("/slow: %d %s", resp.StatusCode, body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %v", d)
	}

	bin := http.Header{"Content-Type": {"application/octet-stream"}}
	// Over 10 MB: API Gateway refuses it, with or without a Content-Length.
	resp, body = do(t, srv.Client(), "POST", srv.URL+"/bin", bytes.NewReader(make([]byte, MaxRequestBody+1)), bin)
	if resp.StatusCode != 413 || string(body) != `{"message":"Request Entity Too Large"}` {
		t.Errorf("11 MB with length: %d %s", resp.StatusCode, body)
	}
	resp, _ = do(t, srv.Client(), "POST", srv.URL+"/bin", io.LimitReader(zeros{}, MaxRequestBody+1), bin)
	if resp.StatusCode != 413 {
		t.Errorf("11 MB chunked: %d", resp.StatusCode)
	}
	// Over Lambda's 6 MB once base64-encoded into the event.
	resp, _ = do(t, srv.Client(), "POST", srv.URL+"/bin", bytes.NewReader(make([]byte, 5<<20)), bin)
	if resp.StatusCode != 413 {
		t.Errorf("5 MB binary (7 MB event): %d", resp.StatusCode)
	}
	// 1 MB that is not UTF-8 travels base64-encoded both ways and fits.
	// (Valid UTF-8 such as zero bytes would be sent back as JSON text by the
	// adapter, \u0000-escaped, six times larger: over the limit, as in
	// production.)
	mb := make([]byte, 1<<20)
	for i := range mb {
		mb[i] = byte(i*7) | 0x80
	}
	resp, body = do(t, srv.Client(), "POST", srv.URL+"/bin", bytes.NewReader(mb), bin)
	if resp.StatusCode != 200 || !bytes.Equal(body, mb) {
		t.Errorf("1 MB binary: %d, %d bytes", resp.StatusCode, len(body))
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestInvokerErrorAndBadResponses(t *testing.T) {
	bad := map[string]Invoke{
		"Err": func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{}, errors.New("function error")
		},
		"NoStatus": func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{Body: "x"}, nil
		},
		"BadBase64": func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "!!", IsBase64Encoded: true}, nil
		},
		"Multi": func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{StatusCode: 204,
				Headers:           map[string]string{"X-One": "1"},
				MultiValueHeaders: map[string][]string{"X-Two": {"a", "b"}},
				Cookies:           []string{"c=3; Secure"}}, nil
		},
	}
	var routes []template.Route
	for fn := range bad {
		routes = append(routes, template.Route{Function: fn, Method: "GET", Path: "/" + strings.ToLower(fn)})
	}
	r, err := NewFromInvokers(routes, bad)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, p := range []string{"/err", "/nostatus", "/badbase64"} {
		if resp, body := do(t, srv.Client(), "GET", srv.URL+p, nil, nil); resp.StatusCode != 500 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	resp, _ := do(t, srv.Client(), "GET", srv.URL+"/multi", nil, nil)
	if resp.StatusCode != 204 || resp.Header.Get("X-One") != "1" || !slices.Equal(resp.Header.Values("X-Two"), []string{"a", "b"}) ||
		resp.Header.Get("Set-Cookie") != "c=3; Secure" {
		t.Errorf("multi: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestConstructionErrors(t *testing.T) {
	ok := map[string]http.Handler{"F": echo}
	for name, routes := range map[string][]template.Route{
		"missing handler": {{Function: "G", Method: "GET", Path: "/x"}},
		"duplicate":       {{Function: "F", Method: "GET", Path: "/x"}, {Function: "F", Method: "GET", Path: "/x"}},
		"relative":        {{Function: "F", Method: "GET", Path: "x"}},
		"greedy not last": {{Function: "F", Method: "GET", Path: "/{p+}/x"}},
		"empty param":     {{Function: "F", Method: "GET", Path: "/{}"}},
		"malformed":       {{Function: "F", Method: "GET", Path: "/a{b}"}},
		"no method":       {{Function: "F", Path: "/x"}},
	} {
		if _, err := New(routes, ok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(nil, map[string]http.Handler{"F": nil}); err == nil {
		t.Error("nil handler accepted")
	}
}

func TestRepoTemplateRoutes(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	handlers := map[string]http.Handler{}
	for _, fn := range tpl.Functions() {
		name := fn
		handlers[fn] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gw, _ := core.GetAPIGatewayV2ContextFromContext(r.Context())
			_, _ = io.WriteString(w, name+" "+gw.RouteKey)
		})
	}
	r, err := NewFromTemplate(tpl, handlers)
	if err != nil {
		t.Fatal(err)
	}
	if r.Timeouts["AuthFunction"] != 10*time.Second {
		t.Errorf("timeouts %v", r.Timeouts)
	}
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/v1/auth/login", "AuthFunction POST /v1/auth/login"},
		{"GET", "/v1/admin/users/abc", "AdminFunction GET /v1/admin/users/{id}"},
		{"POST", "/v1/admin/users/abc/reset-password", "AdminFunction POST /v1/admin/users/{id}/reset-password"},
		{"GET", "/v1/me", "AgentFunction GET /v1/me"},
		{"GET", "/p/reset?token=x", "AuthFunction GET /p/reset"},
	} {
		resp, body := do(t, srv.Client(), tc.method, srv.URL+tc.path, nil, nil)
		if resp.StatusCode != 200 || string(body) != tc.want {
			t.Errorf("%s %s: %d %q, want %q", tc.method, tc.path, resp.StatusCode, body, tc.want)
		}
	}
	if resp, _ := do(t, srv.Client(), "DELETE", srv.URL+"/v1/me", nil, nil); resp.StatusCode != 404 {
		t.Errorf("DELETE /v1/me: %d", resp.StatusCode)
	}
}

func FuzzLookupAndEvent(f *testing.F) {
	r, err := NewFromInvokers(testRoutes, map[string]Invoke{"Users": nil, "Files": nil, "Health": nil, "Root": nil})
	if err == nil {
		f.Fatal("nil invokers accepted")
	}
	inv, _ := capturing()
	r, err = NewFromInvokers(testRoutes, map[string]Invoke{"Users": inv, "Files": inv, "Health": inv, "Root": inv})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("GET", "/v1/admin/users/x", "a=1&a=2", "session=1; b=2", []byte("{}"))
	f.Add("POST", "/files//x/", "%zz", ";;", []byte{0xff})
	f.Fuzz(func(t *testing.T, method, path, rawQuery, cookie string, body []byte) {
		rt, params := r.lookup(method, path)
		if rt != nil && rt.segments != nil && rt.Method != "ANY" && rt.Method != method {
			t.Fatalf("%s %s matched %s", method, path, rt.Key())
		}
		req := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery},
			Header: http.Header{"Cookie": {cookie}}, Host: "127.0.0.1:1", RemoteAddr: "127.0.0.1:2", Proto: "HTTP/1.1"}
		ev := BuildEvent(req, body, "k", params, "id", time.Unix(0, 0))
		if _, err := json.Marshal(ev); err != nil {
			t.Fatal(err)
		}
		if ev.IsBase64Encoded {
			if b, err := base64.StdEncoding.DecodeString(ev.Body); err != nil || !bytes.Equal(b, body) {
				t.Fatal("base64 body does not round-trip")
			}
		} else if ev.Body != string(body) {
			t.Fatal("text body altered")
		}
	})
}
