// Package phone runs the Desktop station's softphone for the signed-in
// session: it registers the agent's extension with the settings /v1/me
// gives (desktop/internal/softphone), plays the calls through the chosen
// audio devices, rings and notifies on an incoming call, and keeps a
// view.Phone for the frontend, telling the Core (OnChange) whenever it
// changes. The Core tells it when a session starts and ends (sign-out,
// revocation, takeover, quit); everything stops then.
package phone

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/agentdesk/agentdesk/desktop/internal/softphone"
	"github.com/agentdesk/agentdesk/desktop/internal/view"
	"github.com/agentdesk/agentdesk/shared/api"
)

// StatsEvery is how often a call's quality is refreshed in the view.
const StatsEvery = 2 * time.Second

// actionTimeout bounds one call action (re-INVITE, INFO, REFER).
const actionTimeout = 15 * time.Second

// Notifier shows a desktop notification (the app's Wails runtime).
type Notifier interface {
	Notify(title, body string)
}

// Config wires a Station.
type Config struct {
	Audio Audio // required: devices, or TestAudio
	// ChoicePath is devices.json (the chosen devices); "" keeps nothing.
	ChoicePath string
	Notifier   Notifier // nil: no notification
	// Text localises the notification: key is "incoming_title" or
	// "incoming_body" (with the caller); nil: English.
	Text func(key, caller string) string
	// OnChange is called (never under a lock) whenever View changes.
	OnChange func()
	Log      *slog.Logger
	// SoftphoneConfig, when set, adjusts the softphone's Config (tests).
	SoftphoneConfig func(*softphone.Config)
}

// Station is the Desktop station's softphone for one session at a time.
// Safe for concurrent use.
type Station struct {
	cfg Config
	log *slog.Logger

	// life serialises SessionStarted and SessionEnded (a bound method and
	// the background reload of /v1/me may call them at once).
	life sync.Mutex

	mu       sync.Mutex
	seq      uint64
	gen      uint64 // grows with every softphone started; stale events are dropped
	settings *api.SoftphoneSettings
	phone    *softphone.Phone
	stop     context.CancelFunc // the registration and stats goroutines
	view     *view.Phone        // nil while no Desktop session runs
	call     *softphone.Call
	dialStop context.CancelFunc // an outgoing call not answered yet
	ringStop func()
	choice   view.AudioChoice
	wg       sync.WaitGroup
}

// New returns a Station with nothing running.
func New(cfg Config) *Station {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Text == nil {
		cfg.Text = englishText
	}
	s := &Station{cfg: cfg, log: cfg.Log}
	if cfg.ChoicePath != "" {
		c, err := loadChoice(cfg.ChoicePath)
		if err != nil {
			s.log.Warn("phone: read the audio device choice", "err", err)
		}
		s.choice = c
	}
	return s
}

func englishText(key, caller string) string {
	if key == "incoming_title" {
		return "Incoming call"
	}
	return caller
}

// View is the softphone's state and a counter that grows with every
// change (the Core adds it to the state's Seq).
func (s *Station) View() (*view.Phone, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.view == nil {
		return nil, s.seq
	}
	v := *s.view
	if v.Call != nil {
		c := *v.Call
		if c.Stats != nil {
			st := *c.Stats
			c.Stats = &st
		}
		v.Call = &c
	}
	return &v, s.seq
}

// changed bumps the counter; the caller calls s.notify() after unlocking.
func (s *Station) changedLocked() { s.seq++ }

func (s *Station) notify() {
	if s.cfg.OnChange != nil {
		s.cfg.OnChange()
	}
}

