package webhook

import (
	"context"
	"time"
)

// Clock is the time source of the retry schedule and of CallbackTs. Tests
// inject a fake so that retries are exercised without sleeping.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or returns ctx.Err() early when ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
