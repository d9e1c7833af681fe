// Package sessions is station login with single-session locking: one live
// desktop session per agent, held as a lease with a fencing epoch. A second
// device is told who holds it and may take over ("Continue"); the displaced
// device is told at once through the push channel, and every later call it
// makes with its old epoch fails.
package sessions

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// Defaults when the tenant sets nothing.
const (
	DefaultHeartbeat = 20 * time.Second
	DefaultLease     = 60 * time.Second
	maxAcquireTries  = 4
)

// Service runs station sessions.
type Service struct {
	Store    domain.Store
	Leases   domain.LeaseStore
	Notifier domain.Notifier // may be nil: nobody is told
	Clock    func() time.Time
	Log      *slog.Logger
}

var _ domain.Sessions = (*Service)(nil)

func (s *Service) now() time.Time { return s.Clock().UTC() }

// Timing is a tenant's heartbeat interval and lease length.
func Timing(t *domain.Tenant) (heartbeat, lease time.Duration) {
	heartbeat, lease = DefaultHeartbeat, DefaultLease
	if t.HeartbeatSeconds > 0 {
		heartbeat = time.Duration(t.HeartbeatSeconds) * time.Second
	}
	if t.LeaseSeconds > 0 {
		lease = time.Duration(t.LeaseSeconds) * time.Second
	}
	return heartbeat, max(lease, 2*heartbeat)
}

func holderOf(l *domain.Lease) *api.SessionHolder {
	return &api.SessionHolder{DeviceName: l.Device.Name, Platform: l.Device.Platform, Since: l.Since, OnCall: l.OnCall}
}

// Create is station login. It validates the station against the agent's
// provisioning, refuses a live session elsewhere unless req.Takeover, and
// claims the dial number in the same transaction as the lease.
func (s *Service) Create(ctx context.Context, p *auth.Principal, req api.CreateSessionRequest) (*api.Session, error) {
	u := p.User
	t, err := s.Store.GetTenant(ctx, u.TenantID)
	if err != nil {
		return nil, err
	}
	station, err := checkStation(u, t, req.Station)
	if err != nil {
		return nil, err
	}
	teamID, ok := validate.Text(req.TeamID, validate.MaxID)
	if !ok || (len(u.TeamIDs) > 0 && !slices.Contains(u.TeamIDs, teamID)) || (len(u.TeamIDs) == 0 && teamID != "") {
		return nil, domain.E(api.CodeUnknownTeam, "team_id")
	}
	dev, err := auth.CheckDevice(req.Device)
	if err != nil {
		return nil, err
	}
	heartbeat, leaseLen := Timing(t)
	for try := 0; ; try++ {
		now := s.now()
		old, err := s.Leases.GetLease(ctx, u.TenantID, u.ID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
		var prevEpoch int64
		if old != nil {
			prevEpoch = old.Epoch
			// The same device signing in again (a restart) needs no prompt.
			if old.Live(now) && old.Device.ID != dev.ID && !req.Takeover {
				e := domain.E(api.CodeSessionElsewhere)
				e.Holder = holderOf(old)
				return nil, e
			}
		}
		next := &domain.Lease{
			TenantID: u.TenantID, UserID: u.ID, SessionID: domain.NewID("ses"), Epoch: prevEpoch + 1,
			Device: dev, Station: station, TeamID: teamID, Since: now, ExpiresAt: now.Add(leaseLen),
			LastHeartbeat: now, LastActivity: now,
		}
		var dial *domain.DialClaim
		if station.Mode == api.StationDialNumber {
			g, err := s.Leases.DialHolder(ctx, u.TenantID, station.DialNumber)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				return nil, err
			}
			dial = &domain.DialClaim{Number: station.DialNumber, Holder: g}
		}
		err = s.Leases.AcquireLease(ctx, next, prevEpoch, dial)
		switch {
		case err == nil:
			if old.Live(now) {
				s.notify(ctx, u.TenantID, u.ID, api.PushEvent{Type: api.EventSessionTakenOver, SessionID: old.SessionID,
					Epoch: old.Epoch, Holder: holderOf(next), At: now})
			}
			s.Log.InfoContext(ctx, "session started", "session_id", next.SessionID, "epoch", next.Epoch, "mode", station.Mode, "takeover", old.Live(now))
			return &api.Session{SessionID: next.SessionID, Epoch: next.Epoch, LeaseExpiresAt: next.ExpiresAt,
				HeartbeatInterval: int(heartbeat.Seconds()), Station: station, TeamID: teamID}, nil
		case errors.Is(err, domain.ErrDialTaken):
			return nil, domain.E(api.CodeDialNumberInUse, "station.dial_number")
		case errors.Is(err, domain.ErrLeaseMoved) && try < maxAcquireTries:
			continue // another login raced us: look again
		case errors.Is(err, domain.ErrLeaseMoved):
			// Still racing after several looks: say who holds it now and
			// let the agent press Continue again.
			e := domain.E(api.CodeSessionElsewhere)
			if cur, _ := s.Leases.GetLease(ctx, u.TenantID, u.ID); cur != nil {
				e.Holder = holderOf(cur)
			}
			return nil, e
		default:
			return nil, err
		}
	}
}

