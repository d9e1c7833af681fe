package wizard

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/desktop/internal/view"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
)

const (
	server  = "https://api.example.com"
	email   = "ann@example.com"
	version = "1.2.3-test"
)

var clock = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// harness drives a Machine and keeps the latest effects.
type harness struct {
	t    *testing.T
	m    *Machine
	effs []Effect
}

func newHarness(t *testing.T, cfg ...Config) *harness {
	c := Config{Version: version, Platform: "linux", Now: func() time.Time { return clock }}
	if len(cfg) > 0 {
		c = cfg[0]
		c.Version, c.Platform, c.Now = version, "linux", func() time.Time { return clock }
	}
	return &harness{t: t, m: New(c)}
}

func (h *harness) do(ev Event) *harness {
	h.t.Helper()
	h.effs = h.m.Apply(ev)
	return h
}

func (h *harness) v() view.State { return h.m.State() }

func (h *harness) step(want string) *harness {
	h.t.Helper()
	if got := h.v(); got.Step != want {
		h.t.Fatalf("step %q, want %q (error %+v)", got.Step, want, got.Error)
	}
	return h
}

func (h *harness) noError() *harness {
	h.t.Helper()
	if e := h.v().Error; e != nil {
		h.t.Fatalf("unexpected error %+v", e)
	}
	return h
}

func (h *harness) errCode(code, field string) *view.Error {
	h.t.Helper()
	e := h.v().Error
	if e == nil || e.Code != code || e.Field != field {
		h.t.Fatalf("error %+v, want code %q field %q", e, code, field)
	}
	return e
}

func (h *harness) noEffects() *harness {
	h.t.Helper()
	if len(h.effs) != 0 {
		h.t.Fatalf("effects %#v, want none", h.effs)
	}
	return h
}

// only returns the single effect of type T.
func only[T Effect](h *harness) T {
	h.t.Helper()
	if len(h.effs) != 1 {
		h.t.Fatalf("effects %#v, want one %T", h.effs, *new(T))
	}
	e, ok := h.effs[0].(T)
	if !ok {
		h.t.Fatalf("effect %#v, want %T", h.effs[0], *new(T))
	}
	return e
}

func me() *api.MeResponse {
	return &api.MeResponse{
		User: api.User{ID: "usr_1", Email: email, DisplayName: "Ann Agent", Extension: &api.Extension{Number: "1001"}},
		Tenant: api.MeTenant{ID: "tnt_1", Name: "Acme", IllustrationURL: "https://cdn.example.com/a.png",
			StationPolicy: api.StationPolicy{AllowedModes: []string{"dial_number", "extension", "desktop"}, DefaultDialNumber: "+14155550100"},
			Banners:       []api.Banner{{ID: "b1", Severity: "info", Message: "Hello"}},
			Teams:         api.TeamsIntegration{Enabled: true}},
		StationModes: []string{"dial_number", "extension", "desktop"},
		Teams:        []api.Team{{ID: "team_1", Name: "Tier 1"}, {ID: "team_2", Name: "Tier 2"}},
		Queues:       []api.Queue{{ID: "q1", Name: "Support", Kind: "voice", Channels: []string{}}},
		Omnichannel:  api.OmnichannelStatus{Enabled: true, Available: true, Channels: []string{"voice"}},
	}
}

func problem(status int, code string) *api.Problem {
	return &api.Problem{Status: status, Code: code, Title: http.StatusText(status), Detail: "detail of " + code, RequestID: "req-" + code}
}

// toPassword walks to the password step.
func (h *harness) toPassword() *harness {
	h.t.Helper()
	h.do(Start{Server: server, Language: "en"}).step(view.StepEmail)
	id := only[DoIdentify](h.do(SubmitEmail{Email: " Ann@Example.com "})).ID
	return h.do(Identified{ID: id, Method: api.MethodPassword}).step(view.StepPassword)
}

// toStation signs in with m.
func (h *harness) toStation(m *api.MeResponse, r *Remembered) *harness {
	h.t.Helper()
	h.toPassword()
	id := only[DoLogin](h.do(SubmitPassword{Password: "correct horse battery"})).ID
	return h.do(SignedIn{ID: id, Me: m, Remembered: r}).step(view.StepStation)
}

// toTasks goes all the way with the default dial number and team_1.
func (h *harness) toTasks() api.Session {
	h.t.Helper()
	h.toStation(me(), nil)
	h.do(ChooseStation{Mode: "dial_number", DialNumber: "+14155550100"}).step(view.StepTeam)
	eff := only[DoCreateSession](h.do(SubmitTeam{TeamID: "team_1"}))
	s := api.Session{SessionID: "ses_1", Epoch: 1, Station: eff.Station, TeamID: eff.TeamID}
	h.do(SessionCreated{ID: eff.ID, Session: s}).step(view.StepTasks)
	return s
}

func TestFirstRunServer(t *testing.T) {
	h := newHarness(t)
	if h.v().Step != view.StepLoading || h.v().Version != version || h.v().Platform != "linux" {
		t.Fatalf("new machine %+v", h.v())
	}
	h.do(SetServer{URL: server}).step(view.StepLoading).noEffects() // nothing before Start
	h.do(Start{Language: "fr"}).step(view.StepServer).noEffects()
	if h.v().Language != "fr" {
		t.Fatalf("language %q", h.v().Language)
	}
	h.do(SetServer{URL: "  "}).errCode("invalid_url", FieldServer)

	eff := only[DoCheckServer](h.do(SetServer{URL: " https://bad.example.com "}))
	if eff.URL != "https://bad.example.com" || !h.v().Busy || h.v().Error != nil {
		t.Fatalf("checking: %+v %+v", eff, h.v())
	}
	// Busy: intents wait.
	h.do(SetServer{URL: server}).noEffects()
	h.do(Failed{ID: eff.ID, What: "GET /v1/health", Err: codedErr{"not_agentdesk"}}).step(view.StepServer)
	e := h.errCode("not_agentdesk", FieldServer)
	if e.Details == nil || e.Details.What != "GET /v1/health" || e.Details.AppVersion != version || !e.Details.Time.Equal(clock) {
		t.Fatalf("details %+v", e.Details)
	}
	if h.v().Busy {
		t.Fatal("still busy after the answer")
	}

	eff = only[DoCheckServer](h.do(SetServer{URL: server}))
	if h.v().Error != nil {
		t.Fatal("error kept after a new try")
	}
	h.do(ServerChecked{ID: eff.ID, URL: server}).step(view.StepEmail).noError()
	if h.v().Server != server {
		t.Fatalf("server %q", h.v().Server)
	}
	// Back on the server step returns to the email once a server is known.
	h.do(ChangeServer{}).step(view.StepServer)
	h.do(Back{}).step(view.StepEmail)
}

