package core_test

// The Core end to end against the real local stack, started in-process:
// the embedded DynamoDB, the SES emulator, the router with the Lambda
// handlers and the push gateway (infra/localstack, as infra/e2e does).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/agentdesk/agentdesk/desktop/internal/config"
	"github.com/agentdesk/agentdesk/desktop/internal/core"
	"github.com/agentdesk/agentdesk/desktop/internal/secrets"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/keys"
	"github.com/agentdesk/agentdesk/infra/localstack"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
	"github.com/agentdesk/agentdesk/shared/session"
)

var (
	stack  *localstack.Stack
	demo   *localstack.Demo
	admin  *client.Client // the demo admin
	teamID string         // the demo team
	queues []string       // the demo queues

	// cheapPolicy keeps the production rules with a cheap hash.
	cheapPolicy = func() auth.Policy {
		p := auth.DefaultPolicy
		p.Hash = auth.HashParams{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
		return p
	}()
)

func TestMain(m *testing.M) {
	keyring.MockInit()
	code, err := runWithStack(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "core: local stack:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runWithStack(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logOut := io.Discard
	if os.Getenv("CORE_LOG") != "" {
		logOut = os.Stderr
	}
	var err error
	stack, err = localstack.Start(ctx, localstack.Config{
		DynamoAddr: "127.0.0.1:0", SESAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0", PushAddr: "127.0.0.1:0", Table: "desk",
	}, localstack.Options{Log: slog.New(slog.NewTextHandler(logOut, nil)), Keys: keys.Random(), Policy: &cheapPolicy})
	if err != nil {
		return 0, err
	}
	defer stack.Close()
	if demo, err = localstack.SeedDemo(ctx, stack.App); err != nil {
		return 0, err
	}
	anon := client.New(stack.APIURL)
	tok, err := anon.Login(ctx, api.LoginRequest{Email: demo.AdminEmail, Password: demo.AdminPassword,
		Device: api.Device{ID: "dev-admin", Name: "Admin console", Platform: "linux"}})
	if err != nil {
		return 0, fmt.Errorf("admin login: %w", err)
	}
	admin = client.New(stack.APIURL, client.WithAccessToken(tok.AccessToken))
	teams, err := admin.ListTeams(ctx)
	if err != nil || len(teams.Teams) == 0 {
		return 0, fmt.Errorf("demo teams: %v %v", teams, err)
	}
	teamID = teams.Teams[0].ID
	qs, err := admin.ListQueues(ctx)
	if err != nil {
		return 0, err
	}
	for _, q := range qs.Queues {
		queues = append(queues, q.ID)
	}
	return m.Run(), nil
}

// ---- agents --------------------------------------------------------------------------

type agent struct {
	ID, Email, Password, Name string
	DialNumber, Extension     string
}

var agentSeq atomic.Int64

// newAgent provisions a ready agent of the demo tenant (password set by
// the admin), with a dial number and an extension of its own.
func newAgent(t *testing.T, name string, edit ...func(*api.CreateUserRequest)) agent {
	t.Helper()
	n := agentSeq.Add(1)
	slug := fmt.Sprintf("%s%d-%d", name, n, time.Now().UnixNano()%1e6)
	a := agent{Email: slug + "@demo.agentdesk.test", Password: "the passphrase of " + slug + " is long", Name: "Agent " + name,
		DialNumber: fmt.Sprintf("+1415556%04d", n), Extension: fmt.Sprintf("%d", 3000+n)}
	req := api.CreateUserRequest{
		Email: a.Email, DisplayName: a.Name, Locale: "en", Roles: []string{api.RoleAgent},
		WebRTCEnabled: true, OmnichannelEnabled: true,
		Extension:         &api.Extension{Number: a.Extension, SIPUsername: a.Extension, SIPPassword: "sip secret " + slug},
		DefaultDialNumber: a.DialNumber,
		StationModes:      []string{api.StationDialNumber, api.StationExtension, api.StationDesktop},
		TeamIDs:           []string{teamID}, QueueIDs: queues,
	}
	for _, e := range edit {
		e(&req)
	}
	ctx := context.Background()
	u, err := admin.CreateUser(ctx, req)
	if err != nil {
		t.Fatalf("create agent: %v", err)
	}
	if err := admin.SetUserPassword(ctx, u.ID, api.SetPasswordRequest{Password: a.Password}); err != nil {
		t.Fatalf("set password: %v", err)
	}
	a.ID = u.ID
	return a
}

// ---- desktops --------------------------------------------------------------------------

// recorder is the Emitter of a test desktop: every emitted state, in order.
type recorder struct{ ch chan view.State }

func (r *recorder) Emit(s view.State) {
	select {
	case r.ch <- s:
	default:
		panic("recorder full")
	}
}

// desktop is one app instance: its Core, what it emitted, its settings
// directory and keyring service (a relaunch reuses both).
type desktop struct {
	*core.Core
	t        *testing.T
	rec      *recorder
	push     chan session.PushState // every state of the push channel
	dir      string
	keyring  string
	device   api.Device
	resolver *config.Resolver
}

type opts struct {
	dir, keyring string
	device       api.Device
	now          func() time.Time
	hc           *http.Client
	keeper       session.KeeperConfig
	flag         string
	station      core.Station
}

func newDesktop(t *testing.T, name string, o ...opts) *desktop {
	t.Helper()
	var op opts
	if len(o) > 0 {
		op = o[0]
	}
	if op.dir == "" {
		op.dir = t.TempDir()
	}
	if op.keyring == "" {
		op.keyring = "AgentDesk-" + t.Name() + "-" + name
	}
	if op.device.ID == "" {
		op.device = api.Device{ID: "dev-" + name, Name: "Desk " + name, Platform: "linux"}
	}
	d := &desktop{t: t, rec: &recorder{ch: make(chan view.State, 1000)}, push: make(chan session.PushState, 1000),
		dir: op.dir, keyring: op.keyring, device: op.device}
	d.resolver = &config.Resolver{Flag: op.flag, Dir: op.dir}
	d.Core = core.New(core.Config{
		Version: "test-1", Platform: "linux", Device: op.device, Language: "en_US.UTF-8",
		Resolver: d.resolver, Secrets: secrets.New(op.keyring), Emitter: d.rec,
		HTTPClient: op.hc, Now: op.now, Keeper: op.keeper,
		Push:        session.PushConfig{MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
		OnPushState: func(st session.PushStatus) { d.push <- st.State },
		Station:     op.station,
	})
	t.Cleanup(d.Close)
	return d
}

// relaunch is a new instance on the same machine: same settings, keyring
// and device. The old one is closed first (without signing out).
func (d *desktop) relaunch(name string) *desktop {
	d.Close()
	return newDesktop(d.t, name, opts{dir: d.dir, keyring: d.keyring, device: d.device})
}

// expect checks the state's step and that it carries no error.
func expect(t *testing.T, s view.State, step string) view.State {
	t.Helper()
	if s.Step != step || s.Error != nil || s.Busy {
		t.Fatalf("state step=%q busy=%v error=%+v, want %q\n%+v", s.Step, s.Busy, s.Error, step, s)
	}
	return s
}

func expectError(t *testing.T, s view.State, step, code string) *view.Error {
	t.Helper()
	if s.Step != step || s.Error == nil || s.Error.Code != code {
		t.Fatalf("state step=%q error=%+v, want %q with %q", s.Step, s.Error, step, code)
	}
	return s.Error
}

// waitEmitted waits for an emitted state that satisfies ok.
func (d *desktop) waitEmitted(within time.Duration, what string, ok func(view.State) bool) view.State {
	d.t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	var last view.State
	for {
		select {
		case s := <-d.rec.ch:
			if ok(s) {
				return s
			}
			last = s
		case <-deadline.C:
			d.t.Fatalf("no emitted state with %s within %v; last emitted: %+v", what, within, last)
		}
	}
}

// signIn goes from launch to the station step.
func (d *desktop) signIn(a agent) view.State {
	d.t.Helper()
	s := d.Init()
	if s.Step == view.StepServer {
		expect(d.t, d.SetServer(stack.APIURL), view.StepEmail)
	}
	expect(d.t, d.SubmitEmail(a.Email), view.StepPassword)
	return expect(d.t, d.SubmitPassword(a.Password), view.StepStation)
}

// toTasks signs in and logs in to the station with the default dial
// number; it returns once the push channel is connected too (what the
// server pushes before that is lost, as it would be for a real desktop).
func (d *desktop) toTasks(a agent, remember bool) view.State {
	d.t.Helper()
	d.signIn(a)
	expect(d.t, d.ChooseStation(api.StationDialNumber, a.DialNumber, "", remember), view.StepTeam)
	s := expect(d.t, d.SubmitTeam(teamID), view.StepTasks)
	d.waitPush(session.PushConnected)
	return s
}

// waitPush waits for the push channel to reach state.
func (d *desktop) waitPush(state session.PushState) {
	d.t.Helper()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case st := <-d.push:
			if st == state {
				return
			}
		case <-deadline.C:
			d.t.Fatalf("the push channel did not reach %s", state)
		}
	}
}

func liveSession(t *testing.T, a agent) *api.LiveSession {
	t.Helper()
	list, err := admin.ListSessions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list.Sessions {
		if s.UserID == a.ID {
			return &s
		}
	}
	return nil
}

// ---- the journeys ------------------------------------------------------------------------

func TestSignInToTasks(t *testing.T) {
	a := newAgent(t, "journey")
	d := newDesktop(t, "journey")

	s := expect(t, d.Init(), view.StepServer)
	if s.Version != "test-1" || s.Platform != "linux" || s.Language != "en" {
		t.Fatalf("first state %+v", s)
	}
	// Wrong URLs, each with its own reason.
	dead := "http://127.0.0.1:1"
	e := expectError(t, d.SetServer(dead), view.StepServer, config.CodeServerUnreachable)
	if e.Field != "server" || e.Details == nil || e.Details.What != "GET /v1/health" {
		t.Fatalf("unreachable: %+v %+v", e, e.Details)
	}
	expectError(t, d.SetServer(stack.SES.Endpoint()), view.StepServer, config.CodeNotAgentDesk)
	expectError(t, d.SetServer("ftp://example.com"), view.StepServer, config.CodeInvalidURL)
	s = expect(t, d.SetServer(stack.APIURL+"/"), view.StepEmail)
	if s.Server != stack.APIURL {
		t.Fatalf("server %q", s.Server)
	}
	if saved, _ := d.resolver.Load(); saved.Server != stack.APIURL {
		t.Fatalf("server not saved: %+v", saved)
	}

	expectError(t, d.SubmitEmail("not-an-email"), view.StepEmail, api.CodeInvalidEmail)
	expect(t, d.SubmitEmail(strings.ToUpper(a.Email)), view.StepPassword)
	e = expectError(t, d.SubmitPassword("not the password at all"), view.StepPassword, api.CodeInvalidCredentials)
	if e.Details == nil || e.Details.RequestID == "" || e.Details.Status != 401 || e.Details.Server != stack.APIURL || e.Details.AppVersion != "test-1" {
		t.Fatalf("details %+v", e.Details)
	}
	if text := d.DetailsText(); !strings.Contains(text, e.Details.RequestID) {
		t.Fatalf("details text %q", text)
	}
	// Alt+Left: change the email, then back in.
	expect(t, d.Back(), view.StepEmail)
	expect(t, d.SubmitEmail(a.Email), view.StepPassword)
	if d.PasswordProblem("password") != "common" || d.PasswordProblem("a long and fine passphrase") != "" {
		t.Fatal("PasswordProblem")
	}
	s = expect(t, d.SubmitPassword(a.Password), view.StepStation)
	st := s.Station
	if st == nil || st.Mode != api.StationDialNumber || st.DialNumber != a.DialNumber || st.Extension != a.Extension ||
		st.DefaultDialNumber != a.DialNumber || st.Locked || len(st.Modes) != 3 || st.Remember {
		t.Fatalf("station step %+v", st)
	}

	// A pasted number, formatted: normalised as the server does.
	pasted := "+1 (415) 556-" + a.DialNumber[len(a.DialNumber)-4:]
	if got := d.NormalizeDialNumber(pasted); got != a.DialNumber {
		t.Fatalf("NormalizeDialNumber(%q) = %q, want %q", pasted, got, a.DialNumber)
	}
	s = expect(t, d.ChooseStation(api.StationDialNumber, pasted, "", true), view.StepTeam)
	if len(s.Teams) != 1 || s.TeamID != teamID {
		t.Fatalf("team step: teams %+v preselected %q", s.Teams, s.TeamID)
	}
	s = expect(t, d.SubmitTeam(teamID), view.StepTasks)
	tasks := s.Tasks
	if tasks == nil || tasks.AgentName != a.Name || tasks.TenantName != "AgentDesk Demo" || tasks.TeamName != "Tier 1 Support" ||
		tasks.Station.Mode != api.StationDialNumber || tasks.Station.DialNumber != a.DialNumber ||
		len(tasks.Queues) != 2 || !tasks.OmnichannelEnabled || !tasks.OmnichannelAvailable || tasks.AgentState != "available" {
		t.Fatalf("tasks %+v", tasks)
	}
	if s.Notice != view.NoticeCredentialsSaved {
		t.Fatalf("notice %q, want credentials saved", s.Notice)
	}
	live := liveSession(t, a)
	if live == nil || live.Device.ID != d.device.ID || live.Station.DialNumber != a.DialNumber || live.TeamID != teamID {
		t.Fatalf("server's session %+v", live)
	}
	saved, err := secrets.New(d.keyring).Station(stack.APIURL, a.Email)
	if err != nil || saved.Mode != api.StationDialNumber || saved.DialNumber != a.DialNumber || saved.TeamID != teamID {
		t.Fatalf("remembered station %+v %v", saved, err)
	}

	s = d.SetAgentState("idle", "lunch")
	if s.Tasks.AgentState != "idle" || s.Tasks.IdleReason != "lunch" {
		t.Fatalf("agent state %+v", s.Tasks)
	}
	if s = d.SetLanguage("fr"); s.Language != "fr" {
		t.Fatalf("language %q", s.Language)
	}
	if saved, _ := d.resolver.Load(); saved.Language != "fr" {
		t.Fatalf("language not saved: %+v", saved)
	}

	// Sign out ends the station session and the refresh token.
	s = expect(t, d.SignOut(), view.StepEmail)
	if s.Email != a.Email || s.Tasks != nil {
		t.Fatalf("after sign-out %+v", s)
	}
	if live := liveSession(t, a); live != nil {
		t.Fatalf("session still live after sign-out: %+v", live)
	}
	if _, err := secrets.New(d.keyring).Session(stack.APIURL); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("refresh token kept after sign-out: %v", err)
	}

	// Next launch: the saved server and language, nothing to restore, the
	// remembered station pre-filled.
	d2 := d.relaunch("journey-2")
	s = expect(t, d2.Init(), view.StepEmail)
	if s.Server != stack.APIURL || s.Language != "fr" {
		t.Fatalf("relaunch %+v", s)
	}
	expect(t, d2.SubmitEmail(a.Email), view.StepPassword)
	s = expect(t, d2.SubmitPassword(a.Password), view.StepStation)
	if !s.Station.Remember || s.Station.DialNumber != a.DialNumber {
		t.Fatalf("remembered station not pre-filled: %+v", s.Station)
	}
	expect(t, d2.SignOut(), view.StepEmail)
}

