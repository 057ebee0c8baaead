package mediafile

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// IVF is the simple container libvpx's tools write: a 32-byte file header,
// then for each frame a 12-byte header (size, presentation timestamp) and
// the frame. Layout: https://wiki.multimedia.cx/index.php/IVF
const (
	ivfFileHeaderSize  = 32
	ivfFrameHeaderSize = 12
)

// IVFHeader is an IVF file header.
type IVFHeader struct {
	FourCC string // "VP80" for VP8
	Width  int
	Height int
	// The time base of frame timestamps is TimebaseNum/TimebaseDen seconds.
	TimebaseNum uint32
	TimebaseDen uint32
	// Length is the header's bytes 24–27: libvpx writes the number of
	// frames there, ffmpeg the duration in time-base units.
	Length uint32
}

// IVFFrame is one frame of an IVF file.
type IVFFrame struct {
	Data []byte
	PTS  uint64        // in time-base units
	Time time.Duration // PTS in time
}

// IVFReader reads the frames of an IVF file.
type IVFReader struct {
	r      io.Reader
	header IVFHeader
	fh     [ivfFrameHeaderSize]byte
}

// NewIVFReader reads the file header and returns a reader positioned at the
// first frame.
func NewIVFReader(r io.Reader) (*IVFReader, error) {
	var b [ivfFileHeaderSize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrNotIVF, err)
	}
	if string(b[0:4]) != "DKIF" {
		return nil, ErrNotIVF
	}
	hlen := int(binary.LittleEndian.Uint16(b[6:]))
	h := IVFHeader{
		FourCC:      string(b[8:12]),
		Width:       int(binary.LittleEndian.Uint16(b[12:])),
		Height:      int(binary.LittleEndian.Uint16(b[14:])),
		TimebaseDen: binary.LittleEndian.Uint32(b[16:]),
		TimebaseNum: binary.LittleEndian.Uint32(b[20:]),
		Length:      binary.LittleEndian.Uint32(b[24:]),
	}
	if hlen < ivfFileHeaderSize || h.TimebaseDen == 0 || h.TimebaseNum == 0 {
		return nil, fmt.Errorf("%w: header size %d, time base %d/%d", ErrNotIVF, hlen, h.TimebaseNum, h.TimebaseDen)
	}
	// Later versions may grow the header; skip what we do not know.
	if _, err := io.CopyN(io.Discard, r, int64(hlen-ivfFileHeaderSize)); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrNotIVF, err)
	}
	return &IVFReader{r: r, header: h}, nil
}

// Header returns the file header.
func (r *IVFReader) Header() IVFHeader { return r.header }

// Next returns the next frame, or io.EOF after the last one. A frame cut
// short by the end of the file is io.ErrUnexpectedEOF.
func (r *IVFReader) Next() (IVFFrame, error) {
	if _, err := io.ReadFull(r.r, r.fh[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return IVFFrame{}, fmt.Errorf("ivf frame header: %w", err)
		}
		return IVFFrame{}, err // io.EOF: a clean end
	}
	size := binary.LittleEndian.Uint32(r.fh[0:])
	if size > MaxFrameSize {
		return IVFFrame{}, fmt.Errorf("%w: IVF frame of %d bytes", ErrTooLarge, size)
	}
	f := IVFFrame{Data: make([]byte, size), PTS: binary.LittleEndian.Uint64(r.fh[4:])}
	if _, err := io.ReadFull(r.r, f.Data); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return IVFFrame{}, fmt.Errorf("ivf frame: %w", err)
	}
	f.Time = r.header.duration(f.PTS)
	return f, nil
}

// duration converts time-base units to time without overflowing for any
// timestamp a real file holds.
func (h IVFHeader) duration(units uint64) time.Duration {
	ns := float64(units) * float64(h.TimebaseNum) / float64(h.TimebaseDen) * float64(time.Second)
	return time.Duration(ns)
}

