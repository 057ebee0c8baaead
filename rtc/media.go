package rtc

import (
	"log/slog"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/serial"
)

// mediaClient owns a session's publisher and subscriber PeerConnections.
// They outlive signaling links: a resumed session keeps its media; a fresh
// enter (after the server dropped the session) negotiates both again.
//
// Every Pion operation runs on one worker goroutine (work), in the order
// posted: the link's reader goroutine only decodes and posts, so it never
// waits on Pion, and Pion's own callbacks post too, so no Pion callback
// waits on us. Offers on the publisher connection are serialized: while one
// is unanswered, later changes only mark it dirty and are folded into the
// next offer.
type mediaClient struct {
	s    *roomSession
	c    *Cloud
	log  *slog.Logger
	work *serial.Queue

	mu     sync.Mutex
	closed bool
	locals map[string]*localTrack  // by pub_offer stream name
	prefs  map[string]*remotePrefs // subscribe choices, by user
	first  map[string]bool         // "<user>/<stream>" whose first frame was reported
	wg     sync.WaitGroup          // track and RTCP readers, statistics

	remotes map[*remoteTrack]struct{} // tracks being received (statistics, volume)
	repairT *time.Timer               // retries a broken connection's repair (worker; repair.go)
	stop    chan struct{}             // closed by close: ends statsLoop
	volKick chan struct{}             // the volume evaluation interval changed

	// Owned by the worker.
	pub, sub pcSide
}

// pcSide is one of the two connections (worker-owned).
type pcSide struct {
	target string
	pc     *webrtc.PeerConnection
	held   []webrtc.ICECandidateInit // remote candidates waiting for a description

	// Publisher only.
	busy          bool      // an offer is unanswered
	dirty         bool      // something changed since it was made
	restart       bool      // the next offer restarts ICE
	everConnected bool      // the connection reached connected once
	broken        bool      // disconnected or failed after having connected
	stale         bool      // the last offer was rolled back: offer again
	offeredICE    bool      // the offer awaiting its answer restarts ICE
	lastRepair    time.Time // the last ICE restart made to repair a break (repair.go)
	senders       map[*localTrack]*webrtc.RTPSender
	negotiated    map[*localTrack]bool // answered at least once
	connected     bool
}

func newMediaClient(s *roomSession) *mediaClient {
	m := &mediaClient{
		s: s, c: s.c,
		log:     s.c.o.log.With("user", s.params.UserID),
		work:    serial.New(),
		locals:  map[string]*localTrack{},
		prefs:   map[string]*remotePrefs{},
		first:   map[string]bool{},
		remotes: map[*remoteTrack]struct{}{},
		stop:    make(chan struct{}),
		volKick: make(chan struct{}, 1),
		pub:     pcSide{target: proto.TargetPub},
		sub:     pcSide{target: proto.TargetSub},
	}
	m.wg.Add(1)
	go m.statsLoop()
	return m
}

func (m *mediaClient) post(f func()) { m.work.Post(f) }

func (m *mediaClient) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// currentLink returns the signaling link to use now, or nil while
// reconnecting or after the session ended.
func (m *mediaClient) currentLink() *link {
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	if m.s.state != sInRoom && m.s.state != sExiting {
		return nil
	}
	return m.s.link
}

// onConnected runs on the link's reader goroutine after an enter or a
// resume (resumed=true: the server kept our media session; false: a fresh
// enter, media must be negotiated again).
func (m *mediaClient) onConnected(l *link, resumed bool) {
	if m.isClosed() {
		return
	}
	m.post(func() {
		if !resumed {
			m.closePC(&m.pub)
			m.closePC(&m.sub)
		}
		if m.pub.dirty || !resumed || m.pub.restart {
			m.pub.dirty = false
			m.negotiatePub()
		}
		m.repairNow() // a fresh link: retry what broke while there was none
	})
	m.sync(true)
	m.resendPrefs(l)
}

