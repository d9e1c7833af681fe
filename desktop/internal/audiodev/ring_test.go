package audiodev

import (
	"slices"
	"testing"
)

func seq(from, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(from + i)
	}
	return out
}

func TestRingKeepsOrderAcrossTheWrap(t *testing.T) {
	r := newRing(10)
	var got []int16
	next := 0
	// Puts and gets of odd sizes walk the indexes round the buffer many
	// times without ever overflowing it.
	for range 50 {
		r.put(seq(next, 7))
		next += 7
		p := make([]int16, 4)
		for r.len() >= 3 {
			k := r.get(p)
			got = append(got, p[:k]...)
		}
	}
	p := make([]int16, 10)
	got = append(got, p[:r.get(p)]...)
	if want := seq(0, next); !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if d := r.droppedSamples(); d != 0 {
		t.Fatalf("dropped %d samples without overflow", d)
	}
}

func TestRingDropsTheOldestOnOverflow(t *testing.T) {
	r := newRing(8)
	r.put(seq(0, 5))
	r.put(seq(5, 5)) // 2 too many: 0 and 1 go
	p := make([]int16, 8)
	if k := r.get(p); k != 8 || !slices.Equal(p, seq(2, 8)) {
		t.Fatalf("got %d %v, want 8 %v", k, p[:k], seq(2, 8))
	}
	r.put(seq(100, 20)) // more than it holds at once: the last 8 stay
	if k := r.get(p); k != 8 || !slices.Equal(p, seq(112, 8)) {
		t.Fatalf("got %d %v, want 8 %v", k, p[:k], seq(112, 8))
	}
	if d := r.droppedSamples(); d != 2+12 {
		t.Fatalf("dropped %d, want 14", d)
	}
	if k := r.get(p); k != 0 {
		t.Fatalf("empty ring gave %d samples", k)
	}
}

func TestRingSignalsAReader(t *testing.T) {
	r := newRing(4)
	select {
	case <-r.ready:
		t.Fatal("ready before any put")
	default:
	}
	r.put(seq(0, 1))
	r.put(seq(1, 1)) // a second token would block a put; it must not
	<-r.ready
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	in := []int16{0, 1, -1, 32767, -32768, 12345, -12345}
	b := make([]byte, 2*len(in))
	encode(in, b)
	if b[2] != 1 || b[3] != 0 || b[4] != 0xff || b[5] != 0xff {
		t.Fatalf("not little-endian: % x", b)
	}
	if out := decode(b, nil); !slices.Equal(out, in) {
		t.Fatalf("got %v, want %v", out, in)
	}
}
