package sfu

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// marshalWriter stands in for Pion's SRTP write stream: it marshals the
// header and payload into its own buffer, as SRTP does before encrypting.
type marshalWriter struct {
	buf     [maxPacketSize + 64]byte
	packets int
	written atomic.Int64 // packets, readable from other goroutines
}

func (w *marshalWriter) count() int { return int(w.written.Load()) }

func (w *marshalWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	n, err := h.MarshalTo(w.buf[:])
	if err != nil {
		return 0, err
	}
	n += copy(w.buf[n:], payload)
	w.packets++
	w.written.Add(1)
	return n, nil
}

func (w *marshalWriter) Write(b []byte) (int, error) { return len(b), nil }

// fanout is a publisher layer with n subscribers, each on its own Peer and
// send loop, without sockets: the part of the forwarding path we own.
type fanout struct {
	layer   *layer
	rs      recvState
	peers   []*Peer
	writers []*marshalWriter
	pkt     []byte
	seq     uint16
}

func newFanout(tb testing.TB, n int) *fanout {
	tb.Helper()
	e := &Engine{cfg: Config{}.withDefaults()}
	codec := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}
	pt := newPublishedTrack(&Peer{id: "pub", e: e}, "video", KindVideo, trtc.StreamBig, codec)
	l := &layer{
		track: pt, idx: layerBig, streamType: trtc.StreamBig, ssrc: 1, cache: newPacketCache(1024),
		clock: e.cfg.Clock, pliInterval: e.cfg.KeyframeInterval,
		writeRTCP: func([]rtcp.Packet) error { return nil },
	}
	l.stats.level.Store(noLevel)
	pt.layers[0].Store(l)
	f := &fanout{layer: l}
	f.rs.clockRate = 90000
	for i := range n {
		p := &Peer{id: PeerID(fmt.Sprint("sub", i)), e: e, send: newSender(e.cfg.SendQueueSize, nil)}
		p.subReady.Store(true)
		d := newDownTrack(p, pt, SubscribeOptions{})
		w := &marshalWriter{}
		d.binding.Store(&binding{writer: w, ssrc: uint32(1000 + i), pt: 96, rtxSSRC: uint32(2000 + i), rtxPT: 97, absSendID: 3})
		if err := pt.addSubscriber(d); err != nil {
			tb.Fatal(err)
		}
		f.peers = append(f.peers, p)
		f.writers = append(f.writers, w)
	}
	// A 1,100-byte VP8 keyframe packet; later packets become delta frames.
	h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 1, Marker: true}
	payload := make([]byte, 1100)
	payload[0] = 0x10
	f.pkt = marshalRTP(tb, h, payload)
	return f
}

// step publishes one packet and runs every subscriber's send loop.
func (f *fanout) step() {
	binary.BigEndian.PutUint16(f.pkt[2:4], f.seq)
	binary.BigEndian.PutUint32(f.pkt[4:8], uint32(f.seq)*3000)
	if f.seq == 1 {
		f.pkt[13] = 0x01 // delta frames from now on
	}
	f.seq++
	f.layer.handle(f.pkt, &f.rs)
	for _, p := range f.peers {
		p.send.drain()
	}
}

// A running send worker drains every subscriber queue scheduled on it, in
// order, and keeps doing so as packets keep coming; stopping it ends its
// goroutine.
func TestSendWorkerServesEveryQueue(t *testing.T) {
	f := newFanout(t, 20)
	w := newSendWorker(nil)
	go w.run()
	for _, p := range f.peers {
		p.send = newSender(64, w)
	}
	const packets = 300
	for sent := 1; sent <= packets; sent++ {
		binary.BigEndian.PutUint16(f.pkt[2:4], f.seq)
		binary.BigEndian.PutUint32(f.pkt[4:8], uint32(f.seq)*3000)
		if f.seq == 1 {
			f.pkt[13] = 0x01
		}
		f.seq++
		f.layer.handle(f.pkt, &f.rs)
		if sent%32 == 0 || sent == packets {
			waitForwarded(t, f, sent) // stay within the 64-item queues
		}
	}
	w.stop()
}

