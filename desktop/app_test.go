package main

import (
	"context"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/agentdesk/agentdesk/desktop/internal/config"
	"github.com/agentdesk/agentdesk/desktop/internal/core"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
)

// contractMethods reads the bound methods listed at the end of view.go:
// name -> number of parameters, and whether it returns a State.
func contractMethods(t *testing.T) map[string][2]int {
	t.Helper()
	src, err := os.ReadFile("internal/view/view.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^//\t(\w+)\(([^)]*)\)\s*(\S*)`)
	out := map[string][2]int{}
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		// "code, pw string" is two parameters: count the names.
		params := 0
		if strings.TrimSpace(m[2]) != "" {
			params = len(strings.Split(m[2], ","))
		}
		returns := 0
		if m[3] == "State" {
			returns = 1
		}
		out[m[1]] = [2]int{params, returns}
	}
	if len(out) < 20 {
		t.Fatalf("found %d bound methods in view.go: %v", len(out), out)
	}
	return out
}

// TestBoundMethodsAreTheContract: the App exports exactly the methods the
// contract lists, with as many parameters, returning a State where it says.
func TestBoundMethodsAreTheContract(t *testing.T) {
	want := contractMethods(t)
	typ := reflect.TypeFor[*App]()
	var got []string
	stateType := reflect.TypeFor[view.State]()
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		got = append(got, m.Name)
		w, ok := want[m.Name]
		if !ok {
			t.Errorf("App.%s is bound but not in the contract", m.Name)
			continue
		}
		params := m.Type.NumIn() - 1
		returnsState := m.Type.NumOut() == 1 && m.Type.Out(0) == stateType
		if params != w[0] || returnsState != (w[1] == 1) {
			t.Errorf("App.%s: %d parameters, returns State %v; contract says %d, %v", m.Name, params, returnsState, w[0], w[1] == 1)
		}
	}
	for name := range want {
		if _, ok := typ.MethodByName(name); !ok {
			t.Errorf("the contract's %s is not bound", name)
		}
	}
	sort.Strings(got)
	t.Logf("bound: %s", strings.Join(got, " "))
}

type fakeRuntime struct {
	mu     sync.Mutex
	events []any
	calls  []string
}

func (f *fakeRuntime) EventsEmit(_ context.Context, name string, data ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "emit "+name)
	f.events = append(f.events, data...)
}
func (f *fakeRuntime) WindowUnminimise(context.Context) { f.record("unminimise") }
func (f *fakeRuntime) WindowShow(context.Context)       { f.record("show") }
func (f *fakeRuntime) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func TestAppRuntimeBehindInterface(t *testing.T) {
	keyring.MockInit()
	rt := &fakeRuntime{}
	app := NewApp(nil, rt)
	c := core.New(core.Config{Version: "t", Platform: "linux", Resolver: &config.Resolver{Dir: t.TempDir()}, Emitter: emitter{app}})
	app.core = c
	defer c.Close()

	// Before Wails starts nothing reaches the runtime (it would panic).
	emitter{app}.Emit(view.State{Step: view.StepServer})
	app.secondInstance()
	if len(rt.calls) != 0 {
		t.Fatalf("runtime called before startup: %v", rt.calls)
	}
	app.startup(context.Background())
	emitter{app}.Emit(view.State{Step: view.StepServer})
	app.secondInstance()
	if want := []string{"emit view", "unminimise", "show"}; !reflect.DeepEqual(rt.calls, want) {
		t.Fatalf("runtime calls %v, want %v", rt.calls, want)
	}
	if s, ok := rt.events[0].(view.State); !ok || s.Step != view.StepServer {
		t.Fatalf("emitted %#v", rt.events[0])
	}
	// The bound methods reach the core.
	if s := app.Init(); s.Step != view.StepServer || s.Version != "t" {
		t.Fatalf("Init %+v", s)
	}
	if got := app.NormalizeDialNumber("+1 (415) 555-0100"); got != "+14155550100" {
		t.Fatalf("NormalizeDialNumber %q", got)
	}
	app.shutdown(context.Background())
}

func TestOSLanguage(t *testing.T) {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"} {
		t.Setenv(k, "")
	}
	if got := osLanguage(); got != "en" {
		t.Fatalf("no locale: %q", got)
	}
	t.Setenv("LANGUAGE", "pt_BR:en")
	if got := osLanguage(); got != "pt_BR" {
		t.Fatalf("LANGUAGE: %q", got)
	}
	t.Setenv("LANG", "fr_FR.UTF-8")
	if got := osLanguage(); got != "fr_FR.UTF-8" {
		t.Fatalf("LANG: %q", got)
	}
}
