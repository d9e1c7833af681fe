package wizard

import (
	"time"

	"github.com/agentdesk/agentdesk/shared/api"
)

// Event is something that happens to the flow: an intent of the agent (a
// bound method was called), the result of an Effect the core ran, or news
// about the signed-in session. Apply is the only way in.
type Event interface{ isEvent() }

// ---- the agent's intents ----------------------------------------------------

// Start is Init: where the server came from and what the keyring holds.
type Start struct {
	Server     string // resolved server URL, "" on first run
	ResolveErr error  // a server setting that is set but unusable
	Language   string // saved, or the OS language
	Email      string // of the saved session, if any
	HasSession bool   // a refresh token is in the keyring for Server
}

// SetServer is the first-run URL ("enter the URL your administrator gave you").
type SetServer struct{ URL string }

// ChangeServer goes back to StepServer.
type ChangeServer struct{}

// SubmitEmail is email, then Sign in.
type SubmitEmail struct{ Email string }

// Back is Alt+Left / Cmd+Left / the "change email" link.
type Back struct{}

// SubmitPassword signs in.
type SubmitPassword struct{ Password string }

// StartForgot is the "Forgot password" link.
type StartForgot struct{}

// RequestCode asks for the 6-digit code by email (also "send a new code").
type RequestCode struct{ Email string }

// ResetPassword sets a new password with the emailed code.
type ResetPassword struct{ Code, Password string }

// ChooseStation is the station step's Next.
type ChooseStation struct {
	Mode, DialNumber, Extension string
	Remember                    bool
}

// SubmitTeam is the team step's Submit: station login.
type SubmitTeam struct{ TeamID string }

// Continue takes over (StepTakeover, ModalTakenOver); on the reserved
// steps it moves on.
type Continue struct{}

// Cancel leaves the takeover prompt for the team step.
type Cancel struct{}

// SetAgentState is Available, or Idle with a reason.
type SetAgentState struct{ State, Reason string }

// StaySignedIn answers the inactivity warning.
type StaySignedIn struct{}

// SignOut signs out from wherever the agent is.
type SignOut struct{}

// SetLanguage switches the UI language.
type SetLanguage struct{ Language string }

// Reload reloads /v1/me on the Tasks page, retries a failed restore, or
// clears an error.
type Reload struct{}

// ---- results of effects -------------------------------------------------------
//
// Each carries the ID of the effect it answers; a result whose ID is not
// the one in flight (the agent moved on, the session ended) is dropped.

// ServerChecked: the URL answered /v1/health and was saved.
type ServerChecked struct {
	ID  uint64
	URL string
}

// Identified is the identify answer.
type Identified struct {
	ID        uint64
	Method    string
	Microsoft *api.MicrosoftConfig
}

// SignedIn: tokens are held and /v1/me is loaded (after a password sign-in
// or a restore). Remembered is the station kept by "Remember my
// credentials", if any.
type SignedIn struct {
	ID         uint64
	Me         *api.MeResponse
	Remembered *Remembered
	Restored   bool
}

// NotRestored: the saved session is gone or expired (the agent signs in
// again).
type NotRestored struct {
	ID      uint64
	Expired bool
}

// CodeSent: the reset code is on its way.
type CodeSent struct{ ID uint64 }

// ResetDone: the password was changed.
type ResetDone struct{ ID uint64 }

// SessionCreated: the station session runs (a Keeper is heartbeating it).
// RememberErr is set when "Remember my credentials" could not be saved.
type SessionCreated struct {
	ID          uint64
	Session     api.Session
	Remembered  bool // the station details were saved
	RememberErr error
}

// MeLoaded is a fresh /v1/me. ID 0 is a reload the core did by itself
// (banner_changed, settings_changed, reconnection).
type MeLoaded struct {
	ID uint64
	Me *api.MeResponse
}

// Failed: the effect failed; What names the request for the details
// panel (e.g. "POST /v1/sessions"). ID 0 is a failure of a background
// reload.
type Failed struct {
	ID   uint64
	What string
	Err  error
}

// ---- the signed-in session, told by the core --------------------------------

// LinkChanged: the heartbeats or the push channel are (or no longer are)
// reconnecting.
type LinkChanged struct {
	Reconnecting bool
	RetryAt      time.Time
}

// InactivityWarning: the session ends at Deadline unless the agent stays
// (zero: the warning is over).
type InactivityWarning struct {
	SessionID string
	Deadline  time.Time
}

// Why a session ended (session.Cause values).
const (
	EndTakenOver    = "taken_over"
	EndRevoked      = "revoked"
	EndNotFound     = "not_found"
	EndUnauthorized = "unauthorized"
	EndLeaseExpired = "lease_expired"
	EndRejected     = "rejected"
)