// onRoleChanged follows a successful SwitchRole (reader goroutine): an
// audience member's streams are gone, an anchor's enabled ones come back.
func (m *mediaClient) onRoleChanged() {
	m.c.mu.Lock()
	audience := m.s.role == RoleAudience
	if audience {
		m.s.local = streams{} // the server unpublished them
	}
	m.c.mu.Unlock()
	if audience {
		m.post(m.negotiatePub)
		return
	}
	m.sync(false)
}

// sync announces the streams the capture state makes available and
// (re)negotiates the publisher connection. It reports 6001 once if an
// audience member has something enabled and warnAudience is set.
func (m *mediaClient) sync(warnAudience bool) {
	s := m.s
	s.c.mu.Lock()
	inRoom := s.state == sInRoom
	online := inRoom && s.link != nil
	audience := s.role == RoleAudience
	local := s.local
	s.c.mu.Unlock()
	if !inRoom || m.isClosed() {
		return
	}
	cm := &m.c.mediaState
	want := cm.desired()
	if audience {
		if warnAudience && (cm.enabled(proto.StreamAudio) || cm.enabled("big") || cm.enabled("sub")) {
			m.c.emit(func(l Listener) {
				l.OnWarning(WarnCodeIgnoreUpstreamForAudience, "audience members cannot publish: switch role to anchor first")
			})
		}
		m.post(m.negotiatePub)
		return
	}
	if cm.enabled(proto.StreamAudio) {
		m.localTrack(proto.StreamAudio, 0) // Opus needs no first frame to know its codec
	}
	if online { // otherwise onConnected syncs again
		for _, st := range []struct {
			name      string
			want, has bool
		}{
			{proto.StreamAudio, want.audio, local.audio},
			{proto.StreamVideo, want.video, local.video},
			{proto.StreamSub, want.sub, local.sub},
		} {
			if st.want != st.has {
				s.setLocalStream(st.name, st.want)
			}
		}
	}
	m.post(m.negotiatePub)
}

// localTrack returns the track of a pub stream, creating it (and
// scheduling a negotiation) on first use or when the video format changes.
func (m *mediaClient) localTrack(name string, format VideoFormat) *localTrack {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	lt := m.locals[name]
	if lt != nil && lt.format == format {
		m.mu.Unlock()
		return lt
	}
	lt, err := newLocalTrack(name, format, m.s.params.UserID)
	if err != nil {
		m.mu.Unlock()
		m.log.Warn("cannot create local track", "track", name, "err", err)
		return nil
	}
	m.locals[name] = lt
	m.mu.Unlock()
	m.post(m.negotiatePub)
	return lt
}

