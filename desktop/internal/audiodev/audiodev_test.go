package audiodev

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

// The tests run on miniaudio's null backend: real devices with real audio
// threads and a real-time clock, no sound card. Its capture device
// records silence, so where a test needs sound the microphone's hear hook
// puts a tone in the callback's buffer, as if the microphone heard it.

func openNull(t *testing.T) *System {
	t.Helper()
	s, err := Open(true)
	if err != nil {
		t.Fatalf("Open(null): %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// waitFor polls cond; the limit only keeps a broken device from hanging
// the test (it is no timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settled fails when more goroutines run than before (after letting
// finished ones go).
func settled(t *testing.T, before int) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(end) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sine generates a phase-continuous tone chunk by chunk.
type sine struct {
	freq float64
	rate int
	n    int
}

func (g *sine) fill(p []int16) {
	for i := range p {
		p[i] = int16(math.Round(0.5 * 32767 * math.Sin(2*math.Pi*g.freq*float64(g.n)/float64(g.rate))))
		g.n++
	}
}

func TestNullBackendListsItsDevices(t *testing.T) {
	s := openNull(t)
	for kind, list := range map[string]func() ([]Device, error){"microphones": s.Microphones, "speakers": s.Speakers} {
		devs, err := list()
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if len(devs) != 1 || !devs[0].Default || devs[0].Name == "" || devs[0].ID == "" {
			t.Fatalf("%s: %+v, want one named default device", kind, devs)
		}
		id, err := parseID(devs[0].ID)
		if err != nil || id.String() != devs[0].ID {
			t.Fatalf("%s: ID %q does not parse back (%v)", kind, devs[0].ID, err)
		}
	}
	// The same IDs in a second context: what a saved Choice relies on.
	mics, _ := s.Microphones()
	s2 := openNull(t)
	again, err := s2.Microphones()
	if err != nil || !slices.Equal(mics, again) {
		t.Fatalf("second listing %+v (%v), first %+v", again, err, mics)
	}
}

func TestMicrophoneGivesWholeFrames(t *testing.T) {
	s := openNull(t)
	before := runtime.NumGoroutine()
	m := s.Microphone("")
	if err := m.Read(make([]int16, 160)); err == nil {
		t.Fatal("Read before Start gave no error")
	}
	if err := m.Start(8000); err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 160) // 20 ms at 8 kHz
	for i := range 50 {
		for j := range frame {
			frame[j] = 1 // Read must overwrite every sample
		}
		if err := m.Read(frame); err != nil {
			t.Fatalf("Read %d: %v", i, err)
		}
		if k := slices.IndexFunc(frame, func(v int16) bool { return v != 0 }); k >= 0 {
			t.Fatalf("frame %d sample %d = %d: the null device records silence", i, k, frame[k])
		}
	}
	// Every frame was either taken from the device or stood in for it.
	waitFor(t, "the device to deliver", func() bool { return m.captured.Load() >= 8000 })
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := m.Read(frame); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close: %v, want ErrClosed", err)
	}
	settled(t, before)
}

func TestMicrophoneKeepsTheCapturedOrder(t *testing.T) {
	s := openNull(t)
	m := s.Microphone("")
	// The device "hears" a counter, so any sample lost, repeated or
	// reordered between the audio thread and Read shows.
	var count int16
	hear := func(p []int16) {
		for i := range p {
			count++
			p[i] = count
		}
	}
	m.hear.Store(&hear)
	if err := m.Start(16000); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var got []int16
	frame := make([]int16, 320)
	for len(got) < 20000 {
		before := m.silent.Load()
		if err := m.Read(frame); err != nil {
			t.Fatal(err)
		}
		if m.silent.Load() == before {
			got = append(got, frame...)
		}
	}
	if dropped := m.ring.droppedSamples(); dropped != 0 {
		t.Skipf("the reader fell %d samples behind (an overloaded machine); order not judged", dropped)
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("sample %d is %d after %d", i, got[i], got[i-1])
		}
	}
}

