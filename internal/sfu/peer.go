package sfu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// gatherTimeout bounds the wait for local ICE candidates when creating a
// subscriber offer. Gathering is local-only (host and mux candidates, no
// STUN), so it normally takes well under a millisecond.
const gatherTimeout = 5 * time.Second

// Peer is the server side of one client session: a publisher connection
// (client offers, server answers) and a subscriber connection (server
// offers, client answers). The publisher connection is made with the
// client's first offer: an audience member, who never offers, costs no
// idle PeerConnection (a goroutine, ICE gatherer, DTLS and SCTP state:
// 20 KiB in bench fanout). Its methods are safe for concurrent use.
type Peer struct {
	id     PeerID
	e      *Engine
	h      Handler
	log    *slog.Logger
	events *eventLoop
	pub    atomic.Pointer[webrtc.PeerConnection] // set once, by the first publisher offer
	sub    *webrtc.PeerConnection
	send   *sender
	bwe    *estimator

	// subReady is set while the subscriber connection is connected: what
	// is written before DTLS completes is lost, so DownTracks wait for it
	// and then start from a keyframe.
	subReady atomic.Bool
	wg       sync.WaitGroup // layer readers and RTCP loops
	// fast is the subscriber connection's own SRTP sender (fastpath.go).
	fast fastState

	mu         sync.Mutex
	closed     bool
	hints      map[string]trtc.StreamType
	published  map[string]*PublishedTrack // by source
	downs      map[TrackID]*DownTrack
	remoteSet  [3]bool                      // by Target: remote description applied
	candidates [3][]webrtc.ICECandidateInit // by Target: waiting for it
	answering  bool                         // the subscriber connection answers the client (whep.go)
	slots      [3]*slot                     // by Kind, when answering
	// Subscriber transceivers whose track was removed: releasing until the
	// client has answered an offer made after the removal (its receiver is
	// gone then), idle from then on, to carry the next track of their kind
	// instead of a new m-line (transceivers.go).
	releasing []released
	idle      []*webrtc.RTPTransceiver

	// pubMu serializes publisher negotiations.
	pubMu sync.Mutex

	// Subscriber negotiation: at most one offer outstanding.
	negMu       sync.Mutex
	outstanding bool
	again       bool
	iceRestart  bool
	offers      uint64 // offers made so far
}

func newPeer(e *Engine, id PeerID, h Handler) (*Peer, error) {
	p := &Peer{
		id: id, e: e, h: h, log: e.log.With("peer", string(id)),
		send:      newSender(e.cfg.SendQueueSize, e.nextWorker()),
		hints:     make(map[string]trtc.StreamType),
		published: make(map[string]*PublishedTrack),
		downs:     make(map[TrackID]*DownTrack),
	}
	var err error
	if p.sub, err = e.subAPI.NewPeerConnection(peerConfig); err != nil {
		return nil, fmt.Errorf("sfu: subscriber connection: %w", err)
	}
	p.events = newEventLoop()
	p.bwe = newEstimator(e.cfg, func(bps int) {
		p.events.post(func() { p.h.OnBandwidthEstimate(bps) })
	})
	p.sub.SCTP().Transport().ICETransport().OnSelectedCandidatePairChange(func(pair *webrtc.ICECandidatePair) {
		p.fast.mu.Lock()
		p.refreshFastPath(pair)
		p.fast.mu.Unlock()
	})
	p.sub.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			p.startFastPath()
			p.subReady.Store(true)
			for _, d := range p.DownTracks() {
				d.requestKeyframe()
			}
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			p.subReady.Store(false)
		}
		p.events.post(func() { p.h.OnConnectionStateChange(TargetSubscriber, connectionStateOf(s)) })
	})
	return p, nil
}

// peerConfig is both connections' configuration.
var peerConfig = webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle, RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire}

// publisher returns the publisher connection, made on first use. The
// caller holds pubMu.
func (p *Peer) publisher() (*webrtc.PeerConnection, error) {
	if pc := p.pub.Load(); pc != nil {
		return pc, nil
	}
	pc, err := p.e.pubAPI.NewPeerConnection(peerConfig)
	if err != nil {
		return nil, fmt.Errorf("sfu: publisher connection: %w", err)
	}
	pc.OnTrack(p.onTrack)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		p.events.post(func() { p.h.OnConnectionStateChange(TargetPublisher, connectionStateOf(s)) })
	})
	// Stored under mu, so that Close, which sets closed under mu and then
	// closes what is stored, cannot miss it.
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.pub.Store(pc)
	}
	p.mu.Unlock()
	if closed {
		_ = pc.Close()
		return nil, ErrClosed
	}
	return pc, nil
}

