package egress

import (
	"github.com/pion/rtp/codecs"
)

// vp8Assembler rebuilds VP8 frames from RTP payloads (RFC 7741). A frame
// with a lost packet is dropped and the next frames are skipped until a
// keyframe, so the file never holds a frame that references missing data.
type vp8Assembler struct {
	buf      []byte
	ts       uint32
	inFrame  bool
	lastSeq  uint16
	haveSeq  bool
	needKey  bool
	dropped  uint64 // frames dropped for loss or while waiting for a keyframe
	complete uint64
}

// push takes one packet and returns a complete frame (valid until the next
// call) with its RTP timestamp, or nil.
func (a *vp8Assembler) push(seq uint16, ts uint32, marker bool, payload []byte) (frame []byte, frameTS uint32, wantKey bool) {
	lost := a.haveSeq && seq != a.lastSeq+1
	a.lastSeq, a.haveSeq = seq, true
	var vp codecs.VP8Packet
	data, err := vp.Unmarshal(payload)
	if err != nil {
		a.inFrame = false
		return nil, 0, false
	}
	if lost && a.inFrame {
		a.inFrame = false
		a.needKey = true
		a.dropped++
	}
	start := vp.S == 1 && vp.PID == 0
	if start {
		if a.inFrame {
			a.dropped++ // the previous frame's last packet never came
		}
		a.buf = append(a.buf[:0], data...)
		a.ts = ts
		a.inFrame = true
	} else if a.inFrame && ts == a.ts {
		a.buf = append(a.buf, data...)
	} else {
		if lost {
			a.needKey = true
		}
		return nil, 0, a.needKey
	}
	if !marker {
		return nil, 0, false
	}
	a.inFrame = false
	key := len(a.buf) > 0 && a.buf[0]&0x01 == 0
	if a.needKey && !key {
		a.dropped++
		return nil, 0, true
	}
	a.needKey = false
	a.complete++
	return a.buf, a.ts, false
}

// vp8Size returns the dimensions of a VP8 keyframe (RFC 6386 §9.1), or
// zeros.
func vp8Size(f []byte) (w, h uint16) {
	if len(f) < 10 || f[0]&0x01 != 0 || f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a {
		return 0, 0
	}
	w = (uint16(f[6]) | uint16(f[7])<<8) & 0x3fff
	h = (uint16(f[8]) | uint16(f[9])<<8) & 0x3fff
	return w, h
}

// opusSamples returns the duration of an Opus packet in 48 kHz samples from
// its TOC byte (RFC 6716 §3.1), or 0 for a malformed packet.
func opusSamples(p []byte) int {
	if len(p) == 0 {
		return 0
	}
	toc := p[0]
	cfg := int(toc >> 3)
	var frame int // in units of 1/400 s (2.5 ms = 120 samples)
	switch {
	case cfg < 12: // SILK: 10, 20, 40, 60 ms
		frame = []int{4, 8, 16, 24}[cfg%4]
	case cfg < 16: // hybrid: 10, 20 ms
		frame = []int{4, 8}[cfg%2]
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = []int{1, 2, 4, 8}[cfg%4]
	}
	var n int
	switch toc & 0x03 {
	case 0:
		n = 1
	case 1, 2:
		n = 2
	default:
		if len(p) < 2 {
			return 0
		}
		n = int(p[1] & 0x3f)
	}
	s := frame * 120 * n
	if s == 0 || s > 5760 { // at most 120 ms per packet
		return 0
	}
	return s
}

// opusSilence is a 20 ms CELT packet that decodes to silence; gaps in the
// audio (mutes, loss, a blocked stream) are filled with it so that the Ogg
// timeline stays continuous and every player keeps audio and video aligned.
var opusSilence = []byte{0xf8, 0xff, 0xfe}

// opusSilenceSamples is opusSilence's duration.
const opusSilenceSamples = 960
