package conference

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Participant is one member session's media.
type Participant struct {
	hub       *Hub
	member    *room.Member
	session   room.SessionID
	key       trtc.RoomKey
	user      trtc.UserID
	autoAudio bool
	autoVideo bool

	mu           sync.Mutex // guards the fields below it up to the blank line
	peer         *sfu.Peer
	sig          Signaler
	pendingOffer string

	// Owned by the hub's loop.
	gone   bool
	avail  room.Streams // what this participant publishes and has not muted
	prefs  map[trtc.UserID]*prefs
	downs  map[sfu.TrackID]*down
	bwe    int     // subscriber bandwidth estimate, bps; 0 = none yet
	viewer *viewer // set for a playback-only participant (viewer.go)
	// announced: member watchers have heard of it as an anchor (members.go)
	announced bool
}

// prefs overrides the automatic receive mode for one remote user.
type prefs struct {
	audio, video, sub *bool
	layer             string // "", "auto", "big", "small"
}

type down struct {
	dt   *sfu.DownTrack
	pub  *published
	auto bool // layer follows the bandwidth estimate
}

func (p *Participant) peerOrNil() *sfu.Peer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peer
}

// ensurePeer creates the participant's PeerConnections on first need.
func (p *Participant) ensurePeer() (*sfu.Peer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.peer != nil {
		return p.peer, nil
	}
	peer, err := p.hub.engine.NewPeer(sfu.PeerID(p.user), &handler{p: p})
	if err != nil {
		return nil, err
	}
	p.peer = peer
	return peer, nil
}

// PublisherOffer answers the client's offer for its publisher connection.
// tracks maps MediaStreamTrack ids to "audio", "big", "small" or "sub".
func (p *Participant) PublisherOffer(ctx context.Context, sdp string, tracks map[string]trtc.StreamType) (string, error) {
	if p.member.Role() != trtc.RoleAnchor {
		return "", ErrNotAnchor
	}
	if !p.member.Active() {
		return "", ErrGone
	}
	peer, err := p.ensurePeer()
	if err != nil {
		return "", err
	}
	for id, st := range tracks {
		peer.SetStreamType(id, st)
	}
	return peer.HandlePublisherOffer(ctx, sdp)
}

// SubscriberAnswer completes the server's outstanding subscriber offer.
func (p *Participant) SubscriberAnswer(sdp string) error {
	peer := p.peerOrNil()
	if peer == nil {
		return sfu.ErrUnexpectedAnswer
	}
	if err := peer.HandleSubscriberAnswer(sdp); err != nil {
		return err
	}
	p.mu.Lock()
	p.pendingOffer = ""
	p.mu.Unlock()
	return nil
}

// Candidate adds a client ICE candidate.
func (p *Participant) Candidate(target sfu.Target, c sfu.Candidate) error {
	peer := p.peerOrNil()
	if peer == nil {
		return ErrGone
	}
	return peer.AddICECandidate(target, c)
}

// RestartICE restarts ICE on the subscriber connection; an offer follows.
func (p *Participant) RestartICE() {
	if peer := p.peerOrNil(); peer != nil {
		peer.RestartICE()
	}
}

// Subscribe changes what the participant receives of user's stream: on
// false stops receiving; layer is "big", "small" or "auto" for video.
func (p *Participant) Subscribe(user trtc.UserID, s room.Stream, on bool, layer string) error {
	if s == room.StreamUnknown {
		return ErrNoSuchStream
	}
	var err error
	ok := p.hub.loop.Call(func() {
		if p.gone {
			err = ErrGone
			return
		}
		rs := p.hub.rooms[p.key]
		if rs == nil || rs.parts[user] == nil || user == p.user {
			err = fmt.Errorf("%w: %q", ErrNoSuchUser, user)
			return
		}
		pr := p.prefs[user]
		if pr == nil {
			pr = &prefs{}
			p.prefs[user] = pr
		}
		v := on
		switch s {
		case room.StreamAudio:
			pr.audio = &v
		case room.StreamVideo:
			pr.video = &v
			if layer != "" {
				pr.layer = layer
			}
		case room.StreamSub:
			pr.sub = &v
		}
		for k, pub := range rs.tracks {
			if k.user == user {
				p.hub.apply(rs, pub, p)
			}
		}
	})
	if !ok {
		return ErrGone
	}
	return err
}

