package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyLogger
	keyPrincipal
)

// RequestID is the id of the request in ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

var safeID = regexp.MustCompile(`^[A-Za-z0-9._=-]{8,128}$`)

// requestID prefers API Gateway's id (from the Lambda event), then a
// well-formed X-Request-Id from a trusted hop, then a fresh one.
func requestID(r *http.Request) string {
	if gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && gw.RequestID != "" {
		return gw.RequestID
	}
	if id := r.Header.Get("X-Request-Id"); safeID.MatchString(id) {
		return id
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// publicURL is the scheme and host the request came in on. Behind API
// Gateway it is always https.
func publicURL(r *http.Request) string {
	scheme := "http"
	if _, gw := core.GetAPIGatewayV2ContextFromContext(r.Context()); gw || r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) {
	w.status = s
	w.ResponseWriter.WriteHeader(s)
}

// observe adds the request id, a JSON access log line (no bodies, no
// query strings: tokens travel there), panic recovery and security headers.
func observe(base *slog.Logger, rt *router) http.Handler { return &observed{log: base, rt: rt} }

type observed struct {
	log *slog.Logger
	rt  *router
}

func (o *observed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	base, next := o.log, o.rt
	{
		start := time.Now()
		id := requestID(r)
		log := base.With("request_id", id)
		ctx := context.WithValue(context.WithValue(r.Context(), keyRequestID, id), keyLogger, log)
		ctx = auth.WithRequestURL(ctx, publicURL(r))
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			w.Header().Set("Cache-Control", "no-store")
		}
		sw := &statusWriter{ResponseWriter: w, status: 200}
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(ctx, "panic", "panic", p)
				writeError(sw, r, domain.E(api.CodeInternal))
			}
			log.InfoContext(ctx, "request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"duration_ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	}
}

// principal is the authenticated caller of a protected route.
func principal(r *http.Request) *auth.Principal {
	p, _ := r.Context().Value(keyPrincipal).(*auth.Principal)
	return p
}

// authenticated requires a valid bearer access token.
func authenticated(a *auth.Service, next http.HandlerFunc) http.HandlerFunc {
	return authenticate(a, false, next)
}

// authenticatedOrStale also lets through a genuine token made stale by a
// revocation (Principal.Stale), so the session routes can answer why the
// session ended instead of a bare 401.
func authenticatedOrStale(a *auth.Service, next http.HandlerFunc) http.HandlerFunc {
	return authenticate(a, true, next)
}

func authenticate(a *auth.Service, allowStale bool, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="agentdesk"`)
			writeError(w, r, domain.E(api.CodeUnauthorized))
			return
		}
		p, err := a.Authenticate(r.Context(), tok)
		if err != nil && !(allowStale && p != nil && p.Stale) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="agentdesk", error="invalid_token"`)
			writeError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), keyPrincipal, p)
		ctx = context.WithValue(ctx, keyLogger, logger(ctx).With("user_id", p.User.ID, "tenant_id", p.User.TenantID))
		next(w, r.WithContext(ctx))
	}
}

// router wraps a ServeMux so unmatched routes answer problems, not text.
type router struct {
	mux      *http.ServeMux
	patterns []string
}

func newRouter() *router { return &router{mux: http.NewServeMux()} }

func (rt *router) handle(pattern string, h http.Handler) {
	rt.mux.Handle(pattern, h)
	rt.patterns = append(rt.patterns, pattern)
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := rt.mux.Handler(r); pattern == "" {
		// ServeMux answers 405 itself when only the method is wrong; probe it.
		probe := &statusProbe{header: http.Header{}}
		rt.mux.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			writeError(w, r, domain.E(api.CodeMethodNotAllowed))
			return
		}
		writeError(w, r, domain.E(api.CodeNotFound))
		return
	}
	rt.mux.ServeHTTP(w, r)
}

type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(s int)           { p.status = s }
