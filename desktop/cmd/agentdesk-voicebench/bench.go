//go:build linux

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/desktop/internal/softphone"
	"github.com/agentdesk/agentdesk/infra/voice"
	"github.com/agentdesk/agentdesk/infra/voice/browser"
	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

// Extensions: the softphone's and the browser's.
const (
	oursUser    = "1001"
	browserUser = "1002"
)

// bench holds what the run inside the lab needs.
type bench struct {
	log  *slog.Logger
	lab  *voice.Lab
	o    options
	subs map[string]string
	b    *browser.Browser
	r    results
}

func inside(log *slog.Logger, lab *voice.Lab, o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	subs, err := lab.Subscribers()
	if err != nil {
		return err
	}
	// The page's console goes to a file of the lab's, read on failure.
	stderr, err := os.Create(filepath.Join(lab.Dir, "logs", "browser.log"))
	if err != nil {
		return err
	}
	defer stderr.Close()
	b, err := browser.Start(ctx, browser.Options{Stderr: stderr})
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.Register(ctx, browser.Account{WSURI: lab.Env["SIP_WS_URI"], Domain: lab.Env["SIP_DOMAIN"], User: browserUser, Password: subs[browserUser]}); err != nil {
		return err
	}
	bn := &bench{log: log, lab: lab, o: o, subs: subs, b: b}
	bn.r.start(b.Version)
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"call setup time", bn.setup},
		{"CPU and memory per call", bn.load},
		{"tone under loss", bn.loss},
		{"echo round trip", bn.echo},
	}
	for _, s := range steps {
		t0 := time.Now()
		log.Info("measuring", "what", s.name)
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w (browser log: %s)", s.name, err, stderr.Name())
		}
		log.Info("measured", "what", s.name, "took", time.Since(t0).Round(time.Millisecond))
	}
	if err := os.WriteFile(o.Out, []byte(bn.r.markdown(o)), 0o644); err != nil {
		return err
	}
	fmt.Print(bn.r.summary())
	fmt.Printf("voice bench: wrote %s\n", o.Out)
	return nil
}

func (bn *bench) uri(number string) string {
	return "sip:" + number + "@" + bn.lab.Env["SIP_DOMAIN"]
}

