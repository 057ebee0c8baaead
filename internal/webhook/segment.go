package webhook

import (
	"encoding/binary"
	"errors"
	"hash/crc32"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// The outbox is a directory of segment files, each a header followed by
// records:
//
//	header: "RTCWHOB1" | instance u64 | base LSN u64 | CRC-32C of the 24 bytes before (u32)
//	record: payload length u32 | CRC-32C of the payload (u32) | payload
//	payload of an event: 1 | LSN u64 | SDKAppID u32 | EventType u16 | EventInfo JSON
//	payload of an ack:   2 | LSN u64 of the event delivered or given up
//
// Integers are little-endian. A record is valid when its length is within
// maxRecordBytes, its bytes are all there and its checksum matches; reading
// stops at the first invalid record (a write torn by a crash).
const (
	segMagic       = "RTCWHOB1"
	segHeaderBytes = 8 + 8 + 8 + 4
	recHeaderBytes = 8
	// maxRecordBytes caps one record's payload. A stored event is a few
	// hundred bytes (userId ≤ 32, strRoomId ≤ 64); anything longer is
	// refused on append and read as corruption.
	maxRecordBytes = 4096

	kindEvent byte = 1
	kindAck   byte = 2

	eventFixedBytes = 1 + 8 + 4 + 2
	ackBytes        = 1 + 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	errBadHeader = errors.New("webhook: bad segment header")
)

// segHeader is the first bytes of a segment file.
type segHeader struct {
	instance uint64 // random id of this outbox, part of every EventId
	base     uint64 // the LSN of the first event written to the segment
}

func (h segHeader) encode() []byte {
	b := make([]byte, segHeaderBytes)
	copy(b, segMagic)
	binary.LittleEndian.PutUint64(b[8:], h.instance)
	binary.LittleEndian.PutUint64(b[16:], h.base)
	binary.LittleEndian.PutUint32(b[24:], crc32.Checksum(b[:24], castagnoli))
	return b
}

func decodeHeader(b []byte) (segHeader, error) {
	if len(b) < segHeaderBytes || string(b[:8]) != segMagic ||
		binary.LittleEndian.Uint32(b[24:]) != crc32.Checksum(b[:24], castagnoli) {
		return segHeader{}, errBadHeader
	}
	return segHeader{instance: binary.LittleEndian.Uint64(b[8:]), base: binary.LittleEndian.Uint64(b[16:])}, nil
}

// record is one decoded record. info aliases the buffer it was parsed from.
type record struct {
	kind byte
	lsn  uint64
	app  trtc.SDKAppID
	typ  EventType
	info []byte
}

// appendRecord appends the framed record r to b.
func appendRecord(b []byte, r *record) []byte {
	start := len(b)
	b = append(b, make([]byte, recHeaderBytes)...)
	b = append(b, r.kind)
	b = binary.LittleEndian.AppendUint64(b, r.lsn)
	if r.kind == kindEvent {
		b = binary.LittleEndian.AppendUint32(b, uint32(r.app))
		b = binary.LittleEndian.AppendUint16(b, uint16(r.typ))
		b = append(b, r.info...)
	}
	payload := b[start+recHeaderBytes:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(payload, castagnoli))
	return b
}

// decodePayload checks the shape of a payload whose checksum matched.
func decodePayload(p []byte) (record, bool) {
	if len(p) < ackBytes {
		return record{}, false
	}
	r := record{kind: p[0], lsn: binary.LittleEndian.Uint64(p[1:])}
	switch r.kind {
	case kindAck:
		return r, len(p) == ackBytes && r.lsn != 0
	case kindEvent:
		if len(p) <= eventFixedBytes {
			return record{}, false
		}
		r.app = trtc.SDKAppID(binary.LittleEndian.Uint32(p[9:]))
		r.typ = EventType(binary.LittleEndian.Uint16(p[13:]))
		r.info = p[eventFixedBytes:]
		return r, r.lsn != 0 && r.typ.Valid()
	}
	return record{}, false
}

// parseRecords decodes the records that follow a segment header. It returns
// them with the length of the valid prefix of data; the prefix is all of
// data unless a record is torn or corrupt.
func parseRecords(data []byte) (recs []record, valid int) {
	for off := 0; ; {
		rest := data[off:]
		if len(rest) < recHeaderBytes {
			return recs, off
		}
		n := int(binary.LittleEndian.Uint32(rest))
		if n == 0 || n > maxRecordBytes || len(rest) < recHeaderBytes+n {
			return recs, off
		}
		payload := rest[recHeaderBytes : recHeaderBytes+n]
		if binary.LittleEndian.Uint32(rest[4:]) != crc32.Checksum(payload, castagnoli) {
			return recs, off
		}
		r, ok := decodePayload(payload)
		if !ok {
			return recs, off
		}
		recs = append(recs, r)
		off += recHeaderBytes + n
	}
}
