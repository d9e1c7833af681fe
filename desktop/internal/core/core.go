// Package core runs the desktop: it feeds the wizard's state machine with
// the agent's intents, carries out the effects the machine asks for
// (the AgentDesk API through shared/client, the keyring through secrets,
// the settings through config) and keeps the signed-in session alive with
// shared/session's Keeper (heartbeats) and Push (the push channel). The
// bound App of package main is a thin shell over a Core.
//
// Every method named like a bound method returns the new view.State. When
// the state changes by itself (a push event, a lost connection, the
// inactivity warning, a session ended elsewhere) the Core hands it to the
// Emitter, which the app wires to the Wails runtime's EventsEmit("view").
// Nothing here needs a GUI.
package core

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentdesk/agentdesk/desktop/internal/config"
	"github.com/agentdesk/agentdesk/desktop/internal/secrets"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
	"github.com/agentdesk/agentdesk/desktop/internal/wizard"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
	"github.com/agentdesk/agentdesk/shared/session"
)

// Emitter receives the state whenever it changes by itself.
type Emitter interface {
	Emit(view.State)
}

// EmitterFunc is a func Emitter.
type EmitterFunc func(view.State)

// Emit calls f.
func (f EmitterFunc) Emit(s view.State) { f(s) }

// Config wires a Core. Resolver and Secrets are required.
type Config struct {
	Version  string
	Platform string // windows | darwin | linux
	// Device is this installation as the server sees it.
	Device api.Device
	// Language is the OS language, used until the agent picks one.
	Language string
	Resolver *config.Resolver
	Secrets  *secrets.Store
	Emitter  Emitter // nil: nothing is emitted
	// HTTPClient makes the API calls (default: a 15 s timeout).
	HTTPClient *http.Client
	Log        *slog.Logger
	Now        func() time.Time
	// RefreshMargin: access tokens are refreshed this long before they
	// expire (default one minute).
	RefreshMargin time.Duration
	// Keeper tunes the heartbeat loop (tests); API, Session, callbacks and
	// the inactivity timeout are filled in by the Core.
	Keeper session.KeeperConfig
	// Push tunes the push channel (tests); URL, token, device and
	// callbacks are filled in by the Core.
	Push session.PushConfig
	// TeamsSignIn turns on the reserved Microsoft Teams step.
	TeamsSignIn bool
	// OnPushState, when set, is told every state of the push channel
	// (logging, tests that must wait for it to be connected).
	OnPushState func(session.PushStatus)
	// Station runs what a station needs while its session lasts (the
	// Desktop station's softphone); nil: nothing.
	Station Station
}

// Timeouts of the Core's own requests.
const (
	DefaultRequestTimeout = 15 * time.Second
	signOutTimeout        = 5 * time.Second
)

// Core is the desktop's engine. Create it with New; it is safe for
// concurrent use (Wails calls bound methods from several goroutines).
type Core struct {
	cfg Config
	log *slog.Logger

	mu sync.Mutex // guards m
	m  *wizard.Machine

	emitMu      sync.Mutex
	lastEmitted uint64

	initOnce sync.Once
	api      atomic.Pointer[client.Client]
	server   atomic.Pointer[string]
	lang     atomic.Pointer[string]
	email    atomic.Pointer[string] // the signed-in agent's
	tok      *tokens

	lastActivity atomic.Int64 // unix nanos
	stationMode  atomic.Pointer[string]

	run     sync.Mutex // guards what follows
	keeper  *session.Keeper
	stopK   context.CancelFunc
	push    *session.Push
	stopP   context.CancelFunc
	link    struct{ keeper, push view.ConnectivityState }
	wg      sync.WaitGroup
	closed  bool
	reloads chan struct{} // background /v1/me reloads, coalesced
}

