package signaling

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtcengine/rtcengine/internal/conference"
	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Session is one client connection. Its reader runs in Serve's goroutine and
// owns the request flow; a writer goroutine owns the socket's write side; room
// events arrive through memberSink from whatever goroutine changed the room.
type Session struct {
	srv  *Server
	conn Conn
	out  *outQueue
	done chan struct{} // closed when the session has fully ended

	closeOnce sync.Once
	closed    chan struct{} // closed when the session starts to end
	closeCode int
	closeMsg  string

	cur        atomic.Pointer[memberSink] // the room membership, if any
	privileges *uint32                    // PrivateMapKey bits of the current membership (reader only)

	// rate limiting and strikes (reader only)
	tokens  float64
	last    time.Time
	strikes int

	reportAt time.Time  // the last quality report taken (reader only; report.go)
	speed    speedState // the speed test, if any (reader only; speedtest.go)
}

// memberSink binds one room membership to the session. A new one is made for
// every enter or resume, so events of an old membership can be told apart.
type memberSink struct {
	s       *Session
	reqID   uint32 // the enter/resume request, answered on EventJoined
	member  atomic.Pointer[room.Member]
	app     trtc.SDKAppID
	dropped atomic.Bool
	part    atomic.Pointer[conference.Participant] // media side, when the server has media
	ice     []proto.ICEServer                      // for the enter response (admission.go)
	msgSink                                        // custom messages (message.go)
}

func newSession(srv *Server, conn Conn) *Session {
	return &Session{
		srv:    srv,
		conn:   conn,
		out:    newOutQueue(srv.cfg.QueueLength),
		done:   make(chan struct{}),
		closed: make(chan struct{}),
		tokens: float64(srv.cfg.MessageBurst),
	}
}

func (s *Session) run(ctx context.Context) {
	defer close(s.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.writeLoop(ctx)
	}()
	s.readLoop(ctx)
	s.endSpeedTest()
	// The connection is gone (or being closed): a membership still held is
	// detached, so it survives for the drop timeout and can be resumed.
	if ms := s.cur.Swap(nil); ms != nil {
		if m := ms.member.Load(); m != nil {
			m.Detach(ms)
			s.srv.metrics.Exit("lost")
		}
	}
	s.shutdown(CloseNormal, "")
	wg.Wait()
}

// shutdown starts ending the session with a close code; the writer flushes
// what is queued and closes the socket.
func (s *Session) shutdown(code int, reason string) {
	s.closeOnce.Do(func() {
		s.closeCode, s.closeMsg = code, reason
		close(s.closed)
	})
}

func (s *Session) goAway() {
	s.send(proto.MustEncode(proto.TypeClosing, 0, trtc.WarnRoomDisconnect, "server is shutting down; reconnect", nil))
	s.shutdown(CloseGoingAway, "server is shutting down")
}

// send queues a frame without blocking. A client that does not read its
// frames fast enough is disconnected rather than allowed to hold memory.
func (s *Session) send(frame []byte) {
	if !s.out.push(frame) {
		s.shutdown(ClosePolicyViolation, "client is not reading its messages")
	}
}

func (s *Session) writeLoop(ctx context.Context) {
	cfg := s.srv.cfg
	ping := time.NewTicker(cfg.HeartbeatInterval)
	defer ping.Stop()
	pingFrame := proto.MustEncode(proto.TypePing, 0, 0, "", nil)
	// One watchdog bounds every write instead of a context per frame: a
	// write that outlives WriteTimeout cancels wctx, which kills the socket.
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	watchdog := time.AfterFunc(time.Hour, wcancel)
	watchdog.Stop()
	write := func(frame []byte) bool {
		watchdog.Reset(cfg.WriteTimeout)
		err := s.conn.Write(wctx, frame)
		watchdog.Stop()
		if err != nil {
			s.shutdown(CloseNormal, "")
			return false
		}
		return true
	}
	batch, _ := s.conn.(BatchConn)
	flush := func() bool {
		frames := s.out.take()
		if batch == nil || len(frames) < 2 {
			for _, frame := range frames {
				if !write(frame) {
					return false
				}
			}
			return true
		}
		batch.Hold() // one system call for the lot (batch.go)
		for _, frame := range frames {
			if !write(frame) {
				_ = batch.Flush(time.Now())
				return false
			}
		}
		if err := batch.Flush(time.Now().Add(cfg.WriteTimeout)); err != nil {
			s.shutdown(CloseNormal, "")
			return false
		}
		return true
	}
	for {
		select {
		case <-s.out.notify:
			if !flush() {
				_ = s.conn.Close(CloseNormal, "")
				return
			}
			s.catchUpMessages()
		case <-ping.C:
			if !write(pingFrame) {
				_ = s.conn.Close(CloseNormal, "")
				return
			}
		case <-s.closed:
			// Flush what is queued (kicked notices, errors), then close.
			flush()
			_ = s.conn.Close(s.closeCode, s.closeMsg)
			return
		case <-ctx.Done():
			_ = s.conn.Close(CloseGoingAway, "")
			return
		}
	}
}

