package rtc

import (
	"context"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

type sessState uint8

const (
	sEntering sessState = iota + 1
	sInRoom
	sExiting
	sEnded
)

// roomSession is one EnterRoom…OnExitRoom span. A supervisor goroutine (run)
// owns connecting and reconnecting; every frame is handled on the current
// link's reader goroutine, so callbacks keep the server's order.
type roomSession struct {
	c      *Cloud
	params Params
	scene  AppScene
	start  time.Time
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	// guarded by c.mu
	state      sessState
	link       *link // nil while reconnecting
	sessionID  string
	token      string
	role       Role
	remote     map[string]streams   // visible users and what they make available
	away       map[string]*awayUser // users missing after a re-enter, not yet reported gone (away.go)
	local      streams              // what this user makes available, re-announced after a re-enter
	unsent     []string             // local streams whose stream_state a lost link left unanswered (streams.go)
	heartbeat  time.Duration
	timeout    time.Duration
	exitReq    bool
	target     string // the room owner's signaling URL after a redirect (redirect.go)
	redirected bool   // the enter was redirected: run enters at target

	hops int // redirects followed for the first enter (reader goroutine)

	media *mediaClient // publisher and subscriber PeerConnections; outlives links

	recvAudio, recvVideo bool // SetDefaultStreamRecvMode at EnterRoom
	health               health
	wire                 wireCounter   // signaling bytes (statistics)
	netKick              chan struct{} // a network change: retry a reconnect now (netwatch.go)
}

// Defaults until the server announces its own in the enter response.
const (
	defaultHeartbeat = 2 * time.Second
	defaultTimeout   = 10 * time.Second
	exitWait         = 3 * time.Second
)

func newRoomSession(c *Cloud, p Params, scene AppScene) *roomSession {
	ctx, cancel := context.WithCancel(context.Background())
	role := p.Role
	if role == 0 {
		role = RoleAnchor
	}
	s := &roomSession{
		c: c, params: p, scene: scene, start: time.Now(),
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
		state: sEntering, role: role,
		remote:    map[string]streams{},
		heartbeat: defaultHeartbeat, timeout: defaultTimeout,
		netKick: make(chan struct{}, 1),
	}
	s.recvAudio, s.recvVideo = c.recvAudio, c.recvVideo // EnterRoom holds c.mu
	s.media = newMediaClient(s)
	return s
}

// enterRequest is the enter of these params; retry marks an enter again
// after the session timed out while reconnecting.
func (s *roomSession) enterRequest(retry bool) proto.EnterRequest {
	p := s.params
	return proto.EnterRequest{
		SDKAppID: p.SDKAppID, UserID: p.UserID, UserSig: p.UserSig,
		RoomID: uint64(p.RoomID), StrRoomID: p.StrRoomID, Role: int(s.role), Scene: int(s.scene),
		PrivateMapKey: p.PrivateMapKey, StreamID: p.StreamID, UserDefineRecordID: p.UserDefineRecordID,
		BusinessInfo: p.BusinessInfo, Terminal: terminal(),
		AutoRecvAudio: &s.recvAudio, AutoRecvVideo: &s.recvVideo, Retry: retry,
	}
}

func (s *roomSession) dial() (*link, error) { return s.dialCtx(s.ctx) }

func (s *roomSession) dialCtx(ctx context.Context) (*link, error) {
	s.c.mu.Lock()
	hb, to := s.heartbeat, s.timeout
	s.c.mu.Unlock()
	var l *link
	l, err := dial(ctx, s.serverURL(), s.c.wsHTTPClient(), hb, min(to, s.c.o.connectTimeout), &s.wire, func(m proto.Message) { s.onEvent(l, m) })
	return l, err
}

func (s *roomSession) run() {
	defer close(s.done)
	defer s.media.shutdown()
	go s.watchNetwork() // ends with s.ctx
	l, err := s.dial()
	if err != nil {
		if s.end(-1) {
			s.c.fail(ErrCodeConnectServerTimeout, "cannot reach the server: "+err.Error())
		}
		return
	}
	s.enterOn(l)
	for {
		select {
		case <-s.ctx.Done():
			s.closeLink()
			return
		case <-l.dead:
		}
		l.wait()
		if s.ctx.Err() != nil {
			return
		}
		s.c.mu.Lock()
		if s.link == l {
			s.link = nil
		}
		s.c.mu.Unlock()
		if s.takeRedirect() { // redirect.go: enter at the room's owner
			if l, err = s.dial(); err != nil {
				if s.end(-1) {
					s.c.fail(ErrCodeConnectServerTimeout, "cannot reach the room's node: "+err.Error())
				}
				return
			}
			s.enterOn(l)
			continue
		}
		s.setSignalDown(true)
		if l = s.reconnect(); l == nil {
			s.closeLink()
			return
		}
	}
}

// enterOn sends the first enter on l.
func (s *roomSession) enterOn(l *link) {
	s.c.mu.Lock()
	s.link = l
	s.c.mu.Unlock()
	wait := s.c.o.connectTimeout - time.Since(s.start)
	l.request(proto.TypeEnter, s.enterRequest(false), max(wait, time.Millisecond), ErrCodeConnectServerTimeout, func(m proto.Message) {
		if m.Code == proto.CodeRedirect {
			s.onRedirect(l, m)
			return
		}
		s.onEntered(l, m)
	})
}

func (s *roomSession) closeLink() {
	s.c.mu.Lock()
	l := s.link
	s.link = nil
	s.c.mu.Unlock()
	if l != nil {
		l.closeGracefully()
		l.wait()
	}
}

// onEntered handles the first enter response (reader goroutine).
func (s *roomSession) onEntered(l *link, m proto.Message) {
	if m.Code != 0 {
		if s.end(-1) {
			s.c.fail(m.Code, m.Msg)
		}
		l.closeGracefully()
		return
	}
	var resp proto.EnterResponse
	if err := proto.DecodeData(m, &resp); err != nil {
		if s.end(-1) {
			s.c.fail(ErrCodeEnterRoomFailed, err.Error())
		}
		return
	}
	s.c.mu.Lock()
	if s.state != sEntering {
		s.c.mu.Unlock()
		return
	}
	s.state = sInRoom
	s.applyLocked(l, resp)
	for _, u := range resp.Users {
		s.remote[u.UserID] = streamsOf(u)
	}
	exitReq := s.exitReq
	s.c.mu.Unlock()
	ms := elapsedMs(s.start)
	s.c.emit(func(ls Listener) { ls.OnEnterRoom(ms) })
	for _, u := range resp.Users {
		s.c.emit(func(ls Listener) { ls.OnRemoteUserEnterRoom(u.UserID) })
		s.emitStreams(u.UserID, streams{}, streamsOf(u))
	}
	s.media.onConnected(l, false)
	s.c.msgs.onConnected(s, l, false)
	if exitReq {
		s.exit()
	}
}

func (s *roomSession) applyLocked(l *link, resp proto.EnterResponse) {
	s.link = l
	s.sessionID, s.token = resp.SessionID, resp.ResumeToken
	if resp.Role != 0 {
		s.role = Role(resp.Role)
	}
	if resp.HeartbeatMs > 0 {
		s.heartbeat = time.Duration(resp.HeartbeatMs) * time.Millisecond
	}
	if resp.TimeoutMs > 0 {
		s.timeout = time.Duration(resp.TimeoutMs) * time.Millisecond
	}
	l.setHeartbeat(s.heartbeat, s.timeout)
	s.c.setICEServers(resp.ICEServers) // reach.go
}

// onEvent handles server events (reader goroutine of l).
func (s *roomSession) onEvent(l *link, m proto.Message) {
	s.c.mu.Lock()
	current := s.link == l && s.state != sEnded
	s.c.mu.Unlock()
	if !current {
		return
	}
	switch m.Type {
	case proto.TypeUserEnter:
		var e proto.UserEvent
		if proto.DecodeData(m, &e) == nil {
			s.c.mu.Lock()
			s.remote[e.UserID] = streams{}
			back := s.backLocked(e.UserID) // away.go: came back after a re-enter
			s.c.mu.Unlock()
			if !back {
				s.c.emit(func(ls Listener) { ls.OnRemoteUserEnterRoom(e.UserID) })
			}
		}
	case proto.TypeStreamAvailable:
		var e proto.StreamEvent
		if proto.DecodeData(m, &e) == nil {
			s.c.mu.Lock()
			before := s.remote[e.UserID]
			after := before
			after.set(e.Stream, e.Available)
			s.remote[e.UserID] = after
			s.c.mu.Unlock()
			s.emitStreams(e.UserID, before, after)
		}
	case proto.TypeUserLeave:
		var e proto.UserEvent
		if proto.DecodeData(m, &e) == nil {
			s.c.mu.Lock()
			delete(s.remote, e.UserID)
			s.c.mu.Unlock()
			s.c.msgs.forget(s, e.UserID)
			s.c.emit(func(ls Listener) { ls.OnRemoteUserLeaveRoom(e.UserID, e.Reason) })
		}
	case proto.TypeKicked:
		var k proto.KickedEvent
		_ = proto.DecodeData(m, &k)
		if s.end(-1) {
			if k.Code != 0 {
				s.c.emit(func(ls Listener) { ls.OnWarning(k.Code, k.Msg) })
			}
			s.c.emit(func(ls Listener) { ls.OnExitRoom(k.Reason) })
		}
		l.closeGracefully()
	case proto.TypeSubOffer, proto.TypeCandidate:
		s.media.onSignal(l, m)
	case proto.TypeCustomMsg:
		s.c.msgs.onMessage(s, m)
	case proto.TypeCustomMiss:
		s.c.msgs.onMiss(s, m)
	case proto.TypeCdnStreamState: // mediastream.go
		s.c.cdnStreamState(m)
	case proto.TypeClosing:
		// The server is going away: treat it as a lost connection and resume
		// elsewhere (or here, once it is back).
		l.close()
	case proto.TypeWarning:
		s.c.emit(func(ls Listener) { ls.OnWarning(m.Code, m.Msg) })
	case proto.TypeError:
		s.c.o.log.Warn("server rejected a frame", "code", m.Code, "msg", m.Msg)
	}
}

// end marks the session over. It returns false if it already was. reason ≥ 0
// also emits OnExitRoom(reason).
func (s *roomSession) end(reason int) bool {
	s.c.mu.Lock()
	if s.state == sEnded {
		s.c.mu.Unlock()
		return false
	}
	s.state = sEnded
	s.stopAwayLocked()
	if s.c.sess == s {
		s.c.sess = nil
	}
	if s.health.budget != nil {
		s.health.budget.Stop()
	}
	s.c.mu.Unlock()
	s.cancel()
	s.media.close()
	if reason >= 0 {
		s.c.emit(func(ls Listener) { ls.OnExitRoom(reason) })
	}
	return true
}

func (s *roomSession) exit() {
	s.c.mu.Lock()
	switch s.state {
	case sEntering:
		s.exitReq = true
		s.c.mu.Unlock()
		return
	case sInRoom:
	default:
		s.c.mu.Unlock()
		return
	}
	s.state = sExiting
	l := s.link
	s.c.mu.Unlock()
	if l == nil { // reconnecting: nobody to tell
		s.end(int(trtc.ExitSelf))
		return
	}
	l.request(proto.TypeExit, nil, exitWait, ErrCodeQuitRoomTimeout, func(proto.Message) {
		s.end(int(trtc.ExitSelf))
		l.closeGracefully()
	})
}

func (s *roomSession) switchRole(role Role, pmk string) {
	s.c.mu.Lock()
	l := s.link
	ok := s.state == sInRoom && l != nil
	s.c.mu.Unlock()
	if !ok {
		s.c.emit(func(ls Listener) { ls.OnSwitchRole(ErrCodeDisconnected, "not connected to a room") })
		return
	}
	req := proto.SwitchRoleRequest{Role: int(role), PrivateMapKey: pmk}
	l.request(proto.TypeSwitchRole, req, s.c.o.connectTimeout, trtc.ErrJSONCmdTimeout, func(m proto.Message) {
		if m.Code == 0 {
			s.c.mu.Lock()
			s.role = role
			if pmk != "" {
				s.params.PrivateMapKey = pmk
			}
			s.c.mu.Unlock()
			s.media.onRoleChanged()
		}
		s.c.emit(func(ls Listener) { ls.OnSwitchRole(m.Code, m.Msg) })
	})
}

// reconnect retries until the session is resumed (or re-entered), the user
// exits, or the server refuses us for good. It returns the new link or nil.
func (s *roomSession) reconnect() *link {
	backoff := 100 * time.Millisecond
	hops := 0 // redirects followed without waiting
	for {
		if s.ctx.Err() != nil {
			return nil
		}
		s.c.emit(func(ls Listener) { ls.OnTryToReconnect() })
		l, kicked, err := s.dialOrKick()
		s.c.o.log.Debug("reconnect dial", "err", err, "kicked", kicked)
		if err != nil {
			s.dropTarget() // the owner is unreachable: ask the configured server again
			hops = 0
		}
		if err == nil {
			r := s.resumeOn(l)
			switch r {
			case resumeOK:
				return l
			case resumeFatal:
				l.closeGracefully()
				l.wait()
				return nil
			}
			l.close()
			l.wait()
			// A redirect is an answer, not a failure: follow it at once
			// (a few times in a row; then the backoff applies again).
			if hops++; r == resumeRedirected && hops <= proto.MaxRedirects {
				continue
			}
		}
		if kicked { // the network changed while dialing: dial again now
			backoff = 100 * time.Millisecond
			continue
		}
		select {
		case <-s.ctx.Done():
			return nil
		case <-s.netKick:
			backoff = 100 * time.Millisecond
			continue
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// dialOrKick dials, giving up early when the network changes meanwhile (a
// dial begun while the network was down may wait out its whole timeout).
func (s *roomSession) dialOrKick() (*link, bool, error) {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	kicked := false
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-s.netKick:
			kicked = true
			cancel()
		case <-stop:
		}
	}()
	l, err := s.dialCtx(ctx)
	close(stop)
	wg.Wait()
	return l, kicked && err != nil, err
}

type resumeResult uint8

const (
	resumeRetry resumeResult = iota
	resumeOK
	resumeFatal
	resumeRedirected // the room lives elsewhere: try there now (redirect.go)
)

// resumeOn asks the server to resume the session on l; if the server has
// dropped it (past the drop timeout), it enters afresh with the same params.
func (s *roomSession) resumeOn(l *link) resumeResult {
	s.c.mu.Lock()
	req := proto.ResumeRequest{SessionID: s.sessionID, ResumeToken: s.token}
	s.c.mu.Unlock()
	req.LastMsgIndex = s.c.msgs.cursor(s)
	result := make(chan resumeResult, 1)
	var once sync.Once
	finish := func(r resumeResult) { once.Do(func() { result <- r }) }
	wait := min(s.c.o.connectTimeout, 5*time.Second)
	l.request(proto.TypeResume, req, wait, ErrCodeConnectServerTimeout, func(m proto.Message) {
		if m.Code == 0 {
			finish(s.recovered(l, m))
			return
		}
		if m.Code != trtc.ErrUserNotFound {
			finish(resumeRetry)
			return
		}
		// Dropped past the timeout: others saw us leave; enter again.
		l.request(proto.TypeEnter, s.enterRequest(true), wait, ErrCodeConnectServerTimeout, func(m proto.Message) {
			switch {
			case m.Code == 0:
				finish(s.recovered(l, m))
			case m.Code == proto.CodeRedirect:
				if u, ok := redirectTarget(m); ok {
					s.setTarget(u, false) // the room lives elsewhere now: resume there
					finish(resumeRedirected)
					return
				}
				finish(resumeRetry)
			case m.Code == ErrCodeConnectServerTimeout || m.Code == ErrCodeDisconnected || m.Code == trtc.ErrServerOverloaded:
				finish(resumeRetry)
			default:
				if s.end(-1) {
					code, msg := m.Code, m.Msg
					s.c.emit(func(ls Listener) { ls.OnError(code, msg) })
					s.c.emit(func(ls Listener) { ls.OnExitRoom(int(trtc.ExitRemoved)) })
				}
				finish(resumeFatal)
			}
		})
	})
	select {
	case r := <-result:
		return r
	case <-s.ctx.Done():
		return resumeFatal
	}
}

// recovered installs l and reconciles the user list (reader goroutine of l).
func (s *roomSession) recovered(l *link, m proto.Message) resumeResult {
	var resp proto.EnterResponse
	if err := proto.DecodeData(m, &resp); err != nil {
		return resumeRetry
	}
	s.c.mu.Lock()
	if s.state == sEnded {
		s.c.mu.Unlock()
		return resumeFatal
	}
	s.applyLocked(l, resp)
	now := map[string]streams{}
	for _, u := range resp.Users {
		now[u.UserID] = streamsOf(u)
	}
	before := s.remote
	s.remote = now
	exiting := s.state == sExiting
	reannounce := !resp.Resumed && s.local != (streams{})
	local, unsent := s.local, s.unsent
	s.unsent = nil
	// After a re-enter, users missing now are away (away.go); users back
	// from away are not announced again.
	var left, entered []string
	for u := range before {
		if _, ok := now[u]; !ok {
			if resp.Resumed {
				left = append(left, u)
			} else {
				s.markAwayLocked(u)
			}
		}
	}
	for u := range now {
		if _, ok := before[u]; !ok && !s.backLocked(u) {
			entered = append(entered, u)
		}
	}
	s.c.mu.Unlock()
	s.setSignalDown(false)
	for _, u := range left {
		s.c.emit(func(ls Listener) { ls.OnRemoteUserLeaveRoom(u, int(trtc.LeaveNormal)) })
	}
	for u, st := range before {
		if _, ok := now[u]; !ok && !resp.Resumed {
			s.emitStreams(u, st, streams{}) // away: its media stopped
		}
	}
	for _, u := range entered {
		s.c.emit(func(ls Listener) { ls.OnRemoteUserEnterRoom(u) })
	}
	for u, st := range now {
		s.emitStreams(u, before[u], st)
	}
	s.media.onConnected(l, resp.Resumed)
	s.c.msgs.onConnected(s, l, resp.Resumed)
	if reannounce {
		// A fresh enter: the server forgot what we publish.
		for _, k := range local.list() {
			s.sendStreamState(l, k, true)
		}
	} else {
		// A resume: the server kept our streams, but changes a lost link
		// left unanswered may not have reached it. Say them again as
		// they stand now.
		for _, k := range unsent {
			s.sendStreamState(l, k, local.get(k))
		}
	}
	if exiting {
		go s.exit()
	}
	return resumeOK
}
