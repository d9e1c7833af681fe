// Package wizard is the desktop's sign-in flow and signed-in session as an
// explicit state machine, in the manner of a self-service flow: the
// frontend renders one view.State; every intent of the agent, every
// result of a request and every piece of news about the session is an
// Event given to Apply; Apply moves the state and answers the Effects the
// core must carry out (network, keyring, settings), whose results come
// back as events carrying the effect's ID.
//
// It is pure Go: no network, no keyring, no GUI, no goroutines. A Machine
// is not safe for concurrent use; the core serialises Apply.
//
// Steps (view.Step*):
//
//	loading ──Start──> server | email | loading(restore)
//	server ──SetServer/ServerChecked──> email
//	email ──SubmitEmail/Identified──> password | microsoft (reserved: an error for now)
//	password ──SubmitPassword/SignedIn──> station        Back -> email
//	password ──StartForgot──> forgot_email ──RequestCode/CodeSent──> forgot_code
//	         ──ResetPassword/ResetDone──> forgot_done ──Back──> password
//	station ──ChooseStation──> [teams_signin (reserved, off)] ──> team
//	team ──SubmitTeam/SessionCreated──> tasks      Failed(session_active_elsewhere) -> takeover
//	takeover ──Continue──> tasks      Cancel -> team
//	tasks: SessionEnded(taken_over) -> modal taken_over (Continue takes back, SignOut);
//	       SessionEnded(revoked) -> email + notice signed_out + reason;
//	       InactivityWarning -> modal inactivity (StaySignedIn, SignOut);
//	       LinkChanged -> link.reconnecting; MeLoaded -> banners and queues.
//	restore (loading): SignedIn(restored) -> station, or straight to
//	       station login when a remembered station fits.
//
// While an effect with an ID is in flight (State.Busy) further intents
// are ignored, except SetLanguage, SetAgentState and StaySignedIn, which
// need no request.
package wizard

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/desktop/internal/view"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// codeInvalidURL is config.CodeInvalidURL (the wizard stays free of I/O packages).
const codeInvalidURL = "invalid_url"

// Agent states and idle reasons (view.Tasks.AgentState, IdleReason).
const (
	AgentAvailable = "available"
	AgentIdle      = "idle"
)

// IdleReasons are the reasons an agent may be idle for.
var IdleReasons = []string{"break", "lunch", "meeting", "training"}

// Config is what the machine knows of the app it runs in.
type Config struct {
	Version  string
	Platform string // windows | darwin | linux
	// Now is the clock for error details (default time.Now).
	Now func() time.Time
	// TeamsSignIn turns on the optional Microsoft Teams step after the
	// station (reserved for the Entra ID issue; off until then). It is
	// skipped when the tenant has no Teams integration, uses Azure SSO, or
	// locks the dial number.
	TeamsSignIn bool
}

// pick is a chosen station and team: what POST /v1/sessions sends.
type pick struct {
	station  api.Station
	teamID   string
	remember bool
}

// origin says where a station login started, to know where its failure
// lands.
type origin int

const (
	fromTeam     origin = iota // the team step's Submit
	fromTakeover               // Continue on the takeover prompt
	fromModal                  // Continue on "You signed in on another device"
	fromRestore                // relaunch with a remembered station
	fromRecreate               // the lease expired or was lost: sign in to the station again
)

// Machine is the flow. Create it with New.
type Machine struct {
	cfg     Config
	v       view.State
	started bool

	nextID  uint64
	pending Effect // the effect in flight (with an ID), or nil
	current Event  // the event being applied
	from    origin // of a pending DoCreateSession
	retry   bool   // Reload retries the restore

	me         *api.MeResponse // non-nil while signed in (tokens held)
	microsoft  *api.MicrosoftConfig
	remembered *Remembered
	restored   bool
	station    view.Station // the station step as shown / chosen
	chosen     pick
	session    *api.Session // the running station session
	agentState string
	idleReason string
}

// New returns a machine on StepLoading.
func New(cfg Config) *Machine {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &Machine{cfg: cfg}
	m.v = view.State{Step: view.StepLoading, Language: "en", Platform: cfg.Platform, Version: cfg.Version}
	return m
}

// State is the current view.
func (m *Machine) State() view.State { return m.v }

// Seq is the state's sequence number: it grows with every change.
func (m *Machine) Seq() uint64 { return m.v.Seq }

// SignedIn reports whether the machine holds a signed-in agent.
func (m *Machine) SignedIn() bool { return m.me != nil }

// Session is the running station session, or nil.
func (m *Machine) Session() *api.Session { return m.session }

// Me is the latest /v1/me while signed in, or nil.
func (m *Machine) Me() *api.MeResponse { return m.me }