type codedErr struct{ code string }

func (e codedErr) Error() string     { return "coded: " + e.code }
func (e codedErr) ErrorCode() string { return e.code }

func TestStartResolveErrorAndTwice(t *testing.T) {
	h := newHarness(t)
	h.do(Start{ResolveErr: codedErr{"invalid_url"}, Language: "de"}).step(view.StepServer)
	h.errCode("invalid_url", FieldServer)
	if h.v().Language != "en" {
		t.Fatalf("unsupported OS language gives %q, want en", h.v().Language)
	}
	// A second Init (the frontend reloaded) keeps the state.
	seq := h.m.Seq()
	h.do(Start{Server: server}).step(view.StepServer).noEffects()
	if h.m.Seq() != seq {
		t.Fatal("a no-op changed the sequence")
	}
}

func TestPasswordSignInToTasks(t *testing.T) {
	h := newHarness(t)
	h.do(Start{Server: server, Language: "pt_BR.UTF-8"}).step(view.StepEmail)
	if h.v().Language != "pt-BR" {
		t.Fatalf("language %q", h.v().Language)
	}
	h.do(SubmitEmail{Email: ""}).errCode(api.CodeInvalidEmail, FieldEmail)
	h.do(SubmitEmail{Email: "not an email"}).errCode(api.CodeInvalidEmail, FieldEmail)
	if h.v().Email != "not an email" {
		t.Fatalf("typed email not kept: %q", h.v().Email)
	}
	id := only[DoIdentify](h.do(SubmitEmail{Email: " Ann@Example.com "})).ID
	if h.v().Email != email {
		t.Fatalf("email %q", h.v().Email)
	}
	h.do(Identified{ID: id, Method: api.MethodPassword}).step(view.StepPassword).noError()

	// Alt+Left goes back to change the email.
	h.do(Back{}).step(view.StepEmail)
	id = only[DoIdentify](h.do(SubmitEmail{Email: email})).ID
	h.do(Identified{ID: id, Method: api.MethodPassword}).step(view.StepPassword)

	h.do(SubmitPassword{Password: ""}).errCode(CodeRequired, FieldPassword)
	login := only[DoLogin](h.do(SubmitPassword{Password: "correct horse battery"}))
	if login.Email != email || login.Password != "correct horse battery" {
		t.Fatalf("login %+v", login)
	}
	h.do(SignedIn{ID: login.ID, Me: me()}).step(view.StepStation).noError()
	st := h.v().Station
	want := &view.Station{Modes: []string{"dial_number", "extension", "desktop"}, Mode: "dial_number",
		DialNumber: "+14155550100", Extension: "1001", DefaultDialNumber: "+14155550100"}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("station step\n got %+v\nwant %+v", st, want)
	}
	if len(h.v().Teams) != 2 {
		t.Fatalf("teams %+v", h.v().Teams)
	}
	// Back does nothing once signed in (Sign out leaves).
	h.do(Back{}).step(view.StepStation)

	// A pasted number is normalised; with Teams sign-in off, the team step follows.
	h.do(ChooseStation{Mode: "dial_number", DialNumber: " +1 (415) 555-0199 "}).step(view.StepTeam).noError()
	if h.v().TeamID != "" {
		t.Fatalf("two teams: none preselected, got %q", h.v().TeamID)
	}
	h.do(Back{}).step(view.StepStation)
	if h.v().Station.DialNumber != "+14155550199" {
		t.Fatalf("chosen number not kept: %+v", h.v().Station)
	}
	h.do(ChooseStation{Mode: "dial_number", DialNumber: "+14155550199"}).step(view.StepTeam)
	h.do(SubmitTeam{TeamID: ""}).errCode(CodeRequired, FieldTeam)
	h.do(SubmitTeam{TeamID: "team_9"}).errCode(api.CodeUnknownTeam, FieldTeam)
	eff := only[DoCreateSession](h.do(SubmitTeam{TeamID: "team_2"}))
	wantEff := DoCreateSession{ID: eff.ID, Email: email, Station: api.Station{Mode: "dial_number", DialNumber: "+14155550199"}, TeamID: "team_2"}
	if eff != wantEff {
		t.Fatalf("create session\n got %+v\nwant %+v", eff, wantEff)
	}
	s := api.Session{SessionID: "ses_1", Epoch: 3, Station: eff.Station, TeamID: "team_2"}
	h.do(SessionCreated{ID: eff.ID, Session: s}).step(view.StepTasks).noError()
	if run := only[DoRunSession](h); run.Session.SessionID != "ses_1" {
		t.Fatalf("run %+v", run)
	}
	tasks := h.v().Tasks
	if tasks == nil || tasks.AgentName != "Ann Agent" || tasks.TenantName != "Acme" || tasks.TeamName != "Tier 2" ||
		tasks.Illustration != "https://cdn.example.com/a.png" || tasks.AgentState != AgentAvailable ||
		tasks.Station.Mode != "dial_number" || tasks.Station.DialNumber != "+14155550199" ||
		len(tasks.Queues) != 1 || tasks.Queues[0].Name != "Support" || len(tasks.Banners) != 1 ||
		!tasks.OmnichannelEnabled || !tasks.OmnichannelAvailable {
		t.Fatalf("tasks %+v", tasks)
	}
	if h.v().Notice != view.NoticeNone {
		t.Fatalf("notice %q without remember", h.v().Notice)
	}
	if h.m.Session() == nil || h.m.Session().SessionID != "ses_1" || !h.m.SignedIn() {
		t.Fatal("session not held")
	}
}

