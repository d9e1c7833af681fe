package config

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.example.com":                 "https://api.example.com",
		" https://API.Example.com/ ":              "https://api.example.com",
		"https://abc.execute-api.aws.com/prod/":   "https://abc.execute-api.aws.com/prod",
		"https://api.example.com/?x=1#frag":       "https://api.example.com",
		"api.example.com":                         "https://api.example.com",
		"127.0.0.1:3000":                          "http://127.0.0.1:3000",
		"localhost:3000/stage":                    "http://localhost:3000/stage",
		"[::1]:3000":                              "http://[::1]:3000",
		"http://10.0.0.5:8080":                    "http://10.0.0.5:8080",
		"HTTPS://agentdesk.example.org:8443/base": "https://agentdesk.example.org:8443/base",
	} {
		got, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "   ", "ftp://example.com", "https://", "https://user:pw@example.com", "mailto:a@b.c", "http://%zz"} {
		_, err := Normalize(in)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidURL {
			t.Errorf("Normalize(%q): %v, want %s", in, err, CodeInvalidURL)
		}
	}
}

func TestCheck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok/v1/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-1")
		_, _ = w.Write([]byte(`{"status":"ok","version":"test"}`))
	})
	mux.HandleFunc("GET /sick/v1/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"degraded"}`))
	})
	mux.HandleFunc("GET /html/v1/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<html>welcome</html>`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	got, err := Check(ctx, srv.Client(), srv.URL+"/ok/")
	if err != nil || got != srv.URL+"/ok" {
		t.Fatalf("Check ok: %q, %v", got, err)
	}
	for path, code := range map[string]string{
		"/nothing-here": CodeNotAgentDesk, // 404
		"/sick":         CodeNotAgentDesk,
		"/html":         CodeNotAgentDesk, // 200 but not JSON
	} {
		_, err := Check(ctx, srv.Client(), srv.URL+path)
		var e *Error
		if !errors.As(err, &e) || e.Code != code {
			t.Errorf("Check %s: %v, want %s", path, err, code)
		}
	}
	// A port nobody listens on.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	_, err = Check(ctx, nil, deadURL)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeServerUnreachable {
		t.Errorf("Check closed port: %v, want %s", err, CodeServerUnreachable)
	}
	if _, err := Check(ctx, nil, "ftp://x"); !errors.As(err, &e) || e.Code != CodeInvalidURL {
		t.Errorf("Check ftp: %v", err)
	}
}

func TestResolveOrder(t *testing.T) {
	exeDir, userDir := t.TempDir(), filepath.Join(t.TempDir(), AppDir)
	env := map[string]string{}
	r := &Resolver{ExeDir: exeDir, Dir: userDir, Getenv: func(k string) string { return env[k] }}

	expect := func(wantURL string, wantSrc Source) {
		t.Helper()
		u, src, err := r.Resolve()
		if err != nil || u != wantURL || src != wantSrc {
			t.Fatalf("Resolve = %q %q %v; want %q %q", u, src, err, wantURL, wantSrc)
		}
	}
	expect("", SourceNone) // first run

	if _, err := r.Update(func(s *Settings) { s.Server = "https://saved.example.com/"; s.Language = "fr" }); err != nil {
		t.Fatal(err)
	}
	expect("https://saved.example.com", SourceSaved)

	if err := os.WriteFile(filepath.Join(exeDir, DeployFile), []byte(`{"server": "https://deployed.example.com"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	expect("https://deployed.example.com", SourceFile)

	env[EnvServer] = "https://env.example.com"
	expect("https://env.example.com", SourceEnv)

	r.Flag = "https://flag.example.com"
	expect("https://flag.example.com", SourceFlag)

	// A set but broken value is reported with its source, not skipped.
	r.Flag = "ftp://nope"
	_, src, err := r.Resolve()
	var e *Error
	if src != SourceFlag || !errors.As(err, &e) || e.Code != CodeInvalidURL {
		t.Fatalf("broken flag: %q %v", src, err)
	}
	r.Flag = ""
	delete(env, EnvServer)
	if err := os.WriteFile(filepath.Join(exeDir, DeployFile), []byte(`{not json`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, src, err := r.Resolve(); src != SourceFile || !errors.As(err, &e) {
		t.Fatalf("broken deployment file: %q %v", src, err)
	}
	// A deployment file without a server falls through to the saved one.
	if err := os.WriteFile(filepath.Join(exeDir, DeployFile), []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	expect("https://saved.example.com", SourceSaved)
}

func TestSettings(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", AppDir)
	r := &Resolver{Dir: dir}
	s, err := r.Load()
	if err != nil || s != (Settings{}) {
		t.Fatalf("fresh Load: %+v %v", s, err)
	}
	id := r.DeviceID()
	if id == "" || r.DeviceID() != id {
		t.Fatalf("device id not kept: %q", id)
	}
	if _, err := r.Update(func(s *Settings) { s.Language = "pt-BR" }); err != nil {
		t.Fatal(err)
	}
	s, err = r.Load()
	if err != nil || s.Language != "pt-BR" || s.DeviceID != id {
		t.Fatalf("after Update: %+v %v", s, err)
	}
	fi, err := os.Stat(filepath.Join(dir, SettingsFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("settings file: %v %v", fi, err)
	}
	// A corrupt file reads as an error and is replaced by Update.
	if err := os.WriteFile(filepath.Join(dir, SettingsFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Load(); err == nil {
		t.Fatal("corrupt settings read without error")
	}
	if _, err := r.Update(func(s *Settings) { s.Server = "https://x.example.com" }); err != nil {
		t.Fatal(err)
	}
	if s, err := r.Load(); err != nil || s.Server != "https://x.example.com" {
		t.Fatalf("after repair: %+v %v", s, err)
	}
	// No directory: nothing is kept, nothing fails.
	none := &Resolver{}
	if err := none.Save(Settings{Server: "x"}); err != nil {
		t.Fatal(err)
	}
	if none.DeviceID() == "" {
		t.Fatal("no device id without a directory")
	}
}