// phone registers a softphone of ours whose every call gets src() and
// sink() as microphone and speaker.
func (bn *bench) phone(ctx context.Context, src func() softphone.AudioSource, sink func() softphone.AudioSink) (*softphone.Phone, error) {
	p, err := softphone.New(softphone.Config{
		WSURI: bn.lab.Env["SIP_WS_URI"], Domain: bn.lab.Env["SIP_DOMAIN"], User: oursUser, Password: bn.subs[oursUser],
		NewSource: src, NewSink: sink,
	})
	if err != nil {
		return nil, err
	}
	if err := p.Register(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func toneSource(freq float64) func() softphone.AudioSource {
	return func() softphone.AudioSource { return &softphone.ToneSource{Freq: freq} }
}

// setup: INVITE sent -> first audio packet, and dial -> first audio frame,
// for calls to the tone agent, alternating the clients.
func (bn *bench) setup(ctx context.Context) error {
	var cur *probe
	p, err := bn.phone(ctx, toneSource(1000), func() softphone.AudioSink { return cur })
	if err != nil {
		return err
	}
	defer p.Close()
	to := bn.uri(bn.lab.Env["VOICE_LAB_TONE_NUMBER"])
	for i := 0; i < bn.o.Setups; i++ {
		cur = newProbe()
		t0 := time.Now()
		call, err := p.Dial(ctx, to)
		if err != nil {
			return err
		}
		d, err := call.WaitAudio(ctx)
		if err != nil {
			return err
		}
		packet := time.Since(t0) // WaitAudio returns at the first packet
		played, err := cur.waitFirst(t0, 2*time.Second)
		if err != nil {
			return fmt.Errorf("ours, call %d: %w", i+1, err)
		}
		bn.r.SetupOurs = append(bn.r.SetupOurs, d)
		bn.r.DialOurs = append(bn.r.DialOurs, packet)
		bn.r.PlayOurs = append(bn.r.PlayOurs, played)
		if err := call.Hangup(ctx); err != nil {
			return err
		}

		c, err := bn.b.Dial(ctx, to, browser.Mic{Freq: 1000, Amp: 0.5})
		if err != nil {
			return err
		}
		bn.r.SetupJs = append(bn.r.SetupJs, c.InviteToAudio)
		bn.r.DialJs = append(bn.r.DialJs, c.DialToAudio)
		if err := c.Hangup(ctx); err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond) // the BYEs settle
	}
	return nil
}

// load: o.Calls concurrent calls to tone from one process each; CPU time
// over o.Busy per call-second, and the memory the calls added.
func (bn *bench) load(ctx context.Context) error {
	to := bn.uri(bn.lab.Env["VOICE_LAB_TONE_NUMBER"])
	n := bn.o.Calls

	// Ours: n phones (one call each) in this process.
	phones := make([]*softphone.Phone, n)
	for i := range phones {
		p, err := bn.phone(ctx, toneSource(1000), nil)
		if err != nil {
			return err
		}
		defer p.Close()
		phones[i] = p
	}
	runtime.GC()
	time.Sleep(500 * time.Millisecond)
	self := os.Getpid()
	base, _ := procUsage(self)
	calls := make([]*softphone.Call, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, p := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := p.Dial(ctx, to)
			if err == nil {
				_, err = c.WaitAudio(ctx)
			}
			calls[i], errs[i] = c, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	time.Sleep(time.Second)
	u1, _ := procUsage(self)
	time.Sleep(bn.o.Busy)
	u2, _ := procUsage(self)
	bn.r.Ours = loadResult{Calls: n, Base: base.PSS, CPUPerCall: perCall(u2.CPU-u1.CPU, n, bn.o.Busy), MemPerCall: (u2.PSS - base.PSS) / int64(n)}
	for _, c := range calls {
		if err := c.Hangup(ctx); err != nil {
			return err
		}
	}

	// Chromium: n calls from the one page (one JsSIP user agent).
	time.Sleep(time.Second)
	base = treeUsage(bn.b.DriverPID)
	jcalls := make([]*browser.Call, n)
	for i := range jcalls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jcalls[i], errs[i] = bn.b.Dial(ctx, to, browser.Mic{Freq: 1000, Amp: 0.5})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	time.Sleep(time.Second)
	u1 = treeUsage(bn.b.DriverPID)
	time.Sleep(bn.o.Busy)
	u2 = treeUsage(bn.b.DriverPID)
	bn.r.Js = loadResult{Calls: n, Base: base.PSS, CPUPerCall: perCall(u2.CPU-u1.CPU, n, bn.o.Busy), MemPerCall: (u2.PSS - base.PSS) / int64(n)}
	for _, c := range jcalls {
		if err := c.Hangup(ctx); err != nil {
			return err
		}
	}
	time.Sleep(500 * time.Millisecond)
	return nil
}

// perCall is CPU time per call-second, as a share of one core.
func perCall(cpu time.Duration, calls int, over time.Duration) float64 {
	return cpu.Seconds() / (float64(calls) * over.Seconds())
}

// loss: calls to tone at each loss level on the WebRTC leg; the share of
// 20 ms frames that carry the other side's tone, each way. The loss starts
// once the call's audio flows and ends before the hang-up: this measures
// the media path (jitter buffer, concealment), not how ICE and DTLS ride
// out a lossy handshake (at 20% one can take longer than a call lasts).
func (bn *bench) loss(ctx context.Context) error {
	defer bn.lab.SetLoss(context.Background(), 0)
	to := bn.uri(bn.lab.Env["VOICE_LAB_TONE_NUMBER"])
	var cur *probe
	p, err := bn.phone(ctx, toneSource(1000), func() softphone.AudioSink { return cur })
	if err != nil {
		return err
	}
	defer p.Close()
	for _, pct := range []float64{0, 5, 10, 20} {
		row := lossRow{Percent: pct}
		lossy := func() error { return bn.lab.SetLoss(ctx, pct) }
		// lossless counts the drops of the call, then removes the loss.
		lossless := func() error {
			n, err := bn.lab.Dropped(ctx)
			row.Dropped += n
			if err != nil {
				return err
			}
			return bn.lab.SetLoss(ctx, 0)
		}
		for i := 0; i < bn.o.Repeats; i++ {
			// Ours.
			before, _ := bn.lab.Recordings("tone")
			cur = newProbe()
			call, err := p.Dial(ctx, to)
			if err != nil {
				return err
			}
			if _, err := call.WaitAudio(ctx); err != nil {
				return err
			}
			if err := lossy(); err != nil {
				return err
			}
			t0 := time.Now()
			cur.record()
			time.Sleep(bn.o.Listen)
			s, rate, span := cur.recording()
			lasted := time.Since(t0)
			if err := lossless(); err != nil {
				return err
			}
			if err := call.Hangup(ctx); err != nil {
				return err
			}
			row.OursRecv.add(s, rate, 440, span)
			w, err := bn.recording(ctx, len(before))
			if err != nil {
				return err
			}
			row.OursSent.add(w.Mono(), w.SampleRate, 1000, lasted)
			bn.r.CodecOurs = codecOf(w.SampleRate)

			// Chromium.
			before, _ = bn.lab.Recordings("tone")
			c, err := bn.b.Dial(ctx, to, browser.Mic{Freq: 1000, Amp: 0.5})
			if err != nil {
				return err
			}
			if err := lossy(); err != nil {
				return err
			}
			t0 = time.Now()
			rec, err := c.Record(ctx, bn.o.Listen)
			if err != nil {
				return err
			}
			lasted = time.Since(t0)
			if err := lossless(); err != nil {
				return err
			}
			if err := c.Hangup(ctx); err != nil {
				return err
			}
			row.JsRecv.add(rec.Samples, rec.Rate, 440, 0)
			if w, err = bn.recording(ctx, len(before)); err != nil {
				return err
			}
			row.JsSent.add(w.Mono(), w.SampleRate, 1000, lasted)
			bn.r.CodecJs = codecOf(w.SampleRate)
		}
		bn.r.Loss = append(bn.r.Loss, row)
		bn.log.Info("loss", "percent", pct, "ours_received", row.OursRecv.share(), "chromium_received", row.JsRecv.share(),
			"ours_sent", row.OursSent.share(), "chromium_sent", row.JsSent.share())
	}
	return nil
}

// recording waits for the tone agent's recording number `index` to stop
// growing (the call is over) and reads it.
func (bn *bench) recording(ctx context.Context, index int) (*tone.WAV, error) {
	var last int64 = -1
	for {
		files, err := bn.lab.Recordings("tone")
		if err != nil {
			return nil, err
		}
		if len(files) > index {
			if st, err := os.Stat(files[index]); err == nil {
				if st.Size() == last && st.Size() > 44 {
					return tone.ReadWAVFile(files[index])
				}
				last = st.Size()
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the tone agent's recording #%d: %w", index+1, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// echo: tone bursts after silence through the echo agent; the time from
// a burst's first frame sent to its first frame back.
func (bn *bench) echo(ctx context.Context) error {
	to := bn.uri(bn.lab.Env["VOICE_LAB_ECHO_NUMBER"])
	// Ours: a burst of 300 ms every second from 0.5 s on.
	src := &bursts{freq: 1000, start: 25, every: 50, length: 15}
	sink := &probe{burst: 1000}
	p, err := bn.phone(ctx, func() softphone.AudioSource { return src }, func() softphone.AudioSink { return sink })
	if err != nil {
		return err
	}
	defer p.Close()
	call, err := p.Dial(ctx, to)
	if err != nil {
		return err
	}
	if _, err := call.WaitAudio(ctx); err != nil {
		return err
	}
	time.Sleep(time.Duration(bn.o.Bursts)*time.Second + time.Second)
	if err := call.Hangup(ctx); err != nil {
		return err
	}
	bn.r.EchoOurs = roundTrips(src.sent(), sink.arrivals())
	if len(bn.r.EchoOurs) == 0 {
		return fmt.Errorf("ours: no burst came back from the echo agent (%d sent)", len(src.sent()))
	}

	// Chromium: a silent oscillator switched on for each burst.
	c, err := bn.b.Dial(ctx, to, browser.Mic{Freq: 1000, Amp: 0})
	if err != nil {
		return err
	}
	det := tone.Detector{Freq: 1000, Frame: 5 * time.Millisecond}
	for i := 0; i < bn.o.Bursts; i++ {
		rec, err := c.Echo(ctx, 500*time.Millisecond, 1500*time.Millisecond, 0.5)
		if err != nil {
			return err
		}
		det.SampleRate = rec.Rate
		n := det.FrameSamples()
		for k := 0; (k+1)*n <= len(rec.Samples); k++ {
			at := rec.Start + float64(k*n)/float64(rec.Rate)
			if at >= rec.ToneAt && det.JudgeFrame(rec.Samples[k*n:(k+1)*n]).Present {
				bn.r.EchoJs = append(bn.r.EchoJs, time.Duration((at-rec.ToneAt)*float64(time.Second)))
				break
			}
		}
	}
	if len(bn.r.EchoJs) == 0 {
		return fmt.Errorf("chromium: no burst came back from the echo agent")
	}
	return c.Hangup(ctx)
}
