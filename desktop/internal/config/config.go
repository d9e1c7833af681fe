// Package config finds the AgentDesk server the desktop talks to and keeps
// the agent's own settings.
//
// The server URL comes from, in this order: the --server flag, the
// AGENTDESK_SERVER environment variable, a deployment file installed next
// to the executable (agentdesk.json, {"server": "https://..."}: for mass
// deployment), then the URL the agent entered on first run, saved in the
// user's config directory (os.UserConfigDir()/AgentDesk/settings.json,
// which also keeps the chosen language and the device id).
//
// A URL is checked with GET /v1/health, which must answer
// {"status":"ok"}; Check's errors carry a code the UI explains.
package config

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// Names of the environment variable and files.
const (
	EnvServer    = "AGENTDESK_SERVER"
	DeployFile   = "agentdesk.json" // next to the executable
	AppDir       = "AgentDesk"      // under os.UserConfigDir()
	SettingsFile = "settings.json"
)

// Source says where the server URL came from.
type Source string

const (
	SourceNone  Source = ""
	SourceFlag  Source = "flag"
	SourceEnv   Source = "env"
	SourceFile  Source = "file"  // the deployment file next to the executable
	SourceSaved Source = "saved" // entered by the agent on first run
)

// Error codes of Check and Normalize, as the UI localises them.
const (
	CodeInvalidURL        = "invalid_url"
	CodeServerUnreachable = "server_unreachable"
	CodeNotAgentDesk      = "not_agentdesk"
)

