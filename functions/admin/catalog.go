package admin

import (
	"context"
	"slices"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// Teams and queues: the routing catalog agents are linked to.

func teamFields(req api.TeamRequest) (name, desc string, err error) {
	name, ok := validate.Text(req.Name, validate.MaxName)
	if !ok || name == "" {
		return "", "", domain.E(api.CodeValidation, "name")
	}
	desc, ok = validate.Text(req.Description, validate.MaxDescription)
	if !ok {
		return "", "", domain.E(api.CodeValidation, "description")
	}
	return name, desc, nil
}

// ListTeams lists the tenant's teams.
func (s *Service) ListTeams(ctx context.Context, a Actor) (*api.TeamList, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	teams, err := s.Store.ListTeams(ctx, a.User.TenantID)
	if err != nil {
		return nil, err
	}
	out := &api.TeamList{Teams: make([]api.Team, 0, len(teams))}
	for _, t := range teams {
		out.Teams = append(out.Teams, t.Team)
	}
	return out, nil
}

// GetTeam reads one team.
func (s *Service) GetTeam(ctx context.Context, a Actor, id string) (*api.Team, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	t, err := s.Store.GetTeam(ctx, a.User.TenantID, id)
	if err != nil {
		return nil, auth.StoreErr(err)
	}
	return &t.Team, nil
}

// PutTeam creates (id == "") or updates a team.
func (s *Service) PutTeam(ctx context.Context, a Actor, id string, req api.TeamRequest) (*api.Team, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	name, desc, err := teamFields(req)
	if err != nil {
		return nil, err
	}
	t := &domain.Team{TenantID: a.User.TenantID, Team: api.Team{ID: id, Name: name, Description: desc, Version: 1}}
	action, prev, changes := "team.create", int64(0), []string{"name", "description"}
	if id == "" {
		t.ID = domain.NewID("team")
	} else {
		old, err := s.Store.GetTeam(ctx, a.User.TenantID, id)
		if err != nil {
			return nil, auth.StoreErr(err)
		}
		if req.Version != old.Version {
			return nil, domain.E(api.CodeVersionConflict, "version")
		}
		action, prev, t.Version, changes = "team.update", old.Version, old.Version+1, nil
		if old.Name != name {
			changes = append(changes, "name")
		}
		if old.Description != desc {
			changes = append(changes, "description")
		}
	}
	if err := s.Auth.Commit(ctx, &domain.Batch{Ops: []domain.Op{
		domain.PutTeam{Team: t, PrevVersion: prev}, s.audit(a, action, "team", t.ID, changes),
	}}); err != nil {
		return nil, auth.StoreErr(err)
	}
	return &t.Team, nil
}

// DeleteTeam removes a team. Agents keep the dangling id until edited; the
// desktop ignores teams that no longer exist.
func (s *Service) DeleteTeam(ctx context.Context, a Actor, id string) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	old, err := s.Store.GetTeam(ctx, a.User.TenantID, id)
	if err != nil {
		return auth.StoreErr(err)
	}
	return auth.StoreErr(s.Auth.Commit(ctx, &domain.Batch{Ops: []domain.Op{
		domain.DeleteTeam{TenantID: a.User.TenantID, ID: id, PrevVersion: old.Version},
		s.audit(a, "team.delete", "team", id, nil),
	}}))
}

func queueFields(req api.QueueRequest) (api.Queue, error) {
	name, ok := validate.Text(req.Name, validate.MaxName)
	if !ok || name == "" {
		return api.Queue{}, domain.E(api.CodeValidation, "name")
	}
	q := api.Queue{Name: name, Kind: req.Kind, Channels: []string{}}
	switch req.Kind {
	case api.QueueVoice:
		if len(req.Channels) > 0 {
			return q, domain.E(api.CodeValidation, "channels")
		}
	case api.QueueChat:
		chans, err := enumList(req.Channels, "channels", api.ChannelWebChat, api.ChannelWhatsApp)
		if err != nil || len(chans) == 0 {
			return q, domain.E(api.CodeValidation, "channels")
		}
		slices.Sort(chans)
		q.Channels = chans
	default:
		return q, domain.E(api.CodeValidation, "kind")
	}
	return q, nil
}

// ListQueues lists the tenant's queues.
func (s *Service) ListQueues(ctx context.Context, a Actor) (*api.QueueList, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	qs, err := s.Store.ListQueues(ctx, a.User.TenantID)
	if err != nil {
		return nil, err
	}
	out := &api.QueueList{Queues: make([]api.Queue, 0, len(qs))}
	for _, q := range qs {
		out.Queues = append(out.Queues, q.Queue)
	}
	return out, nil
}

// GetQueue reads one queue.
func (s *Service) GetQueue(ctx context.Context, a Actor, id string) (*api.Queue, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	q, err := s.Store.GetQueue(ctx, a.User.TenantID, id)
	if err != nil {
		return nil, auth.StoreErr(err)
	}
	return &q.Queue, nil
}

// PutQueue creates (id == "") or updates a queue.
func (s *Service) PutQueue(ctx context.Context, a Actor, id string, req api.QueueRequest) (*api.Queue, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	fields, err := queueFields(req)
	if err != nil {
		return nil, err
	}
	q := &domain.Queue{TenantID: a.User.TenantID, Queue: fields}
	q.Version = 1
	action, prev, changes := "queue.create", int64(0), []string{"name", "kind", "channels"}
	if id == "" {
		q.ID = domain.NewID("q")
	} else {
		old, err := s.Store.GetQueue(ctx, a.User.TenantID, id)
		if err != nil {
			return nil, auth.StoreErr(err)
		}
		if req.Version != old.Version {
			return nil, domain.E(api.CodeVersionConflict, "version")
		}
		q.ID, q.Version, action, prev, changes = id, old.Version+1, "queue.update", old.Version, nil
		if old.Name != q.Name {
			changes = append(changes, "name")
		}
		if old.Kind != q.Kind {
			changes = append(changes, "kind")
		}
		if !slices.Equal(old.Channels, q.Channels) {
			changes = append(changes, "channels")
		}
	}
	if err := s.Auth.Commit(ctx, &domain.Batch{Ops: []domain.Op{
		domain.PutQueue{Queue: q, PrevVersion: prev}, s.audit(a, action, "queue", q.ID, changes),
	}}); err != nil {
		return nil, auth.StoreErr(err)
	}
	return &q.Queue, nil
}

// DeleteQueue removes a queue.
func (s *Service) DeleteQueue(ctx context.Context, a Actor, id string) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	old, err := s.Store.GetQueue(ctx, a.User.TenantID, id)
	if err != nil {
		return auth.StoreErr(err)
	}
	return auth.StoreErr(s.Auth.Commit(ctx, &domain.Batch{Ops: []domain.Op{
		domain.DeleteQueue{TenantID: a.User.TenantID, ID: id, PrevVersion: old.Version},
		s.audit(a, "queue.delete", "queue", id, nil),
	}}))
}
