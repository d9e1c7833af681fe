package auth

import (
	"context"
	"errors"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// LinkInfo is what an emailed-link page shows about its user.
type LinkInfo struct {
	Email, DisplayName, TenantName, Locale string
}

// openLink finds a usable link of kind for a token.
func (s *Service) openLink(ctx context.Context, token, kind string) (*domain.Link, *domain.User, *domain.Tenant, error) {
	if token == "" || !validate.Length(token, 512) {
		return nil, nil, nil, domain.E(api.CodeInvalidToken)
	}
	l, err := s.Store.GetLink(ctx, HashToken(token))
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil, nil, domain.E(api.CodeInvalidToken)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if l.Kind != kind {
		return nil, nil, nil, domain.E(api.CodeInvalidToken)
	}
	u, err := s.Store.GetUser(ctx, l.TenantID, l.UserID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil, nil, domain.E(api.CodeInvalidToken)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := s.Store.GetTenant(ctx, u.TenantID)
	if err != nil {
		return nil, nil, nil, err
	}
	switch {
	case !l.UsedAt.IsZero():
		return l, u, t, domain.E(api.CodeLinkUsed)
	case !s.now().Before(l.ExpiresAt):
		return l, u, t, domain.E(api.CodeLinkExpired)
	case u.Status != api.StatusActive:
		return l, u, t, domain.E(api.CodeAccountDisabled)
	}
	return l, u, t, nil
}

func info(u *domain.User, t *domain.Tenant) LinkInfo {
	if u == nil {
		return LinkInfo{}
	}
	li := LinkInfo{Email: u.Email, DisplayName: u.DisplayName, Locale: u.Locale}
	if t != nil {
		li.TenantName = t.Name
	}
	return li
}

// InspectLink tells the page whom a link is for, or why it cannot be used.
func (s *Service) InspectLink(ctx context.Context, token, kind string) (LinkInfo, error) {
	_, u, t, err := s.openLink(ctx, token, kind)
	return info(u, t), err
}

// CompletePasswordLink sets the password from an invitation or admin reset
// link, consuming it. A user whose email is not yet confirmed gets the
// confirmation link now (after the password-changed notice).
func (s *Service) CompletePasswordLink(ctx context.Context, token, password string) (LinkInfo, error) {
	l, u, t, err := s.openLink(ctx, token, domain.LinkSetPassword)
	if err != nil {
		return info(u, t), err
	}
	if err := CheckPassword(password, u, t, "new_password"); err != nil {
		return info(u, t), err
	}
	prev := u.Version
	if err := s.ApplyPassword(u, password); err != nil {
		return info(u, t), err
	}
	changed := s.Mail(u, t, domain.MailPasswordChanged, 0, nil)
	ops := []domain.Op{
		domain.UseLink{TokenHash: l.TokenHash, At: s.now()},
		domain.UpdateUser{User: u, PrevVersion: prev},
		domain.PutOutbox{Message: &changed},
	}
	if !u.EmailVerified {
		vl, url := s.Link(ctx, u, domain.LinkVerifyEmail)
		verify := s.Mail(u, t, domain.MailVerifyEmail, 1, map[string]string{"link": url})
		ops = append(ops, domain.PutLink{Link: vl}, domain.PutOutbox{Message: &verify})
	}
	if err := s.Commit(ctx, &domain.Batch{Ops: ops}); err != nil {
		if errors.Is(err, domain.ErrAlreadyUsed) {
			return info(u, t), domain.E(api.CodeLinkUsed)
		}
		return info(u, t), storeErr(err)
	}
	s.Revoke(ctx, u, domain.RevokePasswordReset)
	return info(u, t), nil
}

// VerifyEmail confirms the address with its emailed link.
func (s *Service) VerifyEmail(ctx context.Context, token string) (LinkInfo, error) {
	l, u, t, err := s.openLink(ctx, token, domain.LinkVerifyEmail)
	if err != nil {
		return info(u, t), err
	}
	prev := u.Version
	u.EmailVerified = true
	u.Version++
	u.UpdatedAt = s.now()
	m := s.Mail(u, t, domain.MailEmailVerified, 0, nil)
	if err := s.Commit(ctx, &domain.Batch{Ops: []domain.Op{
		domain.UseLink{TokenHash: l.TokenHash, At: s.now()},
		domain.UpdateUser{User: u, PrevVersion: prev},
		domain.PutOutbox{Message: &m},
	}}); err != nil {
		if errors.Is(err, domain.ErrAlreadyUsed) {
			return info(u, t), domain.E(api.CodeLinkUsed)
		}
		return info(u, t), storeErr(err)
	}
	return info(u, t), nil
}
