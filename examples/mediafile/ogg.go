package mediafile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Ogg pages (RFC 3533 §6): a 27-byte header, a segment table, then the
// segments. Packets are split into 255-byte segments; a segment shorter
// than 255 ends a packet, and a packet may continue on the next page.
const (
	oggHeaderSize = 27
	oggMaxSegs    = 255

	oggContinued = 0x01
	oggBOS       = 0x02
	oggEOS       = 0x04

	// oggNoGranule marks a page on which no packet ends.
	oggNoGranule = ^uint64(0)
)

// oggCRC is the CRC-32 of Ogg pages: polynomial 0x04c11db7, MSB first,
// initial value 0, no final XOR (RFC 3533 §6, "CRC checksum"). It is not
// the reflected IEEE CRC of hash/crc32.
var oggCRCTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

func oggCRC(crc uint32, b []byte) uint32 {
	for _, c := range b {
		crc = crc<<8 ^ oggCRCTable[byte(crc>>24)^c]
	}
	return crc
}

// OggReader returns the packets of the first logical stream in an Ogg
// file; pages of other streams (multiplexed or chained) are skipped.
type OggReader struct {
	r       *bufio.Reader
	serial  uint32
	started bool
	ended   bool     // the stream's EOS page was read
	partial []byte   // a packet continued on the next page
	skip    bool     // drop the continued packet: its start was lost
	queue   [][]byte // complete packets of the last page
	hdr     [oggHeaderSize]byte
}

// NewOggReader returns a reader of the packets in r.
func NewOggReader(r io.Reader) *OggReader {
	return &OggReader{r: bufio.NewReader(r)}
}

// Next returns the next packet of the stream, or io.EOF after its last.
func (o *OggReader) Next() ([]byte, error) {
	for len(o.queue) == 0 {
		if o.ended {
			return nil, io.EOF
		}
		if err := o.readPage(); err != nil {
			return nil, err
		}
	}
	p := o.queue[0]
	o.queue = o.queue[1:]
	return p, nil
}

func (o *OggReader) readPage() error {
	if _, err := io.ReadFull(o.r, o.hdr[:]); err != nil {
		if err == io.EOF && len(o.partial) == 0 {
			return io.EOF // files without an EOS page end here
		}
		return fmt.Errorf("ogg page header: %w", noEOF(err))
	}
	h := o.hdr[:]
	if string(h[0:4]) != "OggS" || h[4] != 0 {
		return ErrNotOgg
	}
	flags := h[5]
	serial := binary.LittleEndian.Uint32(h[14:])
	want := binary.LittleEndian.Uint32(h[22:])
	nsegs := int(h[26])
	var lacing [oggMaxSegs]byte
	if _, err := io.ReadFull(o.r, lacing[:nsegs]); err != nil {
		return fmt.Errorf("ogg segment table: %w", noEOF(err))
	}
	size := 0
	for _, l := range lacing[:nsegs] {
		size += int(l)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(o.r, body); err != nil {
		return fmt.Errorf("ogg page body: %w", noEOF(err))
	}
	crc := oggCRC(0, h[:22])
	crc = oggCRC(crc, []byte{0, 0, 0, 0})
	crc = oggCRC(crc, h[26:27])
	crc = oggCRC(crc, lacing[:nsegs])
	if oggCRC(crc, body) != want {
		return ErrBadChecksum
	}

	if !o.started {
		o.started, o.serial = true, serial
	} else if serial != o.serial {
		return nil
	}
	if flags&oggContinued == 0 && len(o.partial) > 0 {
		o.partial = o.partial[:0] // the rest of that packet never came
	}
	if flags&oggContinued != 0 && len(o.partial) == 0 {
		o.skip = true // we never saw how the packet began
	}
	off := 0
	for _, l := range lacing[:nsegs] {
		o.partial = append(o.partial, body[off:off+int(l)]...)
		off += int(l)
		if len(o.partial) > MaxFrameSize {
			return fmt.Errorf("%w: Ogg packet over %d bytes", ErrTooLarge, MaxFrameSize)
		}
		if l < 255 {
			if !o.skip {
				o.queue = append(o.queue, bytes.Clone(o.partial))
			}
			o.partial, o.skip = o.partial[:0], false
		}
	}
	if flags&oggEOS != 0 {
		o.ended = true
	}
	return nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// OpusHead is the identification header of an Ogg Opus stream
// (RFC 7845 §5.1).
type OpusHead struct {
	Version    byte
	Channels   int
	PreSkip    int // 48 kHz samples to drop from the decoder's output
	InputRate  uint32
	OutputGain int16 // Q7.8 dB
	Mapping    byte  // channel mapping family
}

// OpusPacket is one Opus packet of an Ogg Opus stream.
type OpusPacket struct {
	Data    []byte
	Samples int           // duration in 48 kHz samples
	Time    time.Duration // start time: the duration of the packets before it
}

// OpusReader reads the audio packets of an Ogg Opus file (RFC 7845),
// after its OpusHead and OpusTags headers.
type OpusReader struct {
	ogg   *OggReader
	head  OpusHead
	total int64 // samples before the next packet
}

// NewOpusReader reads the two header packets and returns a reader
// positioned at the first audio packet.
func NewOpusReader(r io.Reader) (*OpusReader, error) {
	o := NewOggReader(r)
	p, err := o.Next()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotOpus, err)
	}
	if len(p) < 19 || string(p[:8]) != "OpusHead" || p[8]>>4 != 0 || p[9] == 0 {
		return nil, fmt.Errorf("%w: bad OpusHead", ErrNotOpus)
	}
	head := OpusHead{
		Version:    p[8],
		Channels:   int(p[9]),
		PreSkip:    int(binary.LittleEndian.Uint16(p[10:])),
		InputRate:  binary.LittleEndian.Uint32(p[12:]),
		OutputGain: int16(binary.LittleEndian.Uint16(p[16:])),
		Mapping:    p[18],
	}
	// OpusTags (§5.2) holds only metadata; it may span several pages,
	// which the Ogg reader has already joined.
	p, err = o.Next()
	if err != nil || len(p) < 8 || string(p[:8]) != "OpusTags" {
		return nil, fmt.Errorf("%w: no OpusTags", ErrNotOpus)
	}
	return &OpusReader{ogg: o, head: head}, nil
}