// New returns a Core on the loading step; call Init.
func New(cfg Config) *Core {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultRequestTimeout}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.RefreshMargin <= 0 {
		cfg.RefreshMargin = time.Minute
	}
	if cfg.Secrets == nil {
		cfg.Secrets = secrets.New("")
	}
	if cfg.Resolver == nil {
		cfg.Resolver = &config.Resolver{}
	}
	c := &Core{cfg: cfg, log: cfg.Log, reloads: make(chan struct{}, 1)}
	c.m = wizard.New(wizard.Config{Version: cfg.Version, Platform: cfg.Platform, Now: cfg.Now, TeamsSignIn: cfg.TeamsSignIn})
	c.tok = &tokens{
		refresh: func(ctx context.Context, rt string) (*api.TokenResponse, error) { return c.client().Refresh(ctx, rt) },
		rotated: c.saveSession,
		now:     cfg.Now,
		margin:  cfg.RefreshMargin,
		timeout: DefaultRequestTimeout,
	}
	empty, lang := "", wizard.NormLanguage(cfg.Language)
	c.server.Store(&empty)
	c.email.Store(&empty)
	c.lang.Store(&lang)
	c.lastActivity.Store(cfg.Now().UnixNano())
	c.setServer("")
	return c
}

// ---- the bound methods ------------------------------------------------------

// Init resolves the server (flag, environment, deployment file, saved)
// and restores a saved session. Calling it again returns the state as it
// stands (the frontend reloaded).
func (c *Core) Init() view.State {
	c.initOnce.Do(func() {
		server, src, err := c.cfg.Resolver.Resolve()
		settings, _ := c.cfg.Resolver.Load()
		lang := c.cfg.Language
		if settings.Language != "" {
			lang = settings.Language
		}
		lang = wizard.NormLanguage(lang)
		c.lang.Store(&lang)
		start := wizard.Start{Server: server, ResolveErr: err, Language: lang}
		if err == nil && server != "" {
			c.setServer(server)
			if s, err := c.cfg.Secrets.Session(server); err == nil && s.RefreshToken != "" {
				start.HasSession, start.Email = true, s.Email
			}
		}
		c.log.Info("start", "server", server, "source", src, "restore", start.HasSession)
		c.dispatch(start, false)
	})
	return c.State()
}

// SetServer checks a URL against /v1/health and keeps it.
func (c *Core) SetServer(url string) view.State { return c.dispatch(wizard.SetServer{URL: url}, false) }

// ChangeServer goes back to the server step.
func (c *Core) ChangeServer() view.State { return c.dispatch(wizard.ChangeServer{}, false) }

// SubmitEmail identifies the agent.
func (c *Core) SubmitEmail(email string) view.State {
	return c.dispatch(wizard.SubmitEmail{Email: email}, false)
}

// Back is Alt+Left / Cmd+Left / the "change email" link.
func (c *Core) Back() view.State { return c.dispatch(wizard.Back{}, false) }

// SubmitPassword signs in.
func (c *Core) SubmitPassword(pw string) view.State {
	return c.dispatch(wizard.SubmitPassword{Password: pw}, false)
}

// StartForgot opens the forgot-password flow.
func (c *Core) StartForgot() view.State { return c.dispatch(wizard.StartForgot{}, false) }

// RequestCode mails a reset code.
func (c *Core) RequestCode(email string) view.State {
	return c.dispatch(wizard.RequestCode{Email: email}, false)
}

// ResetPassword sets a new password with the code.
func (c *Core) ResetPassword(code, pw string) view.State {
	return c.dispatch(wizard.ResetPassword{Code: code, Password: pw}, false)
}

// PasswordProblem is the policy's reason for pw ("" when fine).
func (c *Core) PasswordProblem(pw string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m.PasswordProblem(pw)
}

// ChooseStation is the station step's Next.
func (c *Core) ChooseStation(mode, dialNumber, extension string, remember bool) view.State {
	return c.dispatch(wizard.ChooseStation{Mode: mode, DialNumber: dialNumber, Extension: extension, Remember: remember}, false)
}

// NormalizeDialNumber normalises a pasted number as the server does.
func (c *Core) NormalizeDialNumber(s string) string { return wizard.NormalizeDialNumber(s) }

// SubmitTeam creates the station session.
func (c *Core) SubmitTeam(teamID string) view.State {
	return c.dispatch(wizard.SubmitTeam{TeamID: teamID}, false)
}

