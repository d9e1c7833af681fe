package pages

import (
	"bytes"
	"context"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/i18n"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// memLinks is an in-memory stand-in for the link service.
type memLinks struct {
	mu    sync.Mutex
	links map[string]*memLink
	calls int
}

type memLink struct {
	kind     string
	info     LinkInfo
	expired  bool
	used     bool
	password string
	broken   bool // the service fails (internal error)
	disabled bool // the account is disabled
}

// get returns the link, or an error with the owner's info (as the auth
// service does) when the link cannot be used.
func (m *memLinks) get(token, kind string) (*memLink, error) {
	m.calls++
	l, ok := m.links[token]
	switch {
	case !ok || (kind != "" && l.kind != kind):
		return &memLink{}, domain.E(api.CodeInvalidToken)
	case l.broken:
		return &memLink{}, errors.New("dynamodb: connection reset (token " + token + ")")
	case l.used:
		return l, domain.E(api.CodeLinkUsed)
	case l.expired:
		return l, domain.E(api.CodeLinkExpired)
	case l.disabled:
		return l, domain.E(api.CodeAccountDisabled)
	}
	return l, nil
}

func (m *memLinks) InspectLink(_ context.Context, token, kind string) (LinkInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, err := m.get(token, kind)
	return l.info, err
}

func (m *memLinks) CompletePasswordLink(_ context.Context, token, password string) (LinkInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, err := m.get(token, domain.LinkSetPassword)
	if err != nil {
		return l.info, err
	}
	if reason := validate.Password(password, l.info.Email, l.info.DisplayName, l.info.TenantName); reason != validate.PasswordOK {
		return l.info, &domain.Error{Code: api.CodeWeakPassword, Field: "new_password", Args: map[string]string{"reason": reason}}
	}
	l.password, l.used = password, true
	return l.info, nil
}

func (m *memLinks) VerifyEmail(_ context.Context, token string) (LinkInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, err := m.get(token, domain.LinkVerifyEmail)
	if err != nil {
		return l.info, err
	}
	l.used = true
	return l.info, nil
}

const goodPassword = "correct horse battery staple"

type fixture struct {
	links *memLinks
	h     http.Handler
	logs  *bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{logs: &bytes.Buffer{}, links: &memLinks{links: map[string]*memLink{
		"tok-en":      {kind: domain.LinkSetPassword, info: LinkInfo{Email: "ana@acme.example", DisplayName: "Ana Souza", TenantName: "Acme", Locale: "en"}},
		"tok-fr":      {kind: domain.LinkSetPassword, info: LinkInfo{Email: "luc@acme.example", DisplayName: "Luc Martin", TenantName: "Acme", Locale: "fr"}},
		"tok-pt":      {kind: domain.LinkSetPassword, info: LinkInfo{Email: "joao@acme.example", DisplayName: "João Silva", TenantName: "Acme", Locale: "pt-BR"}},
		"tok-nolang":  {kind: domain.LinkSetPassword, info: LinkInfo{Email: "kim@acme.example", DisplayName: "Kim", TenantName: "Acme"}},
		"tok-expired": {kind: domain.LinkSetPassword, expired: true},
		"tok-used":    {kind: domain.LinkSetPassword, used: true},
		"tok-exp-pt":  {kind: domain.LinkSetPassword, expired: true, info: LinkInfo{Email: "joao@acme.example", Locale: "pt-BR"}},
		"tok-off":     {kind: domain.LinkSetPassword, disabled: true, info: LinkInfo{Email: "off@acme.example", Locale: "fr"}},
		"tok-broken":  {kind: domain.LinkSetPassword, broken: true},
		"tok-evil": {kind: domain.LinkSetPassword, info: LinkInfo{
			Email: "eve@acme.example", DisplayName: `<script>alert(1)</script>`, TenantName: `"><img src=x onerror=alert(2)>`, Locale: "en"}},
		"ver-ok":      {kind: domain.LinkVerifyEmail, info: LinkInfo{Email: "ana@acme.example", Locale: "fr"}},
		"ver-used":    {kind: domain.LinkVerifyEmail, used: true},
		"ver-expired": {kind: domain.LinkVerifyEmail, expired: true},
	}}}
	f.h = New(f.links, Options{
		CSRFKey: []byte("0123456789abcdef0123456789abcdef"),
		Secure:  true,
		Log:     slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	return f
}

func (f *fixture) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func get(target, acceptLanguage string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if acceptLanguage != "" {
		r.Header.Set("Accept-Language", acceptLanguage)
	}
	return r
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// open GETs the form and returns the nonce cookie and the csrf field.
func (f *fixture) open(t *testing.T, token string) (*http.Cookie, string) {
	t.Helper()
	w := f.do(get("/p/reset?token="+url.QueryEscape(token), ""))
	if w.Code != http.StatusOK {
		t.Fatalf("GET form: %d\n%s", w.Code, w.Body)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("want one cookie, got %v", cookies)
	}
	m := csrfField.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no csrf field:\n%s", w.Body)
	}
	return cookies[0], m[1]
}

func post(form url.Values, cookie *http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/p/reset", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != nil {
		r.AddCookie(cookie)
	}
	return r
}

func submit(token, csrf, pw, confirm string) url.Values {
	return url.Values{"token": {token}, "csrf": {csrf}, "password": {pw}, "password_confirm": {confirm}}
}

func TestCatalogComplete(t *testing.T) {
	if missing := Catalog.Missing(); len(missing) > 0 {
		t.Fatalf("catalog gaps:\n%s", strings.Join(missing, "\n"))
	}
	for _, reason := range []string{validate.PasswordTooShort, validate.PasswordTooLong, validate.PasswordCommon,
		validate.PasswordRepetitive, validate.PasswordPersonal, validate.PasswordInvalidText} {
		if weakKey(reason) != "weak."+reason || !Catalog.Has("weak."+reason) {
			t.Errorf("reason %s has no message", reason)
		}
	}
}

func TestFormInEachLocale(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name, target, acceptLang, lang, heading string
	}{
		{"user locale en", "/p/reset?token=tok-en", "fr", "en", "Set your password"},
		{"user locale fr", "/p/reset?token=tok-fr", "en", "fr", "Définissez votre mot de passe"},
		{"user locale pt-BR", "/p/reset?token=tok-pt", "", "pt-BR", "Defina sua senha"},
		{"accept-language when user has none", "/p/reset?token=tok-nolang", "pt-PT,pt;q=0.9", "pt-BR", "Defina sua senha"},
		{"default en", "/p/reset?token=tok-nolang", "", "en", "Set your password"},
		{"lang param overrides", "/p/reset?token=tok-en&lang=fr-CA", "en", "fr", "Définissez votre mot de passe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := f.do(get(c.target, c.acceptLang))
			body := w.Body.String()
			if w.Code != http.StatusOK {
				t.Fatalf("status %d\n%s", w.Code, body)
			}
			if !strings.Contains(body, `<html lang="`+c.lang+`">`) || !strings.Contains(body, html.EscapeString(c.heading)) {
				t.Fatalf("want %s page with %q:\n%s", c.lang, c.heading, body)
			}
			for _, key := range []string{"reset.policy", "reset.passphrase", "reset.common", "reset.new", "reset.confirm", "reset.submit"} {
				if !strings.Contains(body, html.EscapeString(Catalog[c.lang][key])) {
					t.Errorf("missing %s", key)
				}
			}
			if !strings.Contains(body, `name="token" value="tok-`) || !csrfField.MatchString(body) {
				t.Errorf("hidden fields missing")
			}
			if strings.Contains(body, "<script") {
				t.Errorf("pages must not need scripts")
			}
			if w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("content type %q", w.Header().Get("Content-Type"))
			}
		})
	}
	// The policy is explained in words.
	w := f.do(get("/p/reset?token=tok-en", ""))
	for _, s := range []string{"8 to 128 characters", "15 characters or more", "Common passwords"} {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("policy lacks %q", s)
		}
	}
	// An explicit lang survives into the form so the POST answers in it.
	w = f.do(get("/p/reset?token=tok-en&lang=pt-br", ""))
	if !strings.Contains(w.Body.String(), `name="lang" value="pt-BR"`) {
		t.Errorf("lang not carried in the form")
	}
}

