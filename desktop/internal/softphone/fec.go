package softphone

import (
	"math"
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// Adaptive in-band FEC, as WebRTC does: the encoder's expected packet
// loss (how much of each packet libopus spends on a coarse copy of the
// frame before) follows the loss the peer reports in its RTCP receiver
// reports, smoothed, kept within [fecMinLoss, fecMaxLoss] and re-evaluated
// at most once per fecEvery.
const (
	fecMinLoss = 5  // percent: some redundancy even on a clean path, for the first losses
	fecMaxLoss = 40 // percent: above, redundancy costs more speech quality than it saves
	fecEvery   = time.Second
)

// lossAdaptive is a codec whose encoder plans redundancy for an expected
// loss (Opus). expectLoss may be called from any goroutine; the encoder
// takes the value at its next frame.
type lossAdaptive interface {
	expectLoss(percent int)
}

// fecAdapter turns the peer's receiver reports about our stream into the
// encoder's expected loss.
type fecAdapter struct {
	mu       sync.Mutex
	smoothed float64 // fraction 0..1
	have     bool
	applied  time.Time
	percent  int // last set; 0 before the first report
}

// report takes one reception report's fraction lost (RFC 3550: lost/256
// since the previous report) and returns the expected loss to set, and
// whether it is time to set it. Loss that rises is followed quickly (the
// redundancy must be there for the next losses), loss that falls slowly
// (losses come in spells).
func (a *fecAdapter) report(fractionLost uint8, now time.Time) (int, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	x := float64(fractionLost) / 256
	switch {
	case !a.have:
		a.smoothed, a.have = x, true
	case x > a.smoothed:
		a.smoothed += 0.5 * (x - a.smoothed)
	default:
		a.smoothed += 0.2 * (x - a.smoothed)
	}
	if !a.applied.IsZero() && now.Sub(a.applied) < fecEvery {
		return a.percent, false
	}
	p := min(fecMaxLoss, max(fecMinLoss, int(math.Round(100*a.smoothed))))
	a.applied = now
	a.percent = p
	return p, true
}

// onRTCP feeds the reports about ssrc (our stream) in pkts to the codec,
// when it adapts.
func (a *fecAdapter) onRTCP(pkts []rtcp.Packet, ssrc uint32, c Codec, now time.Time) {
	la, ok := c.(lossAdaptive)
	if !ok {
		return
	}
	for _, p := range pkts {
		var reports []rtcp.ReceptionReport
		switch r := p.(type) {
		case *rtcp.ReceiverReport:
			reports = r.Reports
		case *rtcp.SenderReport:
			reports = r.Reports
		}
		for _, rr := range reports {
			if rr.SSRC != ssrc {
				continue
			}
			if pct, set := a.report(rr.FractionLost, now); set {
				la.expectLoss(pct)
			}
		}
	}
}
