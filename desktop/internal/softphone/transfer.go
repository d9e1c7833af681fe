package softphone

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// transferWait bounds how long Transfer waits for the transferee's report
// (NOTIFY) once it accepted the REFER: a call to the target that rings
// unanswered reports nothing until it ends.
const transferWait = 60 * time.Second

// Transfer hands the call to `to` (a number, user@domain or a SIP URI):
// a blind transfer by REFER (RFC 3515). The peer accepts (202), calls the
// target and reports progress by NOTIFY (message/sipfrag); when the
// target answers (sipfrag 200) our call ends with reason "transferred".
// A refusal or a failed call to the target returns an error and leaves
// our call as it was.
func (c *Call) Transfer(ctx context.Context, to string) error {
	uri, err := c.p.target(to)
	if err != nil {
		return err
	}
	if err := c.established(); err != nil {
		return err
	}
	reports := make(chan int, 8)
	c.mu.Lock()
	if c.transfer != nil {
		c.mu.Unlock()
		return errors.New("softphone: a transfer is already under way")
	}
	c.transfer = reports
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.transfer = nil
		c.mu.Unlock()
	}()

	c.sig.Lock()
	_, res, err := c.request(ctx, sip.REFER, nil,
		sip.NewHeader("Refer-To", "<"+uri.String()+">"),
		sip.NewHeader("Referred-By", "<"+c.p.aor.String()+">"))
	c.sig.Unlock()
	if err != nil {
		return err
	}
	if !res.IsSuccess() {
		return fmt.Errorf("softphone: transfer to %s refused: %d %s", to, res.StatusCode, res.Reason)
	}
	c.p.cfg.Logger.Info("softphone: transfer accepted", "call", c.ID, "to", uri.String(), "status", res.StatusCode)
	timeout := time.NewTimer(transferWait)
	defer timeout.Stop()
	for {
		select {
		case code := <-reports:
			switch {
			case code < 200:
				continue
			case code < 300:
				c.mu.Lock()
				c.transferred = true
				c.mu.Unlock()
				bctx, cancel := context.WithTimeout(context.Background(), c.p.cfg.Timeout)
				_ = c.Hangup(bctx) // ends "transferred"
				cancel()
				return nil
			default:
				return fmt.Errorf("softphone: transfer to %s failed: the target answered %d", to, code)
			}
		case <-c.ended:
			if c.Reason() == "transferred" {
				return nil
			}
			return fmt.Errorf("%w: it ended during the transfer (%s)", errNotInCall, c.Reason())
		case <-timeout.C:
			return fmt.Errorf("softphone: transfer to %s: no final report in %v", to, transferWait)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// onNotify takes the transferee's reports on our REFER.
func (p *Phone) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	c := p.readInDialog(req, tx)
	if c == nil {
		return
	}
	if ev := req.GetHeader("Event"); ev == nil || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ev.Value())), "refer") {
		respondError(req, tx, 489, "Bad Event", "only refer events are expected")
		return
	}
	code, err := sipfragStatus(string(req.Body()))
	if err != nil {
		p.cfg.Logger.Warn("softphone: bad NOTIFY", "call", c.ID, "err", err)
		respondError(req, tx, sip.StatusBadRequest, "Bad Request", err.Error())
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	p.cfg.Logger.Info("softphone: transfer progress", "call", c.ID, "status", code)
	c.mu.Lock()
	reports := c.transfer
	if code >= 200 && code < 300 && reports != nil {
		c.transferred = true // a BYE from the transferee now ends us "transferred"
	}
	c.mu.Unlock()
	if reports != nil {
		select {
		case reports <- code:
		default:
		}
	}
}

// sipfragStatus reads the status code of a message/sipfrag status line
// ("SIP/2.0 200 OK").
func sipfragStatus(body string) (int, error) {
	line, _, _ := strings.Cut(strings.TrimLeft(body, "\r\n "), "\n")
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "SIP/") {
		return 0, fmt.Errorf("not a sipfrag status line: %q", line)
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 100 || code > 699 {
		return 0, fmt.Errorf("bad status code in %q", line)
	}
	return code, nil
}
