package phone

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentdesk/agentdesk/desktop/internal/view"
	"github.com/agentdesk/agentdesk/shared/api"
)

func TestDialTarget(t *testing.T) {
	for in, want := range map[string]string{
		" 1001 ":                 "1001",
		"+1 (555) 010-0000":      "+15550100000",
		"tone":                   "tone",
		"*72#":                   "*72#",
		"sip:9001@lab.test":      "sip:9001@lab.test",
		"9001@lab.test":          "9001@lab.test",
		"06.12.34.56.78":         "0612345678",
		"+55 11 91234\u00a05678": "+5511912345678",
	} {
		got, err := DialTarget(in)
		if err != nil || got != want {
			t.Errorf("DialTarget(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "  ", "+", "12;34", "1+2", "sip:a b@x", "é"} {
		if got, err := DialTarget(in); err == nil {
			t.Errorf("DialTarget(%q) = %q, want an error", in, got)
		}
	}
}

func TestParseTestAudio(t *testing.T) {
	for _, devices := range []string{"", "null"} {
		if _, ok, err := ParseTestAudio(devices, ""); ok || err != nil {
			t.Fatalf("%q: ok %v err %v", devices, ok, err)
		}
	}
	a, ok, err := ParseTestAudio("tone:1000", "/tmp/x")
	if !ok || err != nil || a.ToneHz != 1000 || a.RecordDir != "/tmp/x" {
		t.Fatalf("tone:1000 = %+v %v %v", a, ok, err)
	}
	for _, bad := range []string{"tone:", "tone:-1", "tone:x", "pulse"} {
		if _, _, err := ParseTestAudio(bad, ""); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestDevicesChoiceKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", DevicesFile)
	audio := &TestAudio{}
	s := New(Config{Audio: audio, ChoicePath: path})
	s.SessionStarted(&api.MeResponse{}, api.StationDesktop) // no softphone settings
	v, _ := s.View()
	if v == nil || v.Registration != view.PhoneFailed || v.Reason != view.PhoneReasonNotConfigured {
		t.Fatalf("view without settings = %+v", v)
	}
	if len(v.Devices.Microphones) != 1 || len(v.Devices.Speakers) != 1 {
		t.Fatalf("devices = %+v", v.Devices)
	}
	want := view.AudioChoice{Microphone: "m1", Speaker: "s1", Ringtone: "r1"}
	_, before := s.View()
	s.SetDevices(want)
	v, after := s.View()
	if v.Devices.Choice != want || after <= before {
		t.Fatalf("after SetDevices: %+v (seq %d -> %d)", v.Devices.Choice, before, after)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	s.SessionEnded()
	if v, _ := s.View(); v != nil {
		t.Fatalf("view after the session = %+v", v)
	}
	again := New(Config{Audio: audio, ChoicePath: path})
	again.SessionStarted(&api.MeResponse{}, api.StationDesktop)
	if v, _ := again.View(); v.Devices.Choice != want {
		t.Fatalf("choice read back = %+v", v.Devices.Choice)
	}
	again.SessionStarted(&api.MeResponse{}, api.StationExtension)
	if v, _ := again.View(); v != nil {
		t.Fatalf("another station keeps the phone: %+v", v)
	}
}

func TestDisplayRemote(t *testing.T) {
	for in, want := range map[string]string{
		"sip:customer@voice.agentdesk.test": "customer",
		"<sip:9000@lab;transport=ws>":       "9000",
		"sip:voice.agentdesk.test":          "voice.agentdesk.test",
	} {
		if got := displayRemote(in); got != want {
			t.Errorf("displayRemote(%q) = %q, want %q", in, got, want)
		}
	}
}

// brokenDevice is a microphone and speaker that do not open.
type brokenDevice struct{}

func (brokenDevice) Start(int) error     { return errors.New("no such device") }
func (brokenDevice) Read([]int16) error  { return errors.New("not started") }
func (brokenDevice) Write([]int16) error { return errors.New("not started") }
func (brokenDevice) Close() error        { return errors.New("not started") }

func TestDeviceThatDoesNotOpen(t *testing.T) {
	var failed []error
	src := &fallbackSource{AudioSource: brokenDevice{}, failed: func(err error) { failed = append(failed, err) }}
	if err := src.Start(8000); err != nil {
		t.Fatalf("Start: %v (the call must go on)", err)
	}
	pcm := []int16{1, 2, 3}
	if err := src.Read(pcm); err != nil || pcm[0] != 0 || pcm[2] != 0 {
		t.Fatalf("Read: %v %v, want silence", pcm, err)
	}
	sink := &fallbackSink{AudioSink: brokenDevice{}, failed: func(err error) { failed = append(failed, err) }}
	if err := sink.Start(8000); err != nil || sink.Write(pcm) != nil || sink.Close() != nil || src.Close() != nil {
		t.Fatal("a sink that did not open must swallow the call's audio")
	}
	if len(failed) != 2 {
		t.Fatalf("failures reported: %v", failed)
	}
}

func TestBothDevicesFail(t *testing.T) {
	s := New(Config{Audio: &TestAudio{}})
	s.SessionStarted(&api.MeResponse{}, api.StationDesktop)
	s.deviceFailed(s.gen, "microphone")(errors.New("no microphone"))
	s.deviceFailed(s.gen, "speaker")(errors.New("no speaker"))
	v, _ := s.View()
	if v.Error == nil || v.Error.Action != "audio" || v.Error.Detail != "no microphone; no speaker" {
		t.Fatalf("error %+v", v.Error)
	}
	s.deviceFailed(s.gen-1, "microphone")(errors.New("a stopped phone's")) // stale: dropped
	if v, _ := s.View(); v.Error.Action != "audio" {
		t.Fatalf("a stale failure replaced the error: %+v", v.Error)
	}
}
