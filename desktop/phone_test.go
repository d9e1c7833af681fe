package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
)

// notifyLog is a NotifyRuntime that keeps what it was asked.
type notifyLog struct {
	mu      sync.Mutex
	inits   int
	initErr error
	sent    []string
}

func (n *notifyLog) InitializeNotifications(context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.inits++
	return n.initErr
}

func (n *notifyLog) SendNotification(_ context.Context, title, body string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, title+": "+body)
	return nil
}

func TestIncomingCallNotification(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := &App{}
	rt := &notifyLog{}
	n := &notifier{app: app, rt: rt, log: quiet}

	n.Notify("Incoming call", "customer") // before Wails started: nothing
	if rt.inits != 0 || len(rt.sent) != 0 {
		t.Fatalf("notified before startup: %+v", rt)
	}
	app.startup(context.Background())
	n.Notify(notificationText("fr", "incoming_title", "9000"), notificationText("fr", "incoming_body", "9000"))
	n.Notify("Incoming call", "customer")
	if rt.inits != 1 || len(rt.sent) != 2 || rt.sent[0] != "Appel entrant: 9000" {
		t.Fatalf("notifications: %+v", rt)
	}

	// No notification service (no D-Bus daemon for it): set up once, then quiet.
	broken := &notifyLog{initErr: errors.New("no org.freedesktop.Notifications")}
	n = &notifier{app: app, rt: broken, log: quiet}
	n.Notify("Incoming call", "customer")
	n.Notify("Incoming call", "customer")
	if broken.inits != 1 || len(broken.sent) != 0 {
		t.Fatalf("without the service: %+v", broken)
	}
	if got := notificationText("pt-BR", "incoming_title", "x"); got != "Chamada recebida" {
		t.Fatalf("pt-BR title %q", got)
	}
}