// Microsoft is the identify answer's Entra ID configuration (reserved).
func (m *Machine) Microsoft() *api.MicrosoftConfig { return m.microsoft }

// PasswordProblem is the password policy's reason as the agent types a
// new password ("" when it is fine), with the agent's email as personal
// data.
func (m *Machine) PasswordProblem(pw string) string {
	personal := []string{m.v.Email}
	if m.me != nil {
		personal = append(personal, m.me.User.DisplayName)
	}
	return validate.Password(pw, personal...)
}

// NormalizeDialNumber is the server's normalisation of a dial number: the
// normalised number when it is valid, else s unchanged.
func NormalizeDialNumber(s string) string {
	if n, ok := validate.DialNumber(s); ok {
		return n
	}
	return s
}

// Apply moves the machine with ev and returns what the core must do.
func (m *Machine) Apply(ev Event) []Effect {
	before := m.v
	effects := m.apply(ev)
	m.v.Busy = m.pending != nil
	if !reflect.DeepEqual(before, m.v) {
		m.v.Seq = before.Seq + 1
	}
	return effects
}

func (m *Machine) apply(ev Event) []Effect {
	m.current = ev
	switch e := ev.(type) {
	// intents
	case Start:
		return m.start(e)
	case SetServer:
		return intent(m, m.setServer, e)
	case ChangeServer:
		return intent(m, m.changeServer, e)
	case SubmitEmail:
		return intent(m, m.submitEmail, e)
	case Back:
		return intent(m, m.back, e)
	case SubmitPassword:
		return intent(m, m.submitPassword, e)
	case StartForgot:
		return intent(m, m.startForgot, e)
	case RequestCode:
		return intent(m, m.requestCode, e)
	case ResetPassword:
		return intent(m, m.resetPassword, e)
	case ChooseStation:
		return intent(m, m.chooseStation, e)
	case SubmitTeam:
		return intent(m, m.submitTeam, e)
	case Continue:
		return intent(m, m.continue_, e)
	case Cancel:
		return intent(m, m.cancel, e)
	case SignOut:
		return intent(m, m.signOut, e)
	case Reload:
		return intent(m, m.reload, e)
	case SetLanguage:
		return m.setLanguage(e)
	case SetAgentState:
		return m.setAgentState(e)
	case StaySignedIn:
		return m.staySignedIn()

	// results
	case ServerChecked:
		return m.result(e.ID, func() []Effect { return m.serverChecked(e) })
	case Identified:
		return m.result(e.ID, func() []Effect { return m.identified(e) })
	case SignedIn:
		return m.result(e.ID, func() []Effect { return m.signedIn(e) })
	case NotRestored:
		return m.result(e.ID, func() []Effect { return m.notRestored(e) })
	case CodeSent:
		return m.result(e.ID, func() []Effect { return m.codeSent() })
	case ResetDone:
		return m.result(e.ID, func() []Effect { return m.resetDone() })
	case SessionCreated:
		return m.result(e.ID, func() []Effect { return m.sessionCreated(e) })
	case MeLoaded:
		if e.ID == 0 {
			return m.meLoaded(e)
		}
		return m.result(e.ID, func() []Effect { return m.meLoaded(e) })
	case Failed:
		if e.ID == 0 {
			return m.backgroundFailed(e)
		}
		var p Effect
		return m.result(e.ID, func() []Effect { return m.failed(p, e) }, &p)

	// the session
	case LinkChanged:
		return m.linkChanged(e)
	case InactivityWarning:
		return m.inactivity(e)
	case SessionEnded:
		return m.sessionEnded(e)
	case Expired:
		return m.expired()
	}
	return nil
}

// intent runs an intent of the agent unless a request is in flight; it
// clears the previous error and notice first.
func intent[E Event](m *Machine, fn func(E) []Effect, e E) []Effect {
	if m.pending != nil || !m.started {
		return nil
	}
	m.v.Error, m.v.Notice, m.v.Reason = nil, view.NoticeNone, ""
	return fn(e)
}

// result runs fn when id answers the effect in flight; else the result is
// stale and dropped. pending, if given, receives the effect answered.
func (m *Machine) result(id uint64, fn func() []Effect, pending ...*Effect) []Effect {
	if m.pending == nil || id == 0 || effectID(m.pending) != id {
		return nil
	}
	if !answers(m.current, m.pending) {
		return nil // not the answer this effect gives
	}
	if len(pending) > 0 {
		*pending[0] = m.pending
	}
	m.pending = nil
	return fn()
}

// run starts an effect with an ID.
func (m *Machine) run(mk func(id uint64) Effect) []Effect {
	m.nextID++
	e := mk(m.nextID)
	m.pending = e
	return []Effect{e}
}

