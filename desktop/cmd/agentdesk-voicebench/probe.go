//go:build linux

package main

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

// probe is the softphone's speaker in the benchmark: it notes when the
// first audio frame came, keeps the samples when asked, and notes the
// arrival of every tone burst (the echo test).
type probe struct {
	keep  bool
	burst float64 // Hz whose onsets are noted; 0: none

	mu      sync.Mutex
	rate    int
	first   time.Time
	samples []float64
	quiet   int // frames without the burst tone since the last one with it
	onsets  []time.Time
}

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
	// The first frame with sound: a playout loop may write silence
	// before any packet has come.
	if p.first.IsZero() && slices.ContainsFunc(pcm, func(v int16) bool { return v != 0 }) {
		p.first = now
	}
	if !p.keep && p.burst == 0 {
		return nil
	}
	x := make([]float64, len(pcm))
	for i, v := range pcm {
		x[i] = float64(v) / 32768
	}
	if p.keep {
		p.samples = append(p.samples, x...)
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

func (p *probe) recording() ([]float64, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]float64(nil), p.samples...), p.rate
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
