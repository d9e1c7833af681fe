package session

import (
	"context"
	"errors"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
)

// TestLocalStackTakeover tells the takeover story against a running stack,
// as two desktops would: device 1 holds a session with a Keeper and a Push;
// device 2 presses Continue; device 1's keeper must end with TakenOver,
// naming device 2, within a second, through the push channel.
//
// It needs the stack (make run, or go run ./infra/cmd/agentdesk-local) and
// an agent's sign-in, e.g. the demo agent the stack prints:
//
//	AGENTDESK_E2E_URL=http://127.0.0.1:3000 \
//	AGENTDESK_E2E_EMAIL=agent@demo.agentdesk.test AGENTDESK_E2E_PASSWORD=… \
//	go test -run LocalStack -v ./shared/session
//
// Without them it is skipped. (shared cannot import infra, so it does not
// start the stack itself.)
func TestLocalStackTakeover(t *testing.T) {
	base, email, password := os.Getenv("AGENTDESK_E2E_URL"), os.Getenv("AGENTDESK_E2E_EMAIL"), os.Getenv("AGENTDESK_E2E_PASSWORD")
	if base == "" || email == "" || password == "" {
		t.Skip("set AGENTDESK_E2E_URL, AGENTDESK_E2E_EMAIL and AGENTDESK_E2E_PASSWORD to run against a local stack")
	}
	ctx := testCtx(t)
	hc := &http.Client{Timeout: 10 * time.Second}
	anon := client.New(base, client.WithHTTPClient(hc))
	dev1 := api.Device{ID: "dev-session-test-1", Name: "Session test desk", Platform: "linux"}
	dev2 := api.Device{ID: "dev-session-test-2", Name: "Session test laptop", Platform: "windows"}

	// signIn is a desktop's sign-in: a client whose token a refresh replaces.
	signIn := func(dev api.Device) (*client.Client, *atomic.Pointer[api.TokenResponse], Refresher) {
		tok, err := anon.Login(ctx, api.LoginRequest{Email: email, Password: password, Device: dev})
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		cur := &atomic.Pointer[api.TokenResponse]{}
		cur.Store(tok)
		t.Cleanup(func() { _ = anon.Logout(context.Background(), cur.Load().RefreshToken) })
		c := client.New(base, client.WithHTTPClient(hc), client.WithTokenSource(func(context.Context) (string, error) {
			return cur.Load().AccessToken, nil
		}))
		refresh := func(ctx context.Context) error {
			next, err := anon.Refresh(ctx, cur.Load().RefreshToken)
			if err == nil {
				cur.Store(next)
			}
			return err
		}
		return c, cur, refresh
	}

	// Device 1: station login (taking over whatever a previous run left),
	// push channel, keeper.
	c1, tok1, refresh1 := signIn(dev1)
	me, err := c1.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.PushURL == "" {
		t.Fatal("the stack gives no push_url")
	}
	req := api.CreateSessionRequest{Station: api.Station{Mode: api.StationExtension}, Device: dev1, Takeover: true}
	if len(me.User.TeamIDs) > 0 {
		req.TeamID = me.User.TeamIDs[0]
	}
	s1, err := c1.CreateSession(ctx, req)
	if err != nil {
		t.Fatalf("station login: %v", err)
	}
	kr := startKeeper(t, KeeperConfig{API: c1, Session: *s1, RefreshToken: refresh1,
		LastActivity: time.Now, InactivityTimeout: time.Duration(me.Tenant.InactivityTimeoutMinutes) * time.Minute})
	if st := kr.status(t); st.State != Healthy {
		t.Fatalf("keeper %+v", st)
	}
	pr := startPush(t, PushConfig{URL: me.PushURL, DeviceID: dev1.ID, RefreshToken: refresh1,
		Token: func(context.Context) (string, error) { return tok1.Load().AccessToken, nil }})
	pr.state(t, PushConnecting)
	pr.state(t, PushConnected)

	// Device 2 presses Continue.
	c2, _, _ := signIn(dev2)
	req.Device = dev2
	continued := time.Now()
	s2, err := c2.CreateSession(ctx, req)
	if err != nil {
		t.Fatalf("takeover: %v", err)
	}
	t.Cleanup(func() { _ = c2.EndSession(context.Background(), s2.SessionID) })

	// The push channel brings the event; the app hands it to the keeper.
	for {
		ev := waitFor(t, pr.events, "the takeover event")
		if kr.k.HandlePush(ev) {
			break
		}
		t.Logf("left to the app: %+v", ev)
	}
	end := kr.ended(t)
	told := time.Since(continued)
	if end.Cause != TakenOver || end.Holder == nil || end.Holder.DeviceName != dev2.Name {
		t.Fatalf("end %+v", end)
	}
	if told > time.Second {
		t.Fatalf("device 1 told after %v, want within a second", told)
	}
	t.Logf("Continue -> device 1's keeper ended in %v", told.Round(time.Millisecond))

	// The server agrees: device 1's heartbeat is refused.
	var p *api.Problem
	if _, err := c1.Heartbeat(ctx, s1.SessionID, api.HeartbeatRequest{Epoch: s1.Epoch, LastActivity: time.Now()}); !errors.As(err, &p) || p.Code != api.CodeSessionTakenOver {
		t.Fatalf("device 1's heartbeat: %v", err)
	}
	pr.stop(t)

	// Device 2's keeper, on a manual clock so its heartbeats go out without
	// waiting the tenant's interval: one renews the lease; after station
	// sign-out the next one learns the session was ended.
	clk := NewManualClock(time.Now())
	tap := tappedAPI{Heartbeater: c2, answers: make(chan error, 10)}
	kr2 := startKeeper(t, KeeperConfig{API: tap, Session: *s2, Clock: clk, LastActivity: time.Now})
	kr2.status(t)
	clk.AdvanceToNext(ctx)
	if err := waitFor(t, tap.answers, "device 2's heartbeat"); err != nil {
		t.Fatalf("device 2's heartbeat: %v", err)
	}
	if err := c2.EndSession(ctx, s2.SessionID); err != nil {
		t.Fatalf("station sign-out: %v", err)
	}
	clk.AdvanceToNext(ctx)
	if end := kr2.ended(t); end.Cause != Revoked || end.Reason != "signed_out" {
		t.Fatalf("device 2's keeper after sign-out: %+v", end)
	}
}

// tappedAPI passes heartbeats on and tells the test how each was answered.
type tappedAPI struct {
	Heartbeater
	answers chan error
}

func (a tappedAPI) Heartbeat(ctx context.Context, sessionID string, req api.HeartbeatRequest) (*api.HeartbeatResponse, error) {
	resp, err := a.Heartbeater.Heartbeat(ctx, sessionID, req)
	a.answers <- err
	return resp, err
}