// Error is a server URL that cannot be used.
type Error struct {
	Code string // CodeInvalidURL, CodeServerUnreachable or CodeNotAgentDesk
	URL  string
	// RequestID and Status are the health answer's, when one came.
	RequestID string
	Status    int
	Err       error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("config: server %q: %s", e.URL, e.Code)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Normalize checks that s is an http(s) URL of a server and returns it
// without trailing slash, query or fragment (a path prefix, such as an API
// Gateway stage, is kept). A URL typed without a scheme gets https://, or
// http:// for a loopback host (the local stack).
func Normalize(s string) (string, error) {
	raw := strings.TrimSpace(s)
	bad := func(err error) (string, error) { return "", &Error{Code: CodeInvalidURL, URL: raw, Err: err} }
	if raw == "" || !validate.Length(raw, validate.MaxURL) {
		return bad(errors.New("empty or too long"))
	}
	if !strings.Contains(raw, "://") {
		host := raw
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if isLoopback(host) {
			raw = "http://" + raw
		} else {
			raw = "https://" + raw
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad(err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return bad(fmt.Errorf("scheme %q: want http or https", u.Scheme))
	}
	if u.Hostname() == "" || u.User != nil || u.Opaque != "" {
		return bad(errors.New("want http(s)://host[:port][/prefix]"))
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath, u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = "", "", "", "", false
	return u.String(), nil
}

func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Check normalises raw and asks the server's GET /v1/health; it returns the
// normalised URL when the answer is {"status":"ok"}. hc may be nil.
func Check(ctx context.Context, hc *http.Client, raw string) (string, error) {
	u, err := Normalize(raw)
	if err != nil {
		return "", err
	}
	var opts []client.Option
	if hc != nil {
		opts = append(opts, client.WithHTTPClient(hc))
	}
	c := client.New(u, opts...)
	h, err := c.Health(ctx)
	var (
		p  *api.Problem
		ne *client.NetworkError
		re *client.ResponseError
	)
	switch {
	case err == nil && h.Status == "ok":
		return u, nil
	case err == nil:
		return "", &Error{Code: CodeNotAgentDesk, URL: u, Status: http.StatusOK, RequestID: c.LastRequestID(), Err: fmt.Errorf("health status %q", h.Status)}
	case errors.As(err, &ne):
		return "", &Error{Code: CodeServerUnreachable, URL: u, Err: err}
	case errors.As(err, &p):
		return "", &Error{Code: CodeNotAgentDesk, URL: u, Status: p.Status, RequestID: p.RequestID, Err: err}
	case errors.As(err, &re):
		return "", &Error{Code: CodeNotAgentDesk, URL: u, Status: re.Status, RequestID: re.RequestID, Err: err}
	default:
		return "", &Error{Code: CodeInvalidURL, URL: u, Err: err}
	}
}

// Settings are the agent's own, kept in the user config directory.
type Settings struct {
	Server   string `json:"server,omitempty"`
	Language string `json:"language,omitempty"`
	// DeviceID identifies this installation to the server (generated once).
	DeviceID string `json:"device_id,omitempty"`
}

// Resolver finds the server URL. The zero value reads nothing; New fills it
// from the process.
type Resolver struct {
	Flag   string              // the --server flag
	Getenv func(string) string // os.Getenv
	// ExeDir is the executable's directory, where the deployment file is
	// looked for ("" skips it).
	ExeDir string
	// Dir is the user's AgentDesk config directory ("" keeps nothing).
	Dir string
}

// New is the Resolver of this process: the flag value given, the real
// environment, the executable's directory and os.UserConfigDir()/AgentDesk.
func New(flagServer string) *Resolver {
	r := &Resolver{Flag: flagServer, Getenv: os.Getenv}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		r.ExeDir = filepath.Dir(exe)
	}
	if dir, err := os.UserConfigDir(); err == nil {
		r.Dir = filepath.Join(dir, AppDir)
	}
	return r
}

// Resolve returns the server URL and where it came from, or SourceNone
// when nothing names one (first run: ask the agent). A value that is set
// but not a valid URL is an *Error (CodeInvalidURL) with its Source, so the
// UI can say which setting is wrong; the sources after it are not read.
func (r *Resolver) Resolve() (string, Source, error) {
	try := func(v string, src Source) (string, Source, error, bool) {
		if strings.TrimSpace(v) == "" {
			return "", SourceNone, nil, false
		}
		u, err := Normalize(v)
		return u, src, err, true
	}
	if u, src, err, ok := try(r.Flag, SourceFlag); ok {
		return u, src, err
	}
	if r.Getenv != nil {
		if u, src, err, ok := try(r.Getenv(EnvServer), SourceEnv); ok {
			return u, src, err
		}
	}
	if r.ExeDir != "" {
		v, err := readDeployFile(filepath.Join(r.ExeDir, DeployFile))
		if err != nil {
			return "", SourceFile, &Error{Code: CodeInvalidURL, URL: filepath.Join(r.ExeDir, DeployFile), Err: err}
		}
		if u, src, err, ok := try(v, SourceFile); ok {
			return u, src, err
		}
	}
	s, _ := r.Load() // an unreadable settings file is a first run
	if u, src, err, ok := try(s.Server, SourceSaved); ok {
		return u, src, err
	}
	return "", SourceNone, nil
}

// readDeployFile reads {"server": "..."}; a missing file is "".
func readDeployFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var f struct {
		Server string `json:"server"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return f.Server, nil
}

// path is the settings file, or "".
func (r *Resolver) path() string {
	if r.Dir == "" {
		return ""
	}
	return filepath.Join(r.Dir, SettingsFile)
}

// Load reads the saved settings; a missing file gives zero Settings.
func (r *Resolver) Load() (Settings, error) {
	var s Settings
	p := r.path()
	if p == "" {
		return s, nil
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return Settings{}, fmt.Errorf("config: %s: %w", p, err)
	}
	return s, nil
}

// Save writes the settings (0600, replaced atomically).
func (r *Resolver) Save(s Settings) error {
	p := r.path()
	if p == "" {
		return nil
	}
	if err := os.MkdirAll(r.Dir, 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(r.Dir, SettingsFile+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// Update loads the settings, applies fn and saves them.
func (r *Resolver) Update(fn func(*Settings)) (Settings, error) {
	s, err := r.Load()
	if err != nil {
		s = Settings{} // a corrupt file is replaced
	}
	fn(&s)
	return s, r.Save(s)
}

// DeviceID returns the installation's device id, generating and saving one
// the first time. When it cannot be saved it still returns a fresh id.
func (r *Resolver) DeviceID() string {
	s, _ := r.Load()
	if s.DeviceID != "" {
		return s.DeviceID
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	id := "dsk_" + hex.EncodeToString(b)
	_, _ = r.Update(func(s *Settings) { s.DeviceID = id })
	return id
}

// ErrorCode is the code the UI localises (CodeInvalidURL, ...).
func (e *Error) ErrorCode() string { return e.Code }

// ErrorRequestID is the health answer's request id, if one came.
func (e *Error) ErrorRequestID() string { return e.RequestID }
