package secrets

import (
	"errors"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"
)

func TestRoundTrip(t *testing.T) {
	keyring.MockInit()
	s := New("AgentDesk-test")
	const server = "https://api.example.com"

	if _, err := s.Session(server); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty keyring: %v", err)
	}
	if err := s.SaveSession(Session{Server: server, Email: "ann@example.com", RefreshToken: "rt-1"}); err != nil {
		t.Fatal(err)
	}
	// Rotation replaces the token.
	if err := s.SaveSession(Session{Server: server, Email: "ann@example.com", RefreshToken: "rt-2"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Session(server)
	if err != nil || got.RefreshToken != "rt-2" || got.Email != "ann@example.com" || got.SavedAt.IsZero() {
		t.Fatalf("Session: %+v %v", got, err)
	}
	if _, err := s.Session("https://other.example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another server's session: %v", err)
	}
	if err := s.DeleteSession(server); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(server); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
	if _, err := s.Session(server); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}

	st := Station{Mode: "dial_number", DialNumber: "+14155550100", Extension: "1001", TeamID: "team_1"}
	if err := s.SaveStation(server, "Ann@Example.com ", st); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Station(server, "ann@example.com"); err != nil || got != st {
		t.Fatalf("Station (email case and spaces ignored): %+v %v", got, err)
	}
	if _, err := s.Station(server, "bob@example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another agent's station: %v", err)
	}
	if _, err := s.Station("https://other.example.com", "ann@example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another server's station: %v", err)
	}
	if err := s.DeleteStation(server, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Station(server, "ann@example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}

	// Services are separate (two instances in one test process).
	other := New("AgentDesk-other")
	_ = s.SaveStation(server, "ann@example.com", st)
	if _, err := other.Station(server, "ann@example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("services leak: %v", err)
	}

	// Something else stored under our key reads as absent.
	if err := keyring.Set("AgentDesk-test", sessionKey(server), "not json"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(server); !errors.Is(err, ErrNotFound) {
		t.Fatalf("garbage entry: %v", err)
	}
}

func TestUnavailable(t *testing.T) {
	cause := errors.New("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files")
	keyring.MockInitWithError(cause)
	t.Cleanup(keyring.MockInit)
	s := New("")

	checks := map[string]error{
		"SaveSession":   s.SaveSession(Session{Server: "https://x", RefreshToken: "rt"}),
		"SaveStation":   s.SaveStation("https://x", "a@b.c", Station{Mode: "extension"}),
		"DeleteSession": s.DeleteSession("https://x"),
		"DeleteStation": s.DeleteStation("https://x", "a@b.c"),
	}
	_, checks["Session"] = s.Session("https://x")
	_, checks["Station"] = s.Station("https://x", "a@b.c")
	for name, err := range checks {
		var u *UnavailableError
		if !errors.As(err, &u) || !errors.Is(err, cause) || !IsUnavailable(err) {
			t.Errorf("%s: %v, want *UnavailableError wrapping the cause", name, err)
		}
		if errors.Is(err, ErrNotFound) {
			t.Errorf("%s: unavailable reads as not found", name)
		}
	}

	// Data too big is not saved either: the same answer.
	keyring.MockInitWithError(keyring.ErrSetDataTooBig)
	if err := s.SaveSession(Session{Server: "https://x"}); !IsUnavailable(err) {
		t.Errorf("too big: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	keyring.MockInit() // the mock's maps are not safe for concurrent use: Store serialises
	s := New("AgentDesk-race")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.SaveSession(Session{Server: "https://x", RefreshToken: string(rune('a' + i))})
			_, _ = s.Session("https://x")
		}()
	}
	wg.Wait()
	if _, err := s.Session("https://x"); err != nil {
		t.Fatal(err)
	}
}

func TestTimeout(t *testing.T) {
	keyring.MockInit()
	mu.Lock() // a keyring that never answers
	defer mu.Unlock()
	s := &Store{Timeout: 20e6}
	if _, err := s.Session("https://x"); !IsUnavailable(err) {
		t.Fatalf("stuck keyring: %v", err)
	}
}
