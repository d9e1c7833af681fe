// Package view is the contract between the desktop's Go side and its web
// frontend: the Go side owns the sign-in state machine and the session,
// and hands the frontend one State to render after every call and on the
// "view" event whenever something changes by itself (a push event, a lost
// connection, the inactivity warning). The frontend never decides a
// transition; it calls a bound method and renders what comes back.
package view

import "time"

// Steps of the wizard and the signed-in app.
const (
	StepLoading     = "loading"      // resolving the server, restoring a session
	StepServer      = "server"       // "enter the URL your administrator gave you"
	StepEmail       = "email"        // email, then Sign in
	StepPassword    = "password"     // password (Alt/Cmd+Left goes back)
	StepMicrosoft   = "microsoft"    // reserved for the Entra ID issue
	StepTeamsSignIn = "teams_signin" // reserved for the Entra ID issue (optional Teams)
	StepForgotEmail = "forgot_email" // ask for a code
	StepForgotCode  = "forgot_code"  // 6-digit code + new password
	StepForgotDone  = "forgot_done"  // success, back to sign-in
	StepStation     = "station"      // Dial Number / Extension / Desktop
	StepTeam        = "team"         // team picker with search, Submit
	StepTakeover    = "takeover"     // signed in elsewhere: Continue / Cancel
	StepTasks       = "tasks"        // the Tasks page
)

// Modals over the Tasks page.
const (
	ModalNone       = ""
	ModalTakenOver  = "taken_over" // "You signed in on another device": Continue / Sign out
	ModalInactivity = "inactivity" // one minute before the timeout: Stay signed in / Sign out
)

// Notices are one-line messages the frontend localises by key.
const (
	NoticeNone                = ""
	NoticeCredentialsNotSaved = "credentials_not_saved" // keyring unavailable
	NoticeCredentialsSaved    = "credentials_saved"
	NoticeCodeSent            = "code_sent"
	NoticeSignedOut           = "signed_out" // Reason says why (session_revoked reasons)
	NoticeSessionExpired      = "session_expired"
)

// State is everything the frontend renders.
type State struct {
	// Seq grows with every change: a "view" event older than the state
	// the frontend already has (Seq lower) is stale and can be dropped.
	Seq      uint64 `json:"seq"`
	Step     string `json:"step"`
	Busy     bool   `json:"busy"`
	Error    *Error `json:"error,omitempty"`
	Notice   string `json:"notice,omitempty"`
	Reason   string `json:"reason,omitempty"` // with NoticeSignedOut
	Server   string `json:"server"`
	Email    string `json:"email"`
	Language string `json:"language"` // en | fr | pt-BR
	Platform string `json:"platform"` // windows | darwin | linux (Cmd+Left on darwin)
	Version  string `json:"version"`

	Station  *Station          `json:"station,omitempty"`
	Teams    []Team            `json:"teams,omitempty"`
	TeamID   string            `json:"team_id,omitempty"`
	Holder   *Holder           `json:"holder,omitempty"` // StepTakeover and ModalTakenOver
	Tasks    *Tasks            `json:"tasks,omitempty"`
	Modal    string            `json:"modal,omitempty"`
	Deadline time.Time         `json:"deadline,omitempty"` // ModalInactivity: when the session ends
	Link     ConnectivityState `json:"link"`
	// Phone is the Desktop station's softphone (nil on the other stations
	// and while signed out).
	Phone *Phone `json:"phone,omitempty"`
}

// ConnectivityState is the signed-in app's connection to the backend.
type ConnectivityState struct {
	Reconnecting bool      `json:"reconnecting"`
	RetryAt      time.Time `json:"retry_at,omitempty"`
}

// Error is a failure the frontend explains by Code (an API problem code, or
// network_error, server_unreachable, not_agentdesk, keyring_unavailable,
// invalid_url ...) and offers Details to copy for the admin.
//
// Codes the desktop adds to the API's: invalid_url, server_unreachable,
// not_agentdesk (the server step), network_error (no answer),
// bad_response (an answer that could not be read), required (an empty
// sign-in password or team), microsoft_unavailable (StepMicrosoft until
// the Entra ID issue: "Microsoft sign-in is not available yet"),
// keyring_unavailable, unexpected. Other empty inputs get the code of an
// invalid one (invalid_email, invalid_code, weak_password with Reason
// too_short, invalid_dial_number, invalid_extension).
//
// Field is one of server, email, password, code, new_password (the code
// step), mode, dial_number, extension, team, agent_state; or "" when the
// error is not about one input.
type Error struct {
	Code       string   `json:"code"`
	Field      string   `json:"field,omitempty"`
	RetryAfter int      `json:"retry_after,omitempty"` // seconds (too_many_attempts)
	Reason     string   `json:"reason,omitempty"`      // password policy reason, revocation reason
	Details    *Details `json:"details,omitempty"`
}

