package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/shared/api"
)

// fakeAuth is a refresh endpoint with single-use tokens: a spent token
// is refused, as the server does (and then revokes the family).
type fakeAuth struct {
	mu      sync.Mutex
	valid   string
	n       int
	calls   atomic.Int32
	release chan struct{} // when set, each refresh waits for it
	started chan struct{} // told when a refresh arrives
	reused  atomic.Bool
}

func newFake(hold bool) *fakeAuth {
	f := &fakeAuth{started: make(chan struct{}, 100)}
	if hold {
		f.release = make(chan struct{})
	}
	return f
}

func (f *fakeAuth) refresh(ctx context.Context, rt string) (*api.TokenResponse, error) {
	f.calls.Add(1)
	f.started <- struct{}{}
	if f.release != nil {
		<-f.release
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if rt != f.valid {
		f.reused.Store(true)
		return nil, &api.Problem{Status: 401, Code: api.CodeInvalidToken}
	}
	f.n++
	f.valid = fmt.Sprintf("rt-%d", f.n)
	return &api.TokenResponse{AccessToken: fmt.Sprintf("at-%d", f.n), RefreshToken: f.valid, ExpiresIn: 900}, nil
}

// newTokens returns tokens holding rt-0, and what the keyring was told
// (each rotation is also signalled on the channel).
func newTokens(f *fakeAuth, now func() time.Time) (*tokens, *[]string, chan string) {
	var saved []string
	var mu sync.Mutex
	rotated := make(chan string, 100)
	t := &tokens{refresh: f.refresh, now: now, margin: time.Minute, timeout: 5 * time.Second,
		rotated: func(tok *api.TokenResponse) {
			mu.Lock()
			saved = append(saved, tok.RefreshToken)
			mu.Unlock()
			rotated <- tok.RefreshToken
		}}
	f.valid = "rt-0"
	t.set(&api.TokenResponse{AccessToken: "at-0", RefreshToken: "rt-0", ExpiresIn: 900})
	return t, &saved, rotated
}

func TestConcurrentRefreshesCoalesce(t *testing.T) {
	f := newFake(true)
	tk, saved, _ := newTokens(f, time.Now)
	gen, _ := tk.current()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 10 {
		wg.Add(2)
		go func() { defer wg.Done(); errs <- tk.refreshFrom(ctx, gen) }() // 401s of the API client
		go func() { defer wg.Done(); errs <- tk.Refresh(ctx) }()          // the keeper's and push's Refresher
	}
	// One request goes out; whoever asks before it answers shares it,
	// whoever asks after finds it done.
	<-f.started
	close(f.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if f.calls.Load() != 1 || f.reused.Load() {
		t.Fatalf("%d refresh requests (reused a spent token: %v), want 1", f.calls.Load(), f.reused.Load())
	}
	if got, _ := tk.Token(ctx); got != "at-1" {
		t.Fatalf("access token %q", got)
	}
	if len(*saved) != 1 || (*saved)[0] != "rt-1" {
		t.Fatalf("keyring told %v", *saved)
	}
	// A refresh asked for right after one succeeded is served by it.
	if err := tk.Refresh(ctx); err != nil || f.calls.Load() != 1 {
		t.Fatalf("recent refresh: %v, %d calls", err, f.calls.Load())
	}
	// A caller holding an older generation needs nothing more.
	if err := tk.refreshFrom(ctx, gen); err != nil || f.calls.Load() != 1 {
		t.Fatalf("stale generation: %v, %d calls", err, f.calls.Load())
	}
}

func TestTokenRefreshesBeforeExpiry(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	f := newFake(false)
	tk, saved, _ := newTokens(f, now)
	ctx := context.Background()
	if got, _ := tk.Token(ctx); got != "at-0" || f.calls.Load() != 0 {
		t.Fatalf("fresh token %q, %d calls", got, f.calls.Load())
	}
	offset.Store(int64(14*time.Minute + 30*time.Second)) // within the minute before expiry
	if got, _ := tk.Token(ctx); got != "at-1" || f.calls.Load() != 1 || len(*saved) != 1 {
		t.Fatalf("due token %q, %d calls, saved %v", got, f.calls.Load(), *saved)
	}
	// The refresh fails (offline): the old token still goes out.
	offset.Store(int64(29*time.Minute + 30*time.Second))
	f.mu.Lock()
	f.valid = "something else"
	f.mu.Unlock()
	if got, err := tk.Token(ctx); got != "at-1" || err != nil {
		t.Fatalf("failed refresh: %q %v", got, err)
	}
	// Signed out: no token, no refresh.
	tk.clear()
	if got, _ := tk.Token(ctx); got != "" {
		t.Fatalf("token after clear: %q", got)
	}
	if err := tk.Refresh(ctx); !errors.Is(err, ErrSignedOut) {
		t.Fatalf("refresh after clear: %v", err)
	}
}

func TestRefreshOutlivesItsCaller(t *testing.T) {
	f := newFake(true)
	tk, saved, rotated := newTokens(f, time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tk.Refresh(ctx) }()
	<-f.started
	cancel() // the caller gives up; the server has already rotated
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("caller: %v", err)
	}
	close(f.release)
	// The rotated pair is kept: the next refresh spends rt-1, not the spent rt-0.
	if rt := <-rotated; rt != "rt-1" {
		t.Fatalf("rotated to %q", rt)
	}
	gen, _ := tk.current()
	// (The first try may join the refresh still finishing; the next goes out.)
	for f.calls.Load() < 2 {
		if err := tk.refreshFrom(context.Background(), gen); err != nil {
			t.Fatalf("next refresh: %v", err)
		}
	}
	if f.reused.Load() {
		t.Fatal("a spent refresh token was sent")
	}
	if len(*saved) != 2 || (*saved)[1] != "rt-2" {
		t.Fatalf("saved %v", *saved)
	}
}

func TestSignOutDuringRefresh(t *testing.T) {
	f := newFake(true)
	tk, saved, _ := newTokens(f, time.Now)
	done := make(chan error, 1)
	go func() { done <- tk.Refresh(context.Background()) }()
	<-f.started
	if rt := tk.clear(); rt != "rt-0" {
		t.Fatalf("clear gave %q", rt)
	}
	close(f.release)
	if err := <-done; !errors.Is(err, ErrSignedOut) {
		t.Fatalf("refresh across a sign-out: %v", err)
	}
	if got, _ := tk.Token(context.Background()); got != "" || len(*saved) != 0 {
		t.Fatalf("tokens came back after sign-out: %q, saved %v", got, *saved)
	}
}
