//go:build cgo && !windows

package softphone

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

func newOpus(t testing.TB, template *Opus) *Opus {
	t.Helper()
	c, err := template.ForCall()
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Opus)
}

func TestOpusDescription(t *testing.T) {
	var c Codec = &Opus{}
	if c.MimeType() != "audio/opus" || c.ClockRate() != 48000 || c.Channels() != 2 || c.PayloadType() != 111 ||
		c.Fmtp() != "minptime=10;useinbandfec=1" || c.SampleRate() != 48000 || CodecName(c) != "opus" {
		t.Fatalf("description: %s/%d/%d pt %d %q", c.MimeType(), c.ClockRate(), c.Channels(), c.PayloadType(), c.Fmtp())
	}
	if _, err := c.Encode(make([]int16, opusFrame)); !errors.Is(err, errOpusTemplate) {
		t.Fatalf("a template encodes: %v", err)
	}
	if d := defaultCodecs(); len(d) != 2 || CodecName(d[0]) != "opus" || CodecName(d[1]) != "PCMU" {
		t.Fatalf("default codecs %v", d)
	}
	o := newOpus(t, &Opus{})
	if fec, err := o.enc.InBandFEC(); err != nil || !fec {
		t.Fatalf("in-band FEC %v %v", fec, err)
	}
	if loss, err := o.enc.PacketLossPerc(); err != nil || loss != fecMinLoss {
		t.Fatalf("expected loss %d %v", loss, err)
	}
	o.applyRemoteFmtp("stereo=1; maxaveragebitrate=24000")
	if b, err := o.enc.Bitrate(); err != nil || b != 24000 {
		t.Fatalf("the peer's maxaveragebitrate: %d %v", b, err)
	}
	o.applyRemoteFmtp("maxaveragebitrate=64000") // above ours: kept
	if b, _ := o.enc.Bitrate(); b != 24000 {
		t.Fatalf("bitrate %d after a higher maximum", b)
	}
}

func TestOpusToneRoundTrip(t *testing.T) {
	enc, dec := newOpus(t, &Opus{}), newOpus(t, &Opus{})
	src := &ToneSource{Freq: 1000}
	_ = src.Start(48000)
	var rec Recorder
	_ = rec.Start(48000)
	frame := make([]int16, opusFrame)
	var bytes int
	for range 100 {
		_ = src.Read(frame)
		p, err := enc.Encode(frame)
		if err != nil {
			t.Fatal(err)
		}
		bytes += len(p)
		pcm, err := dec.Decode(p)
		if err != nil || len(pcm) != opusFrame {
			t.Fatalf("decoded %d samples: %v", len(pcm), err)
		}
		_ = rec.Write(pcm)
	}
	s, rate := rec.Samples()
	r := tone.Detector{SampleRate: rate, Freq: 1000}.Detect(s[opusFrame:]) // the first frame holds the codec's delay
	other := tone.Detector{SampleRate: rate, Freq: 440}.Detect(s)
	t.Logf("1 kHz in %d of %d frames; %d bytes/frame (%.1f kbit/s)", r.Present, len(r.Frames), bytes/100, float64(bytes*8)/2/1000)
	if r.Ratio() < 0.99 || other.Present != 0 {
		t.Fatalf("1000 Hz in %.1f%% of frames, 440 Hz in %d", 100*r.Ratio(), other.Present)
	}
}

// plcOnly hides the in-band FEC and the pitch-based concealment: every
// lost frame is made up by libopus's PLC (while the next packet is there,
// as in lossRun).
type plcOnly struct{ *Opus }

func (p plcOnly) DecodeFEC([]byte) ([]int16, error) { return p.DecodeLost() }
func (p plcOnly) hasFEC([]byte) bool                { return true }