// checkStation applies the agent's provisioning to a requested station.
func checkStation(u *domain.User, t *domain.Tenant, st api.Station) (api.Station, error) {
	allowed := slices.Contains(u.StationModes, st.Mode) && slices.Contains(t.StationPolicy.AllowedModes, st.Mode)
	if st.Mode == api.StationDesktop && !u.WebRTCEnabled {
		allowed = false
	}
	if !allowed {
		return st, domain.E(api.CodeStationModeNotAllowed, "station.mode")
	}
	out := api.Station{Mode: st.Mode}
	switch st.Mode {
	case api.StationDialNumber:
		num, ok := validate.DialNumber(st.DialNumber)
		if !ok {
			return st, domain.E(api.CodeInvalidDialNumber, "station.dial_number")
		}
		def, locked := u.DefaultDialNumber, u.DialNumberLocked
		if def == "" {
			def, locked = t.StationPolicy.DefaultDialNumber, t.StationPolicy.DialNumberLocked
		}
		if locked && num != def {
			return st, domain.E(api.CodeDialNumberLocked, "station.dial_number")
		}
		out.DialNumber = num
	case api.StationExtension:
		if u.Extension == nil {
			return st, domain.E(api.CodeInvalidExtension, "station.extension")
		}
		ext := st.Extension
		if ext == "" {
			ext = u.Extension.Number
		}
		if ext != u.Extension.Number {
			return st, domain.E(api.CodeInvalidExtension, "station.extension")
		}
		out.Extension = ext
	case api.StationDesktop:
		if u.Extension == nil {
			return st, domain.E(api.CodeInvalidExtension, "station.extension")
		}
		out.Extension = u.Extension.Number
	}
	return out, nil
}

// Heartbeat renews the caller's session: one DynamoDB write. It fails with
// session_taken_over when a newer epoch holds the lease, session_revoked
// when it was ended, and ends it itself after the tenant's inactivity
// timeout.
func (s *Service) Heartbeat(ctx context.Context, p *auth.Principal, sessionID string, req api.HeartbeatRequest) (*api.HeartbeatResponse, error) {
	u := p.User
	if sessionID == "" || !validate.Length(sessionID, validate.MaxID) || req.Epoch <= 0 {
		return nil, domain.E(api.CodeNotFound)
	}
	if p.Stale {
		return nil, s.staleHeartbeat(ctx, u, sessionID, req.Epoch)
	}
	t, err := s.Store.GetTenant(ctx, u.TenantID)
	if err != nil {
		return nil, err
	}
	heartbeat, leaseLen := Timing(t)
	now := s.now()
	act := req.LastActivity.UTC()
	if act.IsZero() || act.After(now) {
		act = now
	}
	if t.InactivityTimeoutMinutes > 0 && now.Sub(act) > time.Duration(t.InactivityTimeoutMinutes)*time.Minute {
		old, err := s.Leases.EndLease(ctx, u.TenantID, u.ID, sessionID, req.Epoch, domain.RevokeInactivity, now)
		if err == nil {
			s.notify(ctx, u.TenantID, u.ID, api.PushEvent{Type: api.EventSessionRevoked, SessionID: old.SessionID, Epoch: old.Epoch, Reason: domain.RevokeInactivity, At: now})
			return nil, revoked(domain.RevokeInactivity)
		}
		if !errors.Is(err, domain.ErrConflict) {
			return nil, err
		}
		return nil, s.why(old, sessionID, req.Epoch, now)
	}
	l, err := s.Leases.Heartbeat(ctx, u.TenantID, u.ID, sessionID, req.Epoch, now, now.Add(leaseLen), act, req.OnCall)
	if errors.Is(err, domain.ErrConflict) {
		return nil, s.why(l, sessionID, req.Epoch, now)
	}
	if err != nil {
		return nil, err
	}
	return &api.HeartbeatResponse{LeaseExpiresAt: l.ExpiresAt, HeartbeatInterval: int(heartbeat.Seconds())}, nil
}

// staleHeartbeat answers a heartbeat whose token a revocation made stale
// (disable, password reset, forced logout): the session's end and its
// reason when it is the one that ended, else 401.
func (s *Service) staleHeartbeat(ctx context.Context, u *domain.User, sessionID string, epoch int64) error {
	l, err := s.Leases.GetLease(ctx, u.TenantID, u.ID)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	if l != nil && (l.SessionID != sessionID || l.RevokedReason != "") {
		if err := s.why(l, sessionID, epoch, s.now()); domain.CodeOf(err) != api.CodeNotFound {
			return err
		}
	}
	return domain.E(api.CodeUnauthorized)
}

