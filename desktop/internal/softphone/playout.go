package softphone

import (
	"sync/atomic"
	"time"
)

// PlayoutStats is what the receive side counted during a call.
type PlayoutStats struct {
	Concealed uint64        // frames made up: Opus FEC or PLC, or PCMU's repeat
	Late      uint64        // packets that came after their turn to play
	Lost      uint64        // frames missing at their turn while a later one was there
	Jitter    time.Duration // RFC 3550 interarrival jitter
}

// plcMinCorr is how periodic the history must be (normalised
// autocorrelation at the pitch lag) for the pitch-based concealment
// (plc.go) to take a gap from a codec that has its own (Opus): voiced
// speech and tones, where libopus's PLC may fade a frame to near silence;
// below it (unvoiced sounds, noise, several voices) libopus's PLC, which
// models those better, plays.
const plcMinCorr = 0.7

// playout turns the jitter buffer's frames into audio for the sink, one
// 20 ms frame per tick: decoded, or concealed when missing. The rule for
// a missing frame:
//   - Opus, when the next packet carries in-band FEC: libopus rebuilds
//     the frame from it;
//   - otherwise, at a gap's first frame, the pitch-based concealment
//     (plc.go) takes the gap when the history is periodic (Opus: ≥
//     plcMinCorr; PCMU: always, as G.711 Appendix I does), else the
//     codec's own (libopus PLC; PCMU: silence). Opus's PLC runs anyway,
//     its output discarded when ours plays, so that the decoder's state
//     follows the gap as libopus expects.
type playout struct {
	jb      *jitterBuffer
	codec   Codec     // decodes the peer's packets
	conceal Concealer // nil when the codec has no concealment of its own
	fec     fecCarrier
	plc     *pitchPLC // at the codec's rate
	sink    AudioSink
	rate    int // the sink's sample rate

	missing   int  // frames concealed in a row
	ours      bool // the pitch-based concealment has this gap
	concealed atomic.Uint64
}

// fecCarrier is a codec that can tell whether a packet carries in-band
// FEC for the frame before it (Opus). Concealers without it are assumed
// to.
type fecCarrier interface {
	hasFEC(payload []byte) bool
}

func newPlayout(jb *jitterBuffer, codec Codec, sink AudioSink, sinkRate int) *playout {
	p := &playout{jb: jb, codec: codec, sink: sink, rate: sinkRate, plc: newPitchPLC(codec.SampleRate())}
	p.conceal, _ = codec.(Concealer)
	p.fec, _ = codec.(fecCarrier)
	return p
}

// tick plays one frame. It runs on one goroutine (the codec's decoder is
// not shared).
func (p *playout) tick() error {
	if payload, ok := p.jb.dropExcess(); ok {
		_, _ = p.codec.Decode(payload) // keep the decoder's history whole; not played
	}
	f := p.jb.pop()
	var pcm []int16
	switch f.kind {
	case frameNone:
		p.missing, p.ours = 0, false
		p.plc.pause()
		return nil
	case frameReady:
		var err error
		if pcm, err = p.codec.Decode(f.payload); err != nil {
			pcm = p.makeUp(nil) // a corrupt packet is a lost one
		} else {
			p.missing, p.ours = 0, false
			p.plc.played(pcm)
		}
	case frameMissing:
		pcm = p.makeUp(f.next)
	}
	return p.sink.Write(resample(pcm, p.codec.SampleRate(), p.rate))
}

// makeUp conceals one missing frame (the rule is on playout).
func (p *playout) makeUp(next []byte) []int16 {
	p.concealed.Add(1)
	p.missing++
	var lib []int16
	if p.conceal != nil {
		if next != nil && (p.fec == nil || p.fec.hasFEC(next)) {
			if pcm, err := p.conceal.DecodeFEC(next); err == nil {
				p.ours = false
				p.plc.played(pcm) // cross-faded from ours when the gap was ours so far
				return pcm
			}
		}
		lib, _ = p.conceal.DecodeLost()
	}
	if p.missing == 1 {
		minCorr := plcMinCorr
		if p.conceal == nil {
			minCorr = -1 // nothing better to fall back on
		}
		p.ours = p.plc.begin(minCorr)
	}
	n := p.codec.SampleRate() / 50
	if p.ours {
		return p.plc.synth(n)
	}
	if len(lib) == 0 {
		lib = make([]int16, n)
	}
	p.plc.record(lib)
	return lib
}

func (p *playout) stats() PlayoutStats {
	s := p.jb.stats()
	return PlayoutStats{Concealed: p.concealed.Load(), Late: s.Late, Lost: s.Lost, Jitter: s.Jitter}
}

// resample converts by linear interpolation: only when the peer sends
// another codec than ours (its rate differs from the sink's), which the
// offer/answer rarely allows.
func resample(pcm []int16, from, to int) []int16 {
	if from == to || from <= 0 || to <= 0 || len(pcm) == 0 {
		return pcm
	}
	n := len(pcm) * to / from
	out := make([]int16, n)
	for i := range out {
		x := float64(i) * float64(from) / float64(to)
		k := int(x)
		if k+1 >= len(pcm) {
			out[i] = pcm[len(pcm)-1]
			continue
		}
		fr := x - float64(k)
		out[i] = int16(float64(pcm[k])*(1-fr) + float64(pcm[k+1])*fr)
	}
	return out
}

// sendCodec is the codec the offer/answer settled on (the first of ours
// until the descriptions are applied).
func (m *mediaSession) sendCodec() Codec {
	if c := m.track.codec(); c != nil {
		return c
	}
	return m.codec
}

// maxCatchUp is how many frames a late wake-up of the playout loop plays
// at once; beyond, the frames whose time passed are skipped.
const maxCatchUp = 5

// framesDue is how many frames to play at a wake-up elapsed after the
// loop's start, with played frames played so far, and the new count of
// frames accounted for.
func framesDue(elapsed time.Duration, played int64) (play int, accounted int64) {
	due := int64(elapsed / frameDuration)
	if due <= played {
		return 0, played
	}
	return int(min(due-played, maxCatchUp)), due
}

// playLoop plays the peer's audio at one frame per 20 ms until close.
// The ticker drops the ticks its reader missed, so a wake-up that comes
// late (a busy machine) plays every frame whose time has passed, up to
// maxCatchUp: otherwise the speaker would be short of those frames and
// the jitter buffer's delay would grow by as many until dropExcess.
func (m *mediaSession) playLoop() {
	defer m.wg.Done()
	start := time.Now()
	tick := time.NewTicker(frameDuration)
	defer tick.Stop()
	var played int64
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		var n int
		n, played = framesDue(time.Since(start), played)
		if p := m.play.Load(); p != nil {
			for range n {
				_ = p.tick()
			}
		}
	}
}

// playoutStats: what the receive side counted so far (zero before the
// peer's first packet).
func (m *mediaSession) playoutStats() PlayoutStats {
	if p := m.play.Load(); p != nil {
		return p.stats()
	}
	return PlayoutStats{}
}
