package softphone

import (
	"fmt"

	"github.com/pion/webrtc/v4"
)

// Codec turns 20 ms frames of mono 16-bit PCM at the codec's sample rate
// into RTP payloads and back. PCMU is built in; Opus (libopus via cgo)
// implements the same interface later, with its own Fmtp and a 48 kHz
// SampleRate, and Decode(nil) is where packet-loss concealment goes.
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
