// Package softphone is the Desktop station's SIP phone, with no GUI: SIP
// over WebSocket (sipgo) with digest authentication toward Kamailio, and
// WebRTC media (pion: ICE, DTLS-SRTP, rtcp-mux) toward rtpengine. Audio
// goes through a Codec (PCMU built in) between an AudioSource and an
// AudioSink. Changes of state reach the UI as Events.
package softphone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/webrtc/v4"
)

// Config of a Phone.
type Config struct {
	WSURI    string // SIP WebSocket URI, ws:// or wss:// (system roots), with its path
	Domain   string // SIP domain and digest realm
	User     string // the extension
	Password string
	AuthUser string // digest user name; User when empty

	ICEServers []webrtc.ICEServer // STUN and TURN (with Username and Credential) as /v1/me gives them
	Expires    time.Duration      // asked registration lifetime; 5 min when zero
	Codecs     []Codec            // preferred first; defaultCodecs() when empty
	// NewSource and NewSink give each call its audio; silence and a
	// discarding Recorder when nil.
	NewSource func() AudioSource
	NewSink   func() AudioSink
	// OnEvent receives every change of state, in order, on one goroutine
	// per Phone; it must not block for long.
	OnEvent func(Event)
	Timeout time.Duration // per SIP transaction; 10 s when zero
	// KeepAlive: an OPTIONS to the server this often finds a connection
	// that died without closing (a network change); any answer will do.
	// 30 s when zero.
	KeepAlive time.Duration
	Logger    *slog.Logger
}

// Phone is a registered (or registering) SIP user agent with at most one
// call at a time.
type Phone struct {
	cfg    Config
	host   string // host:port of the WebSocket server
	aor    sip.Uri
	ua     *sipgo.UserAgent
	client *sipgo.Client
	srv    *sipgo.Server
	dua    *sipgo.DialogUA

	regCallID string
	regTag    string
	regCSeq   uint32
	// RegisterAttempts counts REGISTER requests sent (tests check that a
	// 401 loop stops).
	registerSent atomic.Int32
	refreshEvery time.Duration // tests: refresh this often instead
	refreshed    atomic.Int32
	// dropped is signalled when the WebSocket connection fails (read
	// error or closed by the server): the registration is gone with it.
	dropped chan struct{}
	conns   *conns // the WebSocket connections open now
	// backoff between re-registration attempts (tests shorten it).
	backoffMin, backoffMax time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	registered bool
	call       *Call
	closed     bool

	evMu     sync.Mutex
	evClosed bool
	events   chan Event
	evDone   chan struct{}
}

// New makes a phone; Register starts it.
func New(cfg Config) (*Phone, error) {
	u, err := url.Parse(cfg.WSURI)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("softphone: bad SIP WebSocket URI %q", cfg.WSURI)
	}
	if cfg.Domain == "" || cfg.User == "" {
		return nil, errors.New("softphone: domain and user are required")
	}
	if cfg.AuthUser == "" {
		cfg.AuthUser = cfg.User
	}
	if cfg.Expires <= 0 {
		cfg.Expires = 5 * time.Minute
	}
	if len(cfg.Codecs) == 0 {
		cfg.Codecs = defaultCodecs()
	}
	if cfg.NewSource == nil {
		cfg.NewSource = func() AudioSource { return SilenceSource{} }
	}
	if cfg.NewSink == nil {
		cfg.NewSink = func() AudioSink { return discard{} }
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	host := u.Host
	if u.Port() == "" && u.Scheme == "wss" {
		host += ":443"
	} else if u.Port() == "" {
		host += ":80"
	}
	contactHost := sip.GenerateTagN(8) + ".invalid"
	dropped, live := make(chan struct{}, 1), &conns{}
	onDrop := func() {
		select {
		case dropped <- struct{}{}:
		default:
		}
	}
	// Transactions on a connection that closes fail at once (not at their
	// timeout), so that a refresh in flight when the WebSocket drops does
	// not hold up the reconnection.
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("AgentDesk"), sipgo.WithUserAgentHostname(cfg.Domain),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerTerminateOnConnClose()),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerTransports(sip.TransportsConfig{WS: wsTransport(u, live, onDrop)})))
	if err != nil {
		return nil, err
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(contactHost), sipgo.WithClientLogger(cfg.Logger))
	if err != nil {
		_ = ua.Close()
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(cfg.Logger))
	if err != nil {
		_ = ua.Close()
		return nil, err
	}
	p := &Phone{
		cfg: cfg, host: host, ua: ua, client: client, srv: srv,
		aor:       sip.Uri{Scheme: "sip", User: cfg.User, Host: cfg.Domain},
		regCallID: sip.GenerateTagN(20), regTag: sip.GenerateTagN(10),
		events: make(chan Event, 64), evDone: make(chan struct{}),
		dropped: dropped, conns: live, backoffMin: time.Second, backoffMax: 30 * time.Second,
	}
	p.dua = &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{
		Address: sip.Uri{Scheme: "sip", User: cfg.User, Host: contactHost, UriParams: sip.HeaderParams{{K: "transport", V: "ws"}}},
	}}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	srv.OnInvite(p.onInvite)
	srv.OnAck(p.onAck)
	srv.OnBye(p.onBye)
	srv.OnInfo(p.onInfo)
	srv.OnNotify(p.onNotify)
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		// sipgo answers a CANCEL of a pending INVITE itself (487);
		// we only learn of it from the INVITE's transaction.
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	go p.deliver()
	return p, nil
}

