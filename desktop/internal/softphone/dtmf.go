package softphone

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/webrtc/v4"
)

const mimeTelephoneEvent = "audio/telephone-event"

// registerTelephoneEvents offers RFC 4733 telephone-event at the clock
// rate of each codec (8000 for PCMU, 48000 for Opus): events must use
// their audio's clock. baresip 1.0.0 offers telephone-event/8000 only.
func registerTelephoneEvents(me *webrtc.MediaEngine, codecs []Codec) error {
	pts := map[uint32]webrtc.PayloadType{8000: 101, 16000: 102, 48000: 110}
	done := map[uint32]bool{}
	next := webrtc.PayloadType(103)
	for _, c := range codecs {
		rate := c.ClockRate()
		if done[rate] {
			continue
		}
		done[rate] = true
		pt, ok := pts[rate]
		if !ok {
			pt, next = next, next+1
		}
		err := me.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTelephoneEvent, ClockRate: rate, Channels: 1, SDPFmtpLine: "0-16"},
			PayloadType:        pt,
		}, webrtc.RTPCodecTypeAudio)
		if err != nil {
			return fmt.Errorf("softphone: telephone-event/%d: %w", rate, err)
		}
	}
	return nil
}

// dtmfCodes maps digits to RFC 4733 event codes.
func dtmfCodes(digits string) ([]uint8, error) {
	if digits == "" {
		return nil, errors.New("softphone: no DTMF digits")
	}
	codes := make([]uint8, 0, len(digits))
	for _, d := range strings.ToUpper(digits) {
		switch {
		case d >= '0' && d <= '9':
			codes = append(codes, uint8(d-'0'))
		case d == '*':
			codes = append(codes, 10)
		case d == '#':
			codes = append(codes, 11)
		case d >= 'A' && d <= 'D':
			codes = append(codes, uint8(12+d-'A'))
		default:
			return nil, fmt.Errorf("softphone: %q is not a DTMF digit (0-9 * # A-D)", d)
		}
	}
	return codes, nil
}

// SendDTMF sends digits (0-9 * # A-D) as RFC 4733 telephone-events in the
// audio stream when the peer accepted them at our codec's rate, else as
// SIP INFO (application/dtmf-relay), and returns once they are sent.
func (c *Call) SendDTMF(ctx context.Context, digits string) error {
	codes, err := dtmfCodes(digits)
	if err != nil {
		return err
	}
	if err := c.established(); err != nil {
		return err
	}
	c.mu.Lock()
	m, held := c.media, c.heldLocal || c.heldRemote
	c.mu.Unlock()
	if held {
		return errors.New("softphone: no DTMF while the call is on hold")
	}
	done, err := m.track.sendEvents(codes)
	if errors.Is(err, errNoTelephoneEvent) {
		return c.sendInfoDTMF(ctx, strings.ToUpper(digits))
	}
	if err != nil {
		return err
	}
	for _, d := range done {
		select {
		case err := <-d:
			if err != nil {
				return err
			}
		case <-c.ended:
			return fmt.Errorf("%w: it ended (%s)", errNotInCall, c.Reason())
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// sendInfoDTMF sends one INFO per digit: Signal=<digit>, Duration=160 ms.
func (c *Call) sendInfoDTMF(ctx context.Context, digits string) error {
	c.sig.Lock()
	defer c.sig.Unlock()
	for _, d := range digits {
		body := fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", d)
		_, res, err := c.request(ctx, sip.INFO, []byte(body), sip.NewHeader("Content-Type", "application/dtmf-relay"))
		if err != nil {
			return err
		}
		if !res.IsSuccess() {
			return fmt.Errorf("softphone: INFO (DTMF %c): %d %s", d, res.StatusCode, res.Reason)
		}
	}
	return nil
}

// onInfo takes the peer's INFO: DTMF relay is read (and logged: the
// agent's UI has nothing to show for it), anything else refused.
func (p *Phone) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := p.readInDialog(req, tx)
	if c == nil {
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(strings.TrimSpace(h.Value()))
	}
	switch ct {
	case "application/dtmf-relay":
		digit, err := parseDTMFRelay(string(req.Body()))
		if err != nil {
			p.cfg.Logger.Warn("softphone: bad DTMF INFO", "call", c.ID, "err", err)
			respondError(req, tx, sip.StatusBadRequest, "Bad Request", err.Error())
			return
		}
		p.cfg.Logger.Info("softphone: DTMF received", "call", c.ID, "digit", digit)
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	case "":
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)) // an empty INFO: a keep-alive
	default:
		respondError(req, tx, sip.StatusUnsupportedMediaType, "Unsupported Media Type", "INFO with "+ct)
	}
}

// parseDTMFRelay reads "Signal=5\r\nDuration=160".
func parseDTMFRelay(body string) (string, error) {
	signal := ""
	for _, line := range strings.Split(body, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "signal":
			signal = strings.ToUpper(strings.TrimSpace(v))
		case "duration":
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 0 {
				return "", fmt.Errorf("bad Duration %q", v)
			}
		}
	}
	if _, err := dtmfCodes(signal); err != nil || len(signal) != 1 {
		return "", fmt.Errorf("bad Signal %q", signal)
	}
	return signal, nil
}
