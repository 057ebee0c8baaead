package conference

import "sync"

// loop runs the hub's state changes one at a time on one goroutine, so that
// subscription state needs no locks and no lock is ever held across the
// room service and the SFU (each calls into the hub from its own locks).
type loop struct {
	mu     sync.Mutex
	queue  []func()
	wake   chan struct{}
	done   chan struct{}
	closed bool
}

func newLoop() *loop {
	l := &loop{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go l.run()
	return l
}

func (l *loop) post(f func()) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.queue = append(l.queue, f)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// call runs f on the loop and waits for it.
func (l *loop) call(f func()) bool {
	done := make(chan struct{})
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return false
	}
	l.queue = append(l.queue, func() { f(); close(done) })
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	select {
	case <-done:
		return true
	case <-l.done:
		return false
	}
}

func (l *loop) run() {
	for {
		select {
		case <-l.wake:
		case <-l.done:
			return
		}
		for {
			l.mu.Lock()
			q := l.queue
			l.queue = nil
			l.mu.Unlock()
			if len(q) == 0 {
				break
			}
			for _, f := range q {
				f()
			}
		}
	}
}

func (l *loop) close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		l.queue = nil
		close(l.done)
	}
	l.mu.Unlock()
}
