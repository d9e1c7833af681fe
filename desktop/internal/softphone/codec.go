package softphone

import (
	"fmt"
	"strings"

	"github.com/pion/webrtc/v4"
)

// Codec turns 20 ms frames of mono 16-bit PCM at the codec's sample rate
// into RTP payloads and back. PCMU (our own G.711 μ-law) and Opus (libopus
// via cgo, not on Windows: see codecs_*.go) implement it.
type Codec interface {
	// RTP description for the media engine and the SDP.
	MimeType() string
	ClockRate() uint32
	Channels() uint16
	PayloadType() uint8
	Fmtp() string
	// SampleRate of the PCM the codec takes and gives.
	SampleRate() int
	// Encode one frame (SampleRate/50 samples) into an RTP payload.
	Encode(pcm []int16) ([]byte, error)
	// Decode one RTP payload into PCM.
	Decode(payload []byte) ([]int16, error)
}

// perCall is a codec with state (encoder and decoder history): the value
// in Config.Codecs is a template shared by every call, and each call's
// media session works with a copy of its own.
type perCall interface {
	ForCall() (Codec, error)
}

// Concealer is a codec that rebuilds lost frames itself. Codecs without it
// (PCMU) get the playout's generic concealment instead.
type Concealer interface {
	// DecodeFEC rebuilds the frame lost just before the packet whose
	// payload is next, from the redundancy it carries.
	DecodeFEC(next []byte) ([]int16, error)
	// DecodeLost makes up one lost frame from the decoder's history.
	DecodeLost() ([]int16, error)
}

// remoteFmtp is a codec that adapts its encoder to the peer's fmtp
// (Opus: maxaveragebitrate).
type remoteFmtp interface {
	applyRemoteFmtp(line string)
}

// PCMU is G.711 μ-law, 8 kHz, payload type 0.
type PCMU struct{}

func (PCMU) MimeType() string   { return webrtc.MimeTypePCMU }
func (PCMU) ClockRate() uint32  { return 8000 }
func (PCMU) Channels() uint16   { return 1 }
func (PCMU) PayloadType() uint8 { return 0 }
func (PCMU) Fmtp() string       { return "" }
func (PCMU) SampleRate() int    { return 8000 }

func (PCMU) Encode(pcm []int16) ([]byte, error) {
	out := make([]byte, len(pcm))
	for i, s := range pcm {
		out[i] = EncodeULaw(s)
	}
	return out, nil
}

func (PCMU) Decode(payload []byte) ([]int16, error) {
	out := make([]int16, len(payload))
	for i, b := range payload {
		out[i] = DecodeULaw(b)
	}
	return out, nil
}

// CodecName is the codec's short name for stats and logs: "opus", "PCMU".
func CodecName(c Codec) string {
	name, _ := strings.CutPrefix(c.MimeType(), "audio/")
	return name
}

func capability(c Codec) webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: c.MimeType(), ClockRate: c.ClockRate(), Channels: c.Channels(), SDPFmtpLine: c.Fmtp()}
}

func registerCodecs(m *webrtc.MediaEngine, codecs []Codec) error {
	for _, c := range codecs {
		err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: capability(c), PayloadType: webrtc.PayloadType(c.PayloadType())}, webrtc.RTPCodecTypeAudio)
		if err != nil {
			return fmt.Errorf("softphone: codec %s: %w", c.MimeType(), err)
		}
	}
	return nil
}

// forCall gives each codec of the configuration as one call uses it.
func forCall(templates []Codec) ([]Codec, error) {
	out := make([]Codec, len(templates))
	for i, c := range templates {
		out[i] = c
		if t, ok := c.(perCall); ok {
			var err error
			if out[i], err = t.ForCall(); err != nil {
				return nil, fmt.Errorf("softphone: codec %s: %w", c.MimeType(), err)
			}
		}
	}
	return out, nil
}

// matchCodec finds our codec for one the SDP negotiated (by name and
// clock rate; payload types may differ).
func matchCodec(codecs []Codec, p webrtc.RTPCodecCapability) (Codec, bool) {
	for _, c := range codecs {
		if strings.EqualFold(p.MimeType, c.MimeType()) && p.ClockRate == c.ClockRate() {
			return c, true
		}
	}
	return nil, false
}
