package softphone

import (
	"math"
	"sync"
	"time"
)

// Jitter buffer limits, in 20 ms frames.
const (
	minDepth    = 2   // 40 ms: the floor of the target depth
	maxDepth    = 10  // 200 ms: its ceiling
	maxUnderrun = 5   // frames concealed with nothing buffered before playout pauses and refills (hold, a silent peer)
	maxJump     = 100 // a sequence jump of more than 2 s is a new stream: start over
	excessRun   = 25  // pops in a row above target+1 before one frame is dropped (0.5 s)
)

// jitterBuffer orders the peer's packets by RTP sequence number and gives
// them out one 20 ms frame at a time, keeping a target depth that follows
// the measured interarrival jitter (RFC 3550 estimator) between 40 and
// 200 ms. It counts late packets (their turn had passed) and lost frames
// (missing at their turn while a later packet was there).
//
// Sequence numbers are extended to 64 bits from the highest seen, so the
// 16-bit wrap-around is one step like any other. Safe for one pushing and
// one popping goroutine.
type jitterBuffer struct {
	mu        sync.Mutex
	clockRate float64

	packets map[uint64][]byte // payload by extended sequence number
	started bool              // a packet has arrived: highest and next are set
	highest uint64            // highest extended sequence number kept
	next    uint64            // the next to give out
	playing bool              // false while filling up to the target depth
	under   int               // pops in a row with nothing buffered
	covered int               // stand-ins played for next, next+1, … while nothing was buffered
	excess  int               // pops in a row deeper than the target allows
	stale   int               // packets in a row from more than maxJump back
	played  uint64            // bit i: next−1−i was given out (to tell duplicates from late packets)

	// RFC 3550 §6.4.1 interarrival jitter, in timestamp units.
	jitter      float64
	lastArrival time.Time
	lastTS      uint32
	haveLast    bool

	late, lost, dup, dropped uint64
}

func newJitterBuffer(clockRate uint32) *jitterBuffer {
	return &jitterBuffer{clockRate: float64(clockRate), packets: map[uint64][]byte{}}
}

// frameKind says what a pop gave.
type frameKind int

const (
	frameNone    frameKind = iota // nothing to play: filling, or paused
	frameReady                    // payload is the frame
	frameMissing                  // the frame is not here: conceal; next, when set, is the following packet (FEC)
)

type jbFrame struct {
	kind    frameKind
	payload []byte
	next    []byte
}

// push stores one packet. The buffer keeps payload: the caller must not
// reuse it.
func (j *jitterBuffer) push(seq uint16, ts uint32, payload []byte, arrival time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.started {
		j.reset(uint64(1)<<32 + uint64(seq))
	}
	ext := uint64(int64(j.highest) + int64(int16(seq-uint16(j.highest))))
	// A jump of more than 2 s is the peer restarting its sequence: forward
	// at once, backward when it goes on (one stale packet is just late).
	j.stale++
	switch d := int64(ext) - int64(j.next); {
	case d > maxJump:
		j.reset(ext)
	case d < -maxJump && j.stale >= 3:
		j.reset(ext)
	case d >= -maxJump:
		j.stale = 0
	}
	if _, dup := j.packets[ext]; dup || ext < j.next && j.next-1-ext < 64 && j.played>>(j.next-1-ext)&1 == 1 {
		j.dup++
		return
	}
	j.measure(ts, arrival)
	if ext < j.next {
		j.late++
		return
	}
	j.packets[ext] = payload
	if ext > j.highest {
		j.highest = ext
	}
}

func (j *jitterBuffer) reset(ext uint64) {
	clear(j.packets)
	j.started, j.highest, j.next, j.playing, j.under, j.covered, j.excess, j.stale, j.played = true, ext, ext, false, 0, 0, 0, 0, 0
	j.highest-- // nothing kept yet
	j.haveLast = false
}

