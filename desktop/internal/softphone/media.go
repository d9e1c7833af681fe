package softphone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

const frameDuration = 20 * time.Millisecond

// mediaSession is one call's WebRTC peer connection toward rtpengine:
// ICE, DTLS-SRTP, rtcp-mux, one audio track each way.
type mediaSession struct {
	pc     *webrtc.PeerConnection
	track  *sendTrack
	codec  Codec   // our first choice; sendCodec() is the negotiated one
	codecs []Codec // this call's, with their own encoder and decoder state
	src    AudioSource
	sink   AudioSink
	play   atomic.Pointer[playout] // set when the peer's track arrives

	firstOnce sync.Once
	firstRTP  chan struct{} // closed when the first packet arrives
	firstAt   time.Time

	stop    chan struct{}
	stopped sync.Once
	wg      sync.WaitGroup
	packets int64
}

func newMediaSession(cfg *Config, src AudioSource, sink AudioSink) (*mediaSession, error) {
	codecs, err := forCall(cfg.Codecs)
	if err != nil {
		return nil, err
	}
	codec := codecs[0]
	me := &webrtc.MediaEngine{}
	if err := registerCodecs(me, cfg.Codecs); err != nil {
		return nil, err
	}
	if err := registerTelephoneEvents(me, cfg.Codecs); err != nil {
		return nil, err
	}
	ir, err := statsInterceptors()
	if err != nil {
		return nil, err
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se), webrtc.WithInterceptorRegistry(ir))
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: cfg.ICEServers})
	if err != nil {
		return nil, fmt.Errorf("softphone: peer connection: %w", err)
	}
	m := &mediaSession{pc: pc, codec: codec, codecs: codecs, src: src, sink: sink, firstRTP: make(chan struct{}), stop: make(chan struct{})}
	m.track = newSendTrack(codecs)
	sender, err := pc.AddTrack(m.track)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	m.wg.Add(1)
	go func() { // RTCP from the peer: read so that pion's interceptors run, and to adapt our FEC to its receiver reports
		defer m.wg.Done()
		var fec fecAdapter
		buf := make([]byte, 1500)
		for {
			n, _, err := sender.Read(buf)
			if err != nil {
				return
			}
			pkts, err := rtcp.Unmarshal(buf[:n])
			if err != nil {
				continue // one we do not know: the interceptors have seen it
			}
			if enc := sender.GetParameters().Encodings; len(enc) > 0 {
				fec.onRTCP(pkts, uint32(enc[0].SSRC), m.sendCodec(), time.Now())
			}
		}
	}()
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { m.receive(tr) })
	return m, nil
}

// offer makes our SDP offer, with ICE candidates gathered.
func (m *mediaSession) offer(ctx context.Context) (string, error) {
	o, err := m.pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	return m.setLocal(ctx, o)
}

// answer takes the peer's offer and returns our answer.
func (m *mediaSession) answer(ctx context.Context, offer string) (string, error) {
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: addBundle(offer)}); err != nil {
		return "", fmt.Errorf("softphone: the peer's SDP offer: %w", err)
	}
	a, err := m.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	return m.setLocal(ctx, a)
}

// setAnswer takes the peer's answer to our offer.
func (m *mediaSession) setAnswer(answer string) error {
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fmt.Errorf("softphone: the peer's SDP answer: %w", err)
	}
	return nil
}

func (m *mediaSession) setLocal(ctx context.Context, d webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(m.pc)
	if err := m.pc.SetLocalDescription(d); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", fmt.Errorf("softphone: gathering ICE candidates: %w", ctx.Err())
	}
	return useHostCandidate(m.pc.LocalDescription().SDP), nil
}

