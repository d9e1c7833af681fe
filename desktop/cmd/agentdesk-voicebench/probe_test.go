//go:build linux

package main

import (
	"fmt"
	"testing"
	"time"
)

func TestRoundTrips(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	for _, c := range []struct {
		sent, got []time.Time
		want      string
	}{
		{at(0, 1000, 2000), at(80, 1090, 2100), "[80ms 90ms 100ms]"},
		// An arrival before the burst (leftover) is skipped; a burst that
		// never came back pairs with nothing, not with the next one's.
		{at(0, 1000, 2000), at(-50, 70, 2060), "[70ms 60ms]"},
		{at(0), nil, "[]"},
	} {
		if got := fmt.Sprint(roundTrips(c.sent, c.got)); got != c.want {
			t.Errorf("roundTrips: %s, want %s", got, c.want)
		}
	}
}

func TestBurstsAndProbe(t *testing.T) {
	b := &bursts{freq: 1000, start: 2, every: 5, length: 2}
	_ = b.Start(8000)
	p := &probe{burst: 1000}
	_ = p.Start(8000)
	frame := make([]int16, 160)
	var pattern []bool
	for range 12 {
		_ = b.Read(frame)
		_ = p.Write(frame)
		pattern = append(pattern, frame[10] != 0 || frame[20] != 0)
	}
	if got := fmt.Sprint(pattern); got != "[false false true true false false false true true false false false]" {
		t.Errorf("bursts: %s", got)
	}
	// Two bursts sent; heard, the second follows only three quiet frames,
	// short of the five an onset needs: one onset.
	if s, g := len(b.sent()), len(p.arrivals()); s != 2 || g != 1 {
		t.Errorf("%d bursts sent, %d onsets heard; want 2 and 1", s, g)
	}
	if p.firstAt().IsZero() {
		t.Error("no first frame with sound")
	}
}

// TestProbeFirstFrame: the dial → audio measure is the time to the first
// frame written, and it fails rather than report a zero or negative one.
func TestProbeFirstFrame(t *testing.T) {
	p := newProbe()
	_ = p.Start(8000)
	t0 := time.Now()
	if d, err := p.waitFirst(t0, 10*time.Millisecond); err == nil {
		t.Errorf("no frame written, yet %v", d)
	}
	_ = p.Write(make([]int16, 160)) // silence is a frame too: the playout decoded it
	d, err := p.waitFirst(t0, time.Second)
	if err != nil || d <= 0 {
		t.Errorf("after a frame: %v, %v", d, err)
	}
	if _, err := p.waitFirst(time.Now().Add(time.Hour), time.Second); err == nil {
		t.Error("a first frame before the dial passed")
	}
}

// TestProbeRecordingSpan: the span of a recording runs from its first
// frame to the end of its last, gaps included.
func TestProbeRecordingSpan(t *testing.T) {
	p := newProbe()
	_ = p.Start(8000)
	p.record()
	_ = p.Write(make([]int16, 160))
	time.Sleep(50 * time.Millisecond) // a pause of the playout
	_ = p.Write(make([]int16, 160))
	s, rate, span := p.recording()
	if len(s) != 320 || rate != 8000 || span < 70*time.Millisecond {
		t.Errorf("%d samples at %d Hz over %v; want 320 at 8000 over at least 70ms", len(s), rate, span)
	}
}
