package phone

import (
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
