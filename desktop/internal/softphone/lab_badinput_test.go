//go:build linux

package softphone

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

const plainSDP = "v=0\r\no=- 1 1 IN IP4 169.254.77.1\r\ns=-\r\nc=IN IP4 169.254.77.1\r\nt=0 0\r\n" +
	"m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"

const garbageSDP = "v=0\r\no=broken\r\nm=audio notaport RTP/AVP\r\nthis is not SDP\r\n"

// labBadInput: a raw SIP client (sipgo over UDP, as extension 1002,
// through Kamailio's port 5060) sends us what a broken peer would. We
// answer each with a clear code, ring only for the good call, and stay
// registered and able to call.
func labBadInput(ctx context.Context, t *testing.T, lab *voice.Lab, cfg func(*events) Config, subs map[string]string) {
	t.Run("malformed SDP and SIP from the peer", func(t *testing.T) {
		ev := newEvents()
		p := registered(ctx, t, cfg(ev))
		domain := lab.Env["SIP_DOMAIN"]
		kamailio := lab.Env["VOICE_LAB_SIP_UDP"]
		host, _, _ := net.SplitHostPort(kamailio)
		ua, err := sipgo.NewUA(sipgo.WithUserAgent("broken-peer"))
		if err != nil {
			t.Fatal(err)
		}
		defer ua.Close()
		client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(host))
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		me := sip.Uri{Scheme: "sip", User: "1002", Host: domain}
		dua := &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1002", Host: host}}}
		invite := func(body string, contentType string) (*sipgo.DialogClientSession, error) {
			req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1001", Host: domain})
			req.AppendHeader(&sip.FromHeader{Address: me, Params: sip.HeaderParams{{K: "tag", V: sip.GenerateTagN(8)}}})
			req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: domain}})
			if contentType != "" {
				req.AppendHeader(sip.NewHeader("Content-Type", contentType))
			}
			req.SetBody([]byte(body))
			req.SetDestination(kamailio)
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			cs, err := dua.WriteInvite(cctx, req)
			if err != nil {
				return nil, err
			}
			err = cs.WaitAnswer(cctx, sipgo.AnswerOptions{Username: "1002", Password: subs["1002"]})
			return cs, err
		}
		status := func(err error) int {
			var de *sipgo.ErrDialogResponse
			if errors.As(err, &de) {
				return de.Res.StatusCode
			}
			return 0
		}
		for _, c := range []struct {
			name, body, ctype string
		}{
			{"garbage SDP", garbageSDP, "application/sdp"},
			{"no SDP", "", ""},
			{"SDP as text/plain", plainSDP, "text/plain"},
		} {
			_, err := invite(c.body, c.ctype)
			if code := status(err); code != sip.StatusNotAcceptableHere {
				t.Errorf("INVITE with %s: %v, want 488", c.name, err)
			} else {
				t.Logf("INVITE with %s: %v", c.name, err)
			}
		}
		if got := ev.states(); len(got) != 2 {
			t.Errorf("events after the bad INVITEs: %v, want registering, registered only", got)
		}

		// A good call, then bad requests inside it.
		answered := make(chan error, 1)
		go func() {
			ring, _ := ev.wait(ctx, t, 0, StateRinging)
			answered <- ring.Call.Answer(ctx)
		}()
		cs, err := invite(plainSDP, "application/sdp")
		if err != nil {
			t.Fatalf("good INVITE: %v", err)
		}
		if err := cs.Ack(ctx); err != nil { // Answer returns once the ACK is in
			t.Fatal(err)
		}
		if err := <-answered; err != nil {
			t.Fatal(err)
		}
		inDialog := func(method sip.RequestMethod, body, ctype string, headers ...sip.Header) int {
			t.Helper()
			req := sip.NewRequest(method, cs.InviteResponse.Contact().Address)
			if ctype != "" {
				req.AppendHeader(sip.NewHeader("Content-Type", ctype))
			}
			for _, h := range headers {
				req.AppendHeader(h)
			}
			req.SetBody([]byte(body))
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			res, err := cs.Do(cctx, req)
			if err != nil {
				t.Fatalf("%s: %v", method, err)
			}
			warning := ""
			if h := res.GetHeader("Warning"); h != nil {
				warning = h.Value()
			}
			t.Logf("%s (%s %q): %d %s %s", method, ctype, body, res.StatusCode, res.Reason, warning)
			return res.StatusCode
		}
		for _, c := range []struct {
			method      sip.RequestMethod
			body, ctype string
			headers     []sip.Header
			want        int
		}{
			{sip.INFO, "Signal=Z\r\nDuration=-5\r\n", "application/dtmf-relay", nil, 400},
			{sip.INFO, "<xml/>", "application/media_control+xml", nil, 415},
			{sip.INFO, "Signal=5\r\nDuration=160\r\n", "application/dtmf-relay", nil, 200},
			{sip.INVITE, garbageSDP, "application/sdp", nil, 488},
			{sip.NOTIFY, "garbage", "message/sipfrag", []sip.Header{sip.NewHeader("Event", "refer")}, 400},
			{sip.NOTIFY, "SIP/2.0 200 OK", "message/sipfrag", []sip.Header{sip.NewHeader("Event", "presence")}, 489},
		} {
			if got := inDialog(c.method, c.body, c.ctype, c.headers...); got != c.want {
				t.Errorf("%s with %q: %d, want %d", c.method, c.body, got, c.want)
			}
		}
		if st := ev.states(); st[len(st)-1] != StateInCall {
			t.Errorf("the call did not survive the bad requests: events %v", st)
		}
		// A re-INVITE while one of ours is under way: 491 (glare).
		ev.mu.Lock()
		call := ev.all[len(ev.all)-1].Call
		ev.mu.Unlock()
		call.sig.Lock()
		code := inDialog(sip.INVITE, plainSDP, "application/sdp")
		call.sig.Unlock()
		if code != sip.StatusRequestPending {
			t.Errorf("crossing re-INVITE: %d, want 491", code)
		}

		// The peer holds us (re-INVITE a=sendonly): we answer recvonly and
		// stop sending; it resumes (a=sendrecv): we send again.
		reinvite := func(dir string) (string, time.Duration) {
			t.Helper()
			req := sip.NewRequest(sip.INVITE, cs.InviteResponse.Contact().Address)
			req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			req.SetBody([]byte(strings.Replace(plainSDP, "a=sendrecv", "a="+dir, 1)))
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			t0 := time.Now()
			res, err := cs.Do(cctx, req)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("re-INVITE %s: %v %v", dir, res, err)
			}
			took := time.Since(t0)
			_ = cs.WriteAck(ctx, sip.NewRequest(sip.ACK, cs.InviteResponse.Contact().Address))
			return sdpDirection(string(res.Body())), took
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		mark := len(ev.states())
		answer, took := reinvite(dirSendOnly)
		held, next := ev.wait(wctx, t, mark, StateHeld)
		sent := call.media.track.packetsSent()
		time.Sleep(500 * time.Millisecond)
		heldSent := call.media.track.packetsSent() - sent
		t.Logf("the peer holds (sendonly): our answer %s in %v, event %s (%s), %d packets sent in 0.5 s", answer, took, held.State, held.Reason, heldSent)
		if answer != dirRecvOnly || heldSent != 0 || call.Held() {
			t.Errorf("held by the peer: answer %s, %d packets sent, Held() %v", answer, heldSent, call.Held())
		}
		answer, _ = reinvite(dirSendRecv)
		back, _ := ev.wait(wctx, t, next, StateInCall)
		sent = call.media.track.packetsSent()
		time.Sleep(500 * time.Millisecond)
		t.Logf("the peer resumes: our answer %s, event %s (%s), %d packets sent in 0.5 s", answer, back.State, back.Reason, call.media.track.packetsSent()-sent)
		if answer != dirSendRecv || call.media.track.packetsSent()-sent < 20 {
			t.Error("did not resume sending")
		}
		if err := cs.Bye(ctx); err != nil {
			t.Error(err)
		}
		end, _ := ev.wait(ctx, t, 0, StateEnded)
		t.Logf("ended: %s", end.Reason)

		// Still registered: a call works.
		next2, err := p.Dial(ctx, lab.Env["VOICE_LAB_TONE_NUMBER"])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := next2.WaitAudio(ctx); err != nil {
			t.Fatal(err)
		}
		_ = next2.Hangup(ctx)
		_ = client.Close()
		_ = ua.Close()
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
}
