package session

import (
	"math/rand/v2"
	"time"
)

// backoff is capped exponential backoff with jitter: the n-th delay in a row
// (n >= 1) is drawn from [d/2, d] where d = min*2^(n-1), at most max.
type backoff struct {
	min, max time.Duration
}

func (b backoff) delay(n int) time.Duration {
	d := b.min
	for i := 1; i < n && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// jitterDown shortens d by up to a tenth, so a periodic action spreads out
// without ever running later than d.
func jitterDown(d time.Duration) time.Duration {
	if d < 10 {
		return d
	}
	return d - rand.N(d/10+1)
}