// wants reports whether p should receive pub's stream at all.
func (p *Participant) wants(pub *published) bool {
	if pub.owner == p {
		return false
	}
	if p.viewer != nil {
		return p.viewer.wants(pub)
	}
	pr := p.prefs[pub.key.user]
	pick := func(o *bool, def bool) bool {
		if o != nil {
			return *o
		}
		return def
	}
	switch pub.key.stream {
	case room.StreamAudio:
		return pick(prOr(pr).audio, p.autoAudio)
	case room.StreamVideo:
		return pick(prOr(pr).video, p.autoVideo)
	case room.StreamSub:
		return pick(prOr(pr).sub, p.autoVideo)
	}
	return false
}

func prOr(pr *prefs) *prefs {
	if pr == nil {
		return &prefs{}
	}
	return pr
}

// layerFor picks the video layer for p: pinned, or by bandwidth.
func (p *Participant) layerFor(pub *published) (trtc.StreamType, bool) {
	if pub.key.stream != room.StreamVideo {
		return trtc.StreamBig, false
	}
	switch prOr(p.prefs[pub.key.user]).layer {
	case "big":
		return trtc.StreamBig, false
	case "small":
		return trtc.StreamSmall, false
	}
	return p.autoLayer(pub, trtc.StreamBig), true
}

// Bandwidth policy for subscribers that did not pin a layer: move to small
// when the estimate cannot carry the big layer with 10 % headroom, back to
// big when it carries it with 50 % (the gap keeps it from flapping). With no
// small layer published, big it is.
func (p *Participant) autoLayer(pub *published, current trtc.StreamType) trtc.StreamType {
	return chooseLayer(p.bwe, pub.bigBps, hasLayer(pub.track, trtc.StreamSmall), current)
}

// chooseLayer is the bandwidth policy: with an estimate (bwe) and the big
// layer's measured bitrate, go small below 1.1× and big above 1.5×; keep the
// current layer in between or while either number is unknown. Without a
// small layer, big.
func chooseLayer(bwe, bigBps int, hasSmall bool, current trtc.StreamType) trtc.StreamType {
	if !hasSmall {
		return trtc.StreamBig
	}
	if bwe <= 0 || bigBps <= 0 {
		return current
	}
	switch {
	case float64(bwe) < 1.1*float64(bigBps):
		return trtc.StreamSmall
	case float64(bwe) > 1.5*float64(bigBps):
		return trtc.StreamBig
	}
	return current
}

func hasLayer(t *sfu.PublishedTrack, l trtc.StreamType) bool {
	for _, x := range t.Layers() {
		if x == l {
			return true
		}
	}
	return false
}

// apply brings p's subscription to pub in line with the rules (loop only).
func (h *Hub) apply(rs *roomState, pub *published, p *Participant) {
	if p.gone || pub.track.Ended() {
		return
	}
	id := pub.track.ID()
	d := p.downs[id]
	if d != nil && d.pub != pub {
		// A track of the same id from an earlier session of the publisher
		// (it re-entered): that subscription is dead.
		delete(p.downs, id)
		_ = d.dt.Close()
		d = nil
	}
	if !p.wants(pub) {
		if d != nil {
			delete(p.downs, id)
			_ = d.dt.Close()
		}
		return
	}
	avail := pub.owner.availFor(pub.key.stream)
	layer, auto := p.layerFor(pub)
	if d == nil {
		peer, err := p.ensurePeer()
		if err != nil {
			h.log.Warn("media: no peer", "user", string(p.user), "err", err)
			return
		}
		dt, err := peer.Subscribe(pub.track, sfu.SubscribeOptions{Layer: layer, Muted: !avail})
		if err != nil {
			h.log.Debug("media: subscribe", "user", string(p.user), "track", string(id), "err", err)
			return
		}
		p.downs[id] = &down{dt: dt, pub: pub, auto: auto}
		return
	}
	d.auto = auto
	if d.dt.Muted() == avail {
		d.dt.Mute(!avail)
	}
	if pub.key.stream == room.StreamVideo && d.dt.Layer() != layer {
		_ = d.dt.SetLayer(layer)
	}
}