func TestRestoreOnRelaunch(t *testing.T) {
	a := newAgent(t, "restore")
	d := newDesktop(t, "restore")
	d.toTasks(a, true)
	first, err := secrets.New(d.keyring).Session(stack.APIURL)
	if err != nil || first.RefreshToken == "" || first.Email != a.Email {
		t.Fatalf("saved session %+v %v", first, err)
	}

	// Quit and launch again: the refresh token restores the session and
	// the remembered station goes straight to station login (the same
	// device gets no takeover prompt).
	d2 := d.relaunch("restore-2")
	s := expect(t, d2.Init(), view.StepTasks)
	if s.Email != a.Email || s.Tasks.Station.DialNumber != a.DialNumber || s.Tasks.TeamName == "" {
		t.Fatalf("restored %+v", s)
	}
	rotated, _ := secrets.New(d.keyring).Session(stack.APIURL)
	if rotated.RefreshToken == first.RefreshToken {
		t.Fatal("the refresh token was not rotated in the keyring")
	}
	// The spent token is refused by the server.
	if _, err := client.New(stack.APIURL).Refresh(context.Background(), first.RefreshToken); err == nil {
		t.Fatal("a spent refresh token still works")
	}
	// The frontend reloading calls Init again: nothing changes.
	if s2 := d2.Init(); s2.Step != view.StepTasks || s2.Seq != s.Seq {
		t.Fatalf("second Init %+v", s2)
	}

	// Without a remembered station, the restore stops at the station step.
	expect(t, d2.SignOut(), view.StepEmail)
	d3 := d2.relaunch("restore-3")
	expect(t, d3.Init(), view.StepEmail)
	d3.signIn(a)
	expect(t, d3.ChooseStation(api.StationExtension, "", a.Extension, false), view.StepTeam)
	expect(t, d3.SubmitTeam(teamID), view.StepTasks)
	if _, err := secrets.New(d.keyring).Station(stack.APIURL, a.Email); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("unticked Remember kept the station: %v", err)
	}
	d4 := d3.relaunch("restore-4")
	s = expect(t, d4.Init(), view.StepStation)
	if s.Station.Remember {
		t.Fatal("Remember ticked with nothing remembered")
	}
	expect(t, d4.SignOut(), view.StepEmail)

	// An expired (here: revoked) refresh token: back to sign-in, saying so.
	if err := secrets.New(d.keyring).SaveSession(secrets.Session{Server: stack.APIURL, Email: a.Email, RefreshToken: "rt_not-a-real-token"}); err != nil {
		t.Fatal(err)
	}
	d5 := d4.relaunch("restore-5")
	s = d5.Init()
	if s.Step != view.StepEmail || s.Notice != view.NoticeSessionExpired || s.Email != a.Email {
		t.Fatalf("expired restore %+v", s)
	}
	if _, err := secrets.New(d.keyring).Session(stack.APIURL); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("expired token kept: %v", err)
	}
}

