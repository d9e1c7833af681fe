package main

import (
	"context"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/agentdesk/agentdesk/infra/wslocal"
)

// timer adds up the time the measured API's handlers take, by function
// route: "http" for every HTTP request (router, API Gateway payload
// conversion, handler), the WebSocket route key ($connect, $default,
// $disconnect) for the push channel. Lambda bills each invocation's
// duration rounded up to the millisecond, so that sum is kept too.
type timer struct {
	mu  sync.Mutex
	now timings
}

// timings is a snapshot of a timer.
type timings struct {
	N      map[string]int
	Total  map[string]time.Duration
	Billed map[string]int // milliseconds, each call rounded up
}

// Route keys of the timer besides the WebSocket ones.
const routeHTTP = "http"

func newTimer() *timer {
	return &timer{now: timings{N: map[string]int{}, Total: map[string]time.Duration{}, Billed: map[string]int{}}}
}

func (t *timer) add(route string, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.now.N[route]++
	t.now.Total[route] += d
	t.now.Billed[route] += billedMS(d)
}

// billedMS is d rounded up to whole milliseconds, at least 1.
func billedMS(d time.Duration) int {
	ms := int((d + time.Millisecond - 1) / time.Millisecond)
	return max(ms, 1)
}

// http times every request h answers.
func (t *timer) http(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		t.add(routeHTTP, time.Since(start))
	})
}

// push times every invocation of the push channel's function. Once
// closing is set (the bench is done measuring), $disconnect no longer
// invokes it: tearing down the open connections would cost a transaction
// each in the embedded DynamoDB, which copies the whole table for every
// transaction.
func (t *timer) push(invoke wslocal.Invoke, closing *atomic.Bool) wslocal.Invoke {
	return func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		if closing.Load() && ev.RequestContext.RouteKey == wslocal.RouteDisconnect {
			return events.APIGatewayProxyResponse{StatusCode: http.StatusOK}, nil
		}
		start := time.Now()
		res, err := invoke(ctx, ev)
		t.add(ev.RequestContext.RouteKey, time.Since(start))
		return res, err
	}
}

func (t *timer) snapshot() timings {
	t.mu.Lock()
	defer t.mu.Unlock()
	return timings{N: maps.Clone(t.now.N), Total: maps.Clone(t.now.Total), Billed: maps.Clone(t.now.Billed)}
}

// calls is the number of invocations of route so far.
func (t *timer) calls(route string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.now.N[route]
}

func (a timings) sub(b timings) timings {
	out := timings{N: diff(a.N, b.N), Total: map[string]time.Duration{}, Billed: diff(a.Billed, b.Billed)}
	for k, v := range a.Total {
		if d := v - b.Total[k]; d != 0 {
			out.Total[k] = d
		}
	}
	return out
}

// byteCounter counts what is written through it: the measured API's log.
type byteCounter struct {
	mu           sync.Mutex
	bytes, lines int
}

func (b *byteCounter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bytes += len(p)
	for _, c := range p {
		if c == '\n' {
			b.lines++
		}
	}
	return len(p), nil
}

// logBytes is a snapshot of a byteCounter.
type logBytes struct{ Bytes, Lines int }

func (b *byteCounter) snapshot() logBytes {
	b.mu.Lock()
	defer b.mu.Unlock()
	return logBytes{b.bytes, b.lines}
}

// usage is what the measured API did over some calls: DynamoDB requests,
// handler time, log output.
type usage struct {
	DB       counts
	Handlers timings
	Log      logBytes
}

// mark is the measured API's usage so far, to take differences from.
type mark struct {
	db  counts
	h   timings
	log logBytes
}

func (e *env) mark() mark {
	return mark{db: e.apiDB.snapshot(), h: e.handlers.snapshot(), log: e.logs.snapshot()}
}

// since is the measured API's usage after m.
func (e *env) since(m mark) usage {
	l := e.logs.snapshot()
	return usage{DB: e.apiDB.since(m.db), Handlers: e.handlers.snapshot().sub(m.h),
		Log: logBytes{l.Bytes - m.log.Bytes, l.Lines - m.log.Lines}}
}

// waitCalls waits until the push function has answered want invocations of
// route in all (their effects are then in the counters), or ctx ends.
func (e *env) waitCalls(ctx context.Context, route string, want int) error {
	for e.handlers.calls(route) < want {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}
