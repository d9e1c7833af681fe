// Package admin holds the tenant administration rules (Smartspace-style
// provisioning): users, teams, queues, tenant settings and the audit log.
// Every write is audited in the same transaction as the change.
package admin

import (
	"context"
	"log/slog"
	"time"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
)

// Service runs admin operations, always inside the caller's tenant.
type Service struct {
	Store    domain.Store
	Auth     *auth.Service   // mails, links, passwords, commit, sessions hook
	Notifier domain.Notifier // may be nil
	Log      *slog.Logger
	Clock    func() time.Time
}

// New wires a Service.
func New(a *auth.Service, log *slog.Logger) *Service {
	return &Service{Store: a.Store, Auth: a, Log: log, Clock: a.Clock}
}

func (s *Service) now() time.Time { return s.Clock().UTC() }

// Actor is the admin making a change.
type Actor struct {
	User      *domain.User
	RequestID string
}

// requireAdmin answers 403 to anyone without the admin role.
func requireAdmin(a Actor) error {
	if a.User == nil || !a.User.HasRole(api.RoleAdmin) {
		return domain.E(api.CodeForbidden)
	}
	return nil
}

func (s *Service) audit(a Actor, action, targetType, targetID string, changes []string) domain.PutAudit {
	if changes == nil {
		changes = []string{}
	}
	return domain.PutAudit{Entry: &domain.Audit{TenantID: a.User.TenantID, AuditEntry: api.AuditEntry{
		ID: domain.NewID("aud"), At: s.now(), ActorID: a.User.ID, ActorEmail: a.User.Email, Action: action,
		TargetType: targetType, TargetID: targetID, Changes: changes, RequestID: a.RequestID,
	}}}
}

func (s *Service) tenant(ctx context.Context, a Actor) (*domain.Tenant, error) {
	t, err := s.Store.GetTenant(ctx, a.User.TenantID)
	return t, auth.StoreErr(err)
}

// user reads a user of the actor's tenant; other tenants' ids are 404.
func (s *Service) user(ctx context.Context, a Actor, id string) (*domain.User, error) {
	if id == "" || len(id) > 64 {
		return nil, domain.E(api.CodeNotFound)
	}
	u, err := s.Store.GetUser(ctx, a.User.TenantID, id)
	return u, auth.StoreErr(err)
}

// target is what an action on one user needs: the admin check, the
// tenant and the user (404 for another tenant's).
func (s *Service) target(ctx context.Context, a Actor, id string) (*domain.Tenant, *domain.User, error) {
	if err := requireAdmin(a); err != nil {
		return nil, nil, err
	}
	t, err := s.tenant(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.user(ctx, a, id)
	return t, u, err
}

// ListAudit reads the tenant's audit log.
func (s *Service) ListAudit(ctx context.Context, a Actor, f domain.AuditFilter) (*api.AuditList, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	entries, next, err := s.Store.ListAudit(ctx, a.User.TenantID, f)
	if err != nil {
		return nil, err
	}
	out := &api.AuditList{Entries: make([]api.AuditEntry, 0, len(entries)), NextCursor: next}
	for _, e := range entries {
		out.Entries = append(out.Entries, e.AuditEntry)
	}
	return out, nil
}
