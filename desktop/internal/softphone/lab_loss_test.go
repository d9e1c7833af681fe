//go:build linux

package softphone

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice"
	"github.com/agentdesk/agentdesk/infra/voice/labtest"
	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

// TestLabLoss brings a voice lab up and runs TestInLabLoss inside its
// namespace (as TestLab does for TestInLab).
func TestLabLoss(t *testing.T) { labtest.Run(t, "sploss", "^TestInLabLoss$") }

// TestInLabLoss: our softphone calls the tone agent with random loss on
// the WebRTC leg (voice.Lab.SetLoss); the tone must come through both ways
// in more than 95% of the 20 ms frames without loss, 80% at 10%.
func TestInLabLoss(t *testing.T) {
	lab := labtest.Lab(t)
	subs, err := lab.Subscribers()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	defer func() {
		if err := lab.SetLoss(context.Background(), 0); err != nil {
			t.Error(err)
		}
	}()

	for _, c := range []struct {
		loss, min float64
	}{{0, 0.95}, {10, 0.80}} {
		t.Run(fmt.Sprintf("%v%% loss", c.loss), func(t *testing.T) {
			if err := lab.SetLoss(ctx, c.loss); err != nil {
				t.Fatal(err)
			}
			rec := &Recorder{}
			p, err := New(Config{
				WSURI: lab.Env["SIP_WS_URI"], Domain: lab.Env["SIP_DOMAIN"], User: "1001", Password: subs["1001"],
				NewSource: func() AudioSource { return &ToneSource{Freq: 1000} },
				NewSink:   func() AudioSink { return rec },
			})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if err := p.Register(ctx); err != nil {
				t.Fatal(err)
			}
			before, _ := lab.Recordings("tone")
			call, err := p.Dial(ctx, lab.Env["VOICE_LAB_TONE_NUMBER"])
			if err != nil {
				t.Fatal(err)
			}
			setup, err := call.WaitAudio(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			time.Sleep(listen)
			if err := call.Hangup(ctx); err != nil {
				t.Error(err)
			}
			lasted := time.Since(t0)
			dropped, err := lab.Dropped(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("setup %v; %v of audio; %d packets dropped", setup.Round(time.Millisecond), lasted.Round(time.Millisecond), dropped)
			if c.loss > 0 && dropped == 0 {
				t.Error("the loss rules dropped nothing: the loss did not apply to the call")
			}
			samples, rate := rec.Samples()
			expectShare(t, "what we received from tone", samples, rate, 440, lasted, c.min)
			w, err := tone.ReadWAVFile(waitRecording(ctx, t, lab, "tone", len(before), 0))
			if err != nil {
				t.Fatal(err)
			}
			expectShare(t, "what tone received from us", w.Mono(), w.SampleRate, 1000, lasted, c.min)
			if err := p.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// expectShare requires freq in more than min of the frames the call
// lasted (packets lost without concealment count as frames without it).
func expectShare(t *testing.T, what string, samples []float64, rate int, freq float64, lasted time.Duration, min float64) {
	t.Helper()
	share, present, frames := voice.ToneShare(samples, rate, freq, lasted)
	t.Logf("%s: %.2f s; %v Hz in %d of %d frames (%.1f%%)", what, float64(len(samples))/float64(rate), freq, present, frames, 100*share)
	if frames < 50 {
		t.Errorf("%s: only %d frames", what, frames)
	}
	if share <= min {
		t.Errorf("%s: %v Hz in %.1f%% of the frames, want > %.0f%%", what, freq, 100*share, 100*min)
	}
}
