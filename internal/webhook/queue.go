package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxAnswerBytes is how much of a receiver's answer is read (and ignored):
// TRTC asks receivers to stay under 2,000 bytes (trtc-reference §8.1).
const maxAnswerBytes = 4096

// queue holds one app's undelivered events in order. Its goroutine sends
// the head and nothing else until the head is delivered or given up: that is
// what keeps the app's events in order.
type queue struct {
	svc  *Service
	app  App
	wake chan struct{}

	mu      sync.Mutex
	items   []*stored
	sending bool // items[0] is being sent

	// failingSince is when the first failed attempt of the current failure
	// streak started (zero while the receiver answers). Only the delivery
	// goroutine touches it.
	failingSince time.Time
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// push queues st. Past MaxPending, the oldest event not being sent is given
// up so that a receiver that stays away cannot exhaust memory or disk.
func (q *queue) push(st *stored) {
	q.mu.Lock()
	if len(q.items) >= q.svc.cfg.MaxPending {
		i := 0
		if q.sending {
			i = 1
		}
		if i < len(q.items) {
			old := q.items[i]
			q.items = append(q.items[:i], q.items[i+1:]...)
			q.svc.box.ack(old)
			q.svc.givenUp.Add(1)
			q.svc.cfg.Logger.Warn("webhook: event given up, too many pending", "app", uint32(q.app.ID), "event", old.id, "type", int(old.typ), "max_pending", q.svc.cfg.MaxPending)
		}
	}
	q.items = append(q.items, st)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue) run(ctx context.Context) {
	defer q.svc.wg.Done()
	for {
		st := q.head(ctx)
		if st == nil {
			return
		}
		delivered, done := q.deliver(ctx, st)
		q.finish(st, delivered, done)
		if ctx.Err() != nil {
			return
		}
	}
}

// head waits for an event and marks it being sent.
func (q *queue) head(ctx context.Context) *stored {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			q.sending = true
			st := q.items[0]
			q.mu.Unlock()
			return st
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil
		}
	}
}

// finish takes the head off the queue once it is done (delivered or given
// up); a head abandoned because the service is closing stays for the next
// start.
func (q *queue) finish(st *stored, delivered, done bool) {
	q.mu.Lock()
	q.sending = false
	if done {
		q.items = q.items[1:]
		q.svc.box.ack(st)
		if delivered {
			q.svc.delivered.Add(1)
		} else {
			q.svc.givenUp.Add(1)
		}
	}
	q.mu.Unlock()
	q.svc.notify()
}

// deliver sends st until it is delivered, out of retries, or ctx ends
// (done = false). The schedule is trtc-reference §8.1: a retry at once
// after the first failure, then one every RetryInterval, and no attempt
// starting later than RetryWindow after the streak's first failed attempt;
// every event gets at least two attempts.
func (q *queue) deliver(ctx context.Context, st *stored) (delivered, done bool) {
	cfg := &q.svc.cfg
	for attempt := 1; ; attempt++ {
		start := cfg.Clock.Now()
		err := q.post(ctx, st)
		if err == nil {
			q.failingSince = time.Time{}
			return true, true
		}
		if ctx.Err() != nil {
			return false, false
		}
		q.svc.failures.Add(1)
		if q.failingSince.IsZero() {
			q.failingSince = start
		}
		wait := time.Duration(0)
		if attempt > 1 {
			wait = cfg.RetryInterval
		}
		if attempt >= 2 && cfg.Clock.Now().Add(wait).After(q.failingSince.Add(cfg.RetryWindow)) {
			cfg.Logger.Warn("webhook: event given up", "app", uint32(q.app.ID), "event", st.id, "type", int(st.typ), "attempts", attempt, "err", err)
			return false, true
		}
		cfg.Logger.Debug("webhook: attempt failed", "app", uint32(q.app.ID), "event", st.id, "attempt", attempt, "retry_in", wait, "err", err)
		if cfg.Clock.Sleep(ctx, wait) != nil {
			return false, false
		}
	}
}

// post makes one attempt. Success is any 2xx answer within Timeout.
func (q *queue) post(ctx context.Context, st *stored) error {
	cfg := &q.svc.cfg
	q.svc.attempts.Add(1)
	// A body of its own per attempt: the transport may still be writing it
	// after the answer has come back.
	body := appendBody(make([]byte, 0, len(st.info)+128), st.typ, st.info, cfg.Clock.Now(), st.id)
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.app.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	// Set directly, not with Header.Set, to keep TRTC's spelling on the
	// wire (Set would send "Sdkappid").
	req.Header["Content-Type"] = []string{"application/json"}
	req.Header["SdkAppId"] = []string{strconv.FormatUint(uint64(q.app.ID), 10)}
	req.Header["X-Rtcengine-Event-Id"] = []string{st.id}
	if q.app.Key != "" {
		req.Header["Sign"] = []string{Sign(q.app.Key, body)}
	}
	resp, err := q.svc.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: %s", errStatus, resp.Status)
	}
	return nil
}