// answers reports whether ev is a result eff may give.
func answers(ev Event, eff Effect) bool {
	if _, ok := ev.(Failed); ok {
		return true
	}
	switch eff.(type) {
	case DoCheckServer:
		_, ok := ev.(ServerChecked)
		return ok
	case DoIdentify:
		_, ok := ev.(Identified)
		return ok
	case DoLogin:
		_, ok := ev.(SignedIn)
		return ok
	case DoRestore:
		switch ev.(type) {
		case SignedIn, NotRestored:
			return true
		}
	case DoSendCode:
		_, ok := ev.(CodeSent)
		return ok
	case DoReset:
		_, ok := ev.(ResetDone)
		return ok
	case DoCreateSession:
		_, ok := ev.(SessionCreated)
		return ok
	case DoLoadMe:
		_, ok := ev.(MeLoaded)
		return ok
	}
	return false
}

func effectID(e Effect) uint64 {
	switch e := e.(type) {
	case DoCheckServer:
		return e.ID
	case DoIdentify:
		return e.ID
	case DoLogin:
		return e.ID
	case DoRestore:
		return e.ID
	case DoSendCode:
		return e.ID
	case DoReset:
		return e.ID
	case DoCreateSession:
		return e.ID
	case DoLoadMe:
		return e.ID
	}
	return 0
}

func (m *Machine) fail(what string, err error) *view.Error {
	return ErrorFor(what, err, m.cfg.Now(), m.cfg.Version, m.v.Server)
}

func (m *Machine) goTo(step string) {
	m.v.Step = step
	m.v.Modal = view.ModalNone
	m.v.Deadline = time.Time{}
}

// ---- start and server ---------------------------------------------------------

func (m *Machine) start(e Start) []Effect {
	if m.started {
		return nil // the frontend reloaded: keep where we are
	}
	m.started = true
	m.v.Language = normLanguage(e.Language)
	m.v.Server, m.v.Email = e.Server, e.Email
	switch {
	case e.ResolveErr != nil:
		m.goTo(view.StepServer)
		m.v.Error = m.fail("server setting", e.ResolveErr)
		m.v.Error.Field = FieldServer
		return nil
	case e.Server == "":
		m.goTo(view.StepServer)
		return nil
	case e.HasSession:
		m.goTo(view.StepLoading)
		return m.run(func(id uint64) Effect { return DoRestore{ID: id} })
	}
	m.goTo(view.StepEmail)
	return nil
}

func (m *Machine) setServer(e SetServer) []Effect {
	if m.v.Step != view.StepServer {
		return nil
	}
	url := strings.TrimSpace(e.URL)
	if url == "" {
		m.v.Error = &view.Error{Code: codeInvalidURL, Field: FieldServer}
		return nil
	}
	return m.run(func(id uint64) Effect { return DoCheckServer{ID: id, URL: url} })
}

func (m *Machine) serverChecked(e ServerChecked) []Effect {
	m.v.Server = e.URL
	m.microsoft = nil
	m.retry = false
	m.goTo(view.StepEmail)
	return nil
}

func (m *Machine) changeServer(ChangeServer) []Effect {
	switch m.v.Step {
	case view.StepEmail, view.StepPassword, view.StepMicrosoft, view.StepForgotEmail,
		view.StepForgotCode, view.StepForgotDone, view.StepServer:
	case view.StepLoading:
		if !m.retry {
			return nil
		}
	default:
		return nil // signed in: sign out first
	}
	m.goTo(view.StepServer)
	return nil
}

// ---- email, password, Microsoft -------------------------------------------------

func (m *Machine) submitEmail(e SubmitEmail) []Effect {
	if m.v.Step != view.StepEmail {
		return nil
	}
	email, ok := validate.Email(e.Email)
	if !ok {
		m.v.Email = strings.TrimSpace(e.Email)
		m.v.Error = &view.Error{Code: api.CodeInvalidEmail, Field: FieldEmail}
		return nil
	}
	m.v.Email = email
	return m.run(func(id uint64) Effect { return DoIdentify{ID: id, Email: email} })
}

func (m *Machine) identified(e Identified) []Effect {
	if e.Method == api.MethodMicrosoft {
		m.microsoft = e.Microsoft
		m.goTo(view.StepMicrosoft)
		m.v.Error = microsoftUnavailable()
		return nil
	}
	m.microsoft = nil
	m.goTo(view.StepPassword)
	return nil
}

// microsoftUnavailable is the Microsoft step until the Entra ID issue:
// "Microsoft sign-in is not available yet".
func microsoftUnavailable() *view.Error {
	return &view.Error{Code: CodeMicrosoftUnavailable}
}