// useHostCandidate puts the first host candidate's address and port into
// c= and m= instead of pion's 0.0.0.0 and 9, as browsers do: rtpengine
// forwards those to plain-RTP peers.
func useHostCandidate(sdp string) string {
	var ip, port string
	for _, line := range strings.Split(sdp, "\n") {
		f := strings.Fields(strings.TrimSpace(line))
		if len(f) >= 8 && strings.HasPrefix(f[0], "a=candidate:") && f[6] == "typ" && f[7] == "host" && strings.Count(f[4], ".") == 3 {
			if ip == "" || strings.HasPrefix(ip, "127.") && !strings.HasPrefix(f[4], "127.") {
				ip, port = f[4], f[5] // the first, but not loopback when there is another
			}
		}
	}
	if ip == "" {
		return sdp
	}
	sdp = strings.ReplaceAll(sdp, "c=IN IP4 0.0.0.0", "c=IN IP4 "+ip)
	return strings.Replace(sdp, "m=audio 9 ", "m=audio "+port+" ", 1)
}

// addBundle: an offer without a BUNDLE group (rtpengine's toward a
// WebSocket client has none, having one audio section) gets one naming its
// only section; pion rejects (port 0) sections outside the offer's group.
func addBundle(sdp string) string {
	if strings.Contains(sdp, "a=group:") || strings.Count(sdp, "m=") != 1 {
		return sdp
	}
	i := strings.Index(sdp, "a=mid:")
	j := strings.Index(sdp, "\nm=")
	if i < 0 || j < 0 {
		return sdp
	}
	mid := strings.TrimSpace(strings.SplitN(sdp[i+len("a=mid:"):], "\n", 2)[0])
	eol := "\n"
	if strings.Contains(sdp, "\r\n") {
		eol = "\r\n"
	}
	return sdp[:j+1] + "a=group:BUNDLE " + mid + eol + sdp[j+1:]
}

// start sends the source's audio every 20 ms with the negotiated codec,
// and plays the peer's every 20 ms, until close.
func (m *mediaSession) start() error {
	codec := m.sendCodec()
	rate := codec.SampleRate()
	if err := m.src.Start(rate); err != nil {
		return err
	}
	if err := m.sink.Start(rate); err != nil {
		return err
	}
	m.wg.Add(2)
	go m.playLoop()
	go func() {
		defer m.wg.Done()
		frame := make([]int16, rate/50)
		tick := time.NewTicker(frameDuration)
		defer tick.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
			if err := m.src.Read(frame); err != nil {
				return
			}
			payload, err := codec.Encode(frame)
			if err != nil {
				continue
			}
			if err := m.track.WriteSample(media.Sample{Data: payload, Duration: frameDuration}); err != nil && errors.Is(err, context.Canceled) {
				return
			}
		}
	}()
	return nil
}

// receive puts the peer's packets into a jitter buffer that the playout
// (started by start) empties every 20 ms; a change of codec (payload
// type) starts a new buffer and decoder. It runs on pion's goroutine for
// the track until the connection closes.
func (m *mediaSession) receive(tr *webrtc.TrackRemote) {
	var jb *jitterBuffer
	var pt uint8
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		m.firstOnce.Do(func() { m.firstAt = time.Now(); close(m.firstRTP) })
		if len(pkt.Payload) == 0 {
			continue
		}
		if jb == nil || pkt.PayloadType != pt {
			codec, ok := matchCodec(m.codecs, tr.Codec().RTPCodecCapability) // tr.Codec() follows the packet's payload type
			if !ok {
				continue // telephone-event, comfort noise, ...
			}
			jb, pt = newJitterBuffer(codec.ClockRate()), pkt.PayloadType
			m.play.Store(newPlayout(jb, codec, m.sink, m.sendCodec().SampleRate()))
		}
		jb.push(pkt.SequenceNumber, pkt.Timestamp, pkt.Payload, time.Now())
	}
}

func (m *mediaSession) close() {
	m.stopped.Do(func() {
		close(m.stop)
		_ = m.pc.Close()
		m.wg.Wait()
		_ = m.src.Close()
		_ = m.sink.Close()
	})
}
