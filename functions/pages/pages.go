// Package pages serves the small server-rendered pages behind the emailed
// links: set a password (GET and POST /p/reset) and confirm an email address
// (GET /p/verify). They need no JavaScript, are localised (en, fr, pt-BR),
// protected against CSRF and framing, and never log a token.
package pages

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/i18n"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// LinkInfo describes the person an emailed link belongs to (Email,
// DisplayName, TenantName, Locale). It is auth.LinkInfo, so the auth
// service implements Links as it is.
type LinkInfo = auth.LinkInfo

// Links is the service behind the pages. Errors are *domain.Error with the
// codes api.CodeLinkExpired, api.CodeLinkUsed, api.CodeInvalidToken,
// api.CodeAccountDisabled and (for CompletePasswordLink)
// api.CodeWeakPassword with Args["reason"] one of the validate.Password*
// reasons; anything else is shown as an internal error. A LinkInfo returned
// with an error, when known, picks the language of the error page.
type Links interface {
	// InspectLink checks a link of kind (domain.LinkSetPassword) without
	// using it.
	InspectLink(ctx context.Context, token, kind string) (LinkInfo, error)
	// CompletePasswordLink sets the password and uses the link.
	CompletePasswordLink(ctx context.Context, token, password string) (LinkInfo, error)
	// VerifyEmail marks the address verified and uses the link.
	VerifyEmail(ctx context.Context, token string) (LinkInfo, error)
}

// Options configure the pages.
type Options struct {
	// CSRFKey signs the form's anti-forgery field; required (at least 16
	// bytes, the same on every instance).
	CSRFKey []byte
	// Secure marks cookies Secure (the pages are served over https).
	Secure bool
	Log    *slog.Logger
	Now    func() time.Time
}

// Limits.
const (
	MaxBody     = 64 << 10 // form body, bytes
	MaxTokenLen = 512      // token, bytes
	// MaxPasswordRunes is the longest password accepted (validate.MaxPassword).
	MaxPasswordRunes = validate.MaxPassword
)

// CookieName is the CSRF nonce cookie.
const CookieName = "agentdesk_csrf"

const cookiePath = "/p/"

// Security headers set on every response.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

type handler struct {
	links Links
	key   []byte
	opts  Options
	log   *slog.Logger
	now   func() time.Time
}

// New returns the handler for /p/reset and /p/verify. It panics when
// opts.CSRFKey is shorter than 16 bytes (a wiring mistake).
func New(links Links, opts Options) http.Handler {
	if len(opts.CSRFKey) < 16 {
		panic("pages: Options.CSRFKey must hold at least 16 bytes")
	}
	h := &handler{links: links, key: append([]byte(nil), opts.CSRFKey...), opts: opts, log: opts.Log, now: opts.Now}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	switch r.URL.Path {
	case "/p/reset":
		switch r.Method {
		case http.MethodGet:
			h.resetForm(w, r)
		case http.MethodPost:
			h.resetSubmit(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			h.message(w, r, http.StatusMethodNotAllowed, h.requestLocale(r, ""), "method", nil)
		}
	case "/p/verify":
		// Only GET: a HEAD from a link scanner must not use the link.
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			h.message(w, r, http.StatusMethodNotAllowed, h.requestLocale(r, ""), "method", nil)
			return
		}
		h.verify(w, r)
	default:
		h.message(w, r, http.StatusNotFound, h.requestLocale(r, ""), "notfound", nil)
	}
}

func securityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Frame-Options", "DENY")
}

// requestLocale picks the page language: an explicit lang parameter (query,
// or form on POST), else the user's own locale when known, else the
// browser's Accept-Language.
func (h *handler) requestLocale(r *http.Request, userLocale string) string {
	if l, ok := langParam(r); ok {
		return l
	}
	if userLocale != "" {
		if l, ok := i18n.Normalize(userLocale); ok {
			return l
		}
	}
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

func langParam(r *http.Request) (string, bool) {
	v := r.URL.Query().Get("lang")
	if r.Method == http.MethodPost && r.PostForm != nil && r.PostForm.Get("lang") != "" {
		v = r.PostForm.Get("lang")
	}
	if v == "" || len(v) > 35 {
		return "", false
	}
	return i18n.Normalize(v)
}

// ---- GET /p/reset ---------------------------------------------------------

func (h *handler) resetForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if !validToken(token) {
		h.message(w, r, http.StatusNotFound, h.requestLocale(r, ""), "invalid", nil)
		return
	}
	info, err := h.links.InspectLink(r.Context(), token, domain.LinkSetPassword)
	if err != nil {
		h.linkError(w, r, err, "reset", token, info)
		return
	}
	nonce := h.nonce(w, r)
	h.form(w, r, http.StatusOK, info, token, nonce, "")
}

