package rtpnack

import (
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"

	"github.com/rtcengine/rtcengine/internal/importcheck"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// feed is an RTPReader that hands out the packets pushed into it.
type feed struct{ pkts chan []byte }

func (f *feed) Read(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
	p, ok := <-f.pkts
	if !ok {
		return 0, nil, io.EOF
	}
	return copy(b, p), a, nil
}

func rtpPacket(ssrc uint32, seq uint16) []byte {
	b := make([]byte, 20)
	b[0] = 0x80
	b[1] = 96
	b[2], b[3] = byte(seq>>8), byte(seq)
	b[8], b[9], b[10], b[11] = byte(ssrc>>24), byte(ssrc>>16), byte(ssrc>>8), byte(ssrc)
	return b
}

var nackFeedback = []interceptor.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}

// bind binds a stream and returns a function that delivers one packet of
// it through the Generator's reader, as Pion's track reader would.
func bind(t *testing.T, g *Generator, ssrc uint32, fb []interceptor.RTCPFeedback) func(seq uint16) {
	t.Helper()
	f := &feed{pkts: make(chan []byte, 1)}
	r := g.BindRemoteStream(&interceptor.StreamInfo{SSRC: ssrc, RTCPFeedback: fb}, f)
	buf := make([]byte, 1500)
	return func(seq uint16) {
		f.pkts <- rtpPacket(ssrc, seq)
		if _, _, err := r.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func newTestGenerator(t *testing.T, opts ...Option) (*Factory, *Generator) {
	t.Helper()
	f, err := NewFactory(opts...)
	if err != nil {
		t.Fatal(err)
	}
	i, err := f.NewInterceptor("pc-1")
	if err != nil {
		t.Fatal(err)
	}
	g := i.(*Generator)
	t.Cleanup(func() { _ = g.Close() })
	return f, g
}

func nacked(pkts []rtcp.Packet) map[uint32][]uint16 {
	out := map[uint32][]uint16{}
	for _, p := range pkts {
		n := p.(*rtcp.TransportLayerNack)
		for _, pair := range n.Nacks {
			out[n.MediaSSRC] = append(out[n.MediaSSRC], pair.PacketList()...)
		}
	}
	return out
}

func TestGeneratorRepairedPacketsStopBeingRequested(t *testing.T) {
	_, g := newTestGenerator(t, MaxNacks(5))
	video := bind(t, g, 1111, nackFeedback)
	for _, s := range []uint16{10, 11, 14, 15, 18} {
		video(s)
	}
	if got := nacked(g.requests()); !slices.Equal(got[1111], []uint16{12, 13, 16, 17}) {
		t.Fatalf("first NACK = %v", got)
	}
	g.Repaired(1111, 13, 0)
	g.Repaired(1111, 16, 0)
	g.Repaired(9999, 12, 0) // another stream: ignored
	if got := nacked(g.requests()); !slices.Equal(got[1111], []uint16{12, 17}) {
		t.Fatalf("after repairs = %v, want [12 17]", got)
	}
	g.Repaired(1111, 12, 0)
	g.Repaired(1111, 17, 0)
	if pkts := g.requests(); len(pkts) != 0 {
		t.Fatalf("all repaired, still requested: %v", nacked(pkts))
	}
}

func TestGeneratorMaxNacks(t *testing.T) {
	_, g := newTestGenerator(t, MaxNacks(3))
	video := bind(t, g, 1, nackFeedback)
	video(65535)
	video(1) // 0 lost, across the wrap
	for i := 1; i <= 3; i++ {
		if got := nacked(g.requests()); !slices.Equal(got[1], []uint16{0}) {
			t.Fatalf("request %d = %v", i, got)
		}
	}
	if pkts := g.requests(); len(pkts) != 0 {
		t.Fatalf("requested beyond the maximum: %v", nacked(pkts))
	}
}

// Only streams that negotiated generic NACK are watched (an RTX stream is
// bound with no feedback; audio usually has none); unbinding forgets one.
func TestGeneratorNegotiatedStreamsOnly(t *testing.T) {
	_, g := newTestGenerator(t)
	video := bind(t, g, 1, nackFeedback)
	pliOnly := bind(t, g, 2, []interceptor.RTCPFeedback{{Type: "nack", Parameter: "pli"}})
	rtx := bind(t, g, 3, nil)
	for _, s := range []uint16{1, 3} {
		video(s)
		pliOnly(s)
		rtx(s)
	}
	got := nacked(g.requests())
	if len(got) != 1 || !slices.Equal(got[1], []uint16{2}) {
		t.Fatalf("NACKs = %v, want only stream 1 packet 2", got)
	}
	g.UnbindRemoteStream(&interceptor.StreamInfo{SSRC: 1})
	if pkts := g.requests(); len(pkts) != 0 {
		t.Fatalf("unbound stream requested: %v", nacked(pkts))
	}
}

// writes is an RTCPWriter that reports every batch on a channel.
type writes chan []rtcp.Packet

func (w writes) Write(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
	select {
	case w <- pkts:
	default:
	}
	return 0, nil
}

// The loop sends NACKs on its own every interval and stops on Close
// (TestMain checks that no goroutine is left).
func TestGeneratorLoopSendsAndStopsOnClose(t *testing.T) {
	f, g := newTestGenerator(t, Interval(5*time.Millisecond), MaxNacks(2))
	out := make(writes, 4)
	g.BindRTCPWriter(out)
	g.BindRTCPWriter(out) // a second bind starts no second loop
	video := bind(t, g, 7, nackFeedback)
	video(100)
	video(102)
	for i := range 2 {
		select {
		case pkts := <-out:
			if got := nacked(pkts); !slices.Equal(got[7], []uint16{101}) {
				t.Fatalf("batch %d = %v", i, got)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no NACK written")
		}
	}
	if f.Generator("pc-1") != g {
		t.Fatal("factory does not find the generator")
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if f.Generator("pc-1") != nil {
		t.Fatal("closed generator still found")
	}
	var none *Generator
	none.Repaired(7, 1, 8) // a nil Generator ignores repairs
}

// The timer runs only while something is missing: not for a bound writer
// and streams that lose nothing; from a gap until the packet is repaired,
// or given up, and again at the next gap.
func TestGeneratorLoopRunsOnlyWhileSomethingIsMissing(t *testing.T) {
	_, g := newTestGenerator(t, Interval(time.Millisecond), MaxNacks(3))
	running := func() bool {
		g.mu.RLock()
		defer g.mu.RUnlock()
		return g.running
	}
	waitStopped := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); running(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: loop still running with nothing missing", what)
			}
		}
	}
	out := make(writes, 16)
	g.BindRTCPWriter(out)
	video := bind(t, g, 7, nackFeedback)
	for seq := range uint16(50) {
		video(seq)
	}
	if running() {
		t.Fatal("loop started by a stream without loss")
	}
	next := func(what string) []uint16 {
		t.Helper()
		select {
		case pkts := <-out:
			return nacked(pkts)[7]
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no NACK written", what)
			return nil
		}
	}

	video(52) // 50 and 51 lost
	if !running() {
		t.Fatal("a gap did not start the loop")
	}
	if got := next("gap"); !slices.Equal(got, []uint16{50, 51}) {
		t.Fatalf("first request %v", got)
	}
	video(50)
	video(51) // repaired: nothing left to ask for
	waitStopped("after the repair")
	for len(out) > 0 {
		<-out
	}

	video(54) // 53 lost for good: asked for 3 times, then given up
	for i := range 3 {
		if got := next("loss"); !slices.Equal(got, []uint16{53}) {
			t.Fatalf("request %d: %v", i, got)
		}
	}
	waitStopped("after giving up")
	if len(out) != 0 {
		t.Fatalf("asked again after giving up: %v", nacked(<-out))
	}
}

func TestGeneratorCloseBeforeBind(t *testing.T) {
	_, g := newTestGenerator(t)
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	g.BindRTCPWriter(make(writes)) // no loop after Close
}

func TestGeneratorReaderPassesThrough(t *testing.T) {
	_, g := newTestGenerator(t)
	f := &feed{pkts: make(chan []byte, 2)}
	r := g.BindRemoteStream(&interceptor.StreamInfo{SSRC: 5, RTCPFeedback: nackFeedback}, f)
	f.pkts <- []byte{0x80, 96, 0, 1} // too short to record
	buf := make([]byte, 100)
	if n, _, err := r.Read(buf, nil); n != 4 || err != nil {
		t.Fatalf("read = %d, %v", n, err)
	}
	close(f.pkts)
	if _, _, err := r.Read(buf, nil); !errors.Is(err, io.EOF) {
		t.Fatalf("err = %v, want EOF", err)
	}
	f2 := &feed{pkts: make(chan []byte, 1)}
	r2 := g.BindRemoteStream(&interceptor.StreamInfo{SSRC: 6, RTCPFeedback: nackFeedback}, f2)
	pkt := rtpPacket(6, 10)
	attrs := interceptor.Attributes{}
	allocs := testing.AllocsPerRun(100, func() {
		pkt[3] += 2 // a gap every time
		f2.pkts <- pkt
		_, _, _ = r2.Read(buf, attrs)
	})
	if allocs != 0 {
		t.Fatalf("reader allocates %v per packet", allocs)
	}
}

func TestRepairOf(t *testing.T) {
	if _, ok := RepairOf(nil); ok {
		t.Fatal("nil attributes taken for a repair")
	}
	if _, ok := RepairOf(interceptor.Attributes{}); ok {
		t.Fatal("plain packet taken for a repair")
	}
	a := interceptor.Attributes{}
	a.Set(webrtc.AttributeRtxSsrc, uint32(5))
	if rtx, ok := RepairOf(a); !ok || rtx != 5 {
		t.Fatalf("RepairOf = %d, %v; want 5, true", rtx, ok)
	}
}

// rtxPacket builds an RTX packet (RFC 4588 §4) for original packet osn,
// with a header extension and padding to exercise the parser.
func rtxPacket(rtxSSRC uint32, seq, osn uint16) []byte {
	b := rtpPacket(rtxSSRC, seq)[:12]
	b[0] |= 0x10 | 0x20                         // extension, padding
	b = append(b, 0xbe, 0xde, 0, 1, 1, 2, 3, 4) // one-byte extensions, one word
	b = append(b, byte(osn>>8), byte(osn), 0xaa, 0xbb, 0, 0, 3)
	return b
}

// After the track's reader reported one repair, the RTX stream's own
// reader records the next repairs as they arrive.
func TestGeneratorLinksTheRTXStream(t *testing.T) {
	_, g := newTestGenerator(t)
	video := bind(t, g, 1, nackFeedback)
	f := &feed{pkts: make(chan []byte, 1)}
	rtx := g.BindRemoteStream(&interceptor.StreamInfo{SSRC: 2, MimeType: "video/rtx"}, f)
	buf := make([]byte, 1500)
	readRTX := func(osn uint16) {
		f.pkts <- rtxPacket(2, 500+osn, osn)
		if _, _, err := rtx.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []uint16{10, 14} {
		video(s)
	}
	readRTX(11) // not linked yet: the track's reader reports it
	if got := nacked(g.requests()); !slices.Equal(got[1], []uint16{11, 12, 13}) {
		t.Fatalf("before the link = %v", got)
	}
	g.Repaired(1, 11, 2)
	readRTX(12)
	if got := nacked(g.requests()); !slices.Equal(got[1], []uint16{13}) {
		t.Fatalf("after the link = %v, want [13]", got)
	}
	g.UnbindRemoteStream(&interceptor.StreamInfo{SSRC: 2})
	g.mu.RLock()
	n := len(g.rtx)
	g.mu.RUnlock()
	if n != 0 {
		t.Fatal("RTX stream not forgotten")
	}
}

func TestRTXOSN(t *testing.T) {
	for _, tc := range []struct {
		name string
		pkt  []byte
		osn  uint16
		ok   bool
	}{
		{"extension and padding", rtxPacket(2, 1, 0x1234), 0x1234, true},
		{"plain", append(rtpPacket(2, 1)[:12], 0xab, 0xcd), 0xabcd, true},
		{"padding only (a probe)", []byte{0xa0, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 4}, 0, false},
		{"short", []byte{0x80, 1, 2}, 0, false},
		{"not RTP", append([]byte{0x40}, rtpPacket(2, 1)[1:]...), 0, false},
		{"extension past the end", []byte{0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0xbe, 0xde, 0xff, 0xff}, 0, false},
		{"padding longer than the packet", []byte{0xa0, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 0xff}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			osn, ok := rtxOSN(tc.pkt)
			if osn != tc.osn || ok != tc.ok {
				t.Fatalf("rtxOSN = %#x, %v; want %#x, %v", osn, ok, tc.osn, tc.ok)
			}
		})
	}
}

// FuzzRTXOSN: the parser never panics and agrees with pion/rtp on every
// RTP version 2 packet pion/rtp accepts (it accepts any version).
func FuzzRTXOSN(f *testing.F) {
	f.Add(rtxPacket(2, 1, 7))
	f.Add([]byte{0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0xbe, 0xde, 0xff, 0xff})
	f.Add([]byte{0xa0, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		osn, ok := rtxOSN(b)
		var p rtp.Packet
		if p.Unmarshal(b) != nil || p.Version != 2 || len(p.Payload) < 2 {
			return
		}
		if want := uint16(p.Payload[0])<<8 | uint16(p.Payload[1]); !ok || osn != want {
			t.Fatalf("rtxOSN = %d, %v; pion/rtp payload starts with %d", osn, ok, want)
		}
	})
}

func TestNewFactoryLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		want error
	}{
		{"defaults", nil, nil},
		{"shortest interval", []Option{Interval(MinInterval)}, nil},
		{"interval too short", []Option{Interval(MinInterval - 1)}, ErrInvalidInterval},
		{"interval too long", []Option{Interval(MaxInterval + 1)}, ErrInvalidInterval},
		{"no NACKs", []Option{MaxNacks(0)}, ErrInvalidMaxNacks},
		{"most NACKs", []Option{MaxNacks(MaxNacksLimit)}, nil},
		{"too many NACKs", []Option{MaxNacks(MaxNacksLimit + 1)}, ErrInvalidMaxNacks},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewFactory(tc.opts...)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// The package is a leaf: it imports none of ours (the SFU and the SDK use it).
func TestImportsStayLeaf(t *testing.T) {
	importcheck.Only(t)
}
