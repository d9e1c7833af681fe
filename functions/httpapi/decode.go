package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// decode reads a JSON body strictly: application/json, at most
// validate.MaxBodyBytes, no unknown fields, one value, types as declared.
func decode(r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return domain.E(api.CodeUnsupportedMediaType)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, validate.MaxBodyBytes+1))
	if err != nil {
		return domain.E(api.CodeBadRequest)
	}
	if len(body) > validate.MaxBodyBytes {
		return domain.E(api.CodeBodyTooLarge)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typ):
			return domain.E(api.CodeValidation, typ.Field)
		case errors.As(err, &syn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return domain.E(api.CodeMalformedJSON)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return domain.E(api.CodeUnknownField, strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
		}
		return domain.E(api.CodeMalformedJSON)
	}
	if dec.More() {
		return domain.E(api.CodeMalformedJSON)
	}
	return nil
}
