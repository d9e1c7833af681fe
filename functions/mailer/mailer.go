// Package mailer delivers outbox emails with an exactly-once effect as far
// as the outbox allows: a message is claimed (a conditional update), sent,
// then marked sent; a second claimant finds nothing to do. Transient
// failures go back to pending with an exponential backoff; permanent ones
// (or too many attempts) mark the message failed.
//
// In AWS the DynamoDB stream drives it (HandleStream); locally a Poller
// stands in for the stream. Either way, a message released for a later
// attempt is only picked up again by a sweep (Poller.Drain / Processor.Sweep,
// or Handle given a scheduled event): a stream record arrives once, before
// the backoff has passed.
//
// Nothing here logs a message's Data (links, codes) or its full recipient:
// logs carry the id, template, attempt, recipient domain and error codes.
package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/mail"
)

// Sender sends one rendered email. Errors that cannot succeed on retry
// should implement interface{ Permanent() bool } (ses.SendError does), and
// may carry a loggable code through interface{ ErrorCode() string }.
type Sender interface {
	Send(ctx context.Context, e mail.Email) error
}

// Defaults.
const (
	DefaultMaxAttempts = 8
	DefaultLease       = 2 * time.Minute
	DefaultBatch       = 25
	DefaultInterval    = 5 * time.Second
)

// Processor delivers outbox messages one at a time.
type Processor struct {
	Store  domain.OutboxStore
	Sender Sender
	// Render builds the email (default mail.Render). Its errors are
	// permanent.
	Render func(*domain.OutboxMessage) (mail.Email, error)
	Clock  func() time.Time
	Log    *slog.Logger
	// MaxAttempts is the number of sends tried before a message fails
	// (default 8).
	MaxAttempts int
	// Lease is how long a claim keeps others away (default 2m); a send that
	// outlives it may be repeated by another worker, so sends are cut at
	// half of it.
	Lease time.Duration
	// Backoff is the wait after the attempt-th failure (default
	// DefaultBackoff).
	Backoff func(attempt int) time.Duration
}

func (p *Processor) now() time.Time {
	if p.Clock != nil {
		return p.Clock()
	}
	return time.Now()
}

func (p *Processor) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