// ID returns the peer's id.
func (p *Peer) ID() PeerID { return p.id }

// SetStreamType declares the stream type of the client's track with the
// given MediaStreamTrack id (the msid appdata of its offer), overriding the
// naming rules of doc.go. Call it before HandlePublisherOffer.
func (p *Peer) SetStreamType(trackID string, st trtc.StreamType) {
	p.mu.Lock()
	p.hints[trackID] = st
	p.mu.Unlock()
}

// HandlePublisherOffer applies the client's offer to the publisher
// connection and returns the answer. The answer carries the server's ICE
// candidates; the client trickles its own with AddICECandidate. A new offer
// on a connected session renegotiates it (adding or removing tracks, or an
// ICE restart).
func (p *Peer) HandlePublisherOffer(ctx context.Context, sdp string) (string, error) {
	if p.isClosed() {
		return "", ErrClosed
	}
	p.pubMu.Lock()
	defer p.pubMu.Unlock()
	offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}
	parsed, err := offer.Unmarshal()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	if !offersSupportedCodec(parsed) {
		return "", ErrNoSupportedCodec
	}
	pc, err := p.publisher()
	if err != nil {
		return "", err
	}
	if err := pc.SetRemoteDescription(offer); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	p.flushCandidates(TargetPublisher, pc)
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return pc.LocalDescription().SDP, nil
}

// offersSupportedCodec reports whether an offer with audio or video
// sections has at least one codec the engine forwards in one of them. It is
// checked before the offer touches the connection, so a refused offer
// changes nothing.
func offersSupportedCodec(d *sdp.SessionDescription) bool {
	media := false
	for _, m := range d.MediaDescriptions {
		kind := m.MediaName.Media
		if kind != "audio" && kind != "video" {
			continue
		}
		media = true
		for _, a := range m.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			_, enc, ok := strings.Cut(a.Value, " ")
			if !ok {
				continue
			}
			name, _, _ := strings.Cut(enc, "/")
			if supportedCodec(kind, name) {
				return true
			}
		}
	}
	return !media
}