func TestSpeakerDrainsWhatIsWritten(t *testing.T) {
	s := openNull(t)
	before := runtime.NumGoroutine()
	sp := s.Speaker("")
	if err := sp.Write(make([]int16, 160)); err == nil {
		t.Fatal("Write before Start gave no error")
	}
	if err := sp.Start(8000); err != nil {
		t.Fatal(err)
	}
	const frames = 50
	frame := make([]int16, 160)
	for i := range frames {
		// Write when less than the prefill waits, as a 20 ms playout
		// keeps it, so nothing overflows.
		waitFor(t, "room in the speaker", func() bool { return sp.ring.len() < samplesIn(8000, speakerPrefill) })
		for j := range frame {
			frame[j] = int16(i + 1)
		}
		if err := sp.Write(frame); err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
	waitFor(t, "the device to play every frame", func() bool { return sp.played.Load() == frames*160 })
	if d := sp.ring.droppedSamples(); d != 0 {
		t.Fatalf("dropped %d samples", d)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sp.Write(frame); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v, want ErrClosed", err)
	}
	settled(t, before)
}

func TestSpeakerBoundsWhatWaits(t *testing.T) {
	s := openNull(t)
	sp := s.Speaker("")
	if err := sp.Start(8000); err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	// A second's worth at once: only the newest speakerBuffer may wait.
	sp.Write(make([]int16, 8000))
	if n, max := sp.ring.len(), samplesIn(8000, speakerBuffer); n > max {
		t.Fatalf("%d samples wait, bound %d", n, max)
	}
	if sp.ring.droppedSamples() == 0 {
		t.Fatal("nothing dropped")
	}
}

// TestMicrophoneToSpeakerCarriesATone runs the softphone's path with the
// network taken out: microphone frames read at 20 ms and written to the
// speaker, a 1 kHz tone in, the speaker's output judged by the voice
// lab's Goertzel detector and sample by sample.
func TestMicrophoneToSpeakerCarriesATone(t *testing.T) {
	const rate = 16000
	s := openNull(t)
	before := runtime.NumGoroutine()
	in := &sine{freq: 1000, rate: rate}
	hear := func(p []int16) { in.fill(p) }
	m := s.Microphone("")
	m.hear.Store(&hear)
	sp := s.Speaker("")
	var mu sync.Mutex
	var out []int16
	tap := func(p []int16) { mu.Lock(); out = append(out, p...); mu.Unlock() }
	sp.tap.Store(&tap)
	if err := m.Start(rate); err != nil {
		t.Fatal(err)
	}
	if err := sp.Start(rate); err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, rate/50)
	sent := 0
	for sent < 100 {
		was := m.silent.Load()
		if err := m.Read(frame); err != nil {
			t.Fatal(err)
		}
		if m.silent.Load() != was {
			continue // the microphone stood in with silence: nothing heard yet
		}
		if err := sp.Write(frame); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	waitFor(t, "the speaker to play it all", func() bool { return sp.played.Load() >= uint64(sent*len(frame)) })
	m.Close()
	sp.Close()
	if d := m.ring.droppedSamples() + sp.ring.droppedSamples(); d != 0 {
		t.Skipf("%d samples dropped on overflow (an overloaded machine); tone not judged", d)
	}
	mu.Lock()
	played := slices.Clone(out)
	mu.Unlock()
	x := make([]float64, len(played))
	for i, v := range played {
		x[i] = float64(v) / 32768
	}
	res := tone.Detector{SampleRate: rate, Freq: 1000}.Detect(x)
	if len(res.Frames) < 100 || res.Ratio() < 0.95 {
		t.Fatalf("tone in %d of %d frames", res.Present, len(res.Frames))
	}
	want := make([]int16, len(played))
	(&sine{freq: 1000, rate: rate}).fill(want)
	if !slices.Equal(played, want) {
		t.Fatal("the speaker played other samples than the microphone heard")
	}
	settled(t, before)
}

func TestUnknownDeviceFallsBackToTheDefault(t *testing.T) {
	s := openNull(t)
	for _, id := range []string{"deadbeef", "not hex"} {
		m := s.Microphone(id)
		if err := m.Start(8000); err != nil {
			t.Fatalf("microphone %q: %v", id, err)
		}
		m.Close()
		sp := s.Speaker(id)
		if err := sp.Start(8000); err != nil {
			t.Fatalf("speaker %q: %v", id, err)
		}
		sp.Close()
	}
}

func TestCloseReleasesEveryStream(t *testing.T) {
	s, err := Open(true)
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	m := s.Microphone("")
	sp := s.Speaker("")
	if err := m.Start(8000); err != nil {
		t.Fatal(err)
	}
	if err := sp.Start(8000); err != nil {
		t.Fatal(err)
	}
	stop, err := s.Ring("")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	stop() // after the System went: still harmless
	if err := m.Read(make([]int16, 160)); !errors.Is(err, ErrClosed) {
		t.Fatalf("microphone Read: %v, want ErrClosed", err)
	}
	if err := sp.Write(make([]int16, 160)); !errors.Is(err, ErrClosed) {
		t.Fatalf("speaker Write: %v, want ErrClosed", err)
	}
	if _, err := s.Microphones(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Microphones: %v, want ErrClosed", err)
	}
	if _, err := s.Ring(""); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ring: %v, want ErrClosed", err)
	}
	if err := s.Microphone("").Start(8000); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start: %v, want ErrClosed", err)
	}
	settled(t, before)
}
