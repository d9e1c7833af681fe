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

// concealSteps are the gains of a repeated last frame for codecs without
// their own concealment (PCMU): softer each time, then silence.
var concealSteps = [...]float64{0.8, 0.5, 0.25}

// playout turns the jitter buffer's frames into audio for the sink, one
// 20 ms frame per tick: decoded, or concealed when missing (Opus: FEC
// from the next packet when it is there, PLC otherwise; other codecs:
// the last frame repeated softer, then silence).
type playout struct {
	jb      *jitterBuffer
	codec   Codec     // decodes the peer's packets
	conceal Concealer // nil when the codec has no concealment of its own
	sink    AudioSink
	rate    int // the sink's sample rate

	last      []int16 // the last frame decoded, for the generic concealment
	missing   int     // frames concealed in a row
	concealed atomic.Uint64
}

func newPlayout(jb *jitterBuffer, codec Codec, sink AudioSink, sinkRate int) *playout {
	p := &playout{jb: jb, codec: codec, sink: sink, rate: sinkRate}
	p.conceal, _ = codec.(Concealer)
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
		p.missing = 0
		return nil
	case frameReady:
		var err error
		if pcm, err = p.codec.Decode(f.payload); err != nil {
			pcm = p.makeUp(nil) // a corrupt packet is a lost one
		} else {
			p.missing = 0
			p.last = pcm
		}
	case frameMissing:
		pcm = p.makeUp(f.next)
	}
	return p.sink.Write(resample(pcm, p.codec.SampleRate(), p.rate))
}

// makeUp conceals one missing frame.
func (p *playout) makeUp(next []byte) []int16 {
	p.concealed.Add(1)
	p.missing++
	if p.conceal != nil {
		if next != nil {
			if pcm, err := p.conceal.DecodeFEC(next); err == nil {
				return pcm
			}
		}
		if pcm, err := p.conceal.DecodeLost(); err == nil {
			return pcm
		}
	}
	out := make([]int16, p.codec.SampleRate()/50)
	if p.missing <= len(concealSteps) && len(p.last) == len(out) {
		g := concealSteps[p.missing-1]
		for i, s := range p.last {
			out[i] = int16(float64(s) * g)
		}
	}
	return out
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

// playLoop plays one frame of the peer's audio every 20 ms until close.
func (m *mediaSession) playLoop() {
	defer m.wg.Done()
	tick := time.NewTicker(frameDuration)
	defer tick.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		if p := m.play.Load(); p != nil {
			_ = p.tick()
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
