package core

import (
	"github.com/agentdesk/agentdesk/desktop/internal/view"
	"github.com/agentdesk/agentdesk/shared/api"
)

// Station is told when a station session starts and ends, and adds its
// part to the state: the Desktop station's softphone
// (desktop/internal/phone.Station). It calls Changed when its part
// changes by itself.
type Station interface {
	// SessionStarted: a session runs on station mode with /v1/me's
	// settings (also after a reload of /v1/me, the same settings again).
	SessionStarted(me *api.MeResponse, mode string)
	// SessionEnded: sign-out, revocation, takeover, expiry or quit; it
	// returns once everything the station ran has stopped.
	SessionEnded()
	// View is the station's part of the state and a counter that grows
	// with every change of it.
	View() (*view.Phone, uint64)
}

// Changed emits the state: the Station's part changed by itself.
func (c *Core) Changed() { c.emit() }

// withStation adds the Station's part to s: its counter to Seq (both
// only grow, so the sum does too) and its view on the Tasks page.
func (c *Core) withStation(s view.State) view.State {
	if c.cfg.Station == nil {
		return s
	}
	p, seq := c.cfg.Station.View()
	s.Seq += seq
	if s.Step == view.StepTasks {
		s.Phone = p
	}
	return s
}

// onCall: the station has a call answered (the heartbeat tells the
// server, which shows it to a device that would take the session over).
func (c *Core) onCall() bool {
	if c.cfg.Station == nil {
		return false
	}
	p, _ := c.cfg.Station.View()
	return p != nil && p.Call != nil && p.Call.State != view.CallRinging && p.Call.State != view.CallCalling
}

// stationStarted tells the Station the session's mode (the session's
// echo of it, or the one chosen when an older server does not echo it).
func (c *Core) stationStarted(s api.Session) {
	if c.cfg.Station == nil {
		return
	}
	c.mu.Lock()
	me, st := c.m.Me(), c.m.State()
	c.mu.Unlock()
	mode := s.Station.Mode
	if mode == "" && st.Tasks != nil {
		mode = st.Tasks.Station.Mode
	}
	c.stationMode.Store(&mode)
	c.cfg.Station.SessionStarted(me, mode)
}

// stationReloaded passes a reloaded /v1/me on while a session runs.
func (c *Core) stationReloaded(me *api.MeResponse) {
	mode := c.stationMode.Load()
	if c.cfg.Station == nil || mode == nil || *mode == "" {
		return
	}
	c.cfg.Station.SessionStarted(me, *mode)
}

func (c *Core) stationEnded() {
	if c.cfg.Station == nil {
		return
	}
	empty := ""
	c.stationMode.Store(&empty)
	c.cfg.Station.SessionEnded()
}
