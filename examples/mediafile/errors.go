package mediafile

import "errors"

// Errors returned by the readers and writers; test with errors.Is.
var (
	// ErrNotIVF: the stream does not start with an IVF file header.
	ErrNotIVF = errors.New("mediafile: not an IVF file")
	// ErrNotOgg: a page does not start with the Ogg capture pattern or has
	// an unknown version.
	ErrNotOgg = errors.New("mediafile: not an Ogg stream")
	// ErrBadChecksum: an Ogg page's CRC does not match its contents.
	ErrBadChecksum = errors.New("mediafile: Ogg page checksum mismatch")
	// ErrNotOpus: the Ogg stream does not carry Opus (no OpusHead and
	// OpusTags headers).
	ErrNotOpus = errors.New("mediafile: not an Ogg Opus stream")
	// ErrInvalidOpusPacket: a packet whose TOC byte (RFC 6716 §3.1) does not
	// describe a valid Opus packet.
	ErrInvalidOpusPacket = errors.New("mediafile: invalid Opus packet")
	// ErrTooLarge: a frame, NAL unit or packet larger than the readers
	// accept (MaxFrameSize).
	ErrTooLarge = errors.New("mediafile: frame too large")
	// ErrClosed: a write after Close.
	ErrClosed = errors.New("mediafile: writer closed")
)

// MaxFrameSize bounds what the readers allocate for one frame, NAL unit or
// Ogg packet, so that a corrupt length field cannot exhaust memory.
const MaxFrameSize = 16 << 20
