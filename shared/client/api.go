package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/agentdesk/agentdesk/shared/api"
)

func id(s string) string { return url.PathEscape(s) }

// public calls an operation that needs no access token.
func (c *Client) public(ctx context.Context, method, path string, in, out any) error {
	return c.do(ctx, call{method: method, path: path, in: in, out: out})
}

// authed calls an operation with the access token.
func (c *Client) authed(ctx context.Context, method, path string, query url.Values, in, out any) error {
	return c.do(ctx, call{method: method, path: path, query: query, auth: true, in: in, out: out})
}

// ---- public ------------------------------------------------------------

// Health is GET /v1/health.
func (c *Client) Health(ctx context.Context) (*api.Health, error) {
	var out api.Health
	if err := c.public(ctx, http.MethodGet, "/v1/health", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Identify is POST /v1/auth/identify: password or Microsoft sign-in for an email.
func (c *Client) Identify(ctx context.Context, req api.IdentifyRequest) (*api.IdentifyResponse, error) {
	var out api.IdentifyResponse
	if err := c.public(ctx, http.MethodPost, "/v1/auth/identify", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Login is POST /v1/auth/login. Problems: 401 invalid_credentials,
// 403 account_disabled / password_reset_required, 429 too_many_attempts.
func (c *Client) Login(ctx context.Context, req api.LoginRequest) (*api.TokenResponse, error) {
	var out api.TokenResponse
	if err := c.public(ctx, http.MethodPost, "/v1/auth/login", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// LoginMicrosoft is POST /v1/auth/microsoft with an Entra ID access token.
// Problems: 401 invalid_token, 403 not_provisioned.
func (c *Client) LoginMicrosoft(ctx context.Context, req api.MicrosoftLoginRequest) (*api.TokenResponse, error) {
	var out api.TokenResponse
	if err := c.public(ctx, http.MethodPost, "/v1/auth/microsoft", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Refresh is POST /v1/auth/refresh: a new token pair for a refresh token.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*api.TokenResponse, error) {
	var out api.TokenResponse
	if err := c.public(ctx, http.MethodPost, "/v1/auth/refresh", api.RefreshRequest{RefreshToken: refreshToken}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Logout is POST /v1/auth/logout: revokes a refresh token.
func (c *Client) Logout(ctx context.Context, refreshToken string) error {
	return c.public(ctx, http.MethodPost, "/v1/auth/logout", api.RefreshRequest{RefreshToken: refreshToken}, nil)
}

// ForgotPassword is POST /v1/auth/password/forgot: emails a 6-digit code.
// Problems: 409 self_managed, 429 too_many_attempts.
func (c *Client) ForgotPassword(ctx context.Context, req api.ForgotPasswordRequest) error {
	return c.public(ctx, http.MethodPost, "/v1/auth/password/forgot", req, nil)
}

// ResetPassword is POST /v1/auth/password/reset with the emailed code.
// Problems: 400 invalid_code, 410 code_expired, 422 weak_password,
// 429 too_many_attempts.
func (c *Client) ResetPassword(ctx context.Context, req api.ResetPasswordRequest) error {
	return c.public(ctx, http.MethodPost, "/v1/auth/password/reset", req, nil)
}

// ---- the signed-in user --------------------------------------------------

// Me is GET /v1/me.
func (c *Client) Me(ctx context.Context) (*api.MeResponse, error) {
	var out api.MeResponse
	if err := c.authed(ctx, http.MethodGet, "/v1/me", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ChangePassword is POST /v1/me/password. Every other session of the user
// is revoked; the answer is a fresh token pair for this device (nil if the
// server sent none). Problems: 403 wrong_current_password, 422 weak_password.
func (c *Client) ChangePassword(ctx context.Context, req api.ChangePasswordRequest) (*api.TokenResponse, error) {
	var raw json.RawMessage
	if err := c.authed(ctx, http.MethodPost, "/v1/me/password", nil, req, &raw); err != nil {
		return nil, err
	}
	if len(raw) == 0 { // 204
		return nil, nil
	}
	var out api.TokenResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, &ResponseError{Method: http.MethodPost, Path: "/v1/me/password", Status: http.StatusOK, RequestID: c.LastRequestID(), Err: err}
	}
	return &out, nil
}

// ---- station sessions ------------------------------------------------------

// CreateSession is POST /v1/sessions: station login. Heartbeat the session
// every HeartbeatInterval seconds with its Epoch. Problems: 409
// session_active_elsewhere (Problem.Holder is the other device; send again
// with Takeover to take over) / dial_number_in_use, 403
// station_mode_not_allowed / dial_number_locked, 422 invalid_dial_number /
// invalid_extension / unknown_team.
func (c *Client) CreateSession(ctx context.Context, req api.CreateSessionRequest) (*api.Session, error) {
	var out api.Session
	if err := c.authed(ctx, http.MethodPost, "/v1/sessions", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Heartbeat is POST /v1/sessions/{id}/heartbeat: renews the lease.
// Problems: 409 session_taken_over (another device took over), 410
// session_revoked (Problem.Reason says why), 404 not_found.
func (c *Client) Heartbeat(ctx context.Context, sessionID string, req api.HeartbeatRequest) (*api.HeartbeatResponse, error) {
	var out api.HeartbeatResponse
	if err := c.authed(ctx, http.MethodPost, "/v1/sessions/"+id(sessionID)+"/heartbeat", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EndSession is DELETE /v1/sessions/{id}: station sign-out. Ending a session
// that is already over succeeds; 404 not_found when sessionID is not the
// caller's current session.
func (c *Client) EndSession(ctx context.Context, sessionID string) error {
	return c.authed(ctx, http.MethodDelete, "/v1/sessions/"+id(sessionID), nil, nil, nil)
}

// ---- admin: users --------------------------------------------------------

// ListUsersParams filters and pages GET /v1/admin/users.
type ListUsersParams struct {
	Search string // on email and display name
	Cursor string // NextCursor of the previous page
	Limit  int    // 1..100; 0 uses the server's default
}

// ListUsers is GET /v1/admin/users.
func (c *Client) ListUsers(ctx context.Context, p ListUsersParams) (*api.UserList, error) {
	q := url.Values{}
	if p.Search != "" {
		q.Set("search", p.Search)
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	var out api.UserList
	if err := c.authed(ctx, http.MethodGet, "/v1/admin/users", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateUser is POST /v1/admin/users. Problems: 409 email_taken /
// extension_taken, 422 validation problems.
func (c *Client) CreateUser(ctx context.Context, req api.CreateUserRequest) (*api.User, error) {
	return c.user(ctx, http.MethodPost, "/v1/admin/users", req)
}

// GetUser is GET /v1/admin/users/{id}.
func (c *Client) GetUser(ctx context.Context, userID string) (*api.User, error) {
	return c.user(ctx, http.MethodGet, "/v1/admin/users/"+id(userID), nil)
}

// UpdateUser is PATCH /v1/admin/users/{id}. Problems: 409 version_conflict,
// 409 confirm_logout_required (ask Problem.Confirmation, then send again
// with ConfirmLogout), 422 validation problems.
func (c *Client) UpdateUser(ctx context.Context, userID string, req api.UpdateUserRequest) (*api.User, error) {
	return c.user(ctx, http.MethodPatch, "/v1/admin/users/"+id(userID), req)
}

// DisableUser is POST /v1/admin/users/{id}/disable.
func (c *Client) DisableUser(ctx context.Context, userID string) (*api.User, error) {
	return c.user(ctx, http.MethodPost, "/v1/admin/users/"+id(userID)+"/disable", nil)
}

// EnableUser is POST /v1/admin/users/{id}/enable.
func (c *Client) EnableUser(ctx context.Context, userID string) (*api.User, error) {
	return c.user(ctx, http.MethodPost, "/v1/admin/users/"+id(userID)+"/enable", nil)
}

func (c *Client) user(ctx context.Context, method, path string, in any) (*api.User, error) {
	var out api.User
	if err := c.authed(ctx, method, path, nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ResetUserPassword is POST /v1/admin/users/{id}/reset-password: emails the
// user a reset link.
func (c *Client) ResetUserPassword(ctx context.Context, userID string) error {
	return c.authed(ctx, http.MethodPost, "/v1/admin/users/"+id(userID)+"/reset-password", nil, nil, nil)
}

// SetUserPassword is PUT /v1/admin/users/{id}/password.
func (c *Client) SetUserPassword(ctx context.Context, userID string, req api.SetPasswordRequest) error {
	return c.authed(ctx, http.MethodPut, "/v1/admin/users/"+id(userID)+"/password", nil, req, nil)
}

// LogoutUser is POST /v1/admin/users/{id}/logout: signs the user out everywhere.
func (c *Client) LogoutUser(ctx context.Context, userID string) error {
	return c.authed(ctx, http.MethodPost, "/v1/admin/users/"+id(userID)+"/logout", nil, nil, nil)
}

// ---- admin: teams ----------------------------------------------------------

// ListTeams is GET /v1/admin/teams.
func (c *Client) ListTeams(ctx context.Context) (*api.TeamList, error) {
	var out api.TeamList
	if err := c.authed(ctx, http.MethodGet, "/v1/admin/teams", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateTeam is POST /v1/admin/teams.
func (c *Client) CreateTeam(ctx context.Context, req api.TeamRequest) (*api.Team, error) {
	return c.team(ctx, http.MethodPost, "/v1/admin/teams", req)
}

// GetTeam is GET /v1/admin/teams/{id}.
func (c *Client) GetTeam(ctx context.Context, teamID string) (*api.Team, error) {
	return c.team(ctx, http.MethodGet, "/v1/admin/teams/"+id(teamID), nil)
}

// UpdateTeam is PUT /v1/admin/teams/{id} (req.Version must match).
func (c *Client) UpdateTeam(ctx context.Context, teamID string, req api.TeamRequest) (*api.Team, error) {
	return c.team(ctx, http.MethodPut, "/v1/admin/teams/"+id(teamID), req)
}

// DeleteTeam is DELETE /v1/admin/teams/{id}.
func (c *Client) DeleteTeam(ctx context.Context, teamID string) error {
	return c.authed(ctx, http.MethodDelete, "/v1/admin/teams/"+id(teamID), nil, nil, nil)
}

func (c *Client) team(ctx context.Context, method, path string, in any) (*api.Team, error) {
	var out api.Team
	if err := c.authed(ctx, method, path, nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ---- admin: queues ---------------------------------------------------------

// ListQueues is GET /v1/admin/queues.
func (c *Client) ListQueues(ctx context.Context) (*api.QueueList, error) {
	var out api.QueueList
	if err := c.authed(ctx, http.MethodGet, "/v1/admin/queues", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateQueue is POST /v1/admin/queues.
func (c *Client) CreateQueue(ctx context.Context, req api.QueueRequest) (*api.Queue, error) {
	return c.queue(ctx, http.MethodPost, "/v1/admin/queues", req)
}

// GetQueue is GET /v1/admin/queues/{id}.
func (c *Client) GetQueue(ctx context.Context, queueID string) (*api.Queue, error) {
	return c.queue(ctx, http.MethodGet, "/v1/admin/queues/"+id(queueID), nil)
}

// UpdateQueue is PUT /v1/admin/queues/{id} (req.Version must match).
func (c *Client) UpdateQueue(ctx context.Context, queueID string, req api.QueueRequest) (*api.Queue, error) {
	return c.queue(ctx, http.MethodPut, "/v1/admin/queues/"+id(queueID), req)
}

// DeleteQueue is DELETE /v1/admin/queues/{id}.
func (c *Client) DeleteQueue(ctx context.Context, queueID string) error {
	return c.authed(ctx, http.MethodDelete, "/v1/admin/queues/"+id(queueID), nil, nil, nil)
}

func (c *Client) queue(ctx context.Context, method, path string, in any) (*api.Queue, error) {
	var out api.Queue
	if err := c.authed(ctx, method, path, nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ---- admin: tenant and audit ----------------------------------------------

// GetTenant is GET /v1/admin/tenant.
func (c *Client) GetTenant(ctx context.Context) (*api.TenantSettings, error) {
	var out api.TenantSettings
	if err := c.authed(ctx, http.MethodGet, "/v1/admin/tenant", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PutTenant is PUT /v1/admin/tenant (settings.Version must match).
func (c *Client) PutTenant(ctx context.Context, settings api.TenantSettings) (*api.TenantSettings, error) {
	var out api.TenantSettings
	if err := c.authed(ctx, http.MethodPut, "/v1/admin/tenant", nil, settings, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListSessions is GET /v1/admin/sessions: the tenant's live station sessions.
func (c *Client) ListSessions(ctx context.Context) (*api.SessionList, error) {
	var out api.SessionList
	if err := c.authed(ctx, http.MethodGet, "/v1/admin/sessions", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AuditParams filters and pages GET /v1/admin/audit.
type AuditParams struct {
	TargetID string
	From, To time.Time // zero: unbounded
	Cursor   string
	Limit    int // 1..100; 0 uses the server's default
}

// ListAudit is GET /v1/admin/audit (newest first).
func (c *Client) ListAudit(ctx context.Context, p AuditParams) (*api.AuditList, error) {
	q := url.Values{}
	if p.TargetID != "" {
		q.Set("target_id", p.TargetID)
	}
	if !p.From.IsZero() {
		q.Set("from", p.From.UTC().Format(time.RFC3339Nano))
	}
	if !p.To.IsZero() {
		q.Set("to", p.To.UTC().Format(time.RFC3339Nano))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	var out api.AuditList
	if err := c.authed(ctx, http.MethodGet, "/v1/admin/audit", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
