package rtc

import (
	"bytes"
	"encoding/binary"
	"time"
)

// SEI messages (TRTC's sendSEIMsg) ride inside the video frames they belong
// to, so they stay with the picture through the server (which forwards
// payloads untouched), recordings and relays:
//
//   - H.264: a real SEI NAL unit (ITU-T H.264 §7.3.2.3, type 6) with one
//     user_data_unregistered message (payload type 5, §D.1.7) per SEI
//     message: the 16-byte seiUUID, then the message. It is inserted before
//     the access unit's first slice, with emulation prevention bytes.
//   - VP8 (and, for other senders, VP9 and AV1): the frame carries a
//     trailer after its last byte: each message as a 2-byte big-endian
//     length and its bytes, then a footer of the message count (1 byte),
//     the trailer's total length (2 bytes, big-endian, footer included) and
//     seiUUID. VP8 decoders read a frame's partitions from its header and
//     ignore bytes after them; a browser receiver strips the trailer with an
//     encoded transform.
//
// Receivers strip what they find before the frame reaches the renderer and
// report each message with OnRecvSEIMsg right before that frame's render
// callback. A message sent with repeatCount n rides n consecutive frames
// and is reported once per frame, as TRTC does: receivers deduplicate.

// seiUUID marks our SEI payloads (uuid_iso_iec_11578 of H.264 user data,
// and the VP8 trailer's footer): 63cf61a2-99f3-44b3-b9a2-8c6a2d5d44fb.
var seiUUID = [16]byte{0x63, 0xcf, 0x61, 0xa2, 0x99, 0xf3, 0x44, 0xb3, 0xb9, 0xa2, 0x8c, 0x6a, 0x2d, 0x5d, 0x44, 0xfb}

// Limits of SendSEIMsg beyond the shared budget.
const (
	// MaxPendingSEIMsgs bounds the SEI messages waiting for video frames
	// (one second of budget); beyond it SendSEIMsg returns false.
	MaxPendingSEIMsgs = MaxCustomMsgsPerSecond
	// seiFooterLen is the VP8 trailer's footer: count, total length, UUID.
	seiFooterLen = 1 + 2 + 16
)

// seiItem is one SendSEIMsg waiting for frames of the camera's big and
// small streams.
type seiItem struct {
	data []byte
	left [2]int // frames still to carry it, by StreamBig / StreamSmall
}

// seiQueue holds the SEI messages waiting for frames (guarded by messenger.mu).
type seiQueue struct {
	items []*seiItem
}

// SendSEIMsg attaches data to the next repeatCount frames of the camera
// stream (the big stream and, when enabled, the small one), where others
// get it with OnRecvSEIMsg in step with the frame (sendSEIMsg). It shares
// the budget of SendCustomCmdMsg: each repeat counts as one message of
// len(data) bytes. It returns false, counting the refusal in MessageStats,
// outside a room (−100005), for audience members (6001), for data of 0 or
// more than 1000 bytes or repeatCount < 1 (−2), without custom video
// capture of the big stream to carry it, over the budget, or with
// MaxPendingSEIMsgs already waiting (−3).
func (c *Cloud) SendSEIMsg(data []byte, repeatCount int) bool {
	c.mu.Lock()
	s := c.sess
	inRoom := s != nil && s.state == sInRoom
	audience := inRoom && s.role == RoleAudience
	c.mu.Unlock()
	cm := &c.mediaState
	cm.mu.Lock()
	video := cm.video[StreamBig] && !cm.muteVideo[StreamBig]
	small := cm.video[StreamSmall]
	cm.mu.Unlock()
	ms := &c.msgs
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if inRoom && ms.sess != s {
		ms.resetLocked(s)
	}
	code := 0
	switch {
	case !inRoom:
		code = ErrCodeNotInRoom
	case audience:
		code = WarnCodeAudienceCannotSend
	case len(data) == 0 || len(data) > MaxCustomMsgBytes || repeatCount < 1:
		code = ErrCodeInvalidParameter
	case !video || len(ms.sei.items) >= MaxPendingSEIMsgs:
		code = ErrCodeRefused
	case repeatCount > MaxCustomMsgsPerSecond || !ms.budget.take(repeatCount, repeatCount*len(data), time.Now()):
		code = ErrCodeRefused
	}
	if code != 0 {
		ms.refuseLocked(code)
		return false
	}
	it := &seiItem{data: append([]byte(nil), data...)}
	it.left[StreamBig] = repeatCount
	if small {
		it.left[StreamSmall] = repeatCount
	}
	ms.sei.items = append(ms.sei.items, it)
	ms.stats.SEISent++
	return true
}