// Continue takes the session over.
func (c *Core) Continue() view.State { return c.dispatch(wizard.Continue{}, false) }

// Cancel leaves the takeover prompt.
func (c *Core) Cancel() view.State { return c.dispatch(wizard.Cancel{}, false) }

// SetAgentState sets Available or Idle(reason), kept locally.
func (c *Core) SetAgentState(state, reason string) view.State {
	c.Activity()
	return c.dispatch(wizard.SetAgentState{State: state, Reason: reason}, false)
}

// StaySignedIn answers the inactivity warning.
func (c *Core) StaySignedIn() view.State {
	c.Activity()
	return c.dispatch(wizard.StaySignedIn{}, false)
}

// Activity records that the agent did something.
func (c *Core) Activity() { c.lastActivity.Store(c.cfg.Now().UnixNano()) }

// SignOut ends the session and returns to the email step.
func (c *Core) SignOut() view.State { return c.dispatch(wizard.SignOut{}, false) }

// SetLanguage switches the language (en, fr, pt-BR).
func (c *Core) SetLanguage(lang string) view.State {
	return c.dispatch(wizard.SetLanguage{Language: lang}, false)
}

// Reload reloads /v1/me, retries a failed restore, or clears an error.
func (c *Core) Reload() view.State { return c.dispatch(wizard.Reload{}, false) }

// DetailsText is the current error's details, to copy.
func (c *Core) DetailsText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m.State().Error; e != nil {
		return wizard.DetailsText(e.Details)
	}
	return ""
}

// State is the current state.
func (c *Core) State() view.State {
	c.mu.Lock()
	s := c.m.State()
	c.mu.Unlock()
	return c.withStation(s)
}

// Close stops the heartbeats and the push channel without ending the
// session on the server (a relaunch restores it), and waits for them.
func (c *Core) Close() {
	c.stationEnded() // unregisters the softphone
	c.run.Lock()
	c.closed = true
	c.stopKeeperLocked()
	c.stopPushLocked()
	c.run.Unlock()
	c.wg.Wait()
}

// ---- the loop -------------------------------------------------------------------

// dispatch applies ev and carries out the effects, applying their results
// in turn, until nothing is left; it returns the state then. background
// says the event did not come from a bound method: its changes are
// emitted.
func (c *Core) dispatch(ev wizard.Event, background bool) view.State {
	queue := []wizard.Event{ev}
	for len(queue) > 0 {
		ev, queue = queue[0], queue[1:]
		c.mu.Lock()
		before := c.m.Seq()
		effects := c.m.Apply(ev)
		changed := c.m.Seq() != before
		c.mu.Unlock()
		if background && changed {
			c.emit()
		}
		for _, e := range effects {
			if res := c.perform(e); res != nil {
				queue = append(queue, res)
			}
		}
	}
	return c.State()
}

// emit hands the latest state to the Emitter, never an older one after a
// newer one.
func (c *Core) emit() {
	if c.cfg.Emitter == nil {
		return
	}
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	s := c.State()
	if s.Seq <= c.lastEmitted {
		return
	}
	c.lastEmitted = s.Seq
	c.cfg.Emitter.Emit(s)
}

// background applies an event from the session machinery.
func (c *Core) background(ev wizard.Event) { c.dispatch(ev, true) }

func (c *Core) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), DefaultRequestTimeout)
}

