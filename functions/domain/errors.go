// Package domain holds AgentDesk's records, rules and the ports the services
// need. It knows nothing of HTTP or DynamoDB.
package domain

import (
	"errors"
	"fmt"

	"github.com/agentdesk/agentdesk/shared/api"
)

// Error is a rule violation with a stable API code. The HTTP adapter maps the
// code to a status and localises the message.
type Error struct {
	Code       string
	Field      string
	RetryAfter int // seconds, for too_many_attempts
	Reason     string
	// Args fill the localised message (e.g. a password rule).
	Args   map[string]string
	Holder *api.SessionHolder
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (%s)", e.Code, e.Field)
	}
	return e.Code
}

// E builds an Error with a code and an optional field.
func E(code string, field ...string) *Error {
	e := &Error{Code: code}
	if len(field) > 0 {
		e.Field = field[0]
	}
	return e
}

// CodeOf is the API code of err, or "" when err is not a domain error.
func CodeOf(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}

// Store-level sentinels the services translate into domain errors.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("condition failed")
	ErrEmailTaken  = errors.New("email taken")
	ErrVersion     = errors.New("version mismatch")
	ErrAlreadyUsed = errors.New("already used")
)