// SessionStarted starts the softphone when the session's station is
// Desktop (stops it otherwise). The same settings again keep the running
// softphone.
func (s *Station) SessionStarted(me *api.MeResponse, mode string) {
	s.life.Lock()
	defer s.life.Unlock()
	if mode != api.StationDesktop || me == nil {
		s.end()
		return
	}
	sp := me.Softphone
	s.mu.Lock()
	if s.view != nil && sp != nil && s.settings != nil && reflect.DeepEqual(*sp, *s.settings) {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.end()

	s.mu.Lock()
	s.gen++
	gen := s.gen
	s.view = &view.Phone{Registration: view.PhoneRegistering, Devices: s.devicesLocked()}
	s.changedLocked()
	if sp == nil || sp.SIPWebSocketURI == "" || sp.Extension.SIPUsername == "" {
		s.view.Registration, s.view.Reason = view.PhoneFailed, view.PhoneReasonNotConfigured
		s.mu.Unlock()
		s.log.Warn("phone: the Desktop station has no softphone settings in /v1/me")
		s.notify()
		return
	}
	settings := *sp
	s.settings = &settings
	s.view.Extension = sp.Extension.Number
	if s.view.Extension == "" {
		s.view.Extension = sp.Extension.SIPUsername
	}
	pc := s.softphoneConfig(gen, sp)
	p, err := softphone.New(pc)
	if err != nil {
		s.view.Registration, s.view.Reason, s.view.Detail = view.PhoneFailed, view.PhoneReasonError, err.Error()
		s.mu.Unlock()
		s.log.Warn("phone: softphone", "err", err)
		s.notify()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.phone, s.stop = p, cancel
	s.wg.Add(1)
	s.mu.Unlock()
	s.notify()
	s.log.Info("phone: registering", "uri", sp.SIPWebSocketURI, "domain", sp.SIPDomain, "user", sp.Extension.SIPUsername)
	go func() {
		defer s.wg.Done()
		if err := p.Register(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("phone: register", "err", err)
		}
	}()
}

func (s *Station) softphoneConfig(gen uint64, sp *api.SoftphoneSettings) softphone.Config {
	ice := make([]webrtc.ICEServer, 0, len(sp.ICEServers))
	for _, is := range sp.ICEServers {
		ice = append(ice, webrtc.ICEServer{URLs: is.URLs, Username: is.Username, Credential: is.Credential})
	}
	pc := softphone.Config{
		WSURI: sp.SIPWebSocketURI, Domain: sp.SIPDomain,
		User: sp.Extension.SIPUsername, Password: sp.Extension.SIPPassword,
		ICEServers: ice,
		NewSource: func() softphone.AudioSource {
			s.mu.Lock()
			id := s.choice.Microphone
			s.mu.Unlock()
			return &fallbackSource{AudioSource: s.cfg.Audio.Source(id), failed: s.deviceFailed(gen, "microphone")}
		},
		NewSink: func() softphone.AudioSink {
			s.mu.Lock()
			id := s.choice.Speaker
			s.mu.Unlock()
			return &fallbackSink{AudioSink: s.cfg.Audio.Sink(id), failed: s.deviceFailed(gen, "speaker")}
		},
		OnEvent: func(e softphone.Event) { s.onEvent(gen, e) },
		Logger:  s.log,
	}
	if s.cfg.SoftphoneConfig != nil {
		s.cfg.SoftphoneConfig(&pc)
	}
	return pc
}

// SessionEnded hangs up, unregisters and forgets the softphone (sign-out,
// revocation, takeover, quit, another station). It waits for all of it.
func (s *Station) SessionEnded() {
	s.life.Lock()
	defer s.life.Unlock()
	s.end()
}

func (s *Station) end() {
	s.mu.Lock()
	p, stop := s.phone, s.stop
	had := s.view != nil
	s.gen++ // whatever the closing phone still says is stale
	s.phone, s.stop, s.view, s.settings, s.call = nil, nil, nil, nil, nil
	if s.dialStop != nil {
		s.dialStop()
		s.dialStop = nil
	}
	s.stopRingLocked()
	if had {
		s.changedLocked()
	}
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	if p != nil {
		if err := p.Close(); err != nil {
			s.log.Info("phone: unregister", "err", err)
		} else {
			s.log.Info("phone: unregistered")
		}
	}
	s.wg.Wait()
	if had {
		s.notify()
	}
}

func (s *Station) stopRingLocked() {
	if s.ringStop != nil {
		s.ringStop()
		s.ringStop = nil
	}
}

// errNoCall is a call action without the call it needs.
var errNoCall = errors.New("no call")