// perform carries out one effect and returns its result event, if any.
func (c *Core) perform(e wizard.Effect) wizard.Event {
	switch e := e.(type) {
	case wizard.DoCheckServer:
		return c.checkServer(e)
	case wizard.DoIdentify:
		ctx, cancel := c.ctx()
		defer cancel()
		r, err := c.client().Identify(ctx, api.IdentifyRequest{Email: e.Email})
		if err != nil {
			return wizard.Failed{ID: e.ID, What: "POST /v1/auth/identify", Err: err}
		}
		return wizard.Identified{ID: e.ID, Method: r.Method, Microsoft: r.Microsoft}
	case wizard.DoLogin:
		return c.login(e)
	case wizard.DoRestore:
		return c.restore(e)
	case wizard.DoSendCode:
		ctx, cancel := c.ctx()
		defer cancel()
		if err := c.client().ForgotPassword(ctx, api.ForgotPasswordRequest{Email: e.Email}); err != nil {
			return wizard.Failed{ID: e.ID, What: "POST /v1/auth/password/forgot", Err: err}
		}
		return wizard.CodeSent{ID: e.ID}
	case wizard.DoReset:
		ctx, cancel := c.ctx()
		defer cancel()
		err := c.client().ResetPassword(ctx, api.ResetPasswordRequest{Email: e.Email, Code: e.Code, NewPassword: e.Password})
		if err != nil {
			return wizard.Failed{ID: e.ID, What: "POST /v1/auth/password/reset", Err: err}
		}
		return wizard.ResetDone{ID: e.ID}
	case wizard.DoCreateSession:
		return c.createSession(e)
	case wizard.DoRunSession:
		c.runSession(e.Session)
		c.stationStarted(e.Session)
	case wizard.DoLoadMe:
		me, err := c.loadMe()
		if err != nil {
			return wizard.Failed{ID: e.ID, What: "GET /v1/me", Err: err}
		}
		return wizard.MeLoaded{ID: e.ID, Me: me}
	case wizard.DoSignOut:
		c.signOut()
	case wizard.DoSaveLanguage:
		lang := e.Language
		c.lang.Store(&lang)
		c.setServer(c.serverURL()) // a client with the new Accept-Language
		if _, err := c.cfg.Resolver.Update(func(s *config.Settings) { s.Language = lang }); err != nil {
			c.log.Warn("save language", "err", err)
		}
	case wizard.DoTouch:
		c.Activity()
		c.run.Lock()
		if c.keeper != nil {
			c.keeper.Touch()
		}
		c.run.Unlock()
	}
	return nil
}

// ---- server and client ---------------------------------------------------------

func (c *Core) client() *client.Client { return c.api.Load() }

func (c *Core) serverURL() string { return *c.server.Load() }

// setServer points the API client at url.
func (c *Core) setServer(url string) {
	c.server.Store(&url)
	c.api.Store(client.New(url,
		client.WithHTTPClient(c.cfg.HTTPClient),
		client.WithTokenSource(c.tok.Token),
		client.WithAcceptLanguage(*c.lang.Load()),
		client.WithUserAgent("agentdesk-desktop/"+c.cfg.Version),
	))
}

func (c *Core) checkServer(e wizard.DoCheckServer) wizard.Event {
	ctx, cancel := c.ctx()
	defer cancel()
	url, err := config.Check(ctx, c.cfg.HTTPClient, e.URL)
	if err != nil {
		return wizard.Failed{ID: e.ID, What: "GET /v1/health", Err: err}
	}
	c.setServer(url)
	if _, err := c.cfg.Resolver.Update(func(s *config.Settings) { s.Server = url }); err != nil {
		c.log.Warn("save server", "err", err)
	}
	return wizard.ServerChecked{ID: e.ID, URL: url}
}

// ---- signing in ------------------------------------------------------------------

// authed runs an authenticated call; a 401 refreshes the tokens (once,
// coalesced with any other refresh) and runs it again.
func (c *Core) authed(ctx context.Context, call func() error) error {
	gen, _ := c.tok.current()
	err := call()
	if !wizard.IsUnauthorized(err) {
		return err
	}
	if rerr := c.tok.refreshFrom(ctx, gen); rerr != nil {
		var p *api.Problem
		if errors.As(rerr, &p) || errors.Is(rerr, ErrSignedOut) {
			return err // the refresh token is refused too: the 401 stands
		}
		return rerr
	}
	return call()
}

func (c *Core) loadMe() (*api.MeResponse, error) {
	ctx, cancel := c.ctx()
	defer cancel()
	var me *api.MeResponse
	err := c.authed(ctx, func() (err error) {
		me, err = c.client().Me(ctx)
		return err
	})
	return me, err
}