// wantedLocals lists the local tracks the publisher connection should
// carry now.
func (m *mediaClient) wantedLocals() map[*localTrack]bool {
	m.c.mu.Lock()
	ok := (m.s.state == sInRoom) && m.s.role != RoleAudience
	m.c.mu.Unlock()
	want := map[*localTrack]bool{}
	if !ok {
		return want
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, lt := range m.locals {
		if m.c.mediaState.enabled(name) {
			want[lt] = true
		}
	}
	return want
}

// negotiatePub brings the publisher connection's senders in line with the
// wanted tracks and offers the result (worker).
func (m *mediaClient) negotiatePub() {
	ps := &m.pub
	if m.isClosed() {
		return
	}
	if ps.busy {
		ps.dirty = true
		return
	}
	want := m.wantedLocals()
	if ps.pc == nil && len(want) == 0 {
		return
	}
	l := m.currentLink()
	if l == nil {
		ps.dirty = true // onConnected offers
		return
	}
	if ps.pc != nil && ps.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		// The answer to our last offer was lost with its link, and Pion
		// cannot roll a local offer back: offer it again as it is; what
		// changed since follows once it is answered.
		ps.dirty = true
		m.sendPubOffer(l, ps.pc, ps.pc.LocalDescription().SDP)
		return
	}
	if ps.pc == nil {
		pc, err := m.newPC(proto.TargetPub)
		if err != nil {
			m.log.Error("publisher connection", "err", err)
			return
		}
		ps.pc = pc
		ps.senders = map[*localTrack]*webrtc.RTPSender{}
		ps.negotiated = map[*localTrack]bool{}
	}
	pc := ps.pc
	changed := pc.LocalDescription() == nil || ps.restart || ps.stale
	for lt, snd := range ps.senders {
		if !want[lt] {
			if err := pc.RemoveTrack(snd); err != nil {
				m.log.Warn("remove track", "track", lt.name, "err", err)
			}
			delete(ps.senders, lt)
			delete(ps.negotiated, lt)
			lt.live.Store(false)
			lt.sentFirst.Store(false)
			changed = true
		}
	}
	for lt := range want {
		if ps.senders[lt] != nil {
			continue
		}
		tr, err := pc.AddTransceiverFromTrack(lt.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			m.log.Warn("add track", "track", lt.name, "err", err)
			continue
		}
		ps.senders[lt] = tr.Sender()
		m.readRTCP(lt, tr.Sender())
		changed = true
	}
	if !changed {
		return
	}
	offer, err := pc.CreateOffer(&webrtc.OfferOptions{ICERestart: ps.restart})
	if err == nil {
		err = pc.SetLocalDescription(offer)
	}
	if err != nil {
		m.log.Error("publisher offer", "err", err)
		return
	}
	ps.offeredICE = ps.restart
	ps.restart, ps.stale = false, false
	m.sendPubOffer(l, pc, offer.SDP)
}

// sendPubOffer sends the publisher connection's offer with its tracks
// (worker).
func (m *mediaClient) sendPubOffer(l *link, pc *webrtc.PeerConnection, sdp string) {
	ps := &m.pub
	req := proto.PubOffer{SDP: sdp}
	for lt := range ps.senders {
		req.Tracks = append(req.Tracks, proto.PubTrack{ID: lt.track.ID(), Stream: lt.name})
	}
	ps.busy = true
	l.request(proto.TypePubOffer, req, m.c.o.connectTimeout, ErrCodeDisconnected, func(msg proto.Message) {
		m.post(func() { m.onPubAnswer(pc, msg) })
	})
}

// onPubAnswer applies the server's answer (worker).
func (m *mediaClient) onPubAnswer(pc *webrtc.PeerConnection, msg proto.Message) {
	ps := &m.pub
	if ps.pc != pc {
		return // a connection since replaced
	}
	ps.busy = false
	var ans proto.SDP
	if msg.Code == 0 {
		if err := proto.DecodeData(msg, &ans); err != nil || ans.SDP == "" {
			msg.Code, msg.Msg = ErrCodeEnterRoomFailed, "pub_offer: response without an answer"
		}
	}
	if msg.Code == ErrCodeDisconnected {
		// No answer: the link went away (or the request timed out). The
		// offer stands and goes out again on the next link.
		ps.dirty = true
		return
	}
	if msg.Code != 0 {
		// Back to the last stable state; the transceivers stay and are
		// offered again next time.
		if err := pc.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback}); err != nil {
			m.log.Warn("publisher rollback", "err", err)
		}
		ps.stale = true
		// The rollback undid the ICE restart too: the next offer restarts again.
		ps.restart = ps.restart || ps.offeredICE
		ps.dirty = false
		code, text := msg.Code, msg.Msg
		m.c.emit(func(l Listener) {
			if code > 0 {
				l.OnWarning(code, text)
			} else {
				l.OnError(code, text)
			}
		})
		return
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP}); err != nil {
		m.log.Error("publisher answer", "err", err)
		return
	}
	m.flushHeld(ps)
	for lt, snd := range ps.senders {
		ps.negotiated[lt] = true
		if lt.name == proto.StreamAudio {
			lt.levelID.Store(uint32(headerExtensionID(snd.GetParameters().HeaderExtensions, audioLevelURI)))
		}
	}
	m.markLive()
	if ps.dirty {
		ps.dirty = false
		m.negotiatePub()
	}
}