// TestOpusPlayoutUnderLoss measures how much of a 1 kHz tone survives 10%
// and 20% random loss through the jitter buffer and playout with FEC and
// PLC, with PLC alone, and with neither (silence for a lost frame).
func TestOpusPlayoutUnderLoss(t *testing.T) {
	for _, loss := range []float64{0.10, 0.20} {
		// The encoder expects the loss, as the receiver reports make it
		// (fec.go): below about 8% libopus codes a steady tone (music to
		// it) without redundancy.
		sender := &Opus{ExpectedLoss: int(100 * loss)}
		fec := lossRun(t, newOpus(t, sender), newOpus(t, &Opus{}), newOpus(t, &Opus{}), 1000, loss, 10, 7)
		plc := lossRun(t, newOpus(t, sender), plcOnly{newOpus(t, &Opus{})}, newOpus(t, &Opus{}), 1000, loss, 10, 7)
		t.Logf("Opus, %.0f%% loss (%d of 500 dropped): tone in %.1f%% of frames with FEC+PLC, %.1f%% with PLC only, %.1f%% without; %+v",
			100*loss, fec.Dropped, 100*fec.Playout, 100*plc.Playout, 100*fec.Plain, fec.Stats)
		if fec.Playout <= 0.8 || fec.Playout < fec.Plain || plc.Playout < plc.Plain {
			t.Errorf("%.0f%% loss: %.1f%% with FEC+PLC, %.1f%% with PLC, %.1f%% without", 100*loss, 100*fec.Playout, 100*plc.Playout, 100*fec.Plain)
		}
		if fec.Stats.Concealed < uint64(fec.Dropped) || fec.Stats.Lost == 0 || fec.Stats.Late != 0 {
			t.Errorf("stats %+v for %d dropped", fec.Stats, fec.Dropped)
		}
	}
}

// BenchmarkOpusEncode: one 20 ms frame of 48 kHz mono.
func BenchmarkOpusEncode(b *testing.B) {
	enc := newOpus(b, &Opus{})
	src := &ToneSource{Freq: 1000}
	_ = src.Start(48000)
	frame := make([]int16, opusFrame)
	_ = src.Read(frame)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := enc.Encode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpusPlayout: one 20 ms frame through the receive path with
// Opus decoding.
func BenchmarkOpusPlayout(b *testing.B) {
	benchPlayout(b, newOpus(b, &Opus{}), newOpus(b, &Opus{}))
}

// TestNegotiatedCodec: two media sessions (real pion peer connections on
// loopback) agree on a codec through offer and answer, and each sends and
// decodes with it, whatever its own first choice was.
func TestNegotiatedCodec(t *testing.T) {
	cases := []struct {
		name              string
		offerer, answerer []Codec
		want              string
	}{
		{"both prefer Opus", []Codec{&Opus{}, PCMU{}}, []Codec{&Opus{}, PCMU{}}, "opus"},
		{"the answer has PCMU only", []Codec{&Opus{}, PCMU{}}, []Codec{PCMU{}}, "PCMU"},
		{"the offer has PCMU only", []Codec{PCMU{}}, []Codec{&Opus{}, PCMU{}}, "PCMU"},
		{"the offerer's order wins", []Codec{PCMU{}, &Opus{}}, []Codec{&Opus{}, PCMU{}}, "PCMU"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			recA, recB := &Recorder{}, &Recorder{}
			a, err := newMediaSession(&Config{Codecs: tc.offerer}, &ToneSource{Freq: 1000}, recA)
			if err != nil {
				t.Fatal(err)
			}
			defer a.close()
			b, err := newMediaSession(&Config{Codecs: tc.answerer}, &ToneSource{Freq: 440}, recB)
			if err != nil {
				t.Fatal(err)
			}
			defer b.close()
			offer, err := a.offer(ctx)
			if err != nil {
				t.Fatal(err)
			}
			answer, err := b.answer(ctx, offer)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.setAnswer(answer); err != nil {
				t.Fatal(err)
			}
			for _, m := range []*mediaSession{a, b} {
				if got := CodecName(m.sendCodec()); got != tc.want {
					t.Fatalf("sends %s, want %s", got, tc.want)
				}
				if err := m.start(); err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range []struct {
				rec  *Recorder
				freq float64
			}{{recB, 1000}, {recA, 440}} {
				s, rate := waitSamples(ctx, t, r.rec, time.Second)
				d := tone.Detector{SampleRate: rate, Freq: r.freq}.Detect(s)
				if rate != (&Opus{}).SampleRate() && tc.want == "opus" || d.Ratio() < 0.9 {
					t.Errorf("%v Hz in %.1f%% of %d frames at %d Hz", r.freq, 100*d.Ratio(), len(d.Frames), rate)
				}
			}
		})
	}
}

// waitSamples waits for a recorder to hold d of audio.
func waitSamples(ctx context.Context, t *testing.T, rec *Recorder, d time.Duration) ([]float64, int) {
	t.Helper()
	for {
		if s, rate := rec.Samples(); rate > 0 && len(s) >= int(d.Seconds()*float64(rate)) {
			return s, rate
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no %v of audio received", d)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