// ---- POST /p/reset --------------------------------------------------------

func (h *handler) resetSubmit(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		h.message(w, r, http.StatusUnsupportedMediaType, h.requestLocale(r, ""), "badrequest", nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.message(w, r, http.StatusRequestEntityTooLarge, h.requestLocale(r, ""), "toolarge", nil)
			return
		}
		h.message(w, r, http.StatusBadRequest, h.requestLocale(r, ""), "badrequest", nil)
		return
	}
	f := r.PostForm
	token := f.Get("token")
	if !validToken(token) {
		h.message(w, r, http.StatusNotFound, h.requestLocale(r, ""), "invalid", nil)
		return
	}
	if !h.csrfOK(r, token, f.Get("csrf")) {
		h.log.WarnContext(r.Context(), "pages: csrf check failed", "path", r.URL.Path, "has_cookie", hasCookie(r), "origin_set", r.Header.Get("Origin") != "")
		h.message(w, r, http.StatusForbidden, h.requestLocale(r, ""), "csrf", nil)
		return
	}
	nonce, _ := cookieNonce(r) // csrfOK proved it is there
	pw, confirm := f.Get("password"), f.Get("password_confirm")

	// Problems found here need the link's owner to re-render the form.
	problem := ""
	switch {
	case !utf8.ValidString(pw):
		problem = "weak." + validate.PasswordInvalidText
	case utf8.RuneCountInString(pw) > MaxPasswordRunes || utf8.RuneCountInString(confirm) > MaxPasswordRunes:
		problem = "weak." + validate.PasswordTooLong
	case pw != confirm:
		problem = "reset.mismatch"
	}
	if problem != "" {
		info, err := h.links.InspectLink(r.Context(), token, domain.LinkSetPassword)
		if err != nil {
			h.linkError(w, r, err, "reset", token, info)
			return
		}
		h.form(w, r, http.StatusUnprocessableEntity, info, token, nonce, problem)
		return
	}

	info, err := h.links.CompletePasswordLink(r.Context(), token, pw)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) && de.Code == api.CodeWeakPassword {
			if info.Email == "" && info.Locale == "" {
				if got, ierr := h.links.InspectLink(r.Context(), token, domain.LinkSetPassword); ierr == nil {
					info = got
				}
			}
			h.form(w, r, http.StatusUnprocessableEntity, info, token, nonce, weakKey(de.Args["reason"]))
			return
		}
		h.linkError(w, r, err, "reset", token, info)
		return
	}
	h.message(w, r, http.StatusOK, h.requestLocale(r, info.Locale), "done", nil)
}

func weakKey(reason string) string {
	switch reason {
	case validate.PasswordTooShort, validate.PasswordTooLong, validate.PasswordCommon,
		validate.PasswordRepetitive, validate.PasswordPersonal, validate.PasswordInvalidText:
		return "weak." + reason
	}
	return "weak.other"
}

// ---- GET /p/verify --------------------------------------------------------

func (h *handler) verify(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if !validToken(token) {
		h.message(w, r, http.StatusNotFound, h.requestLocale(r, ""), "invalid", nil)
		return
	}
	info, err := h.links.VerifyEmail(r.Context(), token)
	if err != nil {
		h.linkError(w, r, err, "verify", token, info)
		return
	}
	loc := h.requestLocale(r, info.Locale)
	body := "verify.body_anon"
	if info.Email != "" {
		body = "verify.body"
	}
	h.render(w, http.StatusOK, pageView{
		Lang: loc, Tone: "ok",
		Heading: Catalog.T(loc, "verify.heading", nil),
		Paras: []string{
			Catalog.T(loc, body, map[string]string{"email": info.Email}),
			Catalog.T(loc, "common.close", nil),
		},
	})
}

// ---- link errors ----------------------------------------------------------