func (m *Machine) submitPassword(e SubmitPassword) []Effect {
	if m.v.Step != view.StepPassword {
		return nil
	}
	if e.Password == "" {
		m.v.Error = &view.Error{Code: CodeRequired, Field: FieldPassword}
		return nil
	}
	email := m.v.Email
	return m.run(func(id uint64) Effect { return DoLogin{ID: id, Email: email, Password: e.Password} })
}

func (m *Machine) back(Back) []Effect {
	switch m.v.Step {
	case view.StepPassword, view.StepMicrosoft:
		m.goTo(view.StepEmail)
	case view.StepForgotEmail, view.StepForgotDone:
		m.goTo(view.StepPassword)
	case view.StepForgotCode:
		m.goTo(view.StepForgotEmail)
	case view.StepServer:
		if m.v.Server != "" && m.me == nil {
			m.goTo(view.StepEmail)
		}
	case view.StepTeamsSignIn:
		m.goTo(view.StepStation)
		m.v.Station = m.stationCopy()
	case view.StepTeam:
		m.goTo(view.StepStation)
		m.v.Station = m.stationCopy()
	case view.StepTakeover:
		m.toTeam()
	}
	return nil
}

// ---- forgot password ---------------------------------------------------------------

func (m *Machine) startForgot(StartForgot) []Effect {
	switch m.v.Step {
	case view.StepPassword, view.StepEmail, view.StepForgotDone:
		m.goTo(view.StepForgotEmail)
	}
	return nil
}

func (m *Machine) requestCode(e RequestCode) []Effect {
	if m.v.Step != view.StepForgotEmail && m.v.Step != view.StepForgotCode {
		return nil
	}
	raw := e.Email
	if strings.TrimSpace(raw) == "" && m.v.Step == view.StepForgotCode {
		raw = m.v.Email // "send a new code"
	}
	email, ok := validate.Email(raw)
	if !ok {
		m.v.Error = &view.Error{Code: api.CodeInvalidEmail, Field: FieldEmail}
		return nil
	}
	m.v.Email = email
	return m.run(func(id uint64) Effect { return DoSendCode{ID: id, Email: email} })
}

func (m *Machine) codeSent() []Effect {
	m.goTo(view.StepForgotCode)
	m.v.Notice = view.NoticeCodeSent
	return nil
}

func (m *Machine) resetPassword(e ResetPassword) []Effect {
	if m.v.Step != view.StepForgotCode {
		return nil
	}
	code := strings.Join(strings.Fields(e.Code), "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		m.v.Error = &view.Error{Code: api.CodeInvalidCode, Field: FieldCode}
		return nil
	}
	if reason := m.PasswordProblem(e.Password); reason != "" { // too_short when empty
		m.v.Error = &view.Error{Code: api.CodeWeakPassword, Field: FieldNewPassword, Reason: reason}
		return nil
	}
	email := m.v.Email
	return m.run(func(id uint64) Effect { return DoReset{ID: id, Email: email, Code: code, Password: e.Password} })
}

func (m *Machine) resetDone() []Effect {
	m.goTo(view.StepForgotDone)
	return nil
}

// ---- signed in: station and team -----------------------------------------------------

func (m *Machine) signedIn(e SignedIn) []Effect {
	m.me, m.remembered, m.restored = e.Me, e.Remembered, e.Restored
	m.retry = false
	if e.Me.User.Email != "" {
		m.v.Email = e.Me.User.Email
	}
	m.agentState, m.idleReason = AgentAvailable, ""
	m.station = m.stationDefaults()
	m.v.Teams = teamsView(e.Me.Teams)
	if e.Restored {
		if p, ok := m.rememberedPick(); ok {
			m.chosen = p
			m.v.TeamID = p.teamID
			return m.createSession(false, fromRestore)
		}
	}
	m.toStation()
	return nil
}

func (m *Machine) notRestored(e NotRestored) []Effect {
	m.retry = false
	m.goTo(view.StepEmail)
	if e.Expired {
		m.v.Notice = view.NoticeSessionExpired
	}
	return nil
}

func (m *Machine) toStation() {
	m.goTo(view.StepStation)
	m.v.Station = m.stationCopy()
	if len(m.station.Modes) == 0 {
		m.v.Error = &view.Error{Code: api.CodeStationModeNotAllowed, Field: FieldMode}
	}
}

func (m *Machine) stationCopy() *view.Station {
	s := m.station
	s.Modes = slices.Clone(s.Modes)
	return &s
}

