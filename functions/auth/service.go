package auth

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/keys"
	"github.com/agentdesk/agentdesk/shared/api"
)

// Policy holds the security numbers (DESIGN.md).
type Policy struct {
	AccessTTL       time.Duration // short-lived access token
	RefreshTTL      time.Duration
	LinkTTL         time.Duration // emailed links
	CodeTTL         time.Duration // forgot-password code
	CodeResend      time.Duration // no new code for the same email sooner than this
	MaxCodeAttempts int
	LockAfter       int           // failures before the first lock
	LockBase        time.Duration // first lock; doubles per further failure
	LockMax         time.Duration
	Hash            HashParams
}

// DefaultPolicy meets ASVS 5 / NIST 800-63B / Cognito-style numbers.
var DefaultPolicy = Policy{
	AccessTTL: 15 * time.Minute, RefreshTTL: 30 * 24 * time.Hour, LinkTTL: 72 * time.Hour,
	CodeTTL: 10 * time.Minute, CodeResend: 30 * time.Second, MaxCodeAttempts: 5,
	LockAfter: 5, LockBase: 5 * time.Second, LockMax: 15 * time.Minute, Hash: DefaultHashParams,
}

// LockFor is the lock after count consecutive failures: none below
// LockAfter, then LockBase doubling per failure, capped at LockMax.
func (p Policy) LockFor(count int) time.Duration {
	if count < p.LockAfter {
		return 0
	}
	d := p.LockBase
	for i := p.LockAfter; i < count && d < p.LockMax; i++ {
		d *= 2
	}
	return min(d, p.LockMax)
}

// Service runs the identity flows.
type Service struct {
	Store    domain.Store
	Keys     *keys.Keys
	Policy   Policy
	Clock    func() time.Time
	Log      *slog.Logger
	Sessions domain.Sessions // may be nil until station sessions exist
	// BaseURL prefixes emailed links (the public API URL). When empty, the
	// URL the request came in on is used (see WithRequestURL).
	BaseURL string
	// OnOutbox is called after a commit that queued email (the local stack
	// wakes its mailer; in AWS the stream does it).
	OnOutbox func()
	// dummyHash equalises the cost of unknown-account sign-ins; made once.
	dummyOnce sync.Once
	dummyHash string
}

// NewService wires a Service with defaults.
func NewService(store domain.Store, k *keys.Keys, baseURL string, log *slog.Logger) *Service {
	s := &Service{Store: store, Keys: k, Policy: DefaultPolicy, Clock: time.Now, Log: log, BaseURL: baseURL}
	return s
}

func (s *Service) now() time.Time { return s.Clock().UTC() }

func (s *Service) dummy() string {
	s.dummyOnce.Do(func() {
		s.dummyHash, _ = HashPassword("agentdesk-timing-equaliser", s.Policy.Hash)
	})
	return s.dummyHash
}

// Commit writes a batch and nudges the mailer when it queued email.
func (s *Service) Commit(ctx context.Context, b *domain.Batch) error {
	if err := s.Store.Commit(ctx, b); err != nil {
		return err
	}
	if s.OnOutbox != nil {
		for _, op := range b.Ops {
			if _, ok := op.(domain.PutOutbox); ok {
				s.OnOutbox()
				break
			}
		}
	}
	return nil
}

// Mail builds an outbox message to u. seq orders messages queued in one
// change (they share a timestamp otherwise).
func (s *Service) Mail(u *domain.User, t *domain.Tenant, template string, seq int, data map[string]string) domain.OutboxMessage {
	d := map[string]string{"tenant_name": t.Name, "display_name": u.DisplayName, "email": u.Email}
	for k, v := range data {
		d[k] = v
	}
	now := s.now().Add(time.Duration(seq) * time.Microsecond)
	return domain.OutboxMessage{
		ID: domain.NewID("mail"), TenantID: u.TenantID, UserID: u.ID, To: u.Email, Locale: u.Locale,
		Template: template, Data: d, Status: domain.OutboxPending, CreatedAt: now, NextAttemptAt: now,
	}
}

type baseURLKey struct{}

// WithRequestURL records the public URL a request came in on
// (https://{api-id}.execute-api... or a custom domain), for emailed links
// when no BaseURL is configured.
func WithRequestURL(ctx context.Context, url string) context.Context {
	return context.WithValue(ctx, baseURLKey{}, strings.TrimRight(url, "/"))
}

func (s *Service) baseURL(ctx context.Context) string {
	if s.BaseURL != "" {
		return s.BaseURL
	}
	u, _ := ctx.Value(baseURLKey{}).(string)
	return u
}

// Link creates a single-use emailed link for u and the URL to mail.
func (s *Service) Link(ctx context.Context, u *domain.User, kind string) (*domain.Link, string) {
	tok, hash := NewSecretToken()
	l := &domain.Link{TokenHash: hash, Kind: kind, TenantID: u.TenantID, UserID: u.ID, ExpiresAt: s.now().Add(s.Policy.LinkTTL)}
	path := "/p/reset?token="
	if kind == domain.LinkVerifyEmail {
		path = "/p/verify?token="
	}
	return l, s.baseURL(ctx) + path + tok
}

// SetPasswordLinkOps queues a set-password link email (invitation for a
// new user, reset_link after an admin reset).
func (s *Service) SetPasswordLinkOps(ctx context.Context, u *domain.User, t *domain.Tenant, template string, seq int) []domain.Op {
	l, url := s.Link(ctx, u, domain.LinkSetPassword)
	m := s.Mail(u, t, template, seq, map[string]string{"link": url, "expires_hours": strconv.Itoa(int(s.Policy.LinkTTL / time.Hour))})
	return []domain.Op{domain.PutLink{Link: l}, domain.PutOutbox{Message: &m}}
}

// Revoke ends the user's desktop sessions when the session hook exists.
func (s *Service) Revoke(ctx context.Context, u *domain.User, reason string) {
	if s.Sessions == nil {
		return
	}
	if err := s.Sessions.RevokeUser(ctx, u.TenantID, u.ID, reason); err != nil {
		s.Log.ErrorContext(ctx, "revoke sessions", "user_id", u.ID, "reason", reason, "err", err)
	}
}

// storeErr maps store sentinels onto API codes.
func storeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, domain.ErrNotFound):
		return domain.E(api.CodeNotFound)
	case errors.Is(err, domain.ErrVersion):
		return domain.E(api.CodeVersionConflict)
	case errors.Is(err, domain.ErrEmailTaken):
		return domain.E(api.CodeEmailTaken, "email")
	}
	return err
}

// StoreErr is storeErr for the other services.
func StoreErr(err error) error { return storeErr(err) }
