package cluster

import (
	"context"
	"sync"
)

// opQueue runs member table updates one at a time, in the order the room
// events happened, off the rooms' locks.
type opQueue struct {
	mu   sync.Mutex
	cond *sync.Cond
	ops  []func(context.Context)
	busy bool
}

func newOpQueue() *opQueue {
	q := &opQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// post queues op.
func (q *opQueue) post(op func(context.Context)) {
	q.mu.Lock()
	q.ops = append(q.ops, op)
	q.mu.Unlock()
	q.cond.Broadcast() // flush waits on the same condition
}

// run serves the queue until ctx ends.
func (q *opQueue) run(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.cond.Broadcast()
		q.mu.Unlock()
	})
	defer stop()
	for {
		q.mu.Lock()
		for len(q.ops) == 0 && ctx.Err() == nil {
			q.busy = false
			q.cond.Broadcast()
			q.cond.Wait()
		}
		if ctx.Err() != nil {
			q.ops, q.busy = nil, false
			q.cond.Broadcast()
			q.mu.Unlock()
			return
		}
		op := q.ops[0]
		q.ops = q.ops[1:]
		q.busy = true
		q.mu.Unlock()
		octx, cancel := context.WithTimeout(ctx, 2*ioTimeout)
		op(octx)
		cancel()
	}
}

// flush waits until every queued op has run (tests).
func (q *opQueue) flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ops) > 0 || q.busy {
		q.cond.Wait()
	}
}

// FlushEdges waits until the member table updates queued so far have run.
func (n *Node) FlushEdges() {
	if n.edge != nil {
		n.edge.ops.flush()
	}
}
