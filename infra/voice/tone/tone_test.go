package tone

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// Sample rates the lab meets: PCMU/PCMA (8 kHz), Opus and baresip's
// ausine (48 kHz).
var rates = []int{8000, 16000, 48000}

func det(rate int) Detector { return Detector{SampleRate: rate, Freq: 440} }

func TestGoertzelMatchesDFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 333)
	for i := range x {
		x[i] = rng.Float64()*2 - 1
	}
	for _, f := range []float64{0, 440, 1000.5, 3999} {
		var want complex128
		for n, v := range x {
			want += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*f*float64(n)/8000))
		}
		if got := Goertzel(x, 8000, f); cmplx.Abs(got-want) > 1e-9*math.Max(1, cmplx.Abs(want)) {
			t.Errorf("f=%v: Goertzel %v, DFT %v", f, got, want)
		}
	}
}

func TestPureTone(t *testing.T) {
	for _, rate := range rates {
		for _, amp := range []float64{0.9, 0.1, 0.02} { // about −1, −20, −34 dBFS
			x := Sine(rate, 440, amp, 0.7, rate*2)
			r := det(rate).Detect(x)
			if len(r.Frames) != 100 || r.Ratio() != 1 {
				t.Fatalf("rate %d amp %v: %d of %d frames", rate, amp, r.Present, len(r.Frames))
			}
			for i, f := range r.Frames {
				if want := 20 * math.Log10(amp); math.Abs(f.Level-want) > 0.2 || f.Share < 0.97 {
					t.Fatalf("rate %d amp %v frame %d: level %.2f dBFS (want %.2f), share %.3f", rate, amp, i, f.Level, want, f.Share)
				}
			}
		}
	}
}

func TestSilenceAndQuietTone(t *testing.T) {
	for _, rate := range rates {
		if r := det(rate).Detect(make([]float64, rate)); r.Present != 0 || len(r.Frames) != 50 {
			t.Fatalf("rate %d silence: %d of %d frames", rate, r.Present, len(r.Frames))
		}
		// −52 dBFS is below the −40 dBFS floor: a tone that faint is not
		// proof of a working path (and PCMU's idle noise is about there).
		if r := det(rate).Detect(Sine(rate, 440, 0.0025, 0, rate)); r.Present != 0 {
			t.Fatalf("rate %d: a −52 dBFS tone passed in %d frames", rate, r.Present)
		}
	}
}

func TestOtherSignalsAreNotTheTone(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, rate := range rates {
		noise := make([]float64, rate)
		for i := range noise {
			noise[i] = rng.NormFloat64() * 0.3
		}
		if r := det(rate).Detect(noise); r.Present != 0 {
			t.Errorf("rate %d: white noise passed in %d frames", rate, r.Present)
		}
		for _, f := range []float64{1000, 600, 300} {
			if r := det(rate).Detect(Sine(rate, f, 0.5, 0, rate)); r.Present != 0 {
				t.Errorf("rate %d: a %v Hz tone passed in %d frames", rate, f, r.Present)
			}
		}
	}
}

func TestToneWithNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rate := range rates {
		for _, snr := range []float64{20, 10, 6} { // dB
			amp := 0.3
			sigma := amp / math.Sqrt2 / math.Pow(10, snr/20)
			x := Sine(rate, 440, amp, 1, rate*5)
			for i := range x {
				x[i] += rng.NormFloat64() * sigma
			}
			if r := det(rate).Detect(x); r.Ratio() < 0.99 {
				t.Errorf("rate %d SNR %v dB: tone in %.1f%% of frames", rate, snr, 100*r.Ratio())
			}
		}
		// Tone plus an equally loud other tone: half the power is not ours,
		// which is at the threshold; a louder interferer wins.
		x := Sine(rate, 440, 0.2, 0, rate)
		y := Sine(rate, 1200, 0.4, 0, rate)
		for i := range x {
			x[i] += y[i]
		}
		if r := det(rate).Detect(x); r.Present != 0 {
			t.Errorf("rate %d: 440 Hz under a louder 1200 Hz tone passed in %d frames", rate, r.Present)
		}
	}
}