func (c *Core) saveSession(tok *api.TokenResponse) {
	email := *c.email.Load()
	if tok.User.Email != "" {
		email = tok.User.Email
	}
	err := c.cfg.Secrets.SaveSession(secrets.Session{Server: c.serverURL(), Email: email, RefreshToken: tok.RefreshToken})
	if err != nil {
		c.log.Warn("keep the session in the keyring", "err", err)
	}
}

func (c *Core) login(e wizard.DoLogin) wizard.Event {
	ctx, cancel := c.ctx()
	defer cancel()
	tok, err := c.client().Login(ctx, api.LoginRequest{Email: e.Email, Password: e.Password, Device: c.cfg.Device})
	if err != nil {
		return wizard.Failed{ID: e.ID, What: "POST /v1/auth/login", Err: err}
	}
	return c.tokensIssued(tok, e.Email, e.ID, false)
}

func (c *Core) restore(e wizard.DoRestore) wizard.Event {
	saved, err := c.cfg.Secrets.Session(c.serverURL())
	if err != nil || saved.RefreshToken == "" {
		c.log.Info("nothing to restore", "err", err)
		return wizard.NotRestored{ID: e.ID}
	}
	ctx, cancel := c.ctx()
	defer cancel()
	tok, err := c.client().Refresh(ctx, saved.RefreshToken)
	var p *api.Problem
	switch {
	case errors.As(err, &p) && p.Status >= 400 && p.Status < 500 && p.Status != http.StatusTooManyRequests:
		_ = c.cfg.Secrets.DeleteSession(c.serverURL())
		return wizard.NotRestored{ID: e.ID, Expired: true}
	case err != nil:
		return wizard.Failed{ID: e.ID, What: "POST /v1/auth/refresh", Err: err}
	}
	return c.tokensIssued(tok, saved.Email, e.ID, true)
}

// tokensIssued takes the tokens a login or a restore got: the account's
// email (the one typed or saved when the server gives none), the tokens in
// memory and the keyring, then /v1/me and the rest of signing in.
func (c *Core) tokensIssued(tok *api.TokenResponse, email string, id uint64, restored bool) wizard.Event {
	if tok.User.Email != "" {
		email = tok.User.Email
	}
	c.email.Store(&email)
	c.tok.set(tok)
	c.saveSession(tok)
	return c.signedIn(id, restored)
}

// signedIn loads /v1/me, reads the remembered station and opens the push
// channel.
func (c *Core) signedIn(id uint64, restored bool) wizard.Event {
	me, err := c.loadMe()
	if err != nil {
		if restored && wizard.IsUnauthorized(err) {
			c.forgetTokens()
			return wizard.NotRestored{ID: id, Expired: true}
		}
		if !restored {
			c.forgetTokens() // sign in again from the password step
		}
		return wizard.Failed{ID: id, What: "GET /v1/me", Err: err}
	}
	var rem *wizard.Remembered
	if st, err := c.cfg.Secrets.Station(c.serverURL(), *c.email.Load()); err == nil {
		rem = &wizard.Remembered{Mode: st.Mode, DialNumber: st.DialNumber, Extension: st.Extension, TeamID: st.TeamID}
	} else if !errors.Is(err, secrets.ErrNotFound) {
		c.log.Warn("read the remembered station", "err", err)
	}
	c.startPush(me.PushURL)
	return wizard.SignedIn{ID: id, Me: me, Remembered: rem, Restored: restored}
}

// forgetTokens logs the refresh token out and forgets it.
func (c *Core) forgetTokens() {
	if rt := c.tok.clear(); rt != "" {
		ctx, cancel := context.WithTimeout(context.Background(), signOutTimeout)
		if err := c.client().Logout(ctx, rt); err != nil {
			c.log.Info("logout", "err", err)
		}
		cancel()
	}
	if err := c.cfg.Secrets.DeleteSession(c.serverURL()); err != nil {
		c.log.Info("forget the session in the keyring", "err", err)
	}
}

// ---- the station session ---------------------------------------------------------