// markLive lets the first frames of negotiated tracks be reported once the
// publisher connection is up (worker).
func (m *mediaClient) markLive() {
	ps := &m.pub
	for lt := range ps.senders {
		lt.live.Store(ps.connected && ps.negotiated[lt])
	}
}

// onSubOffer answers the server's subscriber offer (worker).
func (m *mediaClient) onSubOffer(l *link, sdp string) {
	ss := &m.sub
	if ss.pc == nil {
		pc, err := m.newPC(proto.TargetSub)
		if err != nil {
			m.log.Error("subscriber connection", "err", err)
			return
		}
		ss.pc = pc
	}
	pc := ss.pc
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		m.log.Error("subscriber offer", "err", err)
		return
	}
	m.flushHeld(ss)
	answer, err := pc.CreateAnswer(nil)
	if err == nil {
		err = pc.SetLocalDescription(answer)
	}
	if err != nil {
		m.log.Error("subscriber answer", "err", err)
		return
	}
	l.request(proto.TypeSubAnswer, proto.SDP{SDP: answer.SDP}, m.c.o.connectTimeout, ErrCodeDisconnected, func(msg proto.Message) {
		if msg.Code != 0 {
			m.log.Warn("sub_answer refused", "code", msg.Code, "msg", msg.Msg)
		}
	})
}

// onSignal handles sub_offer and candidate events (reader goroutine).
func (m *mediaClient) onSignal(l *link, msg proto.Message) {
	switch msg.Type {
	case proto.TypeSubOffer:
		var o proto.SDP
		if err := proto.DecodeData(msg, &o); err != nil || o.SDP == "" {
			m.log.Warn("bad sub_offer", "err", err)
			return
		}
		m.post(func() { m.onSubOffer(l, o.SDP) })
	case proto.TypeCandidate:
		var c proto.Candidate
		if err := proto.DecodeData(msg, &c); err != nil {
			return
		}
		m.post(func() { m.addRemoteCandidate(c) })
	}
}

func (m *mediaClient) side(target string) *pcSide {
	switch target {
	case proto.TargetPub:
		return &m.pub
	case proto.TargetSub:
		return &m.sub
	}
	return nil
}

// addRemoteCandidate adds a server candidate, or holds it until the
// connection has a remote description (worker).
func (m *mediaClient) addRemoteCandidate(c proto.Candidate) {
	ps := m.side(c.Target)
	if ps == nil || c.Candidate == "" {
		return
	}
	init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex}
	if ps.pc == nil || ps.pc.RemoteDescription() == nil {
		ps.held = append(ps.held, init)
		return
	}
	if err := ps.pc.AddICECandidate(init); err != nil {
		m.log.Warn("remote candidate", "target", ps.target, "err", err)
	}
}

func (m *mediaClient) flushHeld(ps *pcSide) {
	held := ps.held
	ps.held = nil
	for _, c := range held {
		if err := ps.pc.AddICECandidate(c); err != nil {
			m.log.Warn("remote candidate", "target", ps.target, "err", err)
		}
	}
}

// sendCandidate trickles one of our candidates (worker, so it never
// overtakes the offer or answer it belongs to).
func (m *mediaClient) sendCandidate(target string, c webrtc.ICECandidateInit) {
	l := m.currentLink()
	if l == nil {
		return
	}
	l.send(proto.MustEncode(proto.TypeCandidate, 0, 0, "", proto.Candidate{
		Target: target, Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex,
	}))
}

