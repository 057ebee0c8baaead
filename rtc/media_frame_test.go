package rtc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// testVP8Frame builds a VP8 frame: a real uncompressed header (keyframes
// carry the start code and size) followed by an opaque body that carries a
// counter and a CRC, as the integration tests send.
func testVP8Frame(n uint32, key bool, w, h, bodyLen int) []byte {
	var f []byte
	if key {
		f = []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a,
			byte(w), byte(w>>8) | 0x40, byte(h), byte(h>>8) | 0x80} // scale bits set: must be masked
	} else {
		f = []byte{0x11, 0x02, 0x00}
	}
	body := make([]byte, bodyLen)
	binary.BigEndian.PutUint32(body, n)
	for i := 8; i < len(body); i++ {
		body[i] = byte(int(n) + i)
	}
	binary.BigEndian.PutUint32(body[4:], crc32.ChecksumIEEE(body[8:]))
	return append(f, body...)
}

func TestVP8KeyframeSize(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frame  []byte
		w, h   int
		wantOK bool
	}{
		{"keyframe 640x360", testVP8Frame(1, true, 640, 360, 20), 640, 360, true},
		{"keyframe 1920x1080", testVP8Frame(1, true, 1920, 1080, 20), 1920, 1080, true},
		{"delta frame", testVP8Frame(2, false, 0, 0, 20), 0, 0, false},
		{"too short", []byte{0x10, 0x02, 0x00, 0x9d}, 0, 0, false},
		{"bad start code", []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2b, 0x80, 0x02, 0x68, 0x01}, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, h, ok := vp8KeyframeSize(tc.frame)
			if ok != tc.wantOK || w != tc.w || h != tc.h {
				t.Fatalf("got %dx%d %v, want %dx%d %v", w, h, ok, tc.w, tc.h, tc.wantOK)
			}
		})
	}
}

// bitWriter writes an SPS the way an encoder would, so that the parser is
// tested against the syntax of H.264 §7.3.2.1.1 for several shapes.
type bitWriter struct {
	b    []byte
	nbit int
}

func (w *bitWriter) bit(v uint32) {
	if w.nbit%8 == 0 {
		w.b = append(w.b, 0)
	}
	if v != 0 {
		w.b[len(w.b)-1] |= 0x80 >> (w.nbit % 8)
	}
	w.nbit++
}

func (w *bitWriter) bits(n int, v uint32) {
	for i := n - 1; i >= 0; i-- {
		w.bit(v >> i & 1)
	}
}

func (w *bitWriter) ue(v uint32) {
	v++
	n := 0
	for x := v; x > 1; x >>= 1 {
		n++
	}
	w.bits(n, 0)
	w.bits(n+1, v)
}

func (w *bitWriter) se(v int32) {
	if v > 0 {
		w.ue(uint32(2*v - 1))
	} else {
		w.ue(uint32(-2 * v))
	}
}

