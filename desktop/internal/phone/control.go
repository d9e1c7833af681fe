package phone

import (
	"context"
	"time"

	"github.com/agentdesk/agentdesk/desktop/internal/softphone"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
)

// The softphone's call controls as the station uses them.

const (
	stateHeld         = softphone.StateHeld
	stateReconnecting = softphone.StateReconnecting
)

func held(c *softphone.Call) bool            { return c.Held() }
func muted(c *softphone.Call) bool           { return c.Muted() }
func answeredAt(c *softphone.Call) time.Time { return c.AnsweredAt() }

// stats is the call's quality as the view shows it.
func stats(c *softphone.Call) *view.CallStats {
	st := c.Stats()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return &view.CallStats{RTTMs: ms(st.RTT), JitterMs: ms(st.Jitter), LossPct: st.LossPercent, MOS: st.MOS, Codec: st.Codec}
}

func hold(ctx context.Context, c *softphone.Call, on bool) error {
	if on {
		return c.Hold(ctx)
	}
	return c.Resume(ctx)
}

func setMuted(c *softphone.Call, on bool) error {
	c.SetMuted(on)
	return nil
}

func sendDTMF(ctx context.Context, c *softphone.Call, digits string) error {
	return c.SendDTMF(ctx, digits)
}

func transfer(ctx context.Context, c *softphone.Call, to string) error {
	return c.Transfer(ctx, to)
}