func TestTakeoverBetweenTwoDesktops(t *testing.T) {
	a := newAgent(t, "takeover")
	first := newDesktop(t, "first")
	first.toTasks(a, false)

	second := newDesktop(t, "second", opts{device: api.Device{ID: "dev-second", Name: "Home laptop", Platform: "windows"}})
	second.signIn(a)
	expect(t, second.ChooseStation(api.StationDialNumber, a.DialNumber, "", false), view.StepTeam)
	s := expect(t, second.SubmitTeam(teamID), view.StepTakeover)
	if s.Holder == nil || s.Holder.DeviceName != first.device.Name || s.Holder.Platform != "linux" || s.Holder.Since.IsZero() {
		t.Fatalf("holder %+v", s.Holder)
	}
	// Cancel, and again: the prompt comes back.
	expect(t, second.Cancel(), view.StepTeam)
	expect(t, second.SubmitTeam(teamID), view.StepTakeover)

	continued := time.Now()
	expect(t, second.Continue(), view.StepTasks)
	s = first.waitEmitted(time.Second, "the taken-over modal", func(s view.State) bool { return s.Modal == view.ModalTakenOver })
	t.Logf("the first desktop was told in %v", time.Since(continued).Round(time.Millisecond))
	if s.Step != view.StepTasks || s.Holder == nil || s.Holder.DeviceName != "Home laptop" || s.Holder.Platform != "windows" {
		t.Fatalf("taken over %+v", s)
	}
	if live := liveSession(t, a); live == nil || live.Device.ID != "dev-second" {
		t.Fatalf("server's session %+v", live)
	}

	// The first takes it back with Continue; the second is told (once its
	// push channel is up).
	second.waitPush(session.PushConnected)
	s = expect(t, first.Continue(), view.StepTasks)
	if s.Modal != view.ModalNone {
		t.Fatalf("modal %q after taking back", s.Modal)
	}
	s = second.waitEmitted(time.Second, "the taken-over modal", func(s view.State) bool { return s.Modal == view.ModalTakenOver })
	if s.Holder == nil || s.Holder.DeviceName != first.device.Name {
		t.Fatalf("second told %+v", s.Holder)
	}
	// The second gives up: Sign out from the modal.
	expect(t, second.SignOut(), view.StepEmail)
	if live := liveSession(t, a); live == nil || live.Device.ID != first.device.ID {
		t.Fatalf("the second's sign-out ended the first's session: %+v", live)
	}
	expect(t, first.SignOut(), view.StepEmail)
}