func (p *Processor) maxAttempts() int {
	if p.MaxAttempts > 0 {
		return p.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (p *Processor) lease() time.Duration {
	if p.Lease > 0 {
		return p.Lease
	}
	return DefaultLease
}

func (p *Processor) backoff(attempt int) time.Duration {
	if p.Backoff != nil {
		return p.Backoff(attempt)
	}
	return DefaultBackoff(attempt)
}

func (p *Processor) render(m *domain.OutboxMessage) (mail.Email, error) {
	if p.Render != nil {
		return p.Render(m)
	}
	return mail.Render(m)
}

// DefaultBackoff waits 10s after the first failure, doubling each time up
// to an hour, with ±25% jitter so retries of many messages spread out.
func DefaultBackoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	d += time.Duration(rand.Int64N(int64(d/2)+1)) - d/4
	return min(d, time.Hour)
}

// DeliveryError is a failed attempt that will be retried. Its message holds
// only the id, template, attempt and error code; Unwrap gives the cause
// (whose text may name the recipient).
type DeliveryError struct {
	ID       string
	Template string
	Attempt  int
	Code     string
	Err      error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("mailer: %s (%s) attempt %d failed: %s", e.ID, e.Template, e.Attempt, e.Code)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

type outcome int

const (
	skipped  outcome = iota // not ours to send (done, not due, or claimed elsewhere)
	sent                    // sent now
	retrying                // failed, will be retried
	failed                  // failed for good
)

// Deliver sends outbox message id unless it was handled already or someone
// else holds it (then it returns nil). A transient failure puts it back to
// pending with a backoff and returns an error (a *DeliveryError, or a store
// error) so the caller's retry machinery knows; a permanent failure, or the
// last allowed attempt, marks it failed, logs at error level and returns
// nil, so one bad message does not hold back the others.
func (p *Processor) Deliver(ctx context.Context, id string) error {
	_, err := p.deliver(ctx, id)
	return err
}

func (p *Processor) deliver(ctx context.Context, id string) (outcome, error) {
	msg, ok, err := p.Store.ClaimOutbox(ctx, id, p.now(), p.lease())
	if err != nil {
		return skipped, fmt.Errorf("mailer: claim %s: %w", id, err)
	}
	if !ok {
		p.log().LogAttrs(ctx, slog.LevelDebug, "mailer: nothing to send", slog.String("outbox_id", id))
		return skipped, nil
	}
	attempt := msg.Attempts + 1
	attrs := []slog.Attr{
		slog.String("outbox_id", msg.ID),
		slog.String("template", msg.Template),
		slog.Int("attempt", attempt),
		slog.String("recipient_domain", recipientDomain(msg.To)),
	}
	// Releases and the sent mark must land even if the caller gave up.
	bg := context.WithoutCancel(ctx)

	if msg.Attempts >= p.maxAttempts() {
		return p.fail(bg, msg, msg.Attempts, "attempts exhausted", "AttemptsExhausted", attrs)
	}
	email, err := p.render(msg)
	if err != nil {
		return p.fail(bg, msg, attempt, "render: "+err.Error(), "RenderFailed", append(attrs, slog.String("render_error", err.Error())))
	}

	sendCtx, cancel := context.WithTimeout(ctx, p.lease()/2)
	err = p.Sender.Send(sendCtx, email)
	cancel()
	if err == nil {
		return p.markSent(bg, msg, attrs)
	}

	code := errorCode(err)
	attrs = append(attrs, slog.String("error_code", code))
	if isPermanent(err) {
		return p.fail(bg, msg, attempt, err.Error(), code, attrs)
	}
	if attempt >= p.maxAttempts() {
		return p.fail(bg, msg, attempt, err.Error(), code, append(attrs, slog.Bool("attempts_exhausted", true)))
	}
	wait := p.backoff(attempt)
	next := p.now().Add(wait)
	if rerr := p.Store.ReleaseOutbox(bg, msg.ID, attempt, next, err.Error(), false); rerr != nil {
		// It stays claimed; a sweep takes it again once the lease lapses.
		p.log().LogAttrs(ctx, slog.LevelError, "mailer: release after failed send failed", append(attrs, slog.String("store_error", rerr.Error()))...)
		return retrying, &DeliveryError{ID: msg.ID, Template: msg.Template, Attempt: attempt, Code: code, Err: errors.Join(err, rerr)}
	}
	p.log().LogAttrs(ctx, slog.LevelWarn, "mailer: send failed, will retry", append(attrs, slog.Duration("retry_in", wait))...)
	return retrying, &DeliveryError{ID: msg.ID, Template: msg.Template, Attempt: attempt, Code: code, Err: err}
}

func (p *Processor) fail(ctx context.Context, msg *domain.OutboxMessage, attempts int, lastErr, code string, attrs []slog.Attr) (outcome, error) {
	attrs = append(attrs, slog.String("reason", code))
	if err := p.Store.ReleaseOutbox(ctx, msg.ID, attempts, p.now(), lastErr, true); err != nil {
		p.log().LogAttrs(ctx, slog.LevelError, "mailer: could not mark message failed", append(attrs, slog.String("store_error", err.Error()))...)
		return failed, fmt.Errorf("mailer: mark %s failed: %w", msg.ID, err)
	}
	p.log().LogAttrs(ctx, slog.LevelError, "mailer: message failed permanently", attrs...)
	return failed, nil
}

// markSent records the delivery, trying a few times: an email sent but not
// marked would be sent again once the lease lapses.
func (p *Processor) markSent(ctx context.Context, msg *domain.OutboxMessage, attrs []slog.Attr) (outcome, error) {
	var err error
	for i := range 3 {
		if i > 0 {
			time.Sleep(time.Duration(i) * 200 * time.Millisecond)
		}
		err = p.Store.MarkSent(ctx, msg.ID, p.now())
		if err == nil {
			p.log().LogAttrs(ctx, slog.LevelInfo, "mailer: sent", attrs...)
			return sent, nil
		}
		if errors.Is(err, domain.ErrConflict) {
			// Our claim lapsed and the message moved on (another worker
			// took it): nothing left to record.
			p.log().LogAttrs(ctx, slog.LevelWarn, "mailer: sent, but the claim had lapsed", attrs...)
			return sent, nil
		}
	}
	p.log().LogAttrs(ctx, slog.LevelError, "mailer: sent, but could not record it", append(attrs, slog.String("store_error", err.Error()))...)
	return sent, fmt.Errorf("mailer: mark %s sent: %w", msg.ID, err)
}

// Sweep delivers every message due now (pending ones whose backoff passed,
// and claims that lapsed), oldest first, batch at a time; it returns how
// many were sent and the failures it met.
func (p *Processor) Sweep(ctx context.Context, batch int) (int, error) {
	if batch <= 0 {
		batch = DefaultBatch
	}
	seen := map[string]bool{}
	n := 0
	var errs []error
	for {
		if err := ctx.Err(); err != nil {
			return n, errors.Join(append(errs, err)...)
		}
		due, err := p.Store.DueOutbox(ctx, p.now(), batch)
		if err != nil {
			return n, errors.Join(append(errs, fmt.Errorf("mailer: list due: %w", err))...)
		}
		progress := false
		for _, m := range due {
			if seen[m.ID] {
				continue
			}
			seen[m.ID], progress = true, true
			out, err := p.deliver(ctx, m.ID)
			if out == sent {
				n++
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		if !progress || len(due) < batch {
			return n, errors.Join(errs...)
		}
	}
}

func isPermanent(err error) bool {
	var pe interface{ Permanent() bool }
	return errors.As(err, &pe) && pe.Permanent()
}

func errorCode(err error) string {
	var ce interface{ ErrorCode() string }
	if errors.As(err, &ce) && ce.ErrorCode() != "" {
		return ce.ErrorCode()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "Timeout"
	case errors.Is(err, context.Canceled):
		return "Canceled"
	}
	return "SendFailed"
}

func recipientDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(addr[i+1:]))
}