// escape inserts emulation prevention bytes.
func escape(rbsp []byte) []byte {
	var out []byte
	zeros := 0
	for _, c := range rbsp {
		if zeros >= 2 && c <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

type spsShape struct {
	profile            uint32
	chroma             uint32
	scaling            bool
	pocType            uint32
	wMbs, hUnits       uint32
	frameMbsOnly       bool
	crop               [4]uint32 // left, right, top, bottom
	level, constraints uint32
}

func makeSPS(s spsShape) []byte {
	w := &bitWriter{}
	w.bits(8, s.profile)
	w.bits(8, s.constraints)
	w.bits(8, s.level)
	w.ue(0) // sps id
	if s.profile == 100 || s.profile == 110 || s.profile == 122 || s.profile == 244 {
		w.ue(s.chroma)
		if s.chroma == 3 {
			w.bit(0)
		}
		w.ue(0)
		w.ue(0)
		w.bit(0)
		if s.scaling {
			w.bit(1)
			for i := range 8 {
				if i == 0 || i == 6 {
					w.bit(1)
					size := 16
					if i >= 6 {
						size = 64
					}
					for range size {
						w.se(1)
					}
				} else {
					w.bit(0)
				}
			}
		} else {
			w.bit(0)
		}
	}
	w.ue(0) // log2_max_frame_num_minus4
	w.ue(s.pocType)
	switch s.pocType {
	case 0:
		w.ue(2)
	case 1:
		w.bit(0)
		w.se(-1)
		w.se(2)
		w.ue(2)
		w.se(1)
		w.se(-3)
	}
	w.ue(1) // max_num_ref_frames
	w.bit(0)
	w.ue(s.wMbs - 1)
	w.ue(s.hUnits - 1)
	if s.frameMbsOnly {
		w.bit(1)
	} else {
		w.bit(0)
		w.bit(0)
	}
	w.bit(1)
	if s.crop != [4]uint32{} {
		w.bit(1)
		for _, c := range s.crop {
			w.ue(c)
		}
	} else {
		w.bit(0)
	}
	w.bit(0) // vui_parameters_present_flag
	w.bit(1) // rbsp_stop_one_bit
	return append([]byte{0x67}, escape(w.b)...)
}

func TestH264SPSSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		sps  spsShape
		w, h int
	}{
		{"baseline 1280x720", spsShape{profile: 66, constraints: 0xc0, level: 31, wMbs: 80, hUnits: 45, frameMbsOnly: true}, 1280, 720},
		{"baseline 320x180 cropped", spsShape{profile: 66, level: 13, wMbs: 20, hUnits: 12, frameMbsOnly: true, crop: [4]uint32{0, 0, 0, 6}}, 320, 180},
		{"high 1920x1080 cropped", spsShape{profile: 100, chroma: 1, level: 40, wMbs: 120, hUnits: 68, frameMbsOnly: true, crop: [4]uint32{0, 0, 0, 4}}, 1920, 1080},
		{"high with scaling lists", spsShape{profile: 100, chroma: 1, scaling: true, wMbs: 40, hUnits: 30, frameMbsOnly: true}, 640, 480},
		{"interlaced", spsShape{profile: 77, wMbs: 45, hUnits: 18, frameMbsOnly: false}, 720, 576},
		{"poc type 1", spsShape{profile: 66, pocType: 1, wMbs: 11, hUnits: 9, frameMbsOnly: true}, 176, 144},
		{"4:4:4 cropped", spsShape{profile: 244, chroma: 3, wMbs: 20, hUnits: 12, frameMbsOnly: true, crop: [4]uint32{1, 1, 0, 12}}, 318, 180},
		{"emulation prevention", spsShape{profile: 0, constraints: 0, level: 1, wMbs: 1, hUnits: 1, frameMbsOnly: true}, 16, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nal := makeSPS(tc.sps)
			if tc.sps.profile == 0 && !bytes.Contains(nal, []byte{0, 0, 3}) {
				t.Fatalf("SPS % x has no emulation prevention byte", nal)
			}
			w, h, err := h264SPSSize(nal)
			if err != nil || w != tc.w || h != tc.h {
				t.Fatalf("SPS % x: got %dx%d %v, want %dx%d", nal, w, h, err, tc.w, tc.h)
			}
		})
	}
	if _, _, err := h264SPSSize([]byte{0x67, 0x42}); err == nil {
		t.Fatal("a truncated SPS parsed")
	}
	if _, _, err := h264SPSSize([]byte{0x68, 0x42, 0x00, 0x1f, 0xff}); err == nil {
		t.Fatal("a PPS parsed as SPS")
	}
}

// testH264AU builds an access unit with 4-byte start codes: SPS + PPS + a
// large IDR slice (fragmented as FU-A) for keyframes, two slices otherwise.
func testH264AU(n uint32, key bool, size int) []byte {
	sc := []byte{0, 0, 0, 1}
	var au []byte
	slice := func(typ byte, l int) {
		b := make([]byte, l)
		b[0] = 0x60 | typ
		copy(b[1:], fmt.Sprintf("%08d", n)) // no zero bytes: no false start codes
		for i := 9; i < l; i++ {
			b[i] = byte(i*7+int(n)) | 0x10 // never 00 00 0x
		}
		au = append(au, sc...)
		au = append(au, b...)
	}
	if key {
		au = append(au, sc...)
		au = append(au, makeSPS(spsShape{profile: 66, wMbs: 40, hUnits: 23, frameMbsOnly: true, crop: [4]uint32{0, 0, 0, 4}})...)
		au = append(au, sc...)
		au = append(au, 0x68, 0xce, 0x3c, 0x80)
		slice(h264NALIDR, size)
	} else {
		slice(1, size/2)
		slice(1, size/2)
	}
	return au
}