// Head returns the identification header.
func (r *OpusReader) Head() OpusHead { return r.head }

// Next returns the next audio packet, or io.EOF. A packet that is not
// valid Opus is ErrInvalidOpusPacket.
func (r *OpusReader) Next() (OpusPacket, error) {
	for {
		p, err := r.ogg.Next()
		if err != nil {
			return OpusPacket{}, err
		}
		if len(p) == 0 {
			continue // an empty packet carries nothing to send
		}
		n := OpusPacketSamples(p)
		if n == 0 {
			return OpusPacket{}, fmt.Errorf("%w: TOC %#02x, %d bytes", ErrInvalidOpusPacket, p[0], len(p))
		}
		pkt := OpusPacket{Data: p, Samples: n, Time: time.Duration(r.total) * time.Second / opusRate}
		r.total += int64(n)
		return pkt, nil
	}
}

// OggOpusWriter writes an Ogg Opus file (RFC 7845) one packet at a time,
// one packet per page, with granule positions counted from the packets'
// own durations.
type OggOpusWriter struct {
	w       *bufio.Writer
	serial  uint32
	seq     uint32
	preSkip int
	granule uint64 // end of the last written packet, pre-skip included
	pending []byte // the last packet, held back so that it can carry EOS
	packets int
	samples int64
	closed  bool
}

// DefaultPreSkip is the pre-skip written for streams whose encoder is not
// known: 6.5 ms, the look-ahead of libopus, which nearly every WebRTC
// sender uses (RFC 7845 §4.2 recommends at least 80 ms only for seeking).
const DefaultPreSkip = 312

