package main

import (
	"log/slog"

	"github.com/agentdesk/agentdesk/desktop/internal/phone"
)

// deviceAudio is the machine's microphones and speakers. Until the
// malgo device layer (desktop/internal/audiodev) is in the tree, calls
// run on the null test backend, and the log says so.
func deviceAudio(log *slog.Logger) phone.Audio {
	log.Warn("audio: no device backend in this build; calls are silent (set " + phone.EnvAudio + "=tone:<Hz> to send a test tone)")
	a, _, _ := phone.ParseTestAudio("null", "")
	return a
}
