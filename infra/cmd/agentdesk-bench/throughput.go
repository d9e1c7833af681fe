package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentdesk/agentdesk/functions/auth"
)

// throughput compares raw argon2id verifies with sign-ins through the API,
// both with one goroutine per GOMAXPROCS.
type throughput struct {
	Workers  int           // concurrent goroutines, = GOMAXPROCS
	Round    time.Duration // length of each half-round
	Accounts int           // distinct users signing in
	Raw      []half        // one per round
	Login    []half
	// At concurrency 1: one verify, and one sign-in end to end.
	VerifyP50, LoginP50 time.Duration
	Single              int   // samples behind the two p50s
	SingleUse           usage // the measured API's usage for those sign-ins
	// DynamoDB requests of the sign-ins of the throughput run.
	LoginDB counts
}

// half is one timed run of verifies or of sign-ins.
type half struct {
	Ops  int
	Wall time.Duration
	CPU  time.Duration // this process's CPU time over the run (0 if unknown)
}

func (h half) perSec() float64 { return perSec(h.Ops, h.Wall) }

// perCPUSec is calls per second of CPU time: what one core would do if
// the process had it to itself.
func (h half) perCPUSec() float64 { return perSec(h.Ops, h.CPU) }

// busy is the share of workers cores the process used.
func (h half) busy(workers int) float64 {
	if h.Wall <= 0 || workers <= 0 {
		return 0
	}
	return float64(h.CPU) / float64(h.Wall) / float64(workers)
}

func sum(hs []half) half {
	var t half
	for _, h := range hs {
		t.Ops, t.Wall, t.CPU = t.Ops+h.Ops, t.Wall+h.Wall, t.CPU+h.CPU
	}
	return t
}

func (t throughput) raw() half   { return sum(t.Raw) }
func (t throughput) login() half { return sum(t.Login) }

// ratio is sign-ins per core over raw verifies per core, wall clock.
func (t throughput) ratio() float64 { return t.login().perSec() / t.raw().perSec() }

// cpuRatio is the same per CPU-second: blind to other processes taking
// the machine's cores.
func (t throughput) cpuRatio() float64 { return t.login().perCPUSec() / t.raw().perCPUSec() }

// quiet is the wall-clock ratio over the rounds in which the process kept
// at least the contended share of its cores busy in both halves, and how
// many rounds that was (0: no such round, ratio 0).
func (t throughput) quiet() (float64, int) {
	var raw, in []half
	for i := range t.Raw {
		if min(t.Raw[i].busy(t.Workers), t.Login[i].busy(t.Workers)) >= contended {
			raw, in = append(raw, t.Raw[i]), append(in, t.Login[i])
		}
	}
	if len(raw) == 0 {
		return 0, 0
	}
	return sum(in).perSec() / sum(raw).perSec(), len(raw)
}

// roundRatios are each round's wall-clock ratio.
func (t throughput) roundRatios() []float64 {
	var out []float64
	for i := range t.Raw {
		out = append(out, t.Login[i].perSec()/t.Raw[i].perSec())
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func perSec(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// measureThroughput alternates rounds of raw verifies and of sign-ins, so
// that both halves see the same machine (other processes, thermal state).
func measureThroughput(ctx context.Context, e *env, accounts []account, workers, rounds, single int, round time.Duration, progress func(string, ...any)) (throughput, error) {
	t := throughput{Workers: workers, Round: round, Accounts: len(accounts), Single: single}
	pw := "a raw verify passphrase"
	hash, err := auth.HashPassword(pw, e.Policy.Hash)
	if err != nil {
		return t, err
	}
	verify := func(context.Context, int, int) error {
		ok, err := auth.VerifyPassword(pw, hash)
		if err == nil && !ok {
			err = errors.New("raw verify: password did not match")
		}
		return err
	}
	c := e.client("")
	login := func(ctx context.Context, w, i int) error {
		a := accounts[(w+i*workers)%len(accounts)]
		_, err := c.Login(ctx, loginReq(a.Email, a.Password, fmt.Sprintf("bench-%d", w)))
		if err != nil {
			return fmt.Errorf("sign-in %s: %w", a.Email, err)
		}
		return nil
	}

	// Warm-up: heap grown, connections open, code paths taken. One
	// sign-in alone first: auth.Service computes its dummy hash on the
	// first one without a lock.
	if _, err := loop(ctx, workers, 0, 2, verify); err != nil {
		return t, err
	}
	if err := login(ctx, 0, 0); err != nil {
		return t, err
	}
	if _, err := loop(ctx, workers, 0, 2, login); err != nil {
		return t, err
	}
	for r := range rounds {
		raw, err := loop(ctx, workers, round, 0, verify)
		if err != nil {
			return t, err
		}
		mark := e.apiDB.snapshot()
		in, err := loop(ctx, workers, round, 0, login)
		if err != nil {
			return t, err
		}
		t.LoginDB = addCounts(t.LoginDB, e.apiDB.since(mark))
		t.Raw, t.Login = append(t.Raw, raw), append(t.Login, in)
		progress("  round %d/%d: %.1f verifies/s, %.1f sign-ins/s, ratio %.3f (per CPU-second %.3f; cores busy %.0f%% / %.0f%%)",
			r+1, rounds, raw.perSec(), in.perSec(), in.perSec()/raw.perSec(), in.perCPUSec()/raw.perCPUSec(),
			100*raw.busy(workers), 100*in.busy(workers))
	}

	// Concurrency 1, interleaved: where a single sign-in's time goes.
	var vs, ls []time.Duration
	m := e.mark()
	for i := range single {
		s := time.Now()
		if err := verify(ctx, 0, 0); err != nil {
			return t, err
		}
		vs = append(vs, time.Since(s))
		s = time.Now()
		if err := login(ctx, 0, i); err != nil {
			return t, err
		}
		ls = append(ls, time.Since(s))
	}
	t.SingleUse = e.since(m)
	t.VerifyP50, t.LoginP50 = percentile(vs, 50), percentile(ls, 50)
	return t, nil
}

// loop runs fn on workers goroutines, each calling it until d has passed
// (d > 0) or n times (d == 0), and returns the calls completed, the time
// taken and the process's CPU time meanwhile. The first error stops every
// goroutine.
func loop(ctx context.Context, workers int, d time.Duration, n int, fn func(ctx context.Context, worker, i int) error) (half, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var done atomic.Int64
	var wg sync.WaitGroup
	cpu0, start := cpuTime(), time.Now()
	deadline := start.Add(d)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if ctx.Err() != nil || (d > 0 && !time.Now().Before(deadline)) || (d == 0 && i == n) {
					return
				}
				if err := fn(ctx, w, i); err != nil {
					cancel(err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	h := half{Ops: int(done.Load()), Wall: time.Since(start), CPU: cpuTime() - cpu0}
	if err := context.Cause(ctx); err != nil {
		return h, err
	}
	return h, nil
}

func addCounts(a, b counts) counts {
	out := counts{Ops: map[string]int{}, TxItems: a.TxItems + b.TxItems, Time: a.Time + b.Time, Errors: map[string]int{}, Retries: map[string]int{},
		Access: map[string]int{}, OpTime: map[string]time.Duration{}}
	for _, c := range []counts{a, b} {
		for k, d := range c.OpTime {
			out.OpTime[k] += d
		}
		for k, n := range c.Access {
			out.Access[k] += n
		}
		for op, n := range c.Ops {
			out.Ops[op] += n
		}
		for op, n := range c.Errors {
			out.Errors[op] += n
		}
		for op, n := range c.Retries {
			out.Retries[op] += n
		}
	}
	return out
}
