package audiodev

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gen2brain/malgo"
)

// micBuffer bounds what the microphone holds for a late reader: beyond
// it the oldest audio goes, so the delay it adds stays under this.
const micBuffer = 80 * time.Millisecond

// micStall is how long a started device may stay quiet before Read stops
// waiting for it.
const micStall = 100 * time.Millisecond

// Microphone captures mono 16-bit audio from one device. It is a
// softphone.AudioSource: Start(rate), Read(pcm) frame by frame, Close.
type Microphone struct {
	sys *System
	id  string

	// hear, when set (tests), replaces what the device captured before it
	// is buffered, as if the microphone had heard it.
	hear atomic.Pointer[func([]int16)]

	captured atomic.Uint64 // samples delivered by the device
	silent   atomic.Uint64 // samples of silence Read gave for want of audio
	lastData atomic.Int64  // unix ns of the last callback (or of Start)

	mu     sync.Mutex
	rate   int
	ring   *ring
	dev    *device
	closed bool
}

// Microphone returns the capture device id ("" = the system default),
// opened by Start.
func (s *System) Microphone(id string) *Microphone { return &Microphone{sys: s, id: id} }

// Start opens the device at sampleRate; miniaudio resamples from the
// device's own rate. Starting again reopens it.
func (m *Microphone) Start(sampleRate int) error {
	if sampleRate <= 0 {
		return errors.New("audiodev: microphone: bad sample rate")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if m.dev != nil {
		m.dev.close()
		m.dev = nil
	}
	r := newRing(samplesIn(sampleRate, micBuffer))
	var scratch []int16
	data := func(_, in []byte, _ uint32) {
		scratch = decode(in, scratch)
		if hear := m.hear.Load(); hear != nil {
			(*hear)(scratch)
		}
		m.captured.Add(uint64(len(scratch)))
		m.lastData.Store(time.Now().UnixNano())
		r.put(scratch)
	}
	m.lastData.Store(time.Now().UnixNano())
	dev, err := m.sys.open(m, malgo.Capture, m.id, sampleRate, data)
	if err != nil {
		return err
	}
	m.rate, m.ring, m.dev = sampleRate, r, dev
	return nil
}

// Read fills pcm with the next len(pcm) captured samples. It waits at
// most about one frame for them (the frame's duration and one device
// period); if they are not all there by then, pcm is silence and what did
// come stays for the next Read, which gives the buffer a little slack
// for the next time the device is late. A device that has delivered
// nothing for a while (stalled, unplugged) gets no wait at all, so the
// caller's 20 ms send loop keeps its pace either way.
func (m *Microphone) Read(pcm []int16) error {
	m.mu.Lock()
	r, rate, closed := m.ring, m.rate, m.closed
	m.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if r == nil {
		return errors.New("audiodev: microphone: Read before Start")
	}
	if r.len() < len(pcm) && m.live() {
		wait := time.Duration(len(pcm))*time.Second/time.Duration(rate) + periodMillis*time.Millisecond
		timer := time.NewTimer(wait)
		defer timer.Stop()
	wait:
		for r.len() < len(pcm) {
			select {
			case <-r.ready:
			case <-timer.C:
				break wait
			}
		}
	}
	if r.len() < len(pcm) {
		clear(pcm)
		m.silent.Add(uint64(len(pcm)))
		return nil
	}
	r.get(pcm)
	return nil
}

// live says whether the device delivered audio lately.
func (m *Microphone) live() bool {
	return time.Since(time.Unix(0, m.lastData.Load())) < micStall
}

// Close releases the device. It is idempotent.
func (m *Microphone) Close() error {
	m.mu.Lock()
	dev := m.dev
	m.dev, m.closed = nil, true
	m.mu.Unlock()
	if dev != nil {
		dev.close()
	}
	m.sys.untrack(m)
	return nil
}

// decode turns a device's little-endian 16-bit buffer into samples,
// reusing scratch.
func decode(b []byte, scratch []int16) []int16 {
	n := len(b) / 2
	if cap(scratch) < n {
		scratch = make([]int16, n)
	}
	scratch = scratch[:n]
	for i := range scratch {
		scratch[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
	}
	return scratch
}
