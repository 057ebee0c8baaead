package egress

import "encoding/binary"

// The containers ffmpeg reads from the recorder: IVF for VP8 frames and Ogg
// for Opus packets. Both carry a timestamp per frame, so ffmpeg's remux keeps
// the publisher's timing, gaps included.

// ivfHeader is the 32-byte IVF file header with a 1/90000 time base, the
// RTP clock of video (https://wiki.multimedia.cx/index.php/IVF).
func ivfHeader(fourcc string, width, height uint16) []byte {
	h := make([]byte, 32)
	copy(h, "DKIF")
	binary.LittleEndian.PutUint16(h[4:], 0)  // version
	binary.LittleEndian.PutUint16(h[6:], 32) // header size
	copy(h[8:12], fourcc)
	binary.LittleEndian.PutUint16(h[12:], width)
	binary.LittleEndian.PutUint16(h[14:], height)
	binary.LittleEndian.PutUint32(h[16:], 90000) // time base denominator
	binary.LittleEndian.PutUint32(h[20:], 1)     // numerator
	return h
}

// appendIVFFrame appends a frame header (size, 64-bit pts) and the frame.
func appendIVFFrame(b []byte, frame []byte, pts uint64) []byte {
	var h [12]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(len(frame)))
	binary.LittleEndian.PutUint64(h[4:], pts)
	b = append(b, h[:]...)
	return append(b, frame...)
}

// oggCRCTable is Ogg's CRC-32: polynomial 0x04c11db7, not reflected, zero
// initial value (RFC 3533 §6).
var oggCRCTable = func() *[256]uint32 {
	var t [256]uint32
	for i := range t {
		r := uint32(i) << 24
		for j := 0; j < 8; j++ {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return &t
}()

func oggCRC(b []byte) uint32 {
	var c uint32
	for _, x := range b {
		c = c<<8 ^ oggCRCTable[byte(c>>24)^x]
	}
	return c
}

// oggWriter writes one logical Opus stream, one packet per page
// (RFC 3533, RFC 7845).
type oggWriter struct {
	serial uint32
	seq    uint32
}

// Ogg header types.
const (
	oggBOS = 0x02
	oggEOS = 0x04
)

// appendPage appends one page holding packet, whose end is at granule.
func (w *oggWriter) appendPage(b []byte, packet []byte, granule uint64, flags byte) []byte {
	start := len(b)
	var h [27]byte
	copy(h[:], "OggS")
	h[5] = flags
	binary.LittleEndian.PutUint64(h[6:], granule)
	binary.LittleEndian.PutUint32(h[14:], w.serial)
	binary.LittleEndian.PutUint32(h[18:], w.seq)
	w.seq++
	nseg := len(packet)/255 + 1
	h[26] = byte(nseg)
	b = append(b, h[:]...)
	for i := 0; i < nseg-1; i++ {
		b = append(b, 255)
	}
	b = append(b, byte(len(packet)%255))
	b = append(b, packet...)
	binary.LittleEndian.PutUint32(b[start+22:], oggCRC(b[start:]))
	return b
}

// opusHeaders appends the identification and comment header pages
// (RFC 7845 §5).
func (w *oggWriter) opusHeaders(b []byte, channels uint8) []byte {
	id := make([]byte, 19)
	copy(id, "OpusHead")
	id[8] = 1
	id[9] = channels
	binary.LittleEndian.PutUint16(id[10:], 312)   // pre-skip: libopus' usual 6.5 ms
	binary.LittleEndian.PutUint32(id[12:], 48000) // input sample rate, informational
	b = w.appendPage(b, id, 0, oggBOS)
	vendor := "rtcengine"
	tags := make([]byte, 8+len(vendor)+4)
	copy(tags, "OpusTags")
	binary.LittleEndian.PutUint32(tags[8:], uint32(len(vendor)))
	copy(tags[12:], vendor)
	return w.appendPage(b, tags, 0, 0)
}

// maxOggPacket keeps a packet within one page's 255 lacing values.
const maxOggPacket = 255*255 - 1