func TestStaleResultsDropped(t *testing.T) {
	h := newHarness(t)
	h.do(Start{Server: server}).step(view.StepEmail)
	id := only[DoIdentify](h.do(SubmitEmail{Email: email})).ID
	seq := h.m.Seq()
	h.do(Identified{ID: id + 7, Method: api.MethodPassword}).step(view.StepEmail).noEffects()
	h.do(Identified{ID: 0, Method: api.MethodPassword}).step(view.StepEmail)
	h.do(SignedIn{ID: id, Me: me()}).step(view.StepEmail) // the right id, not the answer identify gives
	if h.m.SignedIn() || !h.v().Busy || h.m.Seq() != seq {
		t.Fatal("a result of the wrong kind was applied")
	}
	h.do(Identified{ID: id, Method: api.MethodPassword}).step(view.StepPassword)
	// Once answered, the same result again is stale.
	h.do(Back{}).step(view.StepEmail)
	h.do(Identified{ID: id, Method: api.MethodPassword}).step(view.StepEmail)
	// Results when nothing is in flight are dropped too.
	h.do(CodeSent{ID: 99}).step(view.StepEmail)
}

func TestLoginErrors(t *testing.T) {
	h := newHarness(t).toPassword()
	for _, tc := range []struct {
		err                error
		code, field        string
		retryAfter, status int
	}{
		{problem(401, api.CodeInvalidCredentials), api.CodeInvalidCredentials, FieldPassword, 0, 401},
		{&api.Problem{Status: 429, Code: api.CodeTooManyAttempts, RetryAfter: 40, RequestID: "r"}, api.CodeTooManyAttempts, "", 40, 429},
		{problem(403, api.CodeAccountDisabled), api.CodeAccountDisabled, "", 0, 403},
		{problem(403, api.CodePasswordResetRequired), api.CodePasswordResetRequired, FieldPassword, 0, 403},
		{&client.NetworkError{Method: "POST", Path: "/v1/auth/login", Err: errors.New("connection refused")}, CodeNetwork, "", 0, 0},
		{&client.ResponseError{Method: "POST", Path: "/v1/auth/login", Status: 200, RequestID: "r2", Err: errors.New("decode")}, CodeBadResponse, "", 0, 200},
		{errors.New("boom"), CodeUnexpected, "", 0, 0},
	} {
		id := only[DoLogin](h.do(SubmitPassword{Password: "pw-123456789"})).ID
		h.do(Failed{ID: id, What: "POST /v1/auth/login", Err: tc.err}).step(view.StepPassword)
		e := h.errCode(tc.code, tc.field)
		if e.RetryAfter != tc.retryAfter || e.Details == nil || e.Details.Status != tc.status ||
			e.Details.Server != server || e.Details.What != "POST /v1/auth/login" {
			t.Fatalf("%v: error %+v details %+v", tc.err, e, e.Details)
		}
		if h.m.SignedIn() {
			t.Fatal("signed in after a failure")
		}
	}
	// Requests ids and messages reach the details.
	id := only[DoLogin](h.do(SubmitPassword{Password: "pw-123456789"})).ID
	h.do(Failed{ID: id, What: "POST /v1/auth/login", Err: problem(401, api.CodeInvalidCredentials)})
	d := h.v().Error.Details
	if d.RequestID != "req-invalid_credentials" || d.Code != api.CodeInvalidCredentials || d.Message != "detail of invalid_credentials" {
		t.Fatalf("details %+v", d)
	}
}

func TestMicrosoftReserved(t *testing.T) {
	h := newHarness(t)
	h.do(Start{Server: server}).step(view.StepEmail)
	id := only[DoIdentify](h.do(SubmitEmail{Email: "bob@contoso.com"})).ID
	cfg := &api.MicrosoftConfig{Authority: "https://login.microsoftonline.com/tid", ClientID: "cid"}
	h.do(Identified{ID: id, Method: api.MethodMicrosoft, Microsoft: cfg}).step(view.StepMicrosoft)
	h.errCode(CodeMicrosoftUnavailable, "")
	if h.m.Microsoft() != cfg {
		t.Fatal("the Microsoft configuration is not kept for the Entra ID step")
	}
	h.do(Continue{}).step(view.StepMicrosoft).errCode(CodeMicrosoftUnavailable, "")
	h.do(StartForgot{}).step(view.StepMicrosoft) // self-managed: no forgot flow from here
	h.do(Back{}).step(view.StepEmail).noError()
}

