package softphone

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// countingSink counts the frames we receive.
type countingSink struct{ n atomic.Int64 }

func (s *countingSink) Start(int) error         { return nil }
func (s *countingSink) Write(pcm []int16) error { s.n.Add(1); return nil }
func (s *countingSink) Close() error            { return nil }

// The peer restarts ICE (a re-offer with new credentials, as rtpengine
// would after its side moved): our mediaSession answers it through pion
// and audio from the peer keeps arriving over the new path.
func TestAnswerICERestartOffer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sink := &countingSink{}
	cfg := Config{Codecs: []Codec{PCMU{}}}
	m, err := newMediaSession(&cfg, SilenceSource{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()

	// The peer: plain pion sending PCMU frames.
	me := &webrtc.MediaEngine{}
	if err := registerCodecs(me, cfg.Codecs); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	peer, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	track, err := webrtc.NewTrackLocalStaticSample(capability(PCMU{}), "a", "peer")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := peer.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_ = track.WriteSample(media.Sample{Data: make([]byte, 160), Duration: 20 * time.Millisecond})
			}
		}
	}()
	offerAnswer := func(restart bool) {
		t.Helper()
		o, err := peer.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
		if err != nil {
			t.Fatal(err)
		}
		done := webrtc.GatheringCompletePromise(peer)
		if err := peer.SetLocalDescription(o); err != nil {
			t.Fatal(err)
		}
		<-done
		answer, err := m.answer(ctx, peer.LocalDescription().SDP)
		if err != nil {
			t.Fatal(err)
		}
		if err := peer.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
			t.Fatal(err)
		}
	}
	offerAnswer(false)
	if err := m.start(); err != nil {
		t.Fatal(err)
	}
	waitFrames := func(what string) {
		t.Helper()
		from := sink.n.Load()
		for sink.n.Load() < from+25 {
			select {
			case <-ctx.Done():
				t.Fatalf("%s: %d frames received", what, sink.n.Load()-from)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	waitFrames("before the restart")
	before := attr(m.pc.CurrentRemoteDescription().SDP, "ice-ufrag")
	offerAnswer(true)
	after := attr(m.pc.CurrentRemoteDescription().SDP, "ice-ufrag")
	if before == after {
		t.Fatalf("the peer's ice-ufrag did not change (%s)", before)
	}
	waitFrames("after the restart")
}
