package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
)

// dialPush opens the push channel as the desktop does: the access token
// (and the device id) in the query string.
func dialPush(t *testing.T, pushURL, token, deviceID string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q := url.Values{"access_token": {token}, "device_id": {deviceID}}
	c, res, err := websocket.Dial(ctx, pushURL+"?"+q.Encode(), nil)
	if err != nil {
		t.Fatalf("push connect: %v (%v)", err, res)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// nextEvent reads one push event before deadline.
func nextEvent(t *testing.T, c *websocket.Conn, deadline time.Time) api.PushEvent {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("no push event in time: %v", err)
	}
	var ev api.PushEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("push event %s: %v", data, err)
	}
	return ev
}

// TestPushTakeoverRevocationAndBanner: the displaced desktop is told at
// once through the push channel, and so are revocations and banner edits.
func TestPushTakeoverRevocationAndBanner(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	u, _, pw := tn.agent(t, "pushed", api.CreateUserRequest{})
	dev1 := api.Device{ID: "dev-push-1", Name: "Front desk PC", Platform: "windows"}
	dev2 := api.Device{ID: "dev-push-2", Name: "Home laptop", Platform: "macos"}
	station := api.Station{Mode: api.StationDialNumber, DialNumber: "+1 415 555 0177"}

	// Device 1 signs in, logs in to its station and opens the push channel
	// at the URL /v1/me gives.
	tok1, err := anon(t).Login(ctx, api.LoginRequest{Email: u.Email, Password: pw, Device: dev1})
	if err != nil {
		t.Fatal(err)
	}
	desk1 := as(t, tok1)
	me, err := desk1.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.PushURL == "" || me.PushURL != stack.PushURL {
		t.Fatalf("push_url %q, stack serves %q", me.PushURL, stack.PushURL)
	}
	s1 := startSession(t, desk1, api.CreateSessionRequest{Station: station, Device: dev1})
	ws1 := dialPush(t, me.PushURL, tok1.AccessToken, dev1.ID)

	// Device 2 signs in as the same agent and presses Continue.
	tok2, err := anon(t).Login(ctx, api.LoginRequest{Email: u.Email, Password: pw, Device: dev2})
	if err != nil {
		t.Fatal(err)
	}
	desk2 := as(t, tok2)
	continued := time.Now()
	s2 := startSession(t, desk2, api.CreateSessionRequest{Station: station, Device: dev2, Takeover: true})
	ev := nextEvent(t, ws1, continued.Add(time.Second))
	if ev.Type != api.EventSessionTakenOver || ev.SessionID != s1.SessionID || ev.Epoch != s1.Epoch ||
		ev.Holder == nil || ev.Holder.DeviceName != dev2.Name || ev.Holder.Platform != dev2.Platform {
		t.Fatalf("device 1 was told %+v", ev)
	}
	t.Logf("Continue -> displaced desktop told in %v", time.Since(continued).Round(time.Millisecond))
	if s2.Epoch <= s1.Epoch {
		t.Fatalf("takeover epoch %d after %d", s2.Epoch, s1.Epoch)
	}
	// Device 1's next heartbeat learns the same.
	problem(t, heartbeat(desk1, s1), http.StatusConflict, api.CodeSessionTakenOver)
	if err := heartbeat(desk2, s2); err != nil {
		t.Fatalf("new holder's heartbeat: %v", err)
	}

	// An admin edits the banners: every desktop of the tenant hears of it.
	ws2 := dialPush(t, me.PushURL, tok2.AccessToken, dev2.ID)
	settings, err := tn.Admin.GetTenant(ctx)
	if err != nil {
		t.Fatal(err)
	}
	settings.Banners = append(settings.Banners, api.Banner{ID: "b-queues", Severity: "warning", Message: "Chat queues are paused", FeaturesUnavailable: true})
	saved := time.Now()
	if _, err := tn.Admin.PutTenant(ctx, *settings); err != nil {
		t.Fatal(err)
	}
	for _, ws := range []*websocket.Conn{ws1, ws2} {
		if ev := nextEvent(t, ws, saved.Add(time.Second)); ev.Type != api.EventBannerChanged {
			t.Fatalf("after the banner edit: %+v", ev)
		}
	}

	// A forced logout revokes device 2's session and says why.
	revoked := time.Now()
	if err := tn.Admin.LogoutUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	ev = nextEvent(t, ws2, revoked.Add(time.Second))
	if ev.Type != api.EventSessionRevoked || ev.SessionID != s2.SessionID || ev.Reason != domain.RevokeAdminLogout {
		t.Fatalf("device 2 was told %+v", ev)
	}
	// Then its socket, opened with the token that died, is closed.
	rctx, cancel := context.WithDeadline(ctx, revoked.Add(2*time.Second))
	defer cancel()
	if _, _, err := ws2.Read(rctx); err == nil || rctx.Err() != nil {
		t.Fatalf("device 2's push socket stayed open after the forced logout: %v", err)
	}

	// The push channel refuses a token that no longer holds.
	q := url.Values{"access_token": {tok2.AccessToken}}
	if c, res, err := websocket.Dial(ctx, me.PushURL+"?"+q.Encode(), nil); err == nil {
		_ = c.CloseNow()
		t.Fatal("a revoked token opened the push channel")
	} else if res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked token: %v %v, want 401", res, err)
	}
}

func TestPushRefusesBadTokens(t *testing.T) {
	for _, q := range []string{"", "?access_token=", "?access_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."} {
		c, res, err := websocket.Dial(context.Background(), stack.PushURL+q, nil)
		if err == nil {
			_ = c.CloseNow()
			t.Fatalf("%q: connected", q)
		}
		if res == nil || res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%q: %v %v, want 401", q, res, err)
		}
	}
}
