package sfu

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// historySize is how many sent packets a DownTrack remembers for NACKs; it
// matches the default packet cache.
const historySize = 2048

// SubscribeOptions configure a new DownTrack.
type SubscribeOptions struct {
	// Layer is the video layer to start with: StreamBig (the zero value) or
	// StreamSmall. It is ignored for audio and screen share.
	Layer trtc.StreamType
	// Muted starts the DownTrack without forwarding media.
	Muted bool
	// Label, when set, is appended to the track id the subscriber sees
	// ("<track id>#<label>") and lets one Peer subscribe to the same track
	// more than once: a server-to-server relay link pulls the big and the
	// small layer of a video track as two streams.
	Label string
}

// DownTrack forwards one PublishedTrack to one subscriber. It rewrites SSRC,
// payload type, sequence numbers and timestamps so that the subscriber sees
// one continuous track across layer switches, answers the subscriber's NACKs
// from the publisher's packet cache (with RTX when negotiated) and passes its
// keyframe requests to the publisher. Its methods are safe for concurrent
// use.
//
// DownTrack implements webrtc.TrackLocal; that is how it is attached to the
// subscriber PeerConnection and not part of its API.
type DownTrack struct {
	id    TrackID // the track's id, with SubscribeOptions.Label
	track *PublishedTrack
	peer  *Peer
	kind  webrtc.RTPCodecType
	ck    codecKind
	codec webrtc.RTPCodecParameters
	clock Clock

	transceiver *webrtc.RTPTransceiver // set before the first negotiation
	sender      *webrtc.RTPSender      // this track's, set with transceiver (a reused transceiver gets a new one)
	rtcpDone    chan struct{}

	binding atomic.Pointer[binding]
	want    atomic.Int32 // layer asked for by SetLayer
	target  atomic.Int32 // want, resolved to a layer that is arriving
	current atomic.Int32 // layer being forwarded, layerNone before a keyframe
	muted   atomic.Bool
	restart atomic.Bool // set when the send loop must wait for a keyframe again
	closed  atomic.Bool
	once    sync.Once

	// slot is the fixed sender the DownTrack feeds when the subscriber
	// connection answered the client's offer (whep.go); nil otherwise.
	slot *slot

	// Owned by the subscriber's send loop. m is the DownTrack's own munger,
	// or its slot's, shared by the tracks that feed the slot in turn so that
	// the subscriber sees one continuous stream across them.
	cur    int32
	m      *munger
	hist   history
	hdr    rtp.Header
	exts   [4]rtp.Extension
	abs    [3]byte
	rtxSeq uint16

	sr    srState // senderreport.go
	stats downCounters
}

// binding is what negotiation decided for the DownTrack.
type binding struct {
	writer       webrtc.TrackLocalWriter
	ssrc         uint32
	rtxSSRC      uint32
	pt, rtxPT    uint8
	audioLevelID uint8
	absSendID    uint8
}

func newDownTrack(p *Peer, t *PublishedTrack, opts SubscribeOptions) *DownTrack {
	kind := webrtc.RTPCodecTypeAudio
	if t.kind == KindVideo {
		kind = webrtc.RTPCodecTypeVideo
	}
	id := t.id
	if opts.Label != "" {
		id += TrackID("#" + opts.Label)
	}
	d := &DownTrack{
		id: id, track: t, peer: p, kind: kind, ck: t.ck, codec: t.codec, clock: p.e.cfg.Clock,
		rtcpDone: make(chan struct{}),
		hist:     newHistory(historySize),
		cur:      layerNone,
		m:        &munger{clockRate: t.codec.ClockRate},
	}
	d.current.Store(layerNone)
	d.want.Store(layerIndex(opts.Layer))
	d.target.Store(t.resolve(layerIndex(opts.Layer)))
	d.muted.Store(opts.Muted)
	return d
}

// ID returns the id of the forwarded track.
func (d *DownTrack) ID() string { return string(d.id) }

