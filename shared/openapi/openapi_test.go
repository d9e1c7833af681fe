package openapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

func mustLoad(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestLoad(t *testing.T) {
	doc := mustLoad(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	again, _ := Load()
	if again != doc {
		t.Error("Load is not cached")
	}
	if len(YAML()) == 0 {
		t.Error("YAML is empty")
	}
	if _, err := Router(); err != nil {
		t.Fatal(err)
	}
	if len(Routes()) == 0 {
		t.Fatal("no routes")
	}
}

var publicRoutes = map[string]bool{
	"GET /v1/health":                true,
	"POST /v1/auth/identify":        true,
	"POST /v1/auth/login":           true,
	"POST /v1/auth/microsoft":       true,
	"POST /v1/auth/refresh":         true,
	"POST /v1/auth/logout":          true,
	"POST /v1/auth/password/forgot": true,
	"POST /v1/auth/password/reset":  true,
	"GET /p/reset":                  true,
	"POST /p/reset":                 true,
	"GET /p/verify":                 true,
}

// TestContractRules checks the rules DESIGN.md sets for every operation.
func TestContractRules(t *testing.T) {
	doc := mustLoad(t)
	ids := map[string]bool{}
	for _, r := range Routes() {
		key := r.Method + " " + r.Path
		op := doc.Paths.Find(r.Path).GetOperation(r.Method)
		page := strings.HasPrefix(r.Path, "/p/")

		if r.OperationID == "" || ids[r.OperationID] {
			t.Errorf("%s: missing or duplicate operationId %q", key, r.OperationID)
		}
		ids[r.OperationID] = true
		if r.Public != publicRoutes[key] {
			t.Errorf("%s: public=%v, want %v", key, r.Public, publicRoutes[key])
		}

		statuses := map[int]bool{}
		for code, ref := range op.Responses.Map() {
			n, err := strconv.Atoi(code)
			if err != nil {
				t.Errorf("%s: response %q: only explicit status codes are documented", key, code)
				continue
			}
			statuses[n] = true
			resp := ref.Value
			h := resp.Headers["X-Request-Id"]
			if h == nil || !h.Value.Required {
				t.Errorf("%s %d: no required X-Request-Id header", key, n)
			}
			if n == http.StatusTooManyRequests {
				if h := resp.Headers["Retry-After"]; h == nil || !h.Value.Required {
					t.Errorf("%s 429: no required Retry-After header", key)
				}
			}
			if n >= 400 {
				if resp.Content.Get(api.ProblemContentType) == nil {
					t.Errorf("%s %d: error responses must offer application/problem+json", key, n)
				}
				for ct := range resp.Content {
					if ct != api.ProblemContentType && !(page && ct == "text/html") {
						t.Errorf("%s %d: error response with content %s", key, n, ct)
					}
				}
			} else if n < 300 && len(resp.Content) > 0 {
				for ct := range resp.Content {
					want := "application/json"
					if page {
						want = "text/html"
					}
					if ct != want {
						t.Errorf("%s %d: content %s, want %s", key, n, ct, want)
					}
				}
			}
			for ct, mt := range resp.Content {
				if mt.Schema != nil {
					checkResponseSchema(t, key+" "+code+" "+ct, mt.Schema, map[*openapi3.Schema]bool{})
				}
			}
		}

		want := []int{500}
		if !r.Public {
			want = append(want, 401)
		}
		if strings.HasPrefix(r.Path, "/v1/admin/") {
			want = append(want, 403)
		}
		if strings.Contains(r.Path, "{id}") {
			want = append(want, 404)
		}
		if rb := op.RequestBody; rb != nil && !page {
			want = append(want, 400, 413, 415, 422)
			mt := rb.Value.Content.Get("application/json")
			if mt == nil || len(rb.Value.Content) != 1 {
				t.Errorf("%s: request bodies are application/json only", key)
			} else if ap := mt.Schema.Value.AdditionalProperties.Has; ap == nil || *ap {
				t.Errorf("%s: request body schema must set additionalProperties: false", key)
			}
		}
		for _, w := range want {
			if !statuses[w] {
				t.Errorf("%s: status %d not documented", key, w)
			}
		}
		ok := 0
		for n := range statuses {
			if n >= 200 && n < 300 {
				ok++
			}
		}
		if ok != 1 {
			t.Errorf("%s: %d success statuses documented, want exactly 1", key, ok)
		}
		for _, p := range op.Parameters {
			if p.Value.In == "path" && (p.Value.Name != "id" || !strings.Contains(r.Path, "{id}")) {
				t.Errorf("%s: unexpected path parameter %s", key, p.Value.Name)
			}
		}
	}
}

// checkResponseSchema: response schemas never forbid extra members (the
// server may add some), and every string has a limit.
func checkResponseSchema(t *testing.T, where string, ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	s := ref.Value
	if seen[s] {
		return
	}
	seen[s] = true
	if ap := s.AdditionalProperties.Has; ap != nil && !*ap {
		t.Errorf("%s: response schema %s sets additionalProperties: false", where, ref.Ref)
	}
	for _, sub := range s.AllOf {
		checkResponseSchema(t, where, sub, seen)
	}
	for _, p := range s.Properties {
		checkResponseSchema(t, where, p, seen)
	}
	if s.Items != nil {
		checkResponseSchema(t, where, s.Items, seen)
	}
}

// TestEveryStringHasALimit walks every schema (components and parameters)
// and requires maxLength (or an enum) on strings.
func TestEveryStringHasALimit(t *testing.T) {
	doc := mustLoad(t)
	var walk func(where string, s *openapi3.Schema, seen map[*openapi3.Schema]bool)
	walk = func(where string, s *openapi3.Schema, seen map[*openapi3.Schema]bool) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if schemaType(s) == "string" && s.MaxLength == nil && len(s.Enum) == 0 {
			t.Errorf("%s: string without maxLength", where)
		}
		names := make([]string, 0, len(s.Properties))
		for n := range s.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			walk(where+"."+n, s.Properties[n].Value, seen)
		}
		if s.Items != nil {
			walk(where+"[]", s.Items.Value, seen)
		}
		for _, sub := range s.AllOf {
			walk(where, sub.Value, seen)
		}
	}
	for name, s := range doc.Components.Schemas {
		walk(name, s.Value, map[*openapi3.Schema]bool{})
	}
	for _, r := range Routes() {
		op := doc.Paths.Find(r.Path).GetOperation(r.Method)
		params := append(openapi3.Parameters{}, doc.Paths.Find(r.Path).Parameters...)
		params = append(params, op.Parameters...)
		for _, p := range params {
			walk(r.Method+" "+r.Path+" ?"+p.Value.Name, p.Value.Schema.Value, map[*openapi3.Schema]bool{})
		}
	}
}

