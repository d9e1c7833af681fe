package audiodev

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

func TestRingtoneCadenceAndTones(t *testing.T) {
	const rate = 8000
	cycle := 0
	for _, seg := range ringCadence {
		cycle += samplesIn(rate, seg.d)
	}
	x := make([]int16, 2*cycle)
	tt := &ringtone{rate: rate}
	// In odd-sized pieces, as device periods come.
	for i := 0; i < len(x); i += 77 {
		tt.fill(x[i:min(i+77, len(x))])
	}
	if !slices.Equal(x[:cycle], x[cycle:]) {
		t.Fatal("the second cycle differs from the first")
	}
	f := make([]float64, cycle)
	for i, v := range x[:cycle] {
		f[i] = float64(v) / 32768
	}
	// 100 ms frames tell 400 from 450 Hz (20 ms ones cannot: their
	// selectivity is about ±100 Hz): frames 0-3 ring, 4-5 are quiet, 6-9
	// ring, then quiet to 3 s.
	for _, hz := range []float64{ringLowHz, ringHiHz} {
		// Each tone carries half of the power, so a share of 0.4 is the bar.
		d := tone.Detector{SampleRate: rate, Freq: hz, Frame: 100 * time.Millisecond, MinShare: 0.4}
		res := d.Detect(f)
		if len(res.Frames) != 30 {
			t.Fatalf("%d frames", len(res.Frames))
		}
		for i, fr := range res.Frames {
			on := i < 4 || (i >= 6 && i < 10)
			if fr.Present != on {
				t.Errorf("%v Hz in frame %d: %+v, want present=%v", hz, i, fr, on)
			}
		}
	}
	quiet := x[samplesIn(rate, 400*time.Millisecond):samplesIn(rate, 600*time.Millisecond)]
	if k := slices.IndexFunc(quiet, func(v int16) bool { return v != 0 }); k >= 0 {
		t.Fatalf("gap not silent at %d", k)
	}
	if x[0] != 0 {
		t.Fatalf("a burst starts at %d, not faded in", x[0])
	}
	peak := slices.Max(x)
	if p := float64(peak); p > 2*ringLevel*32767+1 || p < ringLevel*32767 {
		t.Fatalf("peak %d", peak)
	}
}

func TestRingPlaysUntilStopped(t *testing.T) {
	s := openNull(t)
	before := runtime.NumGoroutine()
	var mu sync.Mutex
	var played []int16
	tap := func(p []int16) { mu.Lock(); played = append(played, p...); mu.Unlock() }
	s.ringTap.Store(&tap)
	stop, err := s.Ring("")
	if err != nil {
		t.Fatal(err)
	}
	// Past the first burst and gap into the second burst.
	waitFor(t, "0.8 s of ringtone", func() bool { mu.Lock(); defer mu.Unlock(); return len(played) >= ringRate*8/10 })
	stop()
	stop()
	s.mu.Lock()
	open := len(s.streams)
	s.mu.Unlock()
	if open != 0 {
		t.Fatalf("%d streams still open after stop", open)
	}
	mu.Lock()
	got := slices.Clone(played)
	mu.Unlock()
	want := make([]int16, len(got))
	(&ringtone{rate: ringRate}).fill(want)
	if !slices.Equal(got, want) {
		t.Fatal("the device played something else than the ringtone")
	}
	settled(t, before)

	// Rings again after a stop, on the device named by its ID.
	speakers, err := s.Speakers()
	if err != nil {
		t.Fatal(err)
	}
	stop, err = s.Ring(speakers[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	settled(t, before)
}
