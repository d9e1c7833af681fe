package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// CheckPassword applies the password policy for u (personal words: email,
// name, tenant) and returns a weak_password error naming the reason.
func CheckPassword(pw string, u *domain.User, t *domain.Tenant, field string) error {
	personal := []string{u.Email, u.DisplayName}
	if t != nil {
		personal = append(personal, t.Name, t.Slug)
	}
	if reason := validate.Password(pw, personal...); reason != validate.PasswordOK {
		e := domain.E(api.CodeWeakPassword, field)
		e.Args = map[string]string{"reason": reason}
		return e
	}
	return nil
}

// ApplyPassword changes u's password in place and invalidates every token and
// refresh token issued before (generation bump).
func (s *Service) ApplyPassword(u *domain.User, pw string) error {
	h, err := HashPassword(pw, s.Policy.Hash)
	if err != nil {
		return err
	}
	u.PasswordHash = h
	u.ResetRequired = false
	u.TokenGeneration++
	u.Version++
	u.UpdatedAt = s.now()
	return nil
}

// ForgotPassword mails a 6-digit code. It answers the same (nil) for
// unknown and disabled accounts; federated domains get self_managed.
func (s *Service) ForgotPassword(ctx context.Context, req api.ForgotPasswordRequest) error {
	email, ok := validate.Email(req.Email)
	if !ok {
		return domain.E(api.CodeInvalidEmail, "email")
	}
	if t, err := s.federatedTenant(ctx, email); err != nil {
		return err
	} else if t != nil {
		return domain.E(api.CodeSelfManaged)
	}
	code := NewCode()
	hash := CodeHash(s.Keys.CodeHMAC, email, code)
	u, err := s.Store.GetUserByEmail(ctx, email)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if u.Status != api.StatusActive {
		return nil
	}
	now := s.now()
	// A code issued moments ago stands: no mail bombing through this form.
	if prev, err := s.Store.GetResetCode(ctx, email); err == nil && now.Sub(prev.IssuedAt) < s.Policy.CodeResend && now.Before(prev.ExpiresAt) {
		return nil
	} else if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	t, err := s.Store.GetTenant(ctx, u.TenantID)
	if err != nil {
		return err
	}
	m := s.Mail(u, t, domain.MailResetCode, 0, map[string]string{"code": code, "expires_minutes": "10"})
	return s.Commit(ctx, &domain.Batch{Ops: []domain.Op{
		domain.PutCode{Code: &domain.ResetCode{Email: email, Hash: hash, IssuedAt: now, ExpiresAt: now.Add(s.Policy.CodeTTL)}},
		domain.PutOutbox{Message: &m},
	}})
}

// ResetPassword sets a new password with the emailed code: at most
// MaxCodeAttempts tries, single use, CodeTTL validity. It revokes every
// token of the account.
func (s *Service) ResetPassword(ctx context.Context, req api.ResetPasswordRequest) error {
	email, ok := validate.Email(req.Email)
	if !ok {
		return domain.E(api.CodeInvalidEmail, "email")
	}
	if len(req.Code) != 6 {
		return domain.E(api.CodeInvalidCode, "code")
	}
	c, err := s.Store.GetResetCode(ctx, email)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.E(api.CodeInvalidCode, "code")
	}
	if err != nil {
		return err
	}
	now := s.now()
	switch {
	case c.Attempts >= s.Policy.MaxCodeAttempts:
		return codeLocked(c, now)
	case !now.Before(c.ExpiresAt):
		return domain.E(api.CodeCodeExpired, "code")
	}
	if subtle.ConstantTimeCompare([]byte(CodeHash(s.Keys.CodeHMAC, email, req.Code)), []byte(c.Hash)) != 1 {
		n, err := s.Store.CountCodeAttempt(ctx, email)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		if n >= s.Policy.MaxCodeAttempts {
			return codeLocked(c, now)
		}
		return domain.E(api.CodeInvalidCode, "code")
	}
	u, err := s.Store.GetUserByEmail(ctx, email)
	if err != nil {
		return storeErr(err)
	}
	t, err := s.Store.GetTenant(ctx, u.TenantID)
	if err != nil {
		return err
	}
	if err := CheckPassword(req.NewPassword, u, t, "new_password"); err != nil {
		return err
	}
	prev := u.Version
	if err := s.ApplyPassword(u, req.NewPassword); err != nil {
		return err
	}
	// The code reached the mailbox, so the address is proven too.
	u.EmailVerified = true
	m := s.Mail(u, t, domain.MailPasswordChanged, 0, nil)
	err = s.Commit(ctx, &domain.Batch{Ops: []domain.Op{
		domain.DeleteCode{Email: email, Hash: c.Hash},
		domain.UpdateUser{User: u, PrevVersion: prev},
		domain.PutOutbox{Message: &m},
	}})
	if errors.Is(err, domain.ErrAlreadyUsed) {
		return domain.E(api.CodeInvalidCode, "code")
	}
	if err != nil {
		return storeErr(err)
	}
	s.Revoke(ctx, u, domain.RevokePasswordReset)
	return nil
}

// ChangePassword is the signed-in user's own change. It returns fresh tokens
// for the calling device; every other token is revoked.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, req api.ChangePasswordRequest) (*api.TokenResponse, error) {
	u := p.User
	if !validate.Length(req.Current, validate.MaxPassword) {
		return nil, domain.E(api.CodeWrongPassword, "current")
	}
	ok, err := VerifyPassword(req.Current, orDummy(u.PasswordHash, s.dummy()))
	if err != nil {
		return nil, err
	}
	if !ok || u.PasswordHash == "" {
		return nil, domain.E(api.CodeWrongPassword, "current")
	}
	t, err := s.Store.GetTenant(ctx, u.TenantID)
	if err != nil {
		return nil, err
	}
	if err := CheckPassword(req.New, u, t, "new"); err != nil {
		return nil, err
	}
	prev := u.Version
	if err := s.ApplyPassword(u, req.New); err != nil {
		return nil, err
	}
	m := s.Mail(u, t, domain.MailPasswordChanged, 0, nil)
	if err := s.Commit(ctx, &domain.Batch{Ops: []domain.Op{
		domain.UpdateUser{User: u, PrevVersion: prev}, domain.PutOutbox{Message: &m},
	}}); err != nil {
		return nil, storeErr(err)
	}
	return s.issue(ctx, u, api.Device{ID: p.Claims.Device}, domain.NewID("fam"))
}

func orDummy(h, dummy string) string {
	if h == "" {
		return dummy
	}
	return h
}

// codeLocked answers a code tried too often: a new code can be requested
// once this one has expired (the Retry-After).
func codeLocked(c *domain.ResetCode, now time.Time) error {
	e := tooMany(max(c.ExpiresAt.Sub(now), time.Second))
	e.(*domain.Error).Field = "code"
	return e
}