// RID is empty: a DownTrack sends one stream.
func (d *DownTrack) RID() string { return "" }

// StreamID returns the publisher's peer id, so the subscriber groups a
// publisher's tracks into one MediaStream.
func (d *DownTrack) StreamID() string { return string(d.track.peer.id) }

// Kind returns the media kind.
func (d *DownTrack) Kind() webrtc.RTPCodecType { return d.kind }

// Track returns the published track being forwarded.
func (d *DownTrack) Track() *PublishedTrack { return d.track }

// Subscriber returns the id of the subscribing Peer.
func (d *DownTrack) Subscriber() PeerID { return d.peer.id }

// Bind is called by Pion when the subscriber connection negotiates the
// track; it picks the publisher's codec among the negotiated ones.
func (d *DownTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	codecs := ctx.CodecParameters()
	chosen, ok := matchCodec(d.codec, codecs)
	if !ok {
		return webrtc.RTPCodecParameters{}, fmt.Errorf("%w: %s", ErrCodecMismatch, d.codec.MimeType)
	}
	b := &binding{writer: ctx.WriteStream(), ssrc: uint32(ctx.SSRC()), pt: uint8(chosen.PayloadType)}
	if rtx := uint32(ctx.SSRCRetransmission()); rtx != 0 {
		apt := fmt.Sprintf("apt=%d", chosen.PayloadType)
		for _, c := range codecs {
			if strings.EqualFold(c.MimeType, webrtc.MimeTypeRTX) && c.SDPFmtpLine == apt {
				b.rtxSSRC, b.rtxPT = rtx, uint8(c.PayloadType)
				break
			}
		}
	}
	for _, h := range ctx.HeaderExtensions() {
		switch h.URI {
		case audioLevelURI:
			b.audioLevelID = uint8(h.ID)
		case absSendTimeURI:
			b.absSendID = uint8(h.ID)
		}
	}
	d.binding.Store(b)
	d.restart.Store(true)
	d.requestKeyframe()
	return chosen, nil
}

// Unbind is called by Pion when the track leaves the connection.
func (d *DownTrack) Unbind(webrtc.TrackLocalContext) error {
	d.binding.Store(nil)
	return nil
}