// stationDefaults is the station step as /v1/me and the remembered
// station fill it: the default dial number pre-filled in Dial Number and
// (when the agent has no extension of their own) Extension; read-only
// when the admin locked it.
func (m *Machine) stationDefaults() view.Station {
	me := m.me
	pol := me.Tenant.StationPolicy
	st := view.Station{
		Modes:             append([]string{}, me.StationModes...),
		DefaultDialNumber: pol.DefaultDialNumber,
		Locked:            pol.DialNumberLocked && pol.DefaultDialNumber != "",
		DialNumber:        pol.DefaultDialNumber,
		Extension:         pol.DefaultDialNumber,
	}
	if me.User.Extension != nil && me.User.Extension.Number != "" {
		st.Extension = me.User.Extension.Number
	}
	if r := m.remembered; r != nil {
		st.Remember = true
		if slices.Contains(st.Modes, r.Mode) {
			st.Mode = r.Mode
		}
		if !st.Locked && r.DialNumber != "" {
			st.DialNumber = r.DialNumber
		}
		if !st.Locked && r.Extension != "" {
			st.Extension = r.Extension
		}
	}
	if st.Mode == "" {
		switch {
		case slices.Contains(st.Modes, api.StationDialNumber):
			st.Mode = api.StationDialNumber
		case len(st.Modes) > 0:
			st.Mode = st.Modes[0]
		}
	}
	return st
}

// checkStation validates a station choice as the server will; the error
// names the field.
func (m *Machine) checkStation(mode, dial, ext string) (api.Station, *view.Error) {
	if !slices.Contains(m.station.Modes, mode) {
		return api.Station{}, &view.Error{Code: api.CodeStationModeNotAllowed, Field: FieldMode}
	}
	out := api.Station{Mode: mode}
	switch mode {
	case api.StationDialNumber:
		if m.station.Locked {
			dial = m.station.DefaultDialNumber
		}
		n, ok := validate.DialNumber(dial)
		if !ok {
			return out, &view.Error{Code: api.CodeInvalidDialNumber, Field: FieldDialNumber}
		}
		out.DialNumber = n
	case api.StationExtension:
		x, ok := validate.Extension(ext)
		if !ok {
			return out, &view.Error{Code: api.CodeInvalidExtension, Field: FieldExtension}
		}
		out.Extension = x
	}
	return out, nil
}

func (m *Machine) chooseStation(e ChooseStation) []Effect {
	if m.v.Step != view.StepStation || m.me == nil {
		return nil
	}
	// Keep what was typed, normalised, whether or not it is valid.
	m.station.Mode, m.station.Remember = e.Mode, e.Remember
	if !m.station.Locked {
		m.station.DialNumber = NormalizeDialNumber(strings.TrimSpace(e.DialNumber))
		m.station.Extension = strings.TrimSpace(e.Extension)
	}
	st, verr := m.checkStation(e.Mode, e.DialNumber, e.Extension)
	m.v.Station = m.stationCopy()
	if verr != nil {
		m.v.Error = verr
		return nil
	}
	m.chosen = pick{station: st, remember: e.Remember, teamID: m.chosen.teamID}
	if m.teamsStep() {
		m.goTo(view.StepTeamsSignIn)
		return nil
	}
	m.toTeam()
	return nil
}

// teamsStep says whether the optional Microsoft Teams sign-in comes next:
// never when the dial number is locked (the optional steps are skipped) or
// the tenant signs in with Azure SSO.
func (m *Machine) teamsStep() bool {
	t := m.me.Tenant
	return m.cfg.TeamsSignIn && t.Teams.Enabled && !t.AzureSSO && !m.station.Locked
}

func (m *Machine) toTeam() {
	m.goTo(view.StepTeam)
	m.v.Holder = nil
	m.v.Station = m.stationCopy()
	m.v.Teams = teamsView(m.me.Teams)
	m.v.TeamID = m.defaultTeam()
}

// defaultTeam preselects the team chosen before, the remembered one, or
// the only one.
func (m *Machine) defaultTeam() string {
	has := func(id string) bool {
		return id != "" && slices.ContainsFunc(m.me.Teams, func(t api.Team) bool { return t.ID == id })
	}
	switch {
	case has(m.v.TeamID):
		return m.v.TeamID
	case m.remembered != nil && has(m.remembered.TeamID):
		return m.remembered.TeamID
	case len(m.me.Teams) == 1:
		return m.me.Teams[0].ID
	}
	return ""
}

func teamsView(ts []api.Team) []view.Team {
	out := make([]view.Team, 0, len(ts))
	for _, t := range ts {
		out = append(out, view.Team{ID: t.ID, Name: t.Name})
	}
	return out
}