func TestCookieAttributes(t *testing.T) {
	f := newFixture(t)
	c, _ := f.open(t, "tok-en")
	if c.Name != CookieName || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/p/" || len(c.Value) < 40 {
		t.Fatalf("cookie %+v", c)
	}
	// Not Secure when the pages are served over plain http.
	h := New(f.links, Options{CSRFKey: []byte("0123456789abcdef")})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, get("/p/reset?token=tok-en", ""))
	if cs := w.Result().Cookies(); len(cs) != 1 || cs[0].Secure {
		t.Fatalf("cookies %v", cs)
	}
	// A second tab reuses the nonce instead of replacing it.
	r := get("/p/reset?token=tok-en", "")
	r.AddCookie(c)
	w = f.do(r)
	if len(w.Result().Cookies()) != 0 {
		t.Fatalf("existing nonce replaced")
	}
}

func TestSuccess(t *testing.T) {
	f := newFixture(t)
	c, csrf := f.open(t, "tok-fr")
	r := post(submit("tok-fr", csrf, goodPassword, goodPassword), c)
	r.Header.Set("Origin", "http://example.com") // httptest's Host
	w := f.do(r)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d\n%s", w.Code, body)
	}
	if !strings.Contains(body, "Mot de passe défini") || !strings.Contains(body, "application de bureau") || !strings.Contains(body, `lang="fr"`) {
		t.Fatalf("want the French success page:\n%s", body)
	}
	if got := f.links.links["tok-fr"].password; got != goodPassword {
		t.Fatalf("password not set: %q", got)
	}
	// English wording of the success page.
	c, csrf = f.open(t, "tok-en")
	w = f.do(post(submit("tok-en", csrf, goodPassword, goodPassword), c))
	if !strings.Contains(w.Body.String(), "Password set") || !strings.Contains(w.Body.String(), "you can now sign in to AgentDesk from the desktop app") &&
		!strings.Contains(w.Body.String(), "You can now sign in to AgentDesk from the desktop app") {
		t.Fatalf("success page:\n%s", w.Body)
	}
	// The link is now used.
	w = f.do(get("/p/reset?token=tok-en", ""))
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "already used") {
		t.Fatalf("reopen after use: %d\n%s", w.Code, w.Body)
	}
}

