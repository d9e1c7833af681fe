// Package api is the AgentDesk v1 contract shared by the backend and the
// desktop: request and response bodies, error codes and limits. JSON names are
// snake_case; every string field has a limit enforced by package validate.
package api

import "time"

// Roles a user may hold.
const (
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
)

// Station modes an agent may sign in with.
const (
	StationDialNumber = "dial_number"
	StationExtension  = "extension"
	StationDesktop    = "desktop"
)

// User statuses.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// Queue kinds and chat channels.
const (
	QueueVoice      = "voice"
	QueueChat       = "chat"
	ChannelWebChat  = "webchat"
	ChannelWhatsApp = "whatsapp"
)

// Sign-in methods answered by identify.
const (
	MethodPassword  = "password"
	MethodMicrosoft = "microsoft"
)

// Locales the product speaks.
var Locales = []string{"en", "fr", "pt-BR"}

// Extension is an agent's phone extension. SIPPassword is write-only: the
// server accepts it and never returns it.
type Extension struct {
	Number      string `json:"number"`
	SIPUsername string `json:"sip_username"`
	SIPPassword string `json:"sip_password,omitempty"`
}

// User is an agent, supervisor or admin as the API shows it.
type User struct {
	ID                 string     `json:"id"`
	Email              string     `json:"email"`
	DisplayName        string     `json:"display_name"`
	Locale             string     `json:"locale"`
	Roles              []string   `json:"roles"`
	Status             string     `json:"status"`
	EmailVerified      bool       `json:"email_verified"`
	WebRTCEnabled      bool       `json:"webrtc_enabled"`
	OmnichannelEnabled bool       `json:"omnichannel_enabled"`
	Extension          *Extension `json:"extension,omitempty"`
	DefaultDialNumber  string     `json:"default_dial_number,omitempty"`
	DialNumberLocked   bool       `json:"dial_number_locked"`
	StationModes       []string   `json:"station_modes"`
	TeamIDs            []string   `json:"team_ids"`
	QueueIDs           []string   `json:"queue_ids"`
	PasswordSet        bool       `json:"password_set"`
	ResetRequired      bool       `json:"password_reset_required"`
	Version            int64      `json:"version"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// Device identifies the desktop installation a request comes from.
type Device struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Platform string `json:"platform"`
}

// IdentifyRequest starts sign-in with an email.
type IdentifyRequest struct {
	Email string `json:"email"`
}

// MicrosoftConfig tells the desktop how to run MSAL for a federated tenant.
type MicrosoftConfig struct {
	Authority string   `json:"authority"`
	ClientID  string   `json:"client_id"`
	Scopes    []string `json:"scopes"`
}

// IdentifyResponse is the home-realm discovery answer.
type IdentifyResponse struct {
	Method    string           `json:"method"`
	Microsoft *MicrosoftConfig `json:"microsoft,omitempty"`
}

// LoginRequest signs in with a password.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Device   Device `json:"device"`
}

// MicrosoftLoginRequest signs in with an Entra ID access token.
type MicrosoftLoginRequest struct {
	Token  string `json:"token"`
	Device Device `json:"device"`
}

// TokenResponse answers every successful sign-in or refresh.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	User         User   `json:"user"`
}

// RefreshRequest rotates a refresh token; LogoutRequest revokes one.
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// ForgotPasswordRequest asks for a 6-digit reset code by email.
type ForgotPasswordRequest struct {
	Email string `json:"email"`
}

// ResetPasswordRequest sets a new password with the emailed code.
type ResetPasswordRequest struct {
	Email       string `json:"email"`
	Code        string `json:"code"`
	NewPassword string `json:"new_password"`
}

// ChangePasswordRequest is the signed-in user's own password change.
type ChangePasswordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// Banner is a tenant-wide notice shown on the desktop.
type Banner struct {
	ID       string `json:"id"`
	Severity string `json:"severity"` // info | warning
	Message  string `json:"message"`
	// FeaturesUnavailable marks a banner that says features are down.
	FeaturesUnavailable bool `json:"features_unavailable"`
}

// IdentityProvider is a tenant's sign-in method. With type microsoft, users of
// Domains sign in through Entra ID and password reset is self-managed.
type IdentityProvider struct {
	Type           string   `json:"type"` // password | microsoft
	Domains        []string `json:"domains"`
	EntraTenantIDs []string `json:"entra_tenant_ids"`
	ClientID       string   `json:"client_id"`
	APIScope       string   `json:"api_scope"`
}

// TeamsIntegration is the Microsoft Teams presence integration.
type TeamsIntegration struct {
	Enabled  bool   `json:"enabled"`
	ClientID string `json:"client_id"`
}

// StationPolicy is the tenant-wide station policy.
type StationPolicy struct {
	AllowedModes      []string `json:"allowed_modes"`
	DefaultDialNumber string   `json:"default_dial_number"`
	DialNumberLocked  bool     `json:"dial_number_locked"`
}

// TenantSettings is what an admin edits with GET|PUT /v1/admin/tenant.
type TenantSettings struct {
	ID                       string           `json:"id"`
	Slug                     string           `json:"slug"`
	Name                     string           `json:"name"`
	DefaultLocale            string           `json:"default_locale"`
	IdentityProvider         IdentityProvider `json:"identity_provider"`
	Teams                    TeamsIntegration `json:"teams"`
	AzureSSO                 bool             `json:"azure_sso"`
	StationPolicy            StationPolicy    `json:"station_policy"`
	IllustrationURL          string           `json:"illustration_url"`
	Banners                  []Banner         `json:"banners"`
	InactivityTimeoutMinutes int              `json:"inactivity_timeout_minutes"`
	// HeartbeatSeconds and LeaseSeconds time station sessions (20 s / 60 s
	// by default; the lease is at least twice the heartbeat).
	HeartbeatSeconds int   `json:"heartbeat_seconds"`
	LeaseSeconds     int   `json:"lease_seconds"`
	Version          int64 `json:"version"`
}

// Team groups agents; Queue routes voice or chat work to them.
type Team struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     int64  `json:"version"`
}

// Queue routes voice calls or chats (WebChat, WhatsApp).
type Queue struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Channels []string `json:"channels"`
	Version  int64    `json:"version"`
}

// OmnichannelStatus says whether the desktop can take omnichannel work.
type OmnichannelStatus struct {
	Enabled bool `json:"enabled"`
	// Available is false until the agent is linked to a queue.
	Available bool     `json:"available"`
	Channels  []string `json:"channels"`
}

// SoftphoneSettings configures the Desktop station's WebRTC softphone.
type SoftphoneSettings struct {
	SIPWebSocketURI string      `json:"sip_websocket_uri"`
	SIPDomain       string      `json:"sip_domain"`
	Extension       Extension   `json:"extension"`
	ICEServers      []ICEServer `json:"ice_servers"`
}

// ICEServer is a STUN or TURN server.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// MeTenant is the part of the tenant an agent's desktop needs.
type MeTenant struct {
	ID                       string           `json:"id"`
	Name                     string           `json:"name"`
	StationPolicy            StationPolicy    `json:"station_policy"`
	IllustrationURL          string           `json:"illustration_url"`
	Banners                  []Banner         `json:"banners"`
	Teams                    TeamsIntegration `json:"teams"`
	AzureSSO                 bool             `json:"azure_sso"`
	InactivityTimeoutMinutes int              `json:"inactivity_timeout_minutes"`
}

// MeResponse is everything the desktop needs after sign-in.
type MeResponse struct {
	User         User               `json:"user"`
	Tenant       MeTenant           `json:"tenant"`
	StationModes []string           `json:"station_modes"`
	Teams        []Team             `json:"teams"`
	Queues       []Queue            `json:"queues"`
	Softphone    *SoftphoneSettings `json:"softphone,omitempty"`
	Omnichannel  OmnichannelStatus  `json:"omnichannel"`
	// PushURL is the WebSocket the desktop connects to (with its access
	// token) for session and settings events.
	PushURL string `json:"push_url"`
}

// CreateUserRequest is POST /v1/admin/users.
type CreateUserRequest struct {
	Email              string     `json:"email"`
	DisplayName        string     `json:"display_name"`
	Locale             string     `json:"locale"`
	Roles              []string   `json:"roles"`
	WebRTCEnabled      bool       `json:"webrtc_enabled"`
	OmnichannelEnabled bool       `json:"omnichannel_enabled"`
	Extension          *Extension `json:"extension"`
	DefaultDialNumber  string     `json:"default_dial_number"`
	DialNumberLocked   bool       `json:"dial_number_locked"`
	StationModes       []string   `json:"station_modes"`
	TeamIDs            []string   `json:"team_ids"`
	QueueIDs           []string   `json:"queue_ids"`
}

// UpdateUserRequest is PATCH /v1/admin/users/{id}: absent fields are kept.
// Version must match the stored version (optimistic concurrency). An
// extension with an empty number removes the extension.
type UpdateUserRequest struct {
	Version            int64      `json:"version"`
	ConfirmLogout      bool       `json:"confirm_logout"`
	DisplayName        *string    `json:"display_name"`
	Locale             *string    `json:"locale"`
	Roles              *[]string  `json:"roles"`
	WebRTCEnabled      *bool      `json:"webrtc_enabled"`
	OmnichannelEnabled *bool      `json:"omnichannel_enabled"`
	Extension          *Extension `json:"extension"`
	DefaultDialNumber  *string    `json:"default_dial_number"`
	DialNumberLocked   *bool      `json:"dial_number_locked"`
	StationModes       *[]string  `json:"station_modes"`
	TeamIDs            *[]string  `json:"team_ids"`
	QueueIDs           *[]string  `json:"queue_ids"`
}

// SetPasswordRequest is PUT /v1/admin/users/{id}/password.
type SetPasswordRequest struct {
	Password string `json:"password"`
}

// UserList is a page of users; NextCursor is empty on the last page.
type UserList struct {
	Users      []User `json:"users"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// TeamRequest creates or updates a team (Version on update).
type TeamRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     int64  `json:"version"`
}

// QueueRequest creates or updates a queue (Version on update).
type QueueRequest struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Channels []string `json:"channels"`
	Version  int64    `json:"version"`
}

// TeamList and QueueList list a tenant's teams and queues.
type TeamList struct {
	Teams []Team `json:"teams"`
}

// QueueList lists a tenant's queues.
type QueueList struct {
	Queues []Queue `json:"queues"`
}

// AuditEntry records one admin write. Changes names the fields that changed;
// secrets never appear in it.
type AuditEntry struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id"`
	ActorEmail string    `json:"actor_email"`
	Action     string    `json:"action"`
	TargetType string    `json:"target_type"`
	TargetID   string    `json:"target_id"`
	Changes    []string  `json:"changes"`
	RequestID  string    `json:"request_id"`
}

// AuditList is a page of audit entries, newest first.
type AuditList struct {
	Entries    []AuditEntry `json:"entries"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// Health is GET /v1/health.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}
