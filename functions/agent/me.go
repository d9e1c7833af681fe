// Package agent answers the signed-in agent's own questions: the profile,
// tenant settings, teams, queues and softphone settings the desktop needs.
package agent

import (
	"context"
	"errors"
	"slices"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
)

// VoiceConfig is the deployment's SIP side (the customer's PBX/SBC).
type VoiceConfig struct {
	SIPWebSocketURI string
	SIPDomain       string
	ICEServers      []api.ICEServer
}

// Service builds /v1/me.
type Service struct {
	Store domain.Store
	Auth  *auth.Service
	Voice VoiceConfig
	// PushURL is the push channel's WebSocket URL.
	PushURL string
}

// Me is everything the desktop needs after sign-in.
func (s *Service) Me(ctx context.Context, p *auth.Principal) (*api.MeResponse, error) {
	u := p.User
	t, err := s.Store.GetTenant(ctx, u.TenantID)
	if err != nil {
		return nil, err
	}
	out := &api.MeResponse{
		User: u.Public(),
		Tenant: api.MeTenant{
			ID: t.ID, Name: t.Name, StationPolicy: t.StationPolicy, IllustrationURL: t.IllustrationURL,
			Banners: t.Banners, Teams: t.Teams, AzureSSO: t.AzureSSO, InactivityTimeoutMinutes: t.InactivityTimeoutMinutes,
		},
		StationModes: []string{}, Teams: []api.Team{}, Queues: []api.Queue{}, PushURL: s.PushURL,
	}
	// The user's own locked number wins over the tenant default.
	if u.DefaultDialNumber != "" {
		out.Tenant.StationPolicy.DefaultDialNumber = u.DefaultDialNumber
		out.Tenant.StationPolicy.DialNumberLocked = u.DialNumberLocked
	}
	for _, m := range u.StationModes {
		if slices.Contains(t.StationPolicy.AllowedModes, m) && (m != api.StationDesktop || u.WebRTCEnabled) {
			out.StationModes = append(out.StationModes, m)
		}
	}
	for _, id := range u.TeamIDs {
		team, err := s.Store.GetTeam(ctx, t.ID, id)
		if errors.Is(err, domain.ErrNotFound) {
			continue // deleted since it was linked
		} else if err != nil {
			return nil, err
		}
		out.Teams = append(out.Teams, team.Team)
	}
	channels := []string{}
	for _, id := range u.QueueIDs {
		q, err := s.Store.GetQueue(ctx, t.ID, id)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out.Queues = append(out.Queues, q.Queue)
		chans := q.Channels
		if q.Kind == api.QueueVoice {
			chans = []string{api.QueueVoice}
		}
		for _, c := range chans {
			if !slices.Contains(channels, c) {
				channels = append(channels, c)
			}
		}
	}
	out.Omnichannel = api.OmnichannelStatus{
		Enabled: u.OmnichannelEnabled, Available: u.OmnichannelEnabled && len(out.Queues) > 0, Channels: channels,
	}
	if u.WebRTCEnabled && u.Extension != nil && s.Voice.SIPWebSocketURI != "" {
		pw, err := s.Auth.Keys.OpenString(u.Extension.SIPPasswordSealed)
		if err != nil {
			return nil, err
		}
		ice := s.Voice.ICEServers
		if ice == nil {
			ice = []api.ICEServer{}
		}
		out.Softphone = &api.SoftphoneSettings{
			SIPWebSocketURI: s.Voice.SIPWebSocketURI, SIPDomain: s.Voice.SIPDomain, ICEServers: ice,
			Extension: api.Extension{Number: u.Extension.Number, SIPUsername: u.Extension.SIPUsername, SIPPassword: pw},
		}
	}
	return out, nil
}
