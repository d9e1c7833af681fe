package softphone

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// registrar is a WebSocket SIP registrar for unit tests: answer decides
// the status of REGISTER number n (from 1), or 0 to close the connection
// instead of answering. OPTIONS get 200 unless options says otherwise
// (-1: no answer; -2: no answer to anything more on this connection, as
// a half-open connection).
func registrar(t *testing.T, answer func(n int) int, options ...func(n int) int) (string, *atomic.Int32) {
	t.Helper()
	var n, o atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _, err := ws.HTTPUpgrader{Protocol: func(string) bool { return true }}.Upgrade(r, w)
		if err != nil {
			return
		}
		defer conn.Close()
		parser := sip.NewParser()
		silent := false
		for {
			data, _, err := wsutil.ReadClientData(conn)
			if err != nil {
				return
			}
			msg, err := parser.ParseSIP(data)
			req, ok := msg.(*sip.Request)
			if err != nil || !ok {
				return
			}
			if silent {
				continue
			}
			var code int
			if req.Method == sip.OPTIONS {
				code = 200
				if len(options) > 0 {
					code = options[0](int(o.Add(1)))
				}
			} else {
				code = answer(int(n.Add(1)))
			}
			switch code {
			case 0:
				return // drop the connection
			case -1:
				continue // no answer
			case -2:
				silent = true
				continue
			}
			res := sip.NewResponseFromRequest(req, code, "Test", nil)
			if e := req.GetHeader("Expires"); e != nil {
				res.AppendHeader(sip.NewHeader("Expires", e.Value()))
			}
			if err := wsutil.WriteServerMessage(conn, ws.OpText, []byte(res.String())); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "http://", "ws://", 1), &n
}

func reconnectPhone(t *testing.T, uri string, keepAlive time.Duration) (*Phone, *events) {
	t.Helper()
	ev := newEvents()
	p, err := New(Config{WSURI: uri, Domain: "voice.agentdesk.test", User: "1001", Password: "x", OnEvent: ev.add,
		Timeout: 300 * time.Millisecond, KeepAlive: keepAlive})
	if err != nil {
		t.Fatal(err)
	}
	p.backoffMin, p.backoffMax = 20*time.Millisecond, 80*time.Millisecond
	return p, ev
}

// The server drops the connection: reconnecting, then registered again
// on a new connection once the server answers.
func TestReRegisterAfterDrop(t *testing.T) {
	uri, n := registrar(t, func(n int) int {
		switch n {
		case 2: // the server goes away instead of answering the refresh
			return 0
		case 3, 4: // and refuses twice while it comes back
			return 503
		}
		return 200
	})
	p, ev := reconnectPhone(t, uri, 0)
	p.refreshEvery = 50 * time.Millisecond
	if err := p.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lost, next := ev.wait(ctx, t, 0, StateReconnecting)
	ev.wait(ctx, t, next, StateRegistered)
	if err := p.Close(); err != nil {
		t.Error(err)
	}
	want := []State{StateRegistering, StateRegistered, StateReconnecting, StateRegistered, StateUnregistered}
	if got := ev.states(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events %v, want %v", got, want)
	}
	t.Logf("lost: %s; %d REGISTERs in all", lost.Reason, n.Load())
}

// Wrong credentials while reconnecting: failed, and no more attempts.
func TestReRegisterGivesUpOnAuth(t *testing.T) {
	uri, n := registrar(t, func(n int) int {
		if n == 1 {
			return 200
		}
		return 403
	})
	p, ev := reconnectPhone(t, uri, 0)
	p.refreshEvery = 50 * time.Millisecond
	if err := p.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev.wait(ctx, t, 0, StateFailed)
	sent := n.Load()
	time.Sleep(200 * time.Millisecond)
	if n.Load() != sent {
		t.Errorf("REGISTERs went on after failed: %d then %d", sent, n.Load())
	}
	_ = p.Close()
	want := []State{StateRegistering, StateRegistered, StateReconnecting, StateFailed}
	if got := ev.states(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// A connection that stops answering without closing (half-open): the
// keep-alive OPTIONS times out, the phone closes that connection and
// registers again on a new one.
func TestKeepAliveFindsDeadConnection(t *testing.T) {
	uri, _ := registrar(t, func(int) int { return 200 }, func(n int) int {
		if n == 2 {
			return -2
		}
		return 200
	})
	p, ev := reconnectPhone(t, uri, 100*time.Millisecond)
	if err := p.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lost, next := ev.wait(ctx, t, 0, StateReconnecting)
	ev.wait(ctx, t, next, StateRegistered)
	_ = p.Close()
	t.Logf("lost: %s", lost.Reason)
	if !strings.Contains(lost.Reason, "keep-alive") {
		t.Errorf("reconnecting because %q", lost.Reason)
	}
}
