package softphone

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/pion/webrtc/v4"
)

// A registrar behind wss:// (TLS, a path): the phone dials the URI as
// given, checks the certificate against its roots, and a ping from the
// server does not break the stream.
func TestRegisterOverWSS(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	var methods []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		up := ws.HTTPUpgrader{Protocol: func(p string) bool { return p == "sip" }}
		conn, _, _, err := up.Upgrade(r, w)
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
				t.Errorf("not a SIP request: %v %q", err, data)
				return
			}
			mu.Lock()
			methods = append(methods, req.Method.String()+" "+req.GetHeader("Expires").Value())
			mu.Unlock()
			_ = wsutil.WriteServerMessage(conn, ws.OpPing, []byte("keepalive"))
			res := sip.NewResponseFromRequest(req, 200, "OK", nil)
			res.AppendHeader(sip.NewHeader("Expires", req.GetHeader("Expires").Value()))
			if err := wsutil.WriteServerMessage(conn, ws.OpText, []byte(res.String())); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	wsTLSConfig = &tls.Config{RootCAs: roots}
	defer func() { wsTLSConfig = nil }()

	ev := newEvents()
	uri := strings.Replace(srv.URL, "https://", "wss://", 1) + "/sip/ws"
	p, err := New(Config{WSURI: uri, Domain: "voice.agentdesk.test", User: "1001", Password: "x", OnEvent: ev.add, Timeout: 3 * time.Second,
		ICEServers: []webrtc.ICEServer{{URLs: []string{"turn:turn.example.test:3478?transport=udp"}, Username: "u", Credential: "p"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(paths) != "[/sip/ws]" || fmt.Sprint(methods) != "[REGISTER 300 REGISTER 0]" {
		t.Errorf("paths %v, requests %v", paths, methods)
	}
	if got := fmt.Sprint(ev.states()); got != fmt.Sprint([]State{StateRegistering, StateRegistered, StateUnregistered}) {
		t.Errorf("events %v", got)
	}
}

// A certificate the roots do not vouch for: unreachable, said clearly.
func TestWSSUntrusted(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	p, err := New(Config{WSURI: strings.Replace(srv.URL, "https://", "wss://", 1), Domain: "d.test", User: "1001", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	err = p.Register(context.Background())
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Register: %v, want a certificate error", err)
	}
	t.Logf("%v", err)
}

// TURN servers from Config reach the peer connection with their
// credentials.
func TestICEServersPassThrough(t *testing.T) {
	turn := webrtc.ICEServer{URLs: []string{"turn:turn.example.test:3478?transport=udp", "turns:turn.example.test:5349"}, Username: "agent", Credential: "secret"}
	cfg := Config{Codecs: []Codec{PCMU{}}, ICEServers: []webrtc.ICEServer{turn}}
	m, err := newMediaSession(&cfg, SilenceSource{}, discard{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	got := m.pc.GetConfiguration().ICEServers
	if len(got) != 1 || got[0].Username != "agent" || got[0].Credential != "secret" || len(got[0].URLs) != 2 {
		t.Errorf("ICE servers %+v", got)
	}
}
