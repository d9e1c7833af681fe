//go:build linux

package voice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice/browser"
	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

// The browser's extension: 1001 is the softphone tests'.
const browserUser = "1002"

// TestBrowserInterop: JsSIP in headless Chromium, inside the lab's
// namespace, calls the tone agent and is called by the customer, with the
// tone proven both ways; then the call to tone again at 10% loss.
func TestBrowserInterop(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("voice lab: needs root to create a network namespace; run the tests as root to include it")
	}
	if _, _, err := browser.Check(""); err != nil {
		t.Skipf("browser SIP client: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lab, err := Start(ctx, Options{Netns: fmt.Sprintf("agentdesk-vbrowser-%d", os.Getpid()), Dir: t.TempDir()})
	if errors.Is(err, ErrUnsupported) {
		t.Skipf("voice lab: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	defer func() {
		if t.Failed() {
			t.Logf("lab logs:\n%s\nbrowser:\n%s", lab.Logs(30), stderr.String())
		}
		if err := lab.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	}()

	t0 := time.Now()
	b, err := browser.Start(ctx, browser.Options{Netns: lab.Netns, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	}()
	t.Logf("Chromium %s up in %v", b.Version, time.Since(t0).Round(time.Millisecond))
	subs, err := lab.Subscribers()
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Now()
	if err := b.Register(ctx, browser.Account{WSURI: lab.Env["SIP_WS_URI"], Domain: lab.Env["SIP_DOMAIN"], User: browserUser, Password: subs[browserUser]}); err != nil {
		t.Fatal(err)
	}
	t.Logf("JsSIP registered %s in %v", browserUser, time.Since(t1).Round(time.Millisecond))

	t.Run("JsSIP calls tone", func(t *testing.T) {
		browserCallsTone(ctx, t, lab, b, minRatio)
	})

	t.Run("customer calls JsSIP", func(t *testing.T) {
		customer, err := lab.Agent(ctx, "customer")
		if err != nil {
			t.Fatal(err)
		}
		defer customer.Close()
		before, _ := lab.Recordings("customer")
		from := len(customer.Events())
		answered := make(chan error, 1)
		var call *browser.Call
		go func() {
			var err error
			call, err = b.Answer(ctx, browser.Mic{Freq: 1000, Amp: 0.5})
			answered <- err
		}()
		if _, err := customer.Command(ctx, "dial", "sip:"+browserUser+"@"+lab.Env["SIP_DOMAIN"]); err != nil {
			t.Fatal(err)
		}
		if err := <-answered; err != nil {
			t.Fatal(err)
		}
		t.Logf("answered %s; answer -> first audio packet %v", call.From, call.AnswerToAudio.Round(time.Millisecond))
		if e, _, err := customer.WaitEvent(ctx, from, func(e Event) bool {
			return e.Type == "CALL_ESTABLISHED" || e.Type == "CALL_CLOSED"
		}); err != nil || e.Type != "CALL_ESTABLISHED" {
			t.Fatalf("customer: %v %+v", err, e)
		}
		// Both ends send 1000 Hz: what the browser hears is the
		// customer's, what the customer records is the browser's.
		rec, err := call.Record(ctx, listen)
		if err != nil {
			t.Fatal(err)
		}
		expectShare(t, "what JsSIP received from the customer", rec.Samples, rec.Rate, 1000, 440, minRatio, 0)
		path := waitFile(ctx, t, lab, "customer", len(before), 44+int64(listen.Seconds()*48000*4))
		if err := call.Hangup(ctx); err != nil {
			t.Error(err)
		}
		if _, _, err := customer.WaitEvent(ctx, from, Type("CALL_CLOSED")); err != nil {
			t.Fatal(err)
		}
		expectTone(t, path, 1000, 440)
	})

	t.Run("JsSIP calls tone at 10% loss", func(t *testing.T) {
		if err := lab.SetLoss(ctx, 10); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := lab.SetLoss(context.Background(), 0); err != nil {
				t.Error(err)
			}
		}()
		browserCallsTone(ctx, t, lab, b, 0.80)
		n, err := lab.Dropped(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d packets dropped", n)
		if n == 0 {
			t.Error("the loss rules dropped nothing: the loss did not apply to the call")
		}
	})
}

// browserCallsTone: the browser calls the tone agent sending 1000 Hz;
// each side must hear the other's tone in more than min of the frames.
func browserCallsTone(ctx context.Context, t *testing.T, lab *Lab, b *browser.Browser, min float64) {
	t.Helper()
	before, _ := lab.Recordings("tone")
	call, err := b.Dial(ctx, "sip:"+lab.Env["VOICE_LAB_TONE_NUMBER"]+"@"+lab.Env["SIP_DOMAIN"], browser.Mic{Freq: 1000, Amp: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("call setup (INVITE sent -> first audio packet): %v (from ua.call(): %v)",
		call.InviteToAudio.Round(time.Millisecond), call.DialToAudio.Round(time.Millisecond))
	t0 := time.Now()
	rec, err := call.Record(ctx, listen)
	if err != nil {
		t.Fatal(err)
	}
	if err := call.Hangup(ctx); err != nil {
		t.Error(err)
	}
	lasted := time.Since(t0)
	expectShare(t, "what JsSIP received from tone", rec.Samples, rec.Rate, 440, 1000, min, 0)
	w, err := tone.ReadWAVFile(waitFile(ctx, t, lab, "tone", len(before), 44))
	if err != nil {
		t.Fatal(err)
	}
	// The tone agent's recording spans the call; judged against the call's
	// length so that packets it never decoded count as missing.
	expectShare(t, "what tone received from JsSIP", w.Mono(), w.SampleRate, 1000, 440, min, lasted)
}

// expectShare requires want in more than min of the frames (counted
// against lasted when the recording is shorter) and not in almost none.
func expectShare(t *testing.T, what string, samples []float64, rate int, want, not, min float64, lasted time.Duration) {
	t.Helper()
	share, present, frames := ToneShare(samples, rate, want, lasted)
	other, _, _ := ToneShare(samples, rate, not, 0)
	t.Logf("%s: %.2f s; %v Hz in %d of %d frames (%.1f%%), %v Hz in %.1f%%", what, float64(len(samples))/float64(rate),
		want, present, frames, 100*share, not, 100*other)
	if frames < 50 {
		t.Errorf("%s: only %d frames", what, frames)
	}
	if share <= min {
		t.Errorf("%s: %v Hz in %.1f%% of the frames, want > %.0f%%", what, want, 100*share, 100*min)
	}
	if other > 0.05 {
		t.Errorf("%s: %v Hz (the wrong side's tone) in %.1f%% of the frames", what, not, 100*other)
	}
}

// lockedBuffer collects the driver's stderr (written by exec's copying
// goroutine) for a failing test's report.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