// TestLimitsMatchValidate ties the spec's limits to package validate.
func TestLimitsMatchValidate(t *testing.T) {
	doc := mustLoad(t)
	prop := func(schema, name string) *openapi3.Schema {
		s := doc.Components.Schemas[schema]
		if s == nil || s.Value.Properties[name] == nil {
			t.Fatalf("no %s.%s", schema, name)
		}
		return resolve(s.Value.Properties[name])
	}
	checks := []struct {
		schema, prop string
		max          int
	}{
		{"LoginRequest", "email", validate.MaxEmail},
		{"LoginRequest", "password", validate.MaxPassword},
		{"IdentifyRequest", "email", validate.MaxEmail},
		{"ForgotPasswordRequest", "email", validate.MaxEmail},
		{"ResetPasswordRequest", "new_password", validate.MaxPassword},
		{"ChangePasswordRequest", "new", validate.MaxPassword},
		{"SetPasswordRequest", "password", validate.MaxPassword},
		{"MicrosoftLoginRequest", "token", validate.MaxToken},
		{"RefreshRequest", "refresh_token", validate.MaxToken},
		{"Device", "id", validate.MaxID},
		{"Device", "name", validate.MaxDeviceName},
		{"Device", "platform", validate.MaxPlatform},
		{"CreateUserRequest", "email", validate.MaxEmail},
		{"CreateUserRequest", "display_name", validate.MaxDisplayName},
		{"CreateUserRequest", "default_dial_number", validate.MaxDialNumber},
		{"UpdateUserRequest", "display_name", validate.MaxDisplayName},
		{"UpdateUserRequest", "default_dial_number", validate.MaxDialNumber},
		{"ExtensionInput", "number", validate.MaxExtension},
		{"ExtensionInput", "sip_username", validate.MaxSIPUsername},
		{"ExtensionInput", "sip_password", validate.MaxSIPPassword},
		{"TeamRequest", "name", validate.MaxName},
		{"TeamRequest", "description", validate.MaxDescription},
		{"QueueRequest", "name", validate.MaxName},
		{"TenantSettingsInput", "name", validate.MaxName},
		{"TenantSettingsInput", "illustration_url", validate.MaxURL},
		{"BannerInput", "message", validate.MaxBanner},
		{"StationPolicyInput", "default_dial_number", validate.MaxDialNumber},
		{"User", "email", validate.MaxEmail},
		{"User", "display_name", validate.MaxDisplayName},
		{"StationInput", "dial_number", validate.MaxDialNumber},
		{"StationInput", "extension", validate.MaxExtension},
		{"Station", "dial_number", validate.MaxDialNumber},
		{"Station", "extension", validate.MaxExtension},
		{"CreateSessionRequest", "team_id", validate.MaxID},
		{"DeviceInfo", "id", validate.MaxID},
		{"DeviceInfo", "name", validate.MaxDeviceName},
		{"DeviceInfo", "platform", validate.MaxPlatform},
		{"LiveSession", "email", validate.MaxEmail},
		{"LiveSession", "display_name", validate.MaxDisplayName},
	}
	for _, c := range checks {
		s := prop(c.schema, c.prop)
		if s.MaxLength == nil || int(*s.MaxLength) != c.max {
			t.Errorf("%s.%s maxLength = %v, want %d", c.schema, c.prop, s.MaxLength, c.max)
		}
	}
	for _, p := range []string{"team_ids", "queue_ids"} {
		if s := prop("CreateUserRequest", p); s.MaxItems == nil || int(*s.MaxItems) != validate.MaxListItems {
			t.Errorf("CreateUserRequest.%s maxItems = %v, want %d", p, s.MaxItems, validate.MaxListItems)
		}
	}
	limit := doc.Components.Parameters["Limit"].Value.Schema.Value
	if limit.Min == nil || *limit.Min != 1 || limit.Max == nil || int(*limit.Max) != validate.MaxListItems {
		t.Errorf("limit parameter is not 1..%d", validate.MaxListItems)
	}
	search := doc.Paths.Find("/v1/admin/users").Get.Parameters.GetByInAndName("query", "search").Schema.Value
	if search.MaxLength == nil || int(*search.MaxLength) != validate.MaxSearch {
		t.Errorf("search maxLength is not %d", validate.MaxSearch)
	}
}