func (p *Participant) availFor(s room.Stream) bool {
	switch s {
	case room.StreamAudio:
		return p.avail.Audio
	case room.StreamVideo:
		return p.avail.Video
	case room.StreamSub:
		return p.avail.Sub
	}
	return false
}

// refreshTrack applies the rules for every participant of the room to pub.
func (h *Hub) refreshTrack(rs *roomState, pub *published) {
	for _, p := range rs.parts {
		h.apply(rs, pub, p)
	}
	h.notifyWatchers(pub.owner.key, pub, false)
}

// refreshSubscriber applies the rules for p to every track of its room.
func (h *Hub) refreshSubscriber(rs *roomState, p *Participant) {
	for _, pub := range rs.tracks {
		h.apply(rs, pub, p)
	}
}

// handler receives one participant's SFU events.
type handler struct {
	sfu.NopHandler
	p *Participant
}

func (hd *handler) OnSubscriberOffer(sdp string) {
	p := hd.p
	p.mu.Lock()
	p.pendingOffer = sdp
	sig := p.sig
	p.mu.Unlock()
	if sig != nil {
		sig.SubscriberOffer(sdp)
	}
}

func streamOf(t *sfu.PublishedTrack) room.Stream {
	if t.Kind() == sfu.KindAudio {
		return room.StreamAudio
	}
	if t.StreamType() == trtc.StreamSub {
		return room.StreamSub
	}
	return room.StreamVideo
}

func (hd *handler) OnTrackPublished(t *sfu.PublishedTrack, layer trtc.StreamType) {
	p, h := hd.p, hd.p.hub
	h.loop.Post(func() {
		if p.gone {
			return
		}
		rs := h.rooms[p.key]
		if rs == nil {
			return
		}
		k := trackKey{p.user, streamOf(t)}
		pub := rs.tracks[k]
		if pub == nil || pub.track != t {
			h.pubOrder++
			pub = &published{key: k, track: t, owner: p, order: h.pubOrder}
			rs.tracks[k] = pub
		}
		h.refreshTrack(rs, pub)
		h.follow(rs)
	})
}

func (hd *handler) OnTrackUnpublished(t *sfu.PublishedTrack, _ trtc.StreamType) {
	if !t.Ended() {
		return
	}
	p, h := hd.p, hd.p.hub
	h.loop.Post(func() {
		rs := h.rooms[p.key]
		if rs == nil {
			return
		}
		k := trackKey{p.user, streamOf(t)}
		if pub := rs.tracks[k]; pub != nil && pub.track == t {
			delete(rs.tracks, k)
			h.notifyWatchers(p.key, pub, true)
			for _, q := range rs.parts {
				delete(q.downs, t.ID())
			}
			h.follow(rs)
		}
	})
}

func (hd *handler) OnBandwidthEstimate(bps int) {
	p, h := hd.p, hd.p.hub
	h.loop.Post(func() {
		if p.gone {
			return
		}
		p.bwe = bps
		now := time.Now()
		for _, d := range p.downs {
			if !d.auto || d.pub.key.stream != room.StreamVideo {
				continue
			}
			d.pub.measure(now)
			if l := p.autoLayer(d.pub, d.dt.Layer()); l != d.dt.Layer() {
				_ = d.dt.SetLayer(l)
			}
		}
	})
}

// measure updates the big layer's bitrate from the track's counters.
func (pub *published) measure(now time.Time) {
	for _, st := range pub.track.Stats() {
		if st.Layer != trtc.StreamBig {
			continue
		}
		if !pub.lastAt.IsZero() {
			if dt := now.Sub(pub.lastAt).Seconds(); dt >= 0.5 {
				pub.bigBps = int(float64(st.Bytes-pub.lastBytes) * 8 / dt)
				pub.lastBytes, pub.lastAt = st.Bytes, now
			}
			return
		}
		pub.lastBytes, pub.lastAt = st.Bytes, now
	}
}
