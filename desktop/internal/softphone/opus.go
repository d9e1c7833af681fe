//go:build cgo && !windows

package softphone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/pion/webrtc/v4"
	"gopkg.in/hraban/opus.v2"
)

// Opus is libopus (cgo) at 48 kHz mono, 20 ms frames, payload type 111,
// tuned for speech (VoIP application) with in-band forward error
// correction: each packet also carries a coarse copy of the one before,
// which the receiver decodes when that one is lost.
//
// The value in Config.Codecs is a template: each call gets its own
// encoder and decoder from ForCall. A template's Encode and Decode fail.
type Opus struct {
	// Bitrate in bits/s; 32000 when zero, as browsers send speech
	// (libopus alone would pick about 51 kbit/s for 48 kHz mono).
	Bitrate int
	// ExpectedLoss is the packet loss (percent) the encoder plans its
	// redundancy for at the start of a call; when zero, the floor of the
	// adaptation (fecMinLoss, 5): enough for libopus to code speech with
	// its redundancy from the first frame, no more until the peer's
	// receiver reports say so (fec.go).
	ExpectedLoss int

	wantLoss atomic.Int32 // set by expectLoss, taken by Encode; 0: no change

	enc *opus.Encoder
	dec *opus.Decoder
	out []byte  // encoder output
	pcm []int16 // decoder output: up to 120 ms in one packet
}

const opusFrame = 960 // samples in 20 ms at 48 kHz

var errOpusTemplate = errors.New("softphone: Opus template: use ForCall for a call's encoder and decoder")

func (*Opus) MimeType() string   { return webrtc.MimeTypeOpus }
func (*Opus) ClockRate() uint32  { return 48000 }
func (*Opus) Channels() uint16   { return 2 } // RFC 7587: always 2 in the SDP, whatever is sent
func (*Opus) PayloadType() uint8 { return 111 }
func (*Opus) Fmtp() string       { return "minptime=10;useinbandfec=1" }
func (*Opus) SampleRate() int    { return 48000 }

// ForCall makes a fresh encoder and decoder with the template's settings.
func (o *Opus) ForCall() (Codec, error) {
	enc, err := opus.NewEncoder(48000, 1, opus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("opus encoder: %w", err)
	}
	loss := o.ExpectedLoss
	if loss == 0 {
		loss = fecMinLoss
	}
	if err := enc.SetInBandFEC(true); err != nil {
		return nil, err
	}
	if err := enc.SetPacketLossPerc(loss); err != nil {
		return nil, err
	}
	bitrate := o.Bitrate
	if bitrate == 0 {
		bitrate = 32000
	}
	if err := enc.SetBitrate(bitrate); err != nil {
		return nil, err
	}
	dec, err := opus.NewDecoder(48000, 1)
	if err != nil {
		return nil, fmt.Errorf("opus decoder: %w", err)
	}
	return &Opus{Bitrate: bitrate, ExpectedLoss: loss, enc: enc, dec: dec, out: make([]byte, 1500), pcm: make([]int16, 6*opusFrame)}, nil
}

// Encode one 20 ms frame (960 samples). Called from the sending goroutine
// only: the encoder is not shared.
func (o *Opus) Encode(pcm []int16) ([]byte, error) {
	if o.enc == nil {
		return nil, errOpusTemplate
	}
	if want := int(o.wantLoss.Swap(0)); want > 0 && want != o.ExpectedLoss {
		if o.enc.SetPacketLossPerc(want) == nil {
			o.ExpectedLoss = want
		}
	}
	n, err := o.enc.Encode(pcm, o.out)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), o.out[:n]...), nil // the track keeps the sample
}

// expectLoss asks the encoder to plan its in-band FEC for percent loss
// from the next frame on (the encoder is not shared: Encode applies it).
func (o *Opus) expectLoss(percent int) {
	o.wantLoss.Store(int32(percent))
}

// Decode one packet into 48 kHz mono (a stereo stream is mixed down by
// libopus). Called from the playout goroutine only.
func (o *Opus) Decode(payload []byte) ([]int16, error) {
	if o.dec == nil {
		return nil, errOpusTemplate
	}
	n, err := o.dec.Decode(payload, o.pcm)
	if err != nil {
		return nil, err
	}
	return append([]int16(nil), o.pcm[:n]...), nil // the sink may keep it
}

// DecodeFEC rebuilds the lost frame before next from next's in-band FEC
// (libopus falls back to PLC when next carries none).
func (o *Opus) DecodeFEC(next []byte) ([]int16, error) {
	if o.dec == nil {
		return nil, errOpusTemplate
	}
	pcm := make([]int16, opusFrame) // the capacity tells libopus how much was lost
	if err := o.dec.DecodeFEC(next, pcm); err != nil {
		return nil, err
	}
	return pcm, nil
}

// DecodeLost conceals one lost 20 ms frame (libopus PLC).
func (o *Opus) DecodeLost() ([]int16, error) {
	if o.dec == nil {
		return nil, errOpusTemplate
	}
	pcm := make([]int16, opusFrame)
	if err := o.dec.DecodePLC(pcm); err != nil {
		return nil, err
	}
	return pcm, nil
}

// applyRemoteFmtp lowers the bitrate to the peer's maxaveragebitrate
// (RFC 7587 §6.1), before the first frame is encoded.
func (o *Opus) applyRemoteFmtp(line string) {
	for _, p := range strings.Split(line, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(k, "maxaveragebitrate") {
			continue
		}
		if limit, err := strconv.Atoi(v); err == nil && o.enc != nil && limit >= 6000 && limit < o.Bitrate {
			if o.enc.SetBitrate(limit) == nil {
				o.Bitrate = limit
			}
		}
	}
}

// hasFEC: whether payload carries in-band FEC (SILK's LBRR data) for the
// frame before it. Only SILK and hybrid packets can (TOC configurations
// 0..15, RFC 6716 §3.1); in a packet of one frame, code 0, the LBRR flag
// of the first channel is the second of the range coder's first bits
// (after one VAD flag per 20 ms SILK frame), and bits of probability ½ at
// the start of the range coder are the first byte's top bits. Packets of
// several frames (codes 1..3) are assumed to carry it.
func (o *Opus) hasFEC(payload []byte) bool {
	if len(payload) < 2 {
		return false
	}
	toc := payload[0]
	if toc>>3 >= 16 { // CELT only
		return false
	}
	if toc&3 != 0 {
		return true
	}
	silkFrames := 1 // 10 or 20 ms
	switch (toc >> 3) & 3 {
	case 2:
		silkFrames = 2 // 40 ms
	case 3:
		silkFrames = 3 // 60 ms
	}
	if toc>>3 >= 12 { // hybrid: 10 or 20 ms, one SILK frame
		silkFrames = 1
	}
	return payload[1]&(0x80>>silkFrames) != 0
}
