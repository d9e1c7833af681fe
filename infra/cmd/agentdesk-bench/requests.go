package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/infra/seslocal"
	"github.com/agentdesk/agentdesk/shared/api"
)

// flowCount is the DynamoDB requests of one API call.
type flowCount struct {
	Name string
	DB   counts
}

// mailActivity is what the background poller did during the flows: not
// part of any flowCount.
type mailActivity struct {
	Emails   int
	DB       counts
	Interval time.Duration // the poller's idle sweep interval
}

func loginReq(email, pw, device string) api.LoginRequest {
	return api.LoginRequest{Email: email, Password: pw, Device: api.Device{ID: device, Name: "agentdesk-bench", Platform: "linux"}}
}

var (
	linkRE = regexp.MustCompile(`https?://[^\s"<>]+/p/reset\?token=[A-Za-z0-9_-]+`)
	codeRE = regexp.MustCompile(`(?m)^\s*(\d{6})\s*$`)
	csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// measureRequests runs each flow once and counts the DynamoDB requests the
// API made while answering each call. Email is delivered by the stack's
// poller in the background, through its own (separately counted) DynamoDB
// listener; the flows read the delivered mail from the SES emulator.
func measureRequests(ctx context.Context, e *env, p *population) ([]flowCount, mailActivity, error) {
	var out []flowCount
	pollerBefore := e.stackDB.snapshot()
	mailBefore, err := e.Stack.SES.Emails(ctx, time.Time{})
	if err != nil {
		return nil, mailActivity{}, err
	}
	count := func(name string, call func() error) error {
		before := e.apiDB.snapshot()
		if err := call(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, flowCount{Name: name, DB: e.apiDB.since(before)})
		return nil
	}
	anon := e.client("")

	// Sign-in and the profile.
	var tok *api.TokenResponse
	if err := count("POST /v1/auth/login (sign-in)", func() (err error) {
		tok, err = anon.Login(ctx, loginReq(p.Flow.Email, p.Flow.Password, "bench-flow"))
		return err
	}); err != nil {
		return nil, mailActivity{}, err
	}
	if err := count("GET /v1/me (agent with no team or queue)", func() error {
		_, err := e.client(tok.AccessToken).Me(ctx)
		return err
	}); err != nil {
		return nil, mailActivity{}, err
	}

	// An admin creates an agent; the invitation's link sets the password.
	admin, err := anon.Login(ctx, loginReq(p.Demo.AdminEmail, p.Demo.AdminPassword, "bench-flow"))
	if err != nil {
		return nil, mailActivity{}, err
	}
	newEmail := "new.agent." + randomHex(3) + "@demo.agentdesk.test"
	if err := count("POST /v1/admin/users (create user with an extension)", func() error {
		_, err := e.client(admin.AccessToken).CreateUser(ctx, api.CreateUserRequest{
			Email: newEmail, DisplayName: "New Bench Agent", Locale: "en", Roles: []string{api.RoleAgent},
			WebRTCEnabled: true, Extension: &api.Extension{Number: "3001", SIPUsername: "3001", SIPPassword: "a-sip-secret-" + randomHex(4)},
			StationModes: []string{api.StationDialNumber, api.StationDesktop},
		})
		return err
	}); err != nil {
		return nil, mailActivity{}, err
	}
	invite, err := waitMail(ctx, e, newEmail, func(m seslocal.Email) bool { return linkRE.MatchString(m.Body.Text) })
	if err != nil {
		return nil, mailActivity{}, err
	}
	link := linkRE.FindString(invite.Body.Text)
	var csrf string
	if err := count("GET /p/reset?token=… (open the set-password link)", func() error {
		page, err := e.page(ctx, http.MethodGet, link, nil)
		if err != nil {
			return err
		}
		m := csrfRE.FindStringSubmatch(page)
		if m == nil {
			return fmt.Errorf("no csrf field in the form")
		}
		csrf = m[1]
		return nil
	}); err != nil {
		return nil, mailActivity{}, err
	}
	if err := count("POST /p/reset (set the password)", func() error {
		u, err := url.Parse(link)
		if err != nil {
			return err
		}
		pw := "new agent passphrase " + randomHex(4)
		form := url.Values{"token": {u.Query().Get("token")}, "csrf": {csrf}, "password": {pw}, "password_confirm": {pw}}
		_, err = e.page(ctx, http.MethodPost, u.Scheme+"://"+u.Host+"/p/reset", form)
		return err
	}); err != nil {
		return nil, mailActivity{}, err
	}

	// Forgot password, then the reset with the emailed code.
	if err := count("POST /v1/auth/password/forgot", func() error {
		return anon.ForgotPassword(ctx, api.ForgotPasswordRequest{Email: p.Flow.Email})
	}); err != nil {
		return nil, mailActivity{}, err
	}
	mail, err := waitMail(ctx, e, p.Flow.Email, func(m seslocal.Email) bool { return codeRE.MatchString(m.Body.Text) })
	if err != nil {
		return nil, mailActivity{}, err
	}
	code := codeRE.FindStringSubmatch(mail.Body.Text)[1]
	if err := count("POST /v1/auth/password/reset (with the emailed code)", func() error {
		return anon.ResetPassword(ctx, api.ResetPasswordRequest{Email: p.Flow.Email, Code: code, NewPassword: "reset bench passphrase " + randomHex(4)})
	}); err != nil {
		return nil, mailActivity{}, err
	}

	// Let the poller send what the last calls queued (the new agent's
	// verify-email link, the reset user's password-changed notice) before
	// reading its activity.
	if _, err := waitMail(ctx, e, newEmail, func(m seslocal.Email) bool { return strings.Contains(m.Body.Text, "/p/verify?token=") }); err != nil {
		return nil, mailActivity{}, err
	}
	if _, err := waitMail(ctx, e, p.Flow.Email, func(m seslocal.Email) bool { return !codeRE.MatchString(m.Body.Text) }); err != nil {
		return nil, mailActivity{}, err
	}
	mailAfter, err := e.Stack.SES.Emails(ctx, time.Time{})
	if err != nil {
		return nil, mailActivity{}, err
	}
	return out, mailActivity{Emails: len(mailAfter) - len(mailBefore), DB: e.stackDB.since(pollerBefore), Interval: e.Stack.Poller.Interval}, nil
}

// waitMail waits for the poller to deliver a message to to.
func waitMail(ctx context.Context, e *env, to string, match func(seslocal.Email) bool) (seslocal.Email, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return e.Stack.SES.WaitFor(ctx, to, match)
}

// page requests an emailed-link page as a browser would (cookies kept) and
// returns its HTML; anything but 200 is an error.
func (e *env) page(ctx context.Context, method, u string, form url.Values) (string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := e.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s %s: %d", method, req.URL.Path, res.StatusCode)
	}
	return string(b), nil
}
