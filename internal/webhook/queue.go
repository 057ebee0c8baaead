package webhook

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// queue is one app's lane over the file outbox: its undelivered events in
// memory, in order, each also in the outbox until it is acked. The head is
// the only event attempted until it is delivered or given up.
type queue struct {
	svc  *Service
	box  *outbox
	app  App
	wake chan struct{}

	mu      sync.Mutex
	items   []*stored
	sending bool // items[0] is in delivery (between attempts too)

	// The schedule state of the head, and the app's failure streak. Only
	// the delivery goroutine touches them.
	attempts     int
	next         time.Time
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
			q.box.ack(old)
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

// claim waits for an event, marks it being sent, and waits until its next
// attempt is due.
func (q *queue) claim(ctx context.Context) *claim {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			q.sending = true
			st := q.items[0]
			q.mu.Unlock()
			if wait := q.next.Sub(q.svc.cfg.Clock.Now()); wait > 0 {
				if q.svc.cfg.Clock.Sleep(ctx, wait) != nil {
					q.release()
					return nil
				}
			}
			return &claim{ev: st, attempts: q.attempts, failingSince: q.failingSince}
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil
		}
	}
}

// release ends the delivery of the head without finishing it: it stays for
// the next start.
func (q *queue) release() {
	q.mu.Lock()
	q.sending = false
	q.mu.Unlock()
}

// settle takes the head off the queue once it is done (delivered or given
// up); an abandoned head stays for the next start.
func (q *queue) settle(c *claim, out outcome) {
	q.failingSince = out.failingSince
	switch out.verdict {
	case verdictRetry:
		q.attempts, q.next = out.attempts, out.next
		return
	case verdictDelivered, verdictGivenUp:
		q.mu.Lock()
		q.items = q.items[1:]
		q.box.ack(c.ev)
		q.svc.count(out)
		q.mu.Unlock()
	}
	q.attempts, q.next = 0, time.Time{}
	q.release()
}

// fileBackend keeps events in the outbox directory and each app's queue.
type fileBackend struct {
	svc     *Service
	box     *outbox
	queues  map[trtc.SDKAppID]*queue
	started time.Time
	found   int
}

func (b *fileBackend) lane(app trtc.SDKAppID) lane { return b.queues[app] }

func (b *fileBackend) append(app trtc.SDKAppID, typ EventType, info []byte, sync bool) (bool, error) {
	st, err := b.box.append(app, typ, info, sync)
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrEventTooLarge) {
		return false, err
	}
	if err != nil {
		n := b.svc.unsaved.Add(1)
		if st == nil { // not written: an id of its own that no LSN can take
			st = &stored{app: app, typ: typ, info: info,
				id: fmt.Sprintf("%016x-mem%d.%d", b.box.instance, b.started.UnixNano(), n)}
		}
		err = fmt.Errorf("%w (event %s is not durable)", err, st.id)
	}
	b.queues[app].push(st)
	return true, err
}

func (b *fileBackend) pending() int {
	n := 0
	for _, q := range b.queues {
		n += q.len()
	}
	return n
}

func (b *fileBackend) recovered() int { return b.found }
func (b *fileBackend) syncs() uint64  { return b.box.syncs.Load() }
func (b *fileBackend) close() error   { return b.box.close() }
