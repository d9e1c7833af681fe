package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/openapi"
)

// answer is what the test server sends back.
type answer struct {
	status int
	ctype  string
	header map[string]string
	body   string
}

// seen is what the test server received.
type seen struct {
	method, path, rawPath, query string
	header                       http.Header
	body                         []byte
	route                        string // "METHOD /template/path" from the spec
}

// contractServer is a real HTTP server that checks every request the client
// sends and every canned answer against the OpenAPI document, records the
// request and sends the answer.
type contractServer struct {
	t   *testing.T
	srv *httptest.Server

	mu   sync.Mutex
	next answer
	got  []seen
}

func newContractServer(t *testing.T) *contractServer {
	cs := &contractServer{t: t}
	cs.srv = httptest.NewServer(http.HandlerFunc(cs.serve))
	t.Cleanup(cs.srv.Close)
	return cs
}

func (cs *contractServer) answer(a answer) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.next = a
}

func (cs *contractServer) last() seen {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.got) == 0 {
		cs.t.Fatal("no request reached the server")
	}
	return cs.got[len(cs.got)-1]
}

func (cs *contractServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	s := seen{method: r.Method, path: r.URL.Path, rawPath: r.URL.EscapedPath(), query: r.URL.RawQuery, header: r.Header.Clone(), body: body}

	if err := openapi.ValidateRequest(r); err != nil {
		cs.t.Errorf("client sent a request the spec rejects: %v", err)
	}
	router, _ := openapi.Router()
	if route, _, err := router.FindRoute(r); err == nil {
		s.route = r.Method + " " + route.Path
	}

	cs.mu.Lock()
	a := cs.next
	cs.got = append(cs.got, s)
	cs.mu.Unlock()

	h := http.Header{}
	h.Set("X-Request-Id", "req-"+fmt.Sprint(len(cs.got)))
	if a.ctype != "" {
		h.Set("Content-Type", a.ctype)
	}
	for k, v := range a.header {
		h.Set(k, v)
	}
	if err := openapi.ValidateResponse(r, a.status, h, []byte(a.body)); err != nil {
		cs.t.Errorf("test fixture is not a valid answer: %v", err)
	}
	for k, v := range h {
		w.Header()[k] = v
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func js(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func okJSON(t *testing.T, status int, v any) answer {
	return answer{status: status, ctype: "application/json", body: js(t, v)}
}

func problemAnswer(t *testing.T, status int, code string, mutate ...func(*api.Problem)) answer {
	p := api.Problem{Type: api.ProblemType(code), Title: http.StatusText(status), Status: status, Code: code, Detail: "detail of " + code}
	for _, m := range mutate {
		m(&p)
	}
	return answer{status: status, ctype: api.ProblemContentType, body: js(t, p)}
}

var when = time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)

func user(id string) api.User {
	return api.User{
		ID: id, Email: id + "@example.com", DisplayName: "User " + id, Locale: "en",
		Roles: []string{api.RoleAgent}, Status: api.StatusActive, StationModes: []string{api.StationDialNumber},
		TeamIDs: []string{}, QueueIDs: []string{}, Version: 1, CreatedAt: when, UpdatedAt: when,
	}
}

func tokens() api.TokenResponse {
	return api.TokenResponse{AccessToken: "at", RefreshToken: "rt", TokenType: "Bearer", ExpiresIn: 900, User: user("u1")}
}

func tenant() api.TenantSettings {
	return api.TenantSettings{
		ID: "t1", Slug: "acme", Name: "Acme", DefaultLocale: "fr",
		IdentityProvider: api.IdentityProvider{Type: "password", Domains: []string{}, EntraTenantIDs: []string{}},
		StationPolicy:    api.StationPolicy{AllowedModes: []string{api.StationDesktop}},
		Banners:          []api.Banner{}, InactivityTimeoutMinutes: 30, HeartbeatSeconds: 20, LeaseSeconds: 60, Version: 4,
	}
}

// TestEveryOperation calls every method against the contract server: the
// request must be what the spec documents, and the answer must decode.
func TestEveryOperation(t *testing.T) {
	cs := newContractServer(t)
	c := New(cs.srv.URL, WithAccessToken("tok"))
	ctx := context.Background()
	dev := api.Device{ID: "dev-1", Name: "Ana's laptop", Platform: "windows"}
	team := api.Team{ID: "tm1", Name: "Sales", Description: "", Version: 2}
	queue := api.Queue{ID: "q1", Name: "Chat", Kind: api.QueueChat, Channels: []string{api.ChannelWhatsApp}, Version: 1}
	me := api.MeResponse{
		User: user("u1"),
		Tenant: api.MeTenant{ID: "t1", Name: "Acme", StationPolicy: api.StationPolicy{AllowedModes: []string{api.StationDesktop}},
			Banners: []api.Banner{{ID: "b1", Severity: "warning", Message: "Chat is down", FeaturesUnavailable: true}}},
		StationModes: []string{api.StationDesktop}, Teams: []api.Team{team}, Queues: []api.Queue{queue},
		Softphone: &api.SoftphoneSettings{SIPWebSocketURI: "wss://sbc.example.com", SIPDomain: "example.com",
			Extension: api.Extension{Number: "1001", SIPUsername: "u1", SIPPassword: "sip-secret"}, ICEServers: []api.ICEServer{{URLs: []string{"stun:stun.example.com"}}}},
		Omnichannel: api.OmnichannelStatus{Enabled: true, Available: true, Channels: []string{"whatsapp"}},
		PushURL:     "wss://push.example.com/v1",
	}
	name := "Renamed"
	station := api.Station{Mode: api.StationDialNumber, DialNumber: "+14155550142"}
	session := api.Session{SessionID: "ses_1", Epoch: 3, LeaseExpiresAt: when.Add(time.Minute), HeartbeatInterval: 20, Station: station, TeamID: "tm1"}
	live := api.LiveSession{SessionID: "ses_1", Epoch: 3, UserID: "u1", Email: "u1@example.com", DisplayName: "User u1", Device: dev,
		Station: station, TeamID: "tm1", Since: when, LastHeartbeat: when.Add(20 * time.Second), OnCall: true}

	steps := []struct {
		route  string // the spec operation the call must hit
		auth   bool
		answer answer
		call   func() (any, error)
		check  func(t *testing.T, got any, s seen)
	}{
		{"GET /v1/health", false, okJSON(t, 200, api.Health{Status: "ok", Version: "1.2.3"}),
			func() (any, error) { return c.Health(ctx) },
			func(t *testing.T, got any, s seen) {
				if got.(*api.Health).Version != "1.2.3" {
					t.Errorf("got %+v", got)
				}
			}},
		{"POST /v1/auth/identify", false, okJSON(t, 200, api.IdentifyResponse{Method: api.MethodMicrosoft, Microsoft: &api.MicrosoftConfig{Authority: "https://login.microsoftonline.com/x", ClientID: "c", Scopes: []string{"api://x/.default"}}}),
			func() (any, error) { return c.Identify(ctx, api.IdentifyRequest{Email: "ana@contoso.com"}) },
			func(t *testing.T, got any, s seen) {
				if r := got.(*api.IdentifyResponse); r.Microsoft == nil || r.Microsoft.ClientID != "c" {
					t.Errorf("got %+v", r)
				}
			}},
		{"POST /v1/auth/login", false, okJSON(t, 200, tokens()),
			func() (any, error) {
				return c.Login(ctx, api.LoginRequest{Email: "ana@example.com", Password: "correct horse battery", Device: dev})
			},
			func(t *testing.T, got any, s seen) {
				if got.(*api.TokenResponse).User.ID != "u1" {
					t.Errorf("got %+v", got)
				}
				var in api.LoginRequest
				if err := json.Unmarshal(s.body, &in); err != nil || in.Device != dev {
					t.Errorf("sent %s", s.body)
				}
			}},
		{"POST /v1/auth/microsoft", false, okJSON(t, 200, tokens()),
			func() (any, error) {
				return c.LoginMicrosoft(ctx, api.MicrosoftLoginRequest{Token: "entra", Device: dev})
			}, nil},
		{"POST /v1/auth/refresh", false, okJSON(t, 200, tokens()),
			func() (any, error) { return c.Refresh(ctx, "rt-old") },
			func(t *testing.T, got any, s seen) {
				if string(s.body) != `{"refresh_token":"rt-old"}` {
					t.Errorf("sent %s", s.body)
				}
			}},
		{"POST /v1/auth/logout", false, answer{status: 204},
			func() (any, error) { return nil, c.Logout(ctx, "rt") }, nil},
		{"POST /v1/auth/password/forgot", false, answer{status: 202},
			func() (any, error) {
				return nil, c.ForgotPassword(ctx, api.ForgotPasswordRequest{Email: "ana@example.com"})
			}, nil},
		{"POST /v1/auth/password/reset", false, answer{status: 204},
			func() (any, error) {
				return nil, c.ResetPassword(ctx, api.ResetPasswordRequest{Email: "ana@example.com", Code: "123456", NewPassword: "a long passphrase"})
			}, nil},
		{"GET /v1/me", true, okJSON(t, 200, me),
			func() (any, error) { return c.Me(ctx) },
			func(t *testing.T, got any, s seen) {
				m := got.(*api.MeResponse)
				if m.Softphone == nil || m.Softphone.Extension.SIPPassword != "sip-secret" || !m.Tenant.Banners[0].FeaturesUnavailable || m.PushURL == "" {
					t.Errorf("got %+v", m)
				}
			}},
		{"POST /v1/me/password", true, okJSON(t, 200, tokens()),
			func() (any, error) {
				return c.ChangePassword(ctx, api.ChangePasswordRequest{Current: "old password!", New: "new passphrase here"})
			},
			func(t *testing.T, got any, s seen) {
				if got.(*api.TokenResponse).AccessToken != "at" {
					t.Errorf("got %+v", got)
				}
			}},
		{"POST /v1/sessions", true, okJSON(t, 201, session),
			func() (any, error) {
				return c.CreateSession(ctx, api.CreateSessionRequest{Station: api.Station{Mode: api.StationDialNumber, DialNumber: "+1 (415) 555-0142"},
					TeamID: "tm1", Device: dev, Takeover: true})
			},
			func(t *testing.T, got any, s seen) {
				if g := got.(*api.Session); g.SessionID != "ses_1" || g.Epoch != 3 || !g.LeaseExpiresAt.Equal(when.Add(time.Minute)) || g.Station != station {
					t.Errorf("got %+v", g)
				}
				var in api.CreateSessionRequest
				if err := json.Unmarshal(s.body, &in); err != nil || !in.Takeover || in.Device != dev || in.Station.DialNumber != "+1 (415) 555-0142" {
					t.Errorf("sent %s", s.body)
				}
			}},
		{"POST /v1/sessions/{id}/heartbeat", true, okJSON(t, 200, api.HeartbeatResponse{LeaseExpiresAt: when.Add(2 * time.Minute), HeartbeatInterval: 15}),
			func() (any, error) {
				return c.Heartbeat(ctx, "ses/1", api.HeartbeatRequest{Epoch: 3, LastActivity: when, OnCall: true})
			},
			func(t *testing.T, got any, s seen) {
				if g := got.(*api.HeartbeatResponse); g.HeartbeatInterval != 15 || !g.LeaseExpiresAt.Equal(when.Add(2*time.Minute)) {
					t.Errorf("got %+v", g)
				}
				if s.rawPath != "/v1/sessions/ses%2F1/heartbeat" {
					t.Errorf("path %q: ids must be escaped", s.rawPath)
				}
				if string(s.body) != `{"epoch":3,"last_activity":"2025-06-01T09:30:00Z","on_call":true}` {
					t.Errorf("sent %s", s.body)
				}
			}},
		{"DELETE /v1/sessions/{id}", true, answer{status: 204},
			func() (any, error) { return nil, c.EndSession(ctx, "ses_1") },
			func(t *testing.T, got any, s seen) {
				if len(s.body) != 0 {
					t.Errorf("sent a body: %s", s.body)
				}
			}},
		{"GET /v1/admin/sessions", true, okJSON(t, 200, api.SessionList{Sessions: []api.LiveSession{live}}),
			func() (any, error) { return c.ListSessions(ctx) },
			func(t *testing.T, got any, s seen) {
				if l := got.(*api.SessionList); len(l.Sessions) != 1 || l.Sessions[0] != live {
					t.Errorf("got %+v", l)
				}
			}},
		{"GET /v1/admin/users", true, okJSON(t, 200, api.UserList{Users: []api.User{user("u1"), user("u2")}, NextCursor: "c2"}),
			func() (any, error) {
				return c.ListUsers(ctx, ListUsersParams{Search: "ana b", Cursor: "c1", Limit: 25})
			},
			func(t *testing.T, got any, s seen) {
				if l := got.(*api.UserList); len(l.Users) != 2 || l.NextCursor != "c2" {
					t.Errorf("got %+v", l)
				}
				if s.query != "cursor=c1&limit=25&search=ana+b" {
					t.Errorf("query %q", s.query)
				}
			}},
		{"POST /v1/admin/users", true, okJSON(t, 201, user("u3")),
			func() (any, error) {
				return c.CreateUser(ctx, api.CreateUserRequest{Email: "new@example.com", DisplayName: "New", Roles: []string{api.RoleAgent},
					Extension: &api.Extension{Number: "1002", SIPUsername: "new", SIPPassword: "sip"}, DefaultDialNumber: "+14155550100"})
			}, nil},
		{"GET /v1/admin/users/{id}", true, okJSON(t, 200, user("a/b")),
			func() (any, error) { return c.GetUser(ctx, "a/b") },
			func(t *testing.T, got any, s seen) {
				if s.rawPath != "/v1/admin/users/a%2Fb" {
					t.Errorf("path %q: ids must be escaped", s.rawPath)
				}
			}},
		{"PATCH /v1/admin/users/{id}", true, okJSON(t, 200, user("u1")),
			func() (any, error) {
				return c.UpdateUser(ctx, "u1", api.UpdateUserRequest{Version: 1, ConfirmLogout: true, DisplayName: &name})
			}, nil},
		{"POST /v1/admin/users/{id}/disable", true, okJSON(t, 200, user("u1")),
			func() (any, error) { return c.DisableUser(ctx, "u1") }, nil},
		{"POST /v1/admin/users/{id}/enable", true, okJSON(t, 200, user("u1")),
			func() (any, error) { return c.EnableUser(ctx, "u1") }, nil},
		{"POST /v1/admin/users/{id}/reset-password", true, answer{status: 202},
			func() (any, error) { return nil, c.ResetUserPassword(ctx, "u1") }, nil},
		{"PUT /v1/admin/users/{id}/password", true, answer{status: 204},
			func() (any, error) {
				return nil, c.SetUserPassword(ctx, "u1", api.SetPasswordRequest{Password: "set by the admin"})
			}, nil},
		{"POST /v1/admin/users/{id}/logout", true, answer{status: 204},
			func() (any, error) { return nil, c.LogoutUser(ctx, "u1") }, nil},
		{"GET /v1/admin/teams", true, okJSON(t, 200, api.TeamList{Teams: []api.Team{team}}),
			func() (any, error) { return c.ListTeams(ctx) }, nil},
		{"POST /v1/admin/teams", true, okJSON(t, 201, team),
			func() (any, error) { return c.CreateTeam(ctx, api.TeamRequest{Name: "Sales"}) }, nil},
		{"GET /v1/admin/teams/{id}", true, okJSON(t, 200, team),
			func() (any, error) { return c.GetTeam(ctx, "tm1") }, nil},
		{"PUT /v1/admin/teams/{id}", true, okJSON(t, 200, team),
			func() (any, error) { return c.UpdateTeam(ctx, "tm1", api.TeamRequest{Name: "Sales", Version: 1}) }, nil},
		{"DELETE /v1/admin/teams/{id}", true, answer{status: 204},
			func() (any, error) { return nil, c.DeleteTeam(ctx, "tm1") }, nil},
		{"GET /v1/admin/queues", true, okJSON(t, 200, api.QueueList{Queues: []api.Queue{queue}}),
			func() (any, error) { return c.ListQueues(ctx) }, nil},
		{"POST /v1/admin/queues", true, okJSON(t, 201, queue),
			func() (any, error) {
				return c.CreateQueue(ctx, api.QueueRequest{Name: "Chat", Kind: api.QueueChat, Channels: []string{api.ChannelWhatsApp}})
			}, nil},
		{"GET /v1/admin/queues/{id}", true, okJSON(t, 200, queue),
			func() (any, error) { return c.GetQueue(ctx, "q1") }, nil},
		{"PUT /v1/admin/queues/{id}", true, okJSON(t, 200, queue),
			func() (any, error) {
				return c.UpdateQueue(ctx, "q1", api.QueueRequest{Name: "Voice", Kind: api.QueueVoice, Version: 1})
			}, nil},
		{"DELETE /v1/admin/queues/{id}", true, answer{status: 204},
			func() (any, error) { return nil, c.DeleteQueue(ctx, "q1") }, nil},
		{"GET /v1/admin/tenant", true, okJSON(t, 200, tenant()),
			func() (any, error) { return c.GetTenant(ctx) },
			func(t *testing.T, got any, s seen) {
				if got.(*api.TenantSettings).Version != 4 {
					t.Errorf("got %+v", got)
				}
			}},
		{"PUT /v1/admin/tenant", true, okJSON(t, 200, tenant()),
			func() (any, error) { return c.PutTenant(ctx, tenant()) }, nil},
		{"GET /v1/admin/audit", true, okJSON(t, 200, api.AuditList{Entries: []api.AuditEntry{{ID: "a1", At: when, ActorID: "u9", ActorEmail: "admin@example.com", Action: "user.update", TargetType: "user", TargetID: "u1", Changes: []string{"display_name"}, RequestID: "r"}}}),
			func() (any, error) {
				return c.ListAudit(ctx, AuditParams{TargetID: "u1", From: when, To: when.Add(time.Hour), Limit: 10})
			},
			func(t *testing.T, got any, s seen) {
				if s.query != "from=2025-06-01T09%3A30%3A00Z&limit=10&target_id=u1&to=2025-06-01T10%3A30%3A00Z" {
					t.Errorf("query %q", s.query)
				}
				if l := got.(*api.AuditList); len(l.Entries) != 1 || !l.Entries[0].At.Equal(when) {
					t.Errorf("got %+v", l)
				}
			}},
	}

	covered := map[string]bool{}
	for _, st := range steps {
		t.Run(st.route, func(t *testing.T) {
			cs.answer(st.answer)
			got, err := st.call()
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			s := cs.last()
			if s.route != st.route {
				t.Fatalf("hit %q, want %q", s.route, st.route)
			}
			covered[s.route] = true
			if auth := s.header.Get("Authorization"); (auth == "Bearer tok") != st.auth {
				t.Errorf("Authorization %q; want a bearer token: %v", auth, st.auth)
			}
			if len(s.body) > 0 && s.header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", s.header.Get("Content-Type"))
			}
			if st.check != nil {
				st.check(t, got, s)
			}
		})
	}

	// Every operation of the spec but the /p/ pages has a method.
	var missing []string
	for _, r := range openapi.Routes() {
		if strings.HasPrefix(r.Path, "/p/") {
			continue
		}
		if k := r.Method + " " + r.Path; !covered[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operations without a tested client method: %v", missing)
	}
}

func TestProblemDecode(t *testing.T) {
	cs := newContractServer(t)
	var hooked []ResponseInfo
	c := New(cs.srv.URL, WithResponseHook(func(ri ResponseInfo) { hooked = append(hooked, ri) }))

	cs.answer(problemAnswer(t, 401, api.CodeInvalidCredentials))
	_, err := c.Login(context.Background(), api.LoginRequest{Email: "a@example.com", Password: "nope nope", Device: api.Device{ID: "d"}})
	var p *api.Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %T %v is not a *api.Problem", err, err)
	}
	if p.Status != 401 || p.Code != api.CodeInvalidCredentials || p.Detail != "detail of invalid_credentials" || p.Type != api.ProblemType(api.CodeInvalidCredentials) {
		t.Errorf("problem %+v", p)
	}
	// The body had no request_id: the header fills it in.
	if p.RequestID == "" || p.RequestID != c.LastRequestID() {
		t.Errorf("request id %q, last %q", p.RequestID, c.LastRequestID())
	}
	if len(hooked) != 1 || hooked[0].Status != 401 || hooked[0].RequestID != p.RequestID || hooked[0].Path != "/v1/auth/login" {
		t.Errorf("hook saw %+v", hooked)
	}

	// Members specific to one code come through.
	cs.answer(problemAnswer(t, 409, api.CodeConfirmLogout, func(p *api.Problem) {
		p.Confirmation = "You edited the user. Confirming will log the user out of their queue(s). Confirm?"
		p.RequestID = "from-body"
		p.Field = "team_ids"
	}))
	_, err = New(cs.srv.URL, WithAccessToken("t")).UpdateUser(context.Background(), "u1", api.UpdateUserRequest{Version: 1})
	if !errors.As(err, &p) || p.Code != api.CodeConfirmLogout || !strings.HasPrefix(p.Confirmation, "You edited") || p.RequestID != "from-body" || p.Field != "team_ids" {
		t.Errorf("problem %+v", p)
	}
}

// TestSessionProblems: the members of the session problems come through,
// so the desktop can show who holds the session and why it ended.
func TestSessionProblems(t *testing.T) {
	cs := newContractServer(t)
	c := New(cs.srv.URL, WithAccessToken("t"))
	ctx := context.Background()
	req := api.CreateSessionRequest{Station: api.Station{Mode: api.StationDesktop}, Device: api.Device{ID: "d2", Name: "Laptop", Platform: "macos"}}
	holder := api.SessionHolder{DeviceName: "Front desk", Platform: "windows", Since: when, OnCall: true}

	cs.answer(problemAnswer(t, 409, api.CodeSessionElsewhere, func(p *api.Problem) { p.Holder = &holder }))
	_, err := c.CreateSession(ctx, req)
	var p *api.Problem
	if !errors.As(err, &p) || p.Status != 409 || p.Code != api.CodeSessionElsewhere || p.Holder == nil || *p.Holder != holder {
		t.Errorf("session_active_elsewhere: %v %+v", err, p)
	}

	for _, c2 := range []struct {
		status int
		code   string
	}{{403, api.CodeStationModeNotAllowed}, {403, api.CodeDialNumberLocked}, {409, api.CodeDialNumberInUse},
		{422, api.CodeInvalidDialNumber}, {422, api.CodeInvalidExtension}, {422, api.CodeUnknownTeam}} {
		cs.answer(problemAnswer(t, c2.status, c2.code, func(p *api.Problem) { p.Field = "station" }))
		if _, err := c.CreateSession(ctx, req); !errors.As(err, &p) || p.Status != c2.status || p.Code != c2.code || p.Field != "station" {
			t.Errorf("%s: %v %+v", c2.code, err, p)
		}
	}

	beat := api.HeartbeatRequest{Epoch: 1}
	cs.answer(problemAnswer(t, 410, api.CodeSessionRevoked, func(p *api.Problem) { p.Reason = "admin_edit" }))
	if _, err := c.Heartbeat(ctx, "ses_1", beat); !errors.As(err, &p) || p.Status != 410 || p.Code != api.CodeSessionRevoked || p.Reason != "admin_edit" {
		t.Errorf("session_revoked: %v %+v", err, p)
	}
	cs.answer(problemAnswer(t, 409, api.CodeSessionTakenOver))
	if _, err := c.Heartbeat(ctx, "ses_1", beat); !errors.As(err, &p) || p.Status != 409 || p.Code != api.CodeSessionTakenOver {
		t.Errorf("session_taken_over: %v %+v", err, p)
	}
	cs.answer(problemAnswer(t, 404, api.CodeNotFound))
	if err := c.EndSession(ctx, "ses_0"); !errors.As(err, &p) || p.Status != 404 || p.Code != api.CodeNotFound {
		t.Errorf("end unknown session: %v %+v", err, p)
	}
	cs.answer(problemAnswer(t, 403, api.CodeForbidden))
	if _, err := c.ListSessions(ctx); !errors.As(err, &p) || p.Status != 403 || p.Code != api.CodeForbidden {
		t.Errorf("list as an agent: %v %+v", err, p)
	}
}

func TestRetryAfter(t *testing.T) {
	cs := newContractServer(t)
	c := New(cs.srv.URL)
	login := func() *api.Problem {
		t.Helper()
		_, err := c.Login(context.Background(), api.LoginRequest{Email: "a@example.com", Password: "x", Device: api.Device{ID: "d"}})
		var p *api.Problem
		if !errors.As(err, &p) {
			t.Fatalf("error %v", err)
		}
		return p
	}

	// Header only.
	a := problemAnswer(t, 429, api.CodeTooManyAttempts)
	a.header = map[string]string{"Retry-After": "42"}
	cs.answer(a)
	if p := login(); p.RetryAfter != 42 || p.Status != 429 || p.Code != api.CodeTooManyAttempts {
		t.Errorf("header only: %+v", p)
	}

	// The body's member wins over the header.
	a = problemAnswer(t, 429, api.CodeTooManyAttempts, func(p *api.Problem) { p.RetryAfter = 30 })
	a.header = map[string]string{"Retry-After": "31"}
	cs.answer(a)
	if p := login(); p.RetryAfter != 30 {
		t.Errorf("body and header: %+v", p)
	}

	// HTTP-date form.
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := retryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now); got != 90 {
		t.Errorf("HTTP date: %d", got)
	}
	for _, v := range []string{"", "soon", "-5"} {
		if got := retryAfter(v, now); got != 0 {
			t.Errorf("retryAfter(%q) = %d", v, got)
		}
	}
}

