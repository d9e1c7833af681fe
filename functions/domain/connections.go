package domain

import (
	"context"
	"time"
)

// ConnectionMaxAge is how long a push connection can live: API Gateway
// closes WebSocket connections after two hours, so a stored connection
// older than that is dead whether or not $disconnect ran.
const ConnectionMaxAge = 2 * time.Hour

// Connection is one open push WebSocket of a signed-in user.
type Connection struct {
	ID          string // API Gateway's connectionId
	TenantID    string
	UserID      string
	DeviceID    string // optional, as the desktop named itself
	ConnectedAt time.Time
	ExpiresAt   time.Time
}

// Live reports whether the connection can still be open at now.
func (c *Connection) Live(now time.Time) bool { return c != nil && now.Before(c.ExpiresAt) }

// ConnectionStore keeps the open push connections. Lists leave out
// connections that have expired.
type ConnectionStore interface {
	PutConnection(ctx context.Context, c *Connection) error
	// DeleteConnection forgets a connection by id; deleting an unknown id
	// is not an error.
	DeleteConnection(ctx context.Context, id string) error
	ListConnectionsByUser(ctx context.Context, tenantID, userID string, now time.Time) ([]*Connection, error)
	ListConnectionsByTenant(ctx context.Context, tenantID string, now time.Time) ([]*Connection, error)
}
