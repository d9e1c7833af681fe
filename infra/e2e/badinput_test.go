package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/infra/template"
	"github.com/agentdesk/agentdesk/shared/api"
)

// TestBadInputOnEveryRoute sends broken requests to every route of
// template.yaml: each must answer a 4xx problem with a stable code, never a
// 5xx, and never HTML or plain text from the API.
func TestBadInputOnEveryRoute(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	tn := newTenant(t)
	bodies := map[string]struct {
		ctype, body string
	}{
		"malformed":     {"application/json", `{"email": "a@b.co",`},
		"unknown field": {"application/json", `{"hacker": true}`},
		"wrong types":   {"application/json", `{"email": 42, "password": [], "name": {}, "version": "x", "roles": "admin", "kind": 7}`},
		"array":         {"application/json", `[1,2,3]`},
		"empty":         {"application/json", ``},
		"not json":      {"text/plain", `email=a@b.co`},
		"oversized":     {"application/json", `{"email":"` + strings.Repeat("a", 70<<10) + `@b.co"}`},
		"bad email":     {"application/json", `{"email":"not an email","display_name":"x","password":"x","device":{"id":"d","name":"n","platform":"p"}}`},
		"bad numbers":   {"application/json", `{"email":"n@b.co","display_name":"N","default_dial_number":"12345","extension":{"number":"12a","sip_username":"u","sip_password":"p"}}`},
		"long strings":  {"application/json", `{"email":"x@b.co","display_name":"` + strings.Repeat("é", 129) + `","name":"` + strings.Repeat("n", 129) + `"}`},
		"control chars": {"application/json", `{"email":"x@b.co","display_name":"a\u0000b","name":"a\u0007"}`},
	}
	for _, r := range tpl.Routes() {
		if strings.HasPrefix(r.Path, "/p/") {
			continue // HTML pages: TestPagesRefuseBadTokens
		}
		path := strings.ReplaceAll(r.Path, "{id}", "usr_doesnotexist")
		for name, b := range bodies {
			if r.Method == "GET" || r.Method == "DELETE" {
				if name != "malformed" {
					continue
				}
				path += "?limit=abc&from=yesterday&cursor=%25%25"
			}
			req, _ := http.NewRequest(r.Method, stack.APIURL+path, strings.NewReader(b.body))
			req.Header.Set("Content-Type", b.ctype)
			if strings.HasPrefix(r.Path, "/v1/admin") || strings.HasPrefix(r.Path, "/v1/me") {
				req.Header.Set("Authorization", "Bearer "+tn.AdminToken.AccessToken)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			// Health, logout (which ignores bad tokens) and GETs that take
			// no parameters may succeed; everything else is refused:
			// bodyless actions on an unknown id are 404, lists with bad
			// parameters 400.
			mayPass := r.Path == "/v1/health" || r.Path == "/v1/auth/logout" ||
				r.Method == "GET" && !strings.Contains(r.Path, "{id}") && r.Path != "/v1/admin/users" && r.Path != "/v1/admin/audit"
			if res.StatusCode < 400 && !mayPass {
				t.Errorf("%s %s [%s]: %d, want 4xx", r.Method, r.Path, name, res.StatusCode)
				continue
			}
			if res.StatusCode >= 500 {
				t.Errorf("%s %s [%s]: %d %s", r.Method, r.Path, name, res.StatusCode, raw)
				continue
			}
			if res.StatusCode >= 400 {
				var p api.Problem
				if res.Header.Get("Content-Type") != api.ProblemContentType || json.Unmarshal(raw, &p) != nil || p.Code == "" || p.Detail == "" {
					t.Errorf("%s %s [%s]: %d not a problem with a code: %s", r.Method, r.Path, name, res.StatusCode, raw)
				}
			}
		}
	}
}

func TestWrongMethodAndUnknownPath(t *testing.T) {
	for _, c := range []struct{ method, path string }{{"DELETE", "/v1/health"}, {"GET", "/v1/nope"}, {"GET", "/"}} {
		req, _ := http.NewRequest(c.method, stack.APIURL+c.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Errorf("%s %s: %d, want API Gateway's 404", c.method, c.path, res.StatusCode)
		}
	}
}

func TestPagesRefuseBadTokens(t *testing.T) {
	for _, link := range []string{"/p/reset?token=", "/p/reset?token=nope", "/p/verify?token=" + strings.Repeat("x", 600), "/p/verify"} {
		res, err := http.Get(stack.APIURL + link)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode < 400 || res.StatusCode >= 500 || !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", link, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if strings.Contains(string(body), "nope") {
			t.Errorf("%s: the token is echoed into the page", link)
		}
	}
	// A POST without the CSRF pair is refused.
	res, err := http.Post(stack.APIURL+"/p/reset", "application/x-www-form-urlencoded", strings.NewReader("token=abc&password=x&password_confirm=x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 && res.StatusCode != 404 {
		t.Errorf("POST without CSRF: %d", res.StatusCode)
	}
}