// rawServer answers whatever the test says, without the contract checks
// (for answers a gateway or a broken server might send).
func rawServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func TestNonProblemErrors(t *testing.T) {
	s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/health":
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("X-Request-Id", "gw-1")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>Bad Gateway</html>")
		case "/v1/me":
			// API Gateway's own throttling answer.
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"message":"Too Many Requests"}`)
		}
	})
	c := New(s.URL)
	var p *api.Problem
	if _, err := c.Health(context.Background()); !errors.As(err, &p) || p.Status != 502 || p.Code != api.CodeInternal || p.RequestID != "gw-1" || !strings.Contains(p.Detail, "Bad Gateway") || p.Title != "Bad Gateway" {
		t.Errorf("502: %v %+v", err, p)
	}
	if _, err := c.Me(context.Background()); !errors.As(err, &p) || p.Status != 429 || p.Code != api.CodeTooManyAttempts || p.RetryAfter != 3 {
		t.Errorf("429: %v %+v", err, p)
	}
}

func TestUnknownFieldsTolerated(t *testing.T) {
	s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok","version":"9","region":"eu-west-1","extra":{"nested":[1,2]}}`)
	})
	h, err := New(s.URL).Health(context.Background())
	if err != nil || h.Status != "ok" || h.Version != "9" {
		t.Fatalf("%v %+v", err, h)
	}
}