// checkTeam validates a team as the server will: one of the agent's, or
// none for an agent without teams.
func (m *Machine) checkTeam(id string) (string, bool) {
	id = strings.TrimSpace(id)
	if len(m.me.Teams) == 0 {
		return "", true
	}
	ok := slices.ContainsFunc(m.me.Teams, func(t api.Team) bool { return t.ID == id })
	return id, ok
}

func (m *Machine) submitTeam(e SubmitTeam) []Effect {
	if m.v.Step != view.StepTeam || m.me == nil {
		return nil
	}
	id, ok := m.checkTeam(e.TeamID)
	m.v.TeamID = strings.TrimSpace(e.TeamID)
	if !ok {
		code := api.CodeUnknownTeam
		if m.v.TeamID == "" {
			code = CodeRequired
		}
		m.v.Error = &view.Error{Code: code, Field: FieldTeam}
		return nil
	}
	m.chosen.teamID = id
	return m.createSession(false, fromTeam)
}

// rememberedPick is the remembered station when it still fits what /v1/me
// allows (restore goes straight to station login with it).
func (m *Machine) rememberedPick() (pick, bool) {
	r := m.remembered
	if r == nil {
		return pick{}, false
	}
	st, verr := m.checkStation(r.Mode, r.DialNumber, r.Extension)
	if verr != nil {
		return pick{}, false
	}
	team, ok := m.checkTeam(r.TeamID)
	if !ok {
		return pick{}, false
	}
	return pick{station: st, teamID: team, remember: true}, true
}

func (m *Machine) createSession(takeover bool, from origin) []Effect {
	m.from = from
	p := m.chosen
	email := m.v.Email
	forget := !p.remember && m.remembered != nil
	return m.run(func(id uint64) Effect {
		return DoCreateSession{ID: id, Email: email, Station: p.station, TeamID: p.teamID, Takeover: takeover,
			Remember: p.remember, Forget: forget}
	})
}

func (m *Machine) continue_(Continue) []Effect {
	switch {
	case m.v.Step == view.StepTakeover:
		return m.createSession(true, fromTakeover)
	case m.v.Step == view.StepTasks && m.v.Modal == view.ModalTakenOver:
		return m.createSession(true, fromModal)
	case m.v.Step == view.StepTeamsSignIn:
		m.toTeam() // the Teams sign-in itself comes with the Entra ID issue
	case m.v.Step == view.StepMicrosoft:
		m.v.Error = microsoftUnavailable() // hook: the MSAL sign-in goes here
	}
	return nil
}

func (m *Machine) cancel(Cancel) []Effect {
	switch m.v.Step {
	case view.StepTakeover, view.StepTeamsSignIn:
		m.toTeam()
	}
	return nil
}

func holderView(h *api.SessionHolder) *view.Holder {
	if h == nil {
		return nil
	}
	return &view.Holder{DeviceName: h.DeviceName, Platform: h.Platform, Since: h.Since, OnCall: h.OnCall}
}

func (m *Machine) sessionCreated(e SessionCreated) []Effect {
	s := e.Session
	m.session = &s
	if m.from != fromModal {
		m.agentState, m.idleReason = AgentAvailable, ""
	}
	if m.chosen.remember {
		m.remembered = &Remembered{Mode: m.chosen.station.Mode, DialNumber: m.chosen.station.DialNumber,
			Extension: m.chosen.station.Extension, TeamID: m.chosen.teamID}
	} else if e.RememberErr == nil {
		m.remembered = nil
	}
	m.goTo(view.StepTasks)
	m.v.Holder = nil
	m.v.Link = view.ConnectivityState{}
	m.v.Tasks = m.tasksView()
	// Say whether "Remember my credentials" worked after the agent's own
	// Submit or Continue, not on a restore or a quiet station login again.
	if m.from == fromTeam || m.from == fromTakeover {
		switch {
		case e.RememberErr != nil:
			m.v.Notice = view.NoticeCredentialsNotSaved
		case e.Remembered:
			m.v.Notice = view.NoticeCredentialsSaved
		}
	}
	return []Effect{DoRunSession{Session: s}}
}

// ---- failures --------------------------------------------------------------------------

func (m *Machine) failed(pending Effect, e Failed) []Effect {
	if m.me != nil && IsUnauthorized(e.Err) {
		return m.expired()
	}
	verr := m.fail(e.What, e.Err)
	switch pending.(type) {
	case DoCheckServer:
		verr.Field = FieldServer
		m.v.Error = verr
	case DoIdentify, DoLogin, DoSendCode, DoReset:
		m.v.Error = verr // on the step it was asked from
	case DoRestore:
		m.retry = true // StepLoading: Reload tries again, ChangeServer or SignOut leave
		m.v.Error = verr
	case DoCreateSession:
		return m.sessionFailed(verr, e.Err)
	case DoLoadMe:
		m.v.Error = verr
	}
	return nil
}

