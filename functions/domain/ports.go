package domain

import (
	"context"
	"time"
)

// Batch is a unit of work the store commits atomically (one DynamoDB
// transaction): a change, its outbox emails, its links and its audit entry
// land together or not at all.
type Batch struct {
	Ops []Op
}

// Op is one write in a Batch; the store knows each concrete type.
type Op interface{ op() }

// The operations a Batch can hold. Version conditions are optimistic
// concurrency: the write fails with ErrVersion when the stored version moved.
type (
	CreateTenant struct{ Tenant *Tenant }
	UpdateTenant struct {
		Tenant      *Tenant
		PrevVersion int64
	}
	CreateUser struct{ User *User } // also claims the email guard
	UpdateUser struct {
		User        *User
		PrevVersion int64
	}
	PutTeam struct {
		Team        *Team
		PrevVersion int64 // 0: create
	}
	DeleteTeam struct {
		TenantID, ID string
		PrevVersion  int64
	}
	PutQueue struct {
		Queue       *Queue
		PrevVersion int64 // 0: create
	}
	DeleteQueue struct {
		TenantID, ID string
		PrevVersion  int64
	}
	// ClaimDomain maps an email domain to a federated tenant; ReleaseDomain
	// removes the mapping.
	ClaimDomain   struct{ Domain, TenantID string }
	ReleaseDomain struct{ Domain, TenantID string }
	PutOutbox     struct{ Message *OutboxMessage }
	PutLink       struct{ Link *Link }
	// UseLink marks a link used; it fails with ErrAlreadyUsed when it was.
	UseLink struct {
		TokenHash string
		At        time.Time
	}
	PutAudit struct{ Entry *Audit }
	// PutCode stores (replacing) a reset code; DeleteCode consumes one (it
	// must still hold Hash).
	PutCode    struct{ Code *ResetCode }
	DeleteCode struct{ Email, Hash string }
)

func (CreateTenant) op()  {}
func (UpdateTenant) op()  {}
func (CreateUser) op()    {}
func (UpdateUser) op()    {}
func (PutTeam) op()       {}
func (DeleteTeam) op()    {}
func (PutQueue) op()      {}
func (DeleteQueue) op()   {}
func (ClaimDomain) op()   {}
func (ReleaseDomain) op() {}
func (PutOutbox) op()     {}
func (PutLink) op()       {}
func (UseLink) op()       {}
func (PutAudit) op()      {}
func (DeleteCode) op()    {}
func (PutCode) op()       {}

// Add appends operations.
func (b *Batch) Add(ops ...Op) { b.Ops = append(b.Ops, ops...) }

// UserPage is a page of users.
type UserPage struct {
	Users      []*User
	NextCursor string
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	TargetID string
	From, To time.Time
	Cursor   string
	Limit    int
}

// RefreshToken is stored only by the SHA-256 of its value.
type RefreshToken struct {
	Hash      string
	Family    string
	TenantID  string
	UserID    string
	Device    string
	Gen       int64 // the user's TokenGeneration when issued
	ExpiresAt time.Time
	UsedAt    time.Time
}

// ResetCode is a forgot-password code, stored as an HMAC.
type ResetCode struct {
	Email     string
	Hash      string
	Attempts  int
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Sessions is the hook into desktop sessions (station login): the admin
// service asks whether an agent is signed in before an edit that logs them
// out, and every revoking change (confirmed edit, disable, password reset or
// change, forced logout) ends their sessions with a reason.
type Sessions interface {
	ActiveSession(ctx context.Context, tenantID, userID string) (bool, error)
	RevokeUser(ctx context.Context, tenantID, userID, reason string) error
}

// Revocation reasons pushed to the desktop.
const (
	RevokeAdminEdit      = "admin_edit"
	RevokeAdminLogout    = "admin_logout"
	RevokeDisabled       = "account_disabled"
	RevokePasswordReset  = "password_reset"
	RevokePasswordChange = "password_changed"
	RevokeInactivity     = "inactivity"
)

// Store is the persistence port. Reads return ErrNotFound; Commit returns
// ErrEmailTaken, ErrVersion, ErrAlreadyUsed or ErrConflict when a condition
// fails, and nothing is written.
type Store interface {
	Commit(ctx context.Context, b *Batch) error

	GetTenant(ctx context.Context, id string) (*Tenant, error)
	GetTenantBySlug(ctx context.Context, slug string) (*Tenant, error)
	// TenantForDomain answers the tenant that federates an email domain.
	TenantForDomain(ctx context.Context, domain string) (string, error)

	GetUser(ctx context.Context, tenantID, id string) (*User, error)
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	ListUsers(ctx context.Context, tenantID, search, cursor string, limit int) (UserPage, error)

	GetTeam(ctx context.Context, tenantID, id string) (*Team, error)
	ListTeams(ctx context.Context, tenantID string) ([]*Team, error)
	GetQueue(ctx context.Context, tenantID, id string) (*Queue, error)
	ListQueues(ctx context.Context, tenantID string) ([]*Queue, error)

	GetLink(ctx context.Context, tokenHash string) (*Link, error)
	ListAudit(ctx context.Context, tenantID string, f AuditFilter) ([]*Audit, string, error)

	// Login throttling, keyed by normalised email whether or not an account
	// exists (so the lockout reveals nothing).
	LoginFailures(ctx context.Context, email string) (count int, lockedUntil time.Time, err error)
	RecordLoginFailure(ctx context.Context, email string, now time.Time, lockFor func(count int) time.Duration) (count int, lockedUntil time.Time, err error)
	ClearLoginFailures(ctx context.Context, email string) error

	PutRefreshToken(ctx context.Context, t *RefreshToken) error
	GetRefreshToken(ctx context.Context, hash string) (*RefreshToken, error)
	// RotateRefreshToken marks old used and stores next, atomically; it fails
	// with ErrAlreadyUsed when old was used already (a replay).
	RotateRefreshToken(ctx context.Context, oldHash string, at time.Time, next *RefreshToken) error
	RevokeFamily(ctx context.Context, family string, at time.Time) error
	FamilyRevoked(ctx context.Context, family string) (bool, error)
	DeleteRefreshToken(ctx context.Context, hash string) error

	GetResetCode(ctx context.Context, email string) (*ResetCode, error)
	// CountCodeAttempt adds one failed try and returns the new count.
	CountCodeAttempt(ctx context.Context, email string) (int, error)
}

// OutboxStore is what the mailer needs.
type OutboxStore interface {
	GetOutbox(ctx context.Context, id string) (*OutboxMessage, error)
	// ClaimOutbox moves a due pending message to sending until now+lease;
	// ok is false when someone else holds it or it is not due or sent.
	ClaimOutbox(ctx context.Context, id string, now time.Time, lease time.Duration) (msg *OutboxMessage, ok bool, err error)
	// MarkSent records delivery and clears the message data (links, codes).
	MarkSent(ctx context.Context, id string, now time.Time) error
	// ReleaseOutbox returns a claimed message to pending (due at next) or,
	// when final, marks it failed.
	ReleaseOutbox(ctx context.Context, id string, attempts int, next time.Time, lastErr string, final bool) error
	// DueOutbox lists pending messages due by now, oldest first, and sending
	// ones whose claim lapsed.
	DueOutbox(ctx context.Context, now time.Time, limit int) ([]*OutboxMessage, error)
}
