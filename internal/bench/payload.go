package bench

import (
	"encoding/binary"
	"math/rand/v2"
	"time"
)

// Synthetic media. The SFU forwards RTP without decoding it, so a frame
// only needs a VP8 header that looks right (the SDK reads a keyframe's
// size from it) and a realistic length; its body carries a stamp: who sent
// it, its number in its stream and when it was sent.
//
// The stamp follows the codec header:
//
//	"RTCB" | publisher uint16 | kind uint8 | seq uint32 | sent int64 (ns on the load generator's clock)
const (
	stampMagic = "RTCB"
	stampLen   = 4 + 2 + 1 + 4 + 8

	kindVideo = 0
	kindAudio = 1
)

// Stamp identifies one synthetic frame.
type Stamp struct {
	Publisher uint16
	Kind      uint8 // kindVideo or kindAudio
	Seq       uint32
	Sent      time.Duration // since the load generator's epoch
}

func (s Stamp) put(b []byte) {
	copy(b, stampMagic)
	binary.BigEndian.PutUint16(b[4:], s.Publisher)
	b[6] = s.Kind
	binary.BigEndian.PutUint32(b[7:], s.Seq)
	binary.BigEndian.PutUint64(b[11:], uint64(s.Sent))
}

// vp8Key is a VP8 keyframe's uncompressed data chunk (RFC 6386 §9.1):
// frame tag (key, version 0, shown), start code, 1280×720.
var vp8Key = []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02}

// vp8Delta is an interframe's 3-byte frame tag.
var vp8Delta = []byte{0x11, 0x02, 0x00}

// opusTOC is a CELT fullband 20 ms mono single-frame TOC byte (RFC 6716 §3.1).
const opusTOC = 0xf8

// VideoFrame returns a synthetic VP8 frame of size bytes (at least the
// header and stamp) carrying s.
func VideoFrame(s Stamp, key bool, size int, filler []byte) []byte {
	hdr := vp8Delta
	if key {
		hdr = vp8Key
	}
	size = max(size, len(hdr)+stampLen)
	b := make([]byte, size)
	copy(b, hdr)
	s.Kind = kindVideo
	s.put(b[len(hdr):])
	fill(b[len(hdr)+stampLen:], filler)
	return b
}

// AudioPacket returns a synthetic Opus packet of size bytes carrying s.
func AudioPacket(s Stamp, size int, filler []byte) []byte {
	size = max(size, 1+stampLen)
	b := make([]byte, size)
	b[0] = opusTOC
	s.Kind = kindAudio
	s.put(b[1:])
	fill(b[1+stampLen:], filler)
	return b
}

func fill(b, filler []byte) {
	for len(b) > 0 && len(filler) > 0 {
		b = b[copy(b, filler):]
	}
}

// ParseStamp reads the stamp of a synthetic VP8 frame (video) or Opus
// packet; ok is false for anything else.
func ParseStamp(b []byte, video bool) (s Stamp, ok bool) {
	off := 1
	if video {
		if len(b) == 0 {
			return s, false
		}
		off = len(vp8Delta)
		if b[0]&1 == 0 { // keyframe
			off = len(vp8Key)
		}
	}
	if len(b) < off+stampLen || string(b[off:off+4]) != stampMagic {
		return s, false
	}
	b = b[off:]
	return Stamp{
		Publisher: binary.BigEndian.Uint16(b[4:]),
		Kind:      b[6],
		Seq:       binary.BigEndian.Uint32(b[7:]),
		Sent:      time.Duration(binary.BigEndian.Uint64(b[11:])),
	}, true
}

// vp8MaxFragment is what one RTP packet of the SDK carries of a VP8 frame:
// its packetizer's MTU (1200) less the RTP header (12) and the VP8
// payload descriptor with a 15-bit picture id (4).
const vp8MaxFragment = 1200 - 12 - 4

// VP8Packets is how many RTP packets the SDK sends a VP8 frame of n bytes in.
func VP8Packets(n int) int { return (n + vp8MaxFragment - 1) / vp8MaxFragment }

// Rates of the synthetic anchor: 1.5 Mbps VP8 at 30 fps with a keyframe
// every 2 s, and 50 kbps Opus in 20 ms packets.
const (
	videoBitrate  = 1_500_000
	videoFPS      = 30
	keyframeEvery = 2 * videoFPS // frames
	audioBitrate  = 50_000
	audioInterval = 20 * time.Millisecond
	// keyframeWeight: a keyframe is this many times an interframe, about
	// what libvpx's realtime mode produces for a talking head.
	keyframeWeight = 5
)

// videoSizes returns the mean interframe and the keyframe size that make
// videoBitrate with one keyframe every keyframeEvery frames.
func videoSizes() (delta, key int) {
	perGOP := videoBitrate / 8 * keyframeEvery / videoFPS
	delta = perGOP / (keyframeEvery - 1 + keyframeWeight)
	return delta, delta * keyframeWeight
}

// audioSize is the size of one Opus packet at audioBitrate.
func audioSize() int { return int(audioBitrate / 8 * audioInterval / time.Second) }

// frameSize returns the size of video frame n: keyframes at their size,
// interframes varying ±20 % around their mean as real encoders' do.
func frameSize(n uint32, r *rand.Rand) (size int, key bool) {
	delta, keySize := videoSizes()
	if n%keyframeEvery == 0 {
		return keySize, true
	}
	return delta*8/10 + r.IntN(delta*4/10+1), false
}

// fillerBytes is incompressible-looking frame body shared by all frames.
func fillerBytes() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 4096)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
