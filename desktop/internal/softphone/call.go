package softphone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Call is the phone's one call, outgoing (Dial) or incoming (the ringing
// event; Answer or Decline).
type Call struct {
	ID       string // SIP Call-ID
	Incoming bool
	Remote   string // the other party's URI

	p     *Phone
	cs    *sipgo.DialogClientSession
	ss    *sipgo.DialogServerSession
	offer string

	mu         sync.Mutex
	media      *mediaSession
	answered   bool
	declined   bool // Decline responded; the transaction's end is not a CANCEL
	reason     string
	started    time.Time // INVITE sent (outgoing) or 200 OK sent (incoming)
	answeredAt time.Time

	// sig serialises the requests we send inside the dialog (re-INVITE,
	// INFO, REFER): their CSeq numbers and ACKs follow one another, and
	// a re-INVITE from the peer meanwhile gets 491.
	sig sync.Mutex
	// What the re-INVITEs are made of (under mu): our last SDP with our
	// DTLS role in it, its o= version, the peer's ICE user fragment.
	localSDP      string
	role          string
	version       uint64
	remoteUfrag   string
	heldLocal     bool // we put the call on hold
	heldRemote    bool // the peer did
	muted         atomic.Bool
	iceRestarting atomic.Bool // watchICE's restart under way
	transfer      chan int    // NOTIFY sipfrag status codes while our REFER runs
	transferred   bool        // the transfer target answered: the call ends "transferred"

	ended   chan struct{}
	endOnce sync.Once
}

// Done is closed when the call has ended.
func (c *Call) Done() <-chan struct{} { return c.ended }

// Reason why the call ended ("" while it lasts).
func (c *Call) Reason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// WaitAudio waits for the first audio packet and returns the setup time:
// from the INVITE sent (outgoing) or the 200 OK sent (incoming) to that
// packet.
func (c *Call) WaitAudio(ctx context.Context) (time.Duration, error) {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if m == nil {
		return 0, errors.New("softphone: the call has no media")
	}
	select {
	case <-m.firstRTP:
		c.mu.Lock()
		defer c.mu.Unlock()
		return m.firstAt.Sub(c.started), nil
	case <-c.ended:
		return 0, fmt.Errorf("softphone: the call ended before any audio: %s", c.Reason())
	case <-ctx.Done():
		return 0, fmt.Errorf("softphone: waiting for audio: %w", ctx.Err())
	}
}

func (p *Phone) target(to string) (sip.Uri, error) {
	var u sip.Uri
	if !strings.Contains(to, "@") {
		to = to + "@" + p.cfg.Domain
	}
	if !strings.HasPrefix(to, "sip:") && !strings.HasPrefix(to, "sips:") {
		to = "sip:" + to
	}
	if err := sip.ParseUri(to, &u); err != nil {
		return u, fmt.Errorf("softphone: bad number or URI %q: %w", to, err)
	}
	return u, nil
}

