package openapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/agentdesk/agentdesk/shared/api"
)

// binding ties a component schema to the Go type it describes.
type binding struct {
	typ reflect.Type
	// request schemas must reject unknown members and accept the nulls the Go
	// encoder writes for nil pointers and slices without omitempty;
	// response schemas must require every member without omitempty.
	request bool
	// omitted lists json names of the Go type deliberately absent from the
	// schema, each with the reason. (None today: sip_password is in both the
	// request and response schemas of an extension, as writeOnly in the
	// response one, so its absence from responses is enforced.)
	omitted map[string]string
}

func bindings() map[string]binding {
	resp := func(v any) binding { return binding{typ: reflect.TypeOf(v)} }
	req := func(v any) binding { return binding{typ: reflect.TypeOf(v), request: true} }
	return map[string]binding{
		"Problem":               resp(api.Problem{}),
		"SessionHolder":         resp(api.SessionHolder{}),
		"Health":                resp(api.Health{}),
		"Device":                req(api.Device{}),
		"IdentifyRequest":       req(api.IdentifyRequest{}),
		"IdentifyResponse":      resp(api.IdentifyResponse{}),
		"MicrosoftConfig":       resp(api.MicrosoftConfig{}),
		"LoginRequest":          req(api.LoginRequest{}),
		"MicrosoftLoginRequest": req(api.MicrosoftLoginRequest{}),
		"TokenResponse":         resp(api.TokenResponse{}),
		"RefreshRequest":        req(api.RefreshRequest{}),
		"ForgotPasswordRequest": req(api.ForgotPasswordRequest{}),
		"ResetPasswordRequest":  req(api.ResetPasswordRequest{}),
		"ChangePasswordRequest": req(api.ChangePasswordRequest{}),
		"Extension":             resp(api.Extension{}),
		"ExtensionInput":        req(api.Extension{}),
		"SoftphoneExtension":    resp(api.Extension{}),
		"User":                  resp(api.User{}),
		"UserList":              resp(api.UserList{}),
		"CreateUserRequest":     req(api.CreateUserRequest{}),
		"UpdateUserRequest":     req(api.UpdateUserRequest{}),
		"SetPasswordRequest":    req(api.SetPasswordRequest{}),
		"Team":                  resp(api.Team{}),
		"TeamRequest":           req(api.TeamRequest{}),
		"TeamList":              resp(api.TeamList{}),
		"Queue":                 resp(api.Queue{}),
		"QueueRequest":          req(api.QueueRequest{}),
		"QueueList":             resp(api.QueueList{}),
		"Banner":                resp(api.Banner{}),
		"BannerInput":           req(api.Banner{}),
		"IdentityProvider":      resp(api.IdentityProvider{}),
		"IdentityProviderInput": req(api.IdentityProvider{}),
		"TeamsIntegration":      resp(api.TeamsIntegration{}),
		"TeamsIntegrationInput": req(api.TeamsIntegration{}),
		"StationPolicy":         resp(api.StationPolicy{}),
		"StationPolicyInput":    req(api.StationPolicy{}),
		"TenantSettings":        resp(api.TenantSettings{}),
		"TenantSettingsInput":   req(api.TenantSettings{}),
		"MeTenant":              resp(api.MeTenant{}),
		"OmnichannelStatus":     resp(api.OmnichannelStatus{}),
		"ICEServer":             resp(api.ICEServer{}),
		"SoftphoneSettings":     resp(api.SoftphoneSettings{}),
		"MeResponse":            resp(api.MeResponse{}),
		"AuditEntry":            resp(api.AuditEntry{}),
		"AuditList":             resp(api.AuditList{}),
		"Station":               resp(api.Station{}),
		"StationInput":          req(api.Station{}),
		"DeviceInfo":            resp(api.Device{}),
		"CreateSessionRequest":  req(api.CreateSessionRequest{}),
		"Session":               resp(api.Session{}),
		"HeartbeatRequest":      req(api.HeartbeatRequest{}),
		"HeartbeatResponse":     resp(api.HeartbeatResponse{}),
		"LiveSession":           resp(api.LiveSession{}),
		"SessionList":           resp(api.SessionList{}),
		// Not an HTTP body: the push channel's message (a WebSocket API
		// outside this document), server to desktop like a response.
		"PushEvent": resp(api.PushEvent{}),
	}
}

