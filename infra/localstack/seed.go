package localstack

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/functions/admin"
	"github.com/agentdesk/agentdesk/functions/app"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
)

// Demo is the seeded demo tenant's sign-ins.
type Demo struct {
	TenantID                    string
	AdminEmail, AdminPassword   string
	AgentEmail, AgentPassword   string
	AgentExtension, SIPPassword string
}

// Demo accounts; the passwords are fresh random ones on every start.
const (
	DemoSlug       = "demo"
	DemoAdminEmail = "admin@demo.agentdesk.test"
	DemoAgentEmail = "agent@demo.agentdesk.test"
)

// SeedDemo creates the demo tenant (once): an admin and a ready agent with
// passwords set and emails verified, a team, a voice queue and a chat queue.
// It writes nothing when the tenant exists already.
func SeedDemo(ctx context.Context, a *app.App) (*Demo, error) {
	if t, err := a.Store.GetTenantBySlug(ctx, DemoSlug); err == nil {
		return &Demo{TenantID: t.ID, AdminEmail: DemoAdminEmail, AgentEmail: DemoAgentEmail}, nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	now := time.Now().UTC()
	d := &Demo{AdminEmail: DemoAdminEmail, AgentEmail: DemoAgentEmail, AdminPassword: passphrase(), AgentPassword: passphrase(),
		AgentExtension: "1001", SIPPassword: os.Getenv("AGENTDESK_DEMO_SIP_PASSWORD")}
	// The voice lab (scripts/voice-lab.sh) registers extension 1001 with the
	// password it exports; without it the demo agent gets a random one.
	if d.SIPPassword == "" {
		d.SIPPassword = passphrase()
	}
	t := &domain.Tenant{TenantSettings: admin.DefaultSettings(domain.NewID("tnt"), DemoSlug, "AgentDesk Demo"), CreatedAt: now}
	t.StationPolicy.DefaultDialNumber = "+14155550100"
	d.TenantID = t.ID
	team := &domain.Team{TenantID: t.ID, Team: api.Team{ID: domain.NewID("team"), Name: "Tier 1 Support", Description: "First line", Version: 1}}
	voice := &domain.Queue{TenantID: t.ID, Queue: api.Queue{ID: domain.NewID("q"), Name: "Support (voice)", Kind: api.QueueVoice, Channels: []string{}, Version: 1}}
	chat := &domain.Queue{TenantID: t.ID, Queue: api.Queue{ID: domain.NewID("q"), Name: "Web and WhatsApp", Kind: api.QueueChat,
		Channels: []string{api.ChannelWebChat, api.ChannelWhatsApp}, Version: 1}}
	mk := func(email, name string, roles []string, pw string) (*domain.User, error) {
		u := &domain.User{ID: domain.NewID("usr"), TenantID: t.ID, Email: email, DisplayName: name, Locale: "en", Roles: roles,
			Status: api.StatusActive, EmailVerified: true, StationModes: []string{api.StationDialNumber, api.StationExtension},
			TeamIDs: []string{}, QueueIDs: []string{}, Version: 1, CreatedAt: now, UpdatedAt: now}
		return u, a.Auth.ApplyPassword(u, pw)
	}
	adm, err := mk(DemoAdminEmail, "Demo Admin", []string{api.RoleAdmin, api.RoleSupervisor}, d.AdminPassword)
	if err != nil {
		return nil, err
	}
	agent, err := mk(DemoAgentEmail, "Demo Agent", []string{api.RoleAgent}, d.AgentPassword)
	if err != nil {
		return nil, err
	}
	sealed, err := a.Auth.Keys.SealString(d.SIPPassword)
	if err != nil {
		return nil, err
	}
	agent.WebRTCEnabled, agent.OmnichannelEnabled = true, true
	agent.StationModes = append(agent.StationModes, api.StationDesktop)
	agent.Extension = &domain.Extension{Number: d.AgentExtension, SIPUsername: d.AgentExtension, SIPPasswordSealed: sealed}
	agent.TeamIDs, agent.QueueIDs = []string{team.ID}, []string{voice.ID, chat.ID}
	err = a.Store.Commit(ctx, &domain.Batch{Ops: []domain.Op{
		domain.CreateTenant{Tenant: t}, domain.PutTeam{Team: team}, domain.PutQueue{Queue: voice}, domain.PutQueue{Queue: chat},
		domain.CreateUser{User: adm}, domain.CreateUser{User: agent},
	}})
	return d, err
}

// passphrase is a random 20-character password, easy to copy.
func passphrase() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	return s[:5] + "-" + s[5:10] + "-" + s[10:16]
}
