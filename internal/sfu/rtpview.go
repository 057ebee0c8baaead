package sfu

import (
	"encoding/binary"
	"errors"
)

var (
	errRTPShort   = errors.New("sfu: rtp packet too short")
	errRTPVersion = errors.New("sfu: rtp version is not 2")
)

// rtpView is a zero-copy view of one RTP packet (RFC 3550 §5.1). It exists
// because rtp.Packet.Unmarshal allocates for header extensions; the
// forwarding path parses every packet once per subscriber and must not.
type rtpView struct {
	marker      bool
	payloadType uint8
	seq         uint16
	ts          uint32
	ssrc        uint32
	// extProfile is 0xBEDE (one-byte) or 0x100x (two-byte) when the packet
	// carries RFC 8285 header extensions, otherwise 0.
	extProfile uint16
	ext        []byte // extension block without its 4-byte preamble
	payload    []byte // without padding
}

// parseRTP fills v from b. The slices in v alias b.
func parseRTP(b []byte, v *rtpView) error {
	if len(b) < 12 {
		return errRTPShort
	}
	if b[0]>>6 != 2 {
		return errRTPVersion
	}
	padding := b[0]&0x20 != 0
	hasExt := b[0]&0x10 != 0
	cc := int(b[0] & 0x0f)
	v.marker = b[1]&0x80 != 0
	v.payloadType = b[1] & 0x7f
	v.seq = binary.BigEndian.Uint16(b[2:4])
	v.ts = binary.BigEndian.Uint32(b[4:8])
	v.ssrc = binary.BigEndian.Uint32(b[8:12])
	off := 12 + 4*cc
	if len(b) < off {
		return errRTPShort
	}
	v.extProfile, v.ext = 0, nil
	if hasExt {
		if len(b) < off+4 {
			return errRTPShort
		}
		v.extProfile = binary.BigEndian.Uint16(b[off : off+2])
		n := 4 * int(binary.BigEndian.Uint16(b[off+2:off+4]))
		off += 4
		if len(b) < off+n {
			return errRTPShort
		}
		v.ext = b[off : off+n]
		off += n
	}
	end := len(b)
	if padding {
		if end <= off {
			return errRTPShort
		}
		p := int(b[end-1])
		if p == 0 || end-p < off {
			return errRTPShort
		}
		end -= p
	}
	v.payload = b[off:end]
	return nil
}

// extension returns the payload of the RFC 8285 header extension with the
// given id, or nil.
func (v *rtpView) extension(id uint8) []byte {
	if id == 0 || len(v.ext) == 0 {
		return nil
	}
	b := v.ext
	switch {
	case v.extProfile == 0xBEDE:
		for len(b) > 0 {
			if b[0] == 0 { // padding byte
				b = b[1:]
				continue
			}
			eid, l := b[0]>>4, int(b[0]&0x0f)+1
			if eid == 15 || len(b) < 1+l {
				return nil
			}
			if eid == id {
				return b[1 : 1+l]
			}
			b = b[1+l:]
		}
	case v.extProfile&0xfff0 == 0x1000:
		for len(b) > 0 {
			if b[0] == 0 {
				b = b[1:]
				continue
			}
			if len(b) < 2 {
				return nil
			}
			eid, l := b[0], int(b[1])
			if len(b) < 2+l {
				return nil
			}
			if eid == id {
				return b[2 : 2+l]
			}
			b = b[2+l:]
		}
	}
	return nil
}
