package api

import "time"

// Station is how the agent takes calls during a session.
type Station struct {
	Mode       string `json:"mode"` // dial_number | extension | desktop
	DialNumber string `json:"dial_number,omitempty"`
	Extension  string `json:"extension,omitempty"`
}

// CreateSessionRequest is POST /v1/sessions (station login). Takeover is the
// agent's "Continue" after session_active_elsewhere.
type CreateSessionRequest struct {
	Station  Station `json:"station"`
	TeamID   string  `json:"team_id"`
	Device   Device  `json:"device"`
	Takeover bool    `json:"takeover"`
}

// Session is the answer to a station login: heartbeat every
// HeartbeatInterval seconds with Epoch, before LeaseExpiresAt.
type Session struct {
	SessionID         string    `json:"session_id"`
	Epoch             int64     `json:"epoch"`
	LeaseExpiresAt    time.Time `json:"lease_expires_at"`
	HeartbeatInterval int       `json:"heartbeat_interval"`
	Station           Station   `json:"station"`
	TeamID            string    `json:"team_id"`
}

// HeartbeatRequest renews the lease. LastActivity is when the agent last
// used the app (for the inactivity timeout); OnCall is shown to a device
// that wants to take over.
type HeartbeatRequest struct {
	Epoch        int64     `json:"epoch"`
	LastActivity time.Time `json:"last_activity"`
	OnCall       bool      `json:"on_call"`
}

// HeartbeatResponse says until when the lease holds.
type HeartbeatResponse struct {
	LeaseExpiresAt    time.Time `json:"lease_expires_at"`
	HeartbeatInterval int       `json:"heartbeat_interval"`
}

// LiveSession is one signed-in agent, for GET /v1/admin/sessions.
type LiveSession struct {
	SessionID     string    `json:"session_id"`
	Epoch         int64     `json:"epoch"`
	UserID        string    `json:"user_id"`
	Email         string    `json:"email"`
	DisplayName   string    `json:"display_name"`
	Device        Device    `json:"device"`
	Station       Station   `json:"station"`
	TeamID        string    `json:"team_id"`
	Since         time.Time `json:"since"`
	LastHeartbeat time.Time `json:"last_heartbeat"`
	OnCall        bool      `json:"on_call"`
}

// SessionList lists a tenant's live sessions.
type SessionList struct {
	Sessions []LiveSession `json:"sessions"`
}

// Push event types sent over the WebSocket.
const (
	EventSessionTakenOver = "session_taken_over"
	EventSessionRevoked   = "session_revoked"
	EventBannerChanged    = "banner_changed"
	EventSettingsChanged  = "settings_changed"
)

// PushEvent is one message on the push channel. SessionID and Epoch name
// the session an event is about, so a client ignores events for its
// predecessors.
type PushEvent struct {
	Type      string         `json:"type"`
	SessionID string         `json:"session_id,omitempty"`
	Epoch     int64          `json:"epoch,omitempty"`
	Reason    string         `json:"reason,omitempty"`
	Holder    *SessionHolder `json:"holder,omitempty"`
	At        time.Time      `json:"at"`
}
