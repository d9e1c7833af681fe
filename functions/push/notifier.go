package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
)

// DefaultConcurrency bounds the posts one Notify runs at once.
const DefaultConcurrency = 32

// Notifier implements domain.Notifier over the stored connections and the
// management API. Connections that answer Gone are deleted; other failures
// are logged with the connection id and reported, and never stop the
// delivery to the others.
type Notifier struct {
	Store       domain.ConnectionStore
	API         Management
	Log         *slog.Logger
	Clock       func() time.Time
	Concurrency int
}

var _ domain.Notifier = (*Notifier)(nil)

// NewNotifier wires a Notifier with the real clock.
func NewNotifier(store domain.ConnectionStore, m Management, log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.Default()
	}
	return &Notifier{Store: store, API: m, Log: log, Clock: time.Now, Concurrency: DefaultConcurrency}
}

// Notify sends ev to every open connection of one user.
func (n *Notifier) Notify(ctx context.Context, tenantID, userID string, ev api.PushEvent) error {
	conns, err := n.Store.ListConnectionsByUser(ctx, tenantID, userID, n.Clock())
	if err != nil {
		return fmt.Errorf("push: list connections: %w", err)
	}
	return n.send(ctx, conns, ev)
}

// NotifyTenant sends ev to every open connection of a tenant.
func (n *Notifier) NotifyTenant(ctx context.Context, tenantID string, ev api.PushEvent) error {
	conns, err := n.Store.ListConnectionsByTenant(ctx, tenantID, n.Clock())
	if err != nil {
		return fmt.Errorf("push: list connections: %w", err)
	}
	return n.send(ctx, conns, ev)
}

// Disconnect closes every open connection of a user (API Gateway then runs
// $disconnect, which forgets them).
func (n *Notifier) Disconnect(ctx context.Context, tenantID, userID string) error {
	conns, err := n.Store.ListConnectionsByUser(ctx, tenantID, userID, n.Clock())
	if err != nil {
		return fmt.Errorf("push: list connections: %w", err)
	}
	return n.each(ctx, conns, "disconnect", func(ctx context.Context, c *domain.Connection) error {
		return n.API.DeleteConnection(ctx, c.ID)
	})
}

func (n *Notifier) send(ctx context.Context, conns []*domain.Connection, ev api.PushEvent) error {
	if len(conns) == 0 {
		return nil
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return n.each(ctx, conns, ev.Type, func(ctx context.Context, c *domain.Connection) error {
		return n.API.PostToConnection(ctx, c.ID, data)
	})
}

// each runs call for every connection, at most Concurrency at a time,
// prunes the ones that are gone and reports how many failed otherwise.
func (n *Notifier) each(ctx context.Context, conns []*domain.Connection, what string, call func(context.Context, *domain.Connection) error) error {
	if len(conns) == 0 {
		return nil
	}
	start := time.Now()
	limit := n.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	sem := make(chan struct{}, limit)
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		gone, fail int
		firstErr   error
	)
	for _, c := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := call(ctx, c)
			if errors.Is(err, ErrGone) {
				// Closed without $disconnect (or $disconnect not yet run).
				if derr := n.Store.DeleteConnection(ctx, c.ID); derr != nil {
					n.Log.WarnContext(ctx, "push prune", "connection_id", c.ID, "err", derr)
				}
				mu.Lock()
				gone++
				mu.Unlock()
				return
			}
			if err != nil {
				n.Log.WarnContext(ctx, "push delivery failed", "event", what, "connection_id", c.ID, "user_id", c.UserID, "err", err)
				mu.Lock()
				fail++
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	n.Log.InfoContext(ctx, "push sent", "event", what, "connections", len(conns), "gone", gone, "failed", fail,
		"duration_ms", time.Since(start).Milliseconds())
	if fail > 0 {
		return fmt.Errorf("push: %s failed for %d of %d connections: %w", what, fail, len(conns), firstErr)
	}
	return nil
}