func TestEnumsMatchAPI(t *testing.T) {
	doc := mustLoad(t)
	enum := func(name string) []string {
		var out []string
		for _, v := range doc.Components.Schemas[name].Value.Enum {
			out = append(out, v.(string))
		}
		sort.Strings(out)
		return out
	}
	sorted := func(s ...string) []string { sort.Strings(s); return s }
	for name, want := range map[string][]string{
		"Role":        sorted(api.RoleAgent, api.RoleSupervisor, api.RoleAdmin),
		"Locale":      sorted(api.Locales...),
		"StationMode": sorted(api.StationDialNumber, api.StationExtension, api.StationDesktop),
		"QueueKind":   sorted(api.QueueVoice, api.QueueChat),
		"Channel":     sorted(api.ChannelWebChat, api.ChannelWhatsApp),
	} {
		if got := enum(name); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s enum = %v, want %v", name, got, want)
		}
	}
}

// ---- ValidateResponse / ValidateRequest ---------------------------------------

func jsonHeader(ct string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", ct)
	h.Set("X-Request-Id", "req-1")
	return h
}

func sampleUser() api.User {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	return api.User{
		ID: "u1", Email: "ana@example.com", DisplayName: "Ana", Locale: "pt-BR",
		Roles: []string{api.RoleAgent}, Status: api.StatusActive,
		WebRTCEnabled: true, Extension: &api.Extension{Number: "1001", SIPUsername: "ana"},
		DefaultDialNumber: "+14155550100", StationModes: []string{api.StationDesktop},
		TeamIDs: []string{"t1"}, QueueIDs: []string{}, PasswordSet: true, Version: 3,
		CreatedAt: now, UpdatedAt: now,
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func problem(status int, code string) api.Problem {
	return api.Problem{Type: api.ProblemType(code), Title: http.StatusText(status), Status: status, Code: code, RequestID: "req-1"}
}

func TestValidateResponse(t *testing.T) {
	login := func() *http.Request { return httptest.NewRequest(http.MethodPost, "/v1/auth/login", nil) }
	tokens := api.TokenResponse{AccessToken: "a", RefreshToken: "r", TokenType: "Bearer", ExpiresIn: 900, User: sampleUser()}
	withSecret := sampleUser()
	withSecret.Extension.SIPPassword = "s3cret"
	nilSlices := sampleUser()
	nilSlices.TeamIDs = nil
	tooMany := problem(429, api.CodeTooManyAttempts)
	tooMany.RetryAfter = 30
	retry := jsonHeader(api.ProblemContentType)
	retry.Set("Retry-After", "30")
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	session := api.Session{SessionID: "ses_1", Epoch: 2, LeaseExpiresAt: at, HeartbeatInterval: 20,
		Station: api.Station{Mode: api.StationDialNumber, DialNumber: "+14155550100"}}
	elsewhere := problem(409, api.CodeSessionElsewhere)
	elsewhere.Holder = &api.SessionHolder{DeviceName: "Front desk", Platform: "windows", Since: at, OnCall: true}
	revoked := problem(410, api.CodeSessionRevoked)
	revoked.Reason = "inactivity"
	sessions := api.SessionList{Sessions: []api.LiveSession{{SessionID: "ses_1", Epoch: 1, UserID: "u1", Email: "ana@example.com",
		DisplayName: "Ana", Device: api.Device{ID: "d1", Name: "PC", Platform: "windows"}, Station: api.Station{Mode: api.StationDesktop, Extension: "1001"},
		Since: at, LastHeartbeat: at}}}
	createSession := func() *http.Request { return httptest.NewRequest(http.MethodPost, "/v1/sessions", nil) }
	beat := func() *http.Request { return httptest.NewRequest(http.MethodPost, "/v1/sessions/ses_1/heartbeat", nil) }

	cases := []struct {
		name    string
		req     *http.Request
		status  int
		header  http.Header
		body    []byte
		wantErr string // "" for valid
	}{
		{"login ok", login(), 200, jsonHeader("application/json"), mustJSON(t, tokens), ""},
		{"charset in content type", login(), 200, jsonHeader("application/json; charset=utf-8"), mustJSON(t, tokens), ""},
		{"unknown response member tolerated", login(), 200, jsonHeader("application/json"),
			[]byte(`{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":1,"scope":"x","user":` + string(mustJSON(t, sampleUser())) + `}`), ""},
		{"missing request id", login(), 200, http.Header{"Content-Type": {"application/json"}}, mustJSON(t, tokens), "X-Request-Id"},
		{"missing required member", login(), 200, jsonHeader("application/json"), []byte(`{"access_token":"a"}`), "doesn't match"},
		{"secret in response", httptest.NewRequest(http.MethodGet, "/v1/admin/users/u1", nil), 200, jsonHeader("application/json"), mustJSON(t, withSecret), "writeOnly"},
		{"nil slice sent as null", httptest.NewRequest(http.MethodGet, "/v1/admin/users/u1", nil), 200, jsonHeader("application/json"), mustJSON(t, nilSlices), "doesn't match"},
		{"problem ok", login(), 401, jsonHeader(api.ProblemContentType), mustJSON(t, problem(401, api.CodeInvalidCredentials)), ""},
		{"problem as plain json", login(), 401, jsonHeader("application/json"), mustJSON(t, problem(401, api.CodeInvalidCredentials)), "Content-Type"},
		{"problem status mismatch", login(), 403, jsonHeader(api.ProblemContentType), mustJSON(t, problem(401, api.CodeInvalidCredentials)), "status member"},
		{"undocumented status", login(), 418, jsonHeader(api.ProblemContentType), mustJSON(t, problem(418, "teapot")), "status is not supported"},
		{"429 with Retry-After", login(), 429, retry, mustJSON(t, tooMany), ""},
		{"429 without Retry-After", login(), 429, jsonHeader(api.ProblemContentType), mustJSON(t, tooMany), "Retry-After"},
		{"204 empty", httptest.NewRequest(http.MethodPost, "/v1/auth/logout", nil), 204, http.Header{"X-Request-Id": {"r"}}, nil, ""},
		{"204 with body", httptest.NewRequest(http.MethodPost, "/v1/auth/logout", nil), 204, http.Header{"X-Request-Id": {"r"}}, []byte("{}"), "without a body"},
		{"202 forgot", httptest.NewRequest(http.MethodPost, "/v1/auth/password/forgot", nil), 202, http.Header{"X-Request-Id": {"r"}}, nil, ""},
		{"page html", httptest.NewRequest(http.MethodGet, "/p/reset?token=abc", nil), 200, jsonHeader("text/html; charset=utf-8"), []byte("<!doctype html><p>hi</p>"), ""},
		{"page error html", httptest.NewRequest(http.MethodGet, "/p/verify?token=abc", nil), 410, jsonHeader("text/html; charset=utf-8"), []byte("<p>expired</p>"), ""},
		{"path parameter", httptest.NewRequest(http.MethodDelete, "/v1/admin/teams/t-1", nil), 204, http.Header{"X-Request-Id": {"r"}}, nil, ""},
		{"bad enum", httptest.NewRequest(http.MethodGet, "/v1/admin/queues/q1", nil), 200, jsonHeader("application/json"),
			[]byte(`{"id":"q1","name":"Q","kind":"fax","channels":[],"version":1}`), "doesn't match"},
		{"session created", createSession(), 201, jsonHeader("application/json"), mustJSON(t, session), ""},
		{"session as 200", createSession(), 200, jsonHeader("application/json"), mustJSON(t, session), "status is not supported"},
		{"session active elsewhere", createSession(), 409, jsonHeader(api.ProblemContentType), mustJSON(t, elsewhere), ""},
		{"holder since not a date-time", createSession(), 409, jsonHeader(api.ProblemContentType),
			[]byte(`{"type":"t","title":"Conflict","status":409,"code":"session_active_elsewhere","holder":{"device_name":"d","platform":"p","since":"yesterday","on_call":false}}`), "doesn't match"},
		{"heartbeat ok", beat(), 200, jsonHeader("application/json"), mustJSON(t, api.HeartbeatResponse{LeaseExpiresAt: at, HeartbeatInterval: 20}), ""},
		{"heartbeat taken over", beat(), 409, jsonHeader(api.ProblemContentType), mustJSON(t, problem(409, api.CodeSessionTakenOver)), ""},
		{"heartbeat revoked", beat(), 410, jsonHeader(api.ProblemContentType), mustJSON(t, revoked), ""},
		{"session ended", httptest.NewRequest(http.MethodDelete, "/v1/sessions/ses_1", nil), 204, http.Header{"X-Request-Id": {"r"}}, nil, ""},
		{"live sessions", httptest.NewRequest(http.MethodGet, "/v1/admin/sessions", nil), 200, jsonHeader("application/json"), mustJSON(t, sessions), ""},
		{"no sessions sent as null", httptest.NewRequest(http.MethodGet, "/v1/admin/sessions", nil), 200, jsonHeader("application/json"), mustJSON(t, api.SessionList{}), "doesn't match"},
		{"unknown path", httptest.NewRequest(http.MethodGet, "/v1/nope", nil), 404, jsonHeader(api.ProblemContentType), mustJSON(t, problem(404, api.CodeNotFound)), "no matching operation"},
		{"unknown method", httptest.NewRequest(http.MethodDelete, "/v1/health", nil), 405, jsonHeader(api.ProblemContentType), mustJSON(t, problem(405, api.CodeMethodNotAllowed)), "method not allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateResponse(c.req, c.status, c.header, c.body)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.wantErr != "" && err == nil:
				t.Fatalf("accepted; want an error mentioning %q", c.wantErr)
			case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
				t.Fatalf("error %q does not mention %q", err, c.wantErr)
			}
		})
	}
}

