package audiodev

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gen2brain/malgo"
)

const (
	// speakerBuffer bounds what waits to be played; beyond it the oldest
	// audio goes, so the delay it adds stays under this.
	speakerBuffer = 120 * time.Millisecond
	// speakerPrefill is what must be waiting before playback (re)starts
	// after running dry: with a frame and a half in hand, a frame that
	// comes a little late does not cut the sound again at once.
	speakerPrefill = 30 * time.Millisecond
)

// Speaker plays mono 16-bit audio on one device. It is a
// softphone.AudioSink: Start(rate), Write(pcm) frame by frame, Close.
type Speaker struct {
	sys *System
	id  string

	// tap, when set (tests), sees every sample taken from the buffer for
	// the device, in order.
	tap atomic.Pointer[func([]int16)]

	played   atomic.Uint64 // samples handed to the device from Write
	underrun atomic.Uint64 // samples of silence played while waiting for audio

	mu     sync.Mutex
	ring   *ring
	dev    *device
	closed bool
}

// Speaker returns the playback device id ("" = the system default),
// opened by Start.
func (s *System) Speaker(id string) *Speaker { return &Speaker{sys: s, id: id} }

// Start opens the device at sampleRate; miniaudio resamples to the
// device's own rate. Starting again reopens it (and drops what waited).
func (sp *Speaker) Start(sampleRate int) error {
	if sampleRate <= 0 {
		return errors.New("audiodev: speaker: bad sample rate")
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.closed {
		return ErrClosed
	}
	if sp.dev != nil {
		sp.dev.close()
		sp.dev = nil
	}
	r := newRing(samplesIn(sampleRate, speakerBuffer))
	prefill := samplesIn(sampleRate, speakerPrefill)
	var scratch []int16
	primed := false
	data := func(out, _ []byte, _ uint32) {
		n := len(out) / 2
		if cap(scratch) < n {
			scratch = make([]int16, n)
		}
		scratch = scratch[:n]
		got := 0
		if primed || r.len() >= prefill {
			got = r.get(scratch)
		}
		primed = got == n
		clear(scratch[got:])
		if tap := sp.tap.Load(); tap != nil && got > 0 {
			(*tap)(scratch[:got])
		}
		sp.played.Add(uint64(got))
		sp.underrun.Add(uint64(n - got))
		encode(scratch, out)
	}
	dev, err := sp.sys.open(sp, malgo.Playback, sp.id, sampleRate, data)
	if err != nil {
		return err
	}
	sp.ring, sp.dev = r, dev
	return nil
}

// Write queues pcm for playing. It never blocks: when more than the
// buffer's worth waits, the oldest goes.
func (sp *Speaker) Write(pcm []int16) error {
	sp.mu.Lock()
	r, closed := sp.ring, sp.closed
	sp.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if r == nil {
		return errors.New("audiodev: speaker: Write before Start")
	}
	r.put(pcm)
	return nil
}

// Close releases the device. It is idempotent.
func (sp *Speaker) Close() error {
	sp.mu.Lock()
	dev := sp.dev
	sp.dev, sp.closed = nil, true
	sp.mu.Unlock()
	if dev != nil {
		dev.close()
	}
	sp.sys.untrack(sp)
	return nil
}

// encode writes samples into a device's little-endian 16-bit buffer.
func encode(pcm []int16, out []byte) {
	for i, v := range pcm {
		out[2*i] = byte(v)
		out[2*i+1] = byte(uint16(v) >> 8)
	}
}

func samplesIn(rate int, d time.Duration) int {
	return int(int64(rate) * int64(d) / int64(time.Second))
}