// Component schemas with no Go struct behind them.
var unboundSchemas = map[string]string{
	"ResetForm":   "the HTML form of /p/reset",
	"Role":        "enum of api.Role* constants",
	"Locale":      "enum of api.Locales",
	"StationMode": "enum of api.Station* constants",
	"QueueKind":   "enum of api.QueueVoice/QueueChat",
	"Channel":     "enum of api.Channel* constants",
}

// Go types of shared/api with no schema (none today).
var unboundGoTypes = map[string]string{}

type jsonField struct {
	name      string
	omitempty bool
	typ       reflect.Type
}

func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, omitempty: slices.Contains(strings.Split(opts, ","), "omitempty"), typ: f.Type})
	}
	return out
}

// resolve follows a property to the schema holding its type: a $ref is
// already resolved by the loader; a nullable allOf wrapper is unwrapped.
func resolve(s *openapi3.SchemaRef) *openapi3.Schema {
	v := s.Value
	if v.Type == nil && len(v.AllOf) == 1 {
		return v.AllOf[0].Value
	}
	return v
}

func schemaType(s *openapi3.Schema) string {
	if s.Type == nil || len(*s.Type) != 1 {
		return ""
	}
	return (*s.Type)[0]
}

var timeType = reflect.TypeOf(time.Time{})

// kindMatches reports whether a Go type and a schema agree on the JSON type.
func kindMatches(t reflect.Type, s *openapi3.Schema) (bool, string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	st := schemaType(s)
	switch {
	case t == timeType:
		return st == "string" && s.Format == "date-time", "string/date-time"
	case t.Kind() == reflect.String:
		return st == "string", "string"
	case t.Kind() == reflect.Bool:
		return st == "boolean", "boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return st == "integer", "integer"
	case t.Kind() == reflect.Slice:
		if st != "array" || s.Items == nil {
			return false, "array"
		}
		ok, want := kindMatches(t.Elem(), resolve(s.Items))
		return ok, "array of " + want
	case t.Kind() == reflect.Struct:
		return st == "object", "object"
	}
	return false, t.Kind().String()
}

