// Package serial runs functions one at a time, in the order they were
// posted, on one goroutine per Queue. Posting never blocks: the queue is
// unbounded, because its users post rare control events (callbacks, state
// changes) whose loss would desynchronize them.
package serial

import "sync"

// Queue is an ordered executor. The zero value is not usable; use New.
type Queue struct {
	mu      sync.Mutex
	queue   []func()
	wake    chan struct{}
	stopped bool // no more posts
	drain   bool // run what is queued before ending
	done    chan struct{}
}

// New starts a queue's goroutine.
func New() *Queue {
	q := &Queue{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go q.run()
	return q
}

// Post queues f. After Close it is dropped and Post reports false.
func (q *Queue) Post(f func()) bool {
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		return false
	}
	q.queue = append(q.queue, f)
	q.mu.Unlock()
	q.signal()
	return true
}

// Call runs f on the queue and waits for it to finish. It reports false
// (without running f) once the queue is closed. It must not be called from
// the queue's own goroutine.
func (q *Queue) Call(f func()) bool {
	ran := make(chan struct{})
	if !q.Post(func() { f(); close(ran) }) {
		return false
	}
	select {
	case <-ran:
		return true
	case <-q.done:
		select {
		case <-ran:
			return true
		default:
			return false
		}
	}
}

// Close stops taking posts. With drain, what is already queued still runs;
// without, it is dropped (the function running now finishes). Close does not
// wait; Done is closed when the goroutine ends.
func (q *Queue) Close(drain bool) {
	q.mu.Lock()
	if !q.stopped {
		q.stopped, q.drain = true, drain
		if !drain {
			q.queue = nil
		}
	}
	q.mu.Unlock()
	q.signal()
}

// Done is closed when the queue's goroutine has ended.
func (q *Queue) Done() <-chan struct{} { return q.done }

func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *Queue) run() {
	defer close(q.done)
	for range q.wake {
		for {
			q.mu.Lock()
			batch := q.queue
			q.queue = nil
			stopped := q.stopped
			q.mu.Unlock()
			if len(batch) == 0 {
				if stopped {
					return
				}
				break
			}
			for _, f := range batch {
				f()
			}
			q.mu.Lock()
			dropped := q.stopped && !q.drain
			q.mu.Unlock()
			if dropped {
				return
			}
		}
	}
}