func (m *Machine) sessionFailed(verr *view.Error, err error) []Effect {
	var p *api.Problem
	errors.As(err, &p)
	code := verr.Code
	switch {
	case code == api.CodeSessionElsewhere:
		var h *api.SessionHolder
		if p != nil {
			h = p.Holder
		}
		if m.from == fromModal || m.from == fromRecreate {
			m.v.Step, m.v.Modal = view.StepTasks, view.ModalTakenOver
			m.v.Holder = holderView(h)
			if m.from == fromModal {
				m.v.Error = verr
			}
			return nil
		}
		m.goTo(view.StepTakeover)
		m.v.Holder = holderView(h)
		return nil
	case verr.Field == FieldMode || verr.Field == FieldDialNumber || verr.Field == FieldExtension:
		m.session = nil
		m.toStation()
		m.v.Error = verr
		return nil
	case code == api.CodeUnknownTeam:
		m.session = nil
		m.toTeam()
		m.v.Error = verr
		return nil
	}
	switch m.from {
	case fromRestore, fromRecreate:
		m.session = nil
		m.v.Tasks = nil
		m.toStation()
	case fromModal:
		m.v.Step, m.v.Modal = view.StepTasks, view.ModalTakenOver
	}
	m.v.Error = verr
	return nil
}

// backgroundFailed is a reload the core did by itself that failed: a lost
// connection shows as the link state, anything else as an error.
func (m *Machine) backgroundFailed(e Failed) []Effect {
	if m.me == nil {
		return nil
	}
	if IsUnauthorized(e.Err) {
		return m.expired()
	}
	if v := m.fail(e.What, e.Err); v.Code != CodeNetwork && m.v.Step == view.StepTasks {
		m.v.Error = v
	}
	return nil
}

// ---- the Tasks page and the session ---------------------------------------------------

func (m *Machine) tasksView() *view.Tasks {
	me := m.me
	t := &view.Tasks{
		AgentName: me.User.DisplayName, TenantName: me.Tenant.Name, Illustration: me.Tenant.IllustrationURL,
		AgentState: m.agentState, IdleReason: m.idleReason,
		OmnichannelEnabled: me.Omnichannel.Enabled, OmnichannelAvailable: me.Omnichannel.Available,
		Queues: []view.Queue{}, Banners: []view.Banner{},
	}
	if t.AgentName == "" {
		t.AgentName = me.User.Email
	}
	for _, q := range me.Queues {
		t.Queues = append(t.Queues, view.Queue{Name: q.Name, Kind: q.Kind, Channels: append([]string{}, q.Channels...)})
	}
	for _, b := range me.Tenant.Banners {
		t.Banners = append(t.Banners, view.Banner{ID: b.ID, Severity: b.Severity, Message: b.Message, FeaturesUnavailable: b.FeaturesUnavailable})
	}
	st := m.station
	st.Modes = slices.Clone(me.StationModes)
	if st.Modes == nil {
		st.Modes = []string{}
	}
	st.Remember = m.chosen.remember
	if m.session != nil {
		st.Mode, st.DialNumber, st.Extension = m.session.Station.Mode, m.session.Station.DialNumber, m.session.Station.Extension
		for _, team := range me.Teams {
			if team.ID == m.session.TeamID {
				t.TeamName = team.Name
			}
		}
	}
	t.Station = st
	return t
}

func (m *Machine) meLoaded(e MeLoaded) []Effect {
	if m.me == nil || e.Me == nil {
		return nil
	}
	m.me = e.Me
	if m.v.Step == view.StepTasks {
		m.v.Tasks = m.tasksView()
	}
	return nil
}

func (m *Machine) reload(Reload) []Effect {
	switch {
	case m.v.Step == view.StepTasks && m.me != nil:
		return m.run(func(id uint64) Effect { return DoLoadMe{ID: id} })
	case m.v.Step == view.StepLoading && m.retry:
		return m.run(func(id uint64) Effect { return DoRestore{ID: id} })
	}
	return nil // the error is cleared
}

func (m *Machine) setAgentState(e SetAgentState) []Effect {
	if m.v.Step != view.StepTasks || m.v.Tasks == nil {
		return nil
	}
	m.v.Error = nil
	switch {
	case e.State == AgentAvailable:
		m.agentState, m.idleReason = AgentAvailable, ""
	case e.State == AgentIdle && slices.Contains(IdleReasons, e.Reason):
		m.agentState, m.idleReason = AgentIdle, e.Reason
	default:
		m.v.Error = &view.Error{Code: api.CodeValidation, Field: FieldAgentState}
		return nil
	}
	m.v.Tasks = m.tasksView()
	return nil
}

