package phone

import (
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/agentdesk/agentdesk/desktop/internal/softphone"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
)

// The call controls below (hold, mute, DTMF, transfer, stats) are the
// softphone's per the helpers' contract (docs in BRIEF: Call.Hold, Resume,
// Held, SetMuted, Muted, SendDTMF, Transfer, AnsweredAt, Stats; states
// "held" and "reconnecting"). They are reached through small interfaces
// so that this package builds whether or not the softphone has them yet;
// a softphone without one answers errUnsupported.

const (
	stateHeld         softphone.State = "held"
	stateReconnecting softphone.State = "reconnecting"
)

var errUnsupported = errors.New("this softphone cannot do that yet")

type holder interface {
	Hold(ctx context.Context) error
	Resume(ctx context.Context) error
	Held() bool
}

type muter interface {
	SetMuted(muted bool)
	Muted() bool
}

type dtmfSender interface {
	SendDTMF(ctx context.Context, digits string) error
}

type transferrer interface {
	Transfer(ctx context.Context, to string) error
}

type answerTimer interface{ AnsweredAt() time.Time }

func held(c *softphone.Call) bool {
	h, ok := any(c).(holder)
	return ok && h.Held()
}

func muted(c *softphone.Call) bool {
	m, ok := any(c).(muter)
	return ok && m.Muted()
}

func answeredAt(c *softphone.Call) time.Time {
	if a, ok := any(c).(answerTimer); ok {
		return a.AnsweredAt()
	}
	return time.Time{}
}

// stats reads Call.Stats() (a struct with Codec, RTT, Jitter, LossPercent
// and MOS) by field name: nil when the softphone has none.
func stats(c *softphone.Call) *view.CallStats {
	m := reflect.ValueOf(c).MethodByName("Stats")
	if !m.IsValid() || m.Type().NumIn() != 0 || m.Type().NumOut() != 1 || m.Type().Out(0).Kind() != reflect.Struct {
		return nil
	}
	v := m.Call(nil)[0]
	out := &view.CallStats{}
	if f := v.FieldByName("Codec"); f.IsValid() && f.Kind() == reflect.String {
		out.Codec = f.String()
	}
	ms := func(name string) float64 {
		if f := v.FieldByName(name); f.IsValid() && f.Kind() == reflect.Int64 {
			return float64(f.Int()) / float64(time.Millisecond)
		}
		return 0
	}
	num := func(name string) float64 {
		if f := v.FieldByName(name); f.IsValid() && f.Kind() == reflect.Float64 {
			return f.Float()
		}
		return 0
	}
	out.RTTMs, out.JitterMs = ms("RTT"), ms("Jitter")
	out.LossPct, out.MOS = num("LossPercent"), num("MOS")
	return out
}

func hold(ctx context.Context, c *softphone.Call, on bool) error {
	h, ok := any(c).(holder)
	if !ok {
		return errUnsupported
	}
	if on {
		return h.Hold(ctx)
	}
	return h.Resume(ctx)
}

func setMuted(c *softphone.Call, on bool) error {
	m, ok := any(c).(muter)
	if !ok {
		return errUnsupported
	}
	m.SetMuted(on)
	return nil
}

func sendDTMF(ctx context.Context, c *softphone.Call, digits string) error {
	d, ok := any(c).(dtmfSender)
	if !ok {
		return errUnsupported
	}
	return d.SendDTMF(ctx, digits)
}

func transfer(ctx context.Context, c *softphone.Call, to string) error {
	t, ok := any(c).(transferrer)
	if !ok {
		return errUnsupported
	}
	return t.Transfer(ctx, to)
}