func TestForgotPassword(t *testing.T) {
	h := newHarness(t).toPassword()
	h.do(StartForgot{}).step(view.StepForgotEmail)
	if h.v().Email != email {
		t.Fatalf("email not prefilled: %q", h.v().Email)
	}
	h.do(Back{}).step(view.StepPassword)
	h.do(StartForgot{}).step(view.StepForgotEmail)
	h.do(RequestCode{Email: ""}).errCode(api.CodeInvalidEmail, FieldEmail)
	h.do(RequestCode{Email: "nope"}).errCode(api.CodeInvalidEmail, FieldEmail)
	send := only[DoSendCode](h.do(RequestCode{Email: email}))
	h.do(Failed{ID: send.ID, What: "POST /v1/auth/password/forgot", Err: problem(409, api.CodeSelfManaged)}).step(view.StepForgotEmail)
	h.errCode(api.CodeSelfManaged, "")
	send = only[DoSendCode](h.do(RequestCode{Email: email}))
	if send.Email != email {
		t.Fatalf("send %+v", send)
	}
	h.do(CodeSent{ID: send.ID}).step(view.StepForgotCode)
	if h.v().Notice != view.NoticeCodeSent {
		t.Fatalf("notice %q", h.v().Notice)
	}

	h.do(ResetPassword{Code: "", Password: "x"}).errCode(api.CodeInvalidCode, FieldCode)
	if h.v().Notice != view.NoticeNone {
		t.Fatal("notice kept after the next intent")
	}
	h.do(ResetPassword{Code: "12a456", Password: "x"}).errCode(api.CodeInvalidCode, FieldCode)
	h.do(ResetPassword{Code: "12345", Password: "x"}).errCode(api.CodeInvalidCode, FieldCode)
	if e := h.do(ResetPassword{Code: "123456", Password: ""}).errCode(api.CodeWeakPassword, FieldNewPassword); e.Reason != "too_short" {
		t.Fatalf("empty new password: %+v", e)
	}
	if e := h.do(ResetPassword{Code: "123456", Password: "short"}).errCode(api.CodeWeakPassword, FieldNewPassword); e.Reason != "too_short" {
		t.Fatalf("reason %q", e.Reason)
	}
	if e := h.do(ResetPassword{Code: "123456", Password: "ann@example.com"}).errCode(api.CodeWeakPassword, FieldNewPassword); e.Reason != "personal" {
		t.Fatalf("reason %q", e.Reason)
	}
	if got := h.m.PasswordProblem("password"); got != "common" {
		t.Fatalf("PasswordProblem(password) = %q", got)
	}
	if got := h.m.PasswordProblem("a perfectly fine passphrase"); got != "" {
		t.Fatalf("PasswordProblem(fine) = %q", got)
	}

	reset := only[DoReset](h.do(ResetPassword{Code: " 123 456 ", Password: "a perfectly fine passphrase"}))
	if reset.Code != "123456" || reset.Email != email {
		t.Fatalf("reset %+v", reset)
	}
	h.do(Failed{ID: reset.ID, What: "POST /v1/auth/password/reset", Err: problem(410, api.CodeCodeExpired)}).step(view.StepForgotCode)
	h.errCode(api.CodeCodeExpired, FieldCode)
	// Send a new code from the code step.
	send = only[DoSendCode](h.do(RequestCode{}))
	h.do(CodeSent{ID: send.ID}).step(view.StepForgotCode)
	reset = only[DoReset](h.do(ResetPassword{Code: "654321", Password: "a perfectly fine passphrase"}))
	h.do(ResetDone{ID: reset.ID}).step(view.StepForgotDone).noError()
	h.do(Back{}).step(view.StepPassword)
	if h.v().Email != email {
		t.Fatal("email lost on the way back to sign-in")
	}
}

func TestStationLockedSkipsOptionalSteps(t *testing.T) {
	locked := me()
	locked.Tenant.StationPolicy.DialNumberLocked = true
	h := newHarness(t, Config{TeamsSignIn: true}).toStation(locked, &Remembered{Mode: "dial_number", DialNumber: "+33612345678", TeamID: "team_2"})
	st := h.v().Station
	if !st.Locked || st.DialNumber != "+14155550100" || st.Extension != "1001" || !st.Remember {
		t.Fatalf("locked station %+v", st)
	}
	// Whatever is typed, the locked number is used; Teams sign-in is skipped.
	h.do(ChooseStation{Mode: "dial_number", DialNumber: "+33699999999", Remember: true}).step(view.StepTeam)
	if h.v().TeamID != "team_2" {
		t.Fatalf("remembered team not preselected: %q", h.v().TeamID)
	}
	eff := only[DoCreateSession](h.do(SubmitTeam{TeamID: "team_2"}))
	if eff.Station.DialNumber != "+14155550100" || !eff.Remember || eff.Forget {
		t.Fatalf("create %+v", eff)
	}

	// Unlocked, with the reserved Teams step on: it comes after the station.
	h2 := newHarness(t, Config{TeamsSignIn: true}).toStation(me(), nil)
	h2.do(ChooseStation{Mode: "extension", Extension: "1001"}).step(view.StepTeamsSignIn)
	h2.do(Back{}).step(view.StepStation)
	h2.do(ChooseStation{Mode: "extension", Extension: "1001"}).step(view.StepTeamsSignIn)
	h2.do(Continue{}).step(view.StepTeam)
	// Azure SSO skips it too.
	sso := me()
	sso.Tenant.AzureSSO = true
	h3 := newHarness(t, Config{TeamsSignIn: true}).toStation(sso, nil)
	h3.do(ChooseStation{Mode: "desktop"}).step(view.StepTeam)
}

func TestStationValidation(t *testing.T) {
	m := me()
	m.StationModes = []string{"dial_number", "extension"}
	m.Teams = []api.Team{{ID: "only", Name: "Only team"}}
	h := newHarness(t).toStation(m, nil)
	h.do(ChooseStation{Mode: "desktop"}).errCode(api.CodeStationModeNotAllowed, FieldMode)
	h.do(ChooseStation{Mode: "dial_number", DialNumber: ""}).errCode(api.CodeInvalidDialNumber, FieldDialNumber)
	h.do(ChooseStation{Mode: "dial_number", DialNumber: "0612345678"}).errCode(api.CodeInvalidDialNumber, FieldDialNumber)
	if h.v().Station.DialNumber != "0612345678" {
		t.Fatalf("typed number not kept: %+v", h.v().Station)
	}
	h.do(ChooseStation{Mode: "extension", Extension: ""}).errCode(api.CodeInvalidExtension, FieldExtension)
	h.do(ChooseStation{Mode: "extension", Extension: "12ab"}).errCode(api.CodeInvalidExtension, FieldExtension)
	h.do(ChooseStation{Mode: "extension", Extension: " 1001 "}).step(view.StepTeam).noError()
	if h.v().TeamID != "only" {
		t.Fatalf("the only team is not preselected: %q", h.v().TeamID)
	}
	eff := only[DoCreateSession](h.do(SubmitTeam{TeamID: "only"}))
	if eff.Station != (api.Station{Mode: "extension", Extension: "1001"}) {
		t.Fatalf("station %+v", eff.Station)
	}

	// The server refuses the number: back to the station step, on the field.
	h.do(Failed{ID: eff.ID, What: "POST /v1/sessions", Err: problem(409, api.CodeDialNumberInUse)}).step(view.StepStation)
	h.errCode(api.CodeDialNumberInUse, FieldDialNumber)
	h.do(ChooseStation{Mode: "dial_number", DialNumber: "+14155550123"}).step(view.StepTeam)
	eff = only[DoCreateSession](h.do(SubmitTeam{TeamID: "only"}))
	h.do(Failed{ID: eff.ID, What: "POST /v1/sessions", Err: problem(422, api.CodeUnknownTeam)}).step(view.StepTeam)
	h.errCode(api.CodeUnknownTeam, FieldTeam)
	eff = only[DoCreateSession](h.do(SubmitTeam{TeamID: "only"}))
	h.do(Failed{ID: eff.ID, What: "POST /v1/sessions", Err: &client.NetworkError{Err: errors.New("offline")}}).step(view.StepTeam)
	h.errCode(CodeNetwork, "")

	// No station modes at all: said at once.
	none := me()
	none.StationModes = []string{}
	newHarness(t).toStation(none, nil).errCode(api.CodeStationModeNotAllowed, FieldMode)

	// An agent without teams submits none.
	noTeams := me()
	noTeams.Teams = []api.Team{}
	h4 := newHarness(t).toStation(noTeams, nil)
	h4.do(ChooseStation{Mode: "desktop"}).step(view.StepTeam)
	if eff := only[DoCreateSession](h4.do(SubmitTeam{TeamID: "whatever"})); eff.TeamID != "" || eff.Station.Mode != "desktop" {
		t.Fatalf("no teams: %+v", eff)
	}
}

