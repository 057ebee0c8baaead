package mediafile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestIVFRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.ivf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	key := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0xaa}
	frames := [][]byte{key, {0x11, 0x02, 0x00, 1}, {0x11, 0x02, 0x00, 2, 3}}
	w, err := NewIVFWriter(f, "VP80", 320, 240)
	if err != nil {
		t.Fatal(err)
	}
	for i, fr := range frames {
		if err := w.WriteFrame(fr, 5000+uint64(i)*40); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	b, _ := os.ReadFile(path)
	r, err := NewIVFReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	want := IVFHeader{FourCC: "VP80", Width: 320, Height: 240, TimebaseNum: 1, TimebaseDen: 1000, Length: 120}
	if h := r.Header(); h != want {
		t.Fatalf("header %+v, want %+v", h, want)
	}
	for i, fr := range frames {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got.Data, fr) || got.PTS != uint64(i)*40 || got.Time != time.Duration(i)*40*time.Millisecond {
			t.Fatalf("frame %d: %x at %d (%v)", i, got.Data, got.PTS, got.Time)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last frame: %v, want EOF", err)
	}
	if _, err := NewIVFReader(bytes.NewReader(b[:len(b)-1])); err != nil {
		t.Fatal(err)
	}
	r, _ = NewIVFReader(bytes.NewReader(b[:len(b)-1]))
	r.Next()
	r.Next()
	if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated frame: %v", err)
	}
	if k, w, h := VP8Keyframe(key); !k || w != 320 || h != 240 {
		t.Fatalf("VP8Keyframe = %v %dx%d", k, w, h)
	}
	if k, _, _ := VP8Keyframe(frames[1]); k {
		t.Fatal("an interframe reported as key")
	}
}

func TestIVFReaderRejects(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":        nil,
		"short":        []byte("DKIF"),
		"magic":        append([]byte("RIFF"), make([]byte, 28)...),
		"no time base": append([]byte("DKIF\x00\x00\x20\x00VP80"), make([]byte, 20)...),
	} {
		if _, err := NewIVFReader(bytes.NewReader(b)); !errors.Is(err, ErrNotIVF) {
			t.Errorf("%s: %v, want ErrNotIVF", name, err)
		}
	}
}

// annexB joins NAL units with start codes, alternating 4- and 3-byte ones.
func annexB(nals ...[]byte) []byte {
	var b []byte
	for i, n := range nals {
		if i%2 == 0 {
			b = append(b, 0)
		}
		b = append(b, 0, 0, 1)
		b = append(b, n...)
	}
	return b
}

func TestAccessUnits(t *testing.T) {
	sps := []byte{0x67, 0x42, 0xc0, 0x0d}
	pps := []byte{0x68, 0xce, 0x3c, 0x80}
	sei := []byte{0x06, 0x05, 0x01, 0x80}
	idr := []byte{0x65, 0x88, 0x84, 0x21}        // first_mb_in_slice 0
	p1 := []byte{0x41, 0x9a, 0x00, 0x10}         // first_mb_in_slice 0
	p1b := []byte{0x41, 0x40, 0x22, 0x33, 0x00}  // a second slice of the same picture; the trailing zero is trailing_zero_8bits
	p2 := bytes.Repeat([]byte{0x41, 0x9b, 7}, 9) // a bigger picture
	stream := append([]byte{0xde, 0xad}, annexB(sps, pps, sei, idr, p1, p1b, p2)...)
	stream = append(stream, 0, 0) // trailing zeros at the end of the file

	want := []AccessUnit{
		{Data: annexB4(sps, pps, sei, idr), Keyframe: true},
		{Data: annexB4(p1, p1b[:4])},
		{Data: annexB4(p2)},
	}
	for _, chunk := range []int{1, 2, 3, 5, 64 << 10} {
		r := NewAccessUnitReader(bytes.NewReader(stream))
		r.nals.chunk = chunk
		for i, w := range want {
			au, err := r.Next()
			if err != nil {
				t.Fatalf("chunk %d: AU %d: %v", chunk, i, err)
			}
			if !bytes.Equal(au.Data, w.Data) || au.Keyframe != w.Keyframe {
				t.Fatalf("chunk %d: AU %d = %x key=%v, want %x key=%v", chunk, i, au.Data, au.Keyframe, w.Data, w.Keyframe)
			}
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("chunk %d: after the last AU: %v", chunk, err)
		}
	}
}

func annexB4(nals ...[]byte) []byte {
	var b []byte
	for _, n := range nals {
		b = append(b, 0, 0, 0, 1)
		b = append(b, n...)
	}
	return b
}

func TestOggCRC(t *testing.T) {
	// CRC-32 with polynomial 0x04c11db7, MSB first, init 0 and no final
	// XOR: the catalogue's CRC-32/POSIX check value 0x765e7680 before its
	// final inversion.
	if got := oggCRC(0, []byte("123456789")); got != 0x89a1897f {
		t.Fatalf("oggCRC = %#x", got)
	}
}

func TestOggOpusRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewOggOpusWriter(&buf, 2, DefaultPreSkip)
	if err != nil {
		t.Fatal(err)
	}
	packets := [][]byte{
		{0xfc, 1, 2, 3}, // CELT 20 ms, stereo
		{0x78, 4},       // Hybrid 20 ms
		append([]byte{0xfc}, make([]byte, 254)...),              // ends exactly on a segment boundary
		append([]byte{0xfc}, bytes.Repeat([]byte{9}, 70000)...), // spans pages
		{3<<3 | 3, 2, 0xaa}, // SILK 60 ms, code 3 with two frames: 120 ms
	}
	if err := w.WritePacket([]byte{0x03}); !errors.Is(err, ErrInvalidOpusPacket) {
		t.Fatalf("code 3 without a count: %v", err)
	}
	var samples int
	for _, p := range packets {
		if err := w.WritePacket(p); err != nil {
			t.Fatal(err)
		}
		samples += OpusPacketSamples(p)
	}
	if w.Packets() != len(packets) || w.Duration() != time.Duration(samples)*time.Second/48000 {
		t.Fatalf("Packets %d Duration %v", w.Packets(), w.Duration())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	r, err := NewOpusReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Head(); h.Channels != 2 || h.PreSkip != DefaultPreSkip || h.Version != 1 {
		t.Fatalf("head %+v", h)
	}
	var at time.Duration
	for i, p := range packets {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if !bytes.Equal(got.Data, p) || got.Time != at {
			t.Fatalf("packet %d: %d bytes at %v, want %d at %v", i, len(got.Data), got.Time, len(p), at)
		}
		at += time.Duration(got.Samples) * time.Second / 48000
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last packet: %v", err)
	}

	// The last page ends the stream, with the granule position of all the
	// audio plus the pre-skip.
	last := lastOggPage(t, buf.Bytes())
	if last[5]&oggEOS == 0 {
		t.Fatal("no EOS on the last page")
	}
	if g := binary.LittleEndian.Uint64(last[6:]); g != uint64(samples+DefaultPreSkip) {
		t.Fatalf("final granule %d, want %d", g, samples+DefaultPreSkip)
	}

	// Any flipped byte in a page fails its checksum.
	bad := bytes.Clone(buf.Bytes())
	bad[40] ^= 1
	if _, err := NewOpusReader(bytes.NewReader(bad)); err == nil {
		t.Fatal("a corrupt header page was accepted")
	}
}

func lastOggPage(t *testing.T, b []byte) []byte {
	t.Helper()
	i := bytes.LastIndex(b, []byte("OggS"))
	if i < 0 {
		t.Fatal("no page")
	}
	return b[i:]
}

func TestOggOpusWriterWithoutAudio(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewOggOpusWriter(&buf, 1, 0)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewOpusReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next = %v, want EOF", err)
	}
}

func TestOpusPacketSamples(t *testing.T) {
	for _, c := range []struct {
		name string
		pkt  []byte
		want int
	}{
		{"empty", nil, 0},
		{"SILK 10 ms", []byte{0 << 3}, 480},
		{"SILK 60 ms", []byte{3 << 3}, 2880},
		{"Hybrid 10 ms", []byte{12 << 3}, 480},
		{"Hybrid 20 ms", []byte{15 << 3}, 960},
		{"CELT 2.5 ms", []byte{16 << 3}, 120},
		{"CELT 20 ms", []byte{31 << 3}, 960},
		{"two frames, code 1", []byte{31<<3 | 1}, 1920},
		{"two frames, code 2", []byte{31<<3 | 2, 1}, 1920},
		{"code 3, 6 frames", []byte{31<<3 | 3, 6}, 5760},
		{"code 3, 7 frames: over 120 ms", []byte{31<<3 | 3, 7}, 0},
		{"code 3, no count", []byte{31<<3 | 3}, 0},
		{"code 3, zero frames", []byte{31<<3 | 3, 0}, 0},
	} {
		if got := OpusPacketSamples(c.pkt); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	lost := OpusLostPackets([]byte{0xfd, 1, 2}, 2)
	if len(lost) != 2 || !bytes.Equal(lost[0], []byte{0xfc}) || OpusPacketSamples(lost[1]) != 960 {
		t.Fatalf("OpusLostPackets = %x", lost)
	}
}

// The readers take files from anywhere: they must not panic or allocate
// without bound on any input.

func FuzzIVFReader(f *testing.F) {
	var buf bytes.Buffer
	w, _ := NewIVFWriter(&buf, "VP80", 2, 2)
	w.WriteFrame([]byte{1, 2, 3}, 0)
	w.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewIVFReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		for range 1000 {
			fr, err := r.Next()
			if err != nil {
				return
			}
			VP8Keyframe(fr.Data)
		}
	})
}

func FuzzAccessUnitReader(f *testing.F) {
	f.Add(annexB([]byte{0x67, 1}, []byte{0x68, 2}, []byte{0x65, 0x80}, []byte{0x41, 0x80}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewAccessUnitReader(bytes.NewReader(b))
		total := 0
		for range 10000 {
			au, err := r.Next()
			if err != nil {
				return
			}
			total += len(au.Data)
			if total > 5*len(b)+5 {
				t.Fatalf("%d bytes of access units from %d of input", total, len(b))
			}
		}
	})
}

func FuzzOpusReader(f *testing.F) {
	var buf bytes.Buffer
	w, _ := NewOggOpusWriter(&buf, 1, 312)
	w.WritePacket([]byte{0xf8, 1, 2})
	w.WritePacket([]byte{0xf8, 3})
	w.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewOpusReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		for range 10000 {
			if _, err := r.Next(); err != nil {
				return
			}
		}
	})
}
