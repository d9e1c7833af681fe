package wizard

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/desktop/internal/view"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
)

// Error codes the desktop adds to the API's (view.Error.Code).
const (
	CodeNetwork              = "network_error"         // no answer from the server
	CodeBadResponse          = "bad_response"          // an answer that could not be read
	CodeRequired             = "required"              // an empty password (sign-in) or team
	CodeMicrosoftUnavailable = "microsoft_unavailable" // "Microsoft sign-in is not available yet"
	CodeKeyringUnavailable   = "keyring_unavailable"
	CodeUnexpected           = "unexpected"
)

// Field names of view.Error.Field.
const (
	FieldServer      = "server"
	FieldEmail       = "email"
	FieldPassword    = "password"
	FieldCode        = "code"
	FieldNewPassword = "new_password" // the forgot-password code step
	FieldMode        = "mode"
	FieldDialNumber  = "dial_number"
	FieldExtension   = "extension"
	FieldTeam        = "team"
	FieldAgentState  = "agent_state"
)

// Coded is an error that names its own view code (the config package's
// URL errors do: invalid_url, server_unreachable, not_agentdesk).
type Coded interface {
	error
	ErrorCode() string
}

// fieldOf names the input an API problem is about.
func fieldOf(p *api.Problem) string {
	switch p.Code {
	case api.CodeInvalidEmail:
		return FieldEmail
	case api.CodeInvalidCredentials, api.CodePasswordResetRequired:
		return FieldPassword
	case api.CodeWeakPassword:
		return FieldNewPassword
	case api.CodeInvalidCode, api.CodeCodeExpired:
		return FieldCode
	case api.CodeStationModeNotAllowed:
		return FieldMode
	case api.CodeInvalidDialNumber, api.CodeDialNumberInUse, api.CodeDialNumberLocked:
		return FieldDialNumber
	case api.CodeInvalidExtension:
		return FieldExtension
	case api.CodeUnknownTeam:
		return FieldTeam
	}
	return strings.TrimPrefix(p.Field, "station.")
}

// ErrorFor turns a failure into what the frontend shows: a code it
// localises, the field it is about, and the details an agent copies for
// the administrator.
func ErrorFor(what string, err error, now time.Time, appVersion, server string) *view.Error {
	d := &view.Details{What: what, Time: now.UTC(), AppVersion: appVersion, Server: server, Message: err.Error()}
	e := &view.Error{Details: d}
	var (
		p     *api.Problem
		ne    *client.NetworkError
		re    *client.ResponseError
		coded Coded
	)
	switch { // a coded error first: it may wrap the problem it explains
	case errors.As(err, &coded):
		e.Code = coded.ErrorCode()
		d.Code = e.Code
		var rid interface{ ErrorRequestID() string }
		if errors.As(err, &rid) {
			d.RequestID = rid.ErrorRequestID()
		}
		if errors.As(err, &p) { // the answer behind it
			d.Status = p.Status
		}
	case errors.As(err, &p):
		e.Code, e.Field, e.RetryAfter, e.Reason = p.Code, fieldOf(p), p.RetryAfter, p.Reason
		d.Status, d.Code, d.RequestID = p.Status, p.Code, p.RequestID
		d.Message = p.Title
		if p.Detail != "" {
			d.Message = p.Detail
		}
		if e.Code == "" {
			e.Code = CodeUnexpected
		}
	case errors.As(err, &ne):
		e.Code = CodeNetwork
	case errors.As(err, &re):
		e.Code, d.Status, d.RequestID = CodeBadResponse, re.Status, re.RequestID
	default:
		e.Code = CodeUnexpected
	}
	return e
}

// IsUnauthorized reports whether err is the server refusing the access
// token (the core has already tried a refresh).
func IsUnauthorized(err error) bool {
	var p *api.Problem
	return errors.As(err, &p) && p.Status == http.StatusUnauthorized
}

// DetailsText is the details panel as text for the clipboard.
func DetailsText(d *view.Details) string {
	if d == nil {
		return ""
	}
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	line("What failed", d.What)
	if d.Status != 0 {
		line("Status", fmt.Sprint(d.Status))
	}
	line("Code", d.Code)
	line("Message", d.Message)
	line("Request id", d.RequestID)
	line("Time", d.Time.UTC().Format(time.RFC3339))
	line("App version", d.AppVersion)
	line("Server", d.Server)
	return b.String()
}
