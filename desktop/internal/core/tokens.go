package core

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/shared/api"
)

// ErrSignedOut is a token asked for while no agent is signed in.
var ErrSignedOut = errors.New("core: not signed in")

// tokens holds the access and refresh tokens of the signed-in agent. A
// refresh token is single use (the server rotates it on every refresh and
// revokes the family when a spent one comes back), so refreshes are
// coalesced: one request at a time, and every caller waiting meanwhile
// shares its answer.
type tokens struct {
	// refresh exchanges a refresh token (POST /v1/auth/refresh).
	refresh func(ctx context.Context, refreshToken string) (*api.TokenResponse, error)
	// rotated is told every new pair, before any other refresh may start
	// (the keyring must never keep a spent token).
	rotated func(*api.TokenResponse)
	now     func() time.Time
	// margin: the access token is refreshed this long before it expires.
	margin time.Duration
	// timeout bounds one refresh, which runs to its end even when the
	// caller who started it gives up (its answer carries the only valid
	// refresh token).
	timeout time.Duration

	mu       sync.Mutex
	access   string
	rt       string
	expires  time.Time
	gen      uint64 // grows with every new pair and with clear
	done     time.Time
	inflight *refreshCall
}

type refreshCall struct {
	done chan struct{}
	err  error
}

// recentRefresh: a refresh asked for this soon after one succeeded is
// served by it (a keeper and a push channel both refused at once).
const recentRefresh = 2 * time.Second

// set keeps a new pair (sign-in).
func (t *tokens) set(tok *api.TokenResponse) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.store(tok)
}

func (t *tokens) store(tok *api.TokenResponse) {
	t.access, t.rt = tok.AccessToken, tok.RefreshToken
	t.expires = time.Time{}
	if tok.ExpiresIn > 0 {
		t.expires = t.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	t.gen++
}

// clear forgets the tokens and returns the refresh token, for logout. A
// refresh in flight no longer stores its answer.
func (t *tokens) clear() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	rt := t.rt
	t.access, t.rt, t.expires = "", "", time.Time{}
	t.gen++
	return rt
}

// current is the generation and refresh token as they stand.
func (t *tokens) current() (gen uint64, refreshToken string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen, t.rt
}

// Token is the client's TokenSource: the access token, refreshed first
// when it is about to expire. If that refresh fails the old token goes out
// and the server's answer decides.
func (t *tokens) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	access, gen := t.access, t.gen
	due := t.rt != "" && !t.expires.IsZero() && !t.now().Before(t.expires.Add(-t.margin))
	t.mu.Unlock()
	if access == "" {
		return "", nil
	}
	if due {
		if err := t.refreshFrom(ctx, gen); err == nil {
			t.mu.Lock()
			access = t.access
			t.mu.Unlock()
		}
	}
	return access, nil
}

// Refresh is the session package's Refresher: a new pair after a refused
// token. A refresh that succeeded a moment ago, or one in flight, serves.
func (t *tokens) Refresh(ctx context.Context) error {
	t.mu.Lock()
	gen := t.gen
	recent := !t.done.IsZero() && t.now().Sub(t.done) < recentRefresh
	t.mu.Unlock()
	if recent {
		return nil
	}
	return t.refreshFrom(ctx, gen)
}

// refreshFrom refreshes unless the pair has changed since generation gen
// (someone refreshed already: nothing to do).
func (t *tokens) refreshFrom(ctx context.Context, gen uint64) error {
	t.mu.Lock()
	if t.rt == "" {
		t.mu.Unlock()
		return ErrSignedOut
	}
	call := t.inflight
	if call == nil {
		if t.gen != gen {
			t.mu.Unlock()
			return nil
		}
		call = &refreshCall{done: make(chan struct{})}
		t.inflight = call
		go t.run(call, t.rt, t.gen)
	}
	t.mu.Unlock()
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *tokens) run(call *refreshCall, rt string, gen uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), t.timeout)
	tok, err := t.refresh(ctx, rt)
	cancel()
	t.mu.Lock()
	kept := err == nil && t.gen == gen // not signed out meanwhile
	if kept {
		t.store(tok)
		t.done = t.now()
	}
	t.mu.Unlock()
	if kept && t.rotated != nil {
		t.rotated(tok)
	}
	if err == nil && !kept {
		err = ErrSignedOut
	}
	t.mu.Lock()
	t.inflight = nil
	t.mu.Unlock()
	call.err = err
	close(call.done)
}
