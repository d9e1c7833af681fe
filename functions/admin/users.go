package admin

import (
	"context"
	"errors"
	"slices"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/i18n"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// CreateUser provisions a user. They get the invitation (set-password link)
// and, with an extension, the extension-assigned email, in that order.
func (s *Service) CreateUser(ctx context.Context, a Actor, req api.CreateUserRequest) (*api.User, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	t, err := s.tenant(ctx, a)
	if err != nil {
		return nil, err
	}
	email, ok := validate.Email(req.Email)
	if !ok {
		return nil, domain.E(api.CodeInvalidEmail, "email")
	}
	now := s.now()
	u := &domain.User{
		ID: domain.NewID("usr"), TenantID: t.ID, Email: email, DisplayName: req.DisplayName, Locale: req.Locale,
		Roles: req.Roles, Status: api.StatusActive, WebRTCEnabled: req.WebRTCEnabled, OmnichannelEnabled: req.OmnichannelEnabled,
		DefaultDialNumber: req.DefaultDialNumber, DialNumberLocked: req.DialNumberLocked, StationModes: req.StationModes,
		TeamIDs: req.TeamIDs, QueueIDs: req.QueueIDs, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if u.Locale == "" {
		u.Locale = t.DefaultLocale
	}
	if len(u.Roles) == 0 {
		u.Roles = []string{api.RoleAgent}
	}
	if len(u.StationModes) == 0 {
		u.StationModes = t.StationPolicy.AllowedModes
		if !u.WebRTCEnabled {
			u.StationModes = slices.DeleteFunc(slices.Clone(u.StationModes), func(m string) bool { return m == api.StationDesktop })
		}
	}
	if req.Extension != nil {
		if req.Extension.SIPPassword == "" {
			return nil, domain.E(api.CodeValidation, "extension.sip_password")
		}
		if u.Extension, err = s.extension(nil, req.Extension); err != nil {
			return nil, err
		}
	}
	if err := s.check(ctx, u, t); err != nil {
		return nil, err
	}
	b := &domain.Batch{}
	b.Add(domain.CreateUser{User: u})
	b.Add(s.Auth.SetPasswordLinkOps(ctx, u, t, domain.MailInvitation, 0)...)
	if u.Extension != nil {
		m := s.Auth.Mail(u, t, domain.MailExtensionAssigned, 1, map[string]string{
			"extension": u.Extension.Number, "sip_username": u.Extension.SIPUsername})
		b.Add(domain.PutOutbox{Message: &m})
	}
	b.Add(s.audit(a, "user.create", "user", u.ID, userFields(u)))
	if err := s.Auth.Commit(ctx, b); err != nil {
		return nil, auth.StoreErr(err)
	}
	out := u.Public()
	return &out, nil
}

// userFields names the fields set on a new user, for the audit log.
func userFields(u *domain.User) []string {
	f := []string{"email", "display_name", "locale", "roles", "station_modes"}
	if u.WebRTCEnabled {
		f = append(f, "webrtc_enabled")
	}
	if u.OmnichannelEnabled {
		f = append(f, "omnichannel_enabled")
	}
	if u.Extension != nil {
		f = append(f, "extension")
	}
	if u.DefaultDialNumber != "" {
		f = append(f, "default_dial_number", "dial_number_locked")
	}
	if len(u.TeamIDs) > 0 {
		f = append(f, "team_ids")
	}
	if len(u.QueueIDs) > 0 {
		f = append(f, "queue_ids")
	}
	return f
}

// extension validates an extension; the SIP password is sealed, and an
// empty one keeps the previous password.
func (s *Service) extension(prev *domain.Extension, e *api.Extension) (*domain.Extension, error) {
	num, ok := validate.Extension(e.Number)
	if !ok {
		return nil, domain.E(api.CodeValidation, "extension.number")
	}
	user, ok := validate.Text(e.SIPUsername, validate.MaxSIPUsername)
	if !ok || user == "" {
		return nil, domain.E(api.CodeValidation, "extension.sip_username")
	}
	out := &domain.Extension{Number: num, SIPUsername: user}
	switch {
	case e.SIPPassword != "":
		if !validate.Length(e.SIPPassword, validate.MaxSIPPassword) {
			return nil, domain.E(api.CodeValidation, "extension.sip_password")
		}
		sealed, err := s.Auth.Keys.SealString(e.SIPPassword)
		if err != nil {
			return nil, err
		}
		out.SIPPasswordSealed = sealed
	case prev != nil:
		out.SIPPasswordSealed = prev.SIPPasswordSealed
	default:
		return nil, domain.E(api.CodeValidation, "extension.sip_password")
	}
	return out, nil
}

// check normalises u in place and applies the provisioning rules.
func (s *Service) check(ctx context.Context, u *domain.User, t *domain.Tenant) error {
	var ok bool
	if u.DisplayName, ok = validate.Text(u.DisplayName, validate.MaxDisplayName); !ok || u.DisplayName == "" {
		return domain.E(api.CodeValidation, "display_name")
	}
	if u.Locale, ok = i18n.Normalize(u.Locale); !ok {
		return domain.E(api.CodeValidation, "locale")
	}
	var err error
	if u.Roles, err = enumList(u.Roles, "roles", api.RoleAgent, api.RoleSupervisor, api.RoleAdmin); err != nil || len(u.Roles) == 0 {
		return domain.E(api.CodeValidation, "roles")
	}
	if u.StationModes, err = enumList(u.StationModes, "station_modes", api.StationDialNumber, api.StationExtension, api.StationDesktop); err != nil {
		return err
	}
	for _, m := range u.StationModes {
		if !slices.Contains(t.StationPolicy.AllowedModes, m) {
			return domain.E(api.CodeStationModeNotAllowed, "station_modes")
		}
	}
	// Smartspace: omnichannel and the desktop softphone ride on WebRTC.
	if u.OmnichannelEnabled && !u.WebRTCEnabled {
		return domain.E(api.CodeOmnichannelNeedsRTC, "omnichannel_enabled")
	}
	if slices.Contains(u.StationModes, api.StationDesktop) && !u.WebRTCEnabled {
		return domain.E(api.CodeDesktopNeedsRTC, "station_modes")
	}
	if u.DefaultDialNumber != "" {
		if u.DefaultDialNumber, ok = validate.DialNumber(u.DefaultDialNumber); !ok {
			return domain.E(api.CodeInvalidDialNumber, "default_dial_number")
		}
	} else if u.DialNumberLocked {
		return domain.E(api.CodeValidation, "dial_number_locked")
	}
	if u.TeamIDs, err = idList(u.TeamIDs, "team_ids"); err != nil {
		return err
	}
	if u.QueueIDs, err = idList(u.QueueIDs, "queue_ids"); err != nil {
		return err
	}
	for _, id := range u.TeamIDs {
		if _, err := s.Store.GetTeam(ctx, t.ID, id); errors.Is(err, domain.ErrNotFound) {
			return domain.E(api.CodeUnknownTeam, "team_ids")
		} else if err != nil {
			return err
		}
	}
	for _, id := range u.QueueIDs {
		if _, err := s.Store.GetQueue(ctx, t.ID, id); errors.Is(err, domain.ErrNotFound) {
			return domain.E(api.CodeUnknownQueue, "queue_ids")
		} else if err != nil {
			return err
		}
	}
	return nil
}

// enumList dedupes a list and checks each value is allowed.
func enumList(in []string, field string, allowed ...string) ([]string, error) {
	out := []string{}
	for _, v := range in {
		if !slices.Contains(allowed, v) {
			return nil, domain.E(api.CodeValidation, field)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

func idList(in []string, field string) ([]string, error) {
	if len(in) > validate.MaxListItems {
		return nil, domain.E(api.CodeValidation, field)
	}
	out := []string{}
	for _, v := range in {
		if v == "" || !validate.Length(v, validate.MaxID) {
			return nil, domain.E(api.CodeValidation, field)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// GetUser reads one user of the tenant.
func (s *Service) GetUser(ctx context.Context, a Actor, id string) (*api.User, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	u, err := s.user(ctx, a, id)
	if err != nil {
		return nil, err
	}
	out := u.Public()
	return &out, nil
}

// ListUsers pages through the tenant's users, optionally searching.
func (s *Service) ListUsers(ctx context.Context, a Actor, search, cursor string, limit int) (*api.UserList, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	search, ok := validate.Text(search, validate.MaxSearch)
	if !ok {
		return nil, domain.E(api.CodeValidation, "search")
	}
	if limit <= 0 {
		limit = 50
	}
	if limit > 100 || len(cursor) > 256 {
		return nil, domain.E(api.CodeValidation, "limit")
	}
	page, err := s.Store.ListUsers(ctx, a.User.TenantID, search, cursor, limit)
	if err != nil {
		return nil, err
	}
	out := &api.UserList{Users: make([]api.User, 0, len(page.Users)), NextCursor: page.NextCursor}
	for _, u := range page.Users {
		out.Users = append(out.Users, u.Public())
	}
	return out, nil
}
