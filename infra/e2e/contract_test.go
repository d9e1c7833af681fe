package e2e

import (
	"sort"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/functions/httpapi"
	"github.com/agentdesk/agentdesk/infra/template"
	"github.com/agentdesk/agentdesk/shared/openapi"
)

// TestTemplateSpecAndHandlersAgree: every route of template.yaml is served
// by its function's handler and documented in the OpenAPI spec, and
// nothing else is. (shared/openapi checks spec == template too.)
func TestTemplateSpecAndHandlersAgree(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	var fromTemplate, fromHandlers, fromSpec []string
	for _, r := range tpl.Routes() {
		fromTemplate = append(fromTemplate, r.Function+" "+r.Method+" "+r.Path)
	}
	for fn, patterns := range httpapi.Patterns() {
		for _, p := range patterns {
			fromHandlers = append(fromHandlers, fn+" "+p)
		}
	}
	byPath := map[string]string{}
	for _, r := range tpl.Routes() {
		byPath[r.Method+" "+r.Path] = r.Function
	}
	for _, r := range openapi.Routes() {
		fromSpec = append(fromSpec, byPath[r.Method+" "+r.Path]+" "+r.Method+" "+r.Path)
	}
	sort.Strings(fromTemplate)
	sort.Strings(fromHandlers)
	sort.Strings(fromSpec)
	if a, b := strings.Join(fromTemplate, "\n"), strings.Join(fromHandlers, "\n"); a != b {
		t.Errorf("template.yaml and the handlers disagree.\ntemplate:\n%s\n\nhandlers:\n%s", a, b)
	}
	if a, b := strings.Join(fromTemplate, "\n"), strings.Join(fromSpec, "\n"); a != b {
		t.Errorf("template.yaml and the OpenAPI spec disagree.\ntemplate:\n%s\n\nspec:\n%s", a, b)
	}
}
