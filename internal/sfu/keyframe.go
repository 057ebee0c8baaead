package sfu

import (
	"encoding/binary"
	"strings"
)

// codecKind says how to find keyframes in a codec's RTP payload.
type codecKind uint8

const (
	codecOther codecKind = iota // audio and unknown video: every packet is a switch point
	codecVP8
	codecVP9
	codecH264
	codecAV1
)

func codecKindOf(mimeType string) codecKind {
	switch strings.ToLower(mimeType) {
	case "video/vp8":
		return codecVP8
	case "video/vp9":
		return codecVP9
	case "video/h264":
		return codecH264
	case "video/av1":
		return codecAV1
	}
	return codecOther
}

// isKeyframeStart reports whether payload is the first packet of a frame a
// decoder can start from, which is where a DownTrack may switch layers.
// For audio every packet qualifies.
func isKeyframeStart(k codecKind, payload []byte) bool {
	switch k {
	case codecVP8:
		return vp8KeyframeStart(payload)
	case codecVP9:
		return vp9KeyframeStart(payload)
	case codecH264:
		return h264KeyframeStart(payload)
	case codecAV1:
		// Aggregation header N bit: first packet of a coded video sequence
		// (https://aomediacodec.github.io/av1-rtp-spec/#44-av1-aggregation-header).
		return len(payload) > 0 && payload[0]&0x08 != 0
	}
	return true
}

// vp8KeyframeStart parses the VP8 payload descriptor of RFC 7741 §4.2 and
// the P bit of the VP8 frame header (RFC 6386 §9.1).
func vp8KeyframeStart(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	x, s, pid := p[0]&0x80 != 0, p[0]&0x10 != 0, p[0]&0x07
	if !s || pid != 0 {
		return false
	}
	off := 1
	if x {
		if len(p) < 2 {
			return false
		}
		i, l, t, k := p[1]&0x80 != 0, p[1]&0x40 != 0, p[1]&0x20 != 0, p[1]&0x10 != 0
		off = 2
		if i {
			if len(p) <= off {
				return false
			}
			if p[off]&0x80 != 0 { // 15-bit picture id
				off++
			}
			off++
		}
		if l {
			off++
		}
		if t || k {
			off++
		}
	}
	if len(p) <= off {
		return false
	}
	return p[off]&0x01 == 0
}

// vp9KeyframeStart parses the flexible/non-flexible descriptor of RFC 9628
// §4.2: a keyframe starts where P (inter-picture predicted) is clear, B
// (start of frame) is set and the spatial layer is the base one.
func vp9KeyframeStart(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	i, pbit, l, b := p[0]&0x80 != 0, p[0]&0x40 != 0, p[0]&0x20 != 0, p[0]&0x08 != 0
	if pbit || !b {
		return false
	}
	if !l {
		return true
	}
	off := 1
	if i {
		if len(p) <= off {
			return false
		}
		if p[off]&0x80 != 0 {
			off++
		}
		off++
	}
	if len(p) <= off {
		return false
	}
	return (p[off]>>1)&0x07 == 0
}

// h264KeyframeStart looks for an SPS or the start of an IDR slice in a single
// NAL unit, STAP-A or FU-A packet (RFC 6184 §5.6–5.8). Encoders send SPS and
// PPS ahead of the IDR, so the SPS is the switch point when present.
func h264KeyframeStart(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	switch t := p[0] & 0x1f; {
	case t == 5 || t == 7:
		return true
	case t == 24: // STAP-A
		b := p[1:]
		for len(b) > 2 {
			n := int(binary.BigEndian.Uint16(b))
			b = b[2:]
			if n == 0 || n > len(b) {
				return false
			}
			if nt := b[0] & 0x1f; nt == 5 || nt == 7 {
				return true
			}
			b = b[n:]
		}
	case t == 28: // FU-A
		return len(p) > 1 && p[1]&0x80 != 0 && p[1]&0x1f == 5
	}
	return false
}
