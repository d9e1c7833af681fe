//go:build linux

package voice

import (
	"encoding/json"
	"fmt"
	"os"
)

// HandoffEnv names the environment variable through which a process run
// inside the lab's namespace (Lab.Command) learns which lab it is in: the
// lab's addresses exist only there, so tests and the benchmark re-run
// themselves inside it.
const HandoffEnv = "AGENTDESK_VOICE_LAB"

type handoff struct {
	Script, Netns, Dir string
	Env                map[string]string
}

// Handoff is l as a HandoffEnv=... entry for the environment of a process
// started with Lab.Command.
func (l *Lab) Handoff() string {
	data, _ := json.Marshal(handoff{Script: l.Script, Netns: l.Netns, Dir: l.Dir, Env: l.Env})
	return HandoffEnv + "=" + string(data)
}

// FromHandoff returns the lab this process was started inside (nil, nil
// when it was not). Its script commands (RestartKamailio, ...) act on that
// lab, never the default one; Stop is for the process that started it.
func FromHandoff() (*Lab, error) {
	raw := os.Getenv(HandoffEnv)
	if raw == "" {
		return nil, nil
	}
	var h handoff
	if err := json.Unmarshal([]byte(raw), &h); err != nil {
		return nil, fmt.Errorf("voice lab: %s: %w", HandoffEnv, err)
	}
	env := append(os.Environ(), "VOICE_LAB_NETNS="+h.Netns, "VOICE_LAB_DIR="+h.Dir)
	return &Lab{Script: h.Script, Netns: h.Netns, Dir: h.Dir, Env: h.Env, env: env}, nil
}
