//go:build linux

package main

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

// probe is the softphone's speaker in the benchmark: it notes when the
// first audio frame came, keeps the samples when asked (with the times of
// the first and last frame kept), and notes the arrival of every tone
// burst (the echo test).
type probe struct {
	keep  bool
	burst float64 // Hz whose onsets are noted; 0: none

	mu          sync.Mutex
	rate        int
	first       time.Time
	got         chan struct{} // closed at the first frame
	samples     []float64
	kept, until time.Time // the first and the last frame kept
	quiet       int       // frames without the burst tone since the last one with it
	onsets      []time.Time
}

func newProbe() *probe { return &probe{got: make(chan struct{})} }

func (p *probe) Start(rate int) error {
	p.mu.Lock()
	p.rate, p.quiet = rate, 1<<30
	p.mu.Unlock()
	return nil
}

func (p *probe) Write(pcm []int16) error {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	// The first frame: the softphone's playout writes nothing before it
	// has decoded the peer's first packet (playout_test.go checks that the
	// first write is that frame, never concealment).
	if p.first.IsZero() {
		p.first = now
		if p.got != nil {
			close(p.got)
		}
	}
	if !p.keep && p.burst == 0 {
		return nil
	}
	x := make([]float64, len(pcm))
	for i, v := range pcm {
		x[i] = float64(v) / 32768
	}
	if p.keep {
		if p.samples == nil {
			p.kept = now
		}
		p.samples = append(p.samples, x...)
		p.until = now
	}
	if p.burst != 0 {
		if (tone.Detector{SampleRate: p.rate, Freq: p.burst}).JudgeFrame(x).Present {
			// A burst begins after at least 100 ms of its absence.
			if p.quiet >= 5 {
				p.onsets = append(p.onsets, now)
			}
			p.quiet = 0
		} else {
			p.quiet++
		}
	}
	return nil
}

func (p *probe) Close() error { return nil }

// record starts keeping the samples (dropping any kept so far).
func (p *probe) record() {
	p.mu.Lock()
	p.keep, p.samples = true, nil
	p.mu.Unlock()
}

func (p *probe) firstAt() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.first
}

// waitFirst waits (up to limit) for the first frame and returns the time
// from t0 to it; an error when none came or it came before t0.
func (p *probe) waitFirst(t0 time.Time, limit time.Duration) (time.Duration, error) {
	select {
	case <-p.got:
	case <-time.After(limit):
		return 0, fmt.Errorf("no audio frame reached the speaker within %v", limit)
	}
	d := p.firstAt().Sub(t0)
	if d <= 0 {
		return 0, fmt.Errorf("the first audio frame at %v, %v after the dial", p.firstAt(), d)
	}
	return d, nil
}

// recording is what was kept and the span it covers: from the first
// frame kept to the end of the last (20 ms each), so that a frame the
// playout skipped in between counts as missing, as it would in a
// continuous capture.
func (p *probe) recording() ([]float64, int, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var span time.Duration
	if len(p.samples) > 0 {
		span = p.until.Sub(p.kept) + 20*time.Millisecond
	}
	return append([]float64(nil), p.samples...), p.rate, span
}

func (p *probe) arrivals() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.onsets...)
}

// bursts is the softphone's microphone in the echo test: silence, then a
// tone burst of `length` frames every `every` frames from frame `start`
// on; it notes when each burst's first frame was handed to the encoder.
type bursts struct {
	freq                 float64
	start, every, length int

	mu     sync.Mutex
	rate   int
	n      int
	phase  float64
	onsets []time.Time
}

func (b *bursts) Start(rate int) error {
	b.mu.Lock()
	b.rate = rate
	b.mu.Unlock()
	return nil
}

func (b *bursts) Read(pcm []int16) error {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	frame := b.n
	b.n++
	k := frame - b.start
	if k < 0 || k%b.every >= b.length {
		clear(pcm)
		return nil
	}
	if k%b.every == 0 {
		b.onsets = append(b.onsets, now)
	}
	step := 2 * math.Pi * b.freq / float64(b.rate)
	for i := range pcm {
		pcm[i] = int16(0.5 * 32767 * math.Sin(b.phase))
		b.phase = math.Mod(b.phase+step, 2*math.Pi)
	}
	return nil
}

func (b *bursts) Close() error { return nil }

func (b *bursts) sent() []time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]time.Time(nil), b.onsets...)
}

// roundTrips pairs every burst sent with the first arrival after it
// (within a second).
func roundTrips(sent, got []time.Time) []time.Duration {
	var out []time.Duration
	j := 0
	for _, s := range sent {
		for j < len(got) && got[j].Before(s) {
			j++
		}
		if j < len(got) && got[j].Sub(s) < time.Second {
			out = append(out, got[j].Sub(s))
			j++
		}
	}
	return out
}
