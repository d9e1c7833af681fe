package softphone

import (
	"context"
	"fmt"

	"github.com/pion/webrtc/v4"
)

// watchICE restarts ICE by itself when the path breaks mid-call (pion
// reports disconnected after 5 s without traffic, as when the network
// changes): one restart at a time, until it succeeds or the call ends.
func (c *Call) watchICE(m *mediaSession) {
	m.pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) {
		if s != webrtc.ICEConnectionStateDisconnected && s != webrtc.ICEConnectionStateFailed {
			return
		}
		if c.established() != nil || !c.iceRestarting.CompareAndSwap(false, true) {
			return
		}
		go func() {
			defer c.iceRestarting.Store(false)
			ctx, cancel := context.WithTimeout(c.p.ctx, 2*c.p.cfg.Timeout)
			defer cancel()
			go func() {
				select {
				case <-c.ended:
					cancel()
				case <-ctx.Done():
				}
			}()
			c.p.cfg.Logger.Warn("softphone: media path lost, restarting ICE", "call", c.ID, "ice", s.String())
			if err := c.RestartICE(ctx); err != nil {
				c.p.cfg.Logger.Warn("softphone: ICE restart failed", "call", c.ID, "err", err)
				return
			}
			c.p.emit(Event{State: c.state(), Reason: "media path restored (ICE restart)", Call: c})
		}()
	})
}

// RestartICE restarts ICE by re-INVITE (RFC 8445 §9: new ice-ufrag and
// ice-pwd, candidates gathered again), for when the network changed
// mid-call: pion makes the offer (ICERestart), rtpengine answers with its
// candidates, and the DTLS association and SRTP keys carry on over the
// new path. Direction and DTLS role stay as they were.
func (c *Call) RestartICE(ctx context.Context) error {
	return c.glareRetry(ctx, func() error { return c.restartICE(ctx) })
}

func (c *Call) restartICE(ctx context.Context) error {
	if err := c.established(); err != nil {
		return err
	}
	c.sig.Lock()
	defer c.sig.Unlock()
	c.mu.Lock()
	m, dir := c.media, direction(!c.heldRemote, !c.heldLocal)
	c.mu.Unlock()
	o, err := m.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		return fmt.Errorf("softphone: ICE restart offer: %w", err)
	}
	local, err := m.setLocal(ctx, o)
	if err != nil {
		return fmt.Errorf("softphone: ICE restart: %w", err)
	}
	answer, err := c.reoffer(ctx, dir, local)
	if err != nil {
		// pion waits for an answer that will not come: put its offer
		// back so that the old path goes on.
		_ = m.pc.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback})
		return err
	}
	if err := m.setAnswer(answer); err != nil {
		return fmt.Errorf("softphone: ICE restart: %w", err)
	}
	c.mu.Lock()
	c.remoteUfrag = attr(answer, "ice-ufrag")
	c.mu.Unlock()
	return nil
}
