package softphone

import (
	"math"
	"sync"

	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

// AudioSource gives the audio we send: Read fills pcm (mono, 16-bit, at
// the rate passed to Start) with the next frame. A microphone (malgo) is
// one later; ToneSource stands in for it.
type AudioSource interface {
	Start(sampleRate int) error
	Read(pcm []int16) error
	Close() error
}

// AudioSink takes the audio we receive, frame by frame, in the same form.
// A speaker (malgo) is one later; Recorder stands in for it.
type AudioSink interface {
	Start(sampleRate int) error
	Write(pcm []int16) error
	Close() error
}

// ToneSource generates a sine wave.
type ToneSource struct {
	Freq float64 // Hz
	Amp  float64 // 0..1 of full scale; 0.5 when zero

	rate  int
	phase float64
}

func (t *ToneSource) Start(sampleRate int) error { t.rate = sampleRate; return nil }
func (t *ToneSource) Close() error               { return nil }

func (t *ToneSource) Read(pcm []int16) error {
	amp := t.Amp
	if amp == 0 {
		amp = 0.5
	}
	step := 2 * math.Pi * t.Freq / float64(t.rate)
	for i := range pcm {
		pcm[i] = int16(math.Round(amp * 32767 * math.Sin(t.phase)))
		t.phase += step
		if t.phase > 2*math.Pi {
			t.phase -= 2 * math.Pi
		}
	}
	return nil
}

// SilenceSource sends silence.
type SilenceSource struct{}

func (SilenceSource) Start(int) error        { return nil }
func (SilenceSource) Read(pcm []int16) error { clear(pcm); return nil }
func (SilenceSource) Close() error           { return nil }

// Recorder keeps what it receives in memory.
type Recorder struct {
	mu      sync.Mutex
	rate    int
	samples []int16
}

func (r *Recorder) Start(sampleRate int) error {
	r.mu.Lock()
	r.rate = sampleRate
	r.mu.Unlock()
	return nil
}

func (r *Recorder) Write(pcm []int16) error {
	r.mu.Lock()
	r.samples = append(r.samples, pcm...)
	r.mu.Unlock()
	return nil
}

func (r *Recorder) Close() error { return nil }

// Samples returns the recording as floats in [−1, 1] and its rate.
func (r *Recorder) Samples() ([]float64, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]float64, len(r.samples))
	for i, s := range r.samples {
		out[i] = float64(s) / 32768
	}
	return out, r.rate
}

// WAV returns the recording as a 16-bit mono WAV file.
func (r *Recorder) WAV() []byte {
	s, rate := r.Samples()
	return tone.EncodeWAV(rate, s)
}
