package softphone

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// sendTrack is the call's outgoing audio track. It makes the RTP packets
// itself so that audio frames and RFC 4733 telephone-events share one
// SSRC, one sequence-number space and one timestamp clock, as the RFC
// requires: pion's TrackLocalStaticSample has one payload type only, and
// TrackLocalStaticRTP overwrites every packet's payload type with the
// codec's. pion binds a track when the descriptions are applied, and an
// answer without the track's codec fails the whole SetRemoteDescription:
// sendTrack holds every codec we offer and binds the first of ours in the
// negotiated list (the peer's order), so the call encodes with whatever
// the offer/answer settled on. It also sends nothing while the call is on hold (paused), the
// timestamp still advancing so that the receiver sees the gap.
type sendTrack struct {
	codecs []Codec

	mu      sync.Mutex
	bound   Codec // nil until bound
	rate    uint32
	out     webrtc.TrackLocalWriter // nil until bound
	ssrc    uint32
	pt      uint8
	eventPT uint8 // telephone-event at the codec's clock rate
	events  bool  // the peer accepted telephone-event at that rate
	bindID  string
	seq     uint16
	clock   uint32 // timestamp of the next frame
	first   bool   // the next packet starts a talk spurt (marker bit)
	paused  bool
	sent    uint64
	queue   []*dtmfEvent
}

// RFC 4733 timing: each digit is a 100 ms tone (5 packets of 20 ms), its
// end packet sent three times, then 60 ms of audio before the next digit.
const (
	dtmfToneFrames = 5
	dtmfEndRepeats = 3
	dtmfGapFrames  = 3
	dtmfVolume     = 10 // -10 dBm0
)

type dtmfEvent struct {
	code   uint8
	start  uint32
	frames int // tone packets sent
	ends   int // end packets sent
	gap    int // audio frames after the end
	done   chan error
}

func newSendTrack(codecs []Codec) *sendTrack {
	return &sendTrack{codecs: codecs, rate: codecs[0].ClockRate(), first: true, seq: uint16(rand.Uint32()), clock: rand.Uint32()}
}

// codec is the one negotiated (nil before the descriptions are applied).
func (s *sendTrack) codec() Codec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bound
}

func (s *sendTrack) ID() string       { return "audio" }
func (s *sendTrack) RID() string      { return "" }
func (s *sendTrack) StreamID() string { return "agentdesk" }
func (s *sendTrack) Kind() webrtc.RTPCodecType {
	return webrtc.RTPCodecTypeAudio
}

// Bind is called by pion once the codecs are negotiated: it takes the
// first of the peer's codecs that is one of ours, and telephone-event at
// its clock rate.
func (s *sendTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	params := ctx.CodecParameters()
	var found *webrtc.RTPCodecParameters
	for _, p := range params {
		if c, ok := matchCodec(s.codecs, p.RTPCodecCapability); ok {
			if r, ok := c.(remoteFmtp); ok {
				r.applyRemoteFmtp(p.SDPFmtpLine)
			}
			p := p
			found, s.bound, s.rate = &p, c, c.ClockRate()
			break
		}
	}
	if found == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	s.events = false
	for _, p := range params {
		if strings.EqualFold(p.MimeType, mimeTelephoneEvent) && p.ClockRate == s.rate {
			s.eventPT, s.events = uint8(p.PayloadType), true
			break
		}
	}
	s.out, s.ssrc, s.pt, s.bindID = ctx.WriteStream(), uint32(ctx.SSRC()), uint8(found.PayloadType), ctx.ID()
	return *found, nil
}

func (s *sendTrack) Unbind(ctx webrtc.TrackLocalContext) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bindID != ctx.ID() {
		return webrtc.ErrUnbindFailed
	}
	s.out = nil
	return nil
}

// WriteSample sends one encoded audio frame, or in its place the next
// packet of a telephone-event being sent; nothing while paused.
func (s *sendTrack) WriteSample(sample media.Sample) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	samples := uint32(sample.Duration.Seconds()*float64(s.rate) + 0.5)
	ts := s.clock
	s.clock += samples
	if s.paused {
		s.first = true
		return nil
	}
	if s.out == nil {
		return nil // not negotiated yet
	}
	if len(s.queue) > 0 {
		if sent, err := s.writeEvent(ts, samples); sent || err != nil {
			return err
		}
	}
	h := rtp.Header{Version: 2, PayloadType: s.pt, SequenceNumber: s.seq, Timestamp: ts, SSRC: s.ssrc, Marker: s.first}
	s.seq++
	s.first = false
	s.sent++
	_, err := s.out.WriteRTP(&h, sample.Data)
	return err
}

// writeEvent advances the first queued event by one 20 ms step; sent is
// false when this step is audio (the gap after a digit).
func (s *sendTrack) writeEvent(ts, samples uint32) (sent bool, err error) {
	ev := s.queue[0]
	if ev.frames == 0 {
		ev.start = ts
	}
	var end bool
	switch {
	case ev.frames < dtmfToneFrames:
		ev.frames++
	case ev.ends < dtmfEndRepeats:
		ev.ends++
		end = true
	case ev.gap < dtmfGapFrames:
		ev.gap++
		return false, nil
	default:
		s.queue = s.queue[1:]
		ev.done <- nil
		return false, nil
	}
	duration := uint32(ev.frames) * samples
	payload := []byte{ev.code, dtmfVolume, byte(duration >> 8), byte(duration)}
	if end {
		payload[1] |= 0x80
	}
	h := rtp.Header{Version: 2, PayloadType: s.eventPT, SequenceNumber: s.seq, Timestamp: ev.start, SSRC: s.ssrc, Marker: ev.frames == 1 && !end}
	s.seq++
	s.sent++
	s.first = true // audio after the event starts a new talk spurt
	_, err = s.out.WriteRTP(&h, payload)
	return true, err
}

var errNoTelephoneEvent = errors.New("softphone: telephone-event not negotiated")

// sendEvents queues digits as telephone-events; the returned channels
// report each digit's end. The send loop (20 ms) paces them.
func (s *sendTrack) sendEvents(codes []uint8) ([]chan error, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.events || s.out == nil {
		return nil, errNoTelephoneEvent
	}
	var done []chan error
	for _, c := range codes {
		ev := &dtmfEvent{code: c, done: make(chan error, 1)}
		s.queue = append(s.queue, ev)
		done = append(done, ev.done)
	}
	return done, nil
}

// canSendEvents: telephone-event was negotiated at the codec's rate.
func (s *sendTrack) canSendEvents() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.events && s.out != nil
}

// pause stops (true) or restarts sending; queued events are dropped.
func (s *sendTrack) pause(p bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paused = p
	if p {
		for _, ev := range s.queue {
			ev.done <- errors.New("softphone: the call was put on hold")
		}
		s.queue = nil
	}
}

// packetsSent counts RTP packets written (audio and events).
func (s *sendTrack) packetsSent() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}
