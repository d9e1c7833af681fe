package audiodev

import "sync"

// ring is a bounded FIFO of samples between a device's audio thread and
// the call's goroutines. When it is full the oldest samples go: a late
// reader then hears the newest audio, so the delay stays bounded instead
// of growing with every hiccup.
type ring struct {
	mu      sync.Mutex
	buf     []int16
	start   int // index of the oldest sample
	n       int // samples held
	dropped uint64

	// ready gets a token after each put, for a reader waiting for data.
	ready chan struct{}
}

func newRing(capacity int) *ring {
	return &ring{buf: make([]int16, capacity), ready: make(chan struct{}, 1)}
}

// put appends p, dropping the oldest samples that no longer fit.
func (r *ring) put(p []int16) {
	r.mu.Lock()
	if len(p) > len(r.buf) {
		r.dropped += uint64(len(p) - len(r.buf))
		p = p[len(p)-len(r.buf):]
	}
	if over := r.n + len(p) - len(r.buf); over > 0 {
		r.start = (r.start + over) % len(r.buf)
		r.n -= over
		r.dropped += uint64(over)
	}
	end := (r.start + r.n) % len(r.buf)
	c := copy(r.buf[end:], p)
	copy(r.buf, p[c:])
	r.n += len(p)
	r.mu.Unlock()
	select {
	case r.ready <- struct{}{}:
	default:
	}
}

// get moves up to len(p) of the oldest samples into p and returns how
// many it moved.
func (r *ring) get(p []int16) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := min(len(p), r.n)
	c := copy(p[:k], r.buf[r.start:min(r.start+k, len(r.buf))])
	copy(p[c:k], r.buf)
	r.start = (r.start + k) % len(r.buf)
	r.n -= k
	return k
}

// len is the number of samples held.
func (r *ring) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// droppedSamples is how many samples overflow has thrown away.
func (r *ring) droppedSamples() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}
