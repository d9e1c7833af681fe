package phone

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/agentdesk/agentdesk/desktop/internal/softphone"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
)

// Call actions: each returns once the view says how it went (an
// outgoing call returns at once; its progress comes as changes). A
// failure is kept in the view's Error; a success clears it.

// Dial calls to (a number as typed or pasted, an extension, user@domain
// or a SIP URI).
func (s *Station) Dial(to string) {
	target, err := DialTarget(to)
	s.mu.Lock()
	p, gen := s.phone, s.gen
	switch {
	case s.view == nil || p == nil:
		err = errors.New("no softphone")
	case err != nil:
	case s.view.Registration != view.PhoneRegistered:
		err = errors.New("not registered")
	case s.call != nil:
		err = errors.New("already in a call")
	}
	if err != nil {
		s.failLocked("dial", err)
		s.mu.Unlock()
		s.notify()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.dialStop = cancel
	s.view.Error = nil
	s.changedLocked()
	s.wg.Add(1)
	s.mu.Unlock()
	s.notify()
	go func() {
		defer s.wg.Done()
		defer cancel()
		_, err := p.Dial(ctx, target)
		if err != nil && ctx.Err() == nil {
			s.log.Info("phone: call failed", "err", err)
			s.mu.Lock()
			if gen == s.gen && s.view != nil {
				s.failLocked("dial", err)
			}
			s.mu.Unlock()
			s.notify()
		}
	}()
}

// DialTarget cleans a typed or pasted number: spaces, dots, dashes and
// brackets go ("+1 (555) 010-0000" is +15550100000); a SIP URI or
// user@domain is kept as it is.
func DialTarget(to string) (string, error) {
	to = strings.TrimSpace(to)
	if strings.Contains(to, "@") || strings.HasPrefix(to, "sip:") || strings.HasPrefix(to, "sips:") {
		if strings.ContainsAny(to, " \t\r\n<>\"") {
			return "", fmt.Errorf("invalid address %q", to)
		}
		return to, nil
	}
	var b strings.Builder
	for _, r := range to {
		switch {
		case r >= '0' && r <= '9', r == '*', r == '#', r == '+' && b.Len() == 0,
			r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r == ' ', r == '-', r == '.', r == '(', r == ')', r == '/', r == '\u00a0':
		default:
			return "", fmt.Errorf("invalid character %q in %q", r, to)
		}
	}
	if b.Len() == 0 || b.String() == "+" {
		return "", errors.New("empty number")
	}
	return b.String(), nil
}

// Answer takes the ringing call.
func (s *Station) Answer() {
	s.act("answer", func(c *softphone.Call) error {
		if !c.Incoming {
			return errNoCall
		}
		ctx, cancel := actionCtx()
		defer cancel()
		return c.Answer(ctx)
	})
}

// Decline refuses the ringing call.
func (s *Station) Decline() {
	s.act("decline", func(c *softphone.Call) error { return c.Decline() })
}

// Hangup ends the call (a CANCEL while an outgoing one is not answered).
func (s *Station) Hangup() {
	s.mu.Lock()
	if s.dialStop != nil && (s.view == nil || s.view.Call == nil || s.view.Call.State == view.CallCalling) {
		// Not answered yet: the Dial in progress sends CANCEL and ends the call.
		s.dialStop()
		s.dialStop = nil
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.act("hangup", func(c *softphone.Call) error {
		ctx, cancel := actionCtx()
		defer cancel()
		return c.Hangup(ctx)
	})
}

// SetMuted mutes or unmutes the microphone in the call.
func (s *Station) SetMuted(on bool) {
	if s.act("mute", func(c *softphone.Call) error { return setMuted(c, on) }) {
		s.update(func(c *view.PhoneCall) { c.Muted = on })
	}
}

// Hold holds the call (re-INVITE a=sendonly) or resumes it.
func (s *Station) Hold(on bool) {
	action := "resume"
	if on {
		action = "hold"
	}
	ok := s.act(action, func(c *softphone.Call) error {
		ctx, cancel := actionCtx()
		defer cancel()
		return hold(ctx, c, on)
	})
	if ok {
		s.update(func(c *view.PhoneCall) {
			c.State = view.CallInCall
			if on {
				c.State = view.CallHeld
			}
		})
	}
}

// SendDTMF sends digits (0-9 * # A-D) in the call.
func (s *Station) SendDTMF(digits string) {
	digits = strings.ToUpper(strings.TrimSpace(digits))
	s.act("dtmf", func(c *softphone.Call) error {
		if digits == "" || strings.Trim(digits, "0123456789*#ABCD") != "" {
			return fmt.Errorf("invalid DTMF digits %q", digits)
		}
		ctx, cancel := actionCtx()
		defer cancel()
		return sendDTMF(ctx, c, digits)
	})
}

// Transfer hands the call to another number (blind transfer); the call
// ends when the transfer is accepted.
func (s *Station) Transfer(to string) {
	s.act("transfer", func(c *softphone.Call) error {
		target, err := DialTarget(to)
		if err != nil {
			return err
		}
		ctx, cancel := actionCtx()
		defer cancel()
		return transfer(ctx, c, target)
	})
}

// act runs fn on the current call and keeps its failure in the view.
func (s *Station) act(action string, fn func(*softphone.Call) error) bool {
	s.mu.Lock()
	c, gen := s.call, s.gen
	s.mu.Unlock()
	err := errNoCall
	if c != nil {
		err = fn(c)
	}
	s.mu.Lock()
	defer func() { s.mu.Unlock(); s.notify() }()
	if gen != s.gen || s.view == nil {
		return false
	}
	if err != nil {
		s.log.Info("phone: call action failed", "action", action, "err", err)
		s.failLocked(action, err)
		return false
	}
	if s.view.Error != nil && !deviceError(s.view.Error.Action) {
		s.view.Error = nil
	}
	s.changedLocked()
	return true
}

// deviceError: a device that did not open in the call; it stays until the
// call ends.
func deviceError(action string) bool {
	return action == "microphone" || action == "speaker" || action == "audio"
}

// update changes the view's call when there is still one.
func (s *Station) update(fn func(*view.PhoneCall)) {
	s.mu.Lock()
	if s.view != nil && s.view.Call != nil {
		fn(s.view.Call)
		s.changedLocked()
	}
	s.mu.Unlock()
	s.notify()
}

func (s *Station) failLocked(action string, err error) {
	s.view.Error = &view.PhoneError{Action: action, Detail: err.Error()}
	s.changedLocked()
}