func TestRememberedCredentials(t *testing.T) {
	r := &Remembered{Mode: "extension", DialNumber: "+14155550111", Extension: "1001", TeamID: "team_2"}
	h := newHarness(t).toStation(me(), r)
	st := h.v().Station
	if st.Mode != "extension" || st.DialNumber != "+14155550111" || st.Extension != "1001" || !st.Remember {
		t.Fatalf("remembered station %+v", st)
	}
	// Unticking "Remember" forgets what was saved once the session starts.
	h.do(ChooseStation{Mode: "extension", Extension: "1001", Remember: false}).step(view.StepTeam)
	eff := only[DoCreateSession](h.do(SubmitTeam{TeamID: "team_2"}))
	if eff.Remember || !eff.Forget {
		t.Fatalf("create %+v, want Forget", eff)
	}

	// Saving: the notice says whether it worked.
	h = newHarness(t).toStation(me(), nil)
	h.do(ChooseStation{Mode: "dial_number", DialNumber: "+14155550100", Remember: true})
	eff = only[DoCreateSession](h.do(SubmitTeam{TeamID: "team_1"}))
	if !eff.Remember || eff.Forget {
		t.Fatalf("create %+v, want Remember", eff)
	}
	h.do(SessionCreated{ID: eff.ID, Session: api.Session{SessionID: "s"}, RememberErr: codedErr{CodeKeyringUnavailable}}).step(view.StepTasks)
	if h.v().Notice != view.NoticeCredentialsNotSaved || h.v().Error != nil {
		t.Fatalf("notice %q error %+v", h.v().Notice, h.v().Error)
	}
	h = newHarness(t).toStation(me(), nil)
	h.do(ChooseStation{Mode: "dial_number", DialNumber: "+14155550100", Remember: true})
	eff = only[DoCreateSession](h.do(SubmitTeam{TeamID: "team_1"}))
	h.do(SessionCreated{ID: eff.ID, Session: api.Session{SessionID: "s"}, Remembered: true})
	if h.v().Notice != view.NoticeCredentialsSaved {
		t.Fatalf("notice %q", h.v().Notice)
	}
}

func TestRestore(t *testing.T) {
	// A remembered station that still fits: straight to station login.
	h := newHarness(t)
	restore := only[DoRestore](h.do(Start{Server: server, Email: email, HasSession: true}))
	h.step(view.StepLoading)
	if !h.v().Busy || h.v().Email != email {
		t.Fatalf("restoring %+v", h.v())
	}
	r := &Remembered{Mode: "dial_number", DialNumber: "+14155550111", TeamID: "team_2"}
	eff := only[DoCreateSession](h.do(SignedIn{ID: restore.ID, Me: me(), Remembered: r, Restored: true}))
	h.step(view.StepLoading)
	if eff.Takeover || eff.TeamID != "team_2" || eff.Station.DialNumber != "+14155550111" || !eff.Remember {
		t.Fatalf("restore station login %+v", eff)
	}
	h.do(SessionCreated{ID: eff.ID, Session: api.Session{SessionID: "s1", TeamID: "team_2"}, Remembered: true}).step(view.StepTasks)
	if h.v().Notice != view.NoticeNone {
		t.Fatalf("notice %q on a restore", h.v().Notice)
	}

	// Signed in elsewhere meanwhile: the takeover prompt.
	h = newHarness(t)
	restore = only[DoRestore](h.do(Start{Server: server, HasSession: true}))
	eff = only[DoCreateSession](h.do(SignedIn{ID: restore.ID, Me: me(), Remembered: r, Restored: true}))
	p := problem(409, api.CodeSessionElsewhere)
	p.Holder = &api.SessionHolder{DeviceName: "Laptop", Platform: "windows", Since: clock, OnCall: true}
	h.do(Failed{ID: eff.ID, What: "POST /v1/sessions", Err: p}).step(view.StepTakeover)

	// Any other failure: the station step, pre-filled, with the error.
	h = newHarness(t)
	restore = only[DoRestore](h.do(Start{Server: server, HasSession: true}))
	eff = only[DoCreateSession](h.do(SignedIn{ID: restore.ID, Me: me(), Remembered: r, Restored: true}))
	h.do(Failed{ID: eff.ID, What: "POST /v1/sessions", Err: &client.NetworkError{Err: errors.New("x")}}).step(view.StepStation)
	h.errCode(CodeNetwork, "")
	if h.v().Station.DialNumber != "+14155550111" {
		t.Fatalf("station %+v", h.v().Station)
	}

	// Nothing remembered, or a team no longer the agent's: the station step.
	for _, rem := range []*Remembered{nil, {Mode: "dial_number", DialNumber: "+14155550111", TeamID: "gone"}, {Mode: "fax"}} {
		h = newHarness(t)
		restore = only[DoRestore](h.do(Start{Server: server, HasSession: true}))
		h.do(SignedIn{ID: restore.ID, Me: me(), Remembered: rem, Restored: true}).step(view.StepStation).noEffects()
	}

	// Expired: back to sign-in, saying so.
	h = newHarness(t)
	restore = only[DoRestore](h.do(Start{Server: server, Email: email, HasSession: true}))
	h.do(NotRestored{ID: restore.ID, Expired: true}).step(view.StepEmail)
	if h.v().Notice != view.NoticeSessionExpired || h.v().Email != email {
		t.Fatalf("expired restore %+v", h.v())
	}

	// Offline: stay, with the error; Reload tries again; Sign out forgets.
	h = newHarness(t)
	restore = only[DoRestore](h.do(Start{Server: server, HasSession: true}))
	h.do(Failed{ID: restore.ID, What: "POST /v1/auth/refresh", Err: &client.NetworkError{Err: errors.New("offline")}}).step(view.StepLoading)
	h.errCode(CodeNetwork, "")
	if h.v().Busy {
		t.Fatal("busy after the failure")
	}
	restore = only[DoRestore](h.do(Reload{}))
	h.do(Failed{ID: restore.ID, What: "POST /v1/auth/refresh", Err: &client.NetworkError{Err: errors.New("offline")}})
	only[DoSignOut](h.do(SignOut{}))
	h.step(view.StepEmail)
	h = newHarness(t)
	restore = only[DoRestore](h.do(Start{Server: server, HasSession: true}))
	h.do(Failed{ID: restore.ID, What: "POST /v1/auth/refresh", Err: &client.NetworkError{Err: errors.New("offline")}})
	h.do(ChangeServer{}).step(view.StepServer)
}

