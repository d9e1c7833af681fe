// Package template reads the SAM template (template.yaml) that describes the
// deployed stack, so that the local stack serves exactly the routes and the
// table that production has.
//
// CloudFormation short-form intrinsics (!Ref, !Sub, !GetAtt, !If, ...) are kept
// as opaque values in their long form ({"Ref": ...}, {"Fn::Sub": ...}); the
// local stack never evaluates them.
package template

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// FileName is the name of the SAM template at the repository root.
const FileName = "template.yaml"

// Template is a parsed SAM template.
type Template struct {
	// Path is the file the template was read from ("" when parsed from bytes).
	Path string
	// Globals is the template's Globals section (e.g. Globals["Function"]).
	Globals map[string]any
	// Resources by logical id.
	Resources map[string]Resource
}

// Resource is one entry of the Resources section. Values inside Properties and
// Metadata are plain Go values (map[string]any, []any, string, int, float64,
// bool, nil); intrinsic functions appear in their long form, see Intrinsic.
type Resource struct {
	Type       string
	Properties map[string]any
	Metadata   map[string]any
	Condition  string
}

// Route is one HttpApi event of a serverless function.
type Route struct {
	// Function is the function's logical id, e.g. AuthFunction.
	Function string
	// Event is the event's name in the function's Events, e.g. Login.
	Event string
	// Method is the upper-case HTTP method, or "ANY".
	Method string
	// Path is the route path, e.g. /v1/admin/users/{id}, or "$default" for
	// an HttpApi event without Path and Method (the catch-all route).
	Path string
}

// Key returns API Gateway's route key: "METHOD /path" or "$default".
func (r Route) Key() string {
	if r.Path == DefaultRoute {
		return DefaultRoute
	}
	return r.Method + " " + r.Path
}

// DefaultRoute is the route key of API Gateway's catch-all route.
const DefaultRoute = "$default"

// Load reads and parses a SAM template file.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	t.Path = path
	return t, nil
}

// FindRoot walks up from the working directory until it finds the directory
// that holds go.work (the repository root) and returns it.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, "go.work")); err == nil && !st.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("template: no go.work found in the working directory or any parent")
		}
		dir = parent
	}
}

// LoadDefault loads template.yaml from the repository root (see FindRoot).
func LoadDefault() (*Template, error) {
	root, err := FindRoot()
	if err != nil {
		return nil, err
	}
	return Load(filepath.Join(root, FileName))
}

// Parse parses a SAM template from YAML (JSON being a subset of YAML, JSON
// templates parse too).
func Parse(data []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, errors.New("empty document")
	}
	c := &converter{budget: maxNodes}
	v, err := c.convert(doc.Content[0], 0)
	if err != nil {
		return nil, err
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("top level is not a mapping")
	}
	t := &Template{Resources: map[string]Resource{}}
	if g, ok := top["Globals"].(map[string]any); ok {
		t.Globals = g
	}
	resources, ok := top["Resources"].(map[string]any)
	if !ok {
		return nil, errors.New("no Resources mapping")
	}
	for id, raw := range resources {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("resource %s is not a mapping", id)
		}
		typ, _ := m["Type"].(string)
		if typ == "" {
			return nil, fmt.Errorf("resource %s has no Type", id)
		}
		r := Resource{Type: typ}
		r.Properties, _ = m["Properties"].(map[string]any)
		r.Metadata, _ = m["Metadata"].(map[string]any)
		r.Condition, _ = m["Condition"].(string)
		t.Resources[id] = r
	}
	return t, nil
}

// Intrinsic reports whether v is an intrinsic function in long form, a
// one-key mapping such as {"Ref": "Table"} or {"Fn::GetAtt": ["T", "Arn"]},
// and returns its name and argument.
func Intrinsic(v any) (name string, arg any, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap || len(m) != 1 {
		return "", nil, false
	}
	for k, a := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, a, true
		}
	}
	return "", nil, false
}

// Limits on what a template may expand to: aliases can otherwise make a small
// document expand without bound.
const (
	maxDepth = 64
	maxNodes = 1 << 17
)

type converter struct{ budget int }

// convert turns a YAML node into plain Go values, mapping CloudFormation short
// tags to their long form.
func (c *converter) convert(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("line %d: nesting deeper than %d", n.Line, maxDepth)
	}
	if c.budget--; c.budget < 0 {
		return nil, fmt.Errorf("document expands to more than %d nodes", maxNodes)
	}
	if n.Kind == yaml.AliasNode {
		return c.convert(n.Alias, depth+1)
	}
	if tag := n.Tag; strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		return c.convertShortTag(n, depth)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			if kn.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", kn.Line)
			}
			v, err := c.convert(vn, depth+1)
			if err != nil {
				return nil, err
			}
			m[kn.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.convert(item, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
	}
}

// convertShortTag maps !Ref x to {"Ref": x}, !GetAtt A.B to
// {"Fn::GetAtt": ["A", "B"]}, !Condition c to {"Condition": c} and any other
// !Name to {"Fn::Name": value}.
func (c *converter) convertShortTag(n *yaml.Node, depth int) (any, error) {
	name := strings.TrimPrefix(n.Tag, "!")
	plain := *n
	plain.Tag = ""
	if n.Kind == yaml.ScalarNode {
		plain.Tag = "!!str"
	}
	v, err := c.convert(&plain, depth+1)
	if err != nil {
		return nil, err
	}
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q needs Resource.Attribute", n.Line, s)
			}
			v = []any{res, attr}
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	default:
		return map[string]any{"Fn::" + name: v}, nil
	}
}

// Functions returns the logical ids of every AWS::Serverless::Function, sorted.
func (t *Template) Functions() []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == "AWS::Serverless::Function" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Routes returns the HttpApi events of every AWS::Serverless::Function,
// sorted by path, then method.
func (t *Template) Routes() []Route {
	var routes []Route
	for _, id := range t.Functions() {
		events, _ := t.Resources[id].Properties["Events"].(map[string]any)
		for name, raw := range events {
			ev, _ := raw.(map[string]any)
			if typ, _ := ev["Type"].(string); typ != "HttpApi" {
				continue
			}
			props, _ := ev["Properties"].(map[string]any)
			path, _ := props["Path"].(string)
			method, _ := props["Method"].(string)
			r := Route{Function: id, Event: name, Method: strings.ToUpper(method), Path: path}
			if path == "" && method == "" {
				r.Path, r.Method = DefaultRoute, "ANY"
			}
			if r.Method == "" {
				r.Method = "ANY"
			}
			routes = append(routes, r)
		}
	}
	sort.Slice(routes, func(i, j int) bool {
		if routes[i].Path != routes[j].Path {
			return routes[i].Path < routes[j].Path
		}
		return routes[i].Method < routes[j].Method
	})
	return routes
}

// FunctionTimeout returns the configured timeout of a function: its own
// Timeout, else Globals.Function.Timeout, else Lambda's default of 3 seconds.
func (t *Template) FunctionTimeout(id string) time.Duration {
	if r, ok := t.Resources[id]; ok {
		if s, ok := seconds(r.Properties["Timeout"]); ok {
			return s
		}
	}
	if g, ok := t.Globals["Function"].(map[string]any); ok {
		if s, ok := seconds(g["Timeout"]); ok {
			return s
		}
	}
	return 3 * time.Second
}

func seconds(v any) (time.Duration, bool) {
	switch n := v.(type) {
	case int:
		return time.Duration(n) * time.Second, n > 0
	case float64:
		return time.Duration(n * float64(time.Second)), n > 0
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return time.Duration(f * float64(time.Second)), err == nil && f > 0
	}
	return 0, false
}
