package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/infra/seslocal"
	"github.com/agentdesk/agentdesk/shared/api"
)

// TestNewcomerJourney is issue 2's story: bootstrap -> the admin sets a
// password through the emailed page -> signs in -> creates an agent with an
// extension -> the agent's emails arrive in order -> the agent sets a
// password, confirms the email, signs in, forgets the password, resets it
// with the emailed code -> the old password fails.
func TestNewcomerJourney(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)

	team, err := tn.Admin.CreateTeam(ctx, api.TeamRequest{Name: "Tier 1", Description: "First line"})
	if err != nil {
		t.Fatal(err)
	}
	voice, err := tn.Admin.CreateQueue(ctx, api.QueueRequest{Name: "Support", Kind: api.QueueVoice})
	if err != nil {
		t.Fatal(err)
	}
	chat, err := tn.Admin.CreateQueue(ctx, api.QueueRequest{Name: "Chat", Kind: api.QueueChat, Channels: []string{"whatsapp", "webchat"}})
	if err != nil {
		t.Fatal(err)
	}
	agentEmail := "Jeanne.Agent@" + strings.Split(tn.AdminEmail, "@")[1]
	created, err := tn.Admin.CreateUser(ctx, api.CreateUserRequest{
		Email: agentEmail, DisplayName: "Jeanne Agent", Locale: "fr", Roles: []string{api.RoleAgent},
		WebRTCEnabled: true, OmnichannelEnabled: true,
		Extension:         &api.Extension{Number: "2001", SIPUsername: "jeanne", SIPPassword: "sip-secret-never-shown"},
		DefaultDialNumber: "+33 1 42 68 53 00", StationModes: []string{api.StationDialNumber, api.StationDesktop},
		TeamIDs: []string{team.ID}, QueueIDs: []string{voice.ID, chat.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	email := strings.ToLower(agentEmail)
	if created.Email != email || created.DefaultDialNumber != "+33142685300" || created.Extension.SIPPassword != "" || created.PasswordSet {
		t.Fatalf("created user: %+v", created)
	}

	// Invitation, then extension assigned — in French, with the tenant name.
	mails := waitMail(t, email, 2)
	assertMail(t, mails[0], "fr", tn.Name, "/p/reset?token=")
	assertMail(t, mails[1], "fr", tn.Name, "2001")
	if strings.Contains(mails[1].Body.Text+mails[1].Body.HTML, "sip-secret-never-shown") {
		t.Fatal("the SIP password was emailed")
	}

	page := setPasswordViaPage(t, linkIn(t, mails[0]), "jeanne's own long passphrase")
	if !strings.Contains(page, `lang="fr"`) {
		t.Fatalf("set-password page not in the agent's language:\n%s", page)
	}
	// Password changed, then confirm your email.
	mails = waitMail(t, email, 4)
	assertMail(t, mails[2], "fr", tn.Name, "")
	assertMail(t, mails[3], "fr", tn.Name, "/p/verify?token=")
	if !strings.Contains(openVerifyPage(t, linkIn(t, mails[3])), `lang="fr"`) {
		t.Fatal("verify page not localised")
	}
	mails = waitMail(t, email, 5)
	assertMail(t, mails[4], "fr", tn.Name, "")
	subjects := []string{}
	for _, m := range mails {
		subjects = append(subjects, m.Subject)
	}
	t.Logf("agent mail, in order: %q", subjects)

	// The verify link is single use.
	res, err := httpClient(t).Get(linkIn(t, mails[3]))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 410 {
		t.Fatalf("reused verify link: %d, want 410", res.StatusCode)
	}

	tok := login(t, email, "jeanne's own long passphrase")
	if !tok.User.EmailVerified || tok.User.Locale != "fr" {
		t.Fatalf("signed-in user: %+v", tok.User)
	}
	me, err := as(t, tok).Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !me.Omnichannel.Available || len(me.Queues) != 2 || len(me.Teams) != 1 || me.Tenant.Name != tn.Name {
		t.Fatalf("/v1/me: %+v", me)
	}

	// Forgot password -> code by email -> reset -> old password fails.
	if err := anon(t).ForgotPassword(ctx, api.ForgotPasswordRequest{Email: email}); err != nil {
		t.Fatal(err)
	}
	mails = waitMail(t, email, 6)
	code := codeIn(t, mails[5])
	if err := anon(t).ResetPassword(ctx, api.ResetPasswordRequest{Email: email, Code: code, NewPassword: "a brand new passphrase for jeanne"}); err != nil {
		t.Fatal(err)
	}
	_, err = anon(t).Login(ctx, api.LoginRequest{Email: email, Password: "jeanne's own long passphrase", Device: device})
	problem(t, err, 401, api.CodeInvalidCredentials)
	login(t, email, "a brand new passphrase for jeanne")
	// Every token issued before the reset is dead.
	_, err = as(t, tok).Me(ctx)
	problem(t, err, 401, api.CodeUnauthorized)
	_, err = anon(t).Refresh(ctx, tok.RefreshToken)
	problem(t, err, 401, api.CodeInvalidToken)
	waitMail(t, email, 7) // password changed
}

func assertMail(t *testing.T, m seslocal.Email, lang, tenant, contains string) {
	t.Helper()
	if !strings.Contains(m.Body.HTML, `lang="`+lang+`"`) {
		t.Errorf("%q: HTML not in %s", m.Subject, lang)
	}
	if !strings.Contains(m.Subject+m.Body.Text, tenant) {
		t.Errorf("%q: tenant name %q missing", m.Subject, tenant)
	}
	if contains != "" && !strings.Contains(m.Body.Text, contains) {
		t.Errorf("%q: text lacks %q:\n%s", m.Subject, contains, m.Body.Text)
	}
	if m.Body.Text == "" || m.Body.HTML == "" {
		t.Errorf("%q: want both text and HTML", m.Subject)
	}
}