func TestTakeoverPrompt(t *testing.T) {
	h := newHarness(t).toStation(me(), nil)
	h.do(ChooseStation{Mode: "dial_number", DialNumber: "+14155550100"})
	eff := only[DoCreateSession](h.do(SubmitTeam{TeamID: "team_1"}))
	p := problem(409, api.CodeSessionElsewhere)
	p.Holder = &api.SessionHolder{DeviceName: "Front desk", Platform: "windows", Since: clock, OnCall: true}
	h.do(Failed{ID: eff.ID, What: "POST /v1/sessions", Err: p}).step(view.StepTakeover).noError()
	if got := h.v().Holder; got == nil || got.DeviceName != "Front desk" || !got.OnCall || got.Platform != "windows" || !got.Since.Equal(clock) {
		t.Fatalf("holder %+v", got)
	}
	h.do(Cancel{}).step(view.StepTeam)
	if h.v().Holder != nil || h.v().TeamID != "team_1" {
		t.Fatalf("after cancel %+v", h.v())
	}
	eff = only[DoCreateSession](h.do(SubmitTeam{TeamID: "team_1"}))
	h.do(Failed{ID: eff.ID, What: "POST /v1/sessions", Err: p}).step(view.StepTakeover)
	h.do(Back{}).step(view.StepTeam) // Back is Cancel here
	eff = only[DoCreateSession](h.do(SubmitTeam{TeamID: "team_1"}))
	h.do(Failed{ID: eff.ID, What: "POST /v1/sessions", Err: p}).step(view.StepTakeover)

	cont := only[DoCreateSession](h.do(Continue{}))
	if !cont.Takeover || cont.Station != eff.Station || cont.TeamID != "team_1" {
		t.Fatalf("continue %+v", cont)
	}
	h.do(Failed{ID: cont.ID, What: "POST /v1/sessions", Err: &client.NetworkError{Err: errors.New("x")}}).step(view.StepTakeover)
	h.errCode(CodeNetwork, "")
	cont = only[DoCreateSession](h.do(Continue{}))
	h.do(SessionCreated{ID: cont.ID, Session: api.Session{SessionID: "ses_2", Epoch: 2}}).step(view.StepTasks)
	if h.v().Holder != nil {
		t.Fatal("holder kept on the Tasks page")
	}
}

