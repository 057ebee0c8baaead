package sfu

import (
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/rtpnack"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Layer indexes of PublishedTrack.layers.
const (
	layerBig   int32 = 0
	layerSmall int32 = 1
	layerNone  int32 = -1
)

func layerIndex(st trtc.StreamType) int32 {
	if st == trtc.StreamSmall {
		return layerSmall
	}
	return layerBig
}

// PublishedTrack is one media source of a publisher: its audio, its main
// video (a big layer and optionally a small one, sent as simulcast or as two
// tracks) or its screen share. Subscribers receive it through DownTracks.
// Its methods are safe for concurrent use.
type PublishedTrack struct {
	id         TrackID
	peer       *Peer
	kind       Kind
	streamType trtc.StreamType // StreamBig (main video, audio) or StreamSub
	codec      webrtc.RTPCodecParameters
	ck         codecKind

	layers [2]atomic.Pointer[layer]
	// subs is replaced, never modified, so readers iterate it without a lock.
	subs atomic.Pointer[[]*DownTrack]
	// taps are in-process consumers (tap.go), replaced like subs.
	taps atomic.Pointer[[]*tapEntry]
	// tapping is held for reading while packets are handed to taps; a
	// removal waits for it, so a removed tap gets nothing more (tap.go).
	tapping sync.RWMutex

	mu    sync.Mutex // serializes writers of layers and subs
	ended bool
}

func newPublishedTrack(p *Peer, source string, kind Kind, st trtc.StreamType, codec webrtc.RTPCodecParameters) *PublishedTrack {
	t := &PublishedTrack{
		id: TrackID(string(p.id) + "/" + source), peer: p, kind: kind, streamType: st,
		codec: codec, ck: codecKindOf(codec.MimeType),
	}
	t.subs.Store(&[]*DownTrack{})
	return t
}

// ID returns the track's id.
func (t *PublishedTrack) ID() TrackID { return t.id }

// Publisher returns the id of the publishing Peer.
func (t *PublishedTrack) Publisher() PeerID { return t.peer.id }

// Kind returns audio or video.
func (t *PublishedTrack) Kind() Kind { return t.kind }

// StreamType returns StreamSub for screen share and StreamBig otherwise
// (audio, and main video whatever its layers).
func (t *PublishedTrack) StreamType() trtc.StreamType { return t.streamType }

// Codec returns the codec the publisher sends.
func (t *PublishedTrack) Codec() Codec { return codecOf(t.codec) }

// Layers returns the layers currently arriving, big before small.
func (t *PublishedTrack) Layers() []trtc.StreamType {
	var out []trtc.StreamType
	for i := range t.layers {
		if l := t.layers[i].Load(); l != nil {
			out = append(out, l.streamType)
		}
	}
	return out
}

// Ended reports whether every layer has stopped.
func (t *PublishedTrack) Ended() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ended
}

// Stats returns the receive statistics of each active layer.
func (t *PublishedTrack) Stats() []TrackStats {
	var out []TrackStats
	for i := range t.layers {
		if l := t.layers[i].Load(); l != nil {
			out = append(out, l.statsSnapshot())
		}
	}
	return out
}

// AudioLevel returns the loudest audio level the publisher reported (RFC
// 6464 header extension) since the previous call, as TRTC's 0–100 volume,
// and false when no level arrived meanwhile. The room layer polls it for
// OnUserVoiceVolume.
func (t *PublishedTrack) AudioLevel() (volume int, ok bool) {
	l := t.layers[layerBig].Load()
	if l == nil {
		return 0, false
	}
	dbov := l.stats.level.Swap(noLevel)
	if dbov == noLevel {
		return 0, false
	}
	return int(127-dbov) * 100 / 127, true
}

// RequestKeyframe asks the publisher for a keyframe on every layer, subject
// to the keyframe rate limit.
func (t *PublishedTrack) RequestKeyframe() {
	for i := range t.layers {
		if l := t.layers[i].Load(); l != nil {
			l.requestKeyframe()
		}
	}
}

// resolve maps a requested layer to one that is arriving: the requested one
// if present, else the other.
func (t *PublishedTrack) resolve(want int32) int32 {
	if t.layers[want].Load() != nil {
		return want
	}
	if t.layers[1-want].Load() != nil {
		return 1 - want
	}
	return want
}

// addLayer installs l unless its slot is taken or the track has ended.
func (t *PublishedTrack) addLayer(l *layer) bool {
	t.mu.Lock()
	if t.ended || t.layers[l.idx].Load() != nil {
		t.mu.Unlock()
		return false
	}
	t.layers[l.idx].Store(l)
	subs := *t.subs.Load()
	t.mu.Unlock()
	for _, d := range subs {
		d.retarget()
	}
	return true
}

// removeLayer uninstalls l and reports whether the track has ended with it.
func (t *PublishedTrack) removeLayer(l *layer) (ended bool) {
	t.mu.Lock()
	if t.layers[l.idx].Load() != l {
		t.mu.Unlock()
		return false
	}
	t.layers[l.idx].Store(nil)
	if t.layers[1-l.idx].Load() == nil {
		t.ended = true
	}
	ended = t.ended
	subs := *t.subs.Load()
	t.mu.Unlock()
	if ended {
		for _, d := range subs {
			d.Close()
		}
		t.endTaps()
	} else {
		for _, d := range subs {
			d.retarget()
		}
	}
	return ended
}

func (t *PublishedTrack) addSubscriber(d *DownTrack) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return ErrTrackGone
	}
	old := *t.subs.Load()
	next := make([]*DownTrack, len(old), len(old)+1)
	copy(next, old)
	next = append(next, d)
	t.subs.Store(&next)
	return nil
}

