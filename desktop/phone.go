package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"

	wailsruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/agentdesk/agentdesk/desktop/internal/phone"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
)

// The Desktop station's softphone (desktop/internal/phone) and its bound
// methods. main.go wires it:
//
//	station := newStation(app, resolver.Dir, log)
//	app.core = core.New(core.Config{..., Station: station})
//	app.phone = station

// NotifyRuntime is the part of the Wails runtime that shows desktop
// notifications (a fake in tests).
type NotifyRuntime interface {
	InitializeNotifications(ctx context.Context) error
	SendNotification(ctx context.Context, title, body string) error
	// OnClicked calls fn when the agent clicks a notification.
	OnClicked(ctx context.Context, fn func())
}

type wailsNotify struct{}

func (wailsNotify) InitializeNotifications(ctx context.Context) error {
	return wailsruntime.InitializeNotifications(ctx)
}

func (wailsNotify) SendNotification(ctx context.Context, title, body string) error {
	return wailsruntime.SendNotification(ctx, wailsruntime.NotificationOptions{ID: "agentdesk-incoming-call", Title: title, Body: body})
}

func (wailsNotify) OnClicked(ctx context.Context, fn func()) {
	wailsruntime.OnNotificationResponse(ctx, func(r wailsruntime.NotificationResult) {
		if r.Error == nil {
			fn()
		}
	})
}

// notifier shows the incoming call notification once Wails has started;
// notifications are set up on the first one.
type notifier struct {
	app  *App
	rt   NotifyRuntime
	log  *slog.Logger
	once sync.Once
	ok   bool
}

func (n *notifier) Notify(title, body string) {
	ctx := n.app.wailsContext()
	if ctx == nil {
		return
	}
	n.once.Do(func() {
		if err := n.rt.InitializeNotifications(ctx); err != nil {
			n.log.Warn("desktop notifications unavailable", "err", err)
			return
		}
		// A click on it brings the window forward, where Answer has the focus.
		n.rt.OnClicked(ctx, n.app.secondInstance)
		n.ok = true
	})
	if !n.ok {
		return
	}
	if err := n.rt.SendNotification(ctx, title, body); err != nil {
		n.log.Warn("desktop notification", "err", err)
	}
}

// newStation makes the softphone station of app: the audio backend
// (AGENTDESK_AUDIO's test one, or the machine's devices), the chosen
// devices in configDir/devices.json, notifications through Wails.
func newStation(app *App, configDir string, log *slog.Logger) *phone.Station {
	audio := &lazyAudio{open: func() phone.Audio { return audioBackend(log) }}
	choice := ""
	if configDir != "" {
		choice = filepath.Join(configDir, phone.DevicesFile)
	}
	return phone.New(phone.Config{
		Audio:      audio,
		ChoicePath: choice,
		Notifier:   &notifier{app: app, rt: wailsNotify{}, log: log},
		Text:       func(key, caller string) string { return notificationText(app.language(), key, caller) },
		OnChange: func() {
			if app.core != nil {
				app.core.Changed()
			}
		},
		Log: log,
	})
}

func (a *App) language() string {
	if a.core == nil {
		return "en"
	}
	return a.core.State().Language
}

// notificationText is the incoming call notification in the agent's language.
func notificationText(lang, key, caller string) string {
	if key == "incoming_body" {
		return caller
	}
	switch lang {
	case "fr":
		return "Appel entrant"
	case "pt-BR":
		return "Chamada recebida"
	}
	return "Incoming call"
}

// ---- the bound methods (desktop/internal/view) ------------------------------

// phoneDo runs a softphone action, then returns the state.
func (a *App) phoneDo(fn func(*phone.Station)) view.State {
	if a.phone != nil {
		a.core.Activity()
		fn(a.phone)
	}
	return a.core.State()
}

// Dial calls a number from the dialpad.
func (a *App) Dial(to string) view.State { return a.phoneDo(func(p *phone.Station) { p.Dial(to) }) }

// Answer takes the ringing call.
func (a *App) Answer() view.State { return a.phoneDo((*phone.Station).Answer) }

// Decline refuses the ringing call.
func (a *App) Decline() view.State { return a.phoneDo((*phone.Station).Decline) }

// Hangup ends the call.
func (a *App) Hangup() view.State { return a.phoneDo((*phone.Station).Hangup) }

// SetMuted mutes or unmutes the microphone.
func (a *App) SetMuted(muted bool) view.State {
	return a.phoneDo(func(p *phone.Station) { p.SetMuted(muted) })
}

// Hold holds the call.
func (a *App) Hold() view.State { return a.phoneDo(func(p *phone.Station) { p.Hold(true) }) }

// Resume resumes the held call.
func (a *App) Resume() view.State { return a.phoneDo(func(p *phone.Station) { p.Hold(false) }) }

// SendDTMF sends keypad digits in the call.
func (a *App) SendDTMF(digits string) view.State {
	return a.phoneDo(func(p *phone.Station) { p.SendDTMF(digits) })
}

// Transfer hands the call to another number (blind).
func (a *App) Transfer(to string) view.State {
	return a.phoneDo(func(p *phone.Station) { p.Transfer(to) })
}

// AudioDevices lists the microphones and speakers again.
func (a *App) AudioDevices() view.State { return a.phoneDo((*phone.Station).RefreshDevices) }

// SetAudioDevices chooses the microphone, speaker and ringtone device.
func (a *App) SetAudioDevices(microphone, speaker, ringtone string) view.State {
	return a.phoneDo(func(p *phone.Station) {
		p.SetDevices(view.AudioChoice{Microphone: microphone, Speaker: speaker, Ringtone: ringtone})
	})
}