func TestCSRFFailures(t *testing.T) {
	f := newFixture(t)
	c, csrf := f.open(t, "tok-en")
	other, _ := f.open(t, "tok-fr") // a different browser's nonce
	cases := map[string]*http.Request{
		"no cookie":        post(submit("tok-en", csrf, goodPassword, goodPassword), nil),
		"no field":         post(submit("tok-en", "", goodPassword, goodPassword), c),
		"wrong field":      post(submit("tok-en", csrf[:len(csrf)-2]+"AA", goodPassword, goodPassword), c),
		"other nonce":      post(submit("tok-en", csrf, goodPassword, goodPassword), other),
		"field for token2": post(submit("tok-fr", csrf, goodPassword, goodPassword), c),
	}
	cross := post(submit("tok-en", csrf, goodPassword, goodPassword), c)
	cross.Header.Set("Origin", "https://evil.example")
	cases["cross origin"] = cross
	nullOrigin := post(submit("tok-en", csrf, goodPassword, goodPassword), c)
	nullOrigin.Header.Set("Origin", "null")
	cases["null origin"] = nullOrigin
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			r.Header.Set("Accept-Language", "pt-BR")
			w := f.do(r)
			if w.Code != http.StatusForbidden {
				t.Fatalf("status %d\n%s", w.Code, w.Body)
			}
			if !strings.Contains(w.Body.String(), html.EscapeString(Catalog["pt-BR"]["csrf.body"])) {
				t.Fatalf("want the pt-BR reopen-the-link page:\n%s", w.Body)
			}
		})
	}
	for _, tok := range []string{"tok-en", "tok-fr"} {
		if f.links.links[tok].password != "" || f.links.links[tok].used {
			t.Fatalf("%s changed despite CSRF failure", tok)
		}
	}
}

func TestMismatchKeepsForm(t *testing.T) {
	f := newFixture(t)
	c, csrf := f.open(t, "tok-pt")
	w := f.do(post(submit("tok-pt", csrf, goodPassword, goodPassword+"x"), c))
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d\n%s", w.Code, body)
	}
	if !strings.Contains(body, html.EscapeString(Catalog["pt-BR"]["reset.mismatch"])) || !strings.Contains(body, `role="alert"`) {
		t.Fatalf("mismatch message missing:\n%s", body)
	}
	if !strings.Contains(body, `name="token" value="tok-pt"`) || !strings.Contains(body, `name="csrf" value="`+csrf+`"`) {
		t.Fatalf("form state lost:\n%s", body)
	}
	if strings.Contains(body, goodPassword) {
		t.Fatalf("password echoed back")
	}
	if f.links.links["tok-pt"].used {
		t.Fatalf("link used on mismatch")
	}
	// The re-rendered form still submits.
	w = f.do(post(submit("tok-pt", csrf, goodPassword, goodPassword), c))
	if w.Code != http.StatusOK {
		t.Fatalf("retry: %d\n%s", w.Code, w.Body)
	}
}

