package softphone

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// bindContext is what pion hands a track once codecs are negotiated.
type bindContext struct {
	codecs []webrtc.RTPCodecParameters
	out    *capture
}

func (b bindContext) CodecParameters() []webrtc.RTPCodecParameters { return b.codecs }
func (b bindContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter {
	return nil
}
func (b bindContext) SSRC() webrtc.SSRC                       { return 1234 }
func (b bindContext) SSRCRetransmission() webrtc.SSRC         { return 0 }
func (b bindContext) SSRCForwardErrorCorrection() webrtc.SSRC { return 0 }
func (b bindContext) WriteStream() webrtc.TrackLocalWriter    { return b.out }
func (b bindContext) ID() string                              { return "t" }
func (b bindContext) RTCPReader() interceptor.RTCPReader      { return nil }

type capture struct{ pkts []rtp.Packet }

func (c *capture) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	c.pkts = append(c.pkts, rtp.Packet{Header: *h, Payload: append([]byte(nil), payload...)})
	return len(payload), nil
}
func (c *capture) Write(b []byte) (int, error) { return len(b), nil }

func pcmuAndEvents(events bool) []webrtc.RTPCodecParameters {
	c := []webrtc.RTPCodecParameters{{RTPCodecCapability: capability(PCMU{}), PayloadType: 0}}
	if events {
		c = append(c, webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTelephoneEvent, ClockRate: 8000}, PayloadType: 101})
	}
	return c
}

// RFC 4733 §2.5: one event is packets with the event's start timestamp,
// the marker on the first, growing durations, the end bit on the last
// three; sequence numbers go on through audio and events alike.
func TestSendTrackDTMF(t *testing.T) {
	out := &capture{}
	s := newSendTrack([]Codec{PCMU{}})
	if _, err := s.Bind(bindContext{pcmuAndEvents(true), out}); err != nil {
		t.Fatal(err)
	}
	frame := media.Sample{Data: make([]byte, 160), Duration: 20 * time.Millisecond}
	_ = s.WriteSample(frame)
	done, err := s.sendEvents([]uint8{5})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < dtmfToneFrames+dtmfEndRepeats+dtmfGapFrames+2; i++ {
		_ = s.WriteSample(frame)
	}
	select {
	case err := <-done[0]:
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatal("the event did not complete")
	}
	p := out.pkts
	if p[0].PayloadType != 0 || !p[0].Marker {
		t.Errorf("first audio packet: %+v", p[0].Header)
	}
	start := p[0].Timestamp + 160
	var ends int
	for i, pk := range p {
		if i > 0 && pk.SequenceNumber != p[i-1].SequenceNumber+1 {
			t.Errorf("packet %d: sequence %d after %d", i, pk.SequenceNumber, p[i-1].SequenceNumber)
		}
		if pk.SSRC != 1234 {
			t.Errorf("packet %d: SSRC %d", i, pk.SSRC)
		}
		if pk.PayloadType != 101 {
			continue
		}
		if pk.Timestamp != start || pk.Payload[0] != 5 {
			t.Errorf("event packet %d: timestamp %d (want %d), event %d", i, pk.Timestamp, start, pk.Payload[0])
		}
		if pk.Marker != (i == 1) {
			t.Errorf("event packet %d: marker %v", i, pk.Marker)
		}
		dur := int(pk.Payload[2])<<8 | int(pk.Payload[3])
		if pk.Payload[1]&0x80 != 0 {
			ends++
			if dur != dtmfToneFrames*160 {
				t.Errorf("end packet duration %d", dur)
			}
		} else if dur != i*160 {
			t.Errorf("event packet %d: duration %d, want %d", i, dur, i*160)
		}
	}
	if ends != dtmfEndRepeats {
		t.Errorf("%d end packets, want %d", ends, dtmfEndRepeats)
	}
	last := p[len(p)-1]
	if last.PayloadType != 0 || last.Timestamp != p[0].Timestamp+uint32(len(p)-1)*160 {
		t.Errorf("audio after the event: %+v (first at %d)", last.Header, p[0].Timestamp)
	}
}

