package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/shared/api"
)

// pushConn is one desktop's push channel, opened as the desktop opens it
// (?access_token=…&device_id=…). A goroutine reads it and hands each event
// on with the time it arrived.
type pushConn struct {
	ws     *websocket.Conn
	events chan received
}

type received struct {
	Event api.PushEvent
	At    time.Time
}

// dialPush opens the push channel at pushURL with an access token.
func dialPush(ctx context.Context, pushURL, token, deviceID string) (*pushConn, error) {
	q := url.Values{"access_token": {token}, "device_id": {deviceID}}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ws, res, err := websocket.Dial(dctx, pushURL+"?"+q.Encode(), nil)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		return nil, fmt.Errorf("push connect (HTTP %d): %w", status, err)
	}
	p := &pushConn{ws: ws, events: make(chan received, 64)}
	go p.read()
	return p, nil
}

func (p *pushConn) read() {
	defer close(p.events)
	for {
		_, data, err := p.ws.Read(context.Background())
		at := time.Now()
		if err != nil {
			return
		}
		var ev api.PushEvent
		if json.Unmarshal(data, &ev) != nil {
			continue
		}
		select {
		case p.events <- received{ev, at}:
		default: // nobody is listening on this desktop: drop
		}
	}
}

// next waits for an event that match accepts, skipping others.
func (p *pushConn) next(ctx context.Context, match func(api.PushEvent) bool) (received, error) {
	for {
		select {
		case r, ok := <-p.events:
			if !ok {
				return received{}, fmt.Errorf("push channel closed")
			}
			if match(r.Event) {
				return r, nil
			}
		case <-ctx.Done():
			return received{}, ctx.Err()
		}
	}
}

