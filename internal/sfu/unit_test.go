package sfu

import (
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// fakeClock is a manually advanced Clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestKeyframeStart(t *testing.T) {
	tests := []struct {
		name    string
		kind    codecKind
		payload []byte
		want    bool
	}{
		{"vp8 keyframe", codecVP8, []byte{0x10, 0x00}, true},
		{"vp8 delta", codecVP8, []byte{0x10, 0x01}, false},
		{"vp8 continuation", codecVP8, []byte{0x00, 0x00}, false},
		{"vp8 partition 1", codecVP8, []byte{0x11, 0x00}, false},
		{"vp8 extended 15-bit picture id keyframe", codecVP8, []byte{0x90, 0x80, 0x81, 0x02, 0x00}, true},
		{"vp8 extended picture id tl0 tid delta", codecVP8, []byte{0x90, 0xe0, 0x05, 0x01, 0x20, 0x01}, false},
		{"vp8 truncated", codecVP8, []byte{0x90, 0x80}, false},
		{"vp8 empty", codecVP8, nil, false},
		{"h264 idr", codecH264, []byte{0x65, 0x88}, true},
		{"h264 sps", codecH264, []byte{0x67, 0x42}, true},
		{"h264 non-idr", codecH264, []byte{0x41, 0x9a}, false},
		{"h264 stap-a sps pps", codecH264, []byte{0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce}, true},
		{"h264 stap-a bad length", codecH264, []byte{0x78, 0x00, 0x09, 0x67}, false},
		{"h264 fu-a idr start", codecH264, []byte{0x7c, 0x85, 0x00}, true},
		{"h264 fu-a idr middle", codecH264, []byte{0x7c, 0x05, 0x00}, false},
		{"h264 fu-a non-idr start", codecH264, []byte{0x7c, 0x81, 0x00}, false},
		{"vp9 keyframe", codecVP9, []byte{0x08}, true},
		{"vp9 inter", codecVP9, []byte{0x48}, false},
		{"vp9 not start", codecVP9, []byte{0x00}, false},
		{"vp9 layer 1", codecVP9, []byte{0xa8, 0x01, 0x02}, false},
		{"vp9 layer 0", codecVP9, []byte{0xa8, 0x01, 0x00}, true},
		{"av1 new sequence", codecAV1, []byte{0x08}, true},
		{"av1 other", codecAV1, []byte{0x10}, false},
		{"opus", codecOther, []byte{0x01}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isKeyframeStart(tt.kind, tt.payload); got != tt.want {
				t.Fatalf("isKeyframeStart = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzKeyframeStart(f *testing.F) {
	f.Add(uint8(codecVP8), []byte{0x90, 0x80, 0x81, 0x02, 0x00})
	f.Add(uint8(codecH264), []byte{0x78, 0x00, 0x02, 0x67, 0x42})
	f.Add(uint8(codecVP9), []byte{0xa8, 0x81, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, k uint8, p []byte) {
		isKeyframeStart(codecKind(k%5), p)
	})
}

func marshalRTP(t testing.TB, h rtp.Header, payload []byte) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRTP(t *testing.T) {
	h := rtp.Header{Version: 2, Marker: true, PayloadType: 96, SequenceNumber: 65535, Timestamp: 1234, SSRC: 42, CSRC: []uint32{7}}
	if err := h.SetExtension(1, []byte{0x85}); err != nil {
		t.Fatal(err)
	}
	if err := h.SetExtension(3, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	b := marshalRTP(t, h, []byte("payload"))
	var v rtpView
	if err := parseRTP(b, &v); err != nil {
		t.Fatal(err)
	}
	if !v.marker || v.payloadType != 96 || v.seq != 65535 || v.ts != 1234 || v.ssrc != 42 || string(v.payload) != "payload" {
		t.Fatalf("bad view %+v", v)
	}
	if got := v.extension(1); len(got) != 1 || got[0] != 0x85 {
		t.Fatalf("extension 1 = %x", got)
	}
	if got := v.extension(3); string(got) != "\x01\x02\x03" {
		t.Fatalf("extension 3 = %x", got)
	}
	if got := v.extension(2); got != nil {
		t.Fatalf("extension 2 = %x", got)
	}

	// Padding is removed from the payload.
	p := marshalRTP(t, rtp.Header{Version: 2, SequenceNumber: 1}, []byte("ab"))
	p[0] |= 0x20
	p = append(p, 0, 0, 3)
	if err := parseRTP(p, &v); err != nil || string(v.payload) != "ab" {
		t.Fatalf("padding: %v %q", err, v.payload)
	}
	for _, bad := range [][]byte{nil, make([]byte, 11), {0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0x91, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if parseRTP(bad, &v) == nil {
			t.Fatalf("parseRTP(%x) succeeded", bad)
		}
	}
}

func FuzzParseRTP(f *testing.F) {
	h := rtp.Header{Version: 2, SequenceNumber: 9, Extension: true, ExtensionProfile: 0xBEDE}
	_ = h.SetExtension(1, []byte{1})
	b, _ := (&rtp.Packet{Header: h, Payload: []byte{1, 2}}).Marshal()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var v rtpView
		if parseRTP(b, &v) != nil {
			return
		}
		for id := uint8(0); id < 16; id++ {
			v.extension(id)
		}
		var p rtp.Packet
		if err := p.Unmarshal(b); err == nil && p.SequenceNumber != v.seq {
			t.Fatalf("seq %d != %d", v.seq, p.SequenceNumber)
		}
	})
}

func TestMungerContinuousAcrossSwitch(t *testing.T) {
	now := time.Unix(100, 0)
	m := munger{clockRate: 90000}
	m.switchTo(1000, 5000, now)
	var lastSeq uint16
	var lastTS uint32
	for i := range uint16(10) {
		s, ts, ok := m.rewrite(1000+i, 5000+uint32(i)*3000, false, now)
		if !ok || s != 1000+i || ts != 5000+uint32(i)*3000 {
			t.Fatalf("layer A packet %d: %d %d %v", i, s, ts, ok)
		}
		lastSeq, lastTS = s, ts
	}
	// Switch to a layer with unrelated numbering 33 ms later.
	now = now.Add(33 * time.Millisecond)
	m.switchTo(60000, 1<<31, now)
	s, ts, ok := m.rewrite(60000, 1<<31, false, now)
	if !ok || s != lastSeq+1 || ts != lastTS+2970 {
		t.Fatalf("first after switch: seq %d (want %d) ts %d (want %d)", s, lastSeq+1, ts, lastTS+2970)
	}
	// A packet from before the switch point is dropped.
	if _, _, ok := m.rewrite(59999, 1<<31, false, now); ok {
		t.Fatal("packet before switch point forwarded")
	}
	// Wrap-around and a reordered packet keep their offsets.
	for i := uint16(1); i < 5000; i++ {
		s2, _, ok := m.rewrite(60000+i, 1<<31, false, now)
		if !ok || s2 != s+i {
			t.Fatalf("seq %d: got %d want %d", 60000+i, s2, s+i)
		}
	}
	// Padding-only newest packet leaves no gap.
	next, _, _ := m.rewrite(60000+5000, 1<<31, false, now)
	if _, _, ok := m.rewrite(60000+5001, 1<<31, true, now); ok {
		t.Fatal("padding forwarded")
	}
	after, _, ok := m.rewrite(60000+5002, 1<<31, false, now)
	if !ok || after != next+1 {
		t.Fatalf("after padding: %d want %d", after, next+1)
	}
}

func TestPacketCache(t *testing.T) {
	c := newPacketCache(8)
	buf := make([]byte, maxPacketSize)
	for seq := uint16(65530); seq != 10; seq++ {
		c.put(seq, []byte{byte(seq)}, int64(seq)*1000)
	}
	if n, ok := c.get(9, buf); !ok || n != 1 || buf[0] != 9 {
		t.Fatalf("get 9: %d %v", n, ok)
	}
	if n, at, ok := c.getAt(8, buf); !ok || n != 1 || at != 8000 {
		t.Fatalf("getAt 8: %d %d %v, want its arrival time 8000", n, at, ok)
	}
	if _, ok := c.get(1, buf); ok {
		t.Fatal("overwritten packet returned")
	}
	if _, ok := c.get(100, buf); ok {
		t.Fatal("missing packet returned")
	}
	if c.put(1, make([]byte, maxPacketSize+1), 0) {
		t.Fatal("oversized packet cached")
	}
}

func TestTransitHistogram(t *testing.T) {
	e := &Engine{}
	for _, d := range []time.Duration{-time.Microsecond, 0, 25 * time.Microsecond, 26 * time.Microsecond, 3 * time.Millisecond, time.Second} {
		e.transit.observe(d)
	}
	tr := e.Transit()
	want := [len(TransitBounds) + 1]uint64{0: 3, 1: 1, 7: 1, len(TransitBounds): 1}
	if tr.Counts != want || tr.Count() != 6 || tr.Sum != time.Second+3*time.Millisecond+51*time.Microsecond {
		t.Fatalf("histogram %v sum %v, want %v", tr.Counts, tr.Sum, want)
	}
}

func TestSendQueueDropsOldest(t *testing.T) {
	q := newSender(4, nil).q
	d := &DownTrack{}
	for i := range uint16(6) {
		q.push(sendItem{dt: d, seq: i})
	}
	var out [8]sendItem
	n := q.pop(out[:])
	if n != 4 || out[0].seq != 2 || out[3].seq != 5 {
		t.Fatalf("pop = %d items starting %d", n, out[0].seq)
	}
	if q.drops.Load() != 2 || d.stats.queueDrops.Load() != 2 {
		t.Fatalf("drops = %d / %d", q.drops.Load(), d.stats.queueDrops.Load())
	}
}

func TestKeyframeRequestThrottle(t *testing.T) {
	clk := newFakeClock()
	var sent []rtcp.Packet
	l := &layer{
		track: &PublishedTrack{kind: KindVideo}, ssrc: 77, clock: clk, pliInterval: 500 * time.Millisecond,
		writeRTCP: func(p []rtcp.Packet) error { sent = append(sent, p...); return nil },
	}
	for range 10 {
		l.requestKeyframe()
		clk.Advance(100 * time.Millisecond)
	}
	// t = 0, 500, … : 10 requests over 1 s make 2 PLIs.
	if len(sent) != 2 {
		t.Fatalf("sent %d PLIs, want 2", len(sent))
	}
	if pli, ok := sent[0].(*rtcp.PictureLossIndication); !ok || pli.MediaSSRC != 77 {
		t.Fatalf("sent %#v", sent[0])
	}
	if got := l.stats.pliThrottled.Load(); got != 8 {
		t.Fatalf("throttled %d, want 8", got)
	}
}

func TestClassify(t *testing.T) {
	hint := map[string]trtc.StreamType{"cam2": trtc.StreamSmall, "desk": trtc.StreamSub}
	tests := []struct {
		name       string
		kind       Kind
		id, rid    string
		want       trtc.StreamType
		wantSource string
	}{
		{"audio", KindAudio, "mic", "", trtc.StreamBig, "audio"},
		{"plain video", KindVideo, "camera", "", trtc.StreamBig, "video"},
		{"named small", KindVideo, "camera-small", "", trtc.StreamSmall, "video"},
		{"named screen", KindVideo, "screen", "", trtc.StreamSub, "sub"},
		{"rid q", KindVideo, "camera", "q", trtc.StreamSmall, "video"},
		{"rid f", KindVideo, "camera", "f", trtc.StreamBig, "video"},
		{"hint small", KindVideo, "cam2", "", trtc.StreamSmall, "video"},
		{"hint sub", KindVideo, "desk", "", trtc.StreamSub, "sub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := classify(tt.kind, tt.id, tt.rid, hint)
			if st != tt.want || sourceOf(tt.kind, st) != tt.wantSource {
				t.Fatalf("classify = %v/%s, want %v/%s", st, sourceOf(tt.kind, st), tt.want, tt.wantSource)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"full", Config{ListenIP: "127.0.0.1", UDPPort: 7882, NodeIPs: []string{"10.0.0.1"}, PacketCacheSize: 2048}, true},
		{"bad ip", Config{ListenIP: "localhost"}, false},
		{"bad port", Config{UDPPort: 70000}, false},
		{"bad node ip", Config{NodeIPs: []string{"x"}}, false},
		{"cache not pow2", Config{PacketCacheSize: 1000}, false},
		{"queue not pow2", Config{SendQueueSize: 3}, false},
		{"min above max", Config{MinBitrate: 2, MaxBitrate: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidConfig)) {
				t.Fatalf("Validate() = %v", err)
			}
		})
	}
}

func TestEstimator(t *testing.T) {
	clk := newFakeClock()
	var got []int
	e := newEstimator(Config{InitialBitrate: 1_000_000, MinBitrate: 100_000, MaxBitrate: 2_000_000, Clock: clk}, func(b int) { got = append(got, b) })
	for range 5 {
		e.onLoss(0)
		clk.Advance(time.Second)
	}
	if v := e.value(); v <= 1_000_000 {
		t.Fatalf("no growth without loss: %d", v)
	}
	before := e.value()
	e.onLoss(77) // 30 %
	if v := e.value(); v >= before*9/10 {
		t.Fatalf("no drop with 30%% loss: %d -> %d", before, v)
	}
	clk.Advance(time.Second)
	e.onREMB(300_000)
	if v := e.value(); v != 300_000 {
		t.Fatalf("REMB cap: %d", v)
	}
	if len(got) == 0 {
		t.Fatal("no notifications")
	}
	_ = binary.BigEndian
}

func TestTargetAndKindStrings(t *testing.T) {
	for _, tg := range []Target{TargetPublisher, TargetSubscriber} {
		if back, err := ParseTarget(tg.String()); err != nil || back != tg {
			t.Fatalf("ParseTarget(%q) = %v, %v", tg.String(), back, err)
		}
	}
	if _, err := ParseTarget("x"); !errors.Is(err, ErrUnknownTarget) {
		t.Fatal(err)
	}
	for st := ConnectionStateNew; st <= ConnectionStateClosed; st++ {
		if back, err := ParseConnectionState(st.String()); err != nil || back != st {
			t.Fatalf("ParseConnectionState(%q) = %v, %v", st.String(), back, err)
		}
	}
	for _, k := range []Kind{KindAudio, KindVideo} {
		if back, err := ParseKind(k.String()); err != nil || back != k {
			t.Fatalf("ParseKind(%q) = %v, %v", k.String(), back, err)
		}
	}
}