// TestSchemasMatchGoTypes fails when a schema's members drift from the json
// tags of the shared/api type it describes.
func TestSchemasMatchGoTypes(t *testing.T) {
	doc := mustLoad(t)
	bs := bindings()
	for name, b := range bs {
		t.Run(name, func(t *testing.T) {
			ref := doc.Components.Schemas[name]
			if ref == nil {
				t.Fatalf("no component schema %s (for %s)", name, b.typ)
			}
			s := ref.Value
			fields := jsonFields(b.typ)
			var goNames, specNames []string
			for _, f := range fields {
				if _, ok := b.omitted[f.name]; !ok {
					goNames = append(goNames, f.name)
				}
			}
			for p := range s.Properties {
				specNames = append(specNames, p)
			}
			sort.Strings(goNames)
			sort.Strings(specNames)
			if !slices.Equal(goNames, specNames) {
				t.Fatalf("members differ from %s json tags\n  Go:   %v\n  spec: %v\n  only Go: %v\n  only spec: %v",
					b.typ, goNames, specNames, minus(goNames, specNames), minus(specNames, goNames))
			}
			required := map[string]bool{}
			for _, r := range s.Required {
				required[r] = true
			}
			for _, f := range fields {
				p, ok := s.Properties[f.name]
				if !ok {
					continue
				}
				ps := resolve(p)
				if ok, want := kindMatches(f.typ, ps); !ok {
					t.Errorf("%s: Go %s wants %s, spec says %q", f.name, f.typ, want, schemaType(ps))
				}
				if b.request {
					// The Go encoder writes null for a nil pointer, slice or
					// map without omitempty; the server reads it as absent.
					k := f.typ.Kind()
					if !f.omitempty && (k == reflect.Pointer || k == reflect.Slice || k == reflect.Map) && !p.Value.Nullable {
						t.Errorf("%s: %s without omitempty is sent as null by Go clients: mark it nullable", f.name, f.typ)
					}
					continue
				}
				if p.Value.WriteOnly {
					if required[f.name] {
						t.Errorf("%s: write-only member cannot be required in a response", f.name)
					}
					continue
				}
				if want := !f.omitempty; required[f.name] != want {
					t.Errorf("%s: required=%v in spec, but omitempty=%v in Go (members always sent must be required, omitempty ones must not)", f.name, required[f.name], f.omitempty)
				}
				if p.Value.Nullable {
					t.Errorf("%s: response members are never null", f.name)
				}
			}
			if b.request {
				if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
					t.Errorf("request schema must set additionalProperties: false (the server rejects unknown fields)")
				}
			}
		})
	}

	// Every object schema is bound to a Go type or listed as unbound.
	for name := range doc.Components.Schemas {
		if _, ok := bs[name]; ok {
			continue
		}
		if _, ok := unboundSchemas[name]; !ok {
			t.Errorf("component schema %s is bound to no Go type: add it to bindings() or unboundSchemas", name)
		}
	}

	// Every struct type of shared/api has a schema (or is listed as unbound).
	bound := map[string]bool{}
	for _, b := range bs {
		bound[b.typ.Name()] = true
	}
	for _, typeName := range apiStructTypes(t) {
		if !bound[typeName] {
			if _, ok := unboundGoTypes[typeName]; !ok {
				t.Errorf("api.%s has no schema in openapi.yaml: add one and bind it in bindings()", typeName)
			}
		}
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// apiFiles parses the non-test Go files of shared/api.
func apiFiles(t *testing.T) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("..", "api", "*.go"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no shared/api sources: %v", err)
	}
	var files []*ast.File
	fset := token.NewFileSet()
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// apiStructTypes lists the exported struct types declared in shared/api.
func apiStructTypes(t *testing.T) []string {
	t.Helper()
	var out []string
	{
		for _, f := range apiFiles(t) {
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.TYPE {
					continue
				}
				for _, sp := range gd.Specs {
					ts := sp.(*ast.TypeSpec)
					if _, ok := ts.Type.(*ast.StructType); ok && ts.Name.IsExported() {
						out = append(out, ts.Name.Name)
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestProblemCodesMatchAPI fails when the codes listed in the spec (x-codes
// of Problem.code) drift from the Code* constants of shared/api.
func TestProblemCodesMatchAPI(t *testing.T) {
	doc := mustLoad(t)
	checkListMatchesConsts(t, doc.Components.Schemas["Problem"].Value.Properties["code"].Value, "x-codes", "Code")
}

// TestPushEventTypesMatchAPI fails when the event types listed in the spec
// (x-event-types of PushEvent.type) drift from the Event* constants.
func TestPushEventTypesMatchAPI(t *testing.T) {
	doc := mustLoad(t)
	s := doc.Components.Schemas["PushEvent"].Value
	if s.Extensions["x-push-channel"] != true {
		t.Error("PushEvent is not marked x-push-channel (it is no HTTP body)")
	}
	checkListMatchesConsts(t, s.Properties["type"].Value, "x-event-types", "Event")
}

// checkListMatchesConsts compares the string list in extension ext of s with
// the string constants of shared/api whose names start with prefix.
func checkListMatchesConsts(t *testing.T, s *openapi3.Schema, ext, prefix string) {
	t.Helper()
	raw, ok := s.Extensions[ext].([]any)
	if !ok {
		t.Fatalf("no %s list", ext)
	}
	var spec []string
	for _, c := range raw {
		spec = append(spec, c.(string))
	}
	goValues := apiStringConsts(t, prefix)
	sort.Strings(spec)
	sort.Strings(goValues)
	if !slices.Equal(spec, goValues) {
		t.Errorf("%s differs from shared/api %s* constants\n  only in spec: %v\n  only in Go:   %v",
			ext, prefix, minus(spec, goValues), minus(goValues, spec))
	}
}

// apiStringConsts lists the values of the string constants of shared/api
// whose names start with prefix.
func apiStringConsts(t *testing.T, prefix string) []string {
	t.Helper()
	var out []string
	for _, f := range apiFiles(t) {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, prefix) || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						out = append(out, v)
					}
				}
			}
		}
	}
	return out
}