func (t *PublishedTrack) removeSubscriber(d *DownTrack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.subs.Load()
	i := slices.Index(old, d)
	if i < 0 {
		return
	}
	next := make([]*DownTrack, 0, len(old)-1)
	next = append(next, old[:i]...)
	next = append(next, old[i+1:]...)
	t.subs.Store(&next)
}

// subscribers returns the current DownTracks.
func (t *PublishedTrack) subscribers() []*DownTrack { return *t.subs.Load() }

// layer is one RTP stream of a PublishedTrack: an SSRC of the publisher with
// its reader goroutine and packet cache.
type layer struct {
	track        *PublishedTrack
	idx          int32
	streamType   trtc.StreamType
	remote       *webrtc.TrackRemote
	ssrc         uint32
	cache        *packetCache
	audioLevelID uint8
	clock        Clock
	pliInterval  time.Duration
	writeRTCP    func([]rtcp.Packet) error
	// nacks is the publisher connection's NACK generator, told about RTX
	// repairs so that it stops asking for them (nil for relayed streams).
	nacks *rtpnack.Generator

	lastPLI atomic.Int64
	// pliPending records a request suppressed by the rate limit; the
	// reader sends it when the interval has passed, so the last request
	// of a burst is never lost.
	pliPending atomic.Bool
	stats      layerCounters
}

// run handles the first n bytes of buf, a packet already read, then reads
// the publisher's packets, caches them and hands them to the subscribers'
// send queues. It allocates nothing per packet.
func (l *layer) run(buf []byte, n int) {
	var rs recvState
	rs.clockRate = l.track.codec.ClockRate
	l.handle(buf[:n], &rs)
	for {
		n, attrs, err := l.remote.Read(buf)
		if err != nil {
			if errors.Is(err, io.ErrShortBuffer) {
				continue
			}
			return
		}
		if rtx, ok := rtpnack.RepairOf(attrs); ok && n >= 4 {
			l.nacks.Repaired(l.ssrc, binary.BigEndian.Uint16(buf[2:4]), rtx)
		}
		l.handle(buf[:n], &rs)
	}
}

// handle processes one packet from the publisher.
func (l *layer) handle(pkt []byte, rs *recvState) {
	if len(pkt) < 12 || pkt[0]>>6 != 2 {
		return
	}
	seq := binary.BigEndian.Uint16(pkt[2:4])
	now := l.clock.Now()
	if !l.cache.put(seq, pkt, now.UnixNano()) {
		return
	}
	l.stats.update(rs, pkt, now, l.track.ck)
	if l.pliPending.Load() && now.UnixNano()-l.lastPLI.Load() >= int64(l.pliInterval) {
		l.pliPending.Store(false)
		l.sendKeyframeRequest(now.UnixNano())
	}
	if l.audioLevelID != 0 {
		var v rtpView
		if parseRTP(pkt, &v) == nil {
			if al := v.extension(l.audioLevelID); len(al) == 1 {
				l.stats.noteLevel(al[0] & 0x7f)
			}
		}
	}
	if l.track.ck != codecOther {
		var v rtpView
		if parseRTP(pkt, &v) == nil && isKeyframeStart(l.track.ck, v.payload) {
			l.stats.countKeyframe()
		}
	}
	for _, d := range *l.track.subs.Load() {
		d.offer(l, seq)
	}
	l.track.tapPacket(l, pkt)
}

// requestKeyframe sends a PLI (RFC 4585 §6.3.1) for this layer, or, if one
// was sent less than pliInterval ago, once the interval has passed.
func (l *layer) requestKeyframe() bool {
	if l.track.kind != KindVideo {
		return false
	}
	now := l.clock.Now().UnixNano()
	last := l.lastPLI.Load()
	if last != 0 && now-last < int64(l.pliInterval) {
		l.stats.pliThrottled.Add(1)
		l.pliPending.Store(true)
		return false
	}
	return l.sendKeyframeRequest(now)
}

func (l *layer) sendKeyframeRequest(now int64) bool {
	last := l.lastPLI.Load()
	if !l.lastPLI.CompareAndSwap(last, now) {
		return false
	}
	l.stats.plisSent.Add(1)
	_ = l.writeRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: l.ssrc}})
	return true
}

// classify decides the stream type of a publisher's track: an explicit hint
// by track id wins; then the simulcast RID; then the track id's spelling.
func classify(kind Kind, trackID, rid string, hint map[string]trtc.StreamType) trtc.StreamType {
	if kind != KindVideo {
		return trtc.StreamBig
	}
	if st, ok := hint[trackID]; ok {
		if rid != "" && st == trtc.StreamBig {
			return ridStreamType(rid)
		}
		return st
	}
	if rid != "" {
		return ridStreamType(rid)
	}
	id := strings.ToLower(trackID)
	switch {
	case strings.Contains(id, "small"):
		return trtc.StreamSmall
	case strings.Contains(id, "sub"), strings.Contains(id, "screen"):
		return trtc.StreamSub
	}
	return trtc.StreamBig
}

// ridStreamType maps simulcast RIDs: the low-resolution names browsers and
// SDKs use ("q", "l", "low", "small") are the small stream; anything else
// ("f", "h", "high", "big", …) is big.
func ridStreamType(rid string) trtc.StreamType {
	switch strings.ToLower(rid) {
	case "q", "l", "low", "s", "small":
		return trtc.StreamSmall
	}
	return trtc.StreamBig
}

// sourceOf names the PublishedTrack a layer belongs to.
func sourceOf(kind Kind, st trtc.StreamType) string {
	switch {
	case kind == KindAudio:
		return "audio"
	case st == trtc.StreamSub:
		return "sub"
	}
	return "video"
}