func TestWeakReasons(t *testing.T) {
	cases := map[string]string{
		validate.PasswordTooShort:    "short1",
		validate.PasswordCommon:      "password123",
		validate.PasswordRepetitive:  "aaaaaaaaaaaa",
		validate.PasswordPersonal:    "souza2024",
		validate.PasswordTooLong:     strings.Repeat("é", 129),
		validate.PasswordInvalidText: "bad\xffbytes-in-here",
	}
	for reason, pw := range cases {
		t.Run(reason, func(t *testing.T) {
			f := newFixture(t)
			c, csrf := f.open(t, "tok-en")
			w := f.do(post(submit("tok-en", csrf, pw, pw), c))
			body := w.Body.String()
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d\n%s", w.Code, body)
			}
			if !strings.Contains(body, html.EscapeString(Catalog["en"]["weak."+reason])) {
				t.Fatalf("want %s message:\n%s", reason, body)
			}
			if !strings.Contains(body, `name="token" value="tok-en"`) || !strings.Contains(body, `aria-invalid="true"`) {
				t.Fatalf("form not re-rendered:\n%s", body)
			}
			if f.links.links["tok-en"].used {
				t.Fatalf("link used by a weak password")
			}
		})
	}
	// In French too.
	f := newFixture(t)
	c, csrf := f.open(t, "tok-fr")
	w := f.do(post(submit("tok-fr", csrf, "password123", "password123"), c))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "trop courant") {
		t.Fatalf("%d\n%s", w.Code, w.Body)
	}
}

func TestLinkStatePages(t *testing.T) {
	f := newFixture(t)
	c, _ := f.open(t, "tok-en")
	cases := []struct {
		name   string
		req    *http.Request
		status int
		want   string
	}{
		{"reset expired", get("/p/reset?token=tok-expired", ""), 410, "This link has expired. Ask your administrator for a new one, or use Forgot password in the app."},
		{"reset used", get("/p/reset?token=tok-used", ""), 410, "This link was already used."},
		{"reset unknown", get("/p/reset?token=nope", ""), 404, "This link is not valid"},
		{"reset no token", get("/p/reset", ""), 404, "This link is not valid"},
		{"reset token too long", get("/p/reset?token="+strings.Repeat("a", MaxTokenLen+1), ""), 404, "This link is not valid"},
		{"reset verify-kind token", get("/p/reset?token=ver-ok", ""), 404, "This link is not valid"},
		{"verify expired fr", get("/p/verify?token=ver-expired", "fr-FR"), 410, "Ce lien a expiré"},
		{"verify used", get("/p/verify?token=ver-used", ""), 410, "If you already confirmed your email address"},
		{"verify unknown pt", get("/p/verify?token=zzz", "pt-BR"), 404, "Este link não é válido"},
		{"post expired", post(submit("tok-expired", "x", goodPassword, goodPassword), c), 403, "Please open the link again"},
		{"internal error", get("/p/reset?token=tok-broken", ""), 500, "Something went wrong"},
		{"expired in the owner's language", get("/p/reset?token=tok-exp-pt", "en"), 410, "Este link expirou"},
		{"lang still overrides", get("/p/reset?token=tok-exp-pt&lang=en", ""), 410, "This link has expired"},
		{"disabled account", get("/p/reset?token=tok-off", ""), 403, "Votre compte AgentDesk est désactivé"},
		{"unknown page", get("/p/other", ""), 404, "Page not found"},
		{"method", httptest.NewRequest(http.MethodDelete, "/p/reset?token=tok-en", nil), 405, "Not allowed"},
		{"head verify", httptest.NewRequest(http.MethodHead, "/p/verify?token=ver-ok", nil), 405, "Not allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := f.do(c.req)
			if w.Code != c.status || !strings.Contains(html.UnescapeString(w.Body.String()), c.want) {
				t.Fatalf("status %d (want %d), want %q in:\n%s", w.Code, c.status, c.want, w.Body)
			}
		})
	}
	if f.links.links["ver-ok"].used {
		t.Fatalf("HEAD used the verify link")
	}
}

func TestPostOnExpiredAndUsedLinks(t *testing.T) {
	f := newFixture(t)
	c, csrf := f.open(t, "tok-en")
	f.links.links["tok-en"].expired = true
	w := f.do(post(submit("tok-en", csrf, goodPassword, goodPassword), c))
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "expired") {
		t.Fatalf("%d\n%s", w.Code, w.Body)
	}
	f.links.links["tok-en"].expired, f.links.links["tok-en"].used = false, true
	w = f.do(post(submit("tok-en", csrf, goodPassword, goodPassword+"!"), c)) // mismatch path
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "already used") {
		t.Fatalf("%d\n%s", w.Code, w.Body)
	}
}