func supportedCodec(kind, name string) bool {
	if kind == "audio" {
		return strings.EqualFold(name, "opus")
	}
	for _, c := range videoCodecs {
		if _, n, _ := strings.Cut(c.mime, "/"); strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// HandleSubscriberAnswer applies the client's answer to the outstanding
// subscriber offer. If changes queued up meanwhile, the next offer follows
// through Handler.OnSubscriberOffer.
func (p *Peer) HandleSubscriberAnswer(sdp string) error {
	if p.isClosed() {
		return ErrClosed
	}
	answer := webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}
	if _, err := answer.Unmarshal(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	p.negMu.Lock()
	defer p.negMu.Unlock()
	if !p.outstanding {
		return ErrUnexpectedAnswer
	}
	if err := p.sub.SetRemoteDescription(answer); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	p.outstanding = false
	p.answered(p.offers)
	p.flushCandidates(TargetSubscriber, p.sub)
	if p.again {
		p.again = false
		p.offerLocked()
	}
	return nil
}

// RestartICE renegotiates the subscriber connection with new ICE
// credentials (https://www.w3.org/TR/webrtc/#dom-rtcpeerconnection-restartice).
// The publisher connection restarts when the client offers so.
func (p *Peer) RestartICE() {
	p.negotiate(true)
}

// negotiate sends a subscriber offer now, or after the outstanding one is
// answered.
func (p *Peer) negotiate(restart bool) {
	p.negMu.Lock()
	defer p.negMu.Unlock()
	if p.isClosed() || p.isAnswering() {
		return // closed, or the client offers (whep.go)
	}
	if restart {
		p.iceRestart = true
	}
	if p.outstanding {
		p.again = true
		return
	}
	p.offerLocked()
}

func (p *Peer) offerLocked() {
	p.offers++
	offer, err := p.sub.CreateOffer(&webrtc.OfferOptions{ICERestart: p.iceRestart})
	if err != nil {
		p.log.Warn("subscriber offer failed", "err", err)
		return
	}
	p.iceRestart = false
	gathered := webrtc.GatheringCompletePromise(p.sub)
	if err := p.sub.SetLocalDescription(offer); err != nil {
		p.log.Warn("subscriber offer failed", "err", err)
		return
	}
	t := time.NewTimer(gatherTimeout)
	defer t.Stop()
	select {
	case <-gathered:
	case <-t.C:
		p.log.Warn("subscriber candidate gathering timed out")
	}
	p.outstanding = true
	// Candidates the client trickles with its answer (new credentials after
	// an ICE restart) wait for that answer.
	p.mu.Lock()
	p.remoteSet[TargetSubscriber] = false
	p.mu.Unlock()
	sdp := p.sub.LocalDescription().SDP
	p.log.Debug("subscriber offer", "transceivers", len(p.sub.GetTransceivers()))
	p.events.post(func() { p.h.OnSubscriberOffer(sdp) })
}

// AddICECandidate adds a candidate trickled by the client for one of its
// connections. Candidates that arrive before the matching description are
// held until it is applied.
func (p *Peer) AddICECandidate(target Target, c Candidate) error {
	if target != TargetPublisher && target != TargetSubscriber {
		return fmt.Errorf("%w: %v", ErrUnknownTarget, target)
	}
	init := webrtc.ICECandidateInit{
		Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment,
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if !p.remoteSet[target] {
		p.candidates[target] = append(p.candidates[target], init)
		p.mu.Unlock()
		return nil
	}
	p.mu.Unlock()
	// A remote description is set, so the connection exists.
	pc := p.sub
	if target == TargetPublisher {
		pc = p.pub.Load()
	}
	if err := pc.AddICECandidate(init); err != nil {
		return fmt.Errorf("sfu: add candidate: %w", err)
	}
	return nil
}

func (p *Peer) flushCandidates(target Target, pc *webrtc.PeerConnection) {
	p.mu.Lock()
	p.remoteSet[target] = true
	pending := p.candidates[target]
	p.candidates[target] = nil
	p.mu.Unlock()
	for _, c := range pending {
		if err := pc.AddICECandidate(c); err != nil {
			p.log.Debug("held candidate rejected", "target", target.String(), "err", err)
		}
	}
}

// onTrack runs when the publisher connection receives a new RTP stream.
func (p *Peer) onTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		p.runTrack(remote, recv, nil)
	}()
}

// runTrack registers a publisher stream and forwards it until it ends. It
// reads the first packet before registering: for simulcast streams Pion
// learns the codec from it.
func (p *Peer) runTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver, ext *external) {
	buf := make([]byte, maxPacketSize)
	n, _, err := remote.Read(buf)
	if err != nil {
		return
	}
	kind := kindOf(remote.Kind())
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	st := classify(kind, remote.ID(), remote.RID(), p.hints)
	var writeRTCP func([]rtcp.Packet) error
	pub := p.pub.Load()
	if ext != nil { // a relayed stream: its link says what it is (remote.go)
		st, writeRTCP = ext.streamType, ext.writeRTCP
	} else {
		writeRTCP = pub.WriteRTCP
	}
	source := sourceOf(kind, st)
	t := p.published[source]
	if t == nil || t.Ended() {
		trackST := trtc.StreamBig
		if st == trtc.StreamSub {
			trackST = trtc.StreamSub
		}
		t = newPublishedTrack(p, source, kind, trackST, remote.Codec())
		p.published[source] = t
	}
	cacheSize := p.e.cfg.PacketCacheSize
	if kind == KindAudio {
		cacheSize = max(64, cacheSize/8)
	}
	l := &layer{
		track: t, idx: layerIndex(st), streamType: st, remote: remote, ssrc: uint32(remote.SSRC()),
		cache: newPacketCache(cacheSize), clock: p.e.cfg.Clock, pliInterval: p.e.cfg.KeyframeInterval,
		writeRTCP: writeRTCP,
	}
	if ext == nil { // a relay connection's generator is not known here
		l.nacks = p.e.nacks.Generator(pub.ID())
	}
	l.stats.level.Store(noLevel)
	for _, h := range recv.GetParameters().HeaderExtensions {
		if h.URI == audioLevelURI {
			l.audioLevelID = uint8(h.ID)
		}
	}
	ok := matchCodecExact(t.codec, remote.Codec()) && t.addLayer(l)
	p.mu.Unlock()

	if !ok {
		p.log.Warn("ignoring duplicate or mismatched layer", "track", string(t.id), "layer", st.String(), "rid", remote.RID())
		drain(remote)
		return
	}
	p.log.Debug("track published", "track", string(t.id), "layer", st.String(), "codec", t.codec.MimeType)
	p.events.post(func() { p.h.OnTrackPublished(t, st) })
	l.run(buf, n)
	if t.removeLayer(l) {
		p.mu.Lock()
		if p.published[source] == t {
			delete(p.published, source)
		}
		p.mu.Unlock()
	}
	p.events.post(func() { p.h.OnTrackUnpublished(t, st) })
}

