package mediafile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// H.264 NAL unit types (ITU-T H.264 Table 7-1) that matter for finding
// access unit boundaries.
const (
	nalSlice    = 1
	nalIDR      = 5
	nalSEI      = 6
	nalSPS      = 7
	nalPPS      = 8
	nalAUD      = 9
	nalPrefix   = 14
	nalReserved = 18
)

var startCode = []byte{0, 0, 1}

// NALReader splits an H.264 Annex-B byte stream (ITU-T H.264 Annex B) into
// NAL units: each is preceded by a 3- or 4-byte start code; zero bytes
// before a start code belong to it, not to the NAL unit.
type NALReader struct {
	r     io.Reader
	buf   []byte
	start int  // where the current NAL unit's bytes begin in buf; -1 before the first start code
	scan  int  // where to resume looking for the next start code
	eof   bool // r is exhausted
	chunk int
}

// NewNALReader returns a reader of the NAL units in r.
func NewNALReader(r io.Reader) *NALReader {
	return &NALReader{r: r, start: -1, chunk: 64 << 10}
}

// Next returns the next NAL unit (without start code), or io.EOF. Bytes
// before the first start code are skipped. The slice is the caller's.
func (n *NALReader) Next() ([]byte, error) {
	for {
		if n.start < 0 {
			if i := bytes.Index(n.buf, startCode); i >= 0 {
				n.start, n.scan = i+3, i+3
			} else if n.eof {
				return nil, io.EOF
			} else {
				// Keep two bytes: a start code may straddle reads.
				if len(n.buf) > 2 {
					n.buf = append(n.buf[:0], n.buf[len(n.buf)-2:]...)
				}
				if err := n.fill(); err != nil {
					return nil, err
				}
				continue
			}
		}
		if i := bytes.Index(n.buf[n.scan:], startCode); i >= 0 {
			end := n.scan + i
			nal := trimZeros(n.buf[n.start:end])
			n.start, n.scan = end+3, end+3
			if len(nal) == 0 {
				continue // two start codes in a row
			}
			return bytes.Clone(nal), nil
		}
		if n.eof {
			nal := trimZeros(n.buf[n.start:])
			n.buf, n.start, n.scan = n.buf[:0], 0, 0
			if len(nal) == 0 {
				return nil, io.EOF
			}
			n.start = len(n.buf)
			return bytes.Clone(nal), nil
		}
		if len(n.buf)-n.start > MaxFrameSize {
			return nil, fmt.Errorf("%w: NAL unit over %d bytes", ErrTooLarge, MaxFrameSize)
		}
		// Move the unfinished NAL unit to the front, then read more.
		kept := copy(n.buf, n.buf[n.start:])
		n.buf = n.buf[:kept]
		n.scan = max(kept-2, 0)
		n.start = 0
		if err := n.fill(); err != nil {
			return nil, err
		}
	}
}

func (n *NALReader) fill() error {
	if cap(n.buf)-len(n.buf) < n.chunk {
		nb := make([]byte, len(n.buf), 2*cap(n.buf)+n.chunk)
		copy(nb, n.buf)
		n.buf = nb
	}
	k, err := n.r.Read(n.buf[len(n.buf):cap(n.buf)])
	n.buf = n.buf[:len(n.buf)+k]
	switch {
	case errors.Is(err, io.EOF):
		n.eof = true
	case err != nil:
		return err
	}
	return nil
}

// trimZeros drops trailing zero bytes: the leading zero of a 4-byte start
// code or trailing_zero_8bits; a NAL unit never ends in a zero byte.
func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// AccessUnit is one coded picture with the parameter sets and SEI that
// precede it, in Annex-B form with 4-byte start codes: what
// SendCustomVideoData takes as one H.264 frame.
type AccessUnit struct {
	Data     []byte
	Keyframe bool // holds an IDR slice
}

// AccessUnitReader groups the NAL units of an Annex-B stream into access
// units.
type AccessUnitReader struct {
	nals    *NALReader
	pending []byte // a NAL unit that starts the next access unit
	done    bool
}

// NewAccessUnitReader returns a reader of the access units in r.
func NewAccessUnitReader(r io.Reader) *AccessUnitReader {
	return &AccessUnitReader{nals: NewNALReader(r)}
}

// Next returns the next access unit, or io.EOF. NAL units after the last
// picture (no slice follows them) are dropped.
//
// A new access unit starts, once the current one holds a slice, at an
// access unit delimiter, SPS, PPS, SEI or NAL types 14–18, or at a slice
// whose first_mb_in_slice is 0 (H.264 §7.4.1.2.3–§7.4.1.2.4). Streams with
// arbitrary slice order are not supported.
func (a *AccessUnitReader) Next() (AccessUnit, error) {
	var au AccessUnit
	haveSlice := false
	add := func(nal []byte) {
		au.Data = append(au.Data, 0, 0, 0, 1)
		au.Data = append(au.Data, nal...)
		t := nal[0] & 0x1f
		if t >= nalSlice && t <= nalIDR {
			haveSlice = true
		}
		if t == nalIDR {
			au.Keyframe = true
		}
	}
	if a.pending != nil {
		add(a.pending)
		a.pending = nil
	}
	for !a.done {
		nal, err := a.nals.Next()
		if err == io.EOF {
			a.done = true
			break
		}
		if err != nil {
			return AccessUnit{}, err
		}
		if haveSlice && startsAccessUnit(nal) {
			a.pending = nal
			return au, nil
		}
		add(nal)
		if len(au.Data) > MaxFrameSize {
			return AccessUnit{}, fmt.Errorf("%w: access unit over %d bytes", ErrTooLarge, MaxFrameSize)
		}
	}
	if !haveSlice {
		return AccessUnit{}, io.EOF
	}
	return au, nil
}

// startsAccessUnit reports whether nal begins a new access unit when the
// current one already holds a slice.
func startsAccessUnit(nal []byte) bool {
	switch t := nal[0] & 0x1f; {
	case t == nalAUD, t == nalSPS, t == nalPPS, t == nalSEI, t >= nalPrefix && t <= nalReserved:
		return true
	case t >= nalSlice && t <= nalIDR:
		// first_mb_in_slice is the slice header's first field, ue(v);
		// the value 0 is coded as a single 1 bit.
		return len(nal) > 1 && nal[1]&0x80 != 0
	}
	return false
}
