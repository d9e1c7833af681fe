package core_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/desktop/internal/view"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/session"
)

// stationLog is a core.Station that keeps what the Core told it and
// shows a phone while a Desktop session runs.
type stationLog struct {
	mu     sync.Mutex
	calls  []string // "started <mode>" / "ended"
	seq    uint64
	active bool
	ch     chan string
	last   string // the last message waited for
	inCall bool
}

func newStationLog() *stationLog { return &stationLog{ch: make(chan string, 100)} }

func (l *stationLog) SessionStarted(me *api.MeResponse, mode string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if me == nil {
		l.calls = append(l.calls, "started without /v1/me")
	}
	l.calls = append(l.calls, "started "+mode)
	l.active = mode == api.StationDesktop
	l.seq++
	l.ch <- "started " + mode
}

func (l *stationLog) SessionEnded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, "ended")
	l.active = false
	l.seq++
	l.ch <- "ended"
}

func (l *stationLog) View() (*view.Phone, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.active {
		return nil, l.seq
	}
	p := &view.Phone{Registration: view.PhoneRegistered}
	if l.inCall {
		p.Call = &view.PhoneCall{ID: "c1", Direction: "incoming", Remote: "customer", State: view.CallInCall}
	}
	return p, l.seq
}

// wait waits for the station to be told want. Repeats of what it was
// last told are skipped: a reload of /v1/me (the push channel connected,
// settings changed) tells the running session's start again, and a
// revocation ends the session, then the sign-out that follows ends it
// again (both harmless).
func (l *stationLog) wait(t *testing.T, want string) {
	t.Helper()
	for {
		select {
		case got := <-l.ch:
			if got == want {
				l.last = got
				return
			}
			if got != l.last {
				t.Fatalf("the station was told %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the station was not told %q", want)
		}
	}
}

func TestStationFollowsTheSession(t *testing.T) {
	a := newAgent(t, "station")
	log := newStationLog()
	d := newDesktop(t, "station", opts{station: log})
	d.signIn(a)
	expect(t, d.ChooseStation(api.StationDesktop, "", "", false), view.StepTeam)
	before := d.State().Seq
	s := expect(t, d.SubmitTeam(teamID), view.StepTasks)
	log.wait(t, "started desktop")
	if s.Phone == nil || s.Phone.Registration != view.PhoneRegistered {
		t.Fatalf("the Tasks page has no phone: %+v", s.Phone)
	}
	if s.Seq <= before {
		t.Fatalf("seq %d after %d", s.Seq, before)
	}

	// A change of the station's own is emitted with a higher Seq.
	log.mu.Lock()
	log.seq += 5
	log.mu.Unlock()
	d.Changed()
	if e := d.waitEmitted(time.Second, "the station's change", func(e view.State) bool { return e.Seq >= s.Seq+5 }); e.Phone == nil {
		t.Fatalf("emitted without the phone: %+v", e)
	}

	// Sign-out ends it, and the phone is gone from the state.
	s = expect(t, d.SignOut(), view.StepEmail)
	log.wait(t, "ended")
	if s.Phone != nil {
		t.Fatalf("phone after sign-out: %+v", s.Phone)
	}

	// Another station: started with its mode (the phone package stops
	// there); revocation by the admin ends it.
	expect(t, d.SubmitEmail(a.Email), view.StepPassword)
	expect(t, d.SubmitPassword(a.Password), view.StepStation)
	expect(t, d.ChooseStation(api.StationExtension, "", a.Extension, false), view.StepTeam)
	s = expect(t, d.SubmitTeam(teamID), view.StepTasks)
	log.wait(t, "started extension")
	if s.Phone != nil {
		t.Fatalf("phone on the extension station: %+v", s.Phone)
	}
	d.waitPush(session.PushConnected)
	if err := admin.LogoutUser(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	log.wait(t, "ended")

	// Quitting ends it too (the softphone unregisters).
	d2 := newDesktop(t, "station-2", opts{station: log})
	d2.signIn(a)
	expect(t, d2.ChooseStation(api.StationDesktop, "", "", false), view.StepTeam)
	expect(t, d2.SubmitTeam(teamID), view.StepTasks)
	log.wait(t, "started desktop")
	d2.Close()
	log.wait(t, "ended")
}

func TestStationEndsOnTakeover(t *testing.T) {
	a := newAgent(t, "stationtake")
	log := newStationLog()
	// The first desktop's heartbeats go when the test moves its clock.
	clk := session.NewManualClock(time.Now())
	first := newDesktop(t, "first", opts{station: log, now: clk.Now, keeper: session.KeeperConfig{Clock: clk}})
	first.signIn(a)
	expect(t, first.ChooseStation(api.StationDesktop, "", "", false), view.StepTeam)
	expect(t, first.SubmitTeam(teamID), view.StepTasks)
	log.wait(t, "started desktop")
	first.waitPush(session.PushConnected)
	// In a call: the next heartbeat says so, and the takeover prompt shows it.
	log.mu.Lock()
	log.inCall = true
	log.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := clk.AdvanceToNext(ctx); err != nil {
		t.Fatal(err)
	}
	for live := liveSession(t, a); live == nil || !live.OnCall; live = liveSession(t, a) {
		if ctx.Err() != nil {
			t.Fatalf("the server never heard the desktop is on a call: %+v", live)
		}
		time.Sleep(20 * time.Millisecond)
	}

	second := newDesktop(t, "second", opts{device: api.Device{ID: "dev-station-second", Name: "Other", Platform: "linux"}})
	second.signIn(a)
	expect(t, second.ChooseStation(api.StationDesktop, "", "", false), view.StepTeam)
	s := expect(t, second.SubmitTeam(teamID), view.StepTakeover)
	if s.Holder == nil || !s.Holder.OnCall {
		t.Errorf("the takeover prompt does not say the first desktop is on a call: %+v", s.Holder)
	}
	expect(t, second.Continue(), view.StepTasks)
	first.waitEmitted(2*time.Second, "the taken-over modal", func(s view.State) bool { return s.Modal == view.ModalTakenOver })
	log.wait(t, "ended")
	if s := first.State(); s.Phone != nil {
		t.Fatalf("phone after the takeover: %+v", s.Phone)
	}
	expect(t, second.SignOut(), view.StepEmail)
}
