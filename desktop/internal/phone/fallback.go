package phone

import (
	"fmt"

	"github.com/agentdesk/agentdesk/desktop/internal/softphone"
)

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