// newPC creates one of the two connections with its callbacks (worker).
func (m *mediaClient) newPC(target string) (*webrtc.PeerConnection, error) {
	api, err := m.c.pionAPI()
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(m.c.pcConfig()) // reach.go: TURN servers, ICE policy
	if err != nil {
		return nil, err
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			init := c.ToJSON()
			m.post(func() { m.sendCandidate(target, init) })
		}
	})
	pc.OnICEConnectionStateChange(func(st webrtc.ICEConnectionState) {
		if st == webrtc.ICEConnectionStateFailed {
			m.post(func() { m.onICEFailed(pc, target) })
		}
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		m.post(func() { m.onPCState(pc, target, st) })
	})
	if target == proto.TargetSub {
		pc.OnTrack(func(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) { m.onTrack(pc, tr, rcv) })
	}
	return pc, nil
}

func (m *mediaClient) onPCState(pc *webrtc.PeerConnection, target string, st webrtc.PeerConnectionState) {
	ps := m.side(target)
	if ps.pc != pc {
		return
	}
	if target == proto.TargetPub {
		m.pub.connected = st == webrtc.PeerConnectionStateConnected
		m.markLive()
	}
	switch st {
	case webrtc.PeerConnectionStateConnected:
		ps.everConnected, ps.broken = true, false
		if !m.pub.broken && !m.sub.broken {
			m.s.setMediaDown(false)
		}
	case webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateFailed:
		// The media path broke while the connection had worked: report it
		// like a lost connection and restart ICE until it works again
		// (repair.go).
		if ps.everConnected && !ps.broken {
			ps.broken = true
			ps.lastRepair = time.Time{}
			m.s.setMediaDown(true)
			m.repair(ps)
		}
	}
}

// onICEFailed restarts ICE: the server restarts the subscriber connection
// on request, we restart the publisher one with a new offer (worker).
func (m *mediaClient) onICEFailed(pc *webrtc.PeerConnection, target string) {
	ps := m.side(target)
	if ps.pc != pc {
		return
	}
	if target == proto.TargetPub {
		ps.restart = true
		m.negotiatePub()
		return
	}
	if l := m.currentLink(); l != nil {
		l.request(proto.TypeRestartICE, proto.RestartICE{Target: proto.TargetSub}, m.c.o.connectTimeout, ErrCodeDisconnected, func(msg proto.Message) {
			if msg.Code != 0 {
				m.log.Warn("restart_ice refused", "code", msg.Code, "msg", msg.Msg)
			}
		})
	}
}

// readRTCP drains a sender's RTCP so that its interceptors see NACKs and
// receiver reports (Pion processes RTCP only as it is read), and notes
// keyframe requests for the I420 encoder.
func (m *mediaClient) readRTCP(lt *localTrack, snd *webrtc.RTPSender) {
	if !m.track() {
		return
	}
	go func() {
		defer m.wg.Done()
		for {
			pkts, _, err := snd.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				switch p.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					lt.keyRequested.Store(true)
				}
			}
		}
	}()
}

// track registers a reader goroutine unless the client is closed.
func (m *mediaClient) track() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	m.wg.Add(1)
	return true
}

// closePC closes one connection and forgets its state (worker).
func (m *mediaClient) closePC(ps *pcSide) {
	if ps.pc == nil {
		ps.held = nil
		return
	}
	for lt := range ps.senders {
		lt.live.Store(false)
		lt.sentFirst.Store(false)
	}
	if err := ps.pc.GracefulClose(); err != nil {
		m.log.Debug("close connection", "target", ps.target, "err", err)
	}
	m.c.mediaState.api.getters.Delete(ps.pc.ID())
	*ps = pcSide{target: ps.target}
}

// close releases both PeerConnections. It does not wait: shutdown does.
func (m *mediaClient) close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	close(m.stop)
	m.mu.Unlock()
	// Posted before stop, so it runs after everything queued so far.
	m.work.Post(func() {
		if m.repairT != nil {
			m.repairT.Stop()
		}
		m.closePC(&m.pub)
		m.closePC(&m.sub)
	})
	m.work.Close(true)
}

// shutdown closes and waits until every media goroutine has ended.
func (m *mediaClient) shutdown() {
	m.close()
	<-m.work.Done()
	m.wg.Wait()
}
