package softphone

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// events collects a phone's events for a test.
type events struct {
	mu   sync.Mutex
	all  []Event
	at   []time.Time // when each event came
	grow chan struct{}
}

func newEvents() *events { return &events{grow: make(chan struct{})} }

func (e *events) add(ev Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.at = append(e.at, time.Now())
	close(e.grow)
	e.grow = make(chan struct{})
	e.mu.Unlock()
}

func (e *events) states() []State {
	e.mu.Lock()
	defer e.mu.Unlock()
	var s []State
	for _, ev := range e.all {
		s = append(s, ev.State)
	}
	return s
}

// when returns the time event i came.
func (e *events) when(i int) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.at[i]
}

// wait returns the first event in `state` from index `from` on.
func (e *events) wait(ctx context.Context, t *testing.T, from int, state State) (Event, int) {
	t.Helper()
	for {
		e.mu.Lock()
		for i := from; i < len(e.all); i++ {
			if e.all[i].State == state {
				ev := e.all[i]
				e.mu.Unlock()
				return ev, i + 1
			}
		}
		from = len(e.all)
		grow := e.grow
		e.mu.Unlock()
		select {
		case <-grow:
		case <-ctx.Done():
			t.Fatalf("no %s event (events: %v)", state, e.states())
		}
	}
}

// checkGoroutines waits (bounded) for the goroutine count to come back to
// the baseline.
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutine leak: %d goroutines, %d before\n%s", n, base, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUnreachableServer(t *testing.T) {
	base := runtime.NumGoroutine()
	ev := newEvents()
	p, err := New(Config{WSURI: "ws://127.0.0.1:1", Domain: "voice.agentdesk.test", User: "1001", Password: "x",
		OnEvent: ev.add, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Register(context.Background())
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Register: %v, want ErrUnreachable", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	got := ev.states()
	if len(got) != 2 || got[0] != StateRegistering || got[1] != StateFailed {
		t.Fatalf("events %v, want registering, failed", got)
	}
	if r := ev.all[1].Reason; !strings.Contains(r, "unreachable") {
		t.Errorf("failed reason %q does not say unreachable", r)
	}
	t.Logf("failed: %s", ev.all[1].Reason)
	checkGoroutines(t, base)
}

func TestBadConfig(t *testing.T) {
	for _, c := range []Config{
		{WSURI: "http://x", Domain: "d", User: "u"},
		{WSURI: "ws://", Domain: "d", User: "u"},
		{WSURI: "ws://x:8080", User: "u"},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

func TestUseHostCandidate(t *testing.T) {
	in := "v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\n" +
		"a=candidate:1 1 udp 2130706431 169.254.77.1 40000 typ host\r\na=candidate:2 1 udp 2130706431 127.0.0.1 40001 typ host\r\n"
	out := useHostCandidate(in)
	if strings.Contains(out, "0.0.0.0") || !strings.Contains(out, "m=audio 40000 UDP") || !strings.Contains(out, "c=IN IP4 169.254.77.1\r\n") {
		t.Fatalf("got\n%s", out)
	}
}
