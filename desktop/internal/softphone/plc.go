package softphone

import "math"

// Pitch-based waveform substitution, after the method ITU-T G.711
// Appendix I describes (and WebRTC's NetEq "expand" refines): a lost
// frame of voiced speech is rebuilt from the last pitch period played,
// repeated, which keeps the voice's pitch and timbre through the gap
// where a decoder's own concealment may fade or buzz.
//
//   - The history is the last plcHistory of what was played (decoded or
//     concealed), at the codec's rate.
//   - At a gap's first frame the pitch period is the lag, 2.5 to 15 ms,
//     with the highest normalised autocorrelation over the history: a
//     coarse search at about 8 kHz, refined at the full rate.
//   - The last period is looped; its last quarter is overlap-added with
//     the quarter before the period, so the loop's end runs into its
//     start without a click.
//   - Unattenuated for the first 10 ms, then a linear fade to silence at
//     60 ms into the gap (longer gaps are not speech any more).
//   - The first frame after the gap is cross-faded from the loop over
//     plcCrossFade.
const (
	plcHistoryMs  = 48
	plcMinLagUs   = 2500
	plcMaxLagMs   = 15
	plcHoldMs     = 10 // full level
	plcSilentMs   = 60 // silent from here
	plcCrossFadeU = 5000
	plcCoarseRate = 8000
)

type pitchPLC struct {
	rate           int
	minLag, maxLag int // samples
	hist           []int16
	filled         int // samples of hist that were played (from the end)
	coarse         []float64

	cycle   []float64 // the looped period
	period  int
	pos     int     // next sample of cycle
	gapPos  int     // samples concealed in this gap
	active  bool    // this gap is ours: the next frame played is cross-faded
	lastCor float64 // normalised correlation at the last estimate (tests, logs)
}

func newPitchPLC(rate int) *pitchPLC {
	c := &pitchPLC{
		rate:   rate,
		minLag: rate * plcMinLagUs / 1_000_000,
		maxLag: rate * plcMaxLagMs / 1000,
		hist:   make([]int16, rate*plcHistoryMs/1000),
	}
	c.cycle = make([]float64, c.maxLag)
	c.coarse = make([]float64, len(c.hist))
	return c
}

// record appends played samples to the history (no allocation).
func (c *pitchPLC) record(pcm []int16) {
	n := len(c.hist)
	if len(pcm) >= n {
		copy(c.hist, pcm[len(pcm)-n:])
	} else {
		copy(c.hist, c.hist[len(pcm):])
		copy(c.hist[n-len(pcm):], pcm)
	}
	c.filled = min(n, c.filled+len(pcm))
}

// pause forgets the history: after a pause in the peer's stream (hold),
// what was played before says nothing about what comes next.
func (c *pitchPLC) pause() {
	c.filled, c.active = 0, false
}

// played takes a decoded frame (changed in place: the cross-fade from the
// loop when the frame ends a gap this concealment filled) and records it.
func (c *pitchPLC) played(pcm []int16) {
	if c.active {
		c.active = false
		n := min(len(pcm), c.rate*plcCrossFadeU/1_000_000)
		for i := range n {
			w := float64(i+1) / float64(n+1)
			pcm[i] = clip16((1-w)*c.next() + w*float64(pcm[i]))
		}
	}
	c.record(pcm)
}

// begin estimates the pitch at a gap's first frame and takes the gap when
// the history is periodic enough (normalised correlation ≥ minCorr; 0
// takes any gap once the history is full). False: the history is too
// short or not periodic enough: the caller conceals otherwise.
func (c *pitchPLC) begin(minCorr float64) bool {
	c.active = false
	if c.filled < len(c.hist) {
		return false
	}
	lag, cor := c.pitch()
	c.lastCor = cor
	if lag == 0 || cor < minCorr {
		return false
	}
	c.period, c.pos, c.gapPos, c.active = lag, 0, 0, true
	x, n, q := c.hist, len(c.hist), lag/4
	for i := range lag {
		c.cycle[i] = float64(x[n-lag+i])
	}
	for i := range q { // the loop's end runs into the samples that led to its start
		w := float64(i+1) / float64(q+1)
		c.cycle[lag-q+i] = (1-w)*float64(x[n-q+i]) + w*float64(x[n-lag-q+i])
	}
	return true
}

// next is the loop's next sample at the gap's current gain.
func (c *pitchPLC) next() float64 {
	hold, silent := c.rate*plcHoldMs/1000, c.rate*plcSilentMs/1000
	g := 1.0
	if c.gapPos > hold {
		g = max(0, 1-float64(c.gapPos-hold)/float64(silent-hold))
	}
	v := g * c.cycle[c.pos]
	c.pos = (c.pos + 1) % c.period
	c.gapPos++
	return v
}

// synth conceals one frame of n samples (after begin returned true).
func (c *pitchPLC) synth(n int) []int16 {
	out := make([]int16, n) // the sink may keep it
	for i := range out {
		out[i] = clip16(c.next())
	}
	c.record(out)
	return out
}

// pitch is the lag (samples) with the highest normalised autocorrelation
// of the history's last part with itself that many samples earlier, and
// that correlation; 0 when the history is silent.
func (c *pitchPLC) pitch() (int, float64) {
	step := max(1, c.rate/plcCoarseRate)
	m := len(c.hist) / step
	for i := range m { // averaging over a step is the low-pass before decimation
		s := 0.0
		for _, v := range c.hist[i*step : (i+1)*step] {
			s += float64(v)
		}
		c.coarse[i] = s
	}
	best, _ := bestLag(c.coarse[:m], c.minLag/step, c.maxLag/step)
	if best == 0 {
		return 0, 0
	}
	x := c.coarse[:len(c.hist)]
	for i, v := range c.hist {
		x[i] = float64(v)
	}
	return bestLag(x, max(c.minLag, best*step-step), min(c.maxLag, best*step+step))
}

// bestLag searches lags lo..hi over x, correlating its last len(x)−hi
// samples.
func bestLag(x []float64, lo, hi int) (int, float64) {
	n := len(x)
	w := n - hi
	if w <= 0 || lo < 1 {
		return 0, 0
	}
	e0 := 0.0
	for _, v := range x[n-w:] {
		e0 += v * v
	}
	if e0 == 0 {
		return 0, 0
	}
	el := 0.0 // energy of the lagged window, slid one lag at a time
	for _, v := range x[n-w-lo : n-lo] {
		el += v * v
	}
	best, bestCor := 0, -1.0
	for lag := lo; lag <= hi; lag++ {
		if lag > lo {
			el += x[n-w-lag]*x[n-w-lag] - x[n-lag]*x[n-lag]
		}
		if el <= 0 {
			continue
		}
		cross := 0.0
		a, b := x[n-w:], x[n-w-lag:n-lag]
		for i := range a {
			cross += a[i] * b[i]
		}
		if cor := cross / math.Sqrt(e0*el); cor > bestCor {
			best, bestCor = lag, cor
		}
	}
	return best, bestCor
}

func clip16(v float64) int16 {
	return int16(max(-32768, min(32767, math.Round(v))))
}