// attachSEI returns frame with the waiting SEI messages of streamType
// inside it, or frame itself when there are none.
func (ms *messenger) attachSEI(st StreamType, format VideoFormat, frame []byte) []byte {
	if st != StreamBig && st != StreamSmall {
		return frame
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	var msgs [][]byte
	for _, it := range ms.sei.items {
		if it.left[st] > 0 {
			msgs = append(msgs, it.data)
		}
	}
	if len(msgs) == 0 {
		return frame
	}
	var out []byte
	switch format {
	case VideoFormatH264:
		var ok bool
		if out, ok = insertH264SEI(frame, msgs); !ok {
			return frame // no slice to put it before: wait for the next frame
		}
	case VideoFormatVP8:
		out = appendSEITrailer(frame, msgs)
	default:
		return frame
	}
	kept := ms.sei.items[:0]
	for _, it := range ms.sei.items {
		if it.left[st] > 0 {
			it.left[st]--
		}
		if it.left[StreamBig] > 0 || it.left[StreamSmall] > 0 {
			kept = append(kept, it)
		}
	}
	clear(ms.sei.items[len(kept):])
	ms.sei.items = kept
	return out
}

// stripSEI removes our SEI messages from a received frame.
func stripSEI(format VideoFormat, frame []byte) ([]byte, [][]byte) {
	switch format {
	case VideoFormatH264:
		return stripH264SEI(frame)
	case VideoFormatVP8:
		return stripSEITrailer(frame)
	}
	return frame, nil
}

// deliverSEI reports a frame's SEI messages to the listener; the returned
// channel closes once it has (nil when there are none). The track's
// goroutine waits for it (awaitSEI) before rendering the frame.
func (m *mediaClient) deliverSEI(user string, msgs [][]byte) chan struct{} {
	if len(msgs) == 0 {
		return nil
	}
	ms := &m.c.msgs
	ms.mu.Lock()
	ms.stats.SEIReceived += uint64(len(msgs))
	ms.mu.Unlock()
	done := make(chan struct{})
	m.c.emit(func(l Listener) {
		defer close(done)
		for _, msg := range msgs {
			l.OnRecvSEIMsg(user, msg)
		}
	})
	return done
}

// awaitSEI waits until the SEI messages of the frame about to be rendered
// have been reported (or the session ends).
func (m *mediaClient) awaitSEI(done chan struct{}) {
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-m.stop:
	}
}

// H.264 NAL unit types (ITU-T H.264 Table 7-1) and the SEI payload type of
// user_data_unregistered (§D.1.7).
const (
	h264NALSEI          = 6
	seiUserDataUnregist = 5
)

// h264SEINAL builds one SEI NAL unit (header included, emulation
// prevention applied) holding a user_data_unregistered message per msg.
func h264SEINAL(msgs [][]byte) []byte {
	rbsp := []byte{h264NALSEI} // forbidden_zero_bit 0, nal_ref_idc 0
	ff := func(v int) {
		for ; v >= 255; v -= 255 {
			rbsp = append(rbsp, 0xff)
		}
		rbsp = append(rbsp, byte(v))
	}
	for _, m := range msgs {
		ff(seiUserDataUnregist)
		ff(len(seiUUID) + len(m))
		rbsp = append(rbsp, seiUUID[:]...)
		rbsp = append(rbsp, m...)
	}
	rbsp = append(rbsp, 0x80) // rbsp_trailing_bits
	return escapeRBSP(rbsp)
}