func TestBadSuccessBodies(t *testing.T) {
	big := strings.Repeat(" ", MaxResponseBytes) + "{}"
	s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "r-"+r.URL.Path)
		switch r.URL.Path {
		case "/v1/health":
			io.WriteString(w, big)
		case "/v1/me":
			io.WriteString(w, `{"user":`)
		case "/v1/admin/tenant":
			w.WriteHeader(http.StatusOK) // no body
		}
	})
	c := New(s.URL)
	var re *ResponseError
	if _, err := c.Health(context.Background()); !errors.As(err, &re) || !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized body: %v", err)
	}
	if _, err := c.Me(context.Background()); !errors.As(err, &re) || re.RequestID != "r-/v1/me" || re.Status != 200 {
		t.Errorf("truncated JSON: %v", err)
	}
	if _, err := c.GetTenant(context.Background()); !errors.As(err, &re) {
		t.Errorf("empty body: %v", err)
	}
}

func TestContextIsRespected(t *testing.T) {
	release := make(chan struct{})
	s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := New(s.URL).Health(ctx)
	var ne *NetworkError
	if !errors.As(err, &ne) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %T %v", err, err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the deadline was not honoured")
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := New(s.URL).Health(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestNetworkError(t *testing.T) {
	s := httptest.NewServer(http.NotFoundHandler())
	url := s.URL
	s.Close()
	_, err := New(url).Health(context.Background())
	var ne *NetworkError
	if !errors.As(err, &ne) || ne.Path != "/v1/health" {
		t.Fatalf("error %T %v", err, err)
	}
}

func TestHeadersAndOptions(t *testing.T) {
	var got http.Header
	var path string
	s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		got, path = r.Header.Clone(), r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok","version":"1"}`)
	})
	calls := 0
	hc := &http.Client{Timeout: time.Second}
	c := New(s.URL+"/prefix/", WithHTTPClient(hc), WithAcceptLanguage("pt-BR"), WithUserAgent("AgentDesk/2.0 (windows)"),
		WithTokenSource(func(ctx context.Context) (string, error) { calls++; return "tok-" + fmt.Sprint(calls), nil }))

	if _, err := c.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	if path != "/prefix/v1/health" {
		t.Errorf("path %q: the server URL's prefix must be kept", path)
	}
	if got.Get("Accept-Language") != "pt-BR" || got.Get("User-Agent") != "AgentDesk/2.0 (windows)" || !strings.Contains(got.Get("Accept"), "application/problem+json") {
		t.Errorf("headers %v", got)
	}
	if got.Get("Authorization") != "" || calls != 0 {
		t.Error("a public operation sent the access token")
	}
	var out api.Health
	if err := c.Do(context.Background(), http.MethodGet, "/v1/me", nil, nil, &out); err != nil || got.Get("Authorization") != "Bearer tok-1" {
		t.Errorf("Do: %v, Authorization %q", err, got.Get("Authorization"))
	}

	// A token source error stops the call before it is sent.
	path = ""
	boom := errors.New("keyring locked")
	c = New(s.URL, WithTokenSource(func(context.Context) (string, error) { return "", boom }))
	if _, err := c.Me(context.Background()); !errors.Is(err, boom) || path != "" {
		t.Errorf("token error: %v (path %q)", err, path)
	}

	// Default user agent; no token source sends no Authorization.
	if _, err := New(s.URL).Me(context.Background()); err == nil {
		if got.Get("User-Agent") != DefaultUserAgent || got.Get("Authorization") != "" {
			t.Errorf("defaults: %v", got)
		}
	}
}

func TestBadBaseURL(t *testing.T) {
	for _, u := range []string{"", "example.com", "ftp://example.com", "http://", "http://a b"} {
		if _, err := New(u).Health(context.Background()); err == nil {
			t.Errorf("New(%q) worked", u)
		}
	}
}

func TestChangePasswordNoContent(t *testing.T) {
	s := rawServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	tr, err := New(s.URL, WithAccessToken("t")).ChangePassword(context.Background(), api.ChangePasswordRequest{Current: "a", New: "b"})
	if err != nil || tr != nil {
		t.Fatalf("%v %+v", err, tr)
	}
}