// Dial calls `to` (a number, user@domain or a SIP URI) and returns once
// the call is answered (in_call) or has failed (ended). Cancelling ctx
// before the answer sends a CANCEL.
func (p *Phone) Dial(ctx context.Context, to string) (*Call, error) {
	uri, err := p.target(to)
	if err != nil {
		return nil, err
	}
	c := &Call{p: p, Remote: uri.String(), ended: make(chan struct{})}
	p.mu.Lock()
	switch {
	case p.closed:
		p.mu.Unlock()
		return nil, errors.New("softphone: closed")
	case p.call != nil:
		p.mu.Unlock()
		return nil, errors.New("softphone: already in a call")
	}
	p.call = c
	p.mu.Unlock()

	m, err := newMediaSession(&p.cfg, &muteSource{AudioSource: p.cfg.NewSource(), muted: &c.muted}, p.cfg.NewSink())
	if err != nil {
		c.finish("media: " + err.Error())
		return nil, err
	}
	c.mu.Lock()
	c.media = m
	c.mu.Unlock()
	offer, err := m.offer(ctx)
	if err != nil {
		c.finish(err.Error())
		return nil, err
	}
	req := sip.NewRequest(sip.INVITE, uri)
	req.AppendHeader(&sip.FromHeader{Address: p.aor, Params: sip.HeaderParams{{K: "tag", V: sip.GenerateTagN(10)}}})
	req.AppendHeader(&sip.ToHeader{Address: uri})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte(offer))
	req.SetTransport("WS")
	req.SetDestination(p.host)

	c.mu.Lock()
	c.started = time.Now()
	c.mu.Unlock()
	cs, err := p.dua.WriteInvite(ctx, req)
	if cs != nil {
		c.ID = cs.InviteRequest.CallID().Value()
	}
	p.emit(Event{State: StateCalling, Call: c})
	if err != nil {
		err = fmt.Errorf("%w: INVITE: %v", ErrUnreachable, err)
		c.finish(err.Error())
		return c, err
	}
	c.cs = cs
	err = cs.WaitAnswer(ctx, sipgo.AnswerOptions{
		Username: p.cfg.AuthUser, Password: p.cfg.Password,
		OnResponse: func(res *sip.Response) error {
			if res.StatusCode == sip.StatusRinging || res.StatusCode == sip.StatusSessionInProgress {
				p.emit(Event{State: StateRinging, Call: c})
			}
			return nil
		},
	})
	if err != nil {
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) {
			err = fmt.Errorf("softphone: call to %s: %d %s", to, de.Res.StatusCode, de.Res.Reason)
		}
		c.finish(err.Error())
		return c, err
	}
	if err := m.setAnswer(string(cs.InviteResponse.Body())); err != nil {
		_ = cs.Ack(context.Background())
		_ = cs.Bye(context.Background())
		c.finish(err.Error())
		return c, err
	}
	c.negotiated(offer, string(cs.InviteResponse.Body()), true)
	if err := cs.Ack(ctx); err != nil {
		c.finish("ACK: " + err.Error())
		return c, err
	}
	if err := m.start(); err != nil {
		_ = cs.Bye(context.Background())
		c.finish(err.Error())
		return c, err
	}
	c.watchICE(m)
	c.mu.Lock()
	c.answered = true
	c.answeredAt = time.Now()
	c.mu.Unlock()
	p.emit(Event{State: StateInCall, Call: c})
	return c, nil
}

// onInvite: an incoming call rings until Answer, Decline, the caller's
// CANCEL, or Close.
func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	p.mu.Lock()
	if p.call != nil && p.call.ID == req.CallID().Value() {
		p.mu.Unlock()
		if req.To() == nil || !req.To().Params.Has("tag") {
			return // a retransmission of the INVITE that started the call
		}
		if c := p.readInDialog(req, tx); c != nil {
			c.onReinvite(req, tx)
		}
		return
	}
	if p.closed || p.call != nil {
		p.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBusyHere, "Busy Here", nil))
		return
	}
	if err := checkOffer(req); err != nil {
		p.mu.Unlock()
		p.cfg.Logger.Warn("softphone: incoming call refused", "from", req.From().Address.String(), "err", err)
		respondError(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here", err.Error())
		return
	}
	ss, err := p.dua.ReadInvite(req, tx)
	if err != nil {
		p.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil))
		return
	}
	c := &Call{p: p, ID: req.CallID().Value(), Incoming: true, ss: ss, offer: string(req.Body()), ended: make(chan struct{})}
	if f := req.From(); f != nil {
		c.Remote = f.Address.String()
	}
	p.call = c
	p.mu.Unlock()

	_ = ss.Respond(sip.StatusRinging, "Ringing", nil)
	p.emit(Event{State: StateRinging, Call: c})
	// The handler keeps the INVITE transaction until the call ends.
	select {
	case <-c.ended:
	case <-tx.Done():
		c.mu.Lock()
		decided := c.answered || c.declined
		c.mu.Unlock()
		if !decided {
			c.finish("canceled by the caller")
		}
		select {
		case <-c.ended:
		case <-p.ctx.Done():
		}
	case <-p.ctx.Done():
	}
}

