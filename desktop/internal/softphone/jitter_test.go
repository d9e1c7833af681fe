package softphone

import (
	"testing"
	"time"
)

// jbFeed pushes packets whose payload is their sequence number's low
// byte, 20 ms apart on both clocks.
type jbFeed struct {
	jb *jitterBuffer
	t0 time.Time
}

func newFeed() *jbFeed { return &jbFeed{jb: newJitterBuffer(8000), t0: time.Unix(1000, 0)} }

func (f *jbFeed) push(seq uint16, at int) {
	f.jb.push(seq, uint32(seq)*160, []byte{byte(seq)}, f.t0.Add(time.Duration(at)*frameDuration))
}

// popAll pops n frames and describes them: the payload byte, 'm' for a
// missing frame, '-' for none.
func (f *jbFeed) pop(t *testing.T, n int) []int {
	t.Helper()
	var out []int
	for range n {
		fr := f.jb.pop()
		switch fr.kind {
		case frameReady:
			out = append(out, int(fr.payload[0]))
		case frameMissing:
			out = append(out, -1)
		default:
			out = append(out, -2)
		}
	}
	return out
}

func same(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestJitterBufferReorders(t *testing.T) {
	f := newFeed()
	for i, s := range []uint16{10, 12, 11, 14, 13, 15} {
		f.push(s, i)
	}
	if got := f.pop(t, 6); !same(got, []int{10, 11, 12, 13, 14, 15}) {
		t.Fatalf("popped %v", got)
	}
	if s := f.jb.stats(); s.Lost != 0 || s.Late != 0 || s.Duplicates != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestJitterBufferWaitsForTargetDepth(t *testing.T) {
	f := newFeed()
	f.push(1, 0)
	if got := f.pop(t, 1); !same(got, []int{-2}) {
		t.Fatalf("one packet below the 40 ms target: %v", got)
	}
	f.push(2, 1)
	if got := f.pop(t, 2); !same(got, []int{1, 2}) {
		t.Fatalf("popped %v", got)
	}
}

func TestJitterBufferWrapsAround(t *testing.T) {
	f := newFeed()
	var want []int
	for i := range 10 {
		s := uint16(65531 + i) // 65531 … 65535, 0 … 4
		f.push(s, i)
		want = append(want, int(byte(s)))
	}
	if got := f.pop(t, 10); !same(got, want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
	if s := f.jb.stats(); s.Lost != 0 || s.Late != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestJitterBufferDuplicates(t *testing.T) {
	f := newFeed()
	f.push(1, 0)
	f.push(2, 1)
	f.push(2, 1) // still buffered
	f.push(3, 2)
	if got := f.pop(t, 2); !same(got, []int{1, 2}) {
		t.Fatalf("popped %v", got)
	}
	f.push(1, 3) // already played: a duplicate, not a late packet
	if got := f.pop(t, 1); !same(got, []int{3}) {
		t.Fatalf("popped %v", got)
	}
	if s := f.jb.stats(); s.Duplicates != 2 || s.Late != 0 || s.Lost != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestJitterBufferLossAndLate(t *testing.T) {
	f := newFeed()
	f.push(1, 0)
	f.push(2, 1)
	f.push(4, 3) // 3 is not here when its turn comes
	f.push(5, 4)
	if got := f.pop(t, 2); !same(got, []int{1, 2}) {
		t.Fatalf("popped %v", got)
	}
	fr := f.jb.pop()
	if fr.kind != frameMissing || len(fr.next) != 1 || fr.next[0] != 4 {
		t.Fatalf("frame 3: %+v, want missing with the next packet (4) for FEC", fr)
	}
	f.push(3, 5) // too late
	if got := f.pop(t, 2); !same(got, []int{4, 5}) {
		t.Fatalf("popped %v", got)
	}
	if s := f.jb.stats(); s.Lost != 1 || s.Late != 1 {
		t.Fatalf("stats %+v, want 1 lost and 1 late", s)
	}
}

func TestJitterBufferUnderrunWaitsForLatePacket(t *testing.T) {
	f := newFeed()
	f.push(1, 0)
	f.push(2, 1)
	if got := f.pop(t, 3); !same(got, []int{1, 2, -1}) {
		t.Fatalf("popped %v", got)
	}
	f.push(3, 4) // late, but its turn has not been given away
	if got := f.pop(t, 1); !same(got, []int{3}) {
		t.Fatalf("popped %v", got)
	}
	// The peer goes quiet (hold): a few concealed frames, then nothing
	// until it is back and the buffer has filled again.
	got := f.pop(t, maxUnderrun+2)
	if got[maxUnderrun-1] != -1 || got[maxUnderrun] != -2 || got[maxUnderrun+1] != -2 {
		t.Fatalf("silent peer: %v", got)
	}
	f.push(4, 100)
	if got := f.pop(t, 1); !same(got, []int{-2}) {
		t.Fatalf("refilling: %v", got)
	}
	f.push(5, 101)
	if got := f.pop(t, 2); !same(got, []int{4, 5}) {
		t.Fatalf("after the pause: %v", got)
	}
	if s := f.jb.stats(); s.Lost != 0 || s.Late != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestJitterBufferNewSequence(t *testing.T) {
	f := newFeed()
	f.push(1, 0)
	f.push(2, 1)
	f.pop(t, 2)
	f.push(30000, 2) // the peer restarted its stream
	f.push(30001, 3)
	if got := f.pop(t, 2); !same(got, []int{30000 % 256, 30001 % 256}) {
		t.Fatalf("popped %v", got)
	}
}

func TestJitterBufferDropsExcess(t *testing.T) {
	f := newFeed()
	for i := range 100 {
		f.push(uint16(i), 0) // a burst: 2 s at once
	}
	var dropped int
	f.jb.pop() // starts playing
	for range 2 * excessRun {
		if _, ok := f.jb.dropExcess(); ok {
			dropped++
		}
		f.jb.pop()
	}
	if dropped != 2 || f.jb.stats().Dropped != 2 {
		t.Fatalf("dropped %d in %d pops", dropped, 2*excessRun)
	}
}

func TestJitterEstimate(t *testing.T) {
	// Steady 20 ms: no jitter, the 40 ms floor.
	f := newFeed()
	for i := range 200 {
		f.push(uint16(i), i)
	}
	if s := f.jb.stats(); s.Jitter > time.Millisecond || s.Target != minDepth {
		t.Fatalf("steady: %+v", s)
	}
	// Arrivals alternately 12 ms early and on time: |D| = 12 ms each
	// time, and J tends to 12 ms; the target grows to 40 + 3·12 ms.
	f = newFeed()
	for i := range 400 {
		at := f.t0.Add(time.Duration(i)*frameDuration - time.Duration(i%2)*12*time.Millisecond)
		f.jb.push(uint16(i), uint32(i)*160, []byte{0}, at)
	}
	s := f.jb.stats()
	if s.Jitter < 11*time.Millisecond || s.Jitter > 13*time.Millisecond || s.Target != 4 {
		t.Fatalf("12 ms jitter: %+v", s)
	}
	// The ceiling.
	f = newFeed()
	for i := range 400 {
		at := f.t0.Add(time.Duration(i)*frameDuration - time.Duration(i%2)*150*time.Millisecond)
		f.jb.push(uint16(i), uint32(i)*160, []byte{0}, at)
	}
	if s := f.jb.stats(); s.Target != maxDepth {
		t.Fatalf("150 ms jitter: %+v", s)
	}
}

// TestJitterBufferStandInCoversLostFrame: a frame concealed while nothing
// was buffered stands for the frame whose turn it was; when a later
// packet shows that frame lost, it is not concealed again.
func TestJitterBufferStandInCoversLostFrame(t *testing.T) {
	f := newFeed()
	f.push(1, 0)
	f.push(2, 1)
	// 3 and 4 are lost: at 3's turn nothing is buffered.
	if got := f.pop(t, 3); !same(got, []int{1, 2, -1}) {
		t.Fatalf("popped %v", got)
	}
	f.push(5, 4)
	fr := f.jb.pop() // 3 was played by the stand-in: this is 4's turn
	if fr.kind != frameMissing || len(fr.next) != 1 || fr.next[0] != 5 {
		t.Fatalf("after the stand-in: %+v, want 4 missing with 5 for FEC", fr)
	}
	if got := f.pop(t, 1); !same(got, []int{5}) {
		t.Fatalf("popped %v", got)
	}
	if s := f.jb.stats(); s.Lost != 2 || s.Late != 0 {
		t.Fatalf("stats %+v, want 2 lost", s)
	}
	// Two stand-ins, then a packet two frames on: both covered, none
	// concealed twice; 8 is missing at its turn (FEC from 9).
	f.push(6, 5)
	f.pop(t, 1)
	if got := f.pop(t, 2); !same(got, []int{-1, -1}) { // 7, 8: nothing buffered
		t.Fatalf("popped %v", got)
	}
	f.push(9, 8)
	if got := f.pop(t, 1); !same(got, []int{9}) {
		t.Fatalf("after two stand-ins: %v, want 9 at once", got)
	}
}
