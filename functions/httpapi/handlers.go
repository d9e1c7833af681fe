package httpapi

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/agentdesk/agentdesk/functions/admin"
	"github.com/agentdesk/agentdesk/functions/agent"
	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/sessions"
	"github.com/agentdesk/agentdesk/shared/api"
)

// Version is the build's version, set by the linker.
var Version = "dev"

// Deps are the services the handlers call.
type Deps struct {
	Auth     *auth.Service
	Admin    *admin.Service
	Agent    *agent.Service
	Sessions *sessions.Service
	Pages    http.Handler // the emailed-link pages under /p/
	Log      *slog.Logger
}

// one decodes a request body into Req, calls fn and answers status.
func one[Req any, Resp any](status int, fn func(r *http.Request, req Req) (Resp, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if err := decode(r, &req); err != nil {
			writeError(w, r, err)
			return
		}
		resp, err := fn(r, req)
		if err != nil {
			writeError(w, r, err)
			return
		}
		respond(w, status, resp)
	}
}

// none calls fn for a bodyless request.
func none[Resp any](status int, fn func(r *http.Request) (Resp, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		resp, err := fn(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		respond(w, status, resp)
	}
}

func respond(w http.ResponseWriter, status int, resp any) {
	if status == http.StatusNoContent || status == http.StatusAccepted {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, resp)
}

type empty struct{}

// Functions maps each HTTP function of template.yaml to its handler
// constructor.
var Functions = map[string]func(Deps) http.Handler{
	"AuthFunction":  NewAuthHandler,
	"AgentFunction": NewAgentHandler,
	"AdminFunction": NewAdminHandler,
}

// Patterns lists the "METHOD /path" patterns each function serves, for the
// test that holds template.yaml, the OpenAPI spec and the handlers together.
func Patterns() map[string][]string {
	out := map[string][]string{}
	for name, build := range Functions {
		out[name] = build(Deps{Log: slog.Default(), Pages: http.NotFoundHandler()}).(*observed).rt.patterns
	}
	return out
}

// NewAuthHandler serves AuthFunction's routes: health, sign-in, tokens,
// password flows and the emailed-link pages.
func NewAuthHandler(d Deps) http.Handler {
	a := d.Auth
	rt := newRouter()
	rt.handle("GET /v1/health", none(200, func(r *http.Request) (api.Health, error) {
		return api.Health{Status: "ok", Version: Version}, nil
	}))
	rt.handle("POST /v1/auth/identify", one(200, func(r *http.Request, req api.IdentifyRequest) (api.IdentifyResponse, error) {
		return a.Identify(r.Context(), req)
	}))
	rt.handle("POST /v1/auth/login", one(200, func(r *http.Request, req api.LoginRequest) (*api.TokenResponse, error) {
		return a.Login(r.Context(), req)
	}))
	rt.handle("POST /v1/auth/microsoft", one(200, func(r *http.Request, req api.MicrosoftLoginRequest) (*api.TokenResponse, error) {
		// Entra ID sign-in is provisioned per tenant; until a tenant's
		// identity provider accepts the token, nobody is provisioned.
		return nil, domain.E(api.CodeNotProvisioned)
	}))
	rt.handle("POST /v1/auth/refresh", one(200, func(r *http.Request, req api.RefreshRequest) (*api.TokenResponse, error) {
		return a.Refresh(r.Context(), req.RefreshToken)
	}))
	rt.handle("POST /v1/auth/logout", one(204, func(r *http.Request, req api.RefreshRequest) (empty, error) {
		return empty{}, a.Logout(r.Context(), req.RefreshToken)
	}))
	rt.handle("POST /v1/auth/password/forgot", one(202, func(r *http.Request, req api.ForgotPasswordRequest) (empty, error) {
		return empty{}, a.ForgotPassword(r.Context(), req)
	}))
	rt.handle("POST /v1/auth/password/reset", one(204, func(r *http.Request, req api.ResetPasswordRequest) (empty, error) {
		return empty{}, a.ResetPassword(r.Context(), req)
	}))
	rt.handle("GET /p/reset", d.Pages)
	rt.handle("POST /p/reset", d.Pages)
	rt.handle("GET /p/verify", d.Pages)
	return observe(d.Log, rt)
}

// NewAgentHandler serves AgentFunction's routes.
func NewAgentHandler(d Deps) http.Handler {
	rt := newRouter()
	rt.handle("GET /v1/me", authenticated(d.Auth, none(200, func(r *http.Request) (*api.MeResponse, error) {
		return d.Agent.Me(r.Context(), principal(r))
	})))
	rt.handle("POST /v1/me/password", authenticated(d.Auth, one(200, func(r *http.Request, req api.ChangePasswordRequest) (*api.TokenResponse, error) {
		return d.Auth.ChangePassword(r.Context(), principal(r), req)
	})))
	rt.handle("POST /v1/sessions", authenticated(d.Auth, one(201, func(r *http.Request, req api.CreateSessionRequest) (*api.Session, error) {
		return d.Sessions.Create(r.Context(), principal(r), req)
	})))
	rt.handle("POST /v1/sessions/{id}/heartbeat", authenticatedOrStale(d.Auth, one(200, func(r *http.Request, req api.HeartbeatRequest) (*api.HeartbeatResponse, error) {
		return d.Sessions.Heartbeat(r.Context(), principal(r), r.PathValue("id"), req)
	})))
	rt.handle("DELETE /v1/sessions/{id}", authenticated(d.Auth, none(204, func(r *http.Request) (empty, error) {
		return empty{}, d.Sessions.End(r.Context(), principal(r), r.PathValue("id"))
	})))
	return observe(d.Log, rt)
}

// NewAdminHandler serves AdminFunction's routes, all admin-only.
func NewAdminHandler(d Deps) http.Handler {
	s := d.Admin
	rt := newRouter()
	h := func(pattern string, fn http.HandlerFunc) { rt.handle(pattern, authenticated(d.Auth, fn)) }
	actor := func(r *http.Request) admin.Actor {
		return admin.Actor{User: principal(r).User, RequestID: RequestID(r.Context())}
	}
	id := func(r *http.Request) string { return r.PathValue("id") }

	h("GET /v1/admin/users", none(200, func(r *http.Request) (*api.UserList, error) {
		q := r.URL.Query()
		limit, err := queryInt(q.Get("limit"), 50, 1, 100, "limit")
		if err != nil {
			return nil, err
		}
		return s.ListUsers(r.Context(), actor(r), q.Get("search"), q.Get("cursor"), limit)
	}))
	h("POST /v1/admin/users", one(201, func(r *http.Request, req api.CreateUserRequest) (*api.User, error) {
		return s.CreateUser(r.Context(), actor(r), req)
	}))
	h("GET /v1/admin/users/{id}", none(200, func(r *http.Request) (*api.User, error) {
		return s.GetUser(r.Context(), actor(r), id(r))
	}))
	h("PATCH /v1/admin/users/{id}", one(200, func(r *http.Request, req api.UpdateUserRequest) (*api.User, error) {
		return s.UpdateUser(r.Context(), actor(r), id(r), req)
	}))
	h("POST /v1/admin/users/{id}/disable", none(200, func(r *http.Request) (*api.User, error) {
		return s.SetStatus(r.Context(), actor(r), id(r), true)
	}))
	h("POST /v1/admin/users/{id}/enable", none(200, func(r *http.Request) (*api.User, error) {
		return s.SetStatus(r.Context(), actor(r), id(r), false)
	}))
	h("POST /v1/admin/users/{id}/reset-password", none(202, func(r *http.Request) (empty, error) {
		return empty{}, s.ResetPassword(r.Context(), actor(r), id(r))
	}))
	h("PUT /v1/admin/users/{id}/password", one(204, func(r *http.Request, req api.SetPasswordRequest) (empty, error) {
		return empty{}, s.SetPassword(r.Context(), actor(r), id(r), req.Password)
	}))
	h("POST /v1/admin/users/{id}/logout", none(204, func(r *http.Request) (empty, error) {
		return empty{}, s.Logout(r.Context(), actor(r), id(r))
	}))

	h("GET /v1/admin/teams", none(200, func(r *http.Request) (*api.TeamList, error) { return s.ListTeams(r.Context(), actor(r)) }))
	h("POST /v1/admin/teams", one(201, func(r *http.Request, req api.TeamRequest) (*api.Team, error) {
		return s.PutTeam(r.Context(), actor(r), "", req)
	}))
	h("GET /v1/admin/teams/{id}", none(200, func(r *http.Request) (*api.Team, error) { return s.GetTeam(r.Context(), actor(r), id(r)) }))
	h("PUT /v1/admin/teams/{id}", one(200, func(r *http.Request, req api.TeamRequest) (*api.Team, error) {
		return s.PutTeam(r.Context(), actor(r), id(r), req)
	}))
	h("DELETE /v1/admin/teams/{id}", none(204, func(r *http.Request) (empty, error) {
		return empty{}, s.DeleteTeam(r.Context(), actor(r), id(r))
	}))

	h("GET /v1/admin/queues", none(200, func(r *http.Request) (*api.QueueList, error) { return s.ListQueues(r.Context(), actor(r)) }))
	h("POST /v1/admin/queues", one(201, func(r *http.Request, req api.QueueRequest) (*api.Queue, error) {
		return s.PutQueue(r.Context(), actor(r), "", req)
	}))
	h("GET /v1/admin/queues/{id}", none(200, func(r *http.Request) (*api.Queue, error) { return s.GetQueue(r.Context(), actor(r), id(r)) }))
	h("PUT /v1/admin/queues/{id}", one(200, func(r *http.Request, req api.QueueRequest) (*api.Queue, error) {
		return s.PutQueue(r.Context(), actor(r), id(r), req)
	}))
	h("DELETE /v1/admin/queues/{id}", none(204, func(r *http.Request) (empty, error) {
		return empty{}, s.DeleteQueue(r.Context(), actor(r), id(r))
	}))

	h("GET /v1/admin/tenant", none(200, func(r *http.Request) (*api.TenantSettings, error) { return s.GetTenant(r.Context(), actor(r)) }))
	h("PUT /v1/admin/tenant", one(200, func(r *http.Request, req api.TenantSettings) (*api.TenantSettings, error) {
		return s.PutTenant(r.Context(), actor(r), req)
	}))
	h("GET /v1/admin/sessions", none(200, func(r *http.Request) (*api.SessionList, error) {
		return d.Sessions.List(r.Context(), principal(r).User)
	}))
	h("GET /v1/admin/audit", none(200, func(r *http.Request) (*api.AuditList, error) {
		q := r.URL.Query()
		limit, err := queryInt(q.Get("limit"), 50, 1, 100, "limit")
		if err != nil {
			return nil, err
		}
		f := domain.AuditFilter{TargetID: q.Get("target_id"), Cursor: q.Get("cursor"), Limit: limit}
		if f.From, err = queryTime(q.Get("from"), "from"); err != nil {
			return nil, err
		}
		if f.To, err = queryTime(q.Get("to"), "to"); err != nil {
			return nil, err
		}
		if len(f.TargetID) > 64 || len(f.Cursor) > 256 {
			return nil, domain.E(api.CodeValidation, "target_id")
		}
		return s.ListAudit(r.Context(), actor(r), f)
	}))
	return observe(d.Log, rt)
}

func queryInt(s string, def, lo, hi int, field string) (int, error) {
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, domain.E(api.CodeValidation, field)
	}
	return v, nil
}

func queryTime(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, domain.E(api.CodeValidation, field)
	}
	return t, nil
}
