package softphone

import (
	"sync/atomic"
)

// muteSource sends silence in place of the source's audio while muted.
// Silence, not nothing: the packets keep flowing, so rtpengine's and any
// NAT's idea of the stream stays alive and the peer's jitter buffer does
// not see a gap.
type muteSource struct {
	AudioSource
	muted *atomic.Bool
}

func (s *muteSource) Read(pcm []int16) error {
	if err := s.AudioSource.Read(pcm); err != nil {
		return err
	}
	if s.muted.Load() {
		clear(pcm)
	}
	return nil
}

// SetMuted mutes (true) or unmutes our microphone; an event with the
// call's state tells the UI.
func (c *Call) SetMuted(muted bool) {
	if c.muted.Swap(muted) == muted {
		return
	}
	select {
	case <-c.ended:
		return // nothing to tell about a call that is over
	default:
	}
	reason := "unmuted"
	if muted {
		reason = "muted"
	}
	c.p.emit(Event{State: c.state(), Reason: reason, Call: c})
}

// Muted reports whether our microphone is muted.
func (c *Call) Muted() bool { return c.muted.Load() }
