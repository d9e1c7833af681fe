// Package audiodev gives the softphone its microphone, speaker and
// ringtone through miniaudio (github.com/gen2brain/malgo): the system's
// devices listed with IDs that stay the same across runs, capture and
// playback of mono 16-bit audio at the rate a call asks for (miniaudio
// converts to and from the device's own format), a ringtone generated in
// code, and the agent's choice of devices saved as JSON.
//
// Open(true) uses miniaudio's null backend: devices that run in real time
// with no sound card, for headless runs and tests.
//
// Microphone and Speaker match softphone.AudioSource and AudioSink by
// shape; this package does not import softphone.
package audiodev

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// backendNull is miniaudio's null backend. malgo v0.11.24's BackendNull
// is one short: its enumeration leaves out ma_backend_custom, which comes
// just before ma_backend_null in miniaudio.h, so malgo.BackendNull asks
// for the custom backend and fails with "No backend".
const backendNull = malgo.BackendNull + 1

// Period of the devices' callbacks: small enough for a 20 ms frame
// cadence, large enough for shared-mode backends.
const periodMillis = 10

// ErrClosed is returned once the System or the stream is closed.
var ErrClosed = errors.New("audiodev: closed")

// Device is one microphone or speaker.
type Device struct {
	ID      string // hex of miniaudio's device ID; stable across runs
	Name    string
	Default bool // the system's default device
}

// System is a miniaudio context and the streams opened on it.
type System struct {
	null bool
	log  *slog.Logger

	// ringTap, when set (tests), sees every ringtone sample played.
	ringTap atomic.Pointer[func([]int16)]

	mu      sync.Mutex
	ctx     *malgo.AllocatedContext
	streams map[closer]struct{}
}

// closer is a stream the System closes on Close.
type closer interface{ Close() error }

// Open starts miniaudio on the system's default backends, or on the null
// backend when null is true.
func Open(null bool) (*System, error) {
	log := slog.Default().With("component", "audiodev")
	var backends []malgo.Backend
	if null {
		backends = []malgo.Backend{backendNull}
	}
	ctx, err := malgo.InitContext(backends, malgo.ContextConfig{}, func(msg string) {
		log.Debug("miniaudio", "msg", strings.TrimSpace(msg))
	})
	if err != nil {
		return nil, fmt.Errorf("audiodev: start miniaudio: %w", err)
	}
	return &System{null: null, log: log, ctx: ctx, streams: map[closer]struct{}{}}, nil
}

// Close closes every stream still open, then miniaudio. It is idempotent.
func (s *System) Close() error {
	s.mu.Lock()
	ctx := s.ctx
	s.ctx = nil
	open := make([]closer, 0, len(s.streams))
	for c := range s.streams {
		open = append(open, c)
	}
	s.mu.Unlock()
	if ctx == nil {
		return nil
	}
	for _, c := range open {
		_ = c.Close()
	}
	err := ctx.Uninit()
	ctx.Free()
	if err != nil {
		return fmt.Errorf("audiodev: stop miniaudio: %w", err)
	}
	return nil
}

// Microphones lists the capture devices.
func (s *System) Microphones() ([]Device, error) { return s.devices(malgo.Capture) }

// Speakers lists the playback devices.
func (s *System) Speakers() ([]Device, error) { return s.devices(malgo.Playback) }

func (s *System) devices(kind malgo.DeviceType) ([]Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return nil, ErrClosed
	}
	infos, err := s.ctx.Devices(kind)
	if err != nil {
		return nil, fmt.Errorf("audiodev: list devices: %w", err)
	}
	out := make([]Device, 0, len(infos))
	for _, d := range infos {
		out = append(out, Device{ID: d.ID.String(), Name: d.Name(), Default: d.IsDefault != 0})
	}
	return out, nil
}

// device is an open miniaudio device; close releases it.
type device struct {
	dev    *malgo.Device
	pinner runtime.Pinner // keeps the device ID where miniaudio was told it is
	once   sync.Once
}

func (d *device) close() {
	d.once.Do(func() {
		d.dev.Uninit()
		d.pinner.Unpin()
	})
}

// open starts a mono 16-bit device of kind at rate (0: the device's own
// rate) that calls data from miniaudio's audio thread. id "" is the
// system default; an id that is no longer there (a headset unplugged
// since the choice was saved) falls back to the default so a call still
// has sound. The stream c is tracked in the same step, so Close cannot
// slip in between and stop miniaudio under an open device.
func (s *System) open(c closer, kind malgo.DeviceType, id string, rate int, data malgo.DataProc) (*device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return nil, ErrClosed
	}
	if id != "" && !s.present(kind, id) {
		s.log.Warn("audio device not found, using the default", "kind", kindName(kind), "id", id)
		id = ""
	}
	d, err := s.init(kind, id, rate, data)
	if err != nil && id != "" {
		s.log.Warn("audio device did not open, using the default", "kind", kindName(kind), "id", id, "err", err)
		d, err = s.init(kind, "", rate, data)
	}
	if err != nil {
		return nil, fmt.Errorf("audiodev: open %s: %w", kindName(kind), err)
	}
	s.streams[c] = struct{}{}
	return d, nil
}

// present says whether id is among the devices of kind; s.mu is held.
func (s *System) present(kind malgo.DeviceType, id string) bool {
	infos, err := s.ctx.Devices(kind)
	if err != nil {
		return true // let the open itself judge
	}
	for _, d := range infos {
		if d.ID.String() == id {
			return true
		}
	}
	return false
}

// init opens and starts one device; s.mu is held.
func (s *System) init(kind malgo.DeviceType, id string, rate int, data malgo.DataProc) (*device, error) {
	cfg := malgo.DefaultDeviceConfig(kind)
	cfg.SampleRate = uint32(rate)
	cfg.PeriodSizeInMilliseconds = periodMillis
	sub := &cfg.Capture
	if kind == malgo.Playback {
		sub = &cfg.Playback
	}
	sub.Format = malgo.FormatS16
	sub.Channels = 1
	d := &device{}
	if id != "" {
		devID, err := parseID(id)
		if err != nil {
			return nil, err
		}
		// A Go pointer inside the config handed to C must be pinned.
		d.pinner.Pin(devID)
		sub.DeviceID = unsafe.Pointer(devID)
	}
	dev, err := malgo.InitDevice(s.ctx.Context, cfg, malgo.DeviceCallbacks{Data: data})
	if err != nil {
		d.pinner.Unpin()
		return nil, err
	}
	d.dev = dev
	if err := dev.Start(); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (s *System) untrack(c closer) {
	s.mu.Lock()
	delete(s.streams, c)
	s.mu.Unlock()
}

// parseID turns a Device.ID back into miniaudio's ID (the hex form drops
// trailing zero bytes).
func parseID(id string) (*malgo.DeviceID, error) {
	b, err := hex.DecodeString(id)
	var out malgo.DeviceID
	if err != nil || len(b) > len(out) {
		return nil, fmt.Errorf("audiodev: bad device id %q", id)
	}
	copy(out[:], b)
	return &out, nil
}

func kindName(kind malgo.DeviceType) string {
	switch kind {
	case malgo.Capture:
		return "microphone"
	case malgo.Playback:
		return "speaker"
	}
	return "device"
}
