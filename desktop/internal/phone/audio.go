package phone

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentdesk/agentdesk/desktop/internal/audiodev"
	"github.com/agentdesk/agentdesk/desktop/internal/softphone"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
)

// Audio is where calls get their sound: the machine's devices
// (desktop/internal/audiodev) or TestAudio. Device IDs "" mean the
// system default.
type Audio interface {
	Microphones() ([]view.AudioDevice, error)
	Speakers() ([]view.AudioDevice, error)
	Source(microphone string) softphone.AudioSource
	Sink(speaker string) softphone.AudioSink
	// Ring loops a ringtone on the device until stop().
	Ring(device string) (stop func(), err error)
}

// EnvAudio selects a test or diagnostic audio backend instead of the
// machine's devices:
//
//	AGENTDESK_AUDIO=null       miniaudio's null backend (headless runs)
//	AGENTDESK_AUDIO=tone:1000  a 1000 Hz tone out (the lab's recordings
//	                           show it reached the other party), what
//	                           comes in dropped or recorded
//
// and, with tone:, AGENTDESK_AUDIO_RECORD=DIR writes what each call
// received to DIR/call-<n>.wav when the call ends (16-bit mono, silence
// where nothing came, such as a hold).
const (
	EnvAudio       = "AGENTDESK_AUDIO"
	EnvAudioRecord = "AGENTDESK_AUDIO_RECORD"
)

// TestAudio is the tone backend of EnvAudio: one pseudo device each way,
// no sound card needed.
type TestAudio struct {
	ToneHz    float64 // 0: silence
	RecordDir string  // "": discard what is received
	rings     atomic.Int32
	calls     atomic.Int32
}

// ParseTestAudio reads EnvAudio's tone:<Hz>; ok is false for "" and null
// (the devices, or their null backend).
func ParseTestAudio(value, recordDir string) (a *TestAudio, ok bool, err error) {
	switch {
	case value == "" || value == "null":
		return nil, false, nil
	case strings.HasPrefix(value, "tone:"):
		hz, err := strconv.ParseFloat(strings.TrimPrefix(value, "tone:"), 64)
		if err != nil || hz <= 0 || hz > 20000 {
			return nil, false, fmt.Errorf("%s=%q: want null or tone:<Hz>", EnvAudio, value)
		}
		return &TestAudio{ToneHz: hz, RecordDir: recordDir}, true, nil
	}
	return nil, false, fmt.Errorf("%s=%q: want null or tone:<Hz>", EnvAudio, value)
}

const testDeviceID = "test"

func (a *TestAudio) devices(name string) []view.AudioDevice {
	return []view.AudioDevice{{ID: testDeviceID, Name: name, Default: true}}
}

// Microphones is the one test source.
func (a *TestAudio) Microphones() ([]view.AudioDevice, error) {
	if a.ToneHz > 0 {
		return a.devices(fmt.Sprintf("Test tone %g Hz", a.ToneHz)), nil
	}
	return a.devices("Silence (test)"), nil
}

// Speakers is the one test sink.
func (a *TestAudio) Speakers() ([]view.AudioDevice, error) {
	if a.RecordDir != "" {
		return a.devices("Recorder (test)"), nil
	}
	return a.devices("Null (test)"), nil
}

// Source is the tone or silence.
func (a *TestAudio) Source(string) softphone.AudioSource {
	if a.ToneHz > 0 {
		return &softphone.ToneSource{Freq: a.ToneHz}
	}
	return softphone.SilenceSource{}
}

// Sink records to RecordDir, or drops.
func (a *TestAudio) Sink(string) softphone.AudioSink {
	if a.RecordDir == "" {
		return nullSink{}
	}
	n := a.calls.Add(1)
	return &fileRecorder{path: filepath.Join(a.RecordDir, fmt.Sprintf("call-%d.wav", n))}
}

// Ring counts the rings (nothing to hear).
func (a *TestAudio) Ring(string) (func(), error) {
	a.rings.Add(1)
	return func() {}, nil
}

// Rings is how many times Ring was called.
func (a *TestAudio) Rings() int { return int(a.rings.Load()) }

type nullSink struct{}

func (nullSink) Start(int) error     { return nil }
func (nullSink) Write([]int16) error { return nil }
func (nullSink) Close() error        { return nil }

// fileRecorder is a Recorder written to a WAV file when closed. It
// keeps to the wall clock: when no audio came for a while (a hold), it
// records that much silence, so the gap shows in the file.
type fileRecorder struct {
	softphone.Recorder
	path string
	once sync.Once

	rate    int
	start   time.Time
	written int // samples, silence included
}

func (r *fileRecorder) Start(sampleRate int) error {
	r.rate, r.start = sampleRate, time.Now()
	return r.Recorder.Start(sampleRate)
}

func (r *fileRecorder) Write(pcm []int16) error {
	if r.rate > 0 {
		due := int(time.Since(r.start).Seconds()*float64(r.rate)) - len(pcm)
		if gap := due - r.written; gap > r.rate/10 { // more than 100 ms missing
			if err := r.Recorder.Write(make([]int16, gap)); err != nil {
				return err
			}
			r.written += gap
		}
	}
	r.written += len(pcm)
	return r.Recorder.Write(pcm)
}

func (r *fileRecorder) Close() error {
	var err error
	r.once.Do(func() {
		if err = os.MkdirAll(filepath.Dir(r.path), 0o755); err != nil {
			return
		}
		tmp := r.path + ".tmp"
		if err = os.WriteFile(tmp, r.WAV(), 0o644); err == nil {
			err = os.Rename(tmp, r.path)
		}
	})
	return err
}