// why explains a refused heartbeat or end from the lease as it stands.
func (s *Service) why(l *domain.Lease, sessionID string, epoch int64, now time.Time) error {
	switch {
	case l == nil:
		return domain.E(api.CodeNotFound)
	case l.SessionID != sessionID && epoch < l.Epoch:
		return domain.E(api.CodeSessionTakenOver)
	case l.SessionID != sessionID:
		return domain.E(api.CodeNotFound)
	case l.RevokedReason != "":
		return revoked(l.RevokedReason)
	case !now.Before(l.ExpiresAt):
		return revoked(domain.EndExpired)
	}
	return domain.E(api.CodeNotFound)
}

func revoked(reason string) error {
	e := domain.E(api.CodeSessionRevoked)
	e.Reason = reason
	return e
}

// End is sign-out from the station: the lease expires now, its epoch stays.
func (s *Service) End(ctx context.Context, p *auth.Principal, sessionID string) error {
	u := p.User
	if sessionID == "" || !validate.Length(sessionID, validate.MaxID) {
		return domain.E(api.CodeNotFound)
	}
	l, err := s.Leases.GetLease(ctx, u.TenantID, u.ID)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.E(api.CodeNotFound)
	}
	if err != nil {
		return err
	}
	if l.SessionID != sessionID {
		return domain.E(api.CodeNotFound)
	}
	_, err = s.Leases.EndLease(ctx, u.TenantID, u.ID, sessionID, l.Epoch, domain.EndSignedOut, s.now())
	if errors.Is(err, domain.ErrConflict) {
		return nil // already over: signing out twice is fine
	}
	return err
}

// ActiveSession reports whether the agent has a live session.
func (s *Service) ActiveSession(ctx context.Context, tenantID, userID string) (bool, error) {
	l, err := s.Leases.GetLease(ctx, tenantID, userID)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return l.Live(s.now()), nil
}

// RevokeUser ends the agent's live session with a reason and tells their
// desktop at once.
func (s *Service) RevokeUser(ctx context.Context, tenantID, userID, reason string) error {
	if err := s.endLive(ctx, tenantID, userID, reason); err != nil {
		return err
	}
	// Every revocation but a confirmed edit also killed the user's tokens:
	// close their push sockets too (they were opened with those tokens).
	if d, ok := s.Notifier.(disconnecter); ok && reason != domain.RevokeAdminEdit {
		if err := d.Disconnect(ctx, tenantID, userID); err != nil {
			s.Log.WarnContext(ctx, "push disconnect failed", "user_id", userID, "err", err)
		}
	}
	return nil
}

// disconnecter is a Notifier that can also close a user's sockets.
type disconnecter interface {
	Disconnect(ctx context.Context, tenantID, userID string) error
}

// endLive ends the live session, if any, and tells the desktop.
func (s *Service) endLive(ctx context.Context, tenantID, userID, reason string) error {
	now := s.now()
	// A read first: most revocations (a password set, a disable) find no
	// live session, and a refused conditional write costs a write.
	if live, err := s.ActiveSession(ctx, tenantID, userID); err != nil || !live {
		return err
	}
	old, err := s.Leases.EndLease(ctx, tenantID, userID, "", 0, reason, now)
	if errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrNotFound) {
		return nil // ended meanwhile
	}
	if err != nil {
		return err
	}
	s.notify(ctx, tenantID, userID, api.PushEvent{Type: api.EventSessionRevoked, SessionID: old.SessionID, Epoch: old.Epoch, Reason: reason, At: now})
	return nil
}

// List is the tenant's live sessions for admins.
func (s *Service) List(ctx context.Context, actor *domain.User) (*api.SessionList, error) {
	if !actor.HasRole(api.RoleAdmin) {
		return nil, domain.E(api.CodeForbidden)
	}
	leases, err := s.Leases.ListLeases(ctx, actor.TenantID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &api.SessionList{Sessions: []api.LiveSession{}}
	for _, l := range leases {
		if !l.Live(now) {
			continue
		}
		ls := api.LiveSession{SessionID: l.SessionID, Epoch: l.Epoch, UserID: l.UserID, Device: l.Device, Station: l.Station,
			TeamID: l.TeamID, Since: l.Since, LastHeartbeat: l.LastHeartbeat, OnCall: l.OnCall}
		if u, err := s.Store.GetUser(ctx, l.TenantID, l.UserID); err == nil {
			ls.Email, ls.DisplayName = u.Email, u.DisplayName
		}
		out.Sessions = append(out.Sessions, ls)
	}
	return out, nil
}

func (s *Service) notify(ctx context.Context, tenantID, userID string, ev api.PushEvent) {
	if s.Notifier == nil {
		return
	}
	if err := s.Notifier.Notify(ctx, tenantID, userID, ev); err != nil {
		s.Log.WarnContext(ctx, "push failed", "event", ev.Type, "user_id", userID, "err", err)
	}
}
