//go:build linux

package phone

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/desktop/internal/view"
	"github.com/agentdesk/agentdesk/infra/voice"
	"github.com/agentdesk/agentdesk/infra/voice/labtest"
	"github.com/agentdesk/agentdesk/shared/api"
)

// TestStationLab brings the voice lab up and runs TestStationInLab inside it.
func TestStationLab(t *testing.T) { labtest.Run(t, "phtest", "^TestStationInLab$") }

// notes is a Notifier that keeps the notifications.
type notes struct {
	mu   sync.Mutex
	sent []string
}

func (n *notes) Notify(title, body string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, title+": "+body)
}

// TestStationInLab: the Desktop station as the Tasks page drives it,
// against Kamailio, rtpengine and the lab's baresip agents.
func TestStationInLab(t *testing.T) {
	lab := labtest.Lab(t)
	subs, err := lab.Subscribers()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	customer, err := lab.Agent(ctx, "customer")
	if err != nil {
		t.Fatal(err)
	}
	defer customer.Close()

	audio := &TestAudio{ToneHz: 600}
	nt := &notes{}
	changes := make(chan struct{}, 1)
	s := New(Config{Audio: audio, Notifier: nt, OnChange: func() {
		select {
		case changes <- struct{}{}:
		default:
		}
	}})
	// wait waits, change by change, for a view that ok accepts.
	wait := func(what string, ok func(*view.Phone) bool) *view.Phone {
		t.Helper()
		for {
			v, _ := s.View()
			if ok(v) {
				return v
			}
			select {
			case <-changes:
			case <-ctx.Done():
				t.Fatalf("waiting for %s: last view %+v", what, v)
			}
		}
	}
	callIn := func(state string) func(*view.Phone) bool {
		return func(v *view.Phone) bool { return v != nil && v.Call != nil && v.Call.State == state }
	}
	idle := func(v *view.Phone) bool { return v != nil && v.Call == nil }

	domain := lab.Env["SIP_DOMAIN"]
	me := &api.MeResponse{Softphone: &api.SoftphoneSettings{
		SIPWebSocketURI: lab.Env["SIP_WS_URI"], SIPDomain: domain,
		Extension: api.Extension{Number: "1001", SIPUsername: "1001", SIPPassword: subs["1001"]},
	}}
	s.SessionStarted(me, api.StationDesktop)
	wait("registered", func(v *view.Phone) bool { return v != nil && v.Registration == view.PhoneRegistered })
	_, seq := s.View()
	s.SessionStarted(me, api.StationDesktop) // a reload with the same settings keeps the phone
	if v, again := s.View(); again != seq || v.Registration != view.PhoneRegistered {
		t.Fatalf("the same settings restarted the phone: %+v (seq %d -> %d)", v, seq, again)
	}

	// The customer calls: it rings (ringtone, notification), we answer.
	from := len(customer.Events())
	if _, err := customer.Command(ctx, "dial", "sip:1001@"+domain); err != nil {
		t.Fatal(err)
	}
	v := wait("ringing", callIn(view.CallRinging))
	if v.Call.Direction != "incoming" || v.Call.Remote != "customer" {
		t.Fatalf("ringing call %+v", v.Call)
	}
	s.Answer()
	v = wait("in call", callIn(view.CallInCall))
	if v.Call.AnsweredAt.IsZero() {
		t.Error("no answered_at for the timer")
	}
	if _, _, err := customer.WaitEvent(ctx, from, voice.Type("CALL_ESTABLISHED")); err != nil {
		t.Fatal(err)
	}
	nt.mu.Lock()
	if len(nt.sent) != 1 || nt.sent[0] != "Incoming call: customer" || audio.Rings() != 1 {
		t.Errorf("notifications %v, rings %d", nt.sent, audio.Rings())
	}
	nt.mu.Unlock()
	v = wait("the call's quality", func(v *view.Phone) bool {
		return v != nil && v.Call != nil && v.Call.Stats != nil && v.Call.Stats.Codec != "" && v.Call.Stats.MOS > 0
	})
	t.Logf("stats: %+v", *v.Call.Stats)

	s.SetMuted(true)
	wait("muted", func(v *view.Phone) bool { return v != nil && v.Call != nil && v.Call.Muted })
	s.SetMuted(false)
	wait("unmuted", func(v *view.Phone) bool { return v != nil && v.Call != nil && !v.Call.Muted })
	s.Hold(true)
	wait("held", callIn(view.CallHeld))
	s.Hold(false)
	wait("resumed", callIn(view.CallInCall))
	s.SendDTMF("7")
	e, _, err := customer.WaitEvent(ctx, from, voice.Type("CALL_DTMF_START"))
	if err != nil || e.Param != "7" {
		t.Fatalf("DTMF at the customer: %+v %v", e, err)
	}
	s.Hangup()
	wait("idle after hang-up", idle)
	if _, _, err := customer.WaitEvent(ctx, from, voice.Type("CALL_CLOSED")); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.View(); v.Error != nil {
		t.Fatalf("error after a good call: %+v", v.Error)
	}

	// We call the tone agent, typed as a person would, and hang up.
	s.Dial(" 90-01 ")
	v = wait("the tone agent answers", callIn(view.CallInCall))
	if v.Call.Direction != "outgoing" || v.Call.Remote != "9001" {
		t.Fatalf("outgoing call %+v", v.Call)
	}
	s.Hangup()
	wait("idle", idle)

	// A number nobody has: the call fails and the panel says so.
	s.Dial("4242")
	v = wait("a failed call", func(v *view.Phone) bool { return v != nil && v.Call == nil && v.Error != nil })
	if v.Error.Action != "dial" || !strings.Contains(v.Error.Detail, "4") {
		t.Fatalf("failed call %+v", v.Error)
	}

	// Sign-out: unregistered, the customer's call fails.
	s.SessionEnded()
	if v, _ := s.View(); v != nil {
		t.Fatalf("view after the session %+v", v)
	}
	from = len(customer.Events())
	if _, err := customer.Command(ctx, "dial", "sip:1001@"+domain); err != nil {
		t.Fatal(err)
	}
	e, _, err = customer.WaitEvent(ctx, from, voice.Type("CALL_CLOSED"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the customer's call after sign-out: %s", e.Param)

	// Wrong SIP password: failed, auth.
	bad := *me.Softphone
	bad.Extension.SIPPassword = "not-the-password"
	s.SessionStarted(&api.MeResponse{Softphone: &bad}, api.StationDesktop)
	v = wait("failed", func(v *view.Phone) bool { return v != nil && v.Registration == view.PhoneFailed })
	if v.Reason != view.PhoneReasonAuth {
		t.Fatalf("wrong password: %+v", v)
	}
	s.SessionEnded()
}
