package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
)

// TestRevocationsEndTheSessionWithTheirReason: disabling the agent, an
// admin's forced logout, an admin password reset and the agent's own reset
// with an emailed code each end the live session, and the desktop's next
// heartbeat is told why (410 with the reason), even though its token died
// with the same change.
func TestRevocationsEndTheSessionWithTheirReason(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	cases := []struct {
		name, reason string
		revoke       func(t *testing.T, u *api.User)
	}{
		{"disabled", domain.RevokeDisabled, func(t *testing.T, u *api.User) {
			if _, err := tn.Admin.DisableUser(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"forced", domain.RevokeAdminLogout, func(t *testing.T, u *api.User) {
			if err := tn.Admin.LogoutUser(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"adminreset", domain.RevokePasswordReset, func(t *testing.T, u *api.User) {
			if err := tn.Admin.ResetUserPassword(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"selfreset", domain.RevokePasswordReset, func(t *testing.T, u *api.User) {
			if err := anon(t).ForgotPassword(ctx, api.ForgotPasswordRequest{Email: u.Email}); err != nil {
				t.Fatal(err)
			}
			// invitation, extension assigned, password changed, then the code
			code := codeIn(t, waitMail(t, u.Email, 4)[3])
			if err := anon(t).ResetPassword(ctx, api.ResetPasswordRequest{Email: u.Email, Code: code, NewPassword: "a fresh passphrase after reset"}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	modes := []api.Station{
		{Mode: api.StationDialNumber, DialNumber: "+44 20 7946 0958"},
		{Mode: api.StationExtension},
		{Mode: api.StationDesktop},
		{Mode: api.StationDialNumber, DialNumber: "+55 11 91234 5678"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, tok, _ := tn.agent(t, c.name, api.CreateUserRequest{WebRTCEnabled: true,
				StationModes: []string{api.StationDialNumber, api.StationExtension, api.StationDesktop},
				Extension:    &api.Extension{Number: "40" + string(rune('0'+i)), SIPUsername: c.name, SIPPassword: "sip-" + c.name}})
			agent := as(t, tok)
			sess, err := agent.CreateSession(ctx, api.CreateSessionRequest{Station: modes[i], Device: device})
			if err != nil {
				t.Fatalf("%s station login: %v", modes[i].Mode, err)
			}
			if modes[i].Mode == api.StationDialNumber && !strings.HasPrefix(sess.Station.DialNumber, "+") {
				t.Fatalf("dial number not normalised: %q", sess.Station.DialNumber)
			}
			if err := heartbeat(agent, sess); err != nil {
				t.Fatal(err)
			}
			c.revoke(t, u)
			p := problem(t, heartbeat(agent, sess), 410, api.CodeSessionRevoked)
			if p.Reason != c.reason {
				t.Fatalf("reason %q, want %q", p.Reason, c.reason)
			}
			// Everything else with the dead token is plainly unauthorised.
			_, err = agent.Me(ctx)
			problem(t, err, 401, api.CodeUnauthorized)
		})
	}
}

// TestSessionsOfOtherAgentsAreUnreachable: one agent cannot heartbeat or
// end another's session, whatever ids and epochs it sends.
func TestSessionsOfOtherAgentsAreUnreachable(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	_, aTok, _ := tn.agent(t, "owner", api.CreateUserRequest{})
	_, bTok, _ := tn.agent(t, "intruder", api.CreateUserRequest{})
	a, b := as(t, aTok), as(t, bTok)
	sess, err := a.CreateSession(ctx, api.CreateSessionRequest{Station: api.Station{Mode: api.StationDialNumber, DialNumber: "+33142685301"}, Device: device})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Heartbeat(ctx, sess.SessionID, api.HeartbeatRequest{Epoch: sess.Epoch})
	problem(t, err, 404, api.CodeNotFound)
	problem(t, b.EndSession(ctx, sess.SessionID), 404, api.CodeNotFound)
	for _, epoch := range []int64{-1, 0, 1 << 62} {
		_, err = a.Heartbeat(ctx, sess.SessionID, api.HeartbeatRequest{Epoch: epoch})
		if err == nil {
			t.Fatalf("epoch %d accepted", epoch)
		}
	}
	if err := heartbeat(a, sess); err != nil {
		t.Fatalf("the owner's session suffered: %v", err)
	}
}