func TestVerify(t *testing.T) {
	f := newFixture(t)
	w := f.do(get("/p/verify?token=ver-ok", "en"))
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "Adresse e-mail vérifiée") || !strings.Contains(body, "ana@acme.example") {
		t.Fatalf("%d\n%s", w.Code, body)
	}
	if !f.links.links["ver-ok"].used {
		t.Fatalf("not verified")
	}
	// lang overrides the user's locale.
	f.links.links["ver-ok"].used = false
	w = f.do(get("/p/verify?token=ver-ok&lang=en", "fr"))
	if !strings.Contains(w.Body.String(), "Email verified") {
		t.Fatalf("%s", w.Body)
	}
}

func TestHostileNamesEscaped(t *testing.T) {
	f := newFixture(t)
	w := f.do(get("/p/reset?token=tok-evil", ""))
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("%d", w.Code)
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Fatalf("unescaped name:\n%s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, "&lt;img src=x onerror=alert(2)&gt;") {
		t.Fatalf("names not shown escaped:\n%s", body)
	}
	// A token that tries to break out of the attribute stays inside it.
	w = f.do(get("/p/reset?token="+url.QueryEscape(`"><b>x`), ""))
	if strings.Contains(w.Body.String(), "<b>x") {
		t.Fatalf("token reflected unescaped")
	}
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	f := newFixture(t)
	c, csrf := f.open(t, "tok-en")
	reqs := []*http.Request{
		get("/p/reset?token=tok-en", ""),
		get("/p/reset?token=tok-expired", ""),
		get("/p/verify?token=ver-ok", ""),
		get("/nowhere", ""),
		post(submit("tok-en", "bad", goodPassword, goodPassword), c),
		post(submit("tok-en", csrf, "x", "y"), c),
		post(submit("tok-en", csrf, goodPassword, goodPassword), c),
	}
	for _, r := range reqs {
		w := f.do(r)
		hd := w.Header()
		csp := hd.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "style-src 'unsafe-inline'", "form-action 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s %s: CSP %q lacks %s", r.Method, r.URL.Path, csp, d)
			}
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") != "no-referrer" || hd.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s (%d): headers %v", r.Method, r.URL.Path, w.Code, hd)
		}
	}
}

func TestBodyLimits(t *testing.T) {
	f := newFixture(t)
	c, csrf := f.open(t, "tok-en")
	form := submit("tok-en", csrf, goodPassword, goodPassword)
	form.Set("padding", strings.Repeat("x", MaxBody))
	w := f.do(post(form, c))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("big body: %d", w.Code)
	}
	// A token over the limit is refused before anything else.
	w = f.do(post(submit(strings.Repeat("t", MaxTokenLen+1), csrf, goodPassword, goodPassword), c))
	if w.Code != http.StatusNotFound {
		t.Fatalf("long token: %d", w.Code)
	}
	// JSON is not a form.
	r := httptest.NewRequest(http.MethodPost, "/p/reset", strings.NewReader(`{"token":"tok-en"}`))
	r.Header.Set("Content-Type", "application/json")
	r.AddCookie(c)
	if w := f.do(r); w.Code != http.StatusUnsupportedMediaType {
		t.Fatalf("json: %d", w.Code)
	}
	// 129 runes is too long without a call to the service.
	before := f.links.calls
	long := strings.Repeat("ü", 129)
	w = f.do(post(submit("tok-en", csrf, long, long), c))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "too long") {
		t.Fatalf("long password: %d", w.Code)
	}
	if f.links.calls != before+1 { // one InspectLink to re-render, no Complete
		t.Fatalf("service calls %d", f.links.calls-before)
	}
}

func TestTokensNeverLogged(t *testing.T) {
	f := newFixture(t)
	f.do(get("/p/reset?token=tok-broken", ""))
	c, csrf := f.open(t, "tok-en")
	f.do(post(submit("tok-en", csrf+"x", goodPassword, goodPassword), c))
	logs := f.logs.String()
	if logs == "" {
		t.Fatalf("expected some logs")
	}
	if strings.Contains(logs, "tok-") || strings.Contains(logs, csrf) || strings.Contains(logs, goodPassword) {
		t.Fatalf("secret in logs:\n%s", logs)
	}
}

func TestRequiresKey(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New without a CSRF key should panic")
		}
	}()
	New(&memLinks{}, Options{})
}

func TestLocalesCovered(t *testing.T) {
	for _, l := range i18n.Locales {
		if len(Catalog[l]) != len(Catalog["en"]) {
			t.Errorf("%s has %d keys, en %d", l, len(Catalog[l]), len(Catalog["en"]))
		}
	}
}
