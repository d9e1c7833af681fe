// Package secrets keeps what the desktop must not write to a plain file in
// the OS keyring (Secret Service on Linux, Keychain on macOS, Credential
// Manager on Windows, through go-keyring):
//
//   - the refresh token of the signed-in agent, per server, so a relaunch
//     restores the session;
//   - the station details of "Remember my credentials" (mode, dial number,
//     extension, team), per server and email, pre-filled next time.
//
// When there is no keyring (no Secret Service on a Linux box, a locked
// keychain), every operation fails with an *UnavailableError: the app
// says the credentials were not saved and carries on without them.
// Tests call keyring.MockInit() (or MockInitWithError).
package secrets

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// DefaultService is the keyring service name entries are stored under.
const DefaultService = "AgentDesk"

// DefaultTimeout bounds one keyring operation: a Secret Service waiting on
// an unlock prompt nobody answers counts as unavailable.
const DefaultTimeout = 5 * time.Second

// ErrNotFound is an entry that is not in the keyring.
var ErrNotFound = errors.New("secrets: not found in the keyring")

// UnavailableError is a keyring that cannot be used; Err is the cause.
type UnavailableError struct {
	Op  string // get | set | delete
	Err error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("secrets: keyring unavailable (%s): %v", e.Op, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// IsUnavailable reports whether err says the keyring cannot be used.
func IsUnavailable(err error) bool {
	var u *UnavailableError
	return errors.As(err, &u)
}

// Session is a signed-in agent's session, restored on relaunch.
type Session struct {
	Server       string    `json:"server"`
	Email        string    `json:"email"`
	RefreshToken string    `json:"refresh_token"`
	SavedAt      time.Time `json:"saved_at"`
}

// Station is "Remember my credentials": the station details pre-filled at
// the next sign-in.
type Station struct {
	Mode       string `json:"mode"`
	DialNumber string `json:"dial_number,omitempty"`
	Extension  string `json:"extension,omitempty"`
	TeamID     string `json:"team_id,omitempty"`
}

// Store reads and writes the keyring. The zero value uses DefaultService
// and DefaultTimeout.
type Store struct {
	Service string
	Timeout time.Duration
}

// New returns a Store under service ("" for DefaultService).
func New(service string) *Store { return &Store{Service: service} }

func (s *Store) service() string {
	if s == nil || s.Service == "" {
		return DefaultService
	}
	return s.Service
}

func sessionKey(server string) string { return "session|" + server }

func stationKey(server, email string) string {
	return "station|" + server + "|" + strings.ToLower(strings.TrimSpace(email))
}

// SaveSession stores the session of sess.Server (replacing the previous
// one: refresh tokens rotate on every use).
func (s *Store) SaveSession(sess Session) error {
	if sess.SavedAt.IsZero() {
		sess.SavedAt = time.Now().UTC()
	}
	return s.put(sessionKey(sess.Server), sess)
}

// Session is the saved session for server, or ErrNotFound.
func (s *Store) Session(server string) (Session, error) {
	var sess Session
	err := s.get(sessionKey(server), &sess)
	return sess, err
}

// DeleteSession forgets the session for server (no error when none).
func (s *Store) DeleteSession(server string) error {
	return s.del(sessionKey(server))
}

// SaveStation remembers the station details of email on server.
func (s *Store) SaveStation(server, email string, st Station) error {
	return s.put(stationKey(server, email), st)
}

// Station is the remembered station of email on server, or ErrNotFound.
func (s *Store) Station(server, email string) (Station, error) {
	var st Station
	err := s.get(stationKey(server, email), &st)
	return st, err
}

// DeleteStation forgets the station details of email on server (no error
// when none).
func (s *Store) DeleteStation(server, email string) error {
	return s.del(stationKey(server, email))
}

func (s *Store) put(key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.call("set", func() (string, error) { return "", keyring.Set(s.service(), key, string(data)) })
	return err
}

func (s *Store) get(key string, v any) error {
	data, err := s.call("get", func() (string, error) { return keyring.Get(s.service(), key) })
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(data), v); err != nil {
		// Not ours, or from an older version: treat as absent.
		return ErrNotFound
	}
	return nil
}

func (s *Store) del(key string) error {
	_, err := s.call("delete", func() (string, error) { return "", keyring.Delete(s.service(), key) })
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// mu serialises keyring calls: go-keyring's providers (and its mock) are
// process-wide and not all of them are safe for concurrent use.
var mu sync.Mutex

// call runs op with the keyring lock, within the timeout, and sorts its
// error: ErrNotFound, or *UnavailableError for anything else.
func (s *Store) call(name string, op func() (string, error)) (string, error) {
	timeout := DefaultTimeout
	if s != nil && s.Timeout > 0 {
		timeout = s.Timeout
	}
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		mu.Lock()
		defer mu.Unlock()
		v, err := op()
		done <- result{v, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(timeout):
		return "", &UnavailableError{Op: name, Err: fmt.Errorf("no answer within %v", timeout)}
	}
	switch {
	case r.err == nil:
		return r.v, nil
	case errors.Is(r.err, keyring.ErrNotFound):
		return "", ErrNotFound
	default:
		return "", &UnavailableError{Op: name, Err: r.err}
	}
}

// ErrorCode is the code the UI shows: keyring_unavailable.
func (e *UnavailableError) ErrorCode() string { return "keyring_unavailable" }
