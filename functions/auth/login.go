package auth

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// Identify is home-realm discovery: the answer depends on the email's
// domain only, so it never tells whether an account exists.
func (s *Service) Identify(ctx context.Context, req api.IdentifyRequest) (api.IdentifyResponse, error) {
	email, ok := validate.Email(req.Email)
	if !ok {
		return api.IdentifyResponse{}, domain.E(api.CodeInvalidEmail, "email")
	}
	t, err := s.federatedTenant(ctx, email)
	if err != nil || t == nil {
		return api.IdentifyResponse{Method: api.MethodPassword}, err
	}
	idp := t.IdentityProvider
	authority := "https://login.microsoftonline.com/organizations"
	if len(idp.EntraTenantIDs) == 1 {
		authority = "https://login.microsoftonline.com/" + idp.EntraTenantIDs[0]
	}
	return api.IdentifyResponse{Method: api.MethodMicrosoft, Microsoft: &api.MicrosoftConfig{
		Authority: authority, ClientID: idp.ClientID, Scopes: []string{idp.APIScope},
	}}, nil
}

// federatedTenant is the tenant whose Microsoft identity provider owns the
// email's domain, or nil.
func (s *Service) federatedTenant(ctx context.Context, email string) (*domain.Tenant, error) {
	tid, err := s.Store.TenantForDomain(ctx, validate.EmailDomain(email))
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t, err := s.Store.GetTenant(ctx, tid)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil || t.IdentityProvider.Type != api.MethodMicrosoft {
		return nil, err
	}
	return t, nil
}

// Login signs in with email and password. Unknown accounts cost the same
// hash and count toward the same lockout as known ones, and account states
// (disabled, reset required) are only revealed to the right password.
func (s *Service) Login(ctx context.Context, req api.LoginRequest) (*api.TokenResponse, error) {
	email, ok := validate.Email(req.Email)
	if !ok {
		return nil, domain.E(api.CodeInvalidEmail, "email")
	}
	if !validate.Length(req.Password, validate.MaxPassword) || req.Password == "" {
		return nil, domain.E(api.CodeInvalidCredentials)
	}
	dev, err := CheckDevice(req.Device)
	if err != nil {
		return nil, err
	}
	now := s.now()
	failures, until, err := s.Store.LoginFailures(ctx, email)
	if err != nil {
		return nil, err
	}
	if until.After(now) {
		return nil, tooMany(until.Sub(now))
	}
	u, err := s.Store.GetUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	hash := s.dummy()
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	good, err := VerifyPassword(req.Password, hash)
	if err != nil {
		return nil, err
	}
	if !good || u == nil || u.PasswordHash == "" {
		_, until, err := s.Store.RecordLoginFailure(ctx, email, now, s.Policy.LockFor)
		if err != nil {
			return nil, err
		}
		s.Log.InfoContext(ctx, "sign-in failed", "email_domain", validate.EmailDomain(email), "locked", !until.IsZero())
		return nil, domain.E(api.CodeInvalidCredentials)
	}
	switch {
	case u.Status == api.StatusDisabled:
		return nil, domain.E(api.CodeAccountDisabled)
	case u.ResetRequired:
		return nil, domain.E(api.CodePasswordResetRequired)
	}
	if failures > 0 {
		if err := s.Store.ClearLoginFailures(ctx, email); err != nil {
			return nil, err
		}
	}
	return s.issue(ctx, u, dev, domain.NewID("fam"))
}

func tooMany(left time.Duration) error {
	e := domain.E(api.CodeTooManyAttempts)
	e.RetryAfter = int(math.Ceil(left.Seconds()))
	return e
}

// CheckDevice validates and trims the device a request names.
func CheckDevice(d api.Device) (api.Device, error) {
	var ok1, ok2, ok3 bool
	d.ID, ok1 = validate.Text(d.ID, validate.MaxID)
	d.Name, ok2 = validate.Text(d.Name, validate.MaxDeviceName)
	d.Platform, ok3 = validate.Text(d.Platform, validate.MaxPlatform)
	switch {
	case !ok1:
		return d, domain.E(api.CodeValidation, "device.id")
	case !ok2:
		return d, domain.E(api.CodeValidation, "device.name")
	case !ok3:
		return d, domain.E(api.CodeValidation, "device.platform")
	}
	return d, nil
}

