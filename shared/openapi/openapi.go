// Package openapi embeds the AgentDesk v1 OpenAPI document and checks
// requests and recorded responses against it. Handler tests use
// ValidateResponse to prove what they answer is what the contract says; the
// local stack can serve YAML; Routes lists the documented operations.
package openapi

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

//go:embed openapi.yaml
var specYAML []byte

// YAML returns a copy of the embedded OpenAPI document.
func YAML() []byte {
	return bytes.Clone(specYAML)
}

func init() {
	// The emailed-link pages answer text/html; kin-openapi has no decoder
	// for it, so read those bodies as plain strings.
	if openapi3filter.RegisteredBodyDecoder("text/html") == nil {
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	}
}

var loadOnce = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(specYAML)
	if err != nil {
		return nil, fmt.Errorf("openapi: load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi: invalid document: %w", err)
	}
	return doc, nil
})

// Load parses and validates the embedded document once and returns it.
// The document is shared: callers must not modify it.
func Load() (*openapi3.T, error) {
	return loadOnce()
}

var routerOnce = sync.OnceValues(func() (routers.Router, error) {
	doc, err := Load()
	if err != nil {
		return nil, err
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: router: %w", err)
	}
	return r, nil
})

// Router returns a router that finds a request's operation in the document
// (by method and path only: the document's server is "/", so any host and
// scheme match).
func Router() (routers.Router, error) {
	return routerOnce()
}

// Route is one documented operation.
type Route struct {
	Method      string // upper case, e.g. "GET"
	Path        string // with {id} style parameters, e.g. "/v1/admin/users/{id}"
	OperationID string
	// Public is true when the operation needs no bearer token.
	Public bool
}

// Routes lists the document's operations sorted by path then method. It
// panics if the embedded document does not load (the package tests ensure it
// does).
func Routes() []Route {
	doc, err := Load()
	if err != nil {
		panic(err)
	}
	var out []Route
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			sec := doc.Security
			if op.Security != nil {
				sec = *op.Security
			}
			out = append(out, Route{
				Method:      strings.ToUpper(method),
				Path:        path,
				OperationID: op.OperationID,
				Public:      len(sec) == 0,
			})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// ValidateRequest checks a request against its operation: path and query
// parameters, the body (restored afterwards, so the request can still be
// served) and, for operations that need one, the presence of a bearer token.
func ValidateRequest(req *http.Request) error {
	route, params, err := findRoute(req)
	if err != nil {
		return err
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:          true,
			SkipSettingDefaults: true,
			AuthenticationFunc:  requireBearer,
		},
	}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
		return fmt.Errorf("openapi: %s %s: request: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

func requireBearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme == nil || in.SecurityScheme.Type != "http" || !strings.EqualFold(in.SecurityScheme.Scheme, "bearer") {
		return fmt.Errorf("unsupported security scheme %q", in.SecuritySchemeName)
	}
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("missing bearer token")
	}
	return nil
}

// ValidateResponse checks a recorded response to req against the document:
// the status must be documented for the operation, the documented headers
// (X-Request-Id everywhere, Retry-After on 429) present and well formed, the
// Content-Type one the response documents, and the body valid against its
// schema (problem+json bodies too, whose status member must equal the HTTP
// status). A response documented without a body must have none.
func ValidateResponse(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := findRoute(req)
	if err != nil {
		return err
	}
	if header == nil {
		header = http.Header{}
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      route,
			Options:    opts,
		},
		Status:  status,
		Header:  header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: opts,
	}
	where := fmt.Sprintf("openapi: %s %s (%s) -> %d", req.Method, req.URL.Path, route.Path, status)
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}

	ref := route.Operation.Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("%s: status not documented", where)
	}
	if len(ref.Value.Content) == 0 {
		if len(body) != 0 {
			return fmt.Errorf("%s: the response is documented without a body but has %d bytes", where, len(body))
		}
		return nil
	}
	mt, _, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil {
		return fmt.Errorf("%s: Content-Type %q: %w", where, header.Get("Content-Type"), err)
	}
	if mt == "application/problem+json" {
		var p struct {
			Status int `json:"status"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return fmt.Errorf("%s: problem body: %w", where, err)
		}
		if p.Status != status {
			return fmt.Errorf("%s: problem status member is %d, not the HTTP status", where, p.Status)
		}
	}
	return nil
}

func findRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	r, err := Router()
	if err != nil {
		return nil, nil, err
	}
	route, params, err := r.FindRoute(req)
	if err != nil {
		return nil, nil, fmt.Errorf("openapi: %s %s: %w", req.Method, req.URL.Path, err)
	}
	return route, params, nil
}
