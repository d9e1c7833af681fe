package admin

import (
	"context"
	"slices"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
)

// UpdateUser applies a PATCH with optimistic concurrency. When the agent is
// signed in and the change touches what they work on (anything but name and
// language), it needs confirm_logout, and confirming ends their session.
func (s *Service) UpdateUser(ctx context.Context, a Actor, id string, req api.UpdateUserRequest) (*api.User, error) {
	t, u, err := s.target(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if req.Version != u.Version {
		return nil, domain.E(api.CodeVersionConflict, "version")
	}
	before := *u
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setB := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	setL := func(dst *[]string, v *[]string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&u.DisplayName, req.DisplayName)
	set(&u.Locale, req.Locale)
	setL(&u.Roles, req.Roles)
	setB(&u.WebRTCEnabled, req.WebRTCEnabled)
	setB(&u.OmnichannelEnabled, req.OmnichannelEnabled)
	set(&u.DefaultDialNumber, req.DefaultDialNumber)
	setB(&u.DialNumberLocked, req.DialNumberLocked)
	setL(&u.StationModes, req.StationModes)
	setL(&u.TeamIDs, req.TeamIDs)
	setL(&u.QueueIDs, req.QueueIDs)
	newExtension := false
	if req.Extension != nil {
		if req.Extension.Number == "" {
			u.Extension = nil
		} else {
			if u.Extension, err = s.extension(before.Extension, req.Extension); err != nil {
				return nil, err
			}
			newExtension = before.Extension == nil || before.Extension.Number != u.Extension.Number
		}
	}
	if err := s.check(ctx, u, t); err != nil {
		return nil, err
	}
	if a.User.ID == u.ID && !u.HasRole(api.RoleAdmin) {
		return nil, domain.E(api.CodeLastAdmin, "roles")
	}
	changes := diff(&before, u)
	out := u.Public()
	if len(changes) == 0 {
		return &out, nil
	}
	routing := slices.ContainsFunc(changes, func(f string) bool { return f != "display_name" && f != "locale" })
	if routing && !req.ConfirmLogout && s.Auth.Sessions != nil {
		active, err := s.Auth.Sessions.ActiveSession(ctx, u.TenantID, u.ID)
		if err != nil {
			return nil, err
		}
		if active {
			return nil, domain.E(api.CodeConfirmLogout)
		}
	}
	u.Version++
	u.UpdatedAt = s.now()
	b := &domain.Batch{}
	b.Add(domain.UpdateUser{User: u, PrevVersion: before.Version})
	if newExtension {
		m := s.Auth.Mail(u, t, domain.MailExtensionAssigned, 0, map[string]string{
			"extension": u.Extension.Number, "sip_username": u.Extension.SIPUsername})
		b.Add(domain.PutOutbox{Message: &m})
	}
	b.Add(s.audit(a, "user.update", "user", u.ID, changes))
	if err := s.Auth.Commit(ctx, b); err != nil {
		return nil, auth.StoreErr(err)
	}
	if routing && req.ConfirmLogout {
		s.Auth.Revoke(ctx, u, domain.RevokeAdminEdit)
	}
	out = u.Public()
	return &out, nil
}

// diff names the fields that differ (never their values: no secrets leak
// into the audit log, and a new SIP password shows as "extension").
func diff(a, b *domain.User) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("display_name", a.DisplayName != b.DisplayName)
	add("locale", a.Locale != b.Locale)
	add("roles", !slices.Equal(a.Roles, b.Roles))
	add("webrtc_enabled", a.WebRTCEnabled != b.WebRTCEnabled)
	add("omnichannel_enabled", a.OmnichannelEnabled != b.OmnichannelEnabled)
	add("extension", (a.Extension == nil) != (b.Extension == nil) || a.Extension != nil && *a.Extension != *b.Extension)
	add("default_dial_number", a.DefaultDialNumber != b.DefaultDialNumber)
	add("dial_number_locked", a.DialNumberLocked != b.DialNumberLocked)
	add("station_modes", !slices.Equal(a.StationModes, b.StationModes))
	add("team_ids", !slices.Equal(a.TeamIDs, b.TeamIDs))
	add("queue_ids", !slices.Equal(a.QueueIDs, b.QueueIDs))
	return out
}