// escapeRBSP inserts emulation prevention bytes (H.264 §7.4.1): after two
// zero bytes, a byte of 0..3 is preceded by 0x03.
func escapeRBSP(rbsp []byte) []byte {
	out := make([]byte, 0, len(rbsp)+len(rbsp)/64+1)
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

// nalUnit locates one NAL unit of an Annex-B access unit: au[at:body] is its
// start code, au[body:end] the unit.
type nalUnit struct{ at, body, end int }

// annexBUnits lists the NAL units of an Annex-B access unit.
func annexBUnits(au []byte) []nalUnit {
	var units []nalUnit
	for i := 0; i+2 < len(au); {
		if au[i] != 0 || au[i+1] != 0 || au[i+2] != 1 {
			i++
			continue
		}
		at := i
		if at > 0 && au[at-1] == 0 {
			at--
		}
		if n := len(units); n > 0 {
			units[n-1].end = at
		}
		units = append(units, nalUnit{at: at, body: i + 3, end: len(au)})
		i += 3
	}
	// A unit's trailing zero bytes belong to the next start code.
	for k := range units {
		for units[k].end > units[k].body && k+1 < len(units) && au[units[k].end-1] == 0 {
			units[k].end--
		}
	}
	return units
}

// insertH264SEI puts an SEI NAL unit with msgs before the first slice of an
// Annex-B access unit. ok is false when the unit has no slice.
func insertH264SEI(au []byte, msgs [][]byte) ([]byte, bool) {
	for _, u := range annexBUnits(au) {
		if u.body >= u.end {
			continue
		}
		if t := au[u.body] & 0x1f; t >= 1 && t <= 5 {
			nal := h264SEINAL(msgs)
			out := make([]byte, 0, len(au)+len(nal)+4)
			out = append(out, au[:u.at]...)
			out = append(out, 0, 0, 0, 1)
			out = append(out, nal...)
			return append(out, au[u.at:]...), true
		}
	}
	return au, false
}

// stripH264SEI removes the SEI NAL units that hold only our messages and
// returns those messages. An SEI unit that also holds other messages is
// kept (ours are still reported).
func stripH264SEI(au []byte) ([]byte, [][]byte) {
	var msgs [][]byte
	var drop []nalUnit
	for _, u := range annexBUnits(au) {
		if u.body >= u.end || au[u.body]&0x1f != h264NALSEI {
			continue
		}
		ours, all := parseSEINAL(au[u.body:u.end])
		msgs = append(msgs, ours...)
		if all && len(ours) > 0 {
			drop = append(drop, u)
		}
	}
	if len(drop) == 0 {
		return au, msgs
	}
	out := make([]byte, 0, len(au))
	prev := 0
	for _, u := range drop {
		out = append(out, au[prev:u.at]...)
		prev = u.end
	}
	return append(out, au[prev:]...), msgs
}

// parseSEINAL reads an SEI NAL unit (header included, escaped). It returns
// the data of our user_data_unregistered messages and whether every message
// of the unit was one of ours. A malformed unit yields nothing.
func parseSEINAL(nal []byte) (ours [][]byte, all bool) {
	b := unescapeRBSP(nal)
	i := 1
	all = true
	ff := func() (int, bool) {
		v := 0
		for i < len(b) && b[i] == 0xff {
			v += 255
			i++
		}
		if i >= len(b) {
			return 0, false
		}
		v += int(b[i])
		i++
		return v, true
	}
	for i < len(b) {
		if b[i] == 0x80 && i == len(b)-1 {
			break // rbsp_trailing_bits
		}
		typ, ok := ff()
		if !ok {
			return nil, false
		}
		size, ok := ff()
		if !ok || size > len(b)-i {
			return nil, false
		}
		p := b[i : i+size]
		i += size
		if typ == seiUserDataUnregist && len(p) >= len(seiUUID) && bytes.Equal(p[:len(seiUUID)], seiUUID[:]) {
			ours = append(ours, append([]byte(nil), p[len(seiUUID):]...))
		} else {
			all = false
		}
	}
	return ours, all
}

// appendSEITrailer returns frame followed by the trailer carrying msgs.
func appendSEITrailer(frame []byte, msgs [][]byte) []byte {
	out := make([]byte, 0, len(frame)+seiFooterLen+len(msgs)*(2+MaxCustomMsgBytes))
	out = append(out, frame...)
	for _, m := range msgs {
		out = binary.BigEndian.AppendUint16(out, uint16(len(m)))
		out = append(out, m...)
	}
	out = append(out, byte(len(msgs)))
	out = binary.BigEndian.AppendUint16(out, uint16(len(out)-len(frame)+2+len(seiUUID)))
	return append(out, seiUUID[:]...)
}

// stripSEITrailer removes a well-formed trailer and returns its messages; a
// frame without one is returned as it is.
func stripSEITrailer(frame []byte) ([]byte, [][]byte) {
	n := len(frame)
	if n < seiFooterLen+1 || !bytes.Equal(frame[n-len(seiUUID):], seiUUID[:]) {
		return frame, nil
	}
	total := int(binary.BigEndian.Uint16(frame[n-len(seiUUID)-2:]))
	count := int(frame[n-seiFooterLen])
	if total < seiFooterLen || total >= n {
		return frame, nil
	}
	start := n - total
	msgs := make([][]byte, 0, count)
	i := start
	for range count {
		if i+2 > n-seiFooterLen {
			return frame, nil
		}
		l := int(binary.BigEndian.Uint16(frame[i:]))
		i += 2
		if l > n-seiFooterLen-i {
			return frame, nil
		}
		msgs = append(msgs, append([]byte(nil), frame[i:i+l]...))
		i += l
	}
	if i != n-seiFooterLen {
		return frame, nil
	}
	return frame[:start], msgs
}
