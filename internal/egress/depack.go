package egress

import (
	"github.com/pion/rtp/codecs"
)

// frameAssembler rebuilds video frames from RTP payloads: VP8 (RFC 7741)
// or H.264 (RFC 6184, as Annex-B access units). After any lost packet the
// frame in progress is dropped and the next frames are skipped until a
// keyframe, so a file never holds a frame that references missing data.
type frameAssembler struct {
	h264    bool
	h264p   codecs.H264Packet // keeps FU-A fragments between packets
	buf     []byte
	ts      uint32
	inFrame bool
	lastSeq uint16
	haveSeq bool
	needKey bool

	dropped  uint64 // frames dropped for loss or while waiting for a keyframe
	complete uint64
}

// push takes one packet and returns a complete frame (valid until the next
// call) with its RTP timestamp, or nil; wantKey asks for a keyframe.
func (a *frameAssembler) push(seq uint16, ts uint32, marker bool, payload []byte) (frame []byte, frameTS uint32, wantKey bool) {
	lost := a.haveSeq && seq != a.lastSeq+1
	a.lastSeq, a.haveSeq = seq, true
	if lost {
		if a.inFrame {
			a.dropped++
		}
		a.inFrame = false
		a.needKey = true
		a.h264p = codecs.H264Packet{}
	}
	var data []byte
	var start bool
	if a.h264 {
		d, err := a.h264p.Unmarshal(payload)
		if err != nil {
			a.inFrame = false
			a.needKey = true
			a.h264p = codecs.H264Packet{}
			return nil, 0, true
		}
		data = d
		start = !a.inFrame || ts != a.ts
	} else {
		var vp codecs.VP8Packet
		d, err := vp.Unmarshal(payload)
		if err != nil {
			a.inFrame = false
			return nil, 0, a.needKey
		}
		data = d
		start = vp.S == 1 && vp.PID == 0
	}
	switch {
	case start:
		if a.inFrame {
			a.dropped++ // the previous frame's last packet never came
			a.needKey = true
		}
		a.buf = append(a.buf[:0], data...)
		a.ts = ts
		a.inFrame = true
	case a.inFrame && ts == a.ts:
		a.buf = append(a.buf, data...)
	default:
		return nil, 0, a.needKey
	}
	if !marker {
		return nil, 0, false
	}
	a.inFrame = false
	if a.needKey && !a.isKey(a.buf) {
		a.dropped++
		return nil, 0, true
	}
	a.needKey = false
	a.complete++
	return a.buf, a.ts, false
}

// isKey reports whether a complete frame is a keyframe: a VP8 key frame
// (RFC 6386 §9.1) or an access unit with an IDR slice (NAL type 5).
func (a *frameAssembler) isKey(f []byte) bool {
	if !a.h264 {
		return len(f) > 0 && f[0]&0x01 == 0
	}
	for i := 0; i+3 < len(f); i++ {
		if f[i] == 0 && f[i+1] == 0 && f[i+2] == 1 && f[i+3]&0x1f == 5 {
			return true
		}
	}
	return false
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