// Answer accepts an incoming call that is ringing.
func (c *Call) Answer(ctx context.Context) error {
	if !c.Incoming {
		return errors.New("softphone: not an incoming call")
	}
	p := c.p
	m, err := newMediaSession(&p.cfg, &muteSource{AudioSource: p.cfg.NewSource(), muted: &c.muted}, p.cfg.NewSink())
	if err != nil {
		_ = c.ss.Respond(sip.StatusInternalServerError, "Server Internal Error", nil)
		c.finish("media: " + err.Error())
		return err
	}
	c.mu.Lock()
	c.media = m
	c.mu.Unlock()
	sdp, err := m.answer(ctx, c.offer)
	if err != nil {
		_ = c.ss.Respond(488, "Not Acceptable Here", nil)
		c.finish(err.Error())
		return err
	}
	c.negotiated(sdp, c.offer, false)
	c.mu.Lock()
	c.started = time.Now()
	c.answered = true
	c.answeredAt = c.started
	c.mu.Unlock()
	if err := c.ss.Respond(sip.StatusOK, "OK", []byte(sdp), sip.NewHeader("Content-Type", "application/sdp")); err != nil {
		c.finish("200 OK: " + err.Error())
		return err
	}
	if err := m.start(); err != nil {
		_ = c.ss.Bye(context.Background())
		c.finish(err.Error())
		return err
	}
	c.watchICE(m)
	p.emit(Event{State: StateInCall, Call: c})
	return nil
}

// Decline refuses an incoming call that is ringing (603 Decline).
func (c *Call) Decline() error {
	if !c.Incoming {
		return errors.New("softphone: not an incoming call")
	}
	c.mu.Lock()
	c.declined = true
	c.mu.Unlock()
	err := c.ss.Respond(603, "Decline", nil)
	c.finish("declined")
	return err
}

// Hangup ends the call: BYE when answered, CANCEL-like decline when an
// incoming call still rings.
func (c *Call) Hangup(ctx context.Context) error {
	select {
	case <-c.ended:
		return nil
	default:
	}
	c.mu.Lock()
	answered := c.answered
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.p.cfg.Timeout)
	defer cancel()
	var err error
	switch {
	case c.Incoming && !answered:
		return c.Decline()
	case c.Incoming:
		err = c.ss.Bye(ctx)
	case c.cs != nil && answered:
		err = c.cs.Bye(ctx)
	}
	c.finish("hung up")
	return err
}

// AnsweredAt is when the call was answered (zero until in_call): the
// call timer's start.
func (c *Call) AnsweredAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answeredAt
}

// negotiated keeps what later re-INVITEs are built from, once the first
// offer/answer is done.
func (c *Call) negotiated(local, remote string, weOffered bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.role = ourRole(local, remote, weOffered)
	c.localSDP = withSetup(local, c.role)
	c.version = sdpVersion(local)
	c.remoteUfrag = attr(remote, "ice-ufrag")
}

func (p *Phone) onAck(req *sip.Request, tx sip.ServerTransaction) {
	p.mu.Lock()
	c := p.call
	p.mu.Unlock()
	if c != nil && c.ss != nil && c.ID == req.CallID().Value() {
		_ = c.ss.ReadAck(req, tx)
	}
}

func (p *Phone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	p.mu.Lock()
	c := p.call
	p.mu.Unlock()
	if c == nil || c.ID != req.CallID().Value() {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		return
	}
	var err error
	if c.cs != nil {
		err = c.cs.ReadBye(req, tx)
	} else {
		err = c.ss.ReadBye(req, tx)
	}
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	}
	c.finish("the other party hung up")
}

// finish releases the call's media and dialog and emits ended, once.
func (c *Call) finish(reason string) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		if c.transferred {
			reason = "transferred"
		}
		c.reason = reason
		m := c.media
		c.mu.Unlock()
		if m != nil {
			m.close()
		}
		if c.cs != nil {
			_ = c.cs.Close()
		}
		if c.ss != nil {
			_ = c.ss.Close()
		}
		c.p.mu.Lock()
		if c.p.call == c {
			c.p.call = nil
		}
		c.p.mu.Unlock()
		close(c.ended)
		c.p.emit(Event{State: StateEnded, Reason: reason, Call: c})
	})
}
