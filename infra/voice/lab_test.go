//go:build linux

package voice

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

// The audio that has to come through, judged frame by frame.
const (
	listen   = 3 * time.Second
	minRatio = 0.95
)

// TestLabInterop brings the lab up in a namespace of its own, has the
// customer call the tone agent through Kamailio and rtpengine, proves the
// audio both ways with the Goertzel detector, does the same with the echo
// agent (reached by its dial number), and tears the lab down.
func TestLabInterop(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("voice lab: needs root to create a network namespace; run the tests as root to include it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t0 := time.Now()
	lab, err := Start(ctx, Options{Netns: fmt.Sprintf("agentdesk-vtest-%d", os.Getpid()), Dir: t.TempDir()})
	if errors.Is(err, ErrUnsupported) {
		t.Skipf("voice lab: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("lab up in %v", time.Since(t0).Round(time.Millisecond))
	defer func() {
		if t.Failed() {
			t.Logf("lab logs:\n%s", lab.Logs(40))
		}
		t1 := time.Now()
		if err := lab.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		t.Logf("lab down in %v", time.Since(t1).Round(time.Millisecond))
	}()

	customer, err := lab.Agent(ctx, "customer")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { customer.Close() }()

	t.Run("customer calls tone", func(t *testing.T) {
		got := call(ctx, t, lab, customer, lab.Env["VOICE_LAB_TONE_URI"], "tone", listen)
		// The customer hears the tone agent's 440 Hz, not its own 1000 Hz;
		// the tone agent hears the customer's 1000 Hz.
		expectTone(t, got["customer"], 440, 1000)
		expectTone(t, got["tone"], 1000, 440)
	})
	t.Run("customer calls echo by number", func(t *testing.T) {
		to := "sip:" + lab.Env["VOICE_LAB_ECHO_NUMBER"] + "@" + lab.Env["SIP_DOMAIN"]
		got := call(ctx, t, lab, customer, to, "echo", listen)
		// Its own 1000 Hz comes back.
		expectTone(t, got["customer"], 1000, 440)
		expectTone(t, got["echo"], 1000, 440)
	})
	t.Run("calls work again after a Kamailio restart", func(t *testing.T) {
		t1 := time.Now()
		if err := lab.RestartKamailio(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("Kamailio and the agents back in %v", time.Since(t1).Round(time.Millisecond))
		customer.Close()
		if customer, err = lab.Agent(ctx, "customer"); err != nil {
			t.Fatal(err)
		}
		got := call(ctx, t, lab, customer, lab.Env["VOICE_LAB_TONE_URI"], "tone", time.Second)
		expectTone(t, got["customer"], 440, 1000)
	})
	t.Run("subscribers", func(t *testing.T) {
		subs, err := lab.Subscribers()
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"1001", "1002", "1003", "customer", "tone", "echo"} {
			if subs[u] == "" {
				t.Errorf("no password for %s in %v", u, subs)
			}
		}
		if subs["1001"] != lab.Env["AGENTDESK_DEMO_SIP_PASSWORD"] {
			t.Errorf("1001's password differs between subscribers and lab.env")
		}
	})
}

// call dials `to` from the customer, waits until the customer has recorded
// `listen` of received audio, hangs up, and returns the recordings of the
// call made by the customer and by the called agent.
func call(ctx context.Context, t *testing.T, lab *Lab, customer *Baresip, to, callee string, listen time.Duration) map[string]string {
	t.Helper()
	before := map[string]int{}
	for _, a := range []string{"customer", callee} {
		files, _ := lab.Recordings(a)
		before[a] = len(files)
	}
	from := len(customer.Events())
	t0 := time.Now()
	if _, err := customer.Command(ctx, "dial", to); err != nil {
		t.Fatal(err)
	}
	ev, next, err := customer.WaitEvent(ctx, from, func(e Event) bool {
		return e.Type == "CALL_ESTABLISHED" || e.Type == "CALL_CLOSED"
	})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != "CALL_ESTABLISHED" {
		t.Fatalf("call to %s closed before it was answered: %s", to, ev.Param)
	}
	t.Logf("%s answered in %v", to, time.Since(t0).Round(time.Millisecond))

	// Received audio lands in the customer's *-dec.wav as it arrives:
	// 48 kHz, 2 channels, 16 bits, after a 44-byte header.
	path := waitFile(ctx, t, lab, "customer", before["customer"], 44+int64(listen.Seconds()*48000*4))
	t.Logf("%v of audio received %v after dialling", listen, time.Since(t0).Round(time.Millisecond))

	if _, err := customer.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := customer.WaitEvent(ctx, next, Type("CALL_CLOSED")); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"customer": path, callee: waitFile(ctx, t, lab, callee, before[callee], 44)}
}

// waitFile waits for an agent's recording number `index` (0-based, oldest
// first) to reach `size` bytes and returns its path.
func waitFile(ctx context.Context, t *testing.T, lab *Lab, agent string, index int, size int64) string {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		files, err := lab.Recordings(agent)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) > index {
			if st, err := os.Stat(files[index]); err == nil && st.Size() >= size {
				return files[index]
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s's recording #%d never reached %d bytes (recordings: %v)", agent, index+1, size, files)
		case <-tick.C:
		}
	}
}

// expectTone requires `want` in more than minRatio of the recording's
// 20 ms frames, and `not` in almost none.
func expectTone(t *testing.T, path string, want, not float64) {
	t.Helper()
	w, err := tone.ReadWAVFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mono := w.Mono()
	r := tone.Detector{SampleRate: w.SampleRate, Freq: want}.Detect(mono)
	other := tone.Detector{SampleRate: w.SampleRate, Freq: not}.Detect(mono)
	name := path[strings.LastIndex(path, "/wav/")+5:]
	t.Logf("%s: %.2f s at %d Hz; %v Hz in %d of %d frames (%.1f%%), %v Hz in %d", name, w.Duration(), w.SampleRate,
		want, r.Present, len(r.Frames), 100*r.Ratio(), not, other.Present)
	if w.Duration() < 1 {
		t.Errorf("%s: only %.2f s of audio", name, w.Duration())
	}
	if r.Ratio() <= minRatio {
		t.Errorf("%s: %v Hz tone in %.1f%% of the frames, want > %.0f%%", name, want, 100*r.Ratio(), 100*minRatio)
	}
	if other.Ratio() > 0.05 {
		t.Errorf("%s: %v Hz (the wrong side's tone) in %.1f%% of the frames", name, not, 100*other.Ratio())
	}
}
