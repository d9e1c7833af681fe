package phone

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/desktop/internal/softphone"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
)

// onEvent maps one softphone event into the view. gen is the softphone's:
// the events of one already stopped are dropped.
func (s *Station) onEvent(gen uint64, e softphone.Event) {
	s.mu.Lock()
	if gen != s.gen || s.view == nil {
		s.mu.Unlock()
		return
	}
	var ring, notifyCaller string
	switch e.State {
	case softphone.StateRegistering:
		s.setRegistrationLocked(view.PhoneRegistering, "", "")
	case softphone.StateRegistered:
		s.setRegistrationLocked(view.PhoneRegistered, "", "")
	case stateReconnecting:
		s.setRegistrationLocked(view.PhoneReconnecting, "", e.Reason)
	case softphone.StateFailed:
		reason := view.PhoneReasonError
		switch {
		case errors.Is(e.Err, softphone.ErrAuth):
			reason = view.PhoneReasonAuth
		case errors.Is(e.Err, softphone.ErrUnreachable):
			reason = view.PhoneReasonUnreachable
		}
		s.setRegistrationLocked(view.PhoneFailed, reason, e.Reason)
	case softphone.StateUnregistered:
		// Only Close unregisters, and its events are stale by then.
	case softphone.StateCalling, softphone.StateRinging, softphone.StateInCall, stateHeld:
		if e.Call == nil {
			break
		}
		if s.call != nil && s.call != e.Call {
			break // not our call (cannot happen: one call at a time)
		}
		first := s.call == nil
		s.call = e.Call
		st := callState(e)
		if e.State == softphone.StateRinging && e.Call.Incoming {
			ring, notifyCaller = s.choice.Ringtone, displayRemote(e.Call.Remote)
		} else {
			s.stopRingLocked()
		}
		c := s.view.Call
		if c == nil || first {
			c = &view.PhoneCall{ID: e.Call.ID, Direction: "outgoing", Remote: displayRemote(e.Call.Remote)}
			if e.Call.Incoming {
				c.Direction = "incoming"
			}
		}
		c.ID = e.Call.ID
		c.State = st
		c.Muted = muted(e.Call)
		if at := answeredAt(e.Call); !at.IsZero() {
			c.AnsweredAt = at
		} else if st == view.CallInCall && c.AnsweredAt.IsZero() {
			c.AnsweredAt = time.Now() // until the softphone tells it
		}
		if connected(st) {
			c.Stats = stats(e.Call)
		}
		s.view.Call = c
		if first {
			s.startStatsLocked(gen, e.Call)
		}
	case softphone.StateEnded:
		if e.Call != nil && s.call != nil && s.call != e.Call {
			break
		}
		s.stopRingLocked()
		s.call, s.view.Call = nil, nil
		if s.view.Error != nil && deviceError(s.view.Error.Action) {
			s.view.Error = nil
		}
		if s.dialStop != nil {
			s.dialStop()
			s.dialStop = nil
		}
	}
	s.changedLocked()
	s.mu.Unlock()
	if notifyCaller != "" {
		s.ring(gen, ring, notifyCaller)
	}
	s.notify()
}

func (s *Station) setRegistrationLocked(state, reason, detail string) {
	s.view.Registration, s.view.Reason, s.view.Detail = state, reason, detail
}

// callState is the view's state of the call an event is about.
func callState(e softphone.Event) string {
	switch e.State {
	case softphone.StateCalling:
		return view.CallCalling
	case softphone.StateRinging:
		if e.Call.Incoming {
			return view.CallRinging
		}
		return view.CallCalling // 180 on our call: still calling
	case stateHeld:
		if held(e.Call) {
			return view.CallHeld
		}
		return view.CallRemoteHeld
	}
	if held(e.Call) {
		return view.CallHeld
	}
	return view.CallInCall
}

// connected: the call is answered (in call or held by either side).
func connected(state string) bool {
	return state == view.CallInCall || state == view.CallHeld || state == view.CallRemoteHeld
}

// displayRemote shortens sip:1001@domain to 1001, keeps anything else.
func displayRemote(uri string) string {
	u := strings.Trim(strings.TrimSpace(uri), "<>")
	u = strings.TrimPrefix(strings.TrimPrefix(u, "sip:"), "sips:")
	if i := strings.IndexAny(u, ";>"); i >= 0 {
		u = u[:i]
	}
	if user, _, ok := strings.Cut(u, "@"); ok && user != "" {
		return user
	}
	return u
}

// ring starts the ringtone and the desktop notification of an incoming call.
func (s *Station) ring(gen uint64, device, caller string) {
	stop, err := s.cfg.Audio.Ring(device)
	if err != nil {
		s.log.Warn("phone: ringtone", "err", err)
	}
	s.mu.Lock()
	if gen != s.gen || s.call == nil || s.view == nil || s.view.Call == nil || s.view.Call.State != view.CallRinging {
		s.mu.Unlock()
		if stop != nil {
			stop() // answered, declined or cancelled meanwhile
		}
		return
	}
	s.stopRingLocked()
	s.ringStop = stop
	s.mu.Unlock()
	if s.cfg.Notifier != nil {
		s.cfg.Notifier.Notify(s.cfg.Text("incoming_title", caller), s.cfg.Text("incoming_body", caller))
	}
}

// startStatsLocked refreshes the call's quality every StatsEvery until it
// ends or the softphone stops.
func (s *Station) startStatsLocked(gen uint64, call *softphone.Call) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(StatsEvery)
		defer t.Stop()
		for {
			select {
			case <-call.Done():
				return
			case <-t.C:
			}
			s.mu.Lock()
			if gen != s.gen || s.call != call || s.view == nil || s.view.Call == nil {
				s.mu.Unlock()
				if gen != s.gen {
					return
				}
				continue
			}
			if connected(s.view.Call.State) {
				s.view.Call.Stats = stats(call)
				s.changedLocked()
				s.mu.Unlock()
				s.notify()
				continue
			}
			s.mu.Unlock()
		}
	}()
}

// ctx is a call action's context.
func actionCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), actionTimeout)
}
