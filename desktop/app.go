package main

import (
	"context"
	"sync"

	"github.com/agentdesk/agentdesk/desktop/internal/core"
	"github.com/agentdesk/agentdesk/desktop/internal/phone"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
)

// ViewEvent is the event the state is emitted on when it changes by itself.
const ViewEvent = "view"

// Runtime is the part of the Wails runtime the app calls. Its functions
// panic outside a running Wails app, so they stay behind this interface
// (wailsRuntime in main.go in the app, a fake in tests).
type Runtime interface {
	EventsEmit(ctx context.Context, name string, data ...any)
	WindowUnminimise(ctx context.Context)
	WindowShow(ctx context.Context)
}

// App is the bound object: window.go.main.App in the frontend. Its
// exported methods are exactly the contract's (desktop/internal/view) and
// each hands over to the Core.
type App struct {
	core  *core.Core
	rt    Runtime
	phone *phone.Station // the Desktop station's softphone (phone.go)

	mu  sync.Mutex
	ctx context.Context // the Wails context, from startup
}

// NewApp returns the bound App over c.
func NewApp(c *core.Core, rt Runtime) *App { return &App{core: c, rt: rt} }

// emitter is the Core's Emitter: the "view" event, once Wails has started.
type emitter struct{ app *App }

func (e emitter) Emit(s view.State) {
	if ctx := e.app.wailsContext(); ctx != nil {
		e.app.rt.EventsEmit(ctx, ViewEvent, s)
	}
}

func (a *App) wailsContext() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ctx
}

// startup is Wails' OnStartup.
func (a *App) startup(ctx context.Context) {
	a.mu.Lock()
	a.ctx = ctx
	a.mu.Unlock()
}

// shutdown is Wails' OnShutdown: stop the heartbeats without ending the
// session (the next launch restores it).
func (a *App) shutdown(context.Context) { a.core.Close() }

// secondInstance is SingleInstanceLock's OnSecondInstanceLaunch: a second
// launch on the same desktop brings this window forward.
func (a *App) secondInstance() {
	if ctx := a.wailsContext(); ctx != nil {
		a.rt.WindowUnminimise(ctx)
		a.rt.WindowShow(ctx)
	}
}

// ---- the bound methods (desktop/internal/view) ------------------------------

// Init resolves the server (flag, env, config file, saved) and restores a session.
func (a *App) Init() view.State { return a.core.Init() }

// SetServer checks the URL against /v1/health.
func (a *App) SetServer(url string) view.State { return a.core.SetServer(url) }

// ChangeServer goes back to the server step.
func (a *App) ChangeServer() view.State { return a.core.ChangeServer() }

// SubmitEmail identifies the agent.
func (a *App) SubmitEmail(email string) view.State { return a.core.SubmitEmail(email) }

// Back is Alt+Left / Cmd+Left / the "change email" link.
func (a *App) Back() view.State { return a.core.Back() }

// SubmitPassword signs in.
func (a *App) SubmitPassword(pw string) view.State { return a.core.SubmitPassword(pw) }

// StartForgot opens the forgot-password flow.
func (a *App) StartForgot() view.State { return a.core.StartForgot() }

// RequestCode mails a 6-digit code.
func (a *App) RequestCode(email string) view.State { return a.core.RequestCode(email) }

// ResetPassword sets a new password with the code.
func (a *App) ResetPassword(code, pw string) view.State { return a.core.ResetPassword(code, pw) }

// PasswordProblem is the policy reason as the agent types ("" when fine).
func (a *App) PasswordProblem(pw string) string { return a.core.PasswordProblem(pw) }

// ChooseStation is the station step's Next.
func (a *App) ChooseStation(mode, dialNumber, extension string, remember bool) view.State {
	return a.core.ChooseStation(mode, dialNumber, extension, remember)
}

// NormalizeDialNumber normalises a pasted number as the server does.
func (a *App) NormalizeDialNumber(s string) string { return a.core.NormalizeDialNumber(s) }

// SubmitTeam creates the session.
func (a *App) SubmitTeam(teamID string) view.State { return a.core.SubmitTeam(teamID) }

// Continue takes over.
func (a *App) Continue() view.State { return a.core.Continue() }

// Cancel goes back to the team step.
func (a *App) Cancel() view.State { return a.core.Cancel() }

// SetAgentState sets Available or Idle(reason).
func (a *App) SetAgentState(state, reason string) view.State {
	return a.core.SetAgentState(state, reason)
}

// StaySignedIn closes the inactivity warning.
func (a *App) StaySignedIn() view.State { return a.core.StaySignedIn() }

// Activity says the agent did something.
func (a *App) Activity() { a.core.Activity() }

// SignOut signs out.
func (a *App) SignOut() view.State { return a.core.SignOut() }

// SetLanguage switches the language.
func (a *App) SetLanguage(lang string) view.State { return a.core.SetLanguage(lang) }

// Reload reloads /v1/me or retries a failed load.
func (a *App) Reload() view.State { return a.core.Reload() }

// DetailsText is the error's details as text to copy.
func (a *App) DetailsText() string { return a.core.DetailsText() }
