package domain

import (
	"crypto/rand"
	"encoding/base32"
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/shared/api"
)

// Tenant is a customer organisation; its settings are the API shape.
type Tenant struct {
	api.TenantSettings
	CreatedAt time.Time
}

// User is a person of a tenant with the secrets the API never shows.
type User struct {
	ID                 string
	TenantID           string
	Email              string
	DisplayName        string
	Locale             string
	Roles              []string
	Status             string
	EmailVerified      bool
	WebRTCEnabled      bool
	OmnichannelEnabled bool
	Extension          *Extension
	DefaultDialNumber  string
	DialNumberLocked   bool
	StationModes       []string
	TeamIDs            []string
	QueueIDs           []string
	// PasswordHash is an argon2id PHC string; empty until the user sets one.
	PasswordHash string
	// ResetRequired: the old password no longer signs in (admin reset).
	ResetRequired bool
	// TokenGeneration invalidates every token issued before it changed.
	TokenGeneration int64
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Extension holds the SIP password sealed (AES-GCM); only the agent's own
// softphone settings ever open it.
type Extension struct {
	Number            string
	SIPUsername       string
	SIPPasswordSealed string
}

// HasRole reports whether the user holds role.
func (u *User) HasRole(role string) bool { return slices.Contains(u.Roles, role) }

// Public is the user as the API shows it: no hashes, no SIP password.
func (u *User) Public() api.User {
	out := api.User{
		ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Locale: u.Locale,
		Roles: nonNil(u.Roles), Status: u.Status, EmailVerified: u.EmailVerified,
		WebRTCEnabled: u.WebRTCEnabled, OmnichannelEnabled: u.OmnichannelEnabled,
		DefaultDialNumber: u.DefaultDialNumber, DialNumberLocked: u.DialNumberLocked,
		StationModes: nonNil(u.StationModes), TeamIDs: nonNil(u.TeamIDs), QueueIDs: nonNil(u.QueueIDs),
		PasswordSet: u.PasswordHash != "", ResetRequired: u.ResetRequired,
		Version: u.Version, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
	if u.Extension != nil {
		out.Extension = &api.Extension{Number: u.Extension.Number, SIPUsername: u.Extension.SIPUsername}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Team and Queue are stored as their API shapes plus the tenant.
type Team struct {
	api.Team
	TenantID string
}

// Queue is a voice or chat queue of a tenant.
type Queue struct {
	api.Queue
	TenantID string
}

// Email templates the outbox carries.
const (
	MailInvitation        = "invitation"
	MailResetLink         = "reset_link"
	MailExtensionAssigned = "extension_assigned"
	MailPasswordChanged   = "password_changed"
	MailVerifyEmail       = "verify_email"
	MailEmailVerified     = "email_verified"
	MailResetCode         = "reset_code"
)

// MailTemplates lists every template; the catalog test requires each in
// every locale.
var MailTemplates = []string{
	MailInvitation, MailResetLink, MailExtensionAssigned, MailPasswordChanged,
	MailVerifyEmail, MailEmailVerified, MailResetCode,
}

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxSending = "sending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
)

// OutboxMessage is one email to send, written in the same transaction as the
// change that causes it. Data fills the template: tenant_name, display_name,
// link, code, extension, expires_hours ... It is cleared once sent.
type OutboxMessage struct {
	ID            string
	TenantID      string
	UserID        string
	To            string
	Locale        string
	Template      string
	Data          map[string]string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        time.Time
}

// Audit is one recorded admin write.
type Audit struct {
	api.AuditEntry
	TenantID string
}

// Link kinds carried by emailed links.
const (
	LinkSetPassword = "set_password"
	LinkVerifyEmail = "verify_email"
)

// Link is a single-use emailed link; only a hash of its token is stored.
type Link struct {
	TokenHash string
	Kind      string
	TenantID  string
	UserID    string
	ExpiresAt time.Time
	UsedAt    time.Time
}

// NewID returns a random id with a readable prefix (usr_, tnt_, team_ ...).
func NewID(prefix string) string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + "_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