func TestH264KeyframeInfo(t *testing.T) {
	key, w, h, ok := h264KeyframeInfo(testH264AU(1, true, 3000))
	if !key || !ok || w != 640 || h != 360 {
		t.Fatalf("IDR access unit: key=%v %dx%d ok=%v", key, w, h, ok)
	}
	if key, _, _, ok := h264KeyframeInfo(testH264AU(2, false, 3000)); key || ok {
		t.Fatal("a P access unit looks like a keyframe")
	}
	// 3-byte start codes work too.
	if key, _, _, _ := h264KeyframeInfo([]byte{0, 0, 1, 0x65, 1, 2, 3}); !key {
		t.Fatal("IDR behind a 3-byte start code not seen")
	}
}

func TestOpusSamples(t *testing.T) {
	for _, tc := range []struct {
		name string
		pkt  []byte
		want uint32
	}{
		{"silence CELT 20ms", opusSilence, 960},
		{"SILK 10ms", []byte{0 << 3}, 480},
		{"SILK 60ms", []byte{3 << 3}, 2880},
		{"hybrid 20ms two frames", []byte{13<<3 | 1}, 1920},
		{"CELT 2.5ms code 3 x4", []byte{16<<3 | 3, 4}, 480},
		{"empty", nil, 0},
		{"code 3 truncated", []byte{16<<3 | 3}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := opusSamples(tc.pkt); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
	if opusChannels([]byte{0xfc}) != 2 || opusChannels(opusSilence) != 1 {
		t.Fatal("stereo flag misread")
	}
}

// packetize turns frames into RTP packets the way the sender does.
func packetize(t *testing.T, p rtp.Payloader, frames [][]byte, mtu uint16) [][]*rtp.Packet {
	t.Helper()
	pk := rtp.NewPacketizer(mtu, 96, 1, p, rtp.NewFixedSequencer(65500), 90000) // wraps early
	out := make([][]*rtp.Packet, len(frames))
	for i, f := range frames {
		out[i] = pk.Packetize(f, 3000)
		if len(out[i]) == 0 {
			t.Fatalf("frame %d: no packets", i)
		}
	}
	return out
}

type asmCase struct {
	name string
	dp   videoDepacketizer
	pay  func() rtp.Payloader
	make func(n uint32, key bool) []byte
}

var asmCases = []asmCase{
	{"VP8", vp8Depacketizer{}, func() rtp.Payloader { return &codecs.VP8Payloader{EnablePictureID: true} },
		func(n uint32, key bool) []byte { return testVP8Frame(n, key, 640, 360, 500+int(n)*37%2000) }},
	{"H264", h264Depacketizer{}, func() rtp.Payloader { return &codecs.H264Payloader{} },
		func(n uint32, key bool) []byte { return testH264AU(n, key, 400+int(n)*53%3000) }},
}

func makeFrames(c asmCase, n int) [][]byte {
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = c.make(uint32(i), i%10 == 0)
	}
	return frames
}

func TestFrameAssemblerInOrder(t *testing.T) {
	for _, c := range asmCases {
		t.Run(c.name, func(t *testing.T) {
			frames := makeFrames(c, 40)
			pkts := packetize(t, c.pay(), frames, 300)
			a := newFrameAssembler(c.dp)
			var got [][]byte
			now := time.Now()
			for _, fp := range pkts {
				for _, p := range fp {
					out, lost := a.push(p, now)
					if lost {
						t.Fatal("loss reported on a clean stream")
					}
					for _, f := range out {
						got = append(got, f.data)
					}
				}
			}
			checkFrames(t, frames, got)
		})
	}
}

func checkFrames(t *testing.T, want, got [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("frame %d differs: got %d bytes, want %d", i, len(got[i]), len(want[i]))
		}
	}
}

