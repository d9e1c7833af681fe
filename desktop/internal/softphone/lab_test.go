//go:build linux

package softphone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice"
	"github.com/agentdesk/agentdesk/infra/voice/labtest"
	"github.com/agentdesk/agentdesk/infra/voice/tone"
	"github.com/emiago/sipgo/sip"
)

const (
	listen   = 3 * time.Second
	minRatio = 0.95
)

// TestLab brings the voice lab up and runs TestInLab inside it;
// SOFTPHONE_LAB_RUN narrows it to some of TestInLab's subtests.
func TestLab(t *testing.T) {
	run := "^TestInLab$"
	if r := os.Getenv("SOFTPHONE_LAB_RUN"); r != "" {
		run += "/" + r // e.g. customer: one of TestInLab's subtests
	}
	labtest.Run(t, "sptest", run)
}

// registered makes a phone with c and registers it; it is closed when the
// (sub)test ends.
func registered(ctx context.Context, t *testing.T, c Config) *Phone {
	t.Helper()
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	if err := p.Register(ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInLab: our softphone against Kamailio, rtpengine and baresip.
func TestInLab(t *testing.T) {
	lab := labtest.Lab(t)
	subs, err := lab.Subscribers()
	if err != nil {
		t.Fatal(err)
	}
	cfg := func(ev *events) Config {
		c := Config{WSURI: lab.Env["SIP_WS_URI"], Domain: lab.Env["SIP_DOMAIN"], User: "1001", Password: subs["1001"]}
		if ev != nil {
			c.OnEvent = ev.add
		}
		if os.Getenv("SOFTPHONE_SIP_DEBUG") != "" {
			sip.SIPDebug = true
			c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
			sip.SetDefaultLogger(c.Logger)
		}
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := runtime.NumGoroutine()

	t.Run("call tone", func(t *testing.T) {
		ev := newEvents()
		rec := &Recorder{}
		c := cfg(ev)
		c.NewSink = func() AudioSink { return rec }
		c.NewSource = func() AudioSource { return &ToneSource{Freq: 1000} }
		p, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		toneBefore, _ := lab.Recordings("tone")
		t0 := time.Now()
		if err := p.Register(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("registered in %v", time.Since(t0).Round(time.Millisecond))
		call, err := p.Dial(ctx, lab.Env["VOICE_LAB_TONE_NUMBER"])
		if err != nil {
			t.Fatal(err)
		}
		setup, err := call.WaitAudio(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("call setup time (INVITE sent -> first audio packet received): %v", setup.Round(time.Millisecond))
		time.Sleep(listen)
		checkCodec(t, call)
		if err := call.Hangup(ctx); err != nil {
			t.Error(err)
		}
		samples, rate := rec.Samples()
		expect(t, "what we received from tone", samples, rate, 440, 1000)
		// And the tone agent heard our 1000 Hz.
		w, err := tone.ReadWAVFile(waitRecording(ctx, t, lab, "tone", len(toneBefore), time.Second))
		if err != nil {
			t.Fatal(err)
		}
		expect(t, "what tone received from us", w.Mono(), w.SampleRate, 1000, 440)
		if err := p.Close(); err != nil {
			t.Error(err)
		}
		want := []State{StateRegistering, StateRegistered, StateCalling}
		if got := ev.states(); len(got) < 3 || fmt.Sprint(got[:3]) != fmt.Sprint(want) || got[len(got)-1] != StateUnregistered {
			t.Errorf("events %v", got)
		}
		t.Logf("events: %v", ev.states())
	})

	t.Run("customer calls us", func(t *testing.T) {
		ev := newEvents()
		c := cfg(ev)
		c.NewSource = func() AudioSource { return &ToneSource{Freq: 1000} }
		p := registered(ctx, t, c)
		customer, err := lab.Agent(ctx, "customer")
		if err != nil {
			t.Fatal(err)
		}
		defer customer.Close()
		before, _ := lab.Recordings("customer")
		from := len(customer.Events())
		if _, err := customer.Command(ctx, "dial", "sip:1001@"+lab.Env["SIP_DOMAIN"]); err != nil {
			t.Fatal(err)
		}
		ring, next := ev.wait(ctx, t, 0, StateRinging)
		if !ring.Call.Incoming {
			t.Fatal("ringing call is not incoming")
		}
		t.Logf("ringing: %s", ring.Call.Remote)
		if err := ring.Call.Answer(ctx); err != nil {
			t.Fatal(err)
		}
		ev.wait(ctx, t, next, StateInCall)
		if e, _, err := customer.WaitEvent(ctx, from, func(e voice.Event) bool {
			return e.Type == "CALL_ESTABLISHED" || e.Type == "CALL_CLOSED"
		}); err != nil || e.Type != "CALL_ESTABLISHED" {
			t.Fatalf("customer: %v %+v", err, e)
		}
		actx, acancel := context.WithTimeout(ctx, 10*time.Second)
		defer acancel()
		setup, err := ring.Call.WaitAudio(actx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("incoming: 200 OK sent -> first audio packet received: %v", setup.Round(time.Millisecond))
		path := waitRecording(ctx, t, lab, "customer", len(before), listen)
		checkCodec(t, ring.Call)
		if _, err := customer.Command(ctx, "hangup", ""); err != nil {
			t.Fatal(err)
		}
		end, _ := ev.wait(ctx, t, next, StateEnded)
		t.Logf("ended: %s", end.Reason)
		w, err := tone.ReadWAVFile(path)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, "what the customer received from us", w.Mono(), w.SampleRate, 1000, 440)
		customer.Close()
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})

	t.Run("we decline the customer", func(t *testing.T) {
		ev := newEvents()
		p := registered(ctx, t, cfg(ev))
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
		if err := ring.Call.Decline(); err != nil {
			t.Fatal(err)
		}
		end, _ := ev.wait(ctx, t, next, StateEnded)
		if end.Reason != "declined" {
			t.Errorf("ended: %q", end.Reason)
		}
		e, _, err := customer.WaitEvent(ctx, from, func(e voice.Event) bool {
			return e.Type == "CALL_ESTABLISHED" || e.Type == "CALL_CLOSED"
		})
		if err != nil || e.Type != "CALL_CLOSED" {
			t.Fatalf("customer: %v %+v", err, e)
		}
		t.Logf("customer: %s %s", e.Type, e.Param)
		customer.Close()
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})

	t.Run("registration refresh", func(t *testing.T) {
		ev := newEvents()
		p, err := New(cfg(ev))
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		p.refreshEvery = 300 * time.Millisecond
		if err := p.Register(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for p.refreshed.Load() < 3 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := p.refreshed.Load(); n < 3 {
			t.Fatalf("%d refreshes in 5 s, want 3 (events %v)", n, ev.states())
		}
		if err := p.Close(); err != nil {
			t.Error(err)
		}
		if got := fmt.Sprint(ev.states()); got != fmt.Sprint([]State{StateRegistering, StateRegistered, StateUnregistered}) {
			t.Errorf("events %v", got)
		}
		t.Logf("3 refreshes, %d REGISTERs sent in all", p.registerSent.Load())
	})

	t.Run("unknown number", func(t *testing.T) {
		ev := newEvents()
		p := registered(ctx, t, cfg(ev))
		call, err := p.Dial(ctx, "1003") // no one registered
		if err == nil {
			t.Fatal("a call to an unregistered extension succeeded")
		}
		end, _ := ev.wait(ctx, t, 0, StateEnded)
		t.Logf("Dial: %v; ended: %s", err, end.Reason)
		select {
		case <-call.Done():
		default:
			t.Error("the call is not done")
		}
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		ev := newEvents()
		c := cfg(ev)
		c.Password = "wrong"
		p, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		err = p.Register(ctx)
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("Register: %v, want ErrAuth", err)
		}
		sent := p.registerSent.Load()
		time.Sleep(2 * time.Second)
		if n := p.registerSent.Load(); n != 2 || sent != 2 {
			t.Errorf("%d REGISTERs sent (%d after 2 s), want 2: the 401 loop must stop", sent, n)
		}
		if err := p.Close(); err != nil {
			t.Error(err)
		}
		got := ev.states()
		if fmt.Sprint(got) != fmt.Sprint([]State{StateRegistering, StateFailed}) {
			t.Errorf("events %v, want registering, failed", got)
		}
		t.Logf("failed: %s", ev.all[1].Reason)
	})

	labCallControl(ctx, t, lab, cfg)
	labICERestart(ctx, t, lab, cfg)
	labNetworkChange(ctx, t, lab, cfg)
	labTransfer(ctx, t, lab, cfg)
	labBadInput(ctx, t, lab, cfg, subs)
	labReconnect(ctx, t, lab, cfg)

	// Every phone is closed: no goroutine of theirs may remain.
	checkGoroutines(t, base)
}

func expect(t *testing.T, what string, samples []float64, rate int, want, not float64) {
	t.Helper()
	r := tone.Detector{SampleRate: rate, Freq: want}.Detect(samples)
	other := tone.Detector{SampleRate: rate, Freq: not}.Detect(samples)
	t.Logf("%s: %.2f s; %v Hz in %d of %d frames (%.1f%%), %v Hz in %d", what, float64(len(samples))/float64(rate),
		want, r.Present, len(r.Frames), 100*r.Ratio(), not, other.Present)
	if len(r.Frames) < 50 {
		t.Errorf("%s: only %d frames", what, len(r.Frames))
	}
	if r.Ratio() <= minRatio {
		t.Errorf("%s: %v Hz in %.1f%% of the frames, want > %.0f%%", what, want, 100*r.Ratio(), 100*minRatio)
	}
	if other.Ratio() > 0.05 {
		t.Errorf("%s: %v Hz in %.1f%% of the frames", what, not, 100*other.Ratio())
	}
}

// checkCodec: the call uses our preferred codec (baresip offers and
// accepts Opus) and says how the playout went.
func checkCodec(t *testing.T, c *Call) {
	t.Helper()
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	got, want := CodecName(m.sendCodec()), CodecName(defaultCodecs()[0])
	t.Logf("codec %s; playout %+v", got, m.playoutStats())
	if got != want {
		t.Errorf("negotiated %s, want %s", got, want)
	}
}

// waitRecording waits for an agent's recording number `index` to hold
// `d` of audio (its rate is the codec's: 8 kHz mono for PCMU).
func waitRecording(ctx context.Context, t *testing.T, lab *voice.Lab, agent string, index int, d time.Duration) string {
	t.Helper()
	for {
		files, _ := lab.Recordings(agent)
		if len(files) > index {
			if w, err := tone.ReadWAVFile(files[index]); err == nil && w.Duration() >= d.Seconds() {
				return files[index]
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s's recording #%d never reached %v (%v)", agent, index+1, d, files)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