func (m *Machine) setLanguage(e SetLanguage) []Effect {
	lang, ok := matchLanguage(e.Language)
	if !ok {
		return nil
	}
	m.v.Language = lang
	return []Effect{DoSaveLanguage{Language: lang}}
}

func (m *Machine) staySignedIn() []Effect {
	if m.v.Modal == view.ModalInactivity {
		m.v.Modal, m.v.Deadline = view.ModalNone, time.Time{}
	}
	return []Effect{DoTouch{}}
}

func (m *Machine) linkChanged(e LinkChanged) []Effect {
	if m.me == nil {
		return nil
	}
	m.v.Link = view.ConnectivityState{Reconnecting: e.Reconnecting}
	if e.Reconnecting {
		m.v.Link.RetryAt = e.RetryAt
	}
	return nil
}

func (m *Machine) inactivity(e InactivityWarning) []Effect {
	if m.session == nil || e.SessionID != m.session.SessionID || m.v.Step != view.StepTasks {
		return nil
	}
	switch {
	case !e.Deadline.IsZero() && m.v.Modal != view.ModalTakenOver:
		m.v.Modal, m.v.Deadline = view.ModalInactivity, e.Deadline
	case e.Deadline.IsZero() && m.v.Modal == view.ModalInactivity:
		m.v.Modal, m.v.Deadline = view.ModalNone, time.Time{}
	}
	return nil
}

func (m *Machine) sessionEnded(e SessionEnded) []Effect {
	if m.session == nil || e.SessionID != m.session.SessionID {
		return nil // an earlier session's keeper
	}
	m.session = nil
	m.v.Link = view.ConnectivityState{}
	switch e.Cause {
	case EndTakenOver:
		m.pending = nil
		m.v.Step, m.v.Modal, m.v.Deadline = view.StepTasks, view.ModalTakenOver, time.Time{}
		m.v.Holder = holderView(e.Holder)
		return nil
	case EndRevoked:
		eff := m.signOutState()
		m.v.Notice, m.v.Reason = view.NoticeSignedOut, e.Reason
		return eff
	case EndUnauthorized:
		return m.expired()
	case EndLeaseExpired, EndNotFound:
		// The server holds no session for us any more: sign in to the
		// station again (the same device gets no takeover prompt).
		m.pending = nil
		return m.createSession(false, fromRecreate)
	default: // rejected
		m.pending = nil
		m.v.Tasks = nil
		m.toStation()
		if e.Err != nil {
			m.v.Error = m.fail("POST /v1/sessions/{id}/heartbeat", e.Err)
		}
		return nil
	}
}

func (m *Machine) expired() []Effect {
	if m.me == nil && !m.retry {
		return nil
	}
	eff := m.signOutState()
	m.v.Notice = view.NoticeSessionExpired
	return eff
}

// signOutState leaves the signed-in state for the email step (the email
// kept) and asks the core to sign out.
func (m *Machine) signOutState() []Effect {
	m.me, m.session, m.restored, m.retry, m.pending = nil, nil, false, false, nil
	m.microsoft = nil
	m.goTo(view.StepEmail)
	m.v.Station, m.v.Teams, m.v.TeamID, m.v.Holder, m.v.Tasks = nil, nil, "", nil, nil
	m.v.Link = view.ConnectivityState{}
	m.v.Error = nil
	return []Effect{DoSignOut{}}
}

func (m *Machine) signOut(SignOut) []Effect {
	if m.me == nil && !m.retry {
		switch m.v.Step {
		case view.StepServer, view.StepLoading:
			return nil
		}
		m.goTo(view.StepEmail)
		return nil
	}
	return m.signOutState()
}

// ---- language -----------------------------------------------------------------------

func matchLanguage(s string) (string, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	if i := strings.IndexAny(s, ".@"); i >= 0 { // fr_FR.UTF-8
		s = s[:i]
	}
	for _, l := range api.Locales {
		if strings.EqualFold(s, l) {
			return l, true
		}
	}
	base, _, _ := strings.Cut(s, "-")
	switch strings.ToLower(base) {
	case "en":
		return "en", true
	case "fr":
		return "fr", true
	case "pt":
		return "pt-BR", true
	}
	return "", false
}

// normLanguage maps an OS or saved language to one the app speaks (en by
// default).
func normLanguage(s string) string {
	if l, ok := matchLanguage(s); ok {
		return l
	}
	return "en"
}

// NormLanguage is normLanguage for the core (OS locale to en | fr | pt-BR).
func NormLanguage(s string) string { return normLanguage(s) }
