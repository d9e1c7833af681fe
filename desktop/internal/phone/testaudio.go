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

	"github.com/agentdesk/agentdesk/desktop/internal/softphone"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
)

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
