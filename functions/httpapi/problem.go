// Package httpapi is the HTTP adapter: it turns requests into service calls
// and domain errors into RFC 9457 problems. The same handlers serve API
// Gateway (through the Lambda proxy) and the local router.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/i18n"
	"github.com/agentdesk/agentdesk/shared/api"
)

// statusOf maps every API code to its HTTP status.
var statusOf = map[string]int{
	api.CodeBadRequest: 400, api.CodeMalformedJSON: 400, api.CodeUnknownField: 400, api.CodeInvalidCode: 400,
	// Well-formed requests that break a rule.
	api.CodeValidation: 422, api.CodeInvalidEmail: 422, api.CodeBodyTooLarge: 413, api.CodeUnsupportedMediaType: 415,
	api.CodeInvalidDialNumber: 422, api.CodeWeakPassword: 422, api.CodeOmnichannelNeedsRTC: 422, api.CodeDesktopNeedsRTC: 422,
	api.CodeUnknownTeam: 422, api.CodeUnknownQueue: 422, api.CodeInvalidExtension: 422,
	api.CodeUnauthorized: 401, api.CodeInvalidCredentials: 401, api.CodeInvalidToken: 401,
	api.CodeWrongPassword: 403, api.CodeAccountDisabled: 403, api.CodePasswordResetRequired: 403, api.CodeNotProvisioned: 403,
	api.CodeForbidden: 403, api.CodeStationModeNotAllowed: 403, api.CodeDialNumberLocked: 403, api.CodeLastAdmin: 409,
	api.CodeNotFound: 404, api.CodeMethodNotAllowed: 405,
	api.CodeSelfManaged: 409, api.CodeEmailTaken: 409, api.CodeDomainTaken: 409, api.CodeConflict: 409, api.CodeVersionConflict: 409,
	api.CodeConfirmLogout: 409, api.CodeExtensionTaken: 409, api.CodeSessionElsewhere: 409, api.CodeSessionTakenOver: 409,
	api.CodeDialNumberInUse: 409,
	api.CodeCodeExpired:     410, api.CodeSessionRevoked: 410, api.CodeLinkExpired: 410, api.CodeLinkUsed: 410,
	api.CodeTooManyAttempts: 429, api.CodeInternal: 500,
}

// StatusOf is the HTTP status of a code (500 for unknown codes).
func StatusOf(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return 500
}

// Codes lists every code the adapter knows (for catalog tests).
func Codes() []string {
	out := make([]string, 0, len(statusOf))
	for c := range statusOf {
		out = append(out, c)
	}
	return out
}

func localeOf(r *http.Request) string {
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// writeError answers err as a problem. Domain errors keep their code;
// anything else is logged and becomes a 500 with no detail leaked.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var de *domain.Error
	if !errors.As(err, &de) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			logger(r.Context()).WarnContext(r.Context(), "request cancelled", "err", err)
		} else {
			logger(r.Context()).ErrorContext(r.Context(), "internal error", "err", err)
		}
		de = domain.E(api.CodeInternal)
	}
	loc := localeOf(r)
	args := map[string]string{"field": de.Field, "seconds": strconv.Itoa(de.RetryAfter)}
	if reason := de.Args["reason"]; reason != "" {
		args["reason"] = messages.T(loc, "reason."+reason, nil)
	}
	status := StatusOf(de.Code)
	p := api.Problem{
		Type: api.ProblemType(de.Code), Title: http.StatusText(status), Status: status, Code: de.Code,
		Detail: messages.T(loc, de.Code, args), RequestID: RequestID(r.Context()), RetryAfter: de.RetryAfter,
		Field: de.Field, Holder: de.Holder, Reason: de.Reason,
	}
	if de.Code == api.CodeConfirmLogout {
		p.Confirmation = messages.T(loc, "confirm_logout.question", nil)
	}
	if de.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(de.RetryAfter))
	}
	w.Header().Set("Content-Type", api.ProblemContentType)
	w.Header().Set("Content-Language", loc)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