func (s *Session) readLoop(ctx context.Context) {
	cfg := s.srv.cfg
	// Silence for HeartbeatTimeout cancels rctx and ends the read: the
	// connection is lost. Every frame re-arms the watchdog.
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	watchdog := time.AfterFunc(cfg.HeartbeatTimeout, rcancel)
	defer watchdog.Stop()
	for {
		data, text, err := s.conn.Read(rctx)
		if err != nil {
			return
		}
		watchdog.Reset(cfg.HeartbeatTimeout)
		select {
		case <-s.closed:
			return
		default:
		}
		if !s.allow() {
			s.strike(0, trtc.ErrServerOverloaded, "message rate limit exceeded")
			continue
		}
		if !text {
			s.strike(0, trtc.ErrUnpack, "binary frames are not part of the protocol")
			continue
		}
		msg, err := proto.Decode(data)
		if err != nil {
			s.strike(0, trtc.ErrJSONDecode, err.Error())
			continue
		}
		s.handle(msg)
	}
}

// allow is a token bucket over incoming frames.
func (s *Session) allow() bool {
	cfg := s.srv.cfg
	now := cfg.Now()
	if !s.last.IsZero() {
		s.tokens += now.Sub(s.last).Seconds() * float64(cfg.MessagesPerSecond)
		if max := float64(cfg.MessageBurst); s.tokens > max {
			s.tokens = max
		}
	}
	s.last = now
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	return true
}

// strike answers a bad frame with an error and closes the connection once
// the client has misbehaved MaxStrikes times.
func (s *Session) strike(refID uint32, code int, msg string) {
	s.srv.metrics.BadFrame(code)
	s.strikes++
	if s.strikes > s.srv.cfg.MaxStrikes {
		s.shutdown(ClosePolicyViolation, "too many invalid or excess messages")
		return
	}
	if refID != 0 {
		s.respond(refID, code, msg, nil)
		return
	}
	s.send(proto.MustEncode(proto.TypeError, 0, code, msg, nil))
}

func (s *Session) respond(id uint32, code int, msg string, data any) {
	s.send(proto.MustEncode(proto.TypeResponse, id, code, msg, data))
}

func (s *Session) handle(msg proto.Message) {
	switch msg.Type {
	case proto.TypePing:
		// Any frame proves liveness; nothing to answer.
	case proto.TypeEnter:
		s.handleEnter(msg)
	case proto.TypeResume:
		s.handleResume(msg)
	case proto.TypeExit:
		s.handleExit(msg)
	case proto.TypeSwitchRole:
		s.handleSwitchRole(msg)
	case proto.TypeStreamState:
		s.handleStreamState(msg)
	case proto.TypePubOffer:
		s.handlePubOffer(msg)
	case proto.TypeSubAnswer:
		s.handleSubAnswer(msg)
	case proto.TypeCandidate:
		s.handleCandidate(msg)
	case proto.TypeSubscribe:
		s.handleSubscribe(msg)
	case proto.TypeRestartICE:
		s.handleRestartICE(msg)
	case proto.TypeCustomMsg:
		s.handleCustomMsg(msg)
	case proto.TypeReport:
		s.handleReport(msg)
	case proto.TypeSpeedTest:
		s.handleSpeedTest(msg)
	case proto.TypeSpeedTestUp:
		s.handleSpeedTestUp(msg)
	case proto.TypeSpeedTestDown:
		s.handleSpeedTestDown(msg)
	case proto.TypeSpeedTestEnd:
		s.handleSpeedTestEnd(msg)
	case proto.TypeStartPublishMediaStream: // mediastream.go
		s.handleStartPublishMediaStream(msg)
	case proto.TypeUpdatePublishMediaStream:
		s.handleUpdatePublishMediaStream(msg)
	case proto.TypeStopPublishMediaStream:
		s.handleStopPublishMediaStream(msg)
	default:
		s.strike(msg.ID, trtc.ErrUnknownSubCmd, fmt.Sprintf("unknown message type %.32q", msg.Type))
	}
}

// member returns the current membership, or answers the request with an error.
func (s *Session) member(id uint32) (*memberSink, *room.Member, bool) {
	ms := s.cur.Load()
	if ms == nil {
		s.strike(id, trtc.ErrInvalidCommand, "not in a room: enter first")
		return nil, nil, false
	}
	m := ms.member.Load()
	if m == nil || !m.Active() {
		s.cur.CompareAndSwap(ms, nil)
		s.strike(id, trtc.ErrInvalidCommand, "not in a room: enter first")
		return nil, nil, false
	}
	return ms, m, true
}

func (s *Session) handleExit(msg proto.Message) {
	ms, m, ok := s.member(msg.ID)
	if !ok {
		return
	}
	m.Leave()
	s.cur.CompareAndSwap(ms, nil)
	s.srv.metrics.Exit("self")
	s.respond(msg.ID, 0, "", nil)
}

