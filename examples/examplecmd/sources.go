package examplecmd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rtcengine/rtcengine/examples/mediafile"
	"github.com/rtcengine/rtcengine/rtc"
)

// frame is one video frame or audio packet of a file, at its time in the
// clip.
type frame struct {
	at     time.Duration
	dur    time.Duration // known for audio; 0 for video (it lasts until the next)
	data   []byte
	key    bool
	width  int
	height int
}

// source is a file's frames in order; Next returns io.EOF at the end.
type source interface {
	Next() (frame, error)
	Close() error
}

// openVideo opens an IVF (VP8) or H.264 Annex-B file, telling them apart
// by their first bytes. Annex-B has no timing: frames are fps apart.
func openVideo(path string, fps float64) (source, rtc.VideoFormat, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	magic, _ := br.Peek(4)
	switch {
	case bytes.Equal(magic, []byte("DKIF")):
		r, err := mediafile.NewIVFReader(br)
		if err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
		if h := r.Header(); h.FourCC != "VP80" {
			f.Close()
			return nil, 0, fmt.Errorf("%s: IVF with %q frames; only VP8 (VP80) is supported", path, h.FourCC)
		}
		return &ivfSource{f: f, r: r}, rtc.VideoFormatVP8, nil
	case bytes.HasPrefix(magic, []byte{0, 0, 1}), bytes.HasPrefix(magic, []byte{0, 0, 0, 1}):
		if fps <= 0 {
			f.Close()
			return nil, 0, errors.New("--fps must be positive")
		}
		return &annexBSource{f: f, r: mediafile.NewAccessUnitReader(br), interval: time.Duration(float64(time.Second) / fps)}, rtc.VideoFormatH264, nil
	}
	f.Close()
	return nil, 0, fmt.Errorf("%s: neither IVF nor H.264 Annex-B", path)
}

type ivfSource struct {
	f *os.File
	r *mediafile.IVFReader
}

func (s *ivfSource) Next() (frame, error) {
	fr, err := s.r.Next()
	if err != nil {
		return frame{}, err
	}
	key, w, h := mediafile.VP8Keyframe(fr.Data)
	return frame{at: fr.Time, data: fr.Data, key: key, width: w, height: h}, nil
}

func (s *ivfSource) Close() error { return s.f.Close() }

type annexBSource struct {
	f        *os.File
	r        *mediafile.AccessUnitReader
	interval time.Duration
	n        int
}

func (s *annexBSource) Next() (frame, error) {
	au, err := s.r.Next()
	if err != nil {
		return frame{}, err
	}
	fr := frame{at: time.Duration(s.n) * s.interval, data: au.Data, key: au.Keyframe}
	s.n++
	return fr, nil
}

func (s *annexBSource) Close() error { return s.f.Close() }

// openAudio opens an Ogg Opus file.
func openAudio(path string) (source, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	r, err := mediafile.NewOpusReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return &opusSource{f: f, r: r}, r.Head().Channels, nil
}

type opusSource struct {
	f *os.File
	r *mediafile.OpusReader
}

func (s *opusSource) Next() (frame, error) {
	p, err := s.r.Next()
	if err != nil {
		return frame{}, err
	}
	return frame{at: p.Time, dur: time.Duration(p.Samples) * time.Second / 48000, data: p.Data}, nil
}

func (s *opusSource) Close() error { return s.f.Close() }

// looper plays a file once, or again and again with --loop: each pass
// continues the clock where the previous one ended.
type looper struct {
	open   func() (source, error)
	src    source
	loop   bool
	offset time.Duration // start of the current pass
	prev   frame         // the last frame returned, in file time
	prevAt time.Duration // the one before it, to guess a video frame's length
	n      int           // frames in the current pass
	passes int
}

func newLooper(src source, open func() (source, error), loop bool) *looper {
	return &looper{open: open, src: src, loop: loop}
}

func (l *looper) Next() (frame, error) {
	for {
		f, err := l.src.Next()
		if err == nil {
			l.prevAt, l.prev = l.prev.at, f
			l.n++
			f.at += l.offset
			return f, nil
		}
		if err != io.EOF || !l.loop || l.n == 0 {
			return frame{}, err
		}
		l.offset += l.passLength()
		l.src.Close()
		if l.src, err = l.open(); err != nil {
			return frame{}, err
		}
		l.n, l.prev, l.prevAt = 0, frame{}, 0
		l.passes++
	}
}

// passLength is how long the pass that just ended lasted: until the end of
// its last frame.
func (l *looper) passLength() time.Duration {
	d := l.prev.dur
	if d == 0 && l.n > 1 {
		d = l.prev.at - l.prevAt
	}
	if d <= 0 {
		d = 33 * time.Millisecond
	}
	return l.prev.at + d
}

func (l *looper) Close() error { return l.src.Close() }
