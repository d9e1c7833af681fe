package main

import (
	"log/slog"
	"os"
	"sync"

	"github.com/agentdesk/agentdesk/desktop/internal/audiodev"
	"github.com/agentdesk/agentdesk/desktop/internal/phone"
	"github.com/agentdesk/agentdesk/desktop/internal/softphone"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
)

// lazyAudio opens the audio backend on first use (a Desktop session),
// not at launch: the first screen does not wait for the sound system.
type lazyAudio struct {
	once sync.Once
	open func() phone.Audio
	a    phone.Audio
}

func (l *lazyAudio) get() phone.Audio {
	l.once.Do(func() { l.a = l.open() })
	return l.a
}

func (l *lazyAudio) Microphones() ([]view.AudioDevice, error) { return l.get().Microphones() }
func (l *lazyAudio) Speakers() ([]view.AudioDevice, error)    { return l.get().Speakers() }
func (l *lazyAudio) Source(id string) softphone.AudioSource   { return l.get().Source(id) }
func (l *lazyAudio) Sink(id string) softphone.AudioSink       { return l.get().Sink(id) }
func (l *lazyAudio) Ring(id string) (func(), error)           { return l.get().Ring(id) }

// audioBackend is where calls get their sound: AGENTDESK_AUDIO's tone
// backend (tests, diagnostics), miniaudio's null backend
// (AGENTDESK_AUDIO=null), or the machine's devices. Devices that cannot
// be opened fall back to the null backend, and the log says so.
func audioBackend(log *slog.Logger) phone.Audio {
	setting := os.Getenv(phone.EnvAudio)
	test, ok, err := phone.ParseTestAudio(setting, os.Getenv(phone.EnvAudioRecord))
	if err != nil {
		log.Warn("audio", "err", err)
	}
	if ok {
		log.Info("audio: test tone backend", phone.EnvAudio, setting)
		return test
	}
	null := setting == "null"
	sys, err := audiodev.Open(null)
	if err != nil && !null {
		log.Warn("audio: the devices cannot be opened; calls are silent", "err", err)
		sys, err = audiodev.Open(true)
	}
	if err != nil {
		log.Error("audio: not even the null backend opens", "err", err)
		return &phone.TestAudio{} // silence out, nothing in: a call still has media
	}
	if null {
		log.Info("audio: null backend", phone.EnvAudio, setting)
	}
	return phone.DeviceAudio{Sys: sys}
}