func (s *Session) handleSwitchRole(msg proto.Message) {
	ms, m, ok := s.member(msg.ID)
	if !ok {
		return
	}
	var req proto.SwitchRoleRequest
	if err := proto.DecodeData(msg, &req); err != nil {
		s.strike(msg.ID, trtc.ErrJSONDecode, err.Error())
		return
	}
	privs := s.privileges
	if req.PrivateMapKey != "" {
		app, _ := s.srv.apps.Lookup(ms.app)
		if app.PrivilegeCheck {
			p, code, err := checkPrivateMapKey(app, m.UserID(), m.Room().Key(), req.PrivateMapKey, s.srv.cfg.Now())
			if err != nil {
				s.respond(msg.ID, code, err.Error(), nil)
				return
			}
			privs = &p
		}
	}
	if err := m.SwitchRole(trtc.Role(req.Role), privs); err != nil {
		code := roomErrorCode(err)
		if errors.Is(err, room.ErrNoEnterPrivilege) {
			code = trtc.ErrInvalidPrivateMapKey
		}
		s.respond(msg.ID, code, err.Error(), nil)
		return
	}
	s.privileges = privs
	s.respond(msg.ID, 0, "", nil)
}

func (s *Session) handleStreamState(msg proto.Message) {
	_, m, ok := s.member(msg.ID)
	if !ok {
		return
	}
	var req proto.StreamState
	if err := proto.DecodeData(msg, &req); err != nil {
		s.strike(msg.ID, trtc.ErrJSONDecode, err.Error())
		return
	}
	k := room.ParseStream(req.Stream)
	if err := m.SetStream(k, req.Available, s.privileges); err != nil {
		code := roomErrorCode(err)
		if errors.Is(err, room.ErrNoPublishPrivilege) {
			code = map[room.Stream]int{room.StreamVideo: trtc.ErrNoPrivilegePushVideo, room.StreamSub: trtc.ErrNoPrivilegePushSub}[k]
			if code == 0 {
				code = trtc.ErrInvalidPrivateMapKey
			}
		}
		s.respond(msg.ID, code, err.Error(), nil)
		return
	}
	s.respond(msg.ID, 0, "", nil)
}

// deliver turns a room event into frames. It runs with the room's lock held,
// so it only encodes and queues.
func (ms *memberSink) Deliver(e room.Event) {
	s := ms.s
	if ms.dropped.Load() {
		return
	}
	switch e.Kind {
	case room.EventJoined:
		resp := enterResponse(s.srv, e.Snapshot)
		resp.ICEServers = ms.ice
		s.respond(ms.reqID, 0, "", resp)
	case room.EventUserEnter:
		s.send(proto.MustEncode(proto.TypeUserEnter, 0, 0, "", proto.UserEvent{UserID: string(e.UserID), Role: int(e.Role)}))
	case room.EventUserLeave:
		s.send(proto.MustEncode(proto.TypeUserLeave, 0, 0, "", proto.UserEvent{UserID: string(e.UserID), Role: int(e.Role), Reason: e.Reason}))
	case room.EventStreamAvailable:
		s.send(proto.MustEncode(proto.TypeStreamAvailable, 0, 0, "", proto.StreamEvent{UserID: string(e.UserID), Stream: e.Stream.String(), Available: e.Available}))
	case room.EventKicked:
		ms.dropped.Store(true)
		s.cur.CompareAndSwap(ms, nil)
		k := proto.KickedEvent{Reason: e.Reason}
		switch {
		case errors.Is(e.Err, room.ErrReplaced):
			k.Code, k.Msg = trtc.WarnKickedByNewSession, "the same userId entered this room from another device"
			s.srv.metrics.Exit("replaced")
		case errors.Is(e.Err, room.ErrDismissed):
			k.Msg = "the room was dismissed"
			s.srv.metrics.Exit("dismissed")
		default:
			k.Msg = "removed from the room"
			s.srv.metrics.Exit("removed")
		}
		s.send(proto.MustEncode(proto.TypeKicked, 0, 0, "", k))
	case room.EventMoved:
		ms.dropped.Store(true)
		s.cur.CompareAndSwap(ms, nil)
		s.shutdown(CloseNormal, "session resumed on another connection")
	}
}

func enterResponse(srv *Server, snap *room.Snapshot) proto.EnterResponse {
	users := make([]proto.RemoteUser, len(snap.Users))
	for i, u := range snap.Users {
		users[i] = proto.RemoteUser{UserID: string(u.UserID), Role: int(u.Role), Audio: u.Streams.Audio, Video: u.Streams.Video, Sub: u.Streams.Sub}
	}
	return proto.EnterResponse{
		Version:       proto.Version,
		SessionID:     string(snap.Session),
		ResumeToken:   snap.Token,
		Role:          int(snap.Role),
		Scene:         int(snap.Scene),
		Users:         users,
		HeartbeatMs:   srv.cfg.HeartbeatInterval.Milliseconds(),
		TimeoutMs:     srv.cfg.HeartbeatTimeout.Milliseconds(),
		DropTimeoutMs: srv.rooms.Config().DropTimeout.Milliseconds(),
		Resumed:       snap.Resumed,
	}
}
