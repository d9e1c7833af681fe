// Package lambdarun runs a handler the way the Lambda service does for the
// local gateways (HTTP router, WebSocket gateway): a panic fails only that
// invocation, and one still running at its deadline is abandoned.
package lambdarun

import (
	"context"
	"fmt"
	"runtime/debug"
)

// Invoke calls fn(ctx, ev). A panic becomes an error with its stack; when
// ctx has a deadline and it passes first, Invoke returns a timeout error
// without waiting for fn (which keeps running, as an abandoned Lambda
// instance would).
func Invoke[E, R any](ctx context.Context, fn func(context.Context, E) (R, error), ev E) (R, error) {
	type result struct {
		resp R
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var res result
		defer func() {
			if p := recover(); p != nil {
				res = result{err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
			}
			done <- res
		}()
		res.resp, res.err = fn(ctx, ev)
	}()
	select {
	case res := <-done:
		return res.resp, res.err
	case <-ctx.Done():
		var zero R
		return zero, fmt.Errorf("task timed out: %w", ctx.Err())
	}
}