// SessionEnded: the station session SessionID is over.
type SessionEnded struct {
	SessionID string
	Cause     string // End*
	Reason    string // EndRevoked: the server's reason
	Holder    *api.SessionHolder
	Err       error // EndRejected: the answer
}

// Expired: the tokens can no longer be refreshed; sign in again.
type Expired struct{}

func (Start) isEvent()             {}
func (SetServer) isEvent()         {}
func (ChangeServer) isEvent()      {}
func (SubmitEmail) isEvent()       {}
func (Back) isEvent()              {}
func (SubmitPassword) isEvent()    {}
func (StartForgot) isEvent()       {}
func (RequestCode) isEvent()       {}
func (ResetPassword) isEvent()     {}
func (ChooseStation) isEvent()     {}
func (SubmitTeam) isEvent()        {}
func (Continue) isEvent()          {}
func (Cancel) isEvent()            {}
func (SetAgentState) isEvent()     {}
func (StaySignedIn) isEvent()      {}
func (SignOut) isEvent()           {}
func (SetLanguage) isEvent()       {}
func (Reload) isEvent()            {}
func (ServerChecked) isEvent()     {}
func (Identified) isEvent()        {}
func (SignedIn) isEvent()          {}
func (NotRestored) isEvent()       {}
func (CodeSent) isEvent()          {}
func (ResetDone) isEvent()         {}
func (SessionCreated) isEvent()    {}
func (MeLoaded) isEvent()          {}
func (Failed) isEvent()            {}
func (LinkChanged) isEvent()       {}
func (InactivityWarning) isEvent() {}
func (SessionEnded) isEvent()      {}
func (Expired) isEvent()           {}

// ---- effects: what the core must do -----------------------------------------

// Effect is work for the core (network, keyring, settings). Effects with
// an ID answer with a result event carrying the same ID.
type Effect interface{ isEffect() }

// DoCheckServer: GET /v1/health on URL; save it as the agent's server.
// Answer ServerChecked or Failed.
type DoCheckServer struct {
	ID  uint64
	URL string
}

// DoIdentify: POST /v1/auth/identify. Answer Identified or Failed.
type DoIdentify struct {
	ID    uint64
	Email string
}

// DoLogin: POST /v1/auth/login, keep the tokens (the refresh token in the
// keyring), GET /v1/me, read the remembered station, open the push
// channel. Answer SignedIn or Failed.
type DoLogin struct {
	ID              uint64
	Email, Password string
}

// DoRestore: refresh the saved refresh token, GET /v1/me, read the
// remembered station, open the push channel. Answer SignedIn, NotRestored
// or Failed (e.g. offline: Reload tries again).
type DoRestore struct{ ID uint64 }

// DoSendCode: POST /v1/auth/password/forgot. Answer CodeSent or Failed.
type DoSendCode struct {
	ID    uint64
	Email string
}

// DoReset: POST /v1/auth/password/reset. Answer ResetDone or Failed.
type DoReset struct {
	ID                    uint64
	Email, Code, Password string
}

// DoCreateSession: POST /v1/sessions; on success remember (or forget) the
// station details for Email and run a Keeper. Answer SessionCreated or
// Failed.
type DoCreateSession struct {
	ID       uint64
	Email    string
	Station  api.Station
	TeamID   string
	Takeover bool
	// Remember: save the station and team in the keyring; Forget: delete
	// what was saved. Neither: leave the keyring alone.
	Remember, Forget bool
}

// DoLoadMe: GET /v1/me. Answer MeLoaded or Failed.
type DoLoadMe struct{ ID uint64 }

// DoSignOut: stop the Keeper, end the station session (DELETE
// /v1/sessions/{id}) unless it is already over, log the refresh token out,
// forget it in the keyring, close the push channel. No answer.
type DoSignOut struct{}

// DoRunSession: run a Keeper for the session just created (its statuses
// come back as LinkChanged, InactivityWarning and SessionEnded). No answer.
type DoRunSession struct{ Session api.Session }

// DoSaveLanguage: keep the language in the settings and send it as
// Accept-Language. No answer.
type DoSaveLanguage struct{ Language string }

// DoTouch: the agent is active ("Stay signed in"): tell the Keeper. No
// answer.
type DoTouch struct{}

func (DoCheckServer) isEffect()   {}
func (DoIdentify) isEffect()      {}
func (DoLogin) isEffect()         {}
func (DoRestore) isEffect()       {}
func (DoSendCode) isEffect()      {}
func (DoReset) isEffect()         {}
func (DoCreateSession) isEffect() {}
func (DoLoadMe) isEffect()        {}
func (DoSignOut) isEffect()       {}
func (DoRunSession) isEffect()    {}
func (DoSaveLanguage) isEffect()  {}
func (DoTouch) isEffect()         {}

// Remembered is "Remember my credentials" as read from the keyring.
type Remembered struct {
	Mode, DialNumber, Extension, TeamID string
}
