package lambdarun

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestInvoke(t *testing.T) {
	double := func(_ context.Context, n int) (int, error) { return 2 * n, nil }
	if got, err := Invoke(context.Background(), double, 21); got != 42 || err != nil {
		t.Fatalf("got %d %v", got, err)
	}
	boom := func(context.Context, int) (int, error) { panic("boom") }
	if _, err := Invoke(context.Background(), boom, 1); err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Fatalf("panic not turned into an error: %v", err)
	}
	release := make(chan struct{})
	defer close(release)
	hang := func(context.Context, int) (int, error) { <-release; return 0, nil }
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := Invoke(ctx, hang, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a hanging handler must time out: %v", err)
	}
}
