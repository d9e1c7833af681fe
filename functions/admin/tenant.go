package admin

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/i18n"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// Inactivity timeout bounds (minutes), as Webex allows.
const (
	MinInactivity     = 3
	MaxInactivity     = 1000
	DefaultInactivity = 60
	maxBanners        = 10
	// Station session timing (seconds): the lease outlives two heartbeats.
	DefaultHeartbeatSeconds    = 20
	DefaultLeaseSeconds        = 60
	minHeartbeat, maxHeartbeat = 5, 120
	maxLease                   = 600
	maxDomains                 = 20
)

var (
	slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$`)
	guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// DefaultSettings are a new tenant's settings.
func DefaultSettings(id, slug, name string) api.TenantSettings {
	return api.TenantSettings{
		ID: id, Slug: slug, Name: name, DefaultLocale: i18n.Default,
		IdentityProvider: api.IdentityProvider{Type: api.MethodPassword, Domains: []string{}, EntraTenantIDs: []string{}},
		StationPolicy:    api.StationPolicy{AllowedModes: []string{api.StationDialNumber, api.StationExtension, api.StationDesktop}},
		Banners:          []api.Banner{}, InactivityTimeoutMinutes: DefaultInactivity, Version: 1,
	}
}

// normalizeSettings validates tenant settings in place.
func normalizeSettings(t *api.TenantSettings) error {
	var ok bool
	if t.Name, ok = validate.Text(t.Name, validate.MaxName); !ok || t.Name == "" {
		return domain.E(api.CodeValidation, "name")
	}
	if t.DefaultLocale, ok = i18n.Normalize(t.DefaultLocale); !ok {
		return domain.E(api.CodeValidation, "default_locale")
	}
	idp := &t.IdentityProvider
	switch idp.Type {
	case api.MethodPassword, api.MethodMicrosoft:
	default:
		return domain.E(api.CodeValidation, "identity_provider.type")
	}
	if len(idp.Domains) > maxDomains {
		return domain.E(api.CodeValidation, "identity_provider.domains")
	}
	doms := []string{}
	for _, d := range idp.Domains {
		d, ok := validate.Domain(d)
		if !ok {
			return domain.E(api.CodeValidation, "identity_provider.domains")
		}
		if !slices.Contains(doms, d) {
			doms = append(doms, d)
		}
	}
	idp.Domains = doms
	if len(idp.EntraTenantIDs) > maxDomains {
		return domain.E(api.CodeValidation, "identity_provider.entra_tenant_ids")
	}
	for i, id := range idp.EntraTenantIDs {
		if !guidRE.MatchString(id) {
			return domain.E(api.CodeValidation, "identity_provider.entra_tenant_ids")
		}
		idp.EntraTenantIDs[i] = strings.ToLower(id)
	}
	if idp.EntraTenantIDs == nil {
		idp.EntraTenantIDs = []string{}
	}
	if idp.ClientID != "" && !guidRE.MatchString(idp.ClientID) {
		return domain.E(api.CodeValidation, "identity_provider.client_id")
	}
	if idp.APIScope, ok = validate.Text(idp.APIScope, 256); !ok {
		return domain.E(api.CodeValidation, "identity_provider.api_scope")
	}
	if idp.Type == api.MethodMicrosoft && (len(idp.Domains) == 0 || len(idp.EntraTenantIDs) == 0 || idp.ClientID == "" || idp.APIScope == "") {
		return domain.E(api.CodeValidation, "identity_provider")
	}
	if t.Teams.ClientID != "" && !guidRE.MatchString(t.Teams.ClientID) {
		return domain.E(api.CodeValidation, "teams.client_id")
	}
	sp := &t.StationPolicy
	modes, err := enumList(sp.AllowedModes, "station_policy.allowed_modes", api.StationDialNumber, api.StationExtension, api.StationDesktop)
	if err != nil || len(modes) == 0 {
		return domain.E(api.CodeValidation, "station_policy.allowed_modes")
	}
	sp.AllowedModes = modes
	if sp.DefaultDialNumber != "" {
		if sp.DefaultDialNumber, ok = validate.DialNumber(sp.DefaultDialNumber); !ok {
			return domain.E(api.CodeInvalidDialNumber, "station_policy.default_dial_number")
		}
	} else if sp.DialNumberLocked {
		return domain.E(api.CodeValidation, "station_policy.dial_number_locked")
	}
	if t.IllustrationURL != "" {
		u, err := url.Parse(t.IllustrationURL)
		if err != nil || !validate.Length(t.IllustrationURL, validate.MaxURL) || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return domain.E(api.CodeValidation, "illustration_url")
		}
	}
	if len(t.Banners) > maxBanners {
		return domain.E(api.CodeValidation, "banners")
	}
	for i := range t.Banners {
		b := &t.Banners[i]
		if b.ID == "" {
			b.ID = domain.NewID("ban")
		}
		if b.Message, ok = validate.Text(b.Message, validate.MaxBanner); !ok || b.Message == "" || !validate.Length(b.ID, validate.MaxID) {
			return domain.E(api.CodeValidation, "banners")
		}
		if b.Severity == "" {
			b.Severity = "info"
		}
		if b.Severity != "info" && b.Severity != "warning" {
			return domain.E(api.CodeValidation, "banners")
		}
	}
	if t.Banners == nil {
		t.Banners = []api.Banner{}
	}
	if t.InactivityTimeoutMinutes < MinInactivity || t.InactivityTimeoutMinutes > MaxInactivity {
		return domain.E(api.CodeValidation, "inactivity_timeout_minutes")
	}
	if t.HeartbeatSeconds == 0 && t.LeaseSeconds == 0 {
		t.HeartbeatSeconds, t.LeaseSeconds = DefaultHeartbeatSeconds, DefaultLeaseSeconds
	}
	if t.HeartbeatSeconds < minHeartbeat || t.HeartbeatSeconds > maxHeartbeat {
		return domain.E(api.CodeValidation, "heartbeat_seconds")
	}
	if t.LeaseSeconds < 2*t.HeartbeatSeconds || t.LeaseSeconds > maxLease {
		return domain.E(api.CodeValidation, "lease_seconds")
	}
	return nil
}

// GetTenant reads the caller's tenant settings.
func (s *Service) GetTenant(ctx context.Context, a Actor) (*api.TenantSettings, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	t, err := s.tenant(ctx, a)
	if err != nil {
		return nil, err
	}
	return &t.TenantSettings, nil
}

// PutTenant replaces the tenant settings (optimistic concurrency). Federated
// domains are claimed so that no two tenants own one.
func (s *Service) PutTenant(ctx context.Context, a Actor, in api.TenantSettings) (*api.TenantSettings, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	old, err := s.tenant(ctx, a)
	if err != nil {
		return nil, err
	}
	if in.Version != old.Version {
		return nil, domain.E(api.CodeVersionConflict, "version")
	}
	in.ID, in.Slug = old.ID, old.Slug
	if err := normalizeSettings(&in); err != nil {
		return nil, err
	}
	in.Version = old.Version + 1
	t := &domain.Tenant{TenantSettings: in, CreatedAt: old.CreatedAt}
	b := &domain.Batch{}
	b.Add(domain.UpdateTenant{Tenant: t, PrevVersion: old.Version})
	owned := func(x api.TenantSettings) []string {
		if x.IdentityProvider.Type == api.MethodMicrosoft {
			return x.IdentityProvider.Domains
		}
		return nil
	}
	for _, d := range owned(old.TenantSettings) {
		if !slices.Contains(owned(in), d) {
			b.Add(domain.ReleaseDomain{Domain: d, TenantID: t.ID})
		}
	}
	for _, d := range owned(in) {
		if !slices.Contains(owned(old.TenantSettings), d) {
			b.Add(domain.ClaimDomain{Domain: d, TenantID: t.ID})
		}
	}
	b.Add(s.audit(a, "tenant.update", "tenant", t.ID, tenantDiff(&old.TenantSettings, &in)))
	if err := s.Auth.Commit(ctx, b); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return nil, domain.E(api.CodeDomainTaken, "identity_provider.domains")
		}
		return nil, auth.StoreErr(err)
	}
	s.announce(ctx, t.ID, tenantDiff(&old.TenantSettings, &in))
	return &t.TenantSettings, nil
}

// announce tells the tenant's desktops what changed: banners show live,
// other settings are reloaded.
func (s *Service) announce(ctx context.Context, tenantID string, changed []string) {
	if s.Notifier == nil || len(changed) == 0 {
		return
	}
	ev := api.PushEvent{Type: api.EventSettingsChanged, At: s.now()}
	if slices.Equal(changed, []string{"banners"}) {
		ev.Type = api.EventBannerChanged
	}
	if err := s.Notifier.NotifyTenant(ctx, tenantID, ev); err != nil {
		s.Log.WarnContext(ctx, "push failed", "event", ev.Type, "err", err)
	}
}

func tenantDiff(a, b *api.TenantSettings) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("name", a.Name != b.Name)
	add("default_locale", a.DefaultLocale != b.DefaultLocale)
	add("identity_provider", !equalJSON(a.IdentityProvider, b.IdentityProvider))
	add("teams", a.Teams != b.Teams)
	add("azure_sso", a.AzureSSO != b.AzureSSO)
	add("station_policy", !equalJSON(a.StationPolicy, b.StationPolicy))
	add("illustration_url", a.IllustrationURL != b.IllustrationURL)
	add("banners", !equalJSON(a.Banners, b.Banners))
	add("inactivity_timeout_minutes", a.InactivityTimeoutMinutes != b.InactivityTimeoutMinutes)
	add("session_timing", a.HeartbeatSeconds != b.HeartbeatSeconds || a.LeaseSeconds != b.LeaseSeconds)
	return out
}

// Bootstrap creates a tenant and its first admin, who is sent the
// invitation. It is the agentdesk-admin command's job, not an API route.
func (s *Service) Bootstrap(ctx context.Context, slug, name, adminEmail, adminName, locale string) (*domain.Tenant, *domain.User, error) {
	if !slugRE.MatchString(slug) {
		return nil, nil, domain.E(api.CodeValidation, "tenant")
	}
	email, ok := validate.Email(adminEmail)
	if !ok {
		return nil, nil, domain.E(api.CodeInvalidEmail, "admin-email")
	}
	now := s.now()
	t := &domain.Tenant{TenantSettings: DefaultSettings(domain.NewID("tnt"), slug, name), CreatedAt: now}
	if locale != "" {
		t.DefaultLocale = locale
	}
	if err := normalizeSettings(&t.TenantSettings); err != nil {
		return nil, nil, err
	}
	if adminName == "" {
		adminName = strings.SplitN(email, "@", 2)[0]
	}
	u := &domain.User{ID: domain.NewID("usr"), TenantID: t.ID, Email: email, DisplayName: adminName, Locale: t.DefaultLocale,
		Roles: []string{api.RoleAdmin, api.RoleAgent}, Status: api.StatusActive, StationModes: []string{api.StationDialNumber, api.StationExtension},
		Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.check(ctx, u, t); err != nil {
		return nil, nil, err
	}
	b := &domain.Batch{}
	b.Add(domain.CreateTenant{Tenant: t}, domain.CreateUser{User: u})
	b.Add(s.Auth.SetPasswordLinkOps(ctx, u, t, domain.MailInvitation, 0)...)
	b.Add(s.audit(Actor{User: u, RequestID: "bootstrap"}, "tenant.bootstrap", "tenant", t.ID, []string{"name", "slug", "admin"}))
	if err := s.Auth.Commit(ctx, b); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return nil, nil, domain.E(api.CodeConflict, "tenant")
		}
		return nil, nil, auth.StoreErr(err)
	}
	return t, u, nil
}