type discard struct{}

func (discard) Start(int) error     { return nil }
func (discard) Write([]int16) error { return nil }
func (discard) Close() error        { return nil }

func (p *Phone) deliver() {
	defer close(p.evDone)
	for e := range p.events {
		if p.cfg.OnEvent != nil {
			p.cfg.OnEvent(e)
		}
	}
}

func (p *Phone) emit(e Event) {
	p.cfg.Logger.Info("softphone", "event", e.String())
	p.evMu.Lock()
	defer p.evMu.Unlock()
	if !p.evClosed { // after Close, nobody listens
		p.events <- e
	}
}

// Register registers the extension and keeps the registration fresh
// until Close. It returns once the first REGISTER is answered: nil when
// registered; otherwise the failed state has been emitted, no retry
// follows, and the error wraps ErrAuth or ErrUnreachable when that is why.
func (p *Phone) Register(ctx context.Context) error {
	p.emit(Event{State: StateRegistering})
	exp, err := p.register(ctx, p.cfg.Expires)
	if err != nil {
		p.emit(Event{State: StateFailed, Reason: err.Error(), Err: err})
		return err
	}
	p.mu.Lock()
	p.registered = true
	p.mu.Unlock()
	p.emit(Event{State: StateRegistered})
	p.wg.Add(1)
	go p.refresh(exp)
	return nil
}

// register sends one REGISTER (and at most one authenticated retry) and
// returns the lifetime the registrar granted.
func (p *Phone) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: p.cfg.Domain})
	req.AppendHeader(&sip.ToHeader{Address: p.aor})
	req.AppendHeader(&sip.FromHeader{Address: p.aor, Params: sip.HeaderParams{{K: "tag", V: p.regTag}}})
	contact := p.dua.ContactHDR.Clone()
	req.AppendHeader(contact)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	callID := sip.CallIDHeader(p.regCallID)
	req.AppendHeader(&callID)
	p.mu.Lock()
	p.regCSeq++
	req.AppendHeader(&sip.CSeqHeader{SeqNo: p.regCSeq, MethodName: sip.REGISTER})
	p.mu.Unlock()
	req.SetTransport("WS")
	req.SetDestination(p.host)

	p.registerSent.Add(1)
	res, err := p.client.Do(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrUnreachable, p.cfg.WSURI, err)
	}
	if res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired {
		p.registerSent.Add(1)
		res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.cfg.AuthUser, Password: p.cfg.Password})
		if err != nil {
			return 0, fmt.Errorf("%w: %s: %v", ErrUnreachable, p.cfg.WSURI, err)
		}
		p.mu.Lock()
		p.regCSeq = req.CSeq().SeqNo
		p.mu.Unlock()
		if res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired || res.StatusCode == sip.StatusForbidden {
			return 0, fmt.Errorf("%w: %d %s", ErrAuth, res.StatusCode, res.Reason)
		}
	}
	if res.StatusCode == sip.StatusForbidden {
		return 0, fmt.Errorf("%w: %d %s", ErrAuth, res.StatusCode, res.Reason)
	}
	if !res.IsSuccess() {
		return 0, fmt.Errorf("softphone: REGISTER: %d %s", res.StatusCode, res.Reason)
	}
	granted := expires
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(h.Value()); err == nil {
			granted = time.Duration(n) * time.Second
		}
	}
	for _, h := range res.GetHeaders("Contact") {
		if c, ok := h.(*sip.ContactHeader); ok && c.Address.Host == contact.Address.Host {
			if v, ok := c.Params.Get("expires"); ok {
				if n, err := strconv.Atoi(v); err == nil {
					granted = time.Duration(n) * time.Second
				}
			}
		}
	}
	if granted <= 0 && expires > 0 {
		granted = expires
	}
	return granted, nil
}

// Close hangs up any call, unregisters, and stops every goroutine the
// phone started.
func (p *Phone) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	call, registered := p.call, p.registered
	p.registered = false
	p.mu.Unlock()
	if call != nil {
		_ = call.Hangup(context.Background())
	}
	p.cancel()
	p.wg.Wait()
	var err error
	if registered {
		if _, err = p.register(context.Background(), 0); err == nil {
			p.emit(Event{State: StateUnregistered})
		}
	}
	_ = p.srv.Close()
	_ = p.client.Close()
	_ = p.ua.Close()
	p.evMu.Lock()
	p.evClosed = true
	close(p.events)
	p.evMu.Unlock()
	<-p.evDone
	return err
}
