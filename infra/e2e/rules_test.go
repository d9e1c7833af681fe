package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
)

// agent creates a ready agent (password set by the admin) and signs in.
func (tn *tenantEnv) agent(t *testing.T, name string, req api.CreateUserRequest) (*api.User, *api.TokenResponse, string) {
	t.Helper()
	ctx := context.Background()
	req.Email = name + "@" + strings.Split(tn.AdminEmail, "@")[1]
	if req.DisplayName == "" {
		req.DisplayName = "Agent " + name
	}
	u, err := tn.Admin.CreateUser(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	pw := "the passphrase of " + name + " is long"
	if err := tn.Admin.SetUserPassword(ctx, u.ID, api.SetPasswordRequest{Password: pw}); err != nil {
		t.Fatal(err)
	}
	return u, login(t, req.Email, pw), pw
}

func TestOmnichannelNeedsWebRTC(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	email := "omni@" + strings.Split(tn.AdminEmail, "@")[1]
	_, err := tn.Admin.CreateUser(ctx, api.CreateUserRequest{Email: email, DisplayName: "Omni", OmnichannelEnabled: true})
	p := problem(t, err, 422, api.CodeOmnichannelNeedsRTC)
	if p.Field != "omnichannel_enabled" || p.Detail == "" {
		t.Fatalf("problem: %+v", p)
	}
	_, err = tn.Admin.CreateUser(ctx, api.CreateUserRequest{Email: email, DisplayName: "Omni", StationModes: []string{api.StationDesktop}})
	problem(t, err, 422, api.CodeDesktopNeedsRTC)
	list, err := tn.Admin.ListUsers(ctx, client.ListUsersParams{Search: "omni"})
	if err != nil || len(list.Users) != 0 {
		t.Fatalf("a refused user was saved: %+v %v", list, err)
	}
	// Nothing saved means the email is still free.
	u, _, _ := tn.agent(t, "omni", api.CreateUserRequest{WebRTCEnabled: true, OmnichannelEnabled: true})
	u, _ = tn.Admin.GetUser(ctx, u.ID)
	_, err = tn.Admin.UpdateUser(ctx, u.ID, api.UpdateUserRequest{Version: u.Version, WebRTCEnabled: ptr(false)})
	problem(t, err, 422, api.CodeOmnichannelNeedsRTC)
	got, _ := tn.Admin.GetUser(ctx, u.ID)
	if !got.WebRTCEnabled || got.Version != u.Version {
		t.Fatalf("refused PATCH changed the user: %+v", got)
	}
}

func ptr[T any](v T) *T { return &v }

func TestRBACAndTenantIsolation(t *testing.T) {
	ctx := context.Background()
	a, b := newTenant(t), newTenant(t)
	ua, agentTok, _ := a.agent(t, "alice", api.CreateUserRequest{})
	_, supTok, _ := a.agent(t, "sam", api.CreateUserRequest{Roles: []string{api.RoleSupervisor}})
	for _, tok := range []*api.TokenResponse{agentTok, supTok} {
		c := as(t, tok)
		_, err := c.ListUsers(ctx, client.ListUsersParams{})
		problem(t, err, 403, api.CodeForbidden)
		_, err = c.GetTenant(ctx)
		problem(t, err, 403, api.CodeForbidden)
		_, err = c.CreateTeam(ctx, api.TeamRequest{Name: "x"})
		problem(t, err, 403, api.CodeForbidden)
	}
	// Tenant B's admin cannot see or touch tenant A's user: 404, not 403.
	_, err := b.Admin.GetUser(ctx, ua.ID)
	problem(t, err, 404, api.CodeNotFound)
	_, err = b.Admin.UpdateUser(ctx, ua.ID, api.UpdateUserRequest{Version: ua.Version, DisplayName: ptr("pwned")})
	problem(t, err, 404, api.CodeNotFound)
	err = b.Admin.ResetUserPassword(ctx, ua.ID)
	problem(t, err, 404, api.CodeNotFound)
	team, _ := a.Admin.CreateTeam(ctx, api.TeamRequest{Name: "A team"})
	_, err = b.Admin.GetTeam(ctx, team.ID)
	problem(t, err, 404, api.CodeNotFound)
	_, err = b.Admin.CreateUser(ctx, api.CreateUserRequest{Email: "x@" + strings.Split(b.AdminEmail, "@")[1], DisplayName: "X", TeamIDs: []string{team.ID}})
	problem(t, err, 422, api.CodeUnknownTeam)
	list, _ := b.Admin.ListUsers(ctx, client.ListUsersParams{})
	for _, u := range list.Users {
		if u.ID == ua.ID {
			t.Fatal("tenant B lists tenant A's user")
		}
	}
	// Unauthenticated and forged tokens.
	_, err = anon(t).Me(ctx)
	problem(t, err, 401, api.CodeUnauthorized)
	_, err = anon(t, client.WithAccessToken("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")).Me(ctx)
	problem(t, err, 401, api.CodeUnauthorized)
}

func TestLockoutWithRetryAfterAndNoEnumeration(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	_, _, pw := tn.agent(t, "locked", api.CreateUserRequest{})
	known := "locked@" + strings.Split(tn.AdminEmail, "@")[1]
	unknown := "nobody@" + strings.Split(tn.AdminEmail, "@")[1]
	for _, email := range []string{known, unknown} {
		for i := 1; i <= 5; i++ {
			_, err := anon(t).Login(ctx, api.LoginRequest{Email: email, Password: "wrong password " + strconv.Itoa(i), Device: device})
			problem(t, err, 401, api.CodeInvalidCredentials)
		}
		// The sixth try is refused before the password is even checked.
		_, err := anon(t).Login(ctx, api.LoginRequest{Email: email, Password: pw, Device: device})
		p := problem(t, err, 429, api.CodeTooManyAttempts)
		if p.RetryAfter < 1 || p.RetryAfter > int(testPolicy.LockBase.Seconds()) {
			t.Fatalf("%s: Retry-After %d", email, p.RetryAfter)
		}
	}
	// Retry-After is also an HTTP header.
	req, _ := http.NewRequest("POST", stack.APIURL+"/v1/auth/login", strings.NewReader(
		fmt.Sprintf(`{"email":%q,"password":"x","device":{"id":"d","name":"n","platform":"linux"}}`, known)))
	req.Header.Set("Content-Type", "application/json")
	res, err := httpClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("lockout: %d Retry-After=%q", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

func TestIdentifyAndForgotRevealNothing(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	domainPart := strings.Split(tn.AdminEmail, "@")[1]
	raw := func(path, email string) (int, string) {
		req, _ := http.NewRequest("POST", stack.APIURL+path, strings.NewReader(fmt.Sprintf(`{"email":%q}`, email)))
		req.Header.Set("Content-Type", "application/json")
		res, err := httpClient(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, path := range []string{"/v1/auth/identify", "/v1/auth/password/forgot"} {
		s1, b1 := raw(path, tn.AdminEmail)
		s2, b2 := raw(path, "ghost@"+domainPart)
		if s1 != s2 || b1 != b2 {
			t.Fatalf("%s differs for a known and an unknown email: %d %q vs %d %q", path, s1, b1, s2, b2)
		}
	}
	id, err := anon(t).Identify(ctx, api.IdentifyRequest{Email: "anyone@" + domainPart})
	if err != nil || id.Method != api.MethodPassword {
		t.Fatalf("identify: %+v %v", id, err)
	}
	// A federated domain: Microsoft sign-in, and reset is self-managed.
	settings, _ := tn.Admin.GetTenant(ctx)
	settings.IdentityProvider = api.IdentityProvider{Type: api.MethodMicrosoft, Domains: []string{"fed-" + domainPart},
		EntraTenantIDs: []string{"11111111-2222-3333-4444-555555555555"}, ClientID: "66666666-7777-8888-9999-000000000000", APIScope: "api://agentdesk/.default"}
	if _, err := tn.Admin.PutTenant(ctx, *settings); err != nil {
		t.Fatal(err)
	}
	id, err = anon(t).Identify(ctx, api.IdentifyRequest{Email: "someone@FED-" + domainPart})
	if err != nil || id.Method != api.MethodMicrosoft || id.Microsoft.ClientID != "66666666-7777-8888-9999-000000000000" {
		t.Fatalf("federated identify: %+v %v", id, err)
	}
	err = anon(t).ForgotPassword(ctx, api.ForgotPasswordRequest{Email: "someone@fed-" + domainPart})
	p := problem(t, err, 409, api.CodeSelfManaged)
	if p.Detail != "This user belongs to a self-managed group. Contact the account administrator." {
		t.Fatalf("self-managed message: %q", p.Detail)
	}
	// Another tenant cannot claim the same domain.
	other := newTenant(t)
	s2, _ := other.Admin.GetTenant(ctx)
	s2.IdentityProvider = settings.IdentityProvider
	_, err = other.Admin.PutTenant(ctx, *s2)
	problem(t, err, 409, api.CodeDomainTaken)
}

func TestResetCodeRules(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	_, _, _ = tn.agent(t, "coder", api.CreateUserRequest{})
	email := "coder@" + strings.Split(tn.AdminEmail, "@")[1]
	// Used twice.
	if err := anon(t).ForgotPassword(ctx, api.ForgotPasswordRequest{Email: email}); err != nil {
		t.Fatal(err)
	}
	code := codeIn(t, waitMail(t, email, 3)[2]) // invitation, password changed, code
	ok := api.ResetPasswordRequest{Email: email, Code: code, NewPassword: "first new passphrase here"}
	if err := anon(t).ResetPassword(ctx, ok); err != nil {
		t.Fatal(err)
	}
	ok.NewPassword = "second new passphrase here"
	problem(t, anon(t).ResetPassword(ctx, ok), 400, api.CodeInvalidCode)

	// A weak password does not burn the code.
	k := stack.App.Auth.Keys
	put := func(code string, expires time.Time) {
		now := time.Now()
		err := stack.App.Store.Commit(ctx, &domain.Batch{Ops: []domain.Op{domain.PutCode{Code: &domain.ResetCode{
			Email: email, Hash: auth.CodeHash(k.CodeHMAC, email, code), IssuedAt: now.Add(-time.Hour), ExpiresAt: expires}}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	put("111111", time.Now().Add(10*time.Minute))
	p := problem(t, anon(t).ResetPassword(ctx, api.ResetPasswordRequest{Email: email, Code: "111111", NewPassword: "password"}), 422, api.CodeWeakPassword)
	if !strings.Contains(p.Detail, "common") && !strings.Contains(p.Detail, "8") {
		t.Fatalf("weak password reason not explained: %q", p.Detail)
	}
	// Expired: ten minutes have passed.
	put("222222", time.Now().Add(-time.Second))
	problem(t, anon(t).ResetPassword(ctx, api.ResetPasswordRequest{Email: email, Code: "222222", NewPassword: "fine passphrase again"}), 410, api.CodeCodeExpired)
	// Tried six times: the sixth, even right, fails.
	put("333333", time.Now().Add(10*time.Minute))
	for i := 1; i <= 5; i++ {
		err := anon(t).ResetPassword(ctx, api.ResetPasswordRequest{Email: email, Code: fmt.Sprintf("00000%d", i), NewPassword: "fine passphrase again"})
		if i < 5 {
			problem(t, err, 400, api.CodeInvalidCode)
		} else {
			problem(t, err, 429, api.CodeTooManyAttempts)
		}
	}
	problem(t, anon(t).ResetPassword(ctx, api.ResetPasswordRequest{Email: email, Code: "333333", NewPassword: "fine passphrase again"}), 429, api.CodeTooManyAttempts)
	login(t, email, "first new passphrase here")
}

func TestAdminResetAndSetPassword(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	u, tok, pw := tn.agent(t, "reset", api.CreateUserRequest{})
	if err := tn.Admin.ResetUserPassword(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err := anon(t).Login(ctx, api.LoginRequest{Email: u.Email, Password: pw, Device: device})
	problem(t, err, 403, api.CodePasswordResetRequired)
	_, err = as(t, tok).Me(ctx)
	problem(t, err, 401, api.CodeUnauthorized)
	mails := waitMail(t, u.Email, 3) // invitation, password changed (admin set), reset link
	setPasswordViaPage(t, linkIn(t, mails[2]), "my password after the reset")
	login(t, u.Email, "my password after the reset")

	// The admin's direct set applies the policy and mails the agent.
	err = tn.Admin.SetUserPassword(ctx, u.ID, api.SetPasswordRequest{Password: "12345678"})
	problem(t, err, 422, api.CodeWeakPassword)
	if err := tn.Admin.SetUserPassword(ctx, u.ID, api.SetPasswordRequest{Password: "admin chose this passphrase"}); err != nil {
		t.Fatal(err)
	}
	login(t, u.Email, "admin chose this passphrase")
	last := waitMail(t, u.Email, 6)
	_ = last // set page -> password changed + verify; admin set -> password changed
}

// startSession is a station login through the API.
func startSession(t *testing.T, c *client.Client, req api.CreateSessionRequest) *api.Session {
	t.Helper()
	var out api.Session
	if req.Device.ID == "" {
		req.Device = device
	}
	if err := c.Do(context.Background(), "POST", "/v1/sessions", nil, req, &out); err != nil {
		t.Fatalf("station login: %v", err)
	}
	return &out
}

func heartbeat(c *client.Client, s *api.Session) error {
	var out api.HeartbeatResponse
	return c.Do(context.Background(), "POST", "/v1/sessions/"+s.SessionID+"/heartbeat", nil,
		api.HeartbeatRequest{Epoch: s.Epoch, LastActivity: time.Now()}, &out)
}

func TestConfirmLogoutOnEditOfSignedInAgent(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	q1, _ := tn.Admin.CreateQueue(ctx, api.QueueRequest{Name: "Q1", Kind: api.QueueVoice})
	u, tok, _ := tn.agent(t, "busy", api.CreateUserRequest{})
	agentClient := as(t, tok)
	sess := startSession(t, agentClient, api.CreateSessionRequest{Station: api.Station{Mode: api.StationDialNumber, DialNumber: "+1 415 555 0142"}})
	u, _ = tn.Admin.GetUser(ctx, u.ID)

	// Renaming does not touch routing: no confirmation needed.
	u, err := tn.Admin.UpdateUser(ctx, u.ID, api.UpdateUserRequest{Version: u.Version, DisplayName: ptr("Busy Agent")})
	if err != nil {
		t.Fatal(err)
	}
	req := api.UpdateUserRequest{Version: u.Version, QueueIDs: &[]string{q1.ID}}
	c := anon(t, client.WithAccessToken(tn.AdminToken.AccessToken), client.WithAcceptLanguage("pt-BR"))
	_, err = c.UpdateUser(ctx, u.ID, req)
	p := problem(t, err, 409, api.CodeConfirmLogout)
	if p.Confirmation != "Você editou o usuário. Confirmar desconectará o usuário da(s) fila(s). Confirmar?" {
		t.Fatalf("confirmation: %q", p.Confirmation)
	}
	if got, _ := tn.Admin.GetUser(ctx, u.ID); len(got.QueueIDs) != 0 {
		t.Fatal("unconfirmed change was saved")
	}
	if err := heartbeat(agentClient, sess); err != nil {
		t.Fatalf("the session must live until the edit is confirmed: %v", err)
	}
	req.ConfirmLogout = true
	u2, err := tn.Admin.UpdateUser(ctx, u.ID, req)
	if err != nil || len(u2.QueueIDs) != 1 {
		t.Fatalf("confirmed: %+v %v", u2, err)
	}
	p = problem(t, heartbeat(agentClient, sess), 410, api.CodeSessionRevoked)
	if p.Reason != domain.RevokeAdminEdit {
		t.Fatalf("revocation reason %q", p.Reason)
	}
	// A stale version is refused.
	_, err = tn.Admin.UpdateUser(ctx, u.ID, api.UpdateUserRequest{Version: u.Version, DisplayName: ptr("stale")})
	problem(t, err, 409, api.CodeVersionConflict)
}

func TestDisableAndAudit(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	u, tok, pw := tn.agent(t, "gone", api.CreateUserRequest{Extension: &api.Extension{Number: "3001", SIPUsername: "gone", SIPPassword: "top-secret-sip"}})
	if _, err := tn.Admin.DisableUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err := as(t, tok).Me(ctx)
	problem(t, err, 401, api.CodeUnauthorized)
	_, err = anon(t).Login(ctx, api.LoginRequest{Email: u.Email, Password: pw, Device: device})
	problem(t, err, 403, api.CodeAccountDisabled)
	if _, err := tn.Admin.EnableUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	login(t, u.Email, pw)

	audit, err := tn.Admin.ListAudit(ctx, client.AuditParams{TargetID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action)
		if e.ActorEmail != tn.AdminEmail || e.RequestID == "" {
			t.Errorf("audit entry lacks actor or request id: %+v", e)
		}
	}
	want := []string{"user.enable", "user.disable", "user.set_password", "user.create"}
	if strings.Join(actions, ",") != strings.Join(want, ",") {
		t.Fatalf("audit for the user: %v, want %v", actions, want)
	}
	b, _ := json.Marshal(audit)
	if strings.Contains(string(b), "top-secret-sip") || strings.Contains(string(b), pw) {
		t.Fatal("a secret reached the audit log")
	}
	// Admins cannot read secrets back.
	got, _ := tn.Admin.GetUser(ctx, u.ID)
	b, _ = json.Marshal(got)
	if strings.Contains(string(b), "top-secret-sip") || strings.Contains(string(b), "argon2") {
		t.Fatal("the user resource exposes a secret")
	}
}

func TestRefreshRotationAndReplay(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	_, tok, _ := tn.agent(t, "rot", api.CreateUserRequest{})
	next, err := anon(t).Refresh(ctx, tok.RefreshToken)
	if err != nil || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %v", err)
	}
	// Replaying the rotated token revokes the whole family.
	_, err = anon(t).Refresh(ctx, tok.RefreshToken)
	problem(t, err, 401, api.CodeInvalidToken)
	_, err = anon(t).Refresh(ctx, next.RefreshToken)
	problem(t, err, 401, api.CodeInvalidToken)
	// Logout revokes too.
	tok2 := login(t, next.User.Email, "the passphrase of rot is long")
	if err := anon(t).Logout(ctx, tok2.RefreshToken); err != nil {
		t.Fatal(err)
	}
	_, err = anon(t).Refresh(ctx, tok2.RefreshToken)
	problem(t, err, 401, api.CodeInvalidToken)
}
