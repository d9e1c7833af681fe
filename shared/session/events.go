package session

import "github.com/agentdesk/agentdesk/shared/api"

// ForSession reports whether a push event concerns the session sessionID at
// epoch. Events that name no session (banner_changed, settings_changed)
// concern everyone; a session event concerns only the session it names, so
// a device that just took over ignores the taken-over event meant for its
// predecessor. An epoch of 0 on either side is not compared.
func ForSession(ev api.PushEvent, sessionID string, epoch int64) bool {
	if ev.SessionID == "" {
		return true
	}
	if ev.SessionID != sessionID {
		return false
	}
	return ev.Epoch == 0 || epoch == 0 || ev.Epoch == epoch
}