var codeRE = regexp.MustCompile(`(?m)^\s*(\d{6})\s*$`)

// mailCode waits for an email to `to` with a 6-digit code that is not
// in seen, and returns the code.
func mailCode(t *testing.T, to string, seen map[string]bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond) // the emulator has no notification: poll it
	defer tick.Stop()
	for {
		all, err := stack.SES.Emails(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range all {
			if m := codeRE.FindStringSubmatch(e.Body.Text); m != nil && e.SentTo(to) && !seen[e.MessageID] {
				seen[e.MessageID] = true
				return m[1]
			}
		}
		stack.Poller.Wake()
		select {
		case <-ctx.Done():
			t.Fatalf("no new code mailed to %s", to)
		case <-tick.C:
		}
	}
}

func TestForgotPassword(t *testing.T) {
	a := newAgent(t, "forgot")
	// The server from the --server flag: no server step.
	d := newDesktop(t, "forgot", opts{flag: stack.APIURL})
	expect(t, d.Init(), view.StepEmail)
	expect(t, d.SubmitEmail(a.Email), view.StepPassword)
	s := expect(t, d.StartForgot(), view.StepForgotEmail)
	if s.Email != a.Email {
		t.Fatalf("email not prefilled: %q", s.Email)
	}
	s = d.RequestCode(a.Email)
	if s.Step != view.StepForgotCode || s.Notice != view.NoticeCodeSent || s.Error != nil {
		t.Fatalf("code requested %+v", s)
	}
	seen := map[string]bool{}
	code := mailCode(t, a.Email, seen)

	e := expectError(t, d.ResetPassword(code, "short"), view.StepForgotCode, api.CodeWeakPassword)
	if e.Reason != "too_short" || e.Field != "new_password" {
		t.Fatalf("weak %+v", e)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	newPassword := "the sea was calm and wide at dawn"
	e = expectError(t, d.ResetPassword(wrong, newPassword), view.StepForgotCode, api.CodeInvalidCode)
	if e.Field != "code" || e.Details == nil || e.Details.RequestID == "" {
		t.Fatalf("wrong code %+v", e)
	}
	// "Send a new code" moments later: the server keeps the code it
	// just sent (no mail bombing), which still works.
	s = d.RequestCode("")
	if s.Step != view.StepForgotCode || s.Notice != view.NoticeCodeSent {
		t.Fatalf("code sent again %+v", s)
	}
	expect(t, d.ResetPassword(code, newPassword), view.StepForgotDone)
	expect(t, d.Back(), view.StepPassword)
	expectError(t, d.SubmitPassword(a.Password), view.StepPassword, api.CodeInvalidCredentials)
	expect(t, d.SubmitPassword(newPassword), view.StepStation)
	expect(t, d.SignOut(), view.StepEmail)
}

func TestRevokedByAdmin(t *testing.T) {
	a := newAgent(t, "revoked")
	d := newDesktop(t, "revoked")
	d.toTasks(a, false)
	if err := admin.LogoutUser(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	s := d.waitEmitted(2*time.Second, "the sign-in step", func(s view.State) bool { return s.Step == view.StepEmail })
	if s.Notice != view.NoticeSignedOut || s.Reason != "admin_logout" || s.Email != a.Email || s.Tasks != nil {
		t.Fatalf("revoked %+v", s)
	}
	// The sign-out finished (Close waits for it): nothing to restore.
	d2 := d.relaunch("revoked-2")
	if _, err := secrets.New(d.keyring).Session(stack.APIURL); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("refresh token kept: %v", err)
	}
	expect(t, d2.Init(), view.StepEmail)
	// Signing in again works.
	expect(t, d2.SubmitEmail(a.Email), view.StepPassword)
	expect(t, d2.SubmitPassword(a.Password), view.StepStation)
	expect(t, d2.SignOut(), view.StepEmail)
}

func TestBannerLive(t *testing.T) {
	a := newAgent(t, "banner")
	d := newDesktop(t, "banner")
	d.toTasks(a, false)
	ctx := context.Background()
	tn, err := admin.GetTenant(ctx)
	if err != nil {
		t.Fatal(err)
	}
	orig := tn.Banners
	t.Cleanup(func() {
		cur, err := admin.GetTenant(ctx)
		if err == nil {
			cur.Banners = orig
			_, _ = admin.PutTenant(ctx, *cur)
		}
	})
	tn.Banners = append(append([]api.Banner{}, orig...), api.Banner{ID: "voice-down", Severity: "warning", Message: "Voice is down", FeaturesUnavailable: true})
	if tn, err = admin.PutTenant(ctx, *tn); err != nil {
		t.Fatal(err)
	}
	has := func(s view.State) bool {
		if s.Tasks == nil {
			return false
		}
		for _, b := range s.Tasks.Banners {
			if b.ID == "voice-down" && b.FeaturesUnavailable {
				return true
			}
		}
		return false
	}
	d.waitEmitted(2*time.Second, "the banner", has)
	tn.Banners = orig
	if _, err = admin.PutTenant(ctx, *tn); err != nil {
		t.Fatal(err)
	}
	d.waitEmitted(2*time.Second, "the banner cleared", func(s view.State) bool { return s.Tasks != nil && !has(s) })
	// Reload reads the same.
	if s := expect(t, d.Reload(), view.StepTasks); has(s) {
		t.Fatal("banner back after Reload")
	}
	expect(t, d.SignOut(), view.StepEmail)
}

func TestLockedDialNumber(t *testing.T) {
	a := newAgent(t, "locked", func(r *api.CreateUserRequest) { r.DialNumberLocked = true })
	d := newDesktop(t, "locked")
	s := d.signIn(a)
	if !s.Station.Locked || s.Station.DialNumber != a.DialNumber || s.Station.DefaultDialNumber != a.DialNumber {
		t.Fatalf("locked station %+v", s.Station)
	}
	// Another number is ignored: the locked one is used.
	expect(t, d.ChooseStation(api.StationDialNumber, "+33612345678", "", false), view.StepTeam)
	s = expect(t, d.SubmitTeam(teamID), view.StepTasks)
	if s.Tasks.Station.DialNumber != a.DialNumber || !s.Tasks.Station.Locked {
		t.Fatalf("tasks station %+v", s.Tasks.Station)
	}
	expect(t, d.SignOut(), view.StepEmail)
}

func TestDialNumberInUse(t *testing.T) {
	a, b := newAgent(t, "dial-a"), newAgent(t, "dial-b")
	da, db := newDesktop(t, "dial-a"), newDesktop(t, "dial-b")
	da.toTasks(a, false)
	db.signIn(b)
	expect(t, db.ChooseStation(api.StationDialNumber, a.DialNumber, "", false), view.StepTeam)
	e := expectError(t, db.SubmitTeam(teamID), view.StepStation, api.CodeDialNumberInUse)
	if e.Field != "dial_number" {
		t.Fatalf("field %q", e.Field)
	}
	expect(t, db.SignOut(), view.StepEmail)
	expect(t, da.SignOut(), view.StepEmail)
}

func TestKeyringUnavailable(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided by any .service files"))
	t.Cleanup(keyring.MockInit)
	a := newAgent(t, "nokeyring")
	d := newDesktop(t, "nokeyring")
	s := d.toTasks(a, true)
	if s.Notice != view.NoticeCredentialsNotSaved || s.Error != nil {
		t.Fatalf("notice %q error %+v", s.Notice, s.Error)
	}
	// Nothing to restore on relaunch: sign in again.
	d2 := d.relaunch("nokeyring-2")
	expect(t, d2.Init(), view.StepEmail)
}

// flaky is a transport that can be cut.
type flaky struct{ down atomic.Bool }

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.down.Load() {
		return nil, errors.New("network is unreachable")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestOfflineAndInactivity(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Three minutes of inactivity (the least a tenant may set) end a
	// session here (restored afterwards).
	tn, err := admin.GetTenant(ctx)
	if err != nil {
		t.Fatal(err)
	}
	origTimeout := tn.InactivityTimeoutMinutes
	tn.InactivityTimeoutMinutes = 3
	if _, err := admin.PutTenant(ctx, *tn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cur, err := admin.GetTenant(context.Background()); err == nil {
			cur.InactivityTimeoutMinutes = origTimeout
			_, _ = admin.PutTenant(context.Background(), *cur)
		}
	})

	a := newAgent(t, "offline")
	// The keeper's clock runs 130 s behind the server's, so that moving it
	// two minutes forward (to the warning) never passes the real lease.
	clk := session.NewManualClock(time.Now().Add(-130 * time.Second))
	net := &flaky{}
	d := newDesktop(t, "offline", opts{now: clk.Now, hc: &http.Client{Transport: net, Timeout: 10 * time.Second},
		keeper: session.KeeperConfig{Clock: clk}})
	d.toTasks(a, false)

	// The network goes: the next heartbeat fails, the banner says
	// reconnecting and when.
	net.down.Store(true)
	if _, err := clk.AdvanceToNext(ctx); err != nil {
		t.Fatal(err)
	}
	s := d.waitEmitted(5*time.Second, "reconnecting", func(s view.State) bool { return s.Link.Reconnecting })
	if s.Link.RetryAt.IsZero() || s.Step != view.StepTasks {
		t.Fatalf("link %+v", s.Link)
	}
	// It comes back: the retry renews the lease and the banner goes.
	net.down.Store(false)
	if _, err := clk.AdvanceToNext(ctx); err != nil {
		t.Fatal(err)
	}
	d.waitEmitted(5*time.Second, "reconnected", func(s view.State) bool { return !s.Link.Reconnecting })

	// One minute before the three-minute timeout: the warning. The keeper
	// tells its status before it sleeps again, so once it waits on the
	// clock, what it had to say was emitted.
	var warned view.State
	for i := 0; warned.Modal != view.ModalInactivity; i++ {
		if i == 10 {
			t.Fatalf("no inactivity warning; clock at %v", clk.Now())
		}
		if _, err := clk.AdvanceToNext(ctx); err != nil {
			t.Fatal(err)
		}
		if err := clk.WaitPending(ctx, 1); err != nil {
			t.Fatal(err)
		}
	drain:
		for {
			select {
			case s := <-d.rec.ch:
				if s.Modal == view.ModalInactivity {
					warned = s
				}
			default:
				break drain
			}
		}
	}
	if warned.Deadline.IsZero() || warned.Deadline.Sub(clk.Now()) > time.Minute || warned.Deadline.Before(clk.Now()) {
		t.Fatalf("deadline %v, clock %v", warned.Deadline, clk.Now())
	}
	// Stay signed in closes it; the keeper agrees.
	s = expect(t, d.StaySignedIn(), view.StepTasks)
	if s.Modal != view.ModalNone {
		t.Fatalf("modal %q after Stay signed in", s.Modal)
	}
	expect(t, d.SignOut(), view.StepEmail)
}

func TestAccessTokenRefreshedBeforeExpiry(t *testing.T) {
	a := newAgent(t, "refresh")
	var skew atomic.Int64
	d := newDesktop(t, "refresh", opts{now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	d.toTasks(a, false)
	first, err := secrets.New(d.keyring).Session(stack.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	// Fourteen and a half minutes later the access token is about to
	// expire: the next call refreshes it first, and the keyring keeps the
	// rotated refresh token.
	skew.Store(int64(14*time.Minute + 30*time.Second))
	expect(t, d.Reload(), view.StepTasks)
	second, err := secrets.New(d.keyring).Session(stack.APIURL)
	if err != nil || second.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh token not rotated: %v", err)
	}
	// The session goes on with the new tokens, and signs out cleanly.
	expect(t, d.Reload(), view.StepTasks)
	expect(t, d.SignOut(), view.StepEmail)
	if live := liveSession(t, a); live != nil {
		t.Fatalf("session live after sign-out: %+v", live)
	}
	if _, err := client.New(stack.APIURL).Refresh(context.Background(), second.RefreshToken); err == nil {
		t.Fatal("the refresh token still works after sign-out")
	}
}
