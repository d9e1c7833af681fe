// Package e2e drives the local stack end to end: the router built from
// template.yaml, the real handlers, the embedded DynamoDB, the SES emulator
// and the mailer poller. Every response is validated against the OpenAPI
// spec.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/keys"
	"github.com/agentdesk/agentdesk/infra/localstack"
	"github.com/agentdesk/agentdesk/infra/seslocal"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
	"github.com/agentdesk/agentdesk/shared/openapi"
)

var (
	stack *localstack.Stack
	// testPolicy keeps the production rules but a cheap hash, so the
	// suite is fast; the benchmark measures the real parameters.
	testPolicy = func() auth.Policy {
		p := auth.DefaultPolicy
		p.Hash = auth.HashParams{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
		return p
	}()
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var err error
	stack, err = localstack.Start(ctx, localstack.Config{
		DynamoAddr: "127.0.0.1:0", SESAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0", Table: "agentdesk-e2e",
	}, localstack.Options{
		Log:            testLog(),
		Keys:           keys.Random(),
		Policy:         &testPolicy,
		DynamoEndpoint: os.Getenv("DYNAMODB_ENDPOINT"),
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start local stack:", err)
		os.Exit(1)
	}
	code := m.Run()
	stack.Close()
	os.Exit(code)
}

// testLog discards the stack's logs unless E2E_LOG is set.
func testLog() *slog.Logger {
	if os.Getenv("E2E_LOG") != "" {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewJSONHandler(io.Discard, nil))
}

// specChecker validates every response against the OpenAPI spec.
type specChecker struct {
	t    testing.TB
	next http.RoundTripper
}

func (s specChecker) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := s.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.StatusCode >= 500 {
		s.t.Errorf("%s %s answered %d: %s", req.Method, req.URL.Path, resp.StatusCode, body)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		s.t.Errorf("%s %s: no X-Request-Id", req.Method, req.URL.Path)
	}
	if strings.HasPrefix(req.URL.Path, "/v1/") {
		check := req.Clone(req.Context())
		check.Body = io.NopCloser(bytes.NewReader(reqBody))
		if err := openapi.ValidateResponse(check, resp.StatusCode, resp.Header, body); err != nil {
			s.t.Errorf("%s %s %d does not match the OpenAPI spec: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, body)
		}
	}
	return resp, nil
}

func httpClient(t testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Timeout: 30 * time.Second, Jar: jar, Transport: specChecker{t: t, next: http.DefaultTransport}}
}

// anon is a client without a token.
func anon(t testing.TB, opts ...client.Option) *client.Client {
	return client.New(stack.APIURL, append([]client.Option{client.WithHTTPClient(httpClient(t))}, opts...)...)
}

// as is a client signed in with tok.
func as(t testing.TB, tok *api.TokenResponse) *client.Client {
	return anon(t, client.WithAccessToken(tok.AccessToken))
}

var device = api.Device{ID: "dev-e2e", Name: "E2E laptop", Platform: "linux"}

func login(t testing.TB, email, password string) *api.TokenResponse {
	t.Helper()
	tok, err := anon(t).Login(context.Background(), api.LoginRequest{Email: email, Password: password, Device: device})
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return tok
}

// problem asserts err is a problem with the code (and status).
func problem(t testing.TB, err error, status int, code string) *api.Problem {
	t.Helper()
	var p *api.Problem
	if !errors.As(err, &p) {
		t.Fatalf("want %d %s, got %v", status, code, err)
	}
	if p.Status != status || p.Code != code {
		t.Fatalf("want %d %s, got %d %s (%s)", status, code, p.Status, p.Code, p.Detail)
	}
	return p
}

var (
	tenantSeq   int
	tenantSeqMu sync.Mutex
)

// tenant bootstraps a fresh tenant and returns its admin, signed in, after
// the admin went through invitation -> set password -> verify email.
type tenantEnv struct {
	ID, Name, AdminEmail, AdminPassword string
	Admin                               *client.Client
	AdminToken                          *api.TokenResponse
}

func newTenant(t *testing.T) *tenantEnv {
	t.Helper()
	tenantSeqMu.Lock()
	tenantSeq++
	n := tenantSeq
	tenantSeqMu.Unlock()
	slug := fmt.Sprintf("t%d-%d", n, time.Now().UnixNano()%1e6)
	env := &tenantEnv{Name: "Acme " + slug, AdminEmail: "admin@" + slug + ".example.com", AdminPassword: "a long admin passphrase " + slug}
	tn, _, err := stack.App.Admin.Bootstrap(context.Background(), slug, env.Name, env.AdminEmail, "Ada Admin", "en")
	if err != nil {
		t.Fatal(err)
	}
	env.ID = tn.ID
	invite := waitMail(t, env.AdminEmail, 1)[0]
	setPasswordViaPage(t, linkIn(t, invite), env.AdminPassword)
	verify := waitMail(t, env.AdminEmail, 3)[2]
	openVerifyPage(t, linkIn(t, verify))
	waitMail(t, env.AdminEmail, 4)
	env.AdminToken = login(t, env.AdminEmail, env.AdminPassword)
	env.Admin = as(t, env.AdminToken)
	return env
}

// waitMail waits until to has received n emails and returns them oldest
// first.
func waitMail(t testing.TB, to string, n int) []seslocal.Email {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		all, err := stack.SES.Emails(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var mine []seslocal.Email
		for _, e := range all {
			if e.SentTo(to) {
				mine = append(mine, e)
			}
		}
		if len(mine) >= n {
			return mine
		}
		stack.Poller.Wake()
		select {
		case <-ctx.Done():
			t.Fatalf("%s received %d emails, want %d", to, len(mine), n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+/p/(?:reset|verify)\?token=[A-Za-z0-9_-]+`)

func linkIn(t testing.TB, e seslocal.Email) string {
	t.Helper()
	l := linkRE.FindString(e.Body.Text)
	if l == "" {
		t.Fatalf("no link in %q: %s", e.Subject, e.Body.Text)
	}
	return l
}

// The code stands alone on its line in the text part.
var codeRE = regexp.MustCompile(`(?m)^\s*(\d{6})\s*$`)

func codeIn(t testing.TB, e seslocal.Email) string {
	t.Helper()
	m := codeRE.FindStringSubmatch(e.Body.Text)
	if m == nil {
		t.Fatalf("no code in %q", e.Subject)
	}
	return m[1]
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// setPasswordViaPage opens an emailed link and submits the form, as a
// person in a browser would.
func setPasswordViaPage(t testing.TB, link, password string) string {
	t.Helper()
	hc := httpClient(t)
	res, err := hc.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", link, res.StatusCode, page)
	}
	m := csrfRE.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in the form:\n%s", page)
	}
	u, _ := url.Parse(link)
	form := url.Values{"token": {u.Query().Get("token")}, "csrf": {string(m[1])}, "password": {password}, "password_confirm": {password}}
	res, err = hc.PostForm(u.Scheme+"://"+u.Host+"/p/reset", form)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("POST /p/reset: %d\n%s", res.StatusCode, out)
	}
	return string(out)
}

func openVerifyPage(t testing.TB, link string) string {
	t.Helper()
	res, err := httpClient(t).Get(link)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET verify: %d\n%s", res.StatusCode, out)
	}
	return string(out)
}
