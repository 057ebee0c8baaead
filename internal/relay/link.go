package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/conference"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/serial"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Local is the part of a node a relay link works with: its rooms (where
// remote publishers become members), its conference hub (whose published
// streams are sent, and which fans received ones out) and its SFU.
type Local struct {
	Rooms  *room.Manager
	Hub    *conference.Hub
	Engine *sfu.Engine
	Log    *slog.Logger
}

// writeTimeout bounds one control message write; a peer that does not read
// for that long loses its link.
const writeTimeout = 5 * time.Second

// pingInterval is how often each end pings the other on the control
// link; a peer that does not answer within the next interval loses the link,
// so a silent node (killed, partitioned) is noticed within 2 × pingInterval.
const pingInterval = 5 * time.Second

// gatherTimeout bounds the wait for the receiving connection's candidates
// (local mux candidates only: normally well under a millisecond).
const gatherTimeout = 5 * time.Second

// LinkStats describes one relay link.
type LinkStats struct {
	Node     string       // the node at the other end
	Room     trtc.RoomKey // the room it carries
	Sent     int          // RTP streams this node sends over it
	Received int          // RTP streams this node receives over it
	Mirrored int          // remote publishers mirrored here as members
}

// link is one side of a relay link for one room. Both ends run the same
// code: each sends the streams published on its node (except those it
// mirrors from the other end) on its out Peer's subscriber connection, and
// receives the other end's on its in connection, where each remote
// publisher becomes a member of the local room with a Peer of its own.
type link struct {
	loc  Local
	key  trtc.RoomKey
	node string // the other end
	conn *websocket.Conn
	log  *slog.Logger
	loop *serial.Queue

	ctx    context.Context
	cancel context.CancelFunc

	out *sfu.Peer
	in  *webrtc.PeerConnection

	// Owned by the loop.
	sent     map[*sfu.PublishedTrack]*sending
	nSent    int // streams (DownTracks) in sent
	shadows  map[trtc.UserID]*shadow
	incoming map[string]incoming
	received int
	failed   error

	closeOnce sync.Once
}

// sending is one local track sent over the link.
type sending struct {
	avail bool
	downs map[trtc.StreamType]*sfu.DownTrack // by layer
}

// shadow is a remote publisher mirrored as a local member.
type shadow struct {
	member *room.Member
	peer   *sfu.Peer
}

// incoming is what an announced RTP stream is.
type incoming struct {
	user  trtc.UserID
	layer trtc.StreamType // StreamBig, StreamSmall or StreamSub
}

func newLink(ctx context.Context, loc Local, key trtc.RoomKey, node string, conn *websocket.Conn) *link {
	log := loc.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &link{
		loc: loc, key: key, node: node, conn: conn, loop: serial.New(),
		log:      log.With("room", key.String(), "node", node),
		sent:     map[*sfu.PublishedTrack]*sending{},
		shadows:  map[trtc.UserID]*shadow{},
		incoming: map[string]incoming{},
	}
	l.ctx, l.cancel = context.WithCancel(ctx)
	conn.SetReadLimit(MaxMessageBytes)
	return l
}

// run serves the link until either end closes it or ctx ends, then removes
// everything it created. It returns why the link ended.
func (l *link) run() error {
	defer l.cancel()
	var err error
	l.out, err = l.loc.Engine.NewPeer(sfu.PeerID("relay:"+l.node), &outHandler{l: l})
	if err != nil {
		l.loop.Close(false)
		l.conn.Close(websocket.StatusInternalError, "media engine")
		return fmt.Errorf("relay: %w", err)
	}
	l.in, err = l.loc.Engine.NewRelayConnection()
	if err != nil {
		_ = l.out.Close()
		l.loop.Close(false)
		l.conn.Close(websocket.StatusInternalError, "media engine")
		return fmt.Errorf("relay: %w", err)
	}
	l.in.OnTrack(func(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
		l.loop.Post(func() { l.onTrack(remote, recv) })
	})
	stop := l.loc.Hub.Watch(l.key, watcher{l})
	stopMsgs := l.loc.Rooms.TapMessages(l.key, func(m *room.Message) {
		l.loop.Post(func() { l.messageSent(m) })
	})
	pinged := make(chan struct{})
	go func() { defer close(pinged); l.keepalive() }()
	err = l.readLoop()
	l.cancel()
	<-pinged
	stopMsgs()
	stop()
	l.loop.Call(func() {
		l.teardown()
		if l.failed != nil {
			err = l.failed
		}
	})
	l.loop.Close(false)
	return err
}

// keepalive pings the other end until the link ends.
func (l *link) keepalive() {
	t := time.NewTicker(pingInterval)
	defer t.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(l.ctx, pingInterval)
		err := l.conn.Ping(ctx)
		cancel()
		if err != nil {
			if l.ctx.Err() == nil {
				l.log.Warn("relay: peer stopped answering", "err", err)
				l.loop.Post(func() { l.failed = fmt.Errorf("relay: %s stopped answering: %w", l.node, err) })
			}
			l.cancel()
			return
		}
	}
}

