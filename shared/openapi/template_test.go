package openapi

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// repoRoot walks up from the test's working directory to the directory that
// holds go.work.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test's directory")
		}
		dir = parent
	}
}

// mapValue is the value of key in a YAML mapping node, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// templateRoutes reads the HttpApi events of every serverless function in a
// SAM template. It decodes into yaml.Node so CloudFormation tags (!Ref,
// !Sub, !GetAtt, ...) need no special handling.
func templateRoutes(data []byte) (map[string]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("empty template")
	}
	resources := mapValue(doc.Content[0], "Resources")
	if resources == nil {
		return nil, fmt.Errorf("template has no Resources")
	}
	routes := map[string]string{} // "METHOD path" -> function/event
	for i := 0; i+1 < len(resources.Content); i += 2 {
		name, res := resources.Content[i].Value, resources.Content[i+1]
		typ := mapValue(res, "Type")
		if typ == nil || typ.Value != "AWS::Serverless::Function" {
			continue
		}
		events := mapValue(mapValue(res, "Properties"), "Events")
		if events == nil {
			continue
		}
		for j := 0; j+1 < len(events.Content); j += 2 {
			evName, ev := events.Content[j].Value, events.Content[j+1]
			if et := mapValue(ev, "Type"); et == nil || et.Value != "HttpApi" {
				continue
			}
			props := mapValue(ev, "Properties")
			path, method := mapValue(props, "Path"), mapValue(props, "Method")
			if path == nil || method == nil {
				return nil, fmt.Errorf("%s.%s: HttpApi event without Path and Method", name, evName)
			}
			key := strings.ToUpper(method.Value) + " " + path.Value
			if prev, dup := routes[key]; dup {
				return nil, fmt.Errorf("%s declared twice (%s and %s.%s)", key, prev, name, evName)
			}
			routes[key] = name + "." + evName
		}
	}
	return routes, nil
}

func TestTemplateRoutesParser(t *testing.T) {
	const tpl = `
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment: {Variables: {TABLE: !Ref Table, URL: !Sub "https://${Api}"}}
      Events:
        A:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: "/v1/x/{id}", Method: get}
        B:
          Type: DynamoDB
          Properties: {Stream: !GetAtt Table.StreamArn}
`
	got, err := templateRoutes([]byte(tpl))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["GET /v1/x/{id}"] != "Fn.A" {
		t.Fatalf("got %v", got)
	}
}

// TestRoutesMatchTemplate fails when template.yaml and the spec disagree on
// the set of (method, path) pairs.
func TestRoutesMatchTemplate(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := templateRoutes(data)
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	if len(tpl) == 0 {
		t.Fatal("template.yaml declares no HttpApi routes")
	}
	spec := map[string]bool{}
	for _, r := range Routes() {
		spec[r.Method+" "+r.Path] = true
	}
	var onlyTemplate, onlySpec []string
	for k, fn := range tpl {
		if !spec[k] {
			onlyTemplate = append(onlyTemplate, k+"  ("+fn+")")
		}
	}
	for k := range spec {
		if _, ok := tpl[k]; !ok {
			onlySpec = append(onlySpec, k)
		}
	}
	sort.Strings(onlyTemplate)
	sort.Strings(onlySpec)
	if len(onlyTemplate)+len(onlySpec) > 0 {
		t.Errorf("template.yaml and openapi.yaml disagree on routes\n  in template.yaml only:\n    %s\n  in openapi.yaml only:\n    %s",
			strings.Join(orNone(onlyTemplate), "\n    "), strings.Join(orNone(onlySpec), "\n    "))
	}
}

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"(none)"}
	}
	return s
}