// linkError shows the page for a Links error, in the language of the
// link's owner when the service told who it is. flow is "reset" or
// "verify".
func (h *handler) linkError(w http.ResponseWriter, r *http.Request, err error, flow, token string, info LinkInfo) {
	loc := h.requestLocale(r, info.Locale)
	switch domain.CodeOf(err) {
	case api.CodeLinkExpired:
		h.message(w, r, http.StatusGone, loc, "expired", nil)
	case api.CodeLinkUsed:
		h.message(w, r, http.StatusGone, loc, "used", []string{"used." + flow + "_hint"})
	case api.CodeInvalidToken, api.CodeNotFound:
		h.message(w, r, http.StatusNotFound, loc, "invalid", nil)
	case api.CodeAccountDisabled:
		h.message(w, r, http.StatusForbidden, loc, "disabled", nil)
	default:
		// The error may come from anywhere below: it is logged without the
		// request URL (which carries the token) and with the token scrubbed.
		msg := err.Error()
		if token != "" {
			msg = strings.ReplaceAll(msg, token, "[token]")
		}
		h.log.ErrorContext(r.Context(), "pages: link service failed", "path", r.URL.Path, "method", r.Method, "error", msg)
		h.message(w, r, http.StatusInternalServerError, loc, "error", nil)
	}
}

// ---- CSRF -----------------------------------------------------------------

// nonce returns the browser's CSRF nonce, setting a fresh one when it has
// none (reusing it keeps a second open tab working).
func (h *handler) nonce(w http.ResponseWriter, r *http.Request) string {
	if n, ok := cookieNonce(r); ok {
		return n
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	n := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: n, Path: cookiePath,
		MaxAge: 12 * 3600, Expires: h.now().Add(12 * time.Hour),
		HttpOnly: true, Secure: h.opts.Secure, SameSite: http.SameSiteStrictMode,
	})
	return n
}

func cookieNonce(r *http.Request) (string, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil || len(c.Value) != 43 {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return "", false
	}
	return c.Value, true
}

func hasCookie(r *http.Request) bool {
	_, err := r.Cookie(CookieName)
	return err == nil
}

func (h *handler) csrfToken(nonce, token string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(nonce + "|" + token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (h *handler) csrfOK(r *http.Request, token, field string) bool {
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
			return false
		}
	}
	nonce, ok := cookieNonce(r)
	if !ok || field == "" || len(field) > 64 {
		return false
	}
	return hmac.Equal([]byte(field), []byte(h.csrfToken(nonce, token)))
}

func validToken(t string) bool {
	return t != "" && len(t) <= MaxTokenLen && utf8.ValidString(t)
}

// ---- rendering ------------------------------------------------------------

type pageView struct {
	Lang    string
	Title   string
	Heading string
	Tone    string // "ok", "error" or "" (neutral)
	Paras   []string
	Form    *formView
}

type formView struct {
	Greeting     string
	Intro        string
	ErrorTitle   string
	Error        string
	Policy       []string
	NewLabel     string
	ConfirmLabel string
	Submit       string
	Email        string
	Token        string
	CSRF         string
	Lang         string // set when the page language was chosen explicitly
}

func (h *handler) form(w http.ResponseWriter, r *http.Request, status int, info LinkInfo, token, nonce, errKey string) {
	loc := h.requestLocale(r, info.Locale)
	t := func(key string) string {
		return Catalog.T(loc, key, map[string]string{
			"email": info.Email, "tenant_name": info.TenantName, "display_name": info.DisplayName,
		})
	}
	fv := &formView{
		Intro:        t("reset.intro_anon"),
		Policy:       []string{t("reset.policy"), t("reset.passphrase"), t("reset.common")},
		NewLabel:     t("reset.new"),
		ConfirmLabel: t("reset.confirm"),
		Submit:       t("reset.submit"),
		Email:        info.Email,
		Token:        token,
		CSRF:         h.csrfToken(nonce, token),
	}
	if info.DisplayName != "" {
		fv.Greeting = t("common.greeting")
	}
	if info.Email != "" && info.TenantName != "" {
		fv.Intro = t("reset.intro")
	}
	if errKey != "" {
		fv.ErrorTitle = t("reset.error_title")
		fv.Error = t(errKey)
	}
	if l, ok := langParam(r); ok {
		fv.Lang = l
	}
	h.render(w, status, pageView{Lang: loc, Heading: t("reset.heading"), Form: fv})
}

