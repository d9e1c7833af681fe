package softphone

import (
	"context"
	"errors"
	"time"

	"github.com/emiago/sipgo/sip"
)

// refresh keeps the registration alive until Close: it registers again
// before the registration expires, and when the WebSocket drops (a
// Kamailio restart, a network change) or a refresh fails, it emits
// reconnecting and registers again with backoff (backoffMin, doubling up
// to backoffMax) until that succeeds (registered) or the credentials are
// refused (failed, no retry).
func (p *Phone) refresh(exp time.Duration) {
	defer p.wg.Done()
	for {
		wait := exp * 3 / 4
		if exp > 2*time.Minute {
			wait = exp - 30*time.Second
		}
		if p.refreshEvery > 0 {
			wait = p.refreshEvery
		}
		timer := time.NewTimer(wait)
		keepAlive := time.NewTicker(p.cfg.KeepAlive)
		var why string
	wait:
		for {
			select {
			case <-p.ctx.Done():
				timer.Stop()
				keepAlive.Stop()
				return
			case <-p.dropped:
				why = "the connection to the SIP server dropped"
				break wait
			case <-keepAlive.C:
				if err := p.ping(); err != nil && p.ctx.Err() == nil {
					why = "keep-alive: " + err.Error()
					// Close the silent connection so that the next
					// REGISTER dials a new one, and take its drop signal.
					p.conns.closeAll()
					select {
					case <-p.dropped:
					case <-time.After(time.Second):
					}
					break wait
				}
			case <-timer.C:
				break wait
			}
		}
		timer.Stop()
		keepAlive.Stop()
		if why == "" {
			var err error
			exp, err = p.register(p.ctx, p.cfg.Expires)
			if p.ctx.Err() != nil {
				return
			}
			if err == nil {
				p.refreshed.Add(1)
				p.cfg.Logger.Debug("softphone: registration refreshed", "expires", exp)
				continue
			}
			why = "registration refresh: " + err.Error()
		}
		var ok bool
		if exp, ok = p.reconnect(why); !ok {
			return
		}
	}
}

// ping sends an OPTIONS to the server: an answer, whatever its code,
// shows the connection alive.
func (p *Phone) ping() error {
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.Timeout)
	defer cancel()
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: p.cfg.Domain})
	req.AppendHeader(&sip.FromHeader{Address: p.aor, Params: sip.HeaderParams{{K: "tag", V: sip.GenerateTagN(10)}}})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", Host: p.cfg.Domain}})
	req.SetTransport("WS")
	req.SetDestination(p.host)
	_, err := p.client.Do(ctx, req)
	return err
}

// reconnect registers again with backoff; false when the phone closes or
// the credentials are refused.
func (p *Phone) reconnect(why string) (time.Duration, bool) {
	p.mu.Lock()
	p.registered = false
	p.mu.Unlock()
	p.cfg.Logger.Warn("softphone: registration lost", "why", why)
	p.emit(Event{State: StateReconnecting, Reason: why})
	delay := p.backoffMin
	for attempt := 1; ; attempt++ {
		exp, err := p.register(p.ctx, p.cfg.Expires)
		if p.ctx.Err() != nil {
			return 0, false
		}
		if err == nil {
			// A drop noticed while we were retrying belongs to the old connection.
			select {
			case <-p.dropped:
			default:
			}
			p.mu.Lock()
			p.registered = true
			p.mu.Unlock()
			p.emit(Event{State: StateRegistered, Reason: "registered again"})
			return exp, true
		}
		if errors.Is(err, ErrAuth) {
			p.emit(Event{State: StateFailed, Reason: err.Error(), Err: err})
			return 0, false
		}
		p.cfg.Logger.Info("softphone: re-registration failed", "attempt", attempt, "retry_in", delay, "err", err)
		select {
		case <-p.ctx.Done():
			return 0, false
		case <-time.After(delay):
		}
		delay = min(2*delay, p.backoffMax)
	}
}