// VP8Keyframe reports whether frame is a VP8 key frame and, if so, the
// picture size in its uncompressed header (RFC 6386 §9.1).
func VP8Keyframe(frame []byte) (key bool, width, height int) {
	if len(frame) < 10 || frame[0]&0x01 != 0 {
		return false, 0, 0
	}
	if frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return false, 0, 0 // a key frame always carries the start code
	}
	width = int(binary.LittleEndian.Uint16(frame[6:]) & 0x3fff)
	height = int(binary.LittleEndian.Uint16(frame[8:]) & 0x3fff)
	return true, width, height
}

// IVFWriter writes an IVF file. Timestamps are milliseconds (a 1/1000 time
// base), which is what the SDK's frames carry.
type IVFWriter struct {
	dst    io.Writer
	w      *bufio.Writer
	frames uint32
	first  uint64
	last   uint64
	fh     [ivfFrameHeaderSize]byte
	closed bool
}

// NewIVFWriter writes the file header for a stream of fourcc ("VP80")
// frames of the given size.
func NewIVFWriter(w io.Writer, fourcc string, width, height int) (*IVFWriter, error) {
	if len(fourcc) != 4 {
		return nil, fmt.Errorf("mediafile: IVF fourcc %q is not 4 bytes", fourcc)
	}
	var b [ivfFileHeaderSize]byte
	copy(b[0:], "DKIF")
	binary.LittleEndian.PutUint16(b[4:], 0) // version
	binary.LittleEndian.PutUint16(b[6:], ivfFileHeaderSize)
	copy(b[8:], fourcc)
	binary.LittleEndian.PutUint16(b[12:], uint16(width))
	binary.LittleEndian.PutUint16(b[14:], uint16(height))
	binary.LittleEndian.PutUint32(b[16:], 1000) // time base 1/1000 s
	binary.LittleEndian.PutUint32(b[20:], 1)
	iw := &IVFWriter{dst: w, w: bufio.NewWriter(w)}
	if _, err := iw.w.Write(b[:]); err != nil {
		return nil, err
	}
	return iw, nil
}

// WriteFrame appends one frame with its timestamp in milliseconds; the
// file's timestamps start at zero.
func (iw *IVFWriter) WriteFrame(data []byte, ms uint64) error {
	if iw.closed {
		return ErrClosed
	}
	if iw.frames == 0 {
		iw.first = ms
	}
	pts := ms - iw.first
	if ms < iw.first {
		pts = 0
	}
	binary.LittleEndian.PutUint32(iw.fh[0:], uint32(len(data)))
	binary.LittleEndian.PutUint64(iw.fh[4:], pts)
	if _, err := iw.w.Write(iw.fh[:]); err != nil {
		return err
	}
	if _, err := iw.w.Write(data); err != nil {
		return err
	}
	iw.frames++
	iw.last = pts
	return nil
}

// Frames returns how many frames were written.
func (iw *IVFWriter) Frames() int { return int(iw.frames) }

// Close flushes the file and, when the destination can seek, fills in the
// header's length field. It does not close the destination.
//
// The field holds the duration in time-base units, as ffmpeg writes and
// reads it (its demuxer reports it as the stream's duration); libvpx's own
// tools read frames until the end of the file and ignore it.
func (iw *IVFWriter) Close() error {
	if iw.closed {
		return nil
	}
	iw.closed = true
	if err := iw.w.Flush(); err != nil {
		return err
	}
	ws, ok := iw.dst.(io.WriteSeeker)
	if !ok || iw.frames == 0 {
		return nil
	}
	length := uint64(1)
	if iw.frames > 1 {
		// The last frame lasts as long as the average one.
		length = iw.last * uint64(iw.frames) / uint64(iw.frames-1)
	}
	end, err := ws.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil // not really seekable (a pipe): the field stays 0
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(length))
	if _, err := ws.Seek(24, io.SeekStart); err != nil {
		return err
	}
	if _, err := ws.Write(b[:]); err != nil {
		return err
	}
	_, err = ws.Seek(end, io.SeekStart)
	return err
}
