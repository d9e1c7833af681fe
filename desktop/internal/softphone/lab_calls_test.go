//go:build linux

package softphone

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice"
	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

// clockSink records what we receive with the time each frame arrived, so
// that a test can judge a window of the call (before, during, after hold).
type clockSink struct {
	mu     sync.Mutex
	rate   int
	frames []stampedFrame
}

type stampedFrame struct {
	at  time.Time
	pcm []int16
}

func (s *clockSink) Start(rate int) error { s.mu.Lock(); s.rate = rate; s.mu.Unlock(); return nil }
func (s *clockSink) Close() error         { return nil }
func (s *clockSink) Write(pcm []int16) error {
	s.mu.Lock()
	s.frames = append(s.frames, stampedFrame{time.Now(), append([]int16(nil), pcm...)})
	s.mu.Unlock()
	return nil
}

// window returns the audio that arrived between from and to.
func (s *clockSink) window(from, to time.Time) ([]float64, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []float64
	for _, f := range s.frames {
		if f.at.After(from) && f.at.Before(to) {
			for _, v := range f.pcm {
				out = append(out, float64(v)/32768)
			}
		}
	}
	return out, s.rate
}

// toneCall is a call from us (1000 Hz) to the lab's tone agent (440 Hz).
type toneCall struct {
	p     *Phone
	call  *Call
	sink  *clockSink
	ev    *events
	wav   string // tone's recording of what it receives from us
	agent *voice.Baresip
	from  int // tone's events from here on are this call's
}

func dialTone(ctx context.Context, t *testing.T, lab *voice.Lab, c Config) *toneCall {
	t.Helper()
	tc := &toneCall{sink: &clockSink{}, ev: newEvents()}
	c.OnEvent = tc.ev.add
	c.NewSink = func() AudioSink { return tc.sink }
	c.NewSource = func() AudioSource { return &ToneSource{Freq: 1000} }
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	tc.p = p
	t.Cleanup(func() { _ = p.Close() })
	if tc.agent, err = lab.Agent(ctx, "tone"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tc.agent.Close() })
	tc.from = len(tc.agent.Events())
	before, _ := lab.Recordings("tone")
	if err := p.Register(ctx); err != nil {
		t.Fatal(err)
	}
	if tc.call, err = p.Dial(ctx, lab.Env["VOICE_LAB_TONE_NUMBER"]); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.call.WaitAudio(ctx); err != nil {
		t.Fatal(err)
	}
	tc.wav = waitRecording(ctx, t, lab, "tone", len(before), 300*time.Millisecond)
	return tc
}

// recorded is how much tone has recorded of us so far (in its samples).
func (tc *toneCall) recorded(t *testing.T) int {
	t.Helper()
	w, err := tone.ReadWAVFile(tc.wav)
	if err != nil {
		t.Fatal(err)
	}
	return len(w.Mono())
}

// toneSegment is tone's recording of us from sample a to b.
func (tc *toneCall) toneSegment(t *testing.T, a, b int) ([]float64, int) {
	t.Helper()
	w, err := tone.ReadWAVFile(tc.wav)
	if err != nil {
		t.Fatal(err)
	}
	s := w.Mono()
	b = min(b, len(s))
	if a > b {
		a = b
	}
	return s[a:b], w.SampleRate
}

// ratio is the share of 20 ms frames holding freq (0 for no audio) and
// their count.
func ratio(samples []float64, rate int, freq float64) (float64, int) {
	if len(samples) == 0 || rate == 0 {
		return 0, 0
	}
	r := tone.Detector{SampleRate: rate, Freq: freq}.Detect(samples)
	return r.Ratio(), len(r.Frames)
}