// NewOggOpusWriter writes the OpusHead and OpusTags pages for a stream of
// the given channel count (1 or 2) and pre-skip.
func NewOggOpusWriter(w io.Writer, channels, preSkip int) (*OggOpusWriter, error) {
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("mediafile: Ogg Opus with %d channels needs a mapping table", channels)
	}
	ow := &OggOpusWriter{w: bufio.NewWriter(w), serial: rand.Uint32(), preSkip: preSkip}
	head := make([]byte, 19)
	copy(head, "OpusHead")
	head[8] = 1 // version
	head[9] = byte(channels)
	binary.LittleEndian.PutUint16(head[10:], uint16(preSkip))
	binary.LittleEndian.PutUint32(head[12:], opusRate) // input rate: informative only
	// Output gain 0 and mapping family 0 (mono or stereo) are zero bytes.
	if err := ow.writePacket(head, 0, oggBOS); err != nil {
		return nil, err
	}
	vendor := "rtcengine"
	tags := make([]byte, 0, 8+4+len(vendor)+4)
	tags = append(tags, "OpusTags"...)
	tags = binary.LittleEndian.AppendUint32(tags, uint32(len(vendor)))
	tags = append(tags, vendor...)
	tags = binary.LittleEndian.AppendUint32(tags, 0) // no comments
	if err := ow.writePacket(tags, 0, 0); err != nil {
		return nil, err
	}
	ow.granule = uint64(preSkip)
	return ow, nil
}

// WritePacket appends one Opus packet. Its duration comes from its TOC
// byte; a packet that is not valid Opus is refused with
// ErrInvalidOpusPacket and nothing is written.
func (ow *OggOpusWriter) WritePacket(pkt []byte) error {
	if ow.closed {
		return ErrClosed
	}
	if OpusPacketSamples(pkt) == 0 {
		return ErrInvalidOpusPacket
	}
	if err := ow.flushPending(0); err != nil {
		return err
	}
	ow.pending = bytes.Clone(pkt)
	return nil
}

// Packets returns how many audio packets were written.
func (ow *OggOpusWriter) Packets() int { return ow.packets + min(len(ow.pending), 1) }

// Duration returns the audio written so far.
func (ow *OggOpusWriter) Duration() time.Duration {
	n := ow.samples + int64(OpusPacketSamples(ow.pending))
	return time.Duration(n) * time.Second / opusRate
}

func (ow *OggOpusWriter) flushPending(flags byte) error {
	if ow.pending == nil {
		return nil
	}
	n := OpusPacketSamples(ow.pending)
	ow.granule += uint64(n)
	ow.samples += int64(n)
	ow.packets++
	p := ow.pending
	ow.pending = nil
	return ow.writePacket(p, ow.granule, flags)
}

// Close writes the last page, marked end of stream, and flushes. It does
// not close the destination.
func (ow *OggOpusWriter) Close() error {
	if ow.closed {
		return nil
	}
	ow.closed = true
	var err error
	if ow.pending != nil {
		err = ow.flushPending(oggEOS)
	} else {
		// No audio: an empty page ends the stream.
		err = ow.writePage(nil, nil, ow.granule, oggEOS)
	}
	if ferr := ow.w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// writePacket lays one packet out on as many pages as its segments need;
// only the page on which it ends carries its granule position.
func (ow *OggOpusWriter) writePacket(p []byte, granule uint64, flags byte) error {
	// A packet of n bytes takes n/255 full segments and one shorter one
	// (possibly empty) that ends it.
	nsegs := len(p)/255 + 1
	cont := byte(0)
	for nsegs > 0 {
		k := min(nsegs, oggMaxSegs)
		lacing := make([]byte, k)
		size := 0
		for i := range lacing {
			l := min(len(p)-size, 255)
			lacing[i] = byte(l)
			size += l
		}
		nsegs -= k
		g, f := oggNoGranule, cont|flags&^oggEOS
		if nsegs == 0 {
			g, f = granule, cont|flags
		}
		if err := ow.writePage(lacing, p[:size], g, f); err != nil {
			return err
		}
		p = p[size:]
		cont, flags = oggContinued, flags&^oggBOS
	}
	return nil
}

func (ow *OggOpusWriter) writePage(lacing, body []byte, granule uint64, flags byte) error {
	h := make([]byte, oggHeaderSize, oggHeaderSize+len(lacing))
	copy(h, "OggS")
	h[5] = flags
	binary.LittleEndian.PutUint64(h[6:], granule)
	binary.LittleEndian.PutUint32(h[14:], ow.serial)
	binary.LittleEndian.PutUint32(h[18:], ow.seq)
	h[26] = byte(len(lacing))
	h = append(h, lacing...)
	binary.LittleEndian.PutUint32(h[22:], oggCRC(oggCRC(0, h), body))
	ow.seq++
	if _, err := ow.w.Write(h); err != nil {
		return err
	}
	_, err := ow.w.Write(body)
	return err
}