func TestSendTrackPauseAndNoEvents(t *testing.T) {
	out := &capture{}
	s := newSendTrack([]Codec{PCMU{}})
	if _, err := s.Bind(bindContext{pcmuAndEvents(false), out}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sendEvents([]uint8{1}); err != errNoTelephoneEvent {
		t.Errorf("sendEvents without telephone-event: %v", err)
	}
	frame := media.Sample{Data: make([]byte, 160), Duration: 20 * time.Millisecond}
	_ = s.WriteSample(frame)
	s.pause(true)
	for i := 0; i < 10; i++ {
		_ = s.WriteSample(frame)
	}
	s.pause(false)
	_ = s.WriteSample(frame)
	if len(out.pkts) != 2 {
		t.Fatalf("%d packets, want 2 (nothing while paused)", len(out.pkts))
	}
	a, b := out.pkts[0], out.pkts[1]
	if b.SequenceNumber != a.SequenceNumber+1 || b.Timestamp != a.Timestamp+11*160 || !b.Marker {
		t.Errorf("after the pause: %+v after %+v", b.Header, a.Header)
	}
}

func TestSDPDirection(t *testing.T) {
	sdp := "v=0\r\no=- 42 7 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=setup:actpass\r\na=sendrecv\r\na=ice-ufrag:abc\r\n"
	out := withDirection(withSetup(sdp, "passive"), dirSendOnly, 8)
	if sdpDirection(out) != dirSendOnly || strings.Count(out, "a=sendrecv") != 0 || !strings.Contains(out, "o=- 42 8 IN IP4") ||
		!strings.Contains(out, "a=setup:passive\r\n") || !strings.HasSuffix(out, "\r\n") {
		t.Fatalf("got\n%s", out)
	}
	if sdpVersion(out) != 8 || attr(out, "ice-ufrag") != "abc" {
		t.Errorf("version %d, ufrag %q", sdpVersion(out), attr(out, "ice-ufrag"))
	}
	if d := sdpDirection("v=0\r\na=inactive\r\nm=audio 1 RTP/AVP 0\r\n"); d != dirInactive {
		t.Errorf("session-level direction: %s", d)
	}
	for _, c := range []struct {
		local, remote string
		offered       bool
		want          string
	}{
		{"", "a=setup:active", true, "passive"},
		{"", "a=setup:passive", true, "active"},
		{"", "", true, "passive"},
		{"a=setup:active", "", false, "active"},
		{"a=setup:passive", "", false, "passive"},
	} {
		if got := ourRole(c.local, c.remote, c.offered); got != c.want {
			t.Errorf("ourRole(%q, %q, %v) = %s, want %s", c.local, c.remote, c.offered, got, c.want)
		}
	}
	if err := checkSDP(garbage); err == nil {
		t.Error("garbage SDP accepted")
	}
	if err := checkSDP("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n"); err == nil {
		t.Error("SDP without audio accepted")
	}
}

const garbage = "v=0\r\no=broken\r\nm=audio notaport RTP/AVP\r\n"

func TestDTMFParsing(t *testing.T) {
	if c, err := dtmfCodes("09*#aD"); err != nil || string(c) != string([]byte{0, 9, 10, 11, 12, 15}) {
		t.Errorf("dtmfCodes: %v %v", c, err)
	}
	for _, bad := range []string{"", "12x", "E"} {
		if _, err := dtmfCodes(bad); err == nil {
			t.Errorf("dtmfCodes(%q) accepted", bad)
		}
	}
	if d, err := parseDTMFRelay("Signal=5\r\nDuration=160"); err != nil || d != "5" {
		t.Errorf("parseDTMFRelay: %q %v", d, err)
	}
	for _, bad := range []string{"", "Signal=55", "Signal=Z", "Signal=1\r\nDuration=x"} {
		if _, err := parseDTMFRelay(bad); err == nil {
			t.Errorf("parseDTMFRelay(%q) accepted", bad)
		}
	}
	if c, err := sipfragStatus("SIP/2.0 200 OK\r\n"); err != nil || c != 200 {
		t.Errorf("sipfragStatus: %d %v", c, err)
	}
	for _, bad := range []string{"", "garbage", "SIP/2.0 abc", "SIP/2.0 99 x"} {
		if _, err := sipfragStatus(bad); err == nil {
			t.Errorf("sipfragStatus(%q) accepted", bad)
		}
	}
}

func TestMOS(t *testing.T) {
	clean := mos("PCMU", 20*time.Millisecond, 2*time.Millisecond, 0)
	lossy := mos("PCMU", 20*time.Millisecond, 2*time.Millisecond, 5)
	far := mos("PCMU", 600*time.Millisecond, 30*time.Millisecond, 0)
	awful := mos("PCMU", 2*time.Second, 100*time.Millisecond, 40)
	t.Logf("MOS clean %.2f, 5%% loss %.2f, 600 ms RTT %.2f, awful %.2f", clean, lossy, far, awful)
	if !(clean > 4.3 && clean <= 4.5 && lossy < clean && lossy > 3 && far < clean && awful >= 1 && awful < 2) {
		t.Error("MOS out of the expected ranges")
	}
}