// SetStatus disables or enables a user. Disabling revokes every token and
// session at once.
func (s *Service) SetStatus(ctx context.Context, a Actor, id string, disabled bool) (*api.User, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	u, err := s.user(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if disabled && u.ID == a.User.ID {
		return nil, domain.E(api.CodeLastAdmin)
	}
	status, action := api.StatusActive, "user.enable"
	if disabled {
		status, action = api.StatusDisabled, "user.disable"
	}
	if u.Status == status {
		out := u.Public()
		return &out, nil
	}
	prev := u.Version
	u.Status = status
	u.Version++
	u.UpdatedAt = s.now()
	if disabled {
		u.TokenGeneration++
	}
	if err := s.Auth.Commit(ctx, &domain.Batch{Ops: []domain.Op{
		domain.UpdateUser{User: u, PrevVersion: prev}, s.audit(a, action, "user", u.ID, []string{"status"}),
	}}); err != nil {
		return nil, auth.StoreErr(err)
	}
	if disabled {
		s.Auth.Revoke(ctx, u, domain.RevokeDisabled)
	}
	out := u.Public()
	return &out, nil
}

// ResetPassword emails a set-password link; from now on the old password no
// longer signs in (password_reset_required) and every token is revoked.
func (s *Service) ResetPassword(ctx context.Context, a Actor, id string) error {
	t, u, err := s.target(ctx, a, id)
	if err != nil {
		return err
	}
	prev := u.Version
	u.ResetRequired = true
	u.TokenGeneration++
	u.Version++
	u.UpdatedAt = s.now()
	b := &domain.Batch{}
	b.Add(domain.UpdateUser{User: u, PrevVersion: prev})
	b.Add(s.Auth.SetPasswordLinkOps(ctx, u, t, domain.MailResetLink, 0)...)
	b.Add(s.audit(a, "user.reset_password", "user", u.ID, []string{"password"}))
	if err := s.Auth.Commit(ctx, b); err != nil {
		return auth.StoreErr(err)
	}
	s.Auth.Revoke(ctx, u, domain.RevokePasswordReset)
	return nil
}

// SetPassword is the admin setting a password directly (Password tab). The
// policy applies and the user gets the password-changed email.
func (s *Service) SetPassword(ctx context.Context, a Actor, id, password string) error {
	t, u, err := s.target(ctx, a, id)
	if err != nil {
		return err
	}
	if err := auth.CheckPassword(password, u, t, "password"); err != nil {
		return err
	}
	prev := u.Version
	if err := s.Auth.ApplyPassword(u, password); err != nil {
		return err
	}
	m := s.Auth.Mail(u, t, domain.MailPasswordChanged, 0, nil)
	if err := s.Auth.Commit(ctx, &domain.Batch{Ops: []domain.Op{
		domain.UpdateUser{User: u, PrevVersion: prev}, domain.PutOutbox{Message: &m},
		s.audit(a, "user.set_password", "user", u.ID, []string{"password"}),
	}}); err != nil {
		return auth.StoreErr(err)
	}
	s.Auth.Revoke(ctx, u, domain.RevokePasswordChange)
	return nil
}

// Logout signs a user out everywhere: tokens and desktop sessions.
func (s *Service) Logout(ctx context.Context, a Actor, id string) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	u, err := s.user(ctx, a, id)
	if err != nil {
		return err
	}
	prev := u.Version
	u.TokenGeneration++
	u.Version++
	u.UpdatedAt = s.now()
	if err := s.Auth.Commit(ctx, &domain.Batch{Ops: []domain.Op{
		domain.UpdateUser{User: u, PrevVersion: prev}, s.audit(a, "user.logout", "user", u.ID, nil),
	}}); err != nil {
		return auth.StoreErr(err)
	}
	s.Auth.Revoke(ctx, u, domain.RevokeAdminLogout)
	return nil
}