func (l *link) readLoop() error {
	for {
		typ, b, err := l.conn.Read(l.ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure || l.ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("relay: link to %s: %w", l.node, err)
		}
		if typ != websocket.MessageText {
			l.fail(fmt.Errorf("%w: binary frame", ErrBadMessage))
			return ErrBadMessage
		}
		m, err := decodeMessage(b)
		if err != nil {
			l.fail(err)
			return err
		}
		l.loop.Post(func() { l.handle(m) })
	}
}

// fail logs a protocol error and closes the link with it.
func (l *link) fail(err error) {
	l.log.Warn("relay: closing link", "err", err)
	l.closeOnce.Do(func() {
		l.loop.Post(func() { l.failed = err })
		l.conn.Close(websocket.StatusPolicyViolation, truncate(err.Error(), 120))
	})
	l.cancel()
}

// close ends the link normally.
func (l *link) close() {
	l.closeOnce.Do(func() { l.conn.Close(websocket.StatusNormalClosure, "") })
	l.cancel()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// send writes one control message; a failed write ends the link.
func (l *link) send(m message) {
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(l.ctx, writeTimeout)
	defer cancel()
	if err := l.conn.Write(ctx, websocket.MessageText, b); err != nil {
		l.log.Debug("relay: write", "err", err)
		l.cancel()
	}
}

// teardown removes what the link created (loop only).
func (l *link) teardown() {
	for _, sh := range l.shadows {
		sh.member.Leave()
	}
	l.shadows = map[trtc.UserID]*shadow{}
	_ = l.in.Close()
	_ = l.out.Close()
	l.sent = map[*sfu.PublishedTrack]*sending{}
	l.nSent = 0
}

// stats reports the link's counters.
func (l *link) stats() LinkStats {
	s := LinkStats{Node: l.node, Room: l.key}
	l.loop.Call(func() {
		for _, snd := range l.sent {
			s.Sent += len(snd.downs)
		}
		s.Received = l.received
		s.Mirrored = len(l.shadows)
	})
	return s
}

// watcher hears the local room's anchors and tracks for the link.
type watcher struct{ l *link }

func (w watcher) TrackChanged(s conference.TrackState) {
	w.l.loop.Post(func() { w.l.trackChanged(s) })
}

func (w watcher) MemberChanged(s conference.MemberState) {
	w.l.loop.Post(func() { w.l.memberChanged(s) })
}

// memberChanged tells the other end about a local anchor (loop only).
func (l *link) memberChanged(s conference.MemberState) {
	if l.ctx.Err() != nil {
		return
	}
	if _, mirrored := l.shadows[s.User]; mirrored {
		return // it came from the other end
	}
	if s.Gone {
		l.send(message{T: msgLeft, User: string(s.User)})
		return
	}
	l.send(message{T: msgMember, User: string(s.User), Audio: s.Streams.Audio, Video: s.Streams.Video, Sub: s.Streams.Sub})
}

// messageSent forwards a custom message sent in the local room (loop
// only); the other end relays it as sent by its mirror of the sender.
func (l *link) messageSent(m *room.Message) {
	if l.ctx.Err() != nil {
		return
	}
	if _, mirrored := l.shadows[m.UserID]; mirrored {
		return // it came from the other end
	}
	l.send(message{T: msgCustom, User: string(m.UserID), Cmd: m.CmdID, Seq: m.Seq, Data: m.Data})
}

// trackChanged sends a local track to the other end, once per layer
// (loop only). Availability travels with the anchor (memberChanged); the
// track's streams are muted meanwhile so that nothing blocked leaks.
func (l *link) trackChanged(s conference.TrackState) {
	if l.ctx.Err() != nil || s.Track == nil {
		return
	}
	if _, mirrored := l.shadows[s.User]; mirrored {
		return // it came from the other end
	}
	snd := l.sent[s.Track]
	if s.Gone {
		if snd != nil {
			delete(l.sent, s.Track)
			for _, d := range snd.downs {
				_ = d.Close()
			}
			l.nSent -= len(snd.downs)
		}
		return
	}
	if snd == nil {
		snd = &sending{avail: s.Available, downs: map[trtc.StreamType]*sfu.DownTrack{}}
		l.sent[s.Track] = snd
	} else if snd.avail != s.Available {
		snd.avail = s.Available
		for _, d := range snd.downs {
			d.Mute(!s.Available)
		}
	}
	// Every layer arriving is sent once, each as its own stream, so that the
	// other end can switch its subscribers between them.
	for _, layer := range s.Track.Layers() {
		if s.Stream != room.StreamVideo {
			layer = trtc.StreamBig
		}
		if snd.downs[layer] != nil {
			continue
		}
		if l.nSent >= MaxStreamsPerLink {
			l.log.Warn("relay: stream limit reached", "user", string(s.User), "limit", MaxStreamsPerLink)
			return
		}
		opts := sfu.SubscribeOptions{Layer: layer, Muted: !snd.avail}
		if s.Stream == room.StreamVideo {
			opts.Label = layerName(layer)
		}
		id := string(s.Track.ID())
		if opts.Label != "" {
			id += "#" + opts.Label
		}
		// Announce before subscribing: the offer carrying the stream
		// follows on the same ordered link.
		l.send(message{T: msgTrack, ID: id, User: string(s.User), Stream: s.Stream.String(), Layer: layerName(layer)})
		d, err := l.out.Subscribe(s.Track, opts)
		if err != nil {
			l.log.Debug("relay: subscribe", "track", id, "err", err)
			continue
		}
		snd.downs[layer] = d
		l.nSent++
	}
}

// handle applies a message from the other end (loop only).
func (l *link) handle(m message) {
	if l.ctx.Err() != nil {
		return
	}
	user := trtc.UserID(m.User)
	switch m.T {
	case msgMember:
		sh := l.shadowOf(user)
		if sh == nil {
			return
		}
		l.setStream(sh, room.StreamAudio, m.Audio)
		l.setStream(sh, room.StreamVideo, m.Video)
		l.setStream(sh, room.StreamSub, m.Sub)
	case msgLeft:
		for id, in := range l.incoming {
			if in.user == user {
				delete(l.incoming, id)
			}
		}
		if sh := l.shadows[user]; sh != nil {
			delete(l.shadows, user)
			sh.member.Leave()
		}
	case msgTrack:
		if _, known := l.incoming[m.ID]; !known && len(l.incoming) >= MaxStreamsPerLink {
			l.fail(fmt.Errorf("%w: more than %d streams", ErrBadMessage, MaxStreamsPerLink))
			return
		}
		layer, _ := parseLayer(m.Layer)
		if room.ParseStream(m.Stream) == room.StreamSub {
			layer = trtc.StreamSub
		}
		l.incoming[m.ID] = incoming{user: user, layer: layer}
	case msgCustom:
		sh := l.shadows[user]
		if sh == nil {
			l.log.Debug("relay: message from an unknown anchor", "user", m.User)
			return
		}
		if _, _, err := sh.member.SendMessage(m.Cmd, m.Data, m.Seq); err != nil {
			l.log.Debug("relay: message refused", "user", m.User, "err", err)
		}
	case msgOffer:
		l.answer(m.SDP)
	case msgAnswer:
		if err := l.out.HandleSubscriberAnswer(m.SDP); err != nil {
			l.fail(fmt.Errorf("%w: answer: %w", ErrBadMessage, err))
		}
	}
}

func (l *link) setStream(sh *shadow, s room.Stream, on bool) {
	if err := sh.member.SetStream(s, on, nil); err != nil {
		l.log.Debug("relay: stream state", "user", string(sh.member.UserID()), "stream", s.String(), "err", err)
	}
}

// shadowOf returns the local member that stands for a remote publisher,
// entering it into the room on first use (loop only).
func (l *link) shadowOf(user trtc.UserID) *shadow {
	if sh := l.shadows[user]; sh != nil && sh.member.Active() {
		return sh
	}
	if len(l.shadows) >= MaxMembersPerLink {
		l.fail(fmt.Errorf("%w: more than %d anchors", ErrBadMessage, MaxMembersPerLink))
		return nil
	}
	m, err := l.loc.Rooms.Join(room.JoinRequest{
		Key: l.key, UserID: user, Role: trtc.RoleAnchor, Scene: trtc.SceneLive,
		Client:   room.ClientInfo{Device: "relay:" + l.node},
		Sink:     room.SinkFunc(func(room.Event) {}),
		Mirrored: true,
	})
	if err != nil {
		l.log.Warn("relay: cannot mirror publisher", "user", string(user), "err", err)
		return nil
	}
	p := l.loc.Hub.Join(m, false, false, nil)
	peer, err := p.Peer()
	if err != nil {
		m.Leave()
		l.log.Warn("relay: cannot mirror publisher", "user", string(user), "err", err)
		return nil
	}
	sh := &shadow{member: m, peer: peer}
	l.shadows[user] = sh
	return sh
}

// onTrack hands a received RTP stream to its publisher's shadow (loop only).
func (l *link) onTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	in, ok := l.incoming[remote.ID()]
	sh := l.shadows[in.user]
	if !ok || sh == nil {
		l.log.Debug("relay: unannounced stream", "track", remote.ID())
		go discard(remote)
		return
	}
	if err := sh.peer.PublishRemote(remote, recv, in.layer, l.in.WriteRTCP); err != nil {
		go discard(remote)
		return
	}
	l.received++
}

// discard reads a stream nobody forwards, so Pion's RTCP keeps flowing.
func discard(remote *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := remote.Read(buf); err != nil {
			return
		}
	}
}

// answer applies the other end's offer to the receiving connection and
// sends the answer with its candidates (loop only).
func (l *link) answer(sdp string) {
	if err := l.in.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		l.fail(fmt.Errorf("%w: offer: %w", ErrBadMessage, err))
		return
	}
	ans, err := l.in.CreateAnswer(nil)
	if err != nil {
		l.fail(fmt.Errorf("relay: answer: %w", err))
		return
	}
	gathered := webrtc.GatheringCompletePromise(l.in)
	if err := l.in.SetLocalDescription(ans); err != nil {
		l.fail(fmt.Errorf("relay: answer: %w", err))
		return
	}
	select {
	case <-gathered:
	case <-time.After(gatherTimeout):
	case <-l.ctx.Done():
		return
	}
	l.send(message{T: msgAnswer, SDP: l.in.LocalDescription().SDP})
}

// outHandler carries the out Peer's offers to the other end.
type outHandler struct {
	sfu.NopHandler
	l *link
}

func (h *outHandler) OnSubscriberOffer(sdp string) { h.l.send(message{T: msgOffer, SDP: sdp}) }