func TestSignedInSession(t *testing.T) {
	h := newHarness(t)
	s := h.toTasks()

	// Offline: the reconnecting banner.
	retry := clock.Add(3 * time.Second)
	h.do(LinkChanged{Reconnecting: true, RetryAt: retry})
	if l := h.v().Link; !l.Reconnecting || !l.RetryAt.Equal(retry) {
		t.Fatalf("link %+v", l)
	}
	h.do(LinkChanged{})
	if h.v().Link.Reconnecting {
		t.Fatal("still reconnecting")
	}

	// Inactivity: the warning, then Stay signed in.
	deadline := clock.Add(time.Minute)
	h.do(InactivityWarning{SessionID: "other", Deadline: deadline})
	if h.v().Modal != view.ModalNone {
		t.Fatal("a warning for another session was shown")
	}
	h.do(InactivityWarning{SessionID: s.SessionID, Deadline: deadline})
	if h.v().Modal != view.ModalInactivity || !h.v().Deadline.Equal(deadline) {
		t.Fatalf("modal %q deadline %v", h.v().Modal, h.v().Deadline)
	}
	only[DoTouch](h.do(StaySignedIn{}))
	if h.v().Modal != view.ModalNone || !h.v().Deadline.IsZero() {
		t.Fatal("warning not closed")
	}
	h.do(InactivityWarning{SessionID: s.SessionID, Deadline: deadline})
	h.do(InactivityWarning{SessionID: s.SessionID}) // the agent moved: the keeper clears it
	if h.v().Modal != view.ModalNone {
		t.Fatal("warning not cleared by the keeper")
	}

	// Agent state, kept locally.
	h.do(SetAgentState{State: AgentIdle, Reason: "lunch"})
	if h.v().Tasks.AgentState != AgentIdle || h.v().Tasks.IdleReason != "lunch" {
		t.Fatalf("tasks %+v", h.v().Tasks)
	}
	h.do(SetAgentState{State: AgentIdle, Reason: "nap"}).errCode(api.CodeValidation, FieldAgentState)
	h.do(SetAgentState{State: "busy"}).errCode(api.CodeValidation, FieldAgentState)

	// Taken over: the modal; an old session's end is ignored.
	h.do(SessionEnded{SessionID: "old", Cause: EndRevoked})
	if h.v().Step != view.StepTasks || h.v().Modal != view.ModalNone {
		t.Fatal("an old session's end was applied")
	}
	holder := &api.SessionHolder{DeviceName: "Laptop", Platform: "darwin", Since: clock}
	h.do(SessionEnded{SessionID: s.SessionID, Cause: EndTakenOver, Holder: holder}).step(view.StepTasks).noEffects()
	if h.v().Modal != view.ModalTakenOver || h.v().Holder == nil || h.v().Holder.DeviceName != "Laptop" {
		t.Fatalf("taken over %+v", h.v())
	}
	if h.m.Session() != nil {
		t.Fatal("session kept after takeover")
	}
	// Continue takes it back with the same station and team.
	back := only[DoCreateSession](h.do(Continue{}))
	if !back.Takeover || back.TeamID != "team_1" || back.Station.DialNumber != "+14155550100" {
		t.Fatalf("take back %+v", back)
	}
	h.do(SessionCreated{ID: back.ID, Session: api.Session{SessionID: "ses_3", Epoch: 3, Station: back.Station, TeamID: "team_1"}})
	h.step(view.StepTasks)
	if h.v().Modal != view.ModalNone || h.v().Holder != nil || h.v().Tasks.AgentState != AgentIdle {
		t.Fatalf("after taking back %+v (the agent state is kept)", h.v())
	}

	// Revoked: back to sign-in with the reason; the core signs out.
	h.do(SessionEnded{SessionID: "ses_3", Cause: EndRevoked, Reason: "admin_edit"}).step(view.StepEmail)
	only[DoSignOut](h)
	if h.v().Notice != view.NoticeSignedOut || h.v().Reason != "admin_edit" || h.v().Email != email || h.v().Tasks != nil || h.m.SignedIn() {
		t.Fatalf("revoked %+v", h.v())
	}
	// Background news after sign-out is ignored.
	h.do(LinkChanged{Reconnecting: true})
	h.do(MeLoaded{Me: me()})
	if h.v().Link.Reconnecting || h.v().Tasks != nil {
		t.Fatal("news applied after sign-out")
	}
	// The next intent clears the notice.
	h.do(SubmitEmail{Email: email})
	if h.v().Notice != view.NoticeNone || h.v().Reason != "" {
		t.Fatal("notice kept")
	}
}

func TestTakenOverThenSignOut(t *testing.T) {
	h := newHarness(t)
	s := h.toTasks()
	h.do(SessionEnded{SessionID: s.SessionID, Cause: EndTakenOver})
	if h.v().Modal != view.ModalTakenOver || h.v().Holder != nil {
		t.Fatalf("%+v", h.v())
	}
	// Someone else holds it again when taking back: the modal stays, with the error.
	back := only[DoCreateSession](h.do(Continue{}))
	p := problem(409, api.CodeSessionElsewhere)
	p.Holder = &api.SessionHolder{DeviceName: "Third"}
	h.do(Failed{ID: back.ID, What: "POST /v1/sessions", Err: p})
	if h.v().Modal != view.ModalTakenOver || h.v().Holder.DeviceName != "Third" {
		t.Fatalf("%+v", h.v())
	}
	only[DoSignOut](h.do(SignOut{}))
	h.step(view.StepEmail)
	if h.v().Notice != view.NoticeNone || h.v().Modal != view.ModalNone {
		t.Fatalf("sign out %+v", h.v())
	}
}

func TestLeaseLostRecreates(t *testing.T) {
	for _, cause := range []string{EndLeaseExpired, EndNotFound} {
		h := newHarness(t)
		s := h.toTasks()
		eff := only[DoCreateSession](h.do(SessionEnded{SessionID: s.SessionID, Cause: cause}))
		if eff.Takeover || eff.Station != s.Station {
			t.Fatalf("%s: %+v", cause, eff)
		}
		h.step(view.StepTasks)
		h.do(SessionCreated{ID: eff.ID, Session: api.Session{SessionID: "again"}}).step(view.StepTasks)
		only[DoRunSession](h)

		// Taken meanwhile: the taken-over modal.
		eff = only[DoCreateSession](h.do(SessionEnded{SessionID: "again", Cause: cause}))
		h.do(Failed{ID: eff.ID, What: "POST /v1/sessions", Err: problem(409, api.CodeSessionElsewhere)})
		if h.v().Step != view.StepTasks || h.v().Modal != view.ModalTakenOver || h.v().Error != nil {
			t.Fatalf("%s: %+v", cause, h.v())
		}
	}
	// Refused otherwise: the station step with the error.
	h := newHarness(t)
	s := h.toTasks()
	eff := only[DoCreateSession](h.do(SessionEnded{SessionID: s.SessionID, Cause: EndLeaseExpired}))
	h.do(Failed{ID: eff.ID, What: "POST /v1/sessions", Err: &client.NetworkError{Err: errors.New("down")}}).step(view.StepStation)
	if h.v().Tasks != nil {
		t.Fatal("tasks kept")
	}
	// Rejected heartbeat: the station step.
	h = newHarness(t)
	s = h.toTasks()
	h.do(SessionEnded{SessionID: s.SessionID, Cause: EndRejected, Err: problem(403, api.CodeStationModeNotAllowed)}).step(view.StepStation)
	h.errCode(api.CodeStationModeNotAllowed, FieldMode)
	// Unauthorized: sign in again.
	h = newHarness(t)
	s = h.toTasks()
	only[DoSignOut](h.do(SessionEnded{SessionID: s.SessionID, Cause: EndUnauthorized}))
	if h.v().Step != view.StepEmail || h.v().Notice != view.NoticeSessionExpired {
		t.Fatalf("%+v", h.v())
	}
}