func (c *Core) createSession(e wizard.DoCreateSession) wizard.Event {
	ctx, cancel := c.ctx()
	defer cancel()
	req := api.CreateSessionRequest{Station: e.Station, TeamID: e.TeamID, Device: c.cfg.Device, Takeover: e.Takeover}
	var s *api.Session
	err := c.authed(ctx, func() (err error) {
		s, err = c.client().CreateSession(ctx, req)
		return err
	})
	if err != nil {
		return wizard.Failed{ID: e.ID, What: "POST /v1/sessions", Err: err}
	}
	res := wizard.SessionCreated{ID: e.ID, Session: *s}
	server := c.serverURL()
	switch {
	case e.Remember:
		st := secrets.Station{Mode: s.Station.Mode, DialNumber: s.Station.DialNumber, Extension: s.Station.Extension, TeamID: s.TeamID}
		if st.Mode == "" { // an older server that does not echo the station
			st = secrets.Station{Mode: e.Station.Mode, DialNumber: e.Station.DialNumber, Extension: e.Station.Extension, TeamID: e.TeamID}
		}
		if err := c.cfg.Secrets.SaveStation(server, e.Email, st); err != nil {
			c.log.Warn("remember the station", "err", err)
			res.RememberErr = err
		} else {
			res.Remembered = true
		}
	case e.Forget:
		if err := c.cfg.Secrets.DeleteStation(server, e.Email); err != nil {
			c.log.Info("forget the station", "err", err)
		}
	}
	return res
}

// runSession starts a Keeper for s (stopping the previous one).
func (c *Core) runSession(s api.Session) {
	c.mu.Lock()
	me := c.m.Me()
	c.mu.Unlock()
	c.run.Lock()
	defer c.run.Unlock()
	if c.closed {
		return
	}
	c.stopKeeperLocked()
	kc := c.cfg.Keeper
	kc.API = c.client()
	kc.Session = s
	kc.RefreshToken = c.tok.Refresh
	kc.LastActivity = func() time.Time { return time.Unix(0, c.lastActivity.Load()) }
	if kc.OnCall == nil {
		kc.OnCall = c.onCall
	}
	if me != nil {
		kc.InactivityTimeout = time.Duration(me.Tenant.InactivityTimeoutMinutes) * time.Minute
	}
	id := s.SessionID
	kc.OnStatus = func(st session.Status) { c.keeperStatus(id, st) }
	k := session.NewKeeper(kc)
	ctx, cancel := context.WithCancel(context.Background())
	c.keeper, c.stopK = k, cancel
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		err := k.Run(ctx)
		var end *session.Ended
		if !errors.As(err, &end) || ctx.Err() != nil {
			return // stopped: sign-out, a newer session, or Close
		}
		c.run.Lock()
		if c.keeper == k {
			c.keeper, c.stopK = nil, nil
			c.link.keeper = view.ConnectivityState{}
		}
		c.run.Unlock()
		cancel()
		c.log.Info("session ended", "session_id", id, "cause", end.Cause, "reason", end.Reason)
		c.stationEnded()
		ev := wizard.SessionEnded{SessionID: id, Cause: string(end.Cause), Reason: end.Reason, Holder: end.Holder}
		if end.Problem != nil {
			ev.Err = end.Problem
		} else if end.Err != nil {
			ev.Err = end.Err
		}
		c.background(ev)
	}()
}

func (c *Core) keeperStatus(id string, st session.Status) {
	link := view.ConnectivityState{}
	if st.State == session.Reconnecting {
		link = view.ConnectivityState{Reconnecting: true, RetryAt: st.NextRetry}
	}
	c.setLink(func() { c.link.keeper = link })
	c.background(wizard.InactivityWarning{SessionID: id, Deadline: st.InactivityDeadline})
}

// setLink updates one half of the connectivity and tells the machine the
// combined state: reconnecting while either half is, retrying at the
// earliest.
func (c *Core) setLink(update func()) {
	c.run.Lock()
	update()
	k, p := c.link.keeper, c.link.push
	c.run.Unlock()
	ev := wizard.LinkChanged{Reconnecting: k.Reconnecting || p.Reconnecting}
	switch {
	case k.Reconnecting && p.Reconnecting:
		ev.RetryAt = k.RetryAt
		if p.RetryAt.Before(k.RetryAt) {
			ev.RetryAt = p.RetryAt
		}
	case k.Reconnecting:
		ev.RetryAt = k.RetryAt
	case p.Reconnecting:
		ev.RetryAt = p.RetryAt
	}
	c.background(ev)
}