func matchCodecExact(a, b webrtc.RTPCodecParameters) bool {
	return a.MimeType == b.MimeType && a.ClockRate == b.ClockRate && a.SDPFmtpLine == b.SDPFmtpLine
}

// drain reads and discards a stream the SFU does not forward, so that
// Pion's interceptors keep producing RTCP for it.
func drain(remote *webrtc.TrackRemote) {
	buf := make([]byte, maxPacketSize)
	for {
		if _, _, err := remote.Read(buf); err != nil && !errors.Is(err, io.ErrShortBuffer) {
			return
		}
	}
}

// PublishedTracks returns the tracks this peer is publishing.
func (p *Peer) PublishedTracks() []*PublishedTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*PublishedTrack, 0, len(p.published))
	for _, t := range p.published {
		out = append(out, t)
	}
	return out
}

// DownTracks returns the tracks this peer is receiving.
func (p *Peer) DownTracks() []*DownTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*DownTrack, 0, len(p.downs))
	for _, d := range p.downs {
		out = append(out, d)
	}
	return out
}

// Subscribe starts forwarding t to this peer and renegotiates the
// subscriber connection. Media flows once the client has answered and the
// first keyframe of the chosen layer has arrived (it is requested).
func (p *Peer) Subscribe(t *PublishedTrack, opts SubscribeOptions) (*DownTrack, error) {
	if t.peer == p {
		return nil, ErrSelfSubscribe
	}
	if t.Ended() {
		return nil, ErrTrackGone
	}
	if p.isAnswering() {
		return p.subscribeSlot(t, opts)
	}
	// No offer is made or answered while a transceiver changes hands.
	p.negMu.Lock()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.negMu.Unlock()
		return nil, ErrClosed
	}
	d := newDownTrack(p, t, opts)
	if _, dup := p.downs[d.id]; dup {
		p.mu.Unlock()
		p.negMu.Unlock()
		return nil, ErrAlreadySubscribed
	}
	tr, err := p.attachLocked(d)
	if err != nil {
		p.mu.Unlock()
		p.negMu.Unlock()
		return nil, fmt.Errorf("sfu: add track: %w", err)
	}
	d.transceiver = tr
	// Take the sender now: a concurrent Close (the track ending, the
	// subscriber leaving) may detach it from the transceiver before the
	// goroutine starts, and a later track may reuse the transceiver.
	d.sender = tr.Sender()
	p.downs[d.id] = d
	sender := d.sender
	p.wg.Add(1)
	p.mu.Unlock()
	p.negMu.Unlock()
	go func() {
		defer p.wg.Done()
		d.rtcpLoop(sender)
	}()
	if err := t.addSubscriber(d); err != nil {
		d.Close()
		return nil, err
	}
	p.negotiate(false)
	return d, nil
}

// removeDownTrack detaches a closed DownTrack from the subscriber connection.
func (p *Peer) removeDownTrack(d *DownTrack) {
	var closed bool
	p.e.retire(d, func() {
		p.mu.Lock()
		if p.downs[d.id] == d {
			delete(p.downs, d.id)
		}
		closed = p.closed
		p.mu.Unlock()
	})
	if d.slot != nil {
		d.slot.detach(d) // a fixed sender: nothing to renegotiate
		return
	}
	if closed {
		return
	}
	if d.sender != nil {
		if err := p.sub.RemoveTrack(d.sender); err != nil {
			p.log.Debug("remove track", "track", string(d.track.id), "err", err)
		} else {
			p.release(d.transceiver)
		}
	}
	p.negotiate(false)
}

// BandwidthEstimate returns the subscriber connection's current estimate in
// bits per second.
func (p *Peer) BandwidthEstimate() int { return p.bwe.value() }

// SendQueueDrops returns how many packets were dropped because this peer's
// send queue was full.
func (p *Peer) SendQueueDrops() uint64 { return p.send.q.drops.Load() }

func (p *Peer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Close ends both connections, stops forwarding this peer's tracks to
// others (their DownTracks close and their connections renegotiate) and
// waits for the peer's goroutines. No Handler call starts after Close
// returns. It is idempotent and may be called from a Handler.
func (p *Peer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	downs := make([]*DownTrack, 0, len(p.downs))
	for _, d := range p.downs {
		downs = append(downs, d)
	}
	p.mu.Unlock()
	p.events.close()
	for _, d := range downs {
		d.Close()
	}
	err := p.sub.Close()
	if pub := p.pub.Load(); pub != nil { // none is made after closed is set
		err = errors.Join(pub.Close(), err)
	}
	p.wg.Wait()
	p.send.close()
	p.e.forget(p)
	return err
}
