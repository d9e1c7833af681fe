package audiodev

import (
	"math"
	"sync"
	"time"

	"github.com/gen2brain/malgo"
)

// The ringtone is a double ring on 400 Hz + 450 Hz (the British
// telephone's): two 0.4 s bursts 0.2 s apart, then 2 s of quiet. It reads
// as "a phone is ringing" and not as the ringback (440 + 480 Hz) a caller
// hears. Generated here, no audio file to ship.
const (
	ringRate  = 48000 // miniaudio converts to the device's own
	ringLowHz = 400.0
	ringHiHz  = 450.0
	ringLevel = 0.25 // each tone's amplitude, of full scale
	ringFade  = 10 * time.Millisecond
)

// ringCadence is the on/off pattern, repeated.
var ringCadence = []struct {
	d  time.Duration
	on bool
}{
	{400 * time.Millisecond, true},
	{200 * time.Millisecond, false},
	{400 * time.Millisecond, true},
	{2 * time.Second, false},
}

// ringtone generates the tone sample by sample, looping the cadence.
type ringtone struct {
	rate    int
	segment int // index in ringCadence
	pos     int // samples into the segment
}

// fill writes the next len(out) samples.
func (t *ringtone) fill(out []int16) {
	fade := float64(samplesIn(t.rate, ringFade))
	for i := range out {
		seg := ringCadence[t.segment]
		n := samplesIn(t.rate, seg.d)
		var v float64
		if seg.on {
			// A raised-cosine fade at both ends of a burst avoids clicks.
			g := 1.0
			if edge := float64(min(t.pos, n-1-t.pos)); edge < fade {
				g = 0.5 - 0.5*math.Cos(math.Pi*edge/fade)
			}
			ts := float64(t.pos) / float64(t.rate)
			v = g * ringLevel * (math.Sin(2*math.Pi*ringLowHz*ts) + math.Sin(2*math.Pi*ringHiHz*ts))
		}
		out[i] = int16(math.Round(v * 32767))
		t.pos++
		if t.pos >= n {
			t.pos = 0
			t.segment = (t.segment + 1) % len(ringCadence)
		}
	}
}

// ringing is a ringtone playing on a device until stopped.
type ringing struct {
	sys *System

	mu  sync.Mutex // held by Ring until dev is set
	dev *device
}

func (r *ringing) Close() error {
	r.mu.Lock()
	dev := r.dev
	r.dev = nil
	r.mu.Unlock()
	if dev != nil {
		dev.close()
		r.sys.untrack(r)
	}
	return nil
}

// Ring loops the ringtone on the playback device id ("" = the system
// default) until stop is called; stop releases the device and may be
// called more than once.
func (s *System) Ring(id string) (stop func(), err error) {
	tone := &ringtone{rate: ringRate}
	var scratch []int16
	data := func(out, _ []byte, _ uint32) {
		n := len(out) / 2
		if cap(scratch) < n {
			scratch = make([]int16, n)
		}
		scratch = scratch[:n]
		tone.fill(scratch)
		if tap := s.ringTap.Load(); tap != nil {
			(*tap)(scratch)
		}
		encode(scratch, out)
	}
	r := &ringing{sys: s}
	r.mu.Lock()
	defer r.mu.Unlock()
	dev, err := s.open(r, malgo.Playback, id, ringRate, data)
	if err != nil {
		return nil, err
	}
	r.dev = dev
	return func() { _ = r.Close() }, nil
}