// Ten percent of the packets lost and not concealed: ninety percent of the
// frames keep the tone, which passes a >80% requirement and fails >95%.
func TestDroppedFrames(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, rate := range rates {
		d := det(rate)
		n := d.FrameSamples()
		x := Sine(rate, 440, 0.5, 0, n*500)
		dropped := 0
		for f := 0; f < 500; f++ {
			if rng.Float64() < 0.10 {
				clear(x[f*n : (f+1)*n])
				dropped++
			}
		}
		r := d.Detect(x)
		if r.Present != 500-dropped {
			t.Fatalf("rate %d: %d frames present, want %d (dropped %d)", rate, r.Present, 500-dropped, dropped)
		}
		if r.Ratio() <= 0.80 || r.Ratio() > 0.95 {
			t.Fatalf("rate %d: ratio %.3f outside (0.80, 0.95]", rate, r.Ratio())
		}
	}
}

// Packets rarely line up with the analysis frames. A frame counts when
// roughly more than half of it (Hann-weighted) carries the tone, so a lost
// 20 ms packet costs one frame on average: exactly one when aligned or a
// third off, none when it falls half in each of two frames, never more
// than two.
func TestDropsOffFrameBoundaries(t *testing.T) {
	rate := 8000
	d := det(rate)
	n := d.FrameSamples()
	for _, c := range []struct{ offset, lost int }{{0, 1}, {n / 3, 1}, {2 * n / 3, 1}, {n / 2, 0}} {
		x := Sine(rate, 440, 0.5, 0, n*30)
		clear(x[10*n+c.offset : 11*n+c.offset])
		if r := d.Detect(x); 30-r.Present != c.lost {
			t.Errorf("gap %d samples off the frame: %d frames lost, want %d", c.offset, 30-r.Present, c.lost)
		}
	}
}

func TestPartialTrailingFrame(t *testing.T) {
	d := Detector{SampleRate: 8000, Freq: 440}
	if r := d.Detect(Sine(8000, 440, 0.5, 0, 159)); len(r.Frames) != 0 || r.Ratio() != 0 {
		t.Fatalf("159 samples made %d frames", len(r.Frames))
	}
	if f := d.JudgeFrame(Sine(8000, 440, 0.5, 0, 240)); !f.Present {
		t.Fatalf("30 ms streaming frame: %+v", f)
	}
}

func TestWAVRoundTrip(t *testing.T) {
	l := Sine(48000, 440, 0.5, 0, 4800)
	r := Sine(48000, 440, 0.25, 0, 4800)
	w, err := ReadWAV(EncodeWAV(48000, l, r))
	if err != nil {
		t.Fatal(err)
	}
	if w.SampleRate != 48000 || len(w.Samples) != 2 || len(w.Samples[0]) != 4800 || w.Duration() != 0.1 {
		t.Fatalf("got rate %d, %d channels, %d samples", w.SampleRate, len(w.Samples), len(w.Samples[0]))
	}
	m := w.Mono()
	for i := range m {
		if math.Abs(m[i]-(l[i]+r[i])/2) > 1.0/32767 {
			t.Fatalf("sample %d: %v, want %v", i, m[i], (l[i]+r[i])/2)
		}
	}
}

// A writer that has not closed its file yet leaves the data size at zero.
func TestWAVUnfinishedDataChunk(t *testing.T) {
	b := EncodeWAV(8000, Sine(8000, 440, 0.5, 0, 800))
	for i := 40; i < 44; i++ { // data chunk size
		b[i] = 0
	}
	w, err := ReadWAV(b)
	if err != nil || len(w.Samples[0]) != 800 {
		t.Fatalf("err %v", err)
	}
}

func TestWAVBadInput(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":     nil,
		"not riff":  []byte("RIFX\x00\x00\x00\x00WAVE"),
		"no chunks": []byte("RIFF\x04\x00\x00\x00WAVE"),
		"data first": append([]byte("RIFF\x10\x00\x00\x00WAVE"),
			[]byte("data\x02\x00\x00\x00\x01\x02")...),
		"truncated fmt": append([]byte("RIFF\x10\x00\x00\x00WAVE"),
			[]byte("fmt \x10\x00\x00\x00\x01\x00")...),
	} {
		if _, err := ReadWAV(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	b := EncodeWAV(8000, make([]float64, 10))
	b[20] = 2 // ADPCM
	if _, err := ReadWAV(b); err == nil {
		t.Error("ADPCM accepted")
	}
}