// advance moves past the next frame, which was given out (or was not).
func (j *jitterBuffer) advance(given bool) {
	delete(j.packets, j.next)
	j.next++
	j.played <<= 1
	if given {
		j.played |= 1
	}
}

// measure updates the jitter estimate with one arrival:
// J += (|D| − J)/16, D the change in transit time from the packet before.
func (j *jitterBuffer) measure(ts uint32, arrival time.Time) {
	if j.haveLast && arrival.Sub(j.lastArrival) < time.Second { // after a pause (hold) the timestamps do not follow the clock
		d := arrival.Sub(j.lastArrival).Seconds()*j.clockRate - float64(int32(ts-j.lastTS))
		j.jitter += (math.Abs(d) - j.jitter) / 16
	}
	j.lastArrival, j.lastTS, j.haveLast = arrival, ts, true
}

// target is the depth (frames) to fill to: 40 ms plus three times the
// jitter, rounded, within [minDepth, maxDepth].
func (j *jitterBuffer) target() int {
	ms := 40 + 3*1000*j.jitter/j.clockRate
	return min(maxDepth, max(minDepth, int(math.Round(ms/20))))
}

// depth is the number of frames from the next to the highest kept, gaps
// included.
func (j *jitterBuffer) depth() int {
	if !j.started || j.highest < j.next {
		return 0
	}
	return int(j.highest - j.next + 1)
}

// pop gives the frame for the next 20 ms.
func (j *jitterBuffer) pop() jbFrame {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.playing {
		if j.depth() == 0 || j.depth() < j.target() {
			return jbFrame{}
		}
		j.playing, j.under, j.covered = true, 0, 0
	}
	// Stand-ins played while nothing was buffered took the turns of the
	// frames that a later packet now shows lost: those frames are not
	// concealed a second time (a shorter gap for the listener, and the
	// delay does not grow). A frame that came after all plays, and the
	// stand-ins become delay (see dropExcess).
	for j.covered > 0 && j.depth() > 0 {
		if _, ok := j.packets[j.next]; ok {
			break
		}
		j.lost++
		j.advance(false)
		j.covered--
	}
	if p, ok := j.packets[j.next]; ok {
		j.advance(true)
		j.under, j.covered = 0, 0
		return jbFrame{kind: frameReady, payload: p}
	}
	if j.depth() > 0 { // a later packet is here: this one is lost
		j.lost++
		j.advance(false)
		j.under, j.covered = 0, 0
		return jbFrame{kind: frameMissing, next: j.packets[j.next]}
	}
	// Nothing buffered: conceal without moving on, so a packet that is
	// only late still plays (the delay grows by a frame; see dropExcess).
	j.under++
	if j.under > maxUnderrun {
		j.playing, j.covered = false, 0 // the peer paused: fill up again when it is back
		return jbFrame{}
	}
	j.covered++
	return jbFrame{kind: frameMissing}
}

// dropExcess: when the buffer has stayed deeper than the target needs for
// excessRun pops (after a burst, or the peer's clock running fast), it
// gives out one frame to decode and discard, so the delay comes back down.
func (j *jitterBuffer) dropExcess() ([]byte, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.playing || j.depth() <= j.target()+1 {
		j.excess = 0
		return nil, false
	}
	if j.excess++; j.excess < excessRun {
		return nil, false
	}
	j.excess = 0
	p, ok := j.packets[j.next]
	if !ok {
		return nil, false // a gap: let pop count it as lost
	}
	j.advance(true)
	j.dropped++
	return p, true
}

// jbStats is what the buffer counted.
type jbStats struct {
	Late, Lost, Duplicates, Dropped uint64
	Jitter                          time.Duration
	Target                          int // frames
}

func (j *jitterBuffer) stats() jbStats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return jbStats{
		Late: j.late, Lost: j.lost, Duplicates: j.dup, Dropped: j.dropped,
		Jitter: time.Duration(j.jitter / j.clockRate * float64(time.Second)),
		Target: j.target(),
	}
}
