//go:build cgo && !windows

package softphone

import (
	"errors"
	"testing"

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
	if loss, err := o.enc.PacketLossPerc(); err != nil || loss != 10 {
		t.Fatalf("expected loss %d %v", loss, err)
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

// plcOnly hides the in-band FEC: every lost frame is made up by PLC.
type plcOnly struct{ *Opus }

func (p plcOnly) DecodeFEC([]byte) ([]int16, error) { return p.DecodeLost() }

// TestOpusPlayoutUnderLoss measures how much of a 1 kHz tone survives 10%
// and 20% random loss through the jitter buffer and playout with FEC and
// PLC, with PLC alone, and with neither (silence for a lost frame).
func TestOpusPlayoutUnderLoss(t *testing.T) {
	for _, loss := range []float64{0.10, 0.20} {
		fec := lossRun(t, newOpus(t, &Opus{}), newOpus(t, &Opus{}), newOpus(t, &Opus{}), loss, 10, 7)
		plc := lossRun(t, newOpus(t, &Opus{}), plcOnly{newOpus(t, &Opus{})}, newOpus(t, &Opus{}), loss, 10, 7)
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
