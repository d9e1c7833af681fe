package softphone

import (
	"math"
	"testing"

	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

func TestULawRoundTrip(t *testing.T) {
	// Known points of the G.711 table.
	for _, c := range []struct {
		in  int16
		out byte
	}{{0, 0xFF}, {-1, 0x7F}, {32767, 0x80}, {-32768, 0x00}} {
		if got := EncodeULaw(c.in); got != c.out {
			t.Errorf("EncodeULaw(%d) = %#x, want %#x", c.in, got, c.out)
		}
	}
	// Decode(Encode(x)) is close to x: within the segment's step.
	for x := -32768; x <= 32767; x += 7 {
		y := int(DecodeULaw(EncodeULaw(int16(x))))
		step := math.Max(8, math.Abs(float64(x))/16)
		if math.Abs(float64(x-y)) > step+4 && math.Abs(float64(x)) < ulawClip {
			t.Fatalf("%d -> %d", x, y)
		}
	}
	// Every code decodes and re-encodes to itself (except the two zeros).
	for u := 0; u < 256; u++ {
		if u == 0x7F {
			continue
		}
		if got := EncodeULaw(DecodeULaw(byte(u))); got != byte(u) {
			t.Errorf("code %#x -> %d -> %#x", u, DecodeULaw(byte(u)), got)
		}
	}
}

func TestPCMUToneSurvives(t *testing.T) {
	src := &ToneSource{Freq: 1000}
	_ = src.Start(8000)
	var rec Recorder
	_ = rec.Start(8000)
	var c Codec = PCMU{}
	frame := make([]int16, 160)
	for i := 0; i < 50; i++ {
		_ = src.Read(frame)
		p, _ := c.Encode(frame)
		pcm, _ := c.Decode(p)
		_ = rec.Write(pcm)
	}
	s, rate := rec.Samples()
	r := tone.Detector{SampleRate: rate, Freq: 1000}.Detect(s)
	if r.Ratio() < 0.99 {
		t.Fatalf("1000 Hz in %.1f%% of frames", 100*r.Ratio())
	}
	w, err := tone.ReadWAV(rec.WAV())
	if err != nil || w.SampleRate != 8000 || len(w.Samples[0]) != 8000 {
		t.Fatalf("WAV: %v %+v", err, w)
	}
}
