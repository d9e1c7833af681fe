package softphone

import (
	"math"
	"testing"
	"time"
)

// voiced is a voiced-speech-like signal at rate: a glottal pulse train
// around 120 Hz (±2% vibrato at 3 Hz, so that no period repeats exactly)
// through two formant resonators (700 and 1220 Hz), at about −12 dBFS.
func voiced(rate, n int) []int16 {
	type reson struct{ a1, a2, y1, y2 float64 }
	mk := func(f, bw float64) *reson {
		r := math.Exp(-math.Pi * bw / float64(rate))
		return &reson{a1: 2 * r * math.Cos(2*math.Pi*f/float64(rate)), a2: -r * r}
	}
	f1, f2 := mk(700, 80), mk(1220, 100)
	raw := make([]float64, n)
	phase, peak := 0.0, 0.0
	for i := range raw {
		t := float64(i) / float64(rate)
		phase += 120 * (1 + 0.02*math.Sin(2*math.Pi*3*t)) / float64(rate)
		x := 0.0
		if phase >= 1 {
			phase--
			x = 1
		}
		for _, r := range []*reson{f1, f2} {
			y := x + r.a1*r.y1 + r.a2*r.y2
			r.y2, r.y1 = r.y1, y
			x = y
		}
		raw[i] = x
		peak = max(peak, math.Abs(x))
	}
	out := make([]int16, n)
	for i, v := range raw {
		out[i] = int16(v / peak * 8000)
	}
	return out
}

// corr is the normalised correlation of a with the reference b; snr is
// b's energy over that of the difference, in dB (silence: 0 dB).
func corr(a, b []int16) (c, snr float64) {
	var ab, aa, bb, dd float64
	for i := range b {
		x, y := float64(a[i]), float64(b[i])
		ab, aa, bb, dd = ab+x*y, aa+x*x, bb+y*y, dd+(x-y)*(x-y)
	}
	if aa > 0 {
		c = ab / math.Sqrt(aa*bb)
	}
	return c, 10 * math.Log10(bb/dd)
}

// TestPitchPLCVoiced: on voiced speech, one lost 20 ms frame concealed by
// the pitch-based concealment, by libopus's PLC, and by silence, each
// compared with the frame the lossless decoder gives, at 24 places.
func TestPitchPLCVoiced(t *testing.T) {
	sig := voiced(48000, 48000*3/2)
	enc := newOpus(t, &Opus{})
	var packets [][]byte
	var ref [][]int16
	refDec := newOpus(t, &Opus{})
	for f := 0; (f+1)*opusFrame <= len(sig); f++ {
		p, err := enc.Encode(sig[f*opusFrame : (f+1)*opusFrame])
		if err != nil {
			t.Fatal(err)
		}
		pcm, _ := refDec.Decode(p)
		packets, ref = append(packets, p), append(ref, pcm)
	}
	var ours, lib, oursSNR, libSNR float64
	var places int
	for k := 10; k < len(packets); k += 3 {
		dec := newOpus(t, &Opus{})
		plc := newPitchPLC(48000)
		for f := range k {
			pcm, _ := dec.Decode(packets[f])
			plc.record(pcm)
		}
		lost, _ := dec.DecodeLost()
		if !plc.begin(plcMinCorr) {
			t.Fatalf("frame %d: history not taken as voiced (correlation %.2f)", k, plc.lastCor)
		}
		c1, s1 := corr(plc.synth(opusFrame), ref[k])
		c2, s2 := corr(lost, ref[k])
		ours, lib, oursSNR, libSNR = ours+c1, lib+c2, oursSNR+s1, libSNR+s2
		places++
	}
	n := float64(places)
	ours, lib, oursSNR, libSNR = ours/n, lib/n, oursSNR/n, libSNR/n
	t.Logf("voiced 120 Hz, one frame lost at %d places: correlation with the true frame: pitch-based %.2f (%.1f dB), libopus PLC %.2f (%.1f dB), silence 0 (0 dB)",
		places, ours, oursSNR, lib, libSNR)
	if ours < 0.5 || oursSNR <= 0 || ours < lib-0.05 {
		t.Errorf("pitch-based %.2f (%.1f dB), libopus %.2f (%.1f dB): want > 0.5, above silence, and no worse than libopus", ours, oursSNR, lib, libSNR)
	}
}

// TestPitchPLCCrossFade: a 440 Hz tone, one frame concealed, then a frame
// half a period out of phase with the concealment (the worst case): the
// cross-fade keeps every step between samples near the tone's own
// largest.
func TestPitchPLCCrossFade(t *testing.T) {
	const rate, amp, freq = 48000, 10000.0, 440.0
	plc := newPitchPLC(rate)
	frame := func(f int, shift float64) []int16 {
		out := make([]int16, opusFrame)
		for i := range out {
			out[i] = int16(amp * math.Sin(2*math.Pi*freq*(float64(f*opusFrame+i)/rate)+shift))
		}
		return out
	}
	var played []int16
	for f := range 4 {
		pcm := frame(f, 0)
		plc.played(pcm)
		played = append(played, pcm...)
	}
	if !plc.begin(plcMinCorr) {
		t.Fatalf("a tone not periodic: %.2f", plc.lastCor)
	}
	played = append(played, plc.synth(opusFrame)...)
	after := frame(5, math.Pi)
	plc.played(after)
	played = append(played, after...)
	natural := 2 * math.Pi * freq / rate * amp
	jump := 0.0
	for i := 1; i < len(played); i++ {
		jump = max(jump, math.Abs(float64(played[i])-float64(played[i-1])))
	}
	t.Logf("largest step %.0f, the tone's own %.0f", jump, natural)
	if jump > 1.5*natural {
		t.Errorf("a step of %.0f (the tone's own largest: %.0f)", jump, natural)
	}
}

