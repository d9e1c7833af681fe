package softphone

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Hold and resume work by SDP direction alone (RFC 3264 §8.4, RFC 6337):
// our re-INVITE says a=sendonly (a=inactive when the peer holds us too),
// the peer answers recvonly and stops sending, and we stop sending too
// (sendTrack.pause). The SDP is our last one with the direction and the
// o= version changed; pion does not see these offers and answers. Why
// not pion's own renegotiation: rtpengine keeps the ICE credentials,
// DTLS fingerprint and SSRCs across a hold re-INVITE, so there is nothing
// for pion to learn, while pion's renegotiation may stop and rebind the
// sender and fire OnTrack again when rtpengine's re-offer lists other
// SSRCs. Only an ICE restart (new ice-ufrag) goes through pion.

// Hold puts the call on hold: re-INVITE a=sendonly; media stops both ways.
func (c *Call) Hold(ctx context.Context) error { return c.setHold(ctx, true) }

// Resume takes the call off hold: re-INVITE a=sendrecv.
func (c *Call) Resume(ctx context.Context) error { return c.setHold(ctx, false) }

// Held reports whether we hold the call.
func (c *Call) Held() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heldLocal
}

// state is the call's state for an event about it.
func (c *Call) state() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.heldLocal || c.heldRemote {
		return StateHeld
	}
	return StateInCall
}

func (c *Call) setHold(ctx context.Context, hold bool) error {
	return c.glareRetry(ctx, func() error { return c.holdOnce(ctx, hold) })
}

// errGlare: the peer answered 491, its own re-INVITE crossing ours.
var errGlare = errors.New("softphone: re-INVITE crossed the peer's (491 Request Pending)")

