package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// notifyLog is a NotifyRuntime that keeps what it was asked.
type notifyLog struct {
	mu      sync.Mutex
	inits   int
	initErr error
	sent    []string
	clicked func()
}

func (n *notifyLog) OnClicked(_ context.Context, fn func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.clicked = fn
}

// windowLog is the app's Runtime, keeping the window calls.
type windowLog struct {
	mu    sync.Mutex
	calls []string
}

func (w *windowLog) EventsEmit(context.Context, string, ...any) {}
func (w *windowLog) WindowUnminimise(context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, "unminimise")
}
func (w *windowLog) WindowShow(context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, "show")
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
	win := &windowLog{}
	app := &App{rt: win}
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
	// A click brings the window forward.
	if rt.clicked == nil {
		t.Fatal("no click handler")
	}
	rt.clicked()
	if strings.Join(win.calls, ",") != "unminimise,show" {
		t.Fatalf("window calls after a click: %v", win.calls)
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