func labCallControl(ctx context.Context, t *testing.T, lab *voice.Lab, cfg func(*events) Config) {
	t.Run("hold and resume", func(t *testing.T) {
		tc := dialTone(ctx, t, lab, cfg(nil))
		ours, _ := tc.call.cs.InviteRequest.From().Params.Get("tag")
		// packets rtpengine has had from us and from tone so far
		counts := func() (int64, int64) {
			t.Helper()
			q, err := rtpenginePackets(ctx, lab, tc.call.ID)
			if err != nil || len(q) != 2 {
				t.Fatalf("rtpengine query: %v %v", q, err)
			}
			var theirs int64
			for tag, n := range q {
				if tag != ours {
					theirs = n
				}
			}
			return q[ours], theirs
		}
		time.Sleep(time.Second)
		t0 := time.Now()
		if err := tc.call.Hold(ctx); err != nil {
			t.Fatal(err)
		}
		holdRTT := time.Since(t0)
		if !tc.call.Held() {
			t.Error("Held() is false after Hold")
		}
		tc.ev.wait(ctx, t, 0, StateHeld)
		time.Sleep(300 * time.Millisecond) // packets in flight
		heldFrom := time.Now()
		usA, toneA := counts()
		time.Sleep(1500 * time.Millisecond)
		usB, toneB := counts()
		heldTo := time.Now()
		t1 := time.Now()
		if err := tc.call.Resume(ctx); err != nil {
			t.Fatal(err)
		}
		resumeRTT := time.Since(t1)
		if tc.call.Held() {
			t.Error("Held() is true after Resume")
		}
		_, next := tc.ev.wait(ctx, t, 0, StateHeld)
		tc.ev.wait(ctx, t, next, StateInCall)
		time.Sleep(300 * time.Millisecond)
		backFrom := time.Now()
		usC, toneC := counts()
		time.Sleep(1500 * time.Millisecond)
		usD, toneD := counts()
		backTo := time.Now()
		if err := tc.call.Hangup(ctx); err != nil {
			t.Error(err)
		}
		t.Logf("re-INVITE round trip: hold %v, resume %v", holdRTT.Round(time.Millisecond), resumeRTT.Round(time.Millisecond))

		// While held: rtpengine gets no RTP from either side (its count
		// includes our RTCP reports, about 2 a second; audio would be 75),
		// and no 440 Hz reaches us.
		in, rate := tc.sink.window(heldFrom, heldTo)
		r, n := ratio(in, rate, 440)
		t.Logf("held 1.5 s: rtpengine got %d packets from us, %d from tone; we played %d frames (440 Hz in %.0f%%)", usB-usA, toneB-toneA, n, 100*r)
		if usB-usA > 8 || toneB-toneA > 8 || r > 0.05 {
			t.Error("media went on during hold")
		}
		// Resumed: both ways again (75 packets in 1.5 s each way).
		in, rate = tc.sink.window(backFrom, backTo)
		r, n = ratio(in, rate, 440)
		t.Logf("resumed 1.5 s: rtpengine got %d packets from us, %d from tone; we hear 440 Hz in %.0f%% of %d frames", usD-usC, toneD-toneC, 100*r, n)
		if usD-usC < 70 || toneD-toneC < 70 || r < minRatio || n < 70 {
			t.Error("media did not come back both ways after resume")
		}
		_ = tc.p.Close()
	})

	t.Run("hold an incoming call", func(t *testing.T) {
		// The agent's usual case: the customer calls, we answer, hold
		// (our re-INVITE goes the other way through the dialog), resume,
		// send DTMF (the customer offers telephone-event/8000), hang up.
		ev := newEvents()
		c := cfg(ev)
		c.NewSource = func() AudioSource { return &ToneSource{Freq: 1000} }
		p := registered(ctx, t, c)
		customer, err := lab.Agent(ctx, "customer")
		if err != nil {
			t.Fatal(err)
		}
		defer customer.Close()
		from := len(customer.Events())
		if _, err := customer.Command(ctx, "dial", "sip:1001@"+lab.Env["SIP_DOMAIN"]); err != nil {
			t.Fatal(err)
		}
		ring, next := ev.wait(ctx, t, 0, StateRinging)
		call := ring.Call
		if err := call.Answer(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := call.WaitAudio(ctx); err != nil {
			t.Fatal(err)
		}
		ours, _ := call.ss.InviteResponse.To().Params.Get("tag")
		counts := func() (int64, int64) {
			t.Helper()
			q, err := rtpenginePackets(ctx, lab, call.ID)
			if err != nil || len(q) != 2 {
				t.Fatalf("rtpengine query: %v %v", q, err)
			}
			var theirs int64
			for tag, n := range q {
				if tag != ours {
					theirs = n
				}
			}
			return q[ours], theirs
		}
		time.Sleep(500 * time.Millisecond)
		if err := call.Hold(ctx); err != nil {
			t.Fatal(err)
		}
		_, next = ev.wait(ctx, t, next, StateHeld)
		time.Sleep(300 * time.Millisecond)
		a1, b1 := counts()
		time.Sleep(time.Second)
		a2, b2 := counts()
		if err := call.Resume(ctx); err != nil {
			t.Fatal(err)
		}
		ev.wait(ctx, t, next, StateInCall)
		time.Sleep(300 * time.Millisecond)
		a3, b3 := counts()
		time.Sleep(time.Second)
		a4, b4 := counts()
		t.Logf("incoming call held 1 s: rtpengine got %d packets from us, %d from the customer; resumed 1 s: %d and %d", a2-a1, b2-b1, a4-a3, b4-b3)
		if a2-a1 > 6 || b2-b1 > 6 || a4-a3 < 45 || b4-b3 < 45 {
			t.Error("hold/resume of an incoming call did not stop and restart media both ways")
		}
		if err := call.SendDTMF(ctx, "42"); err != nil {
			t.Fatal(err)
		}
		got := ""
		for len(got) < 2 {
			e, n, err := customer.WaitEvent(ctx, from, voice.Type("CALL_DTMF_START"))
			if err != nil {
				t.Fatal(err)
			}
			from, got = n, got+e.Param
		}
		if got != "42" {
			t.Errorf("the customer received DTMF %q", got)
		}
		if err := call.Hangup(ctx); err != nil {
			t.Error(err)
		}
		if _, _, err := customer.WaitEvent(ctx, from, voice.Type("CALL_CLOSED")); err != nil {
			t.Error(err)
		}
		customer.Close()
		_ = p.Close()
	})

	t.Run("mute", func(t *testing.T) {
		tc := dialTone(ctx, t, lab, cfg(nil))
		time.Sleep(500 * time.Millisecond)
		tc.call.SetMuted(true)
		if !tc.call.Muted() {
			t.Error("Muted() is false")
		}
		time.Sleep(300 * time.Millisecond)
		a := tc.recorded(t)
		time.Sleep(1500 * time.Millisecond)
		b := tc.recorded(t)
		tc.call.SetMuted(false)
		time.Sleep(300 * time.Millisecond)
		c := tc.recorded(t)
		time.Sleep(1500 * time.Millisecond)
		d := tc.recorded(t)
		_ = tc.call.Hangup(ctx)
		seg, rate := tc.toneSegment(t, a, b)
		r, n := ratio(seg, rate, 1000)
		t.Logf("muted 1.5 s: tone recorded %d frames (silence still flows), 1000 Hz in %.0f%%", n, 100*r)
		if n < 50 || r > 0.05 {
			t.Errorf("muted: %d frames recorded by tone, 1000 Hz in %.0f%%: want silence that still flows", n, 100*r)
		}
		seg, rate = tc.toneSegment(t, c, d)
		if r, n := ratio(seg, rate, 1000); r < minRatio || n < 50 {
			t.Errorf("unmuted: 1000 Hz in %.0f%% of %d frames", 100*r, n)
		}
		if got := tc.ev.states(); !contains(got, StateInCall, 2) {
			t.Errorf("no in_call event for each mute change: %v", got)
		}
		_ = tc.p.Close()
	})

	t.Run("dtmf", func(t *testing.T) {
		// baresip offers telephone-event/8000 only: RFC 4733 needs PCMU.
		c := cfg(nil)
		c.Codecs = []Codec{PCMU{}}
		tc := dialTone(ctx, t, lab, c)
		if !tc.call.media.track.canSendEvents() {
			t.Fatal("telephone-event/8000 was not negotiated with tone")
		}
		t0 := time.Now()
		if err := tc.call.SendDTMF(ctx, "19#*"); err != nil {
			t.Fatal(err)
		}
		t.Logf("RFC 4733: 4 digits sent in %v", time.Since(t0).Round(time.Millisecond))
		if got := dtmfReceived(ctx, t, tc, 4); got != "19#*" {
			t.Errorf("tone received DTMF %q over RTP, want 19#*", got)
		}
		// The SIP INFO fallback, on the same call.
		from := len(tc.agent.Events())
		tc.from = from
		if err := tc.call.sendInfoDTMF(ctx, "7A"); err != nil {
			t.Fatal(err)
		}
		if got := dtmfReceived(ctx, t, tc, 2); got != "7A" {
			t.Errorf("tone received DTMF %q over SIP INFO, want 7A", got)
		}
		if err := tc.call.SendDTMF(ctx, "x"); err == nil {
			t.Error("SendDTMF accepted x")
		}
		_ = tc.call.Hangup(ctx)
		_ = tc.p.Close()
	})
}

// labICERestart: a call survives an ICE restart by re-INVITE: new ICE
// credentials, and tone's 440 Hz still reaches us and ours reaches
// rtpengine afterwards.
func labICERestart(ctx context.Context, t *testing.T, lab *voice.Lab, cfg func(*events) Config) {
	t.Run("ICE restart", func(t *testing.T) {
		tc := dialTone(ctx, t, lab, cfg(nil))
		time.Sleep(500 * time.Millisecond)
		before, portBefore := attr(localSDP(tc.call), "ice-ufrag"), mPort(localSDP(tc.call))
		t0 := time.Now()
		if err := tc.call.RestartICE(ctx); err != nil {
			t.Fatal(err)
		}
		took := time.Since(t0)
		after := attr(localSDP(tc.call), "ice-ufrag")
		if after == before || after == "" {
			t.Errorf("ice-ufrag %q before, %q after the restart", before, after)
		}
		t.Logf("ice-ufrag %s -> %s, our m= port %s -> %s", before, after, portBefore, mPort(localSDP(tc.call)))
		time.Sleep(500 * time.Millisecond)
		q0, err := rtpenginePackets(ctx, lab, tc.call.ID)
		if err != nil {
			t.Fatal(err)
		}
		from := time.Now()
		time.Sleep(1500 * time.Millisecond)
		to := time.Now()
		q1, err := rtpenginePackets(ctx, lab, tc.call.ID)
		if err != nil {
			t.Fatal(err)
		}
		ours, _ := tc.call.cs.InviteRequest.From().Params.Get("tag")
		in, rate := tc.sink.window(from, to)
		r, n := ratio(in, rate, 440)
		t.Logf("ICE restart (re-INVITE, gathering, answer) in %v; then 1.5 s: 440 Hz in %.0f%% of %d frames, rtpengine got %d packets from us",
			took.Round(time.Millisecond), 100*r, n, q1[ours]-q0[ours])
		if r < minRatio || n < 70 || q1[ours]-q0[ours] < 70 {
			t.Error("media did not survive the ICE restart")
		}
		st := tc.call.Stats()
		t.Logf("stats (the restart may cost a packet or two): %+v", st)
		if st.Codec != "opus" || st.PacketsSent < 100 || st.PacketsReceived < 100 || st.RTT <= 0 || st.MOS < 4 || st.MOS > 4.5 || st.LossPercent > 5 {
			t.Errorf("implausible stats on a clean loopback call: %+v", st)
		}
		if tc.call.AnsweredAt().IsZero() {
			t.Error("AnsweredAt is zero in a call")
		}
		_ = tc.call.Hangup(ctx)
		_ = tc.p.Close()
	})
}

// labNetworkChange: our media sockets go dead mid-call (iptables drops
// their packets, as when the network changes); pion reports the path
// disconnected, the call restarts ICE by itself on new sockets, and tone's
// 440 Hz reaches us again.
func labNetworkChange(ctx context.Context, t *testing.T, lab *voice.Lab, cfg func(*events) Config) {
	t.Run("network change mid-call", func(t *testing.T) {
		if _, err := exec.LookPath("iptables"); err != nil {
			t.Skip("no iptables")
		}
		tc := dialTone(ctx, t, lab, cfg(nil))
		time.Sleep(300 * time.Millisecond)
		var rules [][]string
		for _, port := range candidatePorts(localSDP(tc.call)) {
			rules = append(rules, []string{"OUTPUT", "-p", "udp", "--sport", port, "-j", "DROP"},
				[]string{"INPUT", "-p", "udp", "--dport", port, "-j", "DROP"})
		}
		for _, r := range rules {
			if out, err := exec.Command("iptables", append([]string{"-I"}, r...)...).CombinedOutput(); err != nil {
				t.Fatalf("iptables: %v %s", err, out)
			}
		}
		defer func() {
			for _, r := range rules {
				_ = exec.Command("iptables", append([]string{"-D"}, r...)...).Run()
			}
		}()
		cut := time.Now()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		restored, next := tc.ev.wait(wctx, t, 0, StateInCall) // the call's own
		for restored.Reason == "" {
			restored, next = tc.ev.wait(wctx, t, next, StateInCall)
		}
		took := time.Since(cut)
		time.Sleep(300 * time.Millisecond)
		from := time.Now()
		time.Sleep(time.Second)
		in, rate := tc.sink.window(from, time.Now())
		r, n := ratio(in, rate, 440)
		t.Logf("sockets cut: %s after %v; then 440 Hz in %.0f%% of %d frames", restored.Reason, took.Round(time.Millisecond), 100*r, n)
		if r < minRatio || n < 45 {
			t.Error("audio did not come back after the automatic ICE restart")
		}
		_ = tc.call.Hangup(ctx)
		_ = tc.p.Close()
	})
}

// localSDP is the call's last SDP of ours.
func localSDP(c *Call) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.localSDP
}

