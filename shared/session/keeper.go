package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
)

// Heartbeater renews a session's lease: POST /v1/sessions/{id}/heartbeat.
// *client.Client is one. Errors are the client package's: *api.Problem for
// an answer, *client.NetworkError when no answer came.
type Heartbeater interface {
	Heartbeat(ctx context.Context, sessionID string, req api.HeartbeatRequest) (*api.HeartbeatResponse, error)
}

var _ Heartbeater = (*client.Client)(nil)

// Refresher gets a new access token (POST /v1/auth/refresh) and stores it
// where the API client and the push channel read their token. It must be
// safe to call from several goroutines: the Keeper and the Push may both
// ask, and a rotating refresh token must be spent once (coalesce concurrent
// calls into one request).
type Refresher func(ctx context.Context) error

// State is where a session's heartbeats stand.
type State string

const (
	// Healthy: the last heartbeat renewed the lease.
	Healthy State = "healthy"
	// Reconnecting: heartbeats fail for a reason that may pass (network,
	// 5xx, 429); Status.NextRetry says when the next one goes out. The
	// lease still holds until Status.LeaseExpiresAt.
	Reconnecting State = "reconnecting"
	// Lost: the session is over; Status.End says why. Terminal.
	Lost State = "lost"
)

// Cause is why a session ended.
type Cause string

const (
	// TakenOver: another device took the session (409 session_taken_over,
	// or the push event). Ended.Holder names it when the push said.
	TakenOver Cause = "taken_over"
	// Revoked: the server ended it (410 session_revoked, or the push
	// event); Ended.Reason says why (admin_edit, admin_logout,
	// account_disabled, password_reset, password_changed, inactivity,
	// expired, ...).
	Revoked Cause = "revoked"
	// NotFound: the server does not know the session (404).
	NotFound Cause = "not_found"
	// Unauthorized: the access token was refused and a refresh did not
	// help (401): the agent must sign in again.
	Unauthorized Cause = "unauthorized"
	// LeaseExpired: no heartbeat got through before the lease ran out.
	// The agent may sign in to the station again (the same device gets no
	// takeover prompt).
	LeaseExpired Cause = "lease_expired"
	// Rejected: any other refusal (400, 403, 422, ...): Ended.Problem.
	Rejected Cause = "rejected"
)

// Ended is the terminal outcome of a session, returned by Keeper.Run and
// carried by the Lost status.
type Ended struct {
	Cause Cause
	// Reason is the server's revocation reason (Cause Revoked).
	Reason string
	// Holder is the device that took over, when a push event named it.
	Holder *api.SessionHolder
	// Problem is the server's answer, when the end came from one.
	Problem *api.Problem
	// Err is the error that ended the session, if any.
	Err error
}

func (e *Ended) Error() string {
	msg := "agentdesk: session ended: " + string(e.Cause)
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Ended) Unwrap() error { return e.Err }

// Status is a snapshot of a Keeper, given to OnStatus whenever the state,
// the next retry or the inactivity warning changes.
type Status struct {
	State State
	// LeaseExpiresAt is until when the server holds the session for us.
	LeaseExpiresAt time.Time
	// NextRetry is when the next heartbeat goes out (Reconnecting).
	NextRetry time.Time
	// Failures counts heartbeats failed in a row (Reconnecting).
	Failures int
	// Err is the latest failure (Reconnecting) or what ended it (Lost).
	Err error
	// End says why the session ended (Lost).
	End *Ended
	// InactivityDeadline is set while the inactivity warning stands: the
	// server ends the session at this time unless the agent is active
	// ("Stay signed in"). Zero when there is no warning.
	InactivityDeadline time.Time
}

// KeeperConfig configures a Keeper. API and Session are required.
type KeeperConfig struct {
	API Heartbeater
	// Session is the answer to POST /v1/sessions.
	Session api.Session

	// LastActivity is when the agent last used the app (the server ends
	// the session after the tenant's inactivity timeout). Nil: always
	// active, and no inactivity warning.
	LastActivity func() time.Time
	// OnCall says whether the agent is on a call (shown to a device that
	// wants to take over). Nil: never.
	OnCall func() bool
	// RefreshToken is asked once when a heartbeat gets 401; the heartbeat
	// is then retried. Nil: 401 ends the session.
	RefreshToken Refresher

	// InactivityTimeout is the tenant's (MeTenant.InactivityTimeoutMinutes);
	// zero: none.
	InactivityTimeout time.Duration
	// InactivityWarning is how long before the timeout the warning comes
	// (default one minute).
	InactivityWarning time.Duration

	// OnStatus is told every change, from Run's goroutine, one call at a
	// time; it should not block for long.
	OnStatus func(Status)

	// Clock defaults to the real clock.
	Clock Clock
	// MinBackoff and MaxBackoff bound the retry delay after a failed
	// heartbeat (defaults 1 s and 10 s); a 429's Retry-After is honoured.
	// No retry is planned past the lease: the last one goes out
	// LeaseMargin before it expires (default 2 s).
	MinBackoff, MaxBackoff, LeaseMargin time.Duration
	// RequestTimeout bounds one heartbeat request (default 10 s; never past
	// the lease).
	RequestTimeout time.Duration
}