// drain drops the events received so far.
func (p *pushConn) drain() {
	for {
		select {
		case _, ok := <-p.events:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// ping sends the desktop's keep-alive.
func (p *pushConn) ping(ctx context.Context) error {
	return p.ws.Write(ctx, websocket.MessageText, []byte(`{"action":"ping"}`))
}

func (p *pushConn) close() { _ = p.ws.Close(websocket.StatusNormalClosure, "") }

// openPush opens the agents' push channels from their desks.
func openPush(ctx context.Context, e *env, agents []*stationAgent) error {
	return parallel(ctx, setupWorkers, len(agents), func(ctx context.Context, i int) error {
		a := agents[i]
		p, err := dialPush(ctx, e.PushURL, a.Token.AccessToken, a.Device.ID)
		if err != nil {
			return fmt.Errorf("%s: %w", a.Email, err)
		}
		a.Push = p
		return nil
	})
}

// takeovers is the "Continue" run.
type takeovers struct {
	N int
	// Told: from just before the second device's POST /v1/sessions with
	// takeover to the displaced desktop reading session_taken_over.
	// Answer: the same POST's own round trip.
	Told, Answer []time.Duration
	Wall         time.Duration
	// Usage of the second device's refused station login (409
	// session_active_elsewhere), of its Continue, and of the displaced
	// desktop's next heartbeat (409 session_taken_over).
	Refused, Continue, Displaced usage
	desks                        []*pushConn // the displaced desks' channels, still open
}

func (t takeovers) p(q float64) time.Duration       { return percentile(slices.Clone(t.Told), q) }
func (t takeovers) answerP(q float64) time.Duration { return percentile(slices.Clone(t.Answer), q) }

// measureTakeovers: for each of n agents, a second device (a laptop) signs
// in, opens its push channel and asks for the station: refused with the
// desk's details. It presses Continue; the time runs from just before that
// request until the desk reads session_taken_over on its push channel. The
// desk's next heartbeat must then be refused with session_taken_over. One
// takeover at a time.
func measureTakeovers(ctx context.Context, e *env, agents []*stationAgent, n int) (takeovers, error) {
	t := takeovers{N: n}
	anon := e.client("")
	start := time.Now()
	var refused, cont, displaced []mark
	var refusedEnd, contEnd, displacedEnd []usage
	for i := range n {
		a := agents[i]
		// The desk is heartbeating: its lease is live.
		if err := ensureLive(ctx, a); err != nil {
			return t, fmt.Errorf("desk heartbeat %s: %w", a.Email, err)
		}
		laptop := api.Device{ID: fmt.Sprintf("bench-laptop-%04d", a.I), Name: fmt.Sprintf("Laptop %04d", a.I), Platform: "macos"}
		tok, err := anon.Login(ctx, api.LoginRequest{Email: a.Email, Password: a.Password, Device: laptop})
		if err != nil {
			return t, fmt.Errorf("laptop sign-in %s: %w", a.Email, err)
		}
		lc := e.client(tok.AccessToken)
		lp, err := dialPush(ctx, e.PushURL, tok.AccessToken, laptop.ID)
		if err != nil {
			return t, fmt.Errorf("laptop %s: %w", a.Email, err)
		}
		req := api.CreateSessionRequest{Station: a.Station, Device: laptop}

		refused = append(refused, e.mark())
		_, err = lc.CreateSession(ctx, req)
		refusedEnd = append(refusedEnd, e.since(refused[len(refused)-1]))
		if problemCode(err) != api.CodeSessionElsewhere {
			return t, fmt.Errorf("second device of %s: want session_active_elsewhere, got %v", a.Email, err)
		}
		if h := asProblem(err).Holder; h == nil || h.DeviceName != a.Device.Name {
			return t, fmt.Errorf("second device of %s: holder %+v", a.Email, h)
		}
		a.Push.drain()

		req.Takeover = true
		cont = append(cont, e.mark())
		sent := time.Now()
		s, err := lc.CreateSession(ctx, req)
		answered := time.Now()
		if err != nil {
			return t, fmt.Errorf("continue %s: %w", a.Email, err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		r, err := a.Push.next(wctx, func(ev api.PushEvent) bool {
			return ev.Type == api.EventSessionTakenOver && ev.SessionID == a.Session.SessionID
		})
		cancel()
		if err != nil {
			return t, fmt.Errorf("desk of %s not told of the takeover: %w", a.Email, err)
		}
		contEnd = append(contEnd, e.since(cont[len(cont)-1]))
		t.Told, t.Answer = append(t.Told, r.At.Sub(sent)), append(t.Answer, answered.Sub(sent))
		if r.Event.Epoch != a.Session.Epoch || s.Epoch <= a.Session.Epoch || r.Event.Holder == nil || r.Event.Holder.DeviceName != laptop.Name {
			return t, fmt.Errorf("takeover of %s: event %+v, new epoch %d", a.Email, r.Event, s.Epoch)
		}

		displaced = append(displaced, e.mark())
		err = beat(ctx, a)
		displacedEnd = append(displacedEnd, e.since(displaced[len(displaced)-1]))
		if problemCode(err) != api.CodeSessionTakenOver {
			return t, fmt.Errorf("displaced desk of %s: want session_taken_over, got %v", a.Email, err)
		}
		// The laptop holds the station from now on. The desk keeps its
		// push channel open, as a displaced desktop does (it offers
		// Continue and Sign out); it is closed with the others at the end.
		a.Device, a.Token, a.API, a.Session = laptop, tok, lc, s
		t.desks = append(t.desks, a.Push)
		a.Push = lp
	}
	t.Wall = time.Since(start)
	t.Refused, t.Continue, t.Displaced = sumUsage(refusedEnd), sumUsage(contEnd), sumUsage(displacedEnd)
	return t, nil
}

// asProblem is err's API problem, or an empty one.
func asProblem(err error) *api.Problem {
	var p *api.Problem
	if errors.As(err, &p) {
		return p
	}
	return &api.Problem{}
}

// sumUsage adds usages up.
func sumUsage(us []usage) usage {
	out := usage{DB: counts{Ops: map[string]int{}, Errors: map[string]int{}, Retries: map[string]int{}, Access: map[string]int{}},
		Handlers: timings{N: map[string]int{}, Total: map[string]time.Duration{}, Billed: map[string]int{}}}
	for _, u := range us {
		out.DB = addCounts(out.DB, u.DB)
		for k, v := range u.Handlers.N {
			out.Handlers.N[k] += v
		}
		for k, v := range u.Handlers.Total {
			out.Handlers.Total[k] += v
		}
		for k, v := range u.Handlers.Billed {
			out.Handlers.Billed[k] += v
		}
		out.Log.Bytes += u.Log.Bytes
		out.Log.Lines += u.Log.Lines
	}
	return out
}