func TestFrameAssemblerReorderAndDuplicates(t *testing.T) {
	for _, c := range asmCases {
		t.Run(c.name, func(t *testing.T) {
			frames := makeFrames(c, 60)
			pkts := packetize(t, c.pay(), frames, 250)
			var flat []*rtp.Packet
			for _, fp := range pkts {
				flat = append(flat, fp...)
			}
			// Shuffle within windows of 8 packets and repeat some. The
			// first frame arrives in order: an H.264 frame may start with
			// any NAL unit, so the stream starts where its first packet is.
			r := rand.New(rand.NewPCG(1, 2))
			order := append([]*rtp.Packet(nil), pkts[0]...)
			for i := len(pkts[0]); i < len(flat); i += 8 {
				w := append([]*rtp.Packet(nil), flat[i:min(i+8, len(flat))]...)
				r.Shuffle(len(w), func(a, b int) { w[a], w[b] = w[b], w[a] })
				order = append(order, w...)
				if i%24 == 0 {
					order = append(order, w[0])
				}
			}
			a := newFrameAssembler(c.dp)
			var got [][]byte
			now := time.Now()
			for _, p := range order {
				out, lost := a.push(p, now)
				if lost {
					t.Fatal("loss reported for reordered packets")
				}
				for _, f := range out {
					got = append(got, f.data)
				}
			}
			checkFrames(t, frames, got)
		})
	}
}

func TestFrameAssemblerLossAndRepair(t *testing.T) {
	for _, c := range asmCases {
		t.Run(c.name, func(t *testing.T) {
			frames := makeFrames(c, 30)
			pkts := packetize(t, c.pay(), frames, 250)
			if len(pkts[5]) < 2 || len(pkts[12]) < 2 {
				t.Fatal("test frames too small to fragment")
			}
			a := newFrameAssembler(c.dp)
			now := time.Now()
			var got []uint32
			var lostAt []int
			repaired := pkts[5][1]
			for i, fp := range pkts {
				for j, p := range fp {
					if (i == 5 && j == 1) || (i == 12 && j == 0) {
						continue // lost: frame 5 is repaired later, frame 12 never
					}
					now = now.Add(time.Millisecond)
					out, lost := a.push(p, now)
					if lost {
						lostAt = append(lostAt, i)
					}
					for _, f := range out {
						got = append(got, frameNumber(c, f.data))
					}
				}
				if i == 7 { // the retransmission arrives two frames later
					out, _ := a.push(repaired, now)
					for _, f := range out {
						got = append(got, frameNumber(c, f.data))
					}
				}
			}
			// Frame 12 is given up once the wait runs out; later frames follow.
			now = now.Add(asmMaxWait)
			next := pkts[len(pkts)-1][len(pkts[len(pkts)-1])-1].SequenceNumber + 1
			extra := c.make(99, true)
			more := packetize(t, c.pay(), [][]byte{extra}, 1200)[0]
			for k, p := range more {
				p.SequenceNumber = next + uint16(k)
				p.Timestamp = 999
				out, lost := a.push(p, now)
				if lost {
					lostAt = append(lostAt, 99)
				}
				for _, f := range out {
					got = append(got, frameNumber(c, f.data))
				}
			}
			var want []uint32
			for i := range 30 {
				if i != 12 {
					want = append(want, uint32(i))
				}
			}
			want = append(want, 99)
			if len(got) != len(want) {
				t.Fatalf("frames %v, want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("frames %v, want %v", got, want)
				}
			}
			if len(lostAt) != 1 {
				t.Fatalf("loss reported at %v, want once", lostAt)
			}
		})
	}
}

// frameNumber reads the counter the test put in a frame.
func frameNumber(c asmCase, f []byte) uint32 {
	if c.name == "VP8" {
		if isVP8Keyframe(f) {
			return binary.BigEndian.Uint32(f[10:])
		}
		return binary.BigEndian.Uint32(f[3:])
	}
	// The last NAL unit's bytes 1..8.
	i := bytes.LastIndex(f, []byte{0, 0, 0, 1})
	n, _ := strconv.Atoi(string(f[i+5 : i+13]))
	return uint32(n)
}

