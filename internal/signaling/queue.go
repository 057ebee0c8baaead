package signaling

import "sync"

// outQueue is a session's bounded outbound frame queue. It costs nothing
// while idle (no preallocated channel buffer: idle sessions are most of a
// large room) and lets the writer take everything queued at once.
type outQueue struct {
	mu     sync.Mutex
	frames [][]byte
	spare  [][]byte
	limit  int
	notify chan struct{} // capacity 1: "something was queued"
}

func newOutQueue(limit int) *outQueue {
	return &outQueue{limit: limit, notify: make(chan struct{}, 1)}
}

// push queues a frame; it reports false when the queue is full.
func (q *outQueue) push(frame []byte) bool {
	q.mu.Lock()
	if len(q.frames) >= q.limit {
		q.mu.Unlock()
		return false
	}
	q.frames = append(q.frames, frame)
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return true
}

// take returns every queued frame; the slice is valid until the next take.
func (q *outQueue) take() [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.frames
	clear(q.spare)
	q.frames = q.spare[:0]
	q.spare = out
	return out
}