// TestOpusLongGapFadesToSilence: when the peer falls silent in the middle
// of a tone, the concealment holds it for 10 ms, fades it out by 60 ms,
// and plays silence until the playout pauses.
func TestOpusLongGapFadesToSilence(t *testing.T) {
	enc, dec := newOpus(t, &Opus{}), newOpus(t, &Opus{})
	var rec Recorder
	_ = rec.Start(48000)
	jb := newJitterBuffer(48000)
	p := newPlayout(jb, dec, &rec, 48000)
	src := &ToneSource{Freq: 440}
	_ = src.Start(48000)
	frame := make([]int16, opusFrame)
	t0 := time.Unix(1000, 0)
	const sent = 10
	for i := range sent {
		_ = src.Read(frame)
		payload, _ := enc.Encode(frame)
		jb.push(uint16(i), uint32(i*opusFrame), payload, t0.Add(time.Duration(i)*frameDuration))
		_ = p.tick()
	}
	for range 10 {
		_ = p.tick()
	}
	s, _ := rec.Samples()
	played := len(s)/opusFrame - maxUnderrun // frames decoded
	level := func(f int) float64 {
		peak := 0.0
		for _, v := range s[f*opusFrame : (f+1)*opusFrame] {
			peak = max(peak, math.Abs(v))
		}
		return peak
	}
	before := level(played - 1)
	t.Logf("peak before the gap %.3f; in the gap's frames: %.3f %.3f %.3f %.3f %.3f", before,
		level(played), level(played+1), level(played+2), level(played+3), level(played+4))
	if level(played) < 0.9*before || level(played+1) >= level(played) || level(played+2) >= level(played+1) {
		t.Errorf("no hold then fade: %.3f before, %.3f %.3f %.3f", before, level(played), level(played+1), level(played+2))
	}
	if level(played+3) != 0 || level(played+4) != 0 {
		t.Errorf("not silent after 60 ms: %.3f %.3f", level(played+3), level(played+4))
	}
}

// TestOpusCELTToneUnderLoss: a 440 Hz tone coded as baresip sends it
// (CELT, no in-band FEC) through 5, 10 and 20% loss: the playout's rule
// (pitch-based concealment on a periodic history) against libopus's PLC
// alone and against silence.
func TestOpusCELTToneUnderLoss(t *testing.T) {
	probe := newOpus(t, &Opus{})
	src := &ToneSource{Freq: 440}
	_ = src.Start(48000)
	frame := make([]int16, opusFrame)
	celt, fec := 0, 0
	for range 500 {
		_ = src.Read(frame)
		payload, _ := probe.Encode(frame)
		if payload[0]>>3 >= 16 {
			celt++
		}
		if probe.hasFEC(payload) {
			fec++
		}
	}
	t.Logf("of 500 frames (10 s), %d CELT, %d with FEC", celt, fec)
	if celt < 450 {
		t.Fatalf("the tone is coded in CELT in only %d of 500 frames", celt)
	}
	for _, loss := range []float64{0.05, 0.10, 0.20} {
		ours := lossRun(t, newOpus(t, &Opus{}), newOpus(t, &Opus{}), newOpus(t, &Opus{}), 440, loss, 10, 7)
		lib := lossRun(t, newOpus(t, &Opus{}), plcOnly{newOpus(t, &Opus{})}, newOpus(t, &Opus{}), 440, loss, 10, 7)
		t.Logf("CELT 440 Hz, %.0f%% loss (%d of 500 dropped): tone in %.1f%% of frames with the playout's rule, %.1f%% with libopus PLC only, %.1f%% without",
			100*loss, ours.Dropped, 100*ours.Playout, 100*lib.Playout, 100*ours.Plain)
		if ours.Playout < lib.Playout || ours.Playout < ours.Plain {
			t.Errorf("%.0f%% loss: %.1f%% with the rule, %.1f%% libopus only, %.1f%% without", 100*loss, 100*ours.Playout, 100*lib.Playout, 100*ours.Plain)
		}
	}
}

// TestPitchPLCNoAllocation: recording a played frame (every 20 ms of a
// call) allocates nothing.
func TestPitchPLCNoAllocation(t *testing.T) {
	plc := newPitchPLC(48000)
	pcm := make([]int16, opusFrame)
	if n := testing.AllocsPerRun(100, func() { plc.played(pcm) }); n != 0 {
		t.Errorf("%.0f allocations per frame", n)
	}
}
