package softphone

import (
	"context"
	"errors"
	"fmt"

	"github.com/emiago/sipgo/sip"
)

var errNotInCall = errors.New("softphone: the call is not established")

// remoteTarget is where requests inside the call's dialog go: the peer's
// Contact (through Kamailio's record-routed path, which sipgo adds).
func (c *Call) remoteTarget() (sip.Uri, error) {
	var h *sip.ContactHeader
	switch {
	case c.cs != nil && c.cs.InviteResponse != nil:
		h = c.cs.InviteResponse.Contact()
	case c.ss != nil:
		h = c.ss.InviteRequest.Contact()
	}
	if h == nil {
		return sip.Uri{}, errors.New("softphone: the peer gave no Contact")
	}
	return *h.Address.Clone(), nil
}

// established: answered, media running, not ended.
func (c *Call) established() error {
	select {
	case <-c.ended:
		return fmt.Errorf("%w: it has ended (%s)", errNotInCall, c.Reason())
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.answered || c.media == nil {
		return errNotInCall
	}
	return nil
}

// request sends a request inside the call's dialog and waits for its
// final response. Callers hold c.sig, so that CSeq numbers (and the ACK
// of a re-INVITE) follow one another.
func (c *Call) request(ctx context.Context, method sip.RequestMethod, body []byte, headers ...sip.Header) (*sip.Request, *sip.Response, error) {
	target, err := c.remoteTarget()
	if err != nil {
		return nil, nil, err
	}
	req := sip.NewRequest(method, target)
	for _, h := range headers {
		req.AppendHeader(h)
	}
	if body != nil {
		req.SetBody(body)
	}
	ctx, cancel := context.WithTimeout(ctx, c.p.cfg.Timeout)
	defer cancel()
	var res *sip.Response
	if c.cs != nil {
		res, err = c.cs.Do(ctx, req)
	} else {
		res, err = c.ss.Do(ctx, req)
	}
	if err != nil {
		return req, nil, fmt.Errorf("softphone: %s: %w", method, err)
	}
	return req, res, nil
}

// ack acknowledges the 2xx of our re-INVITE (same CSeq number).
func (c *Call) ack() error {
	target, err := c.remoteTarget()
	if err != nil {
		return err
	}
	ack := sip.NewRequest(sip.ACK, target)
	if c.cs != nil {
		return c.cs.WriteRequest(ack)
	}
	return c.ss.WriteRequest(ack)
}

// readInDialog checks a request from the peer against the dialog (CSeq
// order) and returns its call, or answers 481 and returns nil.
func (p *Phone) readInDialog(req *sip.Request, tx sip.ServerTransaction) *Call {
	p.mu.Lock()
	c := p.call
	p.mu.Unlock()
	if c == nil || c.ID != req.CallID().Value() {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		return nil
	}
	var err error
	if c.cs != nil {
		err = c.cs.ReadRequest(req, tx)
	} else {
		err = c.ss.ReadRequest(req, tx)
	}
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Server Internal Error", nil))
		return nil
	}
	return c
}

// respondError answers a request from the peer with a code and a Warning
// saying why (RFC 3261 Warning 399: miscellaneous).
func respondError(req *sip.Request, tx sip.ServerTransaction, code int, reason, why string) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.AppendHeader(sip.NewHeader("Warning", fmt.Sprintf("399 agentdesk %q", why)))
	_ = tx.Respond(res)
}
