package rtc

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// link is one signaling connection. A reader goroutine handles every incoming
// frame in order (responses through their pending callbacks, events through
// onEvent); a writer goroutine sends queued frames and heartbeats. dead is
// closed when the connection is gone for any reason.
type link struct {
	ws      *websocket.Conn
	onEvent func(proto.Message)
	out     chan []byte
	dead    chan struct{}
	stop    context.CancelFunc
	wg      sync.WaitGroup

	mu        sync.Mutex
	nextID    uint32
	pending   map[uint32]*pendingReq
	heartbeat time.Duration
	timeout   time.Duration
	hbChanged chan struct{} // wakes the writer to adopt a new heartbeat interval
	closeOnce sync.Once
	wire      *wireCounter // signaling bytes, counted for OnStatistics

	refusal *proto.Message // an error frame outside any request: why the server refuses us
}

type pendingReq struct {
	fn    func(proto.Message)
	timer *time.Timer
}

var errLinkDown = errors.New("rtc: signaling connection lost")

func dial(ctx context.Context, url string, httpClient *http.Client, heartbeat, timeout time.Duration, wire *wireCounter, onEvent func(proto.Message)) (*link, error) {
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}, HTTPClient: httpClient})
	if err != nil {
		return nil, err
	}
	if ws.Subprotocol() != proto.Subprotocol {
		ws.Close(websocket.StatusPolicyViolation, "protocol version")
		return nil, errors.New("rtc: server does not speak " + proto.Subprotocol)
	}
	ws.SetReadLimit(1 << 20)
	lctx, stop := context.WithCancel(context.Background())
	l := &link{
		ws: ws, onEvent: onEvent, stop: stop,
		out:       make(chan []byte, 64),
		dead:      make(chan struct{}),
		pending:   make(map[uint32]*pendingReq),
		heartbeat: heartbeat,
		timeout:   timeout,
		hbChanged: make(chan struct{}, 1),
		wire:      wire,
	}
	l.wg.Add(2)
	go l.readLoop(lctx)
	go l.writeLoop(lctx)
	return l, nil
}

// setHeartbeat applies the intervals the server announced.
func (l *link) setHeartbeat(interval, timeout time.Duration) {
	l.mu.Lock()
	if interval > 0 {
		l.heartbeat = interval
	}
	if timeout > 0 {
		l.timeout = timeout
	}
	l.mu.Unlock()
	select {
	case l.hbChanged <- struct{}{}:
	default:
	}
}

func (l *link) intervals() (time.Duration, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.heartbeat, l.timeout
}

// request sends a request; fn runs on the reader goroutine with the response,
// or with a synthesized response carrying timeoutCode if none arrives in time
// or the link dies first.
func (l *link) request(typ string, data any, wait time.Duration, timeoutCode int, fn func(proto.Message)) {
	l.mu.Lock()
	l.nextID++
	id := l.nextID
	p := &pendingReq{fn: fn}
	l.pending[id] = p
	p.timer = time.AfterFunc(wait, func() {
		if q := l.take(id); q != nil {
			q.fn(proto.Message{Type: proto.TypeResponse, ID: id, Code: timeoutCode, Msg: "request timed out"})
		}
	})
	l.mu.Unlock()
	frame, err := proto.Encode(typ, id, 0, "", data)
	if err == nil && l.send(frame) {
		return
	}
	if q := l.take(id); q != nil {
		q.timer.Stop()
		q.fn(proto.Message{Type: proto.TypeResponse, ID: id, Code: timeoutCode, Msg: errLinkDown.Error()})
	}
}

func (l *link) take(id uint32) *pendingReq {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.pending[id]
	delete(l.pending, id)
	return p
}

func (l *link) send(frame []byte) bool {
	select {
	case l.out <- frame:
		return true
	case <-l.dead:
		return false
	}
}

func (l *link) readLoop(ctx context.Context) {
	defer l.wg.Done()
	defer l.close()
	defer l.failPending() // runs before close: callers see failures before dead closes
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	_, timeout := l.intervals()
	watchdog := time.AfterFunc(timeout, rcancel) // silence past timeout = connection lost
	defer watchdog.Stop()
	for {
		typ, data, err := l.ws.Read(rctx)
		if err != nil {
			return
		}
		l.wire.recv.Add(uint64(len(data)))
		l.handleFrame(typ, data)
		// Re-arm after handling: the frame may have announced a new timeout.
		_, timeout = l.intervals()
		watchdog.Reset(timeout)
	}
}

func (l *link) handleFrame(typ websocket.MessageType, data []byte) {
	if typ != websocket.MessageText {
		return
	}
	msg, err := proto.Decode(data)
	if err != nil {
		return
	}
	switch msg.Type {
	case proto.TypePing:
	case proto.TypeError:
		// A refused connection (a protection limit) is answered with an
		// error frame and closed: pending requests fail with its code.
		if msg.ID == 0 && msg.Code != 0 {
			l.mu.Lock()
			l.refusal = &msg
			l.mu.Unlock()
		}
		l.onEvent(msg)
	case proto.TypeResponse:
		if p := l.take(msg.ID); p != nil {
			p.timer.Stop()
			p.fn(msg)
		}
	default:
		l.onEvent(msg)
	}
}

func (l *link) writeLoop(ctx context.Context) {
	defer l.wg.Done()
	heartbeat, _ := l.intervals()
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	ping := proto.MustEncode(proto.TypePing, 0, 0, "", nil)
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	watchdog := time.AfterFunc(time.Hour, wcancel)
	watchdog.Stop()
	write := func(frame []byte) bool {
		_, timeout := l.intervals()
		watchdog.Reset(timeout)
		err := l.ws.Write(wctx, websocket.MessageText, frame)
		watchdog.Stop()
		if err == nil {
			l.wire.sent.Add(uint64(len(frame)))
		}
		return err == nil
	}
	for {
		select {
		case frame := <-l.out:
			if !write(frame) {
				l.close()
				return
			}
		case <-l.hbChanged:
			if h, _ := l.intervals(); h != heartbeat {
				heartbeat = h
				t.Reset(h)
			}
		case <-t.C:
			if !write(ping) {
				l.close()
				return
			}
		case <-l.dead:
			return
		}
	}
}

// failPending answers every outstanding request with ErrDisconnected, on the
// reader goroutine, once no more frames can arrive.
func (l *link) failPending() {
	l.mu.Lock()
	all := l.pending
	l.pending = map[uint32]*pendingReq{}
	code, msg := trtc.ErrDisconnected, errLinkDown.Error()
	if r := l.refusal; r != nil {
		code, msg = r.Code, r.Msg
	}
	l.mu.Unlock()
	for id, p := range all {
		p.timer.Stop()
		p.fn(proto.Message{Type: proto.TypeResponse, ID: id, Code: code, Msg: msg})
	}
}

// close tears the link down; pending requests fail on their timers.
func (l *link) close() {
	l.closeOnce.Do(func() {
		close(l.dead)
		l.stop()
		_ = l.ws.CloseNow()
	})
}

// closeGracefully sends a normal close frame, then tears down.
func (l *link) closeGracefully() {
	l.closeOnce.Do(func() {
		close(l.dead)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			_ = l.ws.Close(websocket.StatusNormalClosure, "bye")
			l.stop()
		}()
	})
}

// isDead reports whether the link is gone.
func (l *link) isDead() bool {
	select {
	case <-l.dead:
		return true
	default:
		return false
	}
}

// wait blocks until the link's goroutines have ended.
func (l *link) wait() { l.wg.Wait() }