// glareRetry runs a re-INVITE and, when it meets the peer's (491), once
// more after RFC 3261 §14.1's wait: 2.1-4 s when we made the call (own
// its Call-ID), 0-2 s otherwise; the peer's re-INVITE gets in meanwhile.
func (c *Call) glareRetry(ctx context.Context, f func() error) error {
	err := f()
	if !errors.Is(err, errGlare) {
		return err
	}
	wait := time.Duration(rand.Int64N(int64(2 * time.Second)))
	if !c.Incoming {
		wait += 2100 * time.Millisecond
	}
	select {
	case <-time.After(wait):
	case <-c.ended:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
	return f()
}

func (c *Call) holdOnce(ctx context.Context, hold bool) error {
	if err := c.established(); err != nil {
		return err
	}
	c.sig.Lock()
	defer c.sig.Unlock()
	c.mu.Lock()
	if c.heldLocal == hold {
		c.mu.Unlock()
		return nil
	}
	m, remote := c.media, c.heldRemote
	c.mu.Unlock()
	if hold {
		m.track.pause(true) // nothing more leaves from now on
	}
	_, err := c.reoffer(ctx, direction(!remote, !hold), "")
	if err != nil {
		if hold {
			m.track.pause(remote)
		}
		return err
	}
	c.mu.Lock()
	c.heldLocal = hold
	paused := c.heldLocal || c.heldRemote
	c.mu.Unlock()
	m.track.pause(paused)
	reason := "resumed"
	if hold {
		reason = "held"
	}
	c.p.emit(Event{State: c.state(), Reason: reason, Call: c})
	return nil
}

// reoffer sends a re-INVITE with our SDP in direction dir (or `offer`
// when given: an ICE restart's) and returns the peer's answer. Callers
// hold c.sig.
func (c *Call) reoffer(ctx context.Context, dir, offer string) (string, error) {
	c.mu.Lock()
	c.version++
	if offer == "" {
		offer = withDirection(c.localSDP, dir, c.version)
	} else {
		offer = withDirection(withSetup(offer, c.role), dir, c.version)
	}
	c.mu.Unlock()
	t0 := time.Now()
	_, res, err := c.request(ctx, sip.INVITE, []byte(offer), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		return "", err
	}
	if res.StatusCode == sip.StatusRequestPending {
		return "", errGlare
	}
	if !res.IsSuccess() {
		return "", fmt.Errorf("softphone: re-INVITE: %d %s", res.StatusCode, res.Reason)
	}
	if err := c.ack(); err != nil {
		return "", fmt.Errorf("softphone: ACK of the re-INVITE: %w", err)
	}
	answer := string(res.Body())
	if err := checkSDP(answer); err != nil {
		return "", fmt.Errorf("softphone: the peer's answer to our re-INVITE: %w", err)
	}
	c.mu.Lock()
	c.localSDP = offer // with the direction: the next re-INVITE rewrites it
	c.mu.Unlock()
	c.p.cfg.Logger.Info("softphone: re-INVITE answered", "direction", dir, "answer", sdpDirection(answer), "rtt", time.Since(t0))
	return answer, nil
}

// onReinvite answers the peer's re-INVITE: hold (sendonly, inactive),
// resume (sendrecv), or an ICE restart (a new ice-ufrag), which pion
// takes in.
func (c *Call) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	if !c.sig.TryLock() {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusRequestPending, "Request Pending", nil))
		return
	}
	defer c.sig.Unlock()
	if err := c.established(); err != nil {
		// Before our answer (RFC 3261 §14.2: 500 with Retry-After), or
		// after the end.
		res := sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Server Internal Error", nil)
		res.AppendHeader(sip.NewHeader("Retry-After", "1"))
		res.AppendHeader(sip.NewHeader("Warning", "399 agentdesk \"the call is not established\""))
		_ = tx.Respond(res)
		return
	}
	if err := checkOffer(req); err != nil {
		c.p.cfg.Logger.Warn("softphone: re-INVITE refused", "call", c.ID, "err", err)
		respondError(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here", err.Error())
		return
	}
	offer := string(req.Body())
	c.mu.Lock()
	m, heldLocal, ufrag := c.media, c.heldLocal, c.remoteUfrag
	c.mu.Unlock()
	if u := attr(offer, "ice-ufrag"); u != "" && u != ufrag {
		ctx, cancel := context.WithTimeout(c.p.ctx, c.p.cfg.Timeout)
		local, err := m.answer(ctx, offer)
		cancel()
		if err != nil {
			c.p.cfg.Logger.Warn("softphone: ICE restart offer refused", "call", c.ID, "err", err)
			respondError(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here", err.Error())
			return
		}
		c.mu.Lock()
		c.localSDP, c.remoteUfrag = withSetup(local, c.role), u
		c.mu.Unlock()
	}
	peer := sdpDirection(offer)
	dir := direction(!heldLocal && receives(peer), sends(peer))
	c.mu.Lock()
	c.version++
	answer := withDirection(c.localSDP, dir, c.version)
	wasHeld := c.heldRemote
	c.heldRemote = !receives(peer) // sendonly or inactive: it holds us
	paused := c.heldLocal || c.heldRemote
	nowHeld := c.heldRemote
	c.mu.Unlock()
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", []byte(answer))
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res.AppendHeader(sip.HeaderClone(&c.p.dua.ContactHDR))
	if err := tx.Respond(res); err != nil {
		c.p.cfg.Logger.Warn("softphone: answering a re-INVITE", "call", c.ID, "err", err)
		return
	}
	m.track.pause(paused)
	if wasHeld != nowHeld {
		reason := "resumed by the other party"
		if nowHeld {
			reason = "held by the other party"
		}
		c.p.emit(Event{State: c.state(), Reason: reason, Call: c})
	}
}

// checkOffer: an INVITE must carry an SDP offer we can read (early
// offers only).
func checkOffer(req *sip.Request) error {
	if len(req.Body()) == 0 {
		return fmt.Errorf("no SDP offer (an INVITE without SDP is not supported)")
	}
	if ct := req.ContentType(); ct == nil || ct.Value() != "application/sdp" {
		return fmt.Errorf("the offer is not application/sdp")
	}
	return checkSDP(string(req.Body()))
}