func TestValidateRequest(t *testing.T) {
	body := func(v any) *strings.Reader { return strings.NewReader(string(mustJSON(t, v))) }
	req := func(method, path string, b *strings.Reader, bearer bool) *http.Request {
		var r *http.Request
		if b == nil {
			r = httptest.NewRequest(method, path, nil)
		} else {
			r = httptest.NewRequest(method, path, b)
			r.Header.Set("Content-Type", "application/json")
		}
		if bearer {
			r.Header.Set("Authorization", "Bearer tok")
		}
		return r
	}
	loginReq := api.LoginRequest{Email: "a@example.com", Password: "pw", Device: api.Device{ID: "d", Name: "PC", Platform: "windows"}}

	r := req("POST", "/v1/auth/login", body(loginReq), false)
	if err := ValidateRequest(r); err != nil {
		t.Fatalf("login: %v", err)
	}
	var back api.LoginRequest
	if err := json.NewDecoder(r.Body).Decode(&back); err != nil || back != loginReq {
		t.Fatalf("body not restored: %v %+v", err, back)
	}
	if err := ValidateRequest(req("POST", "/v1/auth/login", strings.NewReader(`{"email":"a@example.com","password":"p","device":{"id":"d","name":"n","platform":"p"},"remember":true}`), false)); err == nil {
		t.Error("unknown member accepted")
	}
	if err := ValidateRequest(req("GET", "/v1/me", nil, false)); err == nil {
		t.Error("missing bearer accepted")
	}
	if err := ValidateRequest(req("GET", "/v1/me", nil, true)); err != nil {
		t.Errorf("me: %v", err)
	}
	if err := ValidateRequest(req("GET", "/v1/admin/users?limit=101", nil, true)); err == nil {
		t.Error("limit 101 accepted")
	}
	if err := ValidateRequest(req("GET", "/v1/admin/audit?from=yesterday", nil, true)); err == nil {
		t.Error("bad date-time accepted")
	}
	// What the Go encoder writes for zero values must pass: nulls for nil
	// slices and pointers, empty strings.
	for path, v := range map[string]any{
		"/v1/admin/users":  api.CreateUserRequest{Email: "b@example.com", DisplayName: "B"},
		"/v1/admin/queues": api.QueueRequest{Name: "Q", Kind: api.QueueVoice},
		"/v1/admin/teams":  api.TeamRequest{Name: "T"},
	} {
		if err := ValidateRequest(req("POST", path, body(v), true)); err != nil {
			t.Errorf("POST %s with Go zero values: %v", path, err)
		}
	}
	dev := api.Device{ID: "d1", Name: "PC", Platform: "windows"}
	for path, v := range map[string]any{
		"/v1/sessions":                 api.CreateSessionRequest{Station: api.Station{Mode: api.StationDesktop}, Device: dev},
		"/v1/sessions/ses_1/heartbeat": api.HeartbeatRequest{Epoch: 1},
	} {
		if err := ValidateRequest(req("POST", path, body(v), true)); err != nil {
			t.Errorf("POST %s with Go zero values: %v", path, err)
		}
	}
	if err := ValidateRequest(req("POST", "/v1/sessions", strings.NewReader(`{"station":{"mode":"dial_number","dial_number":"+14155550100","line":"2"},"device":{"id":"d","name":"n","platform":"p"}}`), true)); err == nil {
		t.Error("unknown station member accepted")
	}
	if err := ValidateRequest(req("POST", "/v1/sessions/ses_1/heartbeat", body(api.HeartbeatRequest{}), true)); err == nil {
		t.Error("heartbeat with epoch 0 accepted")
	}
	if err := ValidateRequest(req("DELETE", "/v1/sessions/ses_1", nil, true)); err != nil {
		t.Errorf("DELETE session: %v", err)
	}
	if err := ValidateRequest(req("PUT", "/v1/admin/tenant", body(api.TenantSettings{Name: "Acme", DefaultLocale: "en", IdentityProvider: api.IdentityProvider{Type: "password"}, HeartbeatSeconds: 121, LeaseSeconds: 300, Version: 1}), true)); err == nil {
		t.Error("heartbeat_seconds 121 accepted")
	}
	name := "New name"
	if err := ValidateRequest(req("PATCH", "/v1/admin/users/u1", body(api.UpdateUserRequest{Version: 2, DisplayName: &name}), true)); err != nil {
		t.Errorf("PATCH user: %v", err)
	}
	if err := ValidateRequest(req("PUT", "/v1/admin/tenant", body(api.TenantSettings{Name: "Acme", DefaultLocale: "en", IdentityProvider: api.IdentityProvider{Type: "password"}, Version: 1}), true)); err != nil {
		t.Errorf("PUT tenant: %v", err)
	}
	form := httptest.NewRequest("POST", "/p/reset", strings.NewReader("token=t&csrf=c&password=correct+horse&password_confirm=correct+horse&lang=fr&username=a%40example.com"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := ValidateRequest(form); err != nil {
		t.Errorf("reset form: %v", err)
	}
}