// issue mints an access token and a refresh token of family.
func (s *Service) issue(ctx context.Context, u *domain.User, dev api.Device, family string) (*api.TokenResponse, error) {
	tok, hash := NewSecretToken()
	now := s.now()
	rt := &domain.RefreshToken{Hash: hash, Family: family, TenantID: u.TenantID, UserID: u.ID, Device: dev.ID,
		Gen: u.TokenGeneration, ExpiresAt: now.Add(s.Policy.RefreshTTL)}
	if err := s.Store.PutRefreshToken(ctx, rt); err != nil {
		return nil, err
	}
	return s.respond(u, dev.ID, tok)
}

func (s *Service) respond(u *domain.User, deviceID, refresh string) (*api.TokenResponse, error) {
	now := s.now()
	access, err := SignAccess(s.Keys.AccessToken, Claims{
		Issuer: issuer, Subject: u.ID, TenantID: u.TenantID, Gen: u.TokenGeneration, Roles: u.Roles,
		Device: deviceID, IssuedAt: now.Unix(), Expires: now.Add(s.Policy.AccessTTL).Unix(), ID: domain.NewID("at"),
	})
	if err != nil {
		return nil, err
	}
	return &api.TokenResponse{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		ExpiresIn: int(s.Policy.AccessTTL.Seconds()), User: u.Public()}, nil
}

// Refresh rotates a refresh token. Presenting one that was already rotated
// is a replay: the whole family is revoked.
func (s *Service) Refresh(ctx context.Context, token string) (*api.TokenResponse, error) {
	bad := domain.E(api.CodeInvalidToken)
	if token == "" || len(token) > 128 {
		return nil, bad
	}
	old, err := s.Store.GetRefreshToken(ctx, HashToken(token))
	if errors.Is(err, domain.ErrNotFound) {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !old.UsedAt.IsZero() {
		s.Log.WarnContext(ctx, "refresh token replay; family revoked", "user_id", old.UserID)
		return nil, errors.Join(bad, s.Store.RevokeFamily(ctx, old.Family, now))
	}
	if now.After(old.ExpiresAt) {
		return nil, bad
	}
	if revoked, err := s.Store.FamilyRevoked(ctx, old.Family); err != nil || revoked {
		return nil, errors.Join(bad, err)
	}
	u, err := s.Store.GetUser(ctx, old.TenantID, old.UserID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	if u.TokenGeneration != old.Gen || u.Status != api.StatusActive || u.ResetRequired {
		return nil, bad
	}
	tok, hash := NewSecretToken()
	next := &domain.RefreshToken{Hash: hash, Family: old.Family, TenantID: u.TenantID, UserID: u.ID, Device: old.Device,
		Gen: u.TokenGeneration, ExpiresAt: now.Add(s.Policy.RefreshTTL)}
	if err := s.Store.RotateRefreshToken(ctx, old.Hash, now, next); errors.Is(err, domain.ErrAlreadyUsed) {
		// Lost a race with another use of the same token: that is a replay too.
		return nil, errors.Join(bad, s.Store.RevokeFamily(ctx, old.Family, now))
	} else if err != nil {
		return nil, err
	}
	return s.respond(u, old.Device, tok)
}

// Logout revokes the refresh token's family. Unknown tokens are fine.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" || len(token) > 128 {
		return nil
	}
	old, err := s.Store.GetRefreshToken(ctx, HashToken(token))
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.Store.RevokeFamily(ctx, old.Family, s.now()); err != nil {
		return err
	}
	return s.Store.DeleteRefreshToken(ctx, old.Hash)
}

// Principal is the authenticated caller. Stale marks a genuine, unexpired
// token whose account has since been disabled, reset or signed out
// everywhere: it may only learn why its session ended.
type Principal struct {
	User   *domain.User
	Claims *Claims
	Stale  bool
}

// Authenticate checks an access token and that its user is still active and
// its generation current (so a reset, disable or forced logout takes effect
// at once, not at token expiry).
func (s *Service) Authenticate(ctx context.Context, bearer string) (*Principal, error) {
	c, err := ParseAccess(s.Keys.AccessToken, bearer, s.now())
	if err != nil {
		return nil, domain.E(api.CodeUnauthorized)
	}
	u, err := s.Store.GetUser(ctx, c.TenantID, c.Subject)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, domain.E(api.CodeUnauthorized)
	}
	if err != nil {
		return nil, err
	}
	if u.TokenGeneration != c.Gen || u.Status != api.StatusActive || u.ResetRequired {
		return &Principal{User: u, Claims: c, Stale: true}, domain.E(api.CodeUnauthorized)
	}
	return &Principal{User: u, Claims: c}, nil
}
