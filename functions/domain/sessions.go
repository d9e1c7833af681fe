package domain

import (
	"context"
	"errors"
	"time"

	"github.com/agentdesk/agentdesk/shared/api"
)

// Lease is an agent's one active desktop session. There is one lease item
// per agent; each station login bumps Epoch (a fencing token), and a lease
// is released by expiring it, never by deleting it, so the epoch survives.
type Lease struct {
	TenantID      string
	UserID        string
	SessionID     string
	Epoch         int64
	Device        api.Device
	Station       api.Station
	TeamID        string
	Since         time.Time
	ExpiresAt     time.Time
	LastHeartbeat time.Time
	LastActivity  time.Time
	OnCall        bool
	// RevokedReason is set when the session was ended on purpose.
	RevokedReason string
}

// Live reports whether the lease holds a session at now.
func (l *Lease) Live(now time.Time) bool {
	return l != nil && l.RevokedReason == "" && now.Before(l.ExpiresAt)
}

// DialClaim asks for a dial number together with a lease. Holder is the
// guard's current owner as read (nil when free), which must still be dead
// (lease moved on or lapsed) when the claim commits.
type DialClaim struct {
	Number string
	Holder *DialGuard
}

// DialGuard says which session uses a dial number in a tenant.
type DialGuard struct {
	Number string
	UserID string
	Epoch  int64
}

// Session store errors.
var (
	ErrLeaseMoved = errors.New("lease changed since it was read")
	ErrDialTaken  = errors.New("dial number held by a live session")
)

// LeaseStore persists leases and dial-number guards.
type LeaseStore interface {
	GetLease(ctx context.Context, tenantID, userID string) (*Lease, error)
	// AcquireLease writes next if the stored epoch is still prevEpoch (0:
	// no lease yet), and claims dial atomically with it. ErrLeaseMoved or
	// ErrDialTaken when a condition fails; nothing is written then.
	AcquireLease(ctx context.Context, next *Lease, prevEpoch int64, dial *DialClaim) error
	DialHolder(ctx context.Context, tenantID, number string) (*DialGuard, error)
	// Heartbeat renews a live lease of session id at epoch: exactly one
	// write. On a failed condition it returns ErrConflict and the lease as
	// it stands (nil when absent).
	Heartbeat(ctx context.Context, tenantID, userID, sessionID string, epoch int64, now, expires, lastActivity time.Time, onCall bool) (*Lease, error)
	// EndLease expires the lease with a reason: for one session (sessionID
	// set) or whatever session is live (sessionID empty). It returns the
	// lease as it was, or ErrConflict when there was nothing to end.
	EndLease(ctx context.Context, tenantID, userID, sessionID string, epoch int64, reason string, now time.Time) (*Lease, error)
	ListLeases(ctx context.Context, tenantID string) ([]*Lease, error)
}

// Notifier pushes events to a user's (or a whole tenant's) desktops.
type Notifier interface {
	Notify(ctx context.Context, tenantID, userID string, ev api.PushEvent) error
	NotifyTenant(ctx context.Context, tenantID string, ev api.PushEvent) error
}

// Reasons a session ends, beyond the revocations.
const (
	EndSignedOut = "signed_out"
	EndExpired   = "expired"
)