func TestReloadAndBanners(t *testing.T) {
	h := newHarness(t)
	h.toTasks()
	m := me()
	m.Tenant.Banners = append(m.Tenant.Banners, api.Banner{ID: "b2", Severity: "warning", Message: "Voice is down", FeaturesUnavailable: true})
	h.do(MeLoaded{Me: m}) // banner_changed, reloaded by the core
	if b := h.v().Tasks.Banners; len(b) != 2 || !b[1].FeaturesUnavailable {
		t.Fatalf("banners %+v", b)
	}
	load := only[DoLoadMe](h.do(Reload{}))
	if !h.v().Busy {
		t.Fatal("not busy while reloading")
	}
	h.do(MeLoaded{ID: load.ID, Me: me()})
	if b := h.v().Tasks.Banners; len(b) != 1 || h.v().Busy {
		t.Fatalf("banners after reload %+v", b)
	}
	load = only[DoLoadMe](h.do(Reload{}))
	h.do(Failed{ID: load.ID, What: "GET /v1/me", Err: problem(500, api.CodeInternal)}).step(view.StepTasks)
	e := h.errCode(api.CodeInternal, "")
	if DetailsText(e.Details) == "" {
		t.Fatal("no details text")
	}
	h.do(Reload{})
	if h.v().Error != nil {
		t.Fatal("Reload keeps the error")
	}
	// A failed background reload: network errors stay silent.
	h.do(Failed{What: "GET /v1/me", Err: &client.NetworkError{Err: errors.New("x")}})
	if h.v().Error != nil {
		t.Fatal("network blip shown as an error")
	}
	// Tokens refused: sign in again.
	only[DoSignOut](h.do(Failed{What: "GET /v1/me", Err: problem(401, api.CodeUnauthorized)}))
	h.step(view.StepEmail)
	if h.v().Notice != view.NoticeSessionExpired {
		t.Fatalf("notice %q", h.v().Notice)
	}
	// Expired while signed in.
	h = newHarness(t)
	h.toTasks()
	only[DoSignOut](h.do(Expired{}))
	h.step(view.StepEmail)
	h.do(Expired{}).noEffects() // once
}

func TestLanguage(t *testing.T) {
	h := newHarness(t)
	for in, want := range map[string]string{"fr_FR.UTF-8": "fr", "pt-PT": "pt-BR", "en-GB": "en", "PT-br": "pt-BR", "": "en", "C": "en"} {
		if got := NormLanguage(in); got != want {
			t.Errorf("NormLanguage(%q) = %q, want %q", in, got, want)
		}
	}
	h.do(Start{Server: server, Language: "fr-CA"})
	if h.v().Language != "fr" {
		t.Fatalf("language %q", h.v().Language)
	}
	if eff := only[DoSaveLanguage](h.do(SetLanguage{Language: "pt-BR"})); eff.Language != "pt-BR" || h.v().Language != "pt-BR" {
		t.Fatalf("set language %+v %q", eff, h.v().Language)
	}
	h.do(SetLanguage{Language: "klingon"}).noEffects()
	if h.v().Language != "pt-BR" {
		t.Fatal("unknown language applied")
	}
	// Allowed while busy.
	only[DoIdentify](h.do(SubmitEmail{Email: email}))
	only[DoSaveLanguage](h.do(SetLanguage{Language: "en"}))
}

func TestSeqGrowsOnChangeOnly(t *testing.T) {
	h := newHarness(t)
	s0 := h.m.Seq()
	h.do(Start{Server: server})
	s1 := h.m.Seq()
	if s1 <= s0 {
		t.Fatal("seq did not grow")
	}
	h.do(Back{}) // nothing to go back to
	if h.m.Seq() != s1 {
		t.Fatal("seq grew without a change")
	}
	if h.v().Seq != h.m.Seq() {
		t.Fatal("State().Seq differs")
	}
}

func TestNormalizeDialNumber(t *testing.T) {
	for in, want := range map[string]string{
		"+1 (415) 555-0100": "+14155550100",
		"+33 6 12 34 56 78": "+33612345678",
		"415 555 0100":      "415 555 0100", // not E.164: left as typed
		"":                  "",
	} {
		if got := NormalizeDialNumber(in); got != want {
			t.Errorf("NormalizeDialNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorForAndDetailsText(t *testing.T) {
	p := &api.Problem{Status: 409, Code: api.CodeDialNumberInUse, Title: "Conflict", Detail: "in use", RequestID: "req-9", Field: "station.dial_number"}
	e := ErrorFor("POST /v1/sessions", fmt.Errorf("wrapped: %w", p), clock, version, server)
	if e.Code != api.CodeDialNumberInUse || e.Field != FieldDialNumber || e.Details.RequestID != "req-9" || e.Details.Status != 409 {
		t.Fatalf("%+v %+v", e, e.Details)
	}
	text := DetailsText(e.Details)
	for _, want := range []string{"What failed: POST /v1/sessions", "Status: 409", "Code: dial_number_in_use", "Request id: req-9",
		"Time: 2030-01-02T03:04:05Z", "App version: " + version, "Server: " + server, "Message: in use"} {
		if !strings.Contains(text, want) {
			t.Errorf("details text lacks %q:\n%s", want, text)
		}
	}
	if DetailsText(nil) != "" {
		t.Fatal("nil details")
	}
	// A problem field the desktop does not know passes through.
	e = ErrorFor("x", &api.Problem{Status: 422, Code: api.CodeValidation, Field: "device.name"}, clock, version, server)
	if e.Field != "device.name" {
		t.Fatalf("field %q", e.Field)
	}
	// A problem without a code (a gateway's 502) still has one.
	e = ErrorFor("x", &api.Problem{Status: 502}, clock, version, server)
	if e.Code != CodeUnexpected {
		t.Fatalf("code %q", e.Code)
	}
	if !IsUnauthorized(fmt.Errorf("x: %w", problem(401, api.CodeUnauthorized))) || IsUnauthorized(problem(403, api.CodeForbidden)) {
		t.Fatal("IsUnauthorized")
	}
}
