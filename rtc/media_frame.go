package rtc

import (
	"bytes"
	"errors"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// This file turns RTP back into frames: it reorders packets, waits a
// bounded time for retransmissions, depacketizes complete frames and
// recognizes keyframes and their size. It has no Pion connection state, so
// it is tested with packets made by the same payloaders the sender uses.

// vp8KeyframeSize reads the size of a VP8 keyframe from its uncompressed
// header (RFC 6386 §9.1): a 3-byte frame tag whose lowest bit is 0 for
// keyframes, the start code 9d 01 2a, then 14-bit width and height each
// followed by 2 scaling bits.
func vp8KeyframeSize(frame []byte) (w, h int, ok bool) {
	if len(frame) < 10 || frame[0]&0x01 != 0 {
		return 0, 0, false
	}
	if frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	w = int(uint16(frame[6])|uint16(frame[7])<<8) & 0x3fff
	h = int(uint16(frame[8])|uint16(frame[9])<<8) & 0x3fff
	return w, h, true
}

// isVP8Keyframe reports whether an encoded VP8 frame is a keyframe.
func isVP8Keyframe(frame []byte) bool {
	_, _, ok := vp8KeyframeSize(frame)
	return ok
}

// annexBNALs calls fn for every NAL unit of an Annex-B access unit.
func annexBNALs(au []byte, fn func(nal []byte)) {
	start := -1
	i := 0
	for i+2 < len(au) {
		if au[i] == 0 && au[i+1] == 0 && au[i+2] == 1 {
			if start >= 0 {
				end := i
				if end > start && au[end-1] == 0 { // 4-byte start code
					end--
				}
				fn(au[start:end])
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(au) {
		fn(au[start:])
	}
}

// H.264 NAL unit types (ITU-T H.264 Table 7-1).
const (
	h264NALIDR = 5
	h264NALSPS = 7
)

// h264KeyframeInfo reports whether an Annex-B access unit holds an IDR
// picture or a sequence parameter set (what a decoder can start from), and
// the picture size from its SPS if it has one.
func h264KeyframeInfo(au []byte) (key bool, w, h int, ok bool) {
	annexBNALs(au, func(nal []byte) {
		if len(nal) == 0 {
			return
		}
		switch nal[0] & 0x1f {
		case h264NALIDR:
			key = true
		case h264NALSPS:
			key = true
			if sw, sh, err := h264SPSSize(nal); err == nil && !ok {
				w, h, ok = sw, sh, true
			}
		}
	})
	return key, w, h, ok
}

var errBadSPS = errors.New("rtc: malformed H.264 SPS")

// bitReader reads an RBSP (emulation prevention bytes already removed).
type bitReader struct {
	b   []byte
	pos int // in bits
	err error
}

func (r *bitReader) bit() uint32 {
	if r.pos >= len(r.b)*8 {
		r.err = errBadSPS
		return 0
	}
	v := uint32(r.b[r.pos/8]>>(7-r.pos%8)) & 1
	r.pos++
	return v
}

func (r *bitReader) bits(n int) uint32 {
	var v uint32
	for range n {
		v = v<<1 | r.bit()
	}
	return v
}

// ue reads an unsigned Exp-Golomb code (H.264 §9.1).
func (r *bitReader) ue() uint32 {
	zeros := 0
	for r.bit() == 0 {
		if r.err != nil || zeros > 31 {
			r.err = errBadSPS
			return 0
		}
		zeros++
	}
	return (1<<zeros - 1) + r.bits(zeros)
}

// se reads a signed Exp-Golomb code.
func (r *bitReader) se() int32 {
	k := r.ue()
	if k&1 == 1 {
		return int32((k + 1) / 2)
	}
	return -int32(k / 2)
}

// unescapeRBSP removes emulation prevention bytes (00 00 03 → 00 00).
func unescapeRBSP(nal []byte) []byte {
	if !bytes.Contains(nal, []byte{0, 0, 3}) {
		return nal
	}
	out := make([]byte, 0, len(nal))
	zeros := 0
	for _, c := range nal {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

// h264SPSSize parses a sequence parameter set NAL unit (header byte
// included) far enough to compute the cropped picture size (H.264 §7.3.2.1.1
// and the frame cropping semantics of §7.4.2.1.1).
func h264SPSSize(nal []byte) (w, h int, err error) {
	if len(nal) < 4 || nal[0]&0x1f != h264NALSPS {
		return 0, 0, errBadSPS
	}
	r := &bitReader{b: unescapeRBSP(nal[1:])}
	profile := r.bits(8)
	r.bits(16) // constraint flags, level_idc
	r.ue()     // seq_parameter_set_id
	chroma := uint32(1)
	separatePlanes := false
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		chroma = r.ue()
		if chroma == 3 {
			separatePlanes = r.bit() == 1
		}
		r.ue()            // bit_depth_luma_minus8
		r.ue()            // bit_depth_chroma_minus8
		r.bit()           // qpprime_y_zero_transform_bypass_flag
		if r.bit() == 1 { // seq_scaling_matrix_present_flag
			n := 8
			if chroma == 3 {
				n = 12
			}
			for i := range n {
				if r.bit() == 1 {
					size := 16
					if i >= 6 {
						size = 64
					}
					last, next := int32(8), int32(8)
					for range size {
						if next != 0 {
							next = (last + r.se() + 256) % 256
						}
						if next != 0 {
							last = next
						}
					}
				}
			}
		}
	}
	r.ue()          // log2_max_frame_num_minus4
	switch r.ue() { // pic_order_cnt_type
	case 0:
		r.ue() // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		r.bit() // delta_pic_order_always_zero_flag
		r.se()  // offset_for_non_ref_pic
		r.se()  // offset_for_top_to_bottom_field
		n := r.ue()
		if n > 255 {
			return 0, 0, errBadSPS
		}
		for range n {
			r.se()
		}
	}
	r.ue()  // max_num_ref_frames
	r.bit() // gaps_in_frame_num_value_allowed_flag
	wMbs := r.ue() + 1
	hUnits := r.ue() + 1
	frameMbsOnly := r.bit()
	if frameMbsOnly == 0 {
		r.bit() // mb_adaptive_frame_field_flag
	}
	r.bit() // direct_8x8_inference_flag
	var cl, cr, ct, cb uint32
	if r.bit() == 1 { // frame_cropping_flag
		cl, cr, ct, cb = r.ue(), r.ue(), r.ue(), r.ue()
	}
	if r.err != nil || wMbs > 1024 || hUnits > 1024 {
		return 0, 0, errBadSPS
	}
	w = int(wMbs * 16)
	h = int((2 - frameMbsOnly) * hUnits * 16)
	cropX, cropY := uint32(1), 2-frameMbsOnly
	if !separatePlanes && chroma != 0 {
		if chroma == 1 || chroma == 2 {
			cropX = 2
		}
		if chroma == 1 {
			cropY *= 2
		}
	}
	w -= int((cl + cr) * cropX)
	h -= int((ct + cb) * cropY)
	if w <= 0 || h <= 0 {
		return 0, 0, errBadSPS
	}
	return w, h, nil
}

// opusSamples returns the duration of an Opus packet in 48 kHz samples from
// its TOC byte (RFC 6716 §3.1), or 0 if the packet is malformed.
func opusSamples(pkt []byte) uint32 {
	if len(pkt) == 0 {
		return 0
	}
	config := pkt[0] >> 3
	var per uint32 // samples per frame at 48 kHz
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		per = [4]uint32{480, 960, 1920, 2880}[config%4]
	case config < 16: // Hybrid: 10, 20 ms
		per = [2]uint32{480, 960}[config%2]
	default: // CELT: 2.5, 5, 10, 20 ms
		per = [4]uint32{120, 240, 480, 960}[config%4]
	}
	frames := uint32(1)
	switch pkt[0] & 0x03 {
	case 1, 2:
		frames = 2
	case 3:
		if len(pkt) < 2 {
			return 0
		}
		frames = uint32(pkt[1] & 0x3f)
	}
	return per * frames
}

// opusChannels reads the stereo flag of an Opus packet's TOC byte.
func opusChannels(pkt []byte) int {
	if len(pkt) > 0 && pkt[0]&0x04 != 0 {
		return 2
	}
	return 1
}

// opusSilence is a 20 ms Opus packet of silence (CELT, fullband, mono),
// what WebRTC stacks send while muted.
var opusSilence = []byte{0xf8, 0xff, 0xfe}

// videoDepacketizer knows where frames start in one codec's RTP payloads
// and how to turn a frame's payloads back into the encoded frame.
type videoDepacketizer interface {
	isHead(payload []byte) bool
	// frame depacketizes the payloads of one complete frame, in order.
	frame(payloads [][]byte) ([]byte, error)
	// keyframe reports whether an encoded frame is a keyframe, with its
	// size when the frame says it.
	keyframe(frame []byte) (key bool, w, h int, ok bool)
	format() VideoFormat
}

type vp8Depacketizer struct{}

func (vp8Depacketizer) isHead(p []byte) bool { return (&codecs.VP8Packet{}).IsPartitionHead(p) }

func (vp8Depacketizer) frame(payloads [][]byte) ([]byte, error) {
	var out []byte
	for _, p := range payloads {
		var pkt codecs.VP8Packet
		b, err := pkt.Unmarshal(p)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

func (vp8Depacketizer) keyframe(f []byte) (bool, int, int, bool) {
	w, h, ok := vp8KeyframeSize(f)
	return ok, w, h, ok
}

func (vp8Depacketizer) format() VideoFormat { return VideoFormatVP8 }

type h264Depacketizer struct{}

func (h264Depacketizer) isHead(p []byte) bool { return (&codecs.H264Packet{}).IsPartitionHead(p) }

func (h264Depacketizer) frame(payloads [][]byte) ([]byte, error) {
	var out []byte
	var pkt codecs.H264Packet // keeps FU-A fragments across packets
	for _, p := range payloads {
		b, err := pkt.Unmarshal(p)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

func (h264Depacketizer) keyframe(f []byte) (bool, int, int, bool) { return h264KeyframeInfo(f) }

func (h264Depacketizer) format() VideoFormat { return VideoFormatH264 }

// assembledFrame is one complete encoded frame.
type assembledFrame struct {
	data      []byte
	timestamp uint32 // RTP
}

// Bounds of the reorder buffer: how far the newest packet may run ahead of
// an incomplete frame, and for how long, before the frame is given up.
const (
	asmRing    = 1024
	asmMaxLate = 600
	asmMaxWait = 400 * time.Millisecond
)

// frameAssembler reorders the RTP packets of one video track and emits
// complete frames in order. A frame is complete when its packets from a
// partition head to the marker bit (or to the next timestamp) are all
// there. An incomplete frame is waited for (NACK/RTX may repair it) until
// the stream runs asmMaxLate packets or asmMaxWait ahead of it; then it is
// dropped and the caller told, so that it can wait for a keyframe.
//
// The wait is measured from when the oldest packet still held arrived, not
// from when the assembler began waiting at its position: after a burst of
// loss, each of a run of incomplete frames would otherwise cost a fresh
// asmMaxWait, and the output would fall seconds behind the input (seen
// under a 500 kbit/s cap in test/netem).
type frameAssembler struct {
	dp      videoDepacketizer
	ring    [asmRing]*rtp.Packet
	arrived [asmRing]time.Time // when each held packet arrived
	started bool
	next    uint16 // first sequence number not yet emitted or dropped
	newest  uint16
	dropTS  uint32 // timestamp of the last dropped frame
	dropped bool   // dropTS is valid
	emitted bool   // a frame was emitted or dropped: next only moves forward
}

func newFrameAssembler(dp videoDepacketizer) *frameAssembler { return &frameAssembler{dp: dp} }

// push adds a packet. It returns the frames it completed, in order, and
// whether any packet was given up since the last call.
func (a *frameAssembler) push(p *rtp.Packet, now time.Time) (frames []assembledFrame, lost bool) {
	seq := p.SequenceNumber
	if !a.started {
		a.started, a.next, a.newest = true, seq, seq
	}
	switch d := int16(seq - a.next); {
	case d < 0 && !a.emitted && -int(d) < asmMaxLate:
		a.next = seq // the stream's first packets arrived out of order
	case d < 0:
		return nil, false // late duplicate or repair of something already given up
	case int(uint16(d)) >= asmRing:
		// A jump longer than the buffer: start over from here.
		a.reset(seq)
		lost = true
	}
	if int16(seq-a.newest) > 0 {
		a.newest = seq
	}
	slot := &a.ring[seq%asmRing]
	if *slot != nil {
		return nil, lost // duplicate
	}
	*slot = p
	a.arrived[seq%asmRing] = now
	for {
		f, ok, dropped := a.pop()
		lost = lost || dropped
		a.emitted = a.emitted || ok || dropped
		if ok {
			frames = append(frames, f)
			continue
		}
		if int16(a.newest-a.next) < 0 { // nothing pending
			return frames, lost
		}
		if uint16(a.newest-a.next) < asmMaxLate && now.Sub(a.oldestHeld()) < asmMaxWait {
			return frames, lost
		}
		a.skip()
		lost, a.emitted = true, true
	}
}

// oldestHeld returns when the earliest packet held from next on arrived.
func (a *frameAssembler) oldestHeld() time.Time {
	var oldest time.Time
	for s := a.next; int16(a.newest-s) >= 0; s++ {
		if a.ring[s%asmRing] != nil {
			if t := a.arrived[s%asmRing]; oldest.IsZero() || t.Before(oldest) {
				oldest = t
			}
		}
	}
	return oldest
}

func (a *frameAssembler) reset(seq uint16) {
	a.ring = [asmRing]*rtp.Packet{}
	a.next, a.newest = seq, seq
}

func (a *frameAssembler) at(seq uint16) *rtp.Packet { return a.ring[seq%asmRing] }

func (a *frameAssembler) take(seq uint16) { a.ring[seq%asmRing] = nil }

// pop emits the frame at next if it is complete. Packets at next that
// cannot start a frame (their head was lost) are dropped.
func (a *frameAssembler) pop() (f assembledFrame, ok, dropped bool) {
	for {
		head := a.at(a.next)
		if head == nil {
			return f, false, dropped
		}
		if a.dp.isHead(head.Payload) && !(a.dropped && head.Timestamp == a.dropTS) {
			break
		}
		if !a.emitted {
			// The first packets may still be on their way; skip gives up
			// on them in time if we joined mid-frame.
			return f, false, false
		}
		a.dropTS, a.dropped = head.Timestamp, true
		a.take(a.next)
		a.next++
		dropped = true
	}
	head := a.at(a.next)
	end := a.next
	for {
		p := a.at(end)
		if p == nil || p.Timestamp != head.Timestamp {
			if p == nil {
				return f, false, dropped // wait for the rest
			}
			end-- // the next frame started without a marker on this one
			break
		}
		if p.Marker {
			break
		}
		end++
		if uint16(end-a.next) >= asmRing {
			return f, false, dropped
		}
	}
	payloads := make([][]byte, 0, int(uint16(end-a.next))+1)
	for s := a.next; ; s++ {
		payloads = append(payloads, a.at(s).Payload)
		if s == end {
			break
		}
	}
	data, err := a.dp.frame(payloads)
	for s := a.next; ; s++ {
		a.take(s)
		if s == end {
			break
		}
	}
	a.next = end + 1
	if err != nil || len(data) == 0 {
		a.dropTS, a.dropped = head.Timestamp, true
		return f, false, true
	}
	a.dropped = false
	return assembledFrame{data: data, timestamp: head.Timestamp}, true, dropped
}

// skip gives up the incomplete frame at next: it advances to the first
// packet that can start a later frame.
func (a *frameAssembler) skip() {
	if p := a.at(a.next); p != nil {
		a.dropTS, a.dropped = p.Timestamp, true
	}
	for int16(a.newest-a.next) >= 0 {
		p := a.at(a.next)
		if p != nil && a.dp.isHead(p.Payload) && !(a.dropped && p.Timestamp == a.dropTS) {
			return
		}
		if p != nil {
			a.dropTS, a.dropped = p.Timestamp, true
		}
		a.take(a.next)
		a.next++
	}
}

// tsUnwrapper turns 32-bit RTP timestamps into milliseconds since the
// first one, across wrap-arounds.
type tsUnwrapper struct {
	clock   int64 // Hz
	started bool
	last    uint32
	acc     int64
}

func (u *tsUnwrapper) ms(ts uint32) uint64 {
	if !u.started {
		u.started, u.last = true, ts
	}
	u.acc += int64(int32(ts - u.last))
	u.last = ts
	if u.acc < 0 {
		return 0
	}
	return uint64(u.acc * 1000 / u.clock)
}