func (c *Core) stopKeeperLocked() {
	if c.stopK != nil {
		c.stopK()
	}
	c.keeper, c.stopK = nil, nil
	c.link.keeper = view.ConnectivityState{}
}

// ---- the push channel ------------------------------------------------------------

func (c *Core) startPush(url string) {
	c.run.Lock()
	defer c.run.Unlock()
	c.stopPushLocked()
	if url == "" || c.closed {
		return
	}
	pc := c.cfg.Push
	pc.URL = url
	pc.Token = c.tok.Token
	pc.DeviceID = c.cfg.Device.ID
	pc.RefreshToken = c.tok.Refresh
	pc.OnEvent = c.onPush
	pc.OnState = c.onPushState
	p := session.NewPush(pc)
	ctx, cancel := context.WithCancel(context.Background())
	c.push, c.stopP = p, cancel
	c.wg.Add(2)
	go func() {
		defer c.wg.Done()
		_ = p.Run(ctx)
	}()
	go func() { // background reloads of /v1/me, one at a time
		defer c.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.reloads:
			}
			me, err := c.loadMe()
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				c.background(wizard.Failed{What: "GET /v1/me", Err: err})
				continue
			}
			c.background(wizard.MeLoaded{Me: me})
			c.stationReloaded(me)
		}
	}()
}

func (c *Core) stopPushLocked() {
	if c.stopP != nil {
		c.stopP()
	}
	c.push, c.stopP = nil, nil
	c.link.push = view.ConnectivityState{}
}

// reload asks for a background /v1/me (coalesced).
func (c *Core) reload() {
	select {
	case c.reloads <- struct{}{}:
	default:
	}
}

func (c *Core) onPush(ev api.PushEvent) {
	c.run.Lock()
	k := c.keeper
	c.run.Unlock()
	if k != nil && k.HandlePush(ev) {
		return // the keeper ends; its end says how
	}
	switch ev.Type {
	case api.EventBannerChanged, api.EventSettingsChanged:
		c.reload()
	}
}

func (c *Core) onPushState(st session.PushStatus) {
	c.log.Info("push", "state", st.State, "err", st.Err)
	if c.cfg.OnPushState != nil {
		c.cfg.OnPushState(st)
	}
	link := view.ConnectivityState{}
	switch st.State {
	case session.PushReconnecting:
		link = view.ConnectivityState{Reconnecting: true, RetryAt: st.NextRetry}
	case session.PushConnected:
		// Events sent while disconnected (or still connecting, after
		// /v1/me was loaded at sign-in) are lost: reload what they would
		// have said.
		c.reload()
	}
	c.setLink(func() { c.link.push = link })
}

// ---- signing out -------------------------------------------------------------------

// signOut stops the keeper, ends the station session, logs the refresh
// token out and forgets it, and closes the push channel. Best effort: the
// agent is signed out locally whatever the server says.
func (c *Core) signOut() {
	c.stationEnded()
	c.run.Lock()
	var sessionID string
	if c.keeper != nil {
		sessionID = c.keeper.Session().SessionID
	}
	c.stopKeeperLocked()
	c.stopPushLocked()
	c.run.Unlock()
	if sessionID != "" {
		ctx, cancel := context.WithTimeout(context.Background(), signOutTimeout)
		if err := c.client().EndSession(ctx, sessionID); err != nil {
			c.log.Info("end session", "err", err)
		}
		cancel()
	}
	c.forgetTokens()
	empty := ""
	c.email.Store(&empty)
}

// DeviceName is a name for this computer the agent recognises on another
// device's takeover prompt.
func DeviceName(hostname, platform string) string {
	h := strings.TrimSpace(hostname)
	if h == "" {
		return "AgentDesk on " + platform
	}
	if len(h) > 100 {
		h = h[:100]
	}
	return h
}