// matchCodec finds want among the negotiated codecs: same MIME type and, for
// codecs with parameters (H.264 profiles), the same fmtp line when there is
// one.
func matchCodec(want webrtc.RTPCodecParameters, have []webrtc.RTPCodecParameters) (webrtc.RTPCodecParameters, bool) {
	var fallback *webrtc.RTPCodecParameters
	for i := range have {
		c := &have[i]
		if !strings.EqualFold(c.MimeType, want.MimeType) {
			continue
		}
		if c.SDPFmtpLine == want.SDPFmtpLine {
			return *c, true
		}
		if fallback == nil {
			fallback = c
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	return webrtc.RTPCodecParameters{}, false
}

// SetLayer selects the video layer to receive: StreamBig or StreamSmall. The
// switch happens at the next keyframe of the new layer, which is requested
// from the publisher; until then the old layer keeps flowing. If the layer is
// not being published the other one is used, and the DownTrack moves when it
// appears.
func (d *DownTrack) SetLayer(st trtc.StreamType) error {
	if st != trtc.StreamBig && st != trtc.StreamSmall {
		return fmt.Errorf("%w: %v", ErrInvalidLayer, st)
	}
	if d.closed.Load() {
		return ErrClosed
	}
	d.want.Store(layerIndex(st))
	d.retarget()
	return nil
}

// Layer returns the layer asked for with SetLayer.
func (d *DownTrack) Layer() trtc.StreamType {
	if d.want.Load() == layerSmall {
		return trtc.StreamSmall
	}
	return trtc.StreamBig
}

// retarget re-resolves the wanted layer after SetLayer or a publisher layer
// change and asks for a keyframe where the DownTrack is heading.
func (d *DownTrack) retarget() {
	t := d.track.resolve(d.want.Load())
	d.target.Store(t)
	if d.current.Load() != t {
		if l := d.track.layers[t].Load(); l != nil {
			l.requestKeyframe()
		}
	}
}

// Mute stops (true) or resumes (false) forwarding. Resuming waits for a
// keyframe, which is requested.
func (d *DownTrack) Mute(mute bool) {
	if d.muted.Swap(mute) == mute || mute {
		return
	}
	d.restart.Store(true)
	d.requestKeyframe()
}

// Muted reports whether forwarding is stopped.
func (d *DownTrack) Muted() bool { return d.muted.Load() }

// Close stops forwarding and removes the track from the subscriber
// connection, which is renegotiated. It is idempotent.
func (d *DownTrack) Close() error {
	d.once.Do(func() {
		d.closed.Store(true)
		d.track.removeSubscriber(d)
		d.peer.removeDownTrack(d)
	})
	return nil
}

// Stats returns a snapshot of the DownTrack's statistics.
func (d *DownTrack) Stats() DownTrackStats {
	cur := d.current.Load()
	s := DownTrackStats{
		Track: d.track.id, Subscriber: d.peer.id,
		Layer: streamTypeOf(d.track, cur), Target: streamTypeOf(d.track, d.target.Load()),
		Forwarding: cur != layerNone, Muted: d.muted.Load(),
		Packets: d.stats.packets.Load(), Bytes: d.stats.bytes.Load(),
		Frames: d.stats.frames.Load(), Keyframes: d.stats.keyframes.Load(),
		NACKs: d.stats.nacks.Load(), Retransmits: d.stats.retransmits.Load(),
		NACKMisses: d.stats.nackMisses.Load(), PLIs: d.stats.plis.Load(), NACKThrottled: d.stats.nackThrottled.Load(),
		LayerSwitches: d.stats.switches.Load(), QueueDrops: d.stats.queueDrops.Load(),
		CacheMisses: d.stats.cacheMisses.Load(), WriteErrors: d.stats.wrErrs.Load(),
		FastPathPackets: d.stats.fastPath.Load(),
		FractionLost:    float64(d.stats.fractionLost.Load()) / 256,
		TotalLost:       d.stats.totalLost.Load(),
		RTT:             time.Duration(d.stats.rtt.Load()),
	}
	if cr := d.codec.ClockRate; cr > 0 {
		s.Jitter = time.Duration(uint64(d.stats.jitter.Load()) * uint64(time.Second) / uint64(cr))
	}
	return s
}

func streamTypeOf(t *PublishedTrack, idx int32) trtc.StreamType {
	if t.streamType == trtc.StreamSub {
		return trtc.StreamSub
	}
	if idx == layerSmall {
		return trtc.StreamSmall
	}
	return trtc.StreamBig
}

func (d *DownTrack) requestKeyframe() {
	idx := d.current.Load()
	if idx == layerNone {
		idx = d.target.Load()
	}
	if l := d.track.layers[idx].Load(); l != nil {
		l.requestKeyframe()
	}
}

// offer is called by a publisher layer's reader for every packet: a few
// atomic loads decide whether the packet goes into the send queue.
func (d *DownTrack) offer(l *layer, seq uint16) {
	if d.muted.Load() {
		return
	}
	if l.idx != d.current.Load() && l.idx != d.target.Load() {
		return
	}
	d.peer.send.q.push(sendItem{dt: d, layer: l, seq: seq})
}

// forward runs on the send loop: it fetches the packet from the cache,
// switches layers at keyframes, rewrites the header and writes it.
func (d *DownTrack) forward(s *sendWorker, l *layer, seq uint16) {
	b := d.binding.Load()
	if b == nil || d.closed.Load() || !d.peer.subReady.Load() {
		return
	}
	n, arrived, ok := l.cache.getAt(seq, s.buf[:])
	if !ok {
		d.stats.cacheMisses.Add(1)
		return
	}
	v := &s.view
	if parseRTP(s.buf[:n], v) != nil {
		return
	}
	if d.restart.Swap(false) {
		d.cur = layerNone
		d.current.Store(layerNone)
	}
	now := d.clock.Now()
	keyframe := false
	if l.idx != d.cur {
		if l.idx != d.target.Load() {
			return
		}
		if keyframe = isKeyframeStart(d.ck, v.payload); !keyframe {
			return
		}
		if d.cur != layerNone {
			d.stats.switches.Add(1)
		}
		d.m.switchTo(v.seq, v.ts, now)
		d.cur = l.idx
		d.current.Store(l.idx)
	} else if d.ck != codecOther {
		keyframe = isKeyframeStart(d.ck, v.payload)
	}
	outSeq, outTS, ok := d.m.rewrite(v.seq, v.ts, len(v.payload) == 0, now)
	if !ok {
		return
	}
	d.hist.put(histEntry{layer: int8(l.idx), outSeq: outSeq, srcSeq: v.seq, tsOffset: outTS - v.ts})
	d.buildHeader(b, l, v, now)
	d.hdr.PayloadType, d.hdr.SequenceNumber, d.hdr.Timestamp, d.hdr.SSRC = b.pt, outSeq, outTS, b.ssrc
	if err := d.writeRTP(s, b, v.payload); err != nil {
		d.stats.wrErrs.Add(1)
		return
	}
	d.sr.note(outTS, len(v.payload), now)
	d.peer.e.transit.observe(time.Duration(now.UnixNano() - arrived))
	d.stats.packets.Add(1)
	d.stats.bytes.Add(uint64(len(v.payload)))
	if d.ck != codecOther {
		if v.marker {
			d.stats.frames.Add(1)
		}
		s.midFrame = !v.marker
	}
	if keyframe && d.ck != codecOther {
		d.stats.keyframes.Add(1)
	}
}

// buildHeader fills d.hdr's marker and extensions. Extensions are rebuilt
// for the subscriber's negotiated ids: the audio level is copied from the
// publisher, abs-send-time is stamped now.
func (d *DownTrack) buildHeader(b *binding, l *layer, v *rtpView, now time.Time) {
	d.hdr = rtp.Header{Version: 2, Marker: v.marker, Extensions: d.exts[:0]}
	if b.audioLevelID != 0 && l.audioLevelID != 0 {
		if al := v.extension(l.audioLevelID); len(al) == 1 {
			_ = d.hdr.SetExtension(b.audioLevelID, al)
		}
	}
	if b.absSendID != 0 {
		putAbsSendTime(d.abs[:], now)
		_ = d.hdr.SetExtension(b.absSendID, d.abs[:])
	}
}

// putAbsSendTime writes the 6.18 fixed-point seconds of abs-send-time
// (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time).
func putAbsSendTime(b []byte, t time.Time) {
	ns := uint64(t.UnixNano())
	sec := ns / uint64(time.Second) % 64
	frac := (ns % uint64(time.Second)) << 18 / uint64(time.Second)
	v := sec<<18 | frac
	b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v)
}

// Retransmission throttle. A subscriber NACKs a missing packet again and
// again until it arrives (the Go SDK every 25 ms); on a congested path
// answering every NACK multiplies the traffic that congested it (seen under
// a 500 kbit/s cap: forty retransmissions queued per lost packet, seconds
// of delay). So one packet is resent at most maxResends times, and not
// again within a round trip (at least minResendGap) of its last resend,
// when the previous copy cannot have been missed yet.
const (
	maxResends   = 16
	minResendGap = 20 * time.Millisecond
)

// retransmit answers one NACKed sequence number from the packet cache, as
// RTX (RFC 4588 §4) when negotiated.
func (d *DownTrack) retransmit(s *sendWorker, outSeq uint16) {
	b := d.binding.Load()
	if b == nil || d.closed.Load() {
		return
	}
	e, ok := d.hist.get(outSeq)
	var l *layer
	if ok {
		l = d.track.layers[e.layer].Load()
	}
	if l == nil {
		d.stats.nackMisses.Add(1)
		return
	}
	now := d.clock.Now().UnixNano()
	if e.resent > 0 {
		gap := max(time.Duration(d.stats.rtt.Load()), minResendGap)
		if e.resent >= maxResends || time.Duration(now-e.resentAt) < gap {
			d.stats.nackThrottled.Add(1)
			return
		}
	}
	n, ok := l.cache.get(e.srcSeq, s.buf[:])
	v := &s.view
	if !ok || parseRTP(s.buf[:n], v) != nil {
		d.stats.nackMisses.Add(1)
		return
	}
	d.buildHeader(b, l, v, d.clock.Now())
	d.hdr.Timestamp = v.ts + e.tsOffset
	payload := v.payload
	if b.rtxSSRC != 0 {
		binary.BigEndian.PutUint16(s.rtx[:2], outSeq)
		k := copy(s.rtx[2:], v.payload)
		payload = s.rtx[:2+k]
		d.hdr.PayloadType, d.hdr.SequenceNumber, d.hdr.SSRC = b.rtxPT, d.rtxSeq, b.rtxSSRC
		d.rtxSeq++
	} else {
		d.hdr.PayloadType, d.hdr.SequenceNumber, d.hdr.SSRC = b.pt, outSeq, b.ssrc
	}
	if err := d.writeRTP(s, b, payload); err != nil {
		d.stats.wrErrs.Add(1)
		return
	}
	if b.rtxSSRC == 0 {
		d.sr.noteResent(len(payload))
	}
	d.hist.noteResent(outSeq, now)
	d.stats.retransmits.Add(1)
}

// rtcpLoop reads the subscriber's RTCP for this track until the sender
// stops.
func (d *DownTrack) rtcpLoop(snd *webrtc.RTPSender) {
	defer close(d.rtcpDone)
	if snd == nil { // detached before the loop started
		return
	}
	buf := make([]byte, 1500)
	for {
		n, _, err := snd.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		d.handleRTCP(pkts)
	}
}

func (d *DownTrack) handleRTCP(pkts []rtcp.Packet) {
	b := d.binding.Load()
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.TransportLayerNack:
			for _, pair := range p.Nacks {
				pair.Range(func(seq uint16) bool {
					d.stats.nacks.Add(1)
					d.peer.send.q.push(sendItem{dt: d, seq: seq})
					return true
				})
			}
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			d.stats.plis.Add(1)
			d.requestKeyframe()
		case *rtcp.ReceiverReport:
			for _, r := range p.Reports {
				if b != nil && r.SSRC == b.ssrc {
					d.onReceptionReport(r)
				}
			}
		case *rtcp.ReceiverEstimatedMaximumBitrate:
			d.peer.bwe.onREMB(uint64(p.Bitrate))
		}
	}
}

func (d *DownTrack) onReceptionReport(r rtcp.ReceptionReport) {
	d.stats.fractionLost.Store(uint32(r.FractionLost))
	d.stats.totalLost.Store(r.TotalLost)
	d.stats.jitter.Store(r.Jitter)
	if r.LastSenderReport != 0 {
		now := ntpCompact(d.clock.Now())
		if rtt := now - r.LastSenderReport - r.Delay; rtt < 1<<31 {
			d.stats.rtt.Store(int64(uint64(rtt) * uint64(time.Second) >> 16))
		}
	}
	d.peer.bwe.onLoss(r.FractionLost)
}

// ntpCompact returns the middle 32 bits of the NTP timestamp of t
// (RFC 3550 §4), the unit of LSR and DLSR.
func ntpCompact(t time.Time) uint32 {
	const ntpEpochOffset = 2208988800
	sec := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return uint32(sec<<16 | frac>>16)
}