// DevicesFile is the chosen devices' file in the app's config directory.
const DevicesFile = "devices.json"

func loadChoice(path string) (view.AudioChoice, error) {
	c, err := audiodev.LoadChoice(path)
	return view.AudioChoice(c), err
}

func saveChoice(path string, c view.AudioChoice) error {
	return audiodev.SaveChoice(path, audiodev.Choice(c))
}

// DeviceAudio is the machine's microphones and speakers (or miniaudio's
// null backend: audiodev.Open(true)).
type DeviceAudio struct{ Sys *audiodev.System }

func viewDevices(l []audiodev.Device, err error) ([]view.AudioDevice, error) {
	out := make([]view.AudioDevice, 0, len(l))
	for _, d := range l {
		out = append(out, view.AudioDevice{ID: d.ID, Name: d.Name, Default: d.Default})
	}
	return out, err
}

// Microphones lists the capture devices.
func (d DeviceAudio) Microphones() ([]view.AudioDevice, error) {
	return viewDevices(d.Sys.Microphones())
}

// Speakers lists the playback devices.
func (d DeviceAudio) Speakers() ([]view.AudioDevice, error) { return viewDevices(d.Sys.Speakers()) }

// Source is the microphone ("" = the default one).
func (d DeviceAudio) Source(id string) softphone.AudioSource { return d.Sys.Microphone(id) }

// Sink is the speaker ("" = the default one).
func (d DeviceAudio) Sink(id string) softphone.AudioSink { return d.Sys.Speaker(id) }

// Ring loops the ringtone on the device.
func (d DeviceAudio) Ring(id string) (func(), error) { return d.Sys.Ring(id) }

// ---- a device that does not open ------------------------------------------

// fallbackSource is the chosen microphone, or silence when it does not
// open (unplugged, no sound server): the call goes on, and failed says why.
type fallbackSource struct {
	softphone.AudioSource
	failed func(error)
	silent bool
}

func (f *fallbackSource) Start(rate int) error {
	if err := f.AudioSource.Start(rate); err != nil {
		f.silent = true
		f.failed(err)
	}
	return nil
}

func (f *fallbackSource) Read(pcm []int16) error {
	if f.silent {
		clear(pcm)
		return nil
	}
	return f.AudioSource.Read(pcm)
}

func (f *fallbackSource) Close() error {
	if f.silent {
		return nil
	}
	return f.AudioSource.Close()
}

// fallbackSink is the chosen speaker, or nothing when it does not open.
type fallbackSink struct {
	softphone.AudioSink
	failed func(error)
	mute   bool
}

func (f *fallbackSink) Start(rate int) error {
	if err := f.AudioSink.Start(rate); err != nil {
		f.mute = true
		f.failed(err)
	}
	return nil
}

func (f *fallbackSink) Write(pcm []int16) error {
	if f.mute {
		return nil
	}
	return f.AudioSink.Write(pcm)
}

func (f *fallbackSink) Close() error {
	if f.mute {
		return nil
	}
	return f.AudioSink.Close()
}

// deviceFailed keeps a device that did not open in the view's Error
// (action microphone or speaker).
func (s *Station) deviceFailed(gen uint64, action string) func(error) {
	return func(err error) {
		s.log.Warn("phone: audio device", "device", action, "err", err)
		s.mu.Lock()
		if gen == s.gen && s.view != nil {
			if e := s.view.Error; e != nil && deviceError(e.Action) && e.Action != action {
				// the other one failed too: say both
				s.failLocked("audio", fmt.Errorf("%s; %v", e.Detail, err))
			} else {
				s.failLocked(action, err)
			}
		}
		s.mu.Unlock()
		s.notify()
	}
}

// ---- listing and choosing --------------------------------------------------

// devicesLocked lists the devices with the choice.
func (s *Station) devicesLocked() view.AudioDevices {
	d := view.AudioDevices{Choice: s.choice, Microphones: []view.AudioDevice{}, Speakers: []view.AudioDevice{}}
	if mics, err := s.cfg.Audio.Microphones(); err == nil {
		d.Microphones = mics
	} else {
		s.log.Warn("phone: list microphones", "err", err)
	}
	if spk, err := s.cfg.Audio.Speakers(); err == nil {
		d.Speakers = spk
	} else {
		s.log.Warn("phone: list speakers", "err", err)
	}
	return d
}

// RefreshDevices lists the devices again (one was plugged in).
func (s *Station) RefreshDevices() {
	s.mu.Lock()
	if s.view != nil {
		s.view.Devices = s.devicesLocked()
		s.changedLocked()
	}
	s.mu.Unlock()
	s.notify()
}

// SetDevices chooses the microphone, speaker and ringtone device (IDs,
// "" = the system default) and keeps the choice. The next call uses them.
func (s *Station) SetDevices(c view.AudioChoice) {
	s.mu.Lock()
	s.choice = c
	var err error
	if s.cfg.ChoicePath != "" {
		err = saveChoice(s.cfg.ChoicePath, c)
	}
	if s.view != nil {
		s.view.Devices.Choice = c
		if err != nil {
			s.failLocked("devices", err)
		}
		s.changedLocked()
	}
	s.mu.Unlock()
	if err != nil {
		s.log.Warn("phone: save the audio device choice", "err", err)
	}
	s.notify()
}