// Details is the "copy for your administrator" panel.
type Details struct {
	What       string    `json:"what"` // e.g. "POST /v1/sessions"
	Status     int       `json:"status,omitempty"`
	Code       string    `json:"code,omitempty"`
	Message    string    `json:"message,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	Time       time.Time `json:"time"`
	AppVersion string    `json:"app_version"`
	Server     string    `json:"server"`
}

// Station is the station step: what /v1/me allows and what is chosen.
type Station struct {
	Modes             []string `json:"modes"` // dial_number | extension | desktop
	Mode              string   `json:"mode"`
	DialNumber        string   `json:"dial_number"`
	Extension         string   `json:"extension"`
	DefaultDialNumber string   `json:"default_dial_number"`
	Locked            bool     `json:"locked"` // dial number read-only
	Remember          bool     `json:"remember"`
}

// Team is a team the agent may sign in to.
type Team struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Holder is the other device holding the agent's session.
type Holder struct {
	DeviceName string    `json:"device_name"`
	Platform   string    `json:"platform"`
	Since      time.Time `json:"since"`
	OnCall     bool      `json:"on_call"`
}

// Tasks is the signed-in Tasks page.
type Tasks struct {
	AgentName            string   `json:"agent_name"`
	TenantName           string   `json:"tenant_name"`
	Illustration         string   `json:"illustration"` // URL, or "" for a blank background
	AgentState           string   `json:"agent_state"`  // available | idle
	IdleReason           string   `json:"idle_reason"`  // break | lunch | meeting | training
	Station              Station  `json:"station"`
	TeamName             string   `json:"team_name"`
	Queues               []Queue  `json:"queues"`
	OmnichannelEnabled   bool     `json:"omnichannel_enabled"`
	OmnichannelAvailable bool     `json:"omnichannel_available"`
	Banners              []Banner `json:"banners"`
}

// Queue is one of the agent's queues.
type Queue struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Channels []string `json:"channels"`
}

// Banner is a tenant notice; FeaturesUnavailable ones say features are down.
type Banner struct {
	ID                  string `json:"id"`
	Severity            string `json:"severity"`
	Message             string `json:"message"`
	FeaturesUnavailable bool   `json:"features_unavailable"`
}

// Registration states of the softphone. The profile icon carries a "voice
// disconnected" mark whenever it is not PhoneRegistered.
const (
	PhoneRegistering  = "registering"
	PhoneRegistered   = "registered"
	PhoneReconnecting = "reconnecting" // lost; retrying with backoff
	PhoneFailed       = "failed"       // PhoneReason says why; no retry follows
)

// Reasons of PhoneFailed.
const (
	PhoneReasonAuth          = "auth"           // the extension's SIP credentials are refused
	PhoneReasonUnreachable   = "unreachable"    // the SIP server does not answer
	PhoneReasonNotConfigured = "not_configured" // /v1/me has no softphone settings
	PhoneReasonError         = "error"          // anything else (Detail)
)

// Call states (PhoneCall.State).
const (
	CallRinging    = "ringing" // incoming: Answer / Decline
	CallCalling    = "calling" // outgoing, not answered yet
	CallInCall     = "in_call"
	CallHeld       = "held"        // we hold it (Resume)
	CallRemoteHeld = "remote_held" // the other party holds it
)

// Phone is the Desktop station's softphone.
type Phone struct {
	Registration string     `json:"registration"` // Phone* above
	Reason       string     `json:"reason,omitempty"`
	Detail       string     `json:"detail,omitempty"` // the failure as text, for the admin
	Extension    string     `json:"extension,omitempty"`
	Call         *PhoneCall `json:"call,omitempty"`
	// Error is the last call action that failed (dial, answer, hold,
	// resume, dtmf, transfer, devices), cleared by the next one that
	// works; or a device that did not open in the call (microphone: the
	// other party hears silence; speaker: nothing is heard), cleared when
	// the call ends.
	Error   *PhoneError  `json:"error,omitempty"`
	Devices AudioDevices `json:"devices"`
}

// PhoneError is a failed call action: Action is dial | answer | decline |
// hangup | hold | resume | mute | dtmf | transfer | devices, or a device
// that did not open: microphone | speaker | audio (both).
type PhoneError struct {
	Action string `json:"action"`
	Detail string `json:"detail,omitempty"`
}

// PhoneCall is the softphone's one call.
type PhoneCall struct {
	ID         string     `json:"id"`
	Direction  string     `json:"direction"` // incoming | outgoing
	Remote     string     `json:"remote"`    // the other party: number or SIP URI
	State      string     `json:"state"`     // Call* above
	Muted      bool       `json:"muted"`
	AnsweredAt time.Time  `json:"answered_at,omitempty"` // zero until in_call (the call timer)
	Stats      *CallStats `json:"stats,omitempty"`       // refreshed every 2 s in a call
}

// CallStats is the call's live quality.
type CallStats struct {
	RTTMs    float64 `json:"rtt_ms"`
	JitterMs float64 `json:"jitter_ms"`
	LossPct  float64 `json:"loss_pct"`
	MOS      float64 `json:"mos"` // 1..4.5; 0 = not known yet
	Codec    string  `json:"codec"`
}

// AudioDevices are the machine's microphones and speakers and the agent's
// choice (device IDs; "" = the system default).
type AudioDevices struct {
	Microphones []AudioDevice `json:"microphones"`
	Speakers    []AudioDevice `json:"speakers"`
	Choice      AudioChoice   `json:"choice"`
}

// AudioDevice is one microphone or speaker.
type AudioDevice struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Default bool   `json:"default"`
}

// AudioChoice is the chosen microphone, speaker and ringtone device.
type AudioChoice struct {
	Microphone string `json:"microphone"`
	Speaker    string `json:"speaker"`
	Ringtone   string `json:"ringtone"`
}

// The bound methods (desktop/app.go) each return the new State:
//
//	Init() State                      resolve server (flag, env, config file, saved), restore session
//	SetServer(url string) State       checked against /v1/health
//	ChangeServer() State              back to StepServer
//	SubmitEmail(email string) State   identify
//	Back() State                      Alt+Left / Cmd+Left / the "change email" link
//	SubmitPassword(pw string) State   login, then /v1/me -> StepStation (or StepTasks when restoring)
//	StartForgot() State               StepForgotEmail (email prefilled)
//	RequestCode(email string) State   -> StepForgotCode, NoticeCodeSent
//	ResetPassword(code, pw string) State -> StepForgotDone
//	PasswordProblem(pw string) string the policy reason as the agent types ("" when fine)
//	ChooseStation(mode, dialNumber, extension string, remember bool) State -> StepTeam
//	NormalizeDialNumber(s string) string as the server does (pasted numbers)
//	SubmitTeam(teamID string) State   creates the session -> StepTasks or StepTakeover
//	Continue() State                  take over (StepTakeover or ModalTakenOver)
//	Cancel() State                    back to StepTeam
//	SetAgentState(state, reason string) State
//	StaySignedIn() State              closes ModalInactivity
//	Activity()                        the agent did something (throttled by the frontend)
//	SignOut() State                   -> StepEmail
//	SetLanguage(lang string) State
//	Reload() State                    reload /v1/me (clears banners' stale state, retries a failed load)
//	DetailsText() string              the Error.Details as text to copy
//
// The softphone's (desktop/phone.go), on the Desktop station:
//
//	Dial(to string) State             outgoing call from the dialpad
//	Answer() State                    the ringing call
//	Decline() State                   the ringing call (603)
//	Hangup() State                    CANCEL while an outgoing call is not answered
//	SetMuted(muted bool) State
//	Hold() State                      re-INVITE a=sendonly
//	Resume() State
//	SendDTMF(digits string) State     0-9 * # A-D
//	Transfer(to string) State         blind transfer; the call ends when accepted
//	AudioDevices() State              lists the devices again
//	SetAudioDevices(mic, speaker, ringtone string) State  saved in devices.json