// Defaults.
const (
	DefaultHeartbeatInterval = 20 * time.Second
	DefaultInactivityWarning = time.Minute
	DefaultMinBackoff        = time.Second
	DefaultMaxBackoff        = 10 * time.Second
	DefaultLeaseMargin       = 2 * time.Second
	DefaultRequestTimeout    = 10 * time.Second
)

// Keeper keeps one station session alive: it sends heartbeats on the
// server's interval, retries what may pass, and stops at the first answer
// that says the session is over. Create it with NewKeeper and call Run once.
type Keeper struct {
	cfg     KeeperConfig
	clock   Clock
	backoff backoff
	pushed  chan *Ended // an end told by the push channel
	touched chan struct{}

	mu     sync.Mutex
	status Status
}

// NewKeeper returns a Keeper for cfg.Session; nothing runs until Run.
func NewKeeper(cfg KeeperConfig) *Keeper {
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.InactivityWarning <= 0 {
		cfg.InactivityWarning = DefaultInactivityWarning
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	if cfg.LeaseMargin <= 0 {
		cfg.LeaseMargin = DefaultLeaseMargin
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	k := &Keeper{
		cfg:     cfg,
		clock:   cfg.Clock,
		backoff: backoff{min: cfg.MinBackoff, max: cfg.MaxBackoff},
		pushed:  make(chan *Ended, 1),
		touched: make(chan struct{}, 1),
	}
	k.status = Status{State: Healthy, LeaseExpiresAt: cfg.Session.LeaseExpiresAt}
	return k
}

// Session is the session the keeper keeps.
func (k *Keeper) Session() api.Session { return k.cfg.Session }

// Status is the latest snapshot.
func (k *Keeper) Status() Status {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.status
}

// Touch tells the keeper the agent was just active (call it after what
// LastActivity returns has moved on, e.g. on "Stay signed in"): a standing
// inactivity warning clears at once instead of at the next check.
func (k *Keeper) Touch() {
	select {
	case k.touched <- struct{}{}:
	default:
	}
}

// HandlePush gives the keeper an event from the push channel. A
// session_taken_over or session_revoked event about this session ends Run
// at once (without waiting for the next heartbeat) and HandlePush reports
// true; any other event is left to the caller (false).
func (k *Keeper) HandlePush(ev api.PushEvent) bool {
	s := k.cfg.Session
	if ev.SessionID == "" || !ForSession(ev, s.SessionID, s.Epoch) {
		return false
	}
	var end *Ended
	switch ev.Type {
	case api.EventSessionTakenOver:
		end = &Ended{Cause: TakenOver, Holder: ev.Holder}
	case api.EventSessionRevoked:
		end = &Ended{Cause: Revoked, Reason: ev.Reason}
	default:
		return false
	}
	select {
	case k.pushed <- end:
	default: // an end is already on its way
	}
	return true
}

// Run sends heartbeats until the session ends or ctx is done. It returns
// an *Ended for the end of the session, or ctx's error. Cancelling ctx does
// not end the session on the server: sign out with DELETE /v1/sessions/{id}.
func (k *Keeper) Run(ctx context.Context) error {
	if k.cfg.API == nil || k.cfg.Session.SessionID == "" {
		return errors.New("session: KeeperConfig needs API and Session")
	}
	now := k.clock.Now()
	interval := seconds(k.cfg.Session.HeartbeatInterval, DefaultHeartbeatInterval)
	lease := k.cfg.Session.LeaseExpiresAt
	if lease.IsZero() {
		lease = now.Add(3 * interval)
	}
	r := run{
		lease:    lease,
		interval: interval,
		next:     now.Add(jitterDown(interval)),
	}
	k.emit(Status{State: Healthy, LeaseExpiresAt: lease}, true)

	for {
		wake := r.next
		if w, ok := k.inactivityWake(&r); ok && w.Before(wake) {
			wake = w
		}
		timer := k.clock.NewTimer(wake.Sub(k.clock.Now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case end := <-k.pushed:
			timer.Stop()
			return k.end(end)
		case <-k.touched:
			timer.Stop()
		case <-timer.C():
		}

		now := k.clock.Now()
		if k.checkInactivity(&r, now) {
			r.next = now // the deadline passed: let the server say what it holds
		}
		if now.Before(r.next) {
			continue
		}
		if end := k.beat(ctx, &r); end != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return k.end(end)
		}
	}
}

// run is the state of one Run.
type run struct {
	lease     time.Time
	interval  time.Duration
	next      time.Time // when the next heartbeat goes out
	failures  int
	refreshed bool // a 401 was answered by a refresh since the last success
	lastErr   error

	warned       time.Time // the inactivity deadline warned about, or zero
	deadlineBeat time.Time // the deadline for which a heartbeat was forced
}

// beat sends one heartbeat and plans the next; non-nil means the end.
func (k *Keeper) beat(ctx context.Context, r *run) *Ended {
	now := k.clock.Now()
	if !now.Before(r.lease) {
		return &Ended{Cause: LeaseExpired, Err: r.lastErr}
	}
	req := api.HeartbeatRequest{Epoch: k.cfg.Session.Epoch, LastActivity: now}
	if k.cfg.LastActivity != nil {
		req.LastActivity = k.cfg.LastActivity()
	}
	if k.cfg.OnCall != nil {
		req.OnCall = k.cfg.OnCall()
	}
	actx, cancel := context.WithTimeout(ctx, min(k.cfg.RequestTimeout, r.lease.Sub(now)))
	resp, err := k.cfg.API.Heartbeat(actx, k.cfg.Session.SessionID, req)
	cancel()
	if ctx.Err() != nil {
		return &Ended{Err: ctx.Err()}
	}

	kind, p := classify(err)
	switch kind {
	case outcomeOK:
		if resp == nil {
			return k.retry(r, errors.New("session: heartbeat without an answer"), 0)
		}
		now = k.clock.Now()
		if !resp.LeaseExpiresAt.IsZero() {
			r.lease = resp.LeaseExpiresAt
		}
		r.interval = seconds(resp.HeartbeatInterval, r.interval)
		r.next = now.Add(jitterDown(r.interval))
		r.failures, r.refreshed, r.lastErr = 0, false, nil
		k.emit(k.withWarning(r, Status{State: Healthy, LeaseExpiresAt: r.lease}), false)
		return nil
	case outcomeUnauthorized:
		if r.refreshed || k.cfg.RefreshToken == nil {
			return &Ended{Cause: Unauthorized, Problem: p, Err: err}
		}
		rctx, cancel := context.WithTimeout(ctx, k.cfg.RequestTimeout)
		rerr := k.cfg.RefreshToken(rctx)
		cancel()
		if ctx.Err() != nil {
			return &Ended{Err: ctx.Err()}
		}
		if rerr == nil {
			r.refreshed = true
			r.next = k.clock.Now()
			return nil
		}
		if rk, rp := classify(rerr); rk == outcomeRetry {
			return k.retry(r, rerr, retryAfter(rp))
		}
		return &Ended{Cause: Unauthorized, Problem: p, Err: fmt.Errorf("refresh: %w", rerr)}
	case outcomeRetry:
		return k.retry(r, err, retryAfter(p))
	case outcomeTakenOver:
		return &Ended{Cause: TakenOver, Problem: p, Err: err}
	case outcomeRevoked:
		return &Ended{Cause: Revoked, Reason: p.Reason, Problem: p, Err: err}
	case outcomeNotFound:
		return &Ended{Cause: NotFound, Problem: p, Err: err}
	default:
		return &Ended{Cause: Rejected, Problem: p, Err: err}
	}
}

// retry plans the next try after a failure that may pass: backoff with
// jitter (at least wait), never later than LeaseMargin before the lease
// expires; past that point the session is lost.
func (k *Keeper) retry(r *run, err error, wait time.Duration) *Ended {
	r.failures++
	r.lastErr = err
	now := k.clock.Now()
	last := r.lease.Add(-k.cfg.LeaseMargin)
	if !now.Before(last) {
		return &Ended{Cause: LeaseExpired, Err: err}
	}
	next := now.Add(max(k.backoff.delay(r.failures), wait))
	if next.After(last) {
		next = last
	}
	r.next = next
	k.emit(k.withWarning(r, Status{State: Reconnecting, LeaseExpiresAt: r.lease, NextRetry: next, Failures: r.failures, Err: err}), false)
	return nil
}

func (k *Keeper) end(e *Ended) error {
	k.emit(Status{State: Lost, LeaseExpiresAt: k.Status().LeaseExpiresAt, Err: e.Err, End: e}, true)
	return e
}

// ---- inactivity ------------------------------------------------------------

// deadlineGrace is how long after the inactivity deadline the keeper asks
// the server (which ends sessions idle for strictly more than the timeout).
const deadlineGrace = time.Second

// inactivityWake is when the inactivity warning is due, or (once warned)
// when its deadline passes.
func (k *Keeper) inactivityWake(r *run) (time.Time, bool) {
	if k.cfg.InactivityTimeout <= 0 || k.cfg.LastActivity == nil {
		return time.Time{}, false
	}
	act := k.cfg.LastActivity()
	if act.IsZero() {
		return time.Time{}, false
	}
	deadline := act.Add(k.cfg.InactivityTimeout)
	if !r.warned.IsZero() {
		if deadline.Equal(r.deadlineBeat) {
			return time.Time{}, false // told the server already; heartbeats go on
		}
		return deadline.Add(deadlineGrace), true
	}
	return deadline.Add(-k.cfg.InactivityWarning), true
}

// checkInactivity raises or clears the warning as LastActivity stands at
// now, and reports whether the warned deadline just passed (so a heartbeat
// should tell the server now).
func (k *Keeper) checkInactivity(r *run, now time.Time) (deadlinePassed bool) {
	if k.cfg.InactivityTimeout <= 0 || k.cfg.LastActivity == nil {
		return false
	}
	var deadline, warned time.Time
	if act := k.cfg.LastActivity(); !act.IsZero() {
		deadline = act.Add(k.cfg.InactivityTimeout)
		if !now.Before(deadline.Add(-k.cfg.InactivityWarning)) {
			warned = deadline
		}
	}
	if !warned.Equal(r.warned) {
		r.warned = warned
		k.emit(k.withWarning(r, k.Status()), false)
	}
	if warned.IsZero() || now.Before(deadline.Add(deadlineGrace)) || r.deadlineBeat.Equal(deadline) {
		return false
	}
	r.deadlineBeat = deadline
	return true
}

func (k *Keeper) withWarning(r *run, st Status) Status {
	st.InactivityDeadline = r.warned
	return st
}

// emit records st and tells OnStatus when something the app shows changed.
func (k *Keeper) emit(st Status, force bool) {
	k.mu.Lock()
	old := k.status
	k.status = st
	k.mu.Unlock()
	changed := force || old.State != st.State || !old.NextRetry.Equal(st.NextRetry) ||
		!old.InactivityDeadline.Equal(st.InactivityDeadline)
	if changed && k.cfg.OnStatus != nil {
		k.cfg.OnStatus(st)
	}
}

// ---- errors ----------------------------------------------------------------

type outcome int

const (
	outcomeOK outcome = iota
	outcomeRetry
	outcomeUnauthorized
	outcomeTakenOver
	outcomeRevoked
	outcomeNotFound
	outcomeRejected
)

// classify sorts a heartbeat (or refresh) error: problems by status and
// code; anything without an answer (network, timeout, undecodable body)
// may pass.
func classify(err error) (outcome, *api.Problem) {
	if err == nil {
		return outcomeOK, nil
	}
	var p *api.Problem
	if !errors.As(err, &p) {
		return outcomeRetry, nil
	}
	switch {
	case p.Status == http.StatusUnauthorized:
		return outcomeUnauthorized, p
	case p.Status == http.StatusConflict && p.Code == api.CodeSessionTakenOver:
		return outcomeTakenOver, p
	case p.Status == http.StatusGone || p.Code == api.CodeSessionRevoked:
		return outcomeRevoked, p
	case p.Status == http.StatusNotFound:
		return outcomeNotFound, p
	case p.Status == http.StatusRequestTimeout, p.Status == http.StatusTooEarly,
		p.Status == http.StatusTooManyRequests, p.Status >= 500:
		return outcomeRetry, p
	}
	return outcomeRejected, p
}

func retryAfter(p *api.Problem) time.Duration {
	if p == nil || p.RetryAfter <= 0 {
		return 0
	}
	return time.Duration(p.RetryAfter) * time.Second
}

func seconds(n int, def time.Duration) time.Duration {
	if n <= 0 {
		return def
	}
	return time.Duration(n) * time.Second
}