// message renders a page of one heading and a few paragraphs; kind names
// the catalog keys (kind.heading, kind.body), extra adds paragraph keys.
func (h *handler) message(w http.ResponseWriter, _ *http.Request, status int, loc, kind string, extra []string) {
	v := pageView{
		Lang:    loc,
		Heading: Catalog.T(loc, kind+".heading", nil),
		Paras:   []string{Catalog.T(loc, kind+".body", nil)},
		Tone:    "error",
	}
	for _, k := range extra {
		v.Paras = append(v.Paras, Catalog.T(loc, k, nil))
	}
	if kind == "done" {
		v.Tone = "ok"
		v.Paras = append(v.Paras, Catalog.T(loc, "common.close", nil))
	}
	h.render(w, status, v)
}

func (h *handler) render(w http.ResponseWriter, status int, v pageView) {
	v.Title = Catalog.T(v.Lang, "common.title", map[string]string{"heading": v.Heading})
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, v); err != nil {
		h.log.Error("pages: template failed", "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// pageTemplate: one accessible layout; inline styles only (the CSP allows
// no external resources), no scripts.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>{{.Title}}</title>
<style>
body{margin:0;background:#f3f4f6;color:#1f2937;font:16px/1.5 "Segoe UI",Helvetica,Arial,sans-serif}
main{max-width:28rem;margin:2rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.1)}
.brand{margin:0 0 1rem;font-weight:bold;color:#1d4ed8}
h1{margin:0 0 1rem;font-size:1.5rem;line-height:1.3;color:#111827}
h1.ok::before{content:"\2713\00a0";color:#15803d}
p{margin:0 0 1rem}
.alert{padding:.75rem 1rem;margin:0 0 1rem;background:#fef2f2;border-left:4px solid #b91c1c;color:#7f1d1d}
.alert strong{display:block}
label{display:block;margin:1rem 0 .25rem;font-weight:600}
input[type=password]{box-sizing:border-box;width:100%;padding:.6rem;font-size:1rem;border:1px solid #6b7280;border-radius:6px}
input[aria-invalid=true]{border-color:#b91c1c}
input:focus,button:focus{outline:3px solid #93c5fd;outline-offset:1px}
ul.policy{margin:.5rem 0 0;padding-left:1.25rem;font-size:.9rem;color:#4b5563}
button{margin-top:1.5rem;width:100%;padding:.75rem;font-size:1rem;font-weight:bold;color:#fff;background:#1d4ed8;border:0;border-radius:6px;cursor:pointer}
button:hover{background:#1e40af}
</style>
</head>
<body>
<main>
<p class="brand">AgentDesk</p>
<h1{{if eq .Tone "ok"}} class="ok"{{end}}>{{.Heading}}</h1>
{{- range .Paras}}
<p>{{.}}</p>
{{- end}}
{{- with .Form}}
{{- if .Greeting}}
<p>{{.Greeting}}</p>
{{- end}}
<p>{{.Intro}}</p>
{{- if .Error}}
<div class="alert" role="alert" id="form-error"><strong>{{.ErrorTitle}}</strong>{{.Error}}</div>
{{- end}}
<form method="post" action="reset" accept-charset="utf-8">
<input type="hidden" name="token" value="{{.Token}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
{{- if .Lang}}
<input type="hidden" name="lang" value="{{.Lang}}">
{{- end}}
{{- if .Email}}
<input type="email" name="username" value="{{.Email}}" autocomplete="username" readonly hidden>
{{- end}}
<label for="password">{{.NewLabel}}</label>
<input type="password" id="password" name="password" autocomplete="new-password" required minlength="8" aria-describedby="policy{{if .Error}} form-error{{end}}"{{if .Error}} aria-invalid="true" autofocus{{end}}>
<ul class="policy" id="policy">
{{- range .Policy}}
<li>{{.}}</li>
{{- end}}
</ul>
<label for="password_confirm">{{.ConfirmLabel}}</label>
<input type="password" id="password_confirm" name="password_confirm" autocomplete="new-password" required minlength="8"{{if .Error}} aria-invalid="true"{{end}}>
<button type="submit">{{.Submit}}</button>
</form>
{{- end}}
</main>
</body>
</html>
`))