func waitForwarded(t *testing.T, f *fanout, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for i, wr := range f.writers {
		for wr.count() < want && time.Now().Before(deadline) {
			time.Sleep(100 * time.Microsecond)
		}
		if n := wr.count(); n != want {
			t.Fatalf("subscriber %d got %d packets, want %d (queue drops %d)", i, n, want, f.peers[i].send.q.drops.Load())
		}
	}
}

func TestForwardingPathDoesNotAllocate(t *testing.T) {
	f := newFanout(t, 8)
	f.step() // keyframe: starts every DownTrack
	allocs := testing.AllocsPerRun(1000, f.step)
	if allocs != 0 {
		t.Fatalf("%.1f allocations per packet, want 0", allocs)
	}
	for i, w := range f.writers {
		if w.packets != 1002 { // AllocsPerRun runs f once more to warm up
			t.Fatalf("writer %d wrote %d packets", i, w.packets)
		}
	}
	// NACKs are answered without allocating either.
	d := f.layer.track.subscribers()[0]
	nack := func() {
		d.peer.send.q.push(sendItem{dt: d, seq: f.seq - 10})
		d.peer.send.drain()
	}
	if a := testing.AllocsPerRun(1000, nack); a != 0 {
		t.Fatalf("%.1f allocations per retransmission, want 0", a)
	}
	if d.Stats().Retransmits == 0 {
		t.Fatal("no retransmissions")
	}
}

// BenchmarkForward measures one publisher packet fanned out to N
// subscribers: cache, queue, rewrite, header build and marshal. Socket
// writes and SRTP are Pion's and excluded; see docs/sfu.md.
func BenchmarkForward(b *testing.B) {
	for _, n := range []int{1, 10, 50, 200} {
		b.Run(fmt.Sprint("subscribers=", n), func(b *testing.B) {
			f := newFanout(b, n)
			f.step()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				f.step()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/forwarded-pkt")
		})
	}
}

func TestForwardRewritesHeaderAndExtensions(t *testing.T) {
	f := newFanout(t, 1)
	f.layer.audioLevelID = 5
	d := f.layer.track.subscribers()[0]
	b := *d.binding.Load()
	b.audioLevelID = 1
	d.binding.Store(&b)
	h := rtp.Header{Version: 2, PayloadType: 111, SSRC: 1, SequenceNumber: 500, Timestamp: 7, Marker: true}
	if err := h.SetExtension(5, []byte{0x85}); err != nil {
		t.Fatal(err)
	}
	if err := h.SetExtension(9, []byte{1, 2}); err != nil { // publisher-only extension: not forwarded
		t.Fatal(err)
	}
	payload := make([]byte, 20)
	payload[0] = 0x10 // VP8 keyframe start
	f.layer.handle(marshalRTP(t, h, payload), &f.rs)
	d.peer.send.drain()

	var v rtpView
	w := f.writers[0]
	if err := parseRTP(w.buf[:], &v); err != nil {
		t.Fatal(err)
	}
	if v.ssrc != 1000 || v.payloadType != 96 || v.seq != 500 || v.ts != 7 || !v.marker {
		t.Fatalf("rewritten header %+v", v)
	}
	if al := v.extension(1); len(al) != 1 || al[0] != 0x85 {
		t.Fatalf("audio level %x", al)
	}
	if abs := v.extension(3); len(abs) != 3 {
		t.Fatalf("abs-send-time %x", abs)
	}
	if x := v.extension(9); x != nil {
		t.Fatalf("publisher extension forwarded: %x", x)
	}

	// The level is also exposed for OnUserVoiceVolume: -5 dBov is loud.
	if vol, ok := f.layer.track.AudioLevel(); !ok || vol != 96 {
		t.Fatalf("AudioLevel = %d, %v", vol, ok)
	}
	if _, ok := f.layer.track.AudioLevel(); ok {
		t.Fatal("AudioLevel reported twice")
	}
}

func FuzzOffersSupportedCodec(f *testing.F) {
	f.Add("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n")
	f.Add("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		var d sdp.SessionDescription
		if d.UnmarshalString(s) != nil {
			return
		}
		offersSupportedCodec(&d)
	})
}
