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
// instead of answering.
func registrar(t *testing.T, answer func(n int) int) (string, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _, err := ws.HTTPUpgrader{Protocol: func(string) bool { return true }}.Upgrade(r, w)
		if err != nil {
			return
		}
		defer conn.Close()
		parser := sip.NewParser()
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
			code := answer(int(n.Add(1)))
			if code == 0 {
				return // drop the connection
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

func reconnectPhone(t *testing.T, uri string) (*Phone, *events) {
	t.Helper()
	ev := newEvents()
	p, err := New(Config{WSURI: uri, Domain: "voice.agentdesk.test", User: "1001", Password: "x", OnEvent: ev.add, Timeout: 2 * time.Second})
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
	p, ev := reconnectPhone(t, uri)
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
	p, ev := reconnectPhone(t, uri)
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
