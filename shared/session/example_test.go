package session_test

import (
	"context"
	"errors"
	"log"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
	"github.com/agentdesk/agentdesk/shared/session"
)

// The desktop's wiring, from station login to the end of the session.
func Example() {
	ctx := context.Background()
	var (
		tokens       client.TokenSource // the current access token
		refresh      session.Refresher  // POST /v1/auth/refresh, one at a time
		c            = client.New("https://api.example.test", client.WithTokenSource(tokens))
		me           *api.MeResponse // GET /v1/me
		sess         *api.Session    // POST /v1/sessions
		lastActivity func() time.Time
		onCall       func() bool
	)

	var mu sync.Mutex
	var keeper *session.Keeper // the current session's, or nil

	push := session.NewPush(session.PushConfig{
		URL: me.PushURL, Token: tokens, DeviceID: "dev_1", RefreshToken: refresh,
		OnState: func(st session.PushStatus) {
			log.Printf("push %s (next try %v)", st.State, st.NextRetry) // the "reconnecting" banner
		},
		OnEvent: func(ev api.PushEvent) {
			mu.Lock()
			k := keeper
			mu.Unlock()
			if k != nil && k.HandlePush(ev) {
				return // the keeper ends; its status says how
			}
			if ev.Type == api.EventBannerChanged || ev.Type == api.EventSettingsChanged {
				log.Print("reload /v1/me")
			}
		},
	})
	go push.Run(ctx)

	k := session.NewKeeper(session.KeeperConfig{
		API: c, Session: *sess,
		LastActivity: lastActivity, OnCall: onCall, RefreshToken: refresh,
		InactivityTimeout: time.Duration(me.Tenant.InactivityTimeoutMinutes) * time.Minute,
		OnStatus: func(st session.Status) {
			if !st.InactivityDeadline.IsZero() {
				log.Printf("Stay signed in? Signing out at %v", st.InactivityDeadline)
			}
		},
	})
	mu.Lock()
	keeper = k
	mu.Unlock()

	var end *session.Ended
	if err := k.Run(ctx); errors.As(err, &end) {
		switch end.Cause {
		case session.TakenOver:
			log.Print("You signed in on another device: Continue or Sign out")
		case session.Revoked:
			log.Printf("signed out: %s", end.Reason)
		default:
			log.Printf("session over: %s", end.Cause)
		}
	}
}
