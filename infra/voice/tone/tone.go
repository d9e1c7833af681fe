// Package tone proves that audio went through a call: it looks for a
// sinusoidal tone in every 20 ms frame of a recording with the Goertzel
// algorithm and reports the share of frames that carry it.
//
// One long analysis window would hide loss (a few missing packets barely
// move the energy of a ten-second window); judging frame by frame turns
// lost or concealed packets into missing frames. The voice lab's interop
// test requires the lab's 440 Hz tone in more than 95% of the frames; the
// softphone's tests reuse the same detector under packet loss.
package tone

import (
	"math"
	"math/cmplx"
	"time"
)

// Goertzel returns the discrete-time Fourier transform of x at freq (Hz),
// sum over n of x[n]·e^(−j·2π·freq·n/sampleRate), computed with the
// Goertzel recurrence. freq need not fall on a DFT bin.
func Goertzel(x []float64, sampleRate, freq float64) complex128 {
	w := 2 * math.Pi * freq / sampleRate
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+coeff*s1-s2, s1
	}
	// y[N-1] = s1 - e^(-jw)·s2 is the transform up to the phase factor
	// e^(jw(N-1)), which the magnitude ignores but callers may not.
	y := complex(s1-math.Cos(w)*s2, math.Sin(w)*s2)
	return y * cmplx.Exp(complex(0, -w*float64(len(x)-1)))
}

// Defaults of a zero Detector field.
const (
	DefaultFrame    = 20 * time.Millisecond
	DefaultMinShare = 0.5
	DefaultMinLevel = -40.0 // dBFS
)

// Detector judges frames of mono samples in [−1, 1] for a tone at Freq.
//
// A frame carries the tone when the tone's estimated power is at least
// MinShare of the frame's power (so noise, speech or another tone do not
// count) and its amplitude is at least MinLevel dBFS, 0 dBFS being a
// full-scale sine (so near-silence does not count). The frame is weighted
// with a Hann window before the Goertzel step: the selectivity is then
// about ±2/frame-duration (±100 Hz for 20 ms frames).
type Detector struct {
	SampleRate int
	Freq       float64
	Frame      time.Duration // DefaultFrame when zero
	MinShare   float64       // DefaultMinShare when zero
	MinLevel   float64       // dBFS; DefaultMinLevel when zero
}

// Frame is the verdict on one frame.
type Frame struct {
	Level   float64 // estimated tone amplitude, dBFS (−Inf for none)
	Share   float64 // estimated tone power ÷ frame power, in [0, 1]
	Present bool
}

// Result is the verdict on a recording.
type Result struct {
	Frames  []Frame
	Present int // frames with the tone
}

// Ratio is the share of frames that carry the tone (0 without frames).
func (r Result) Ratio() float64 {
	if len(r.Frames) == 0 {
		return 0
	}
	return float64(r.Present) / float64(len(r.Frames))
}

// FrameSamples is the number of samples per frame.
func (d Detector) FrameSamples() int {
	f := d.Frame
	if f <= 0 {
		f = DefaultFrame
	}
	return int(int64(d.SampleRate) * int64(f) / int64(time.Second))
}

// Detect judges every whole frame of x; a trailing partial frame is left
// out.
func (d Detector) Detect(x []float64) Result {
	n := d.FrameSamples()
	var r Result
	if n <= 0 {
		return r
	}
	win := hann(n)
	for i := 0; i+n <= len(x); i += n {
		f := d.judge(x[i:i+n], win)
		if f.Present {
			r.Present++
		}
		r.Frames = append(r.Frames, f)
	}
	return r
}

// JudgeFrame judges one frame of any length (for streaming use).
func (d Detector) JudgeFrame(x []float64) Frame { return d.judge(x, hann(len(x))) }

func (d Detector) judge(x, win []float64) Frame {
	minShare, minLevel := d.MinShare, d.MinLevel
	if minShare == 0 {
		minShare = DefaultMinShare
	}
	if minLevel == 0 {
		minLevel = DefaultMinLevel
	}
	var power, wsum float64
	buf := make([]float64, len(x))
	for i, v := range x {
		power += v * v
		buf[i] = v * win[i]
		wsum += win[i]
	}
	if len(x) == 0 || power == 0 || wsum == 0 {
		return Frame{Level: math.Inf(-1)}
	}
	power /= float64(len(x))
	amp := 2 * cmplx.Abs(Goertzel(buf, float64(d.SampleRate), d.Freq)) / wsum
	share := math.Min(1, amp*amp/2/power)
	level := 20 * math.Log10(amp)
	return Frame{Level: level, Share: share, Present: share >= minShare && level >= minLevel}
}

// hann is the periodic Hann window of n points (it sums to n/2); its low
// sidelobes keep other tones and the tone's own negative-frequency image
// out of the estimate.
func hann(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
	}
	return w
}

// Sine returns n samples of amp·sin(2π·freq·t + phase) at sampleRate.
func Sine(sampleRate int, freq, amp, phase float64, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/float64(sampleRate)+phase)
	}
	return x
}
