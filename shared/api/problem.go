package api

import (
	"fmt"
	"time"
)

// Stable error codes. The desktop localises by code; the server localises the
// detail by Accept-Language for everyone else.
const (
	CodeBadRequest            = "bad_request"
	CodeMalformedJSON         = "malformed_json"
	CodeUnknownField          = "unknown_field"
	CodeBodyTooLarge          = "body_too_large"
	CodeUnsupportedMediaType  = "unsupported_media_type"
	CodeValidation            = "validation_failed"
	CodeInvalidEmail          = "invalid_email"
	CodeInvalidDialNumber     = "invalid_dial_number"
	CodeWeakPassword          = "weak_password"
	CodeUnauthorized          = "unauthorized"
	CodeInvalidCredentials    = "invalid_credentials"
	CodeWrongPassword         = "wrong_current_password"
	CodeInvalidToken          = "invalid_token"
	CodeTooManyAttempts       = "too_many_attempts"
	CodeAccountDisabled       = "account_disabled"
	CodePasswordResetRequired = "password_reset_required"
	CodeNotProvisioned        = "not_provisioned"
	CodeSelfManaged           = "self_managed"
	CodeInvalidCode           = "invalid_code"
	CodeCodeExpired           = "code_expired"
	CodeForbidden             = "forbidden"
	CodeNotFound              = "not_found"
	CodeMethodNotAllowed      = "method_not_allowed"
	CodeEmailTaken            = "email_taken"
	CodeDomainTaken           = "domain_taken"
	CodeConflict              = "conflict"
	CodeVersionConflict       = "version_conflict"
	CodeConfirmLogout         = "confirm_logout_required"
	CodeOmnichannelNeedsRTC   = "omnichannel_requires_webrtc"
	CodeDesktopNeedsRTC       = "desktop_requires_webrtc"
	CodeUnknownTeam           = "unknown_team"
	CodeUnknownQueue          = "unknown_queue"
	CodeExtensionTaken        = "extension_taken"
	CodeLastAdmin             = "last_admin"
	CodeSessionElsewhere      = "session_active_elsewhere"
	CodeSessionTakenOver      = "session_taken_over"
	CodeSessionRevoked        = "session_revoked"
	CodeDialNumberInUse       = "dial_number_in_use"
	CodeStationModeNotAllowed = "station_mode_not_allowed"
	CodeDialNumberLocked      = "dial_number_locked"
	CodeLinkExpired           = "link_expired"
	CodeLinkUsed              = "link_used"
	CodeInvalidExtension      = "invalid_extension"
	CodeInternal              = "internal"
)

// ProblemContentType is the media type of every error response.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details body with AgentDesk's members.
type Problem struct {
	Type       string `json:"type"`
	Title      string `json:"title"`
	Status     int    `json:"status"`
	Detail     string `json:"detail,omitempty"`
	Code       string `json:"code"`
	RequestID  string `json:"request_id,omitempty"`
	RetryAfter int    `json:"retry_after,omitempty"`
	// Field names the offending field for validation errors.
	Field string `json:"field,omitempty"`
	// Confirmation is the question to ask for confirm_logout_required.
	Confirmation string `json:"confirmation,omitempty"`
	// Holder describes the other device for session_active_elsewhere.
	Holder *SessionHolder `json:"holder,omitempty"`
	// Reason explains session_revoked.
	Reason string `json:"reason,omitempty"`
}

// SessionHolder is the device that holds an agent's session.
type SessionHolder struct {
	DeviceName string    `json:"device_name"`
	Platform   string    `json:"platform"`
	Since      time.Time `json:"since"`
	OnCall     bool      `json:"on_call"`
}

func (p *Problem) Error() string {
	return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Detail)
}

// ProblemType is the type URI of a code.
func ProblemType(code string) string {
	return "https://agentdesk.dev/problems/" + code
}