func TestFrameAssemblerStartsAtHead(t *testing.T) {
	c := asmCases[0]
	frames := makeFrames(c, 3)
	pkts := packetize(t, c.pay(), frames, 200)
	a := newFrameAssembler(c.dp)
	var got [][]byte
	now := time.Now()
	// Join in the middle of frame 0: its head never comes, which is given
	// up once the wait runs out.
	for _, fp := range pkts {
		for _, p := range fp {
			if p == pkts[0][0] {
				continue
			}
			if p == pkts[2][0] {
				now = now.Add(asmMaxWait)
			}
			out, _ := a.push(p, now)
			for _, f := range out {
				got = append(got, f.data)
			}
		}
	}
	checkFrames(t, frames[1:], got)
}

func TestTSUnwrapper(t *testing.T) {
	u := tsUnwrapper{clock: 90000}
	start := uint32(0xffffffff - 90000) // wraps after one second
	for i, want := range []uint64{0, 1000, 2000, 1500, 3000} {
		ts := start + uint32(int64(want)*90)
		if got := u.ms(ts); got != want {
			t.Fatalf("step %d: got %d ms, want %d", i, got, want)
		}
	}
}

func TestSplitTrackID(t *testing.T) {
	for _, tc := range []struct{ id, sid, user, stream string }{
		{"alice/video", "alice", "alice", "video"},
		{"bob_1/sub", "bob_1", "bob_1", "sub"},
		{"audio", "carol", "carol", "audio"},
	} {
		if u, s := splitTrackID(tc.id, tc.sid); u != tc.user || s != tc.stream {
			t.Errorf("%q: got %q %q", tc.id, u, s)
		}
	}
}

func TestLocalTrackTimestamps(t *testing.T) {
	lt, err := newLocalTrack("big", VideoFormatVP8, "alice")
	if err != nil {
		t.Fatal(err)
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	base := lt.timestamp(1000)
	for _, tc := range []struct {
		ms   uint64
		want uint32
	}{
		{1033, 33 * 90},
		{1100, 100 * 90},
		{1050, 100 * 90}, // never backwards
		{2000, 1000 * 90},
	} {
		if got := lt.timestamp(tc.ms) - base; got != tc.want {
			t.Fatalf("%d ms: got +%d, want +%d", tc.ms, got, tc.want)
		}
	}
}

// TestFrameAssemblerRunOfLosses: after a burst of loss, several frames in a
// row are incomplete. Each is given up once the packets after it have
// waited asmMaxWait, not asmMaxWait after the previous one was: the output
// must not fall a wait behind per lost frame.
func TestFrameAssemblerRunOfLosses(t *testing.T) {
	for _, c := range asmCases {
		t.Run(c.name, func(t *testing.T) {
			frames := makeFrames(c, 40)
			pkts := packetize(t, c.pay(), frames, 250)
			a := newFrameAssembler(c.dp)
			start := time.Now()
			var got []uint32
			var at []time.Duration
			// 30 fps; frames 11..18 each lose their last packet.
			for i, fp := range pkts {
				now := start.Add(time.Duration(i) * 33 * time.Millisecond)
				for j, p := range fp {
					if i >= 11 && i <= 18 && j == len(fp)-1 && len(fp) > 1 {
						continue
					}
					out, _ := a.push(p, now)
					for _, f := range out {
						got = append(got, frameNumber(c, f.data))
						at = append(at, now.Sub(start))
					}
				}
			}
			// Frame 39 arrived at 1.29 s; every complete frame after the
			// burst must be out by then plus one wait, not eight.
			if len(got) == 0 || got[len(got)-1] != 39 {
				t.Fatalf("frames %v", got)
			}
			last := at[len(at)-1]
			if limit := 39*33*time.Millisecond + asmMaxWait; last > limit {
				t.Fatalf("frame 39 out at %v, after %v: %v", last, limit, got)
			}
		})
	}
}