// candidatePorts lists the ports of our ICE candidates.
func candidatePorts(sdp string) []string {
	seen := map[string]bool{}
	var ports []string
	for _, l := range strings.Split(sdp, "\n") {
		f := strings.Fields(strings.TrimSpace(l))
		if len(f) >= 6 && strings.HasPrefix(f[0], "a=candidate:") && !seen[f[5]] {
			seen[f[5]] = true
			ports = append(ports, f[5])
		}
	}
	return ports
}

// labTransfer: we call tone and transfer it blind to echo (echo answers
// by itself; the customer only on command): echo's events must show the
// call from tone with its audio established, and our call end
// "transferred".
func labTransfer(ctx context.Context, t *testing.T, lab *voice.Lab, cfg func(*events) Config) {
	t.Run("blind transfer", func(t *testing.T) {
		tc := dialTone(ctx, t, lab, cfg(nil))
		echo, err := lab.Agent(ctx, "echo")
		if err != nil {
			t.Fatal(err)
		}
		defer echo.Close()
		from := len(echo.Events())
		t0 := time.Now()
		if err := tc.call.Transfer(ctx, lab.Env["VOICE_LAB_ECHO_NUMBER"]); err != nil {
			t.Fatal(err)
		}
		took := time.Since(t0)
		end, _ := tc.ev.wait(ctx, t, 0, StateEnded)
		if end.Reason != "transferred" {
			t.Errorf("our call ended %q, want transferred", end.Reason)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		// echo's module answers without a CALL_ESTABLISHED event: the call
		// from tone coming in, then its audio flowing, is the proof.
		in, next, err := echo.WaitEvent(wctx, from, voice.Type("CALL_INCOMING"))
		if err != nil {
			t.Fatalf("echo never had the transferred call: %v (events %+v)", err, echo.Events()[from:])
		}
		e, _, err := echo.WaitEvent(wctx, next, func(e voice.Event) bool { return e.Type == "CALL_RTPESTAB" && e.ID == in.ID })
		if err != nil {
			t.Fatalf("echo never had the transferred call: %v (events %+v)", err, echo.Events()[from:])
		}
		t.Logf("transfer done in %v; echo: %s from %s", took.Round(time.Millisecond), e.Type, e.PeerURI)
		if !strings.Contains(e.PeerURI, "9001") && !strings.Contains(e.PeerURI, "tone") {
			t.Errorf("echo's call is from %s, not from tone", e.PeerURI)
		}
		if _, err := echo.Command(ctx, "hangup", ""); err != nil {
			t.Error(err)
		}
		_ = tc.p.Close()
	})
}

// labReconnect: Kamailio restarts (the WebSocket drops, the registration
// is lost); the phone says reconnecting, registers again by itself, and a
// call then works.
func labReconnect(ctx context.Context, t *testing.T, lab *voice.Lab, cfg func(*events) Config) {
	t.Run("re-register after Kamailio restarts", func(t *testing.T) {
		ev := newEvents()
		p := registered(ctx, t, cfg(ev))
		t0 := time.Now()
		if err := lab.RestartKamailio(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("Kamailio and the agents restarted in %v", time.Since(t0).Round(time.Millisecond))
		lost, next := ev.wait(ctx, t, 0, StateReconnecting)
		_, next = ev.wait(ctx, t, next, StateRegistered)
		t.Logf("reconnecting (%s) -> registered again: %v after the drop was seen, %v after the restart began",
			lost.Reason, ev.when(next-1).Sub(ev.when(next-2)).Round(time.Millisecond), ev.when(next-1).Sub(t0).Round(time.Millisecond))
		if got := ev.states(); fmt.Sprint(got) != fmt.Sprint([]State{StateRegistering, StateRegistered, StateReconnecting, StateRegistered}) {
			t.Errorf("events %v", got)
		}
		call, err := p.Dial(ctx, lab.Env["VOICE_LAB_TONE_NUMBER"])
		if err != nil {
			t.Fatal(err)
		}
		setup, err := call.WaitAudio(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("then a call to tone: audio after %v", setup.Round(time.Millisecond))
		_ = call.Hangup(ctx)
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
}

// dtmfReceived collects n digits from tone's CALL_DTMF_START events.
func dtmfReceived(ctx context.Context, t *testing.T, tc *toneCall, n int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	got := ""
	for len(got) < n {
		e, next, err := tc.agent.WaitEvent(ctx, tc.from, voice.Type("CALL_DTMF_START"))
		if err != nil {
			t.Logf("tone's events: %+v", tc.agent.Events()[tc.from:])
			break
		}
		tc.from = next
		got += e.Param
	}
	return got
}

func mPort(sdp string) string {
	for _, l := range strings.Split(sdp, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "m=audio" {
			return f[1]
		}
	}
	return ""
}

func contains(states []State, s State, n int) bool {
	for _, x := range states {
		if x == s {
			n--
		}
	}
	return n <= 0
}
