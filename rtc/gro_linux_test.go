//go:build linux

package rtc

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sendSegmented sends payload from s to dst as one datagram the kernel
// splits into seg-byte datagrams (UDP_SEGMENT), as the server's fast path
// does with a video frame.
func sendSegmented(t *testing.T, s *net.UDPConn, dst *net.UDPAddr, payload []byte, seg int) {
	t.Helper()
	oob := make([]byte, unix.CmsgSpace(2))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = unix.SOL_UDP, unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(oob[unix.CmsgLen(0):], uint16(seg))
	if _, _, err := s.WriteMsgUDP(payload, oob, dst); err != nil {
		t.Fatalf("segmented send: %v", err)
	}
}

func TestGROConnSplitsCoalescedDatagrams(t *testing.T) {
	rc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	wrapped := withGRO(rc)
	defer wrapped.Close()
	g, ok := wrapped.(*groConn)
	if !ok {
		t.Fatalf("withGRO on Linux returned %T, want *groConn (UDP_GRO refused?)", wrapped)
	}
	s, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dst := rc.LocalAddr().(*net.UDPAddr)

	// Three 100-byte datagrams and a 40-byte one in one send, then a
	// plain datagram.
	frame := make([]byte, 340)
	for i := range frame {
		frame[i] = byte(i / 100) // each segment's bytes name it
	}
	sendSegmented(t, s, dst, frame, 100)
	plain := []byte("plain datagram")
	if _, err := s.WriteToUDP(plain, dst); err != nil {
		t.Fatal(err)
	}

	_ = g.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	for i, want := range [][]byte{frame[0:100], frame[100:200], frame[200:300], frame[300:340], plain} {
		n, from, err := g.ReadFromAddrPort(buf)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if !bytes.Equal(buf[:n], want) {
			t.Fatalf("read %d: got %d bytes starting %v, want %d bytes starting %v", i, n, buf[:min(n, 4)], len(want), want[:4])
		}
		if from.Port() != uint16(s.LocalAddr().(*net.UDPAddr).Port) {
			t.Fatalf("read %d: from %v, want the sender %v", i, from, s.LocalAddr())
		}
		if i == 0 && g.end != len(frame) {
			// Not a failure of splitting, but then this test shows nothing:
			// the kernel delivered the segments one by one.
			t.Fatalf("the first read holds %d bytes, want the whole coalesced %d", g.end, len(frame))
		}
	}

	// A buffer shorter than a segment truncates it, as a UDP read does,
	// and the next read starts at the next segment.
	sendSegmented(t, s, dst, frame[:200], 100)
	small := make([]byte, 10)
	if n, _, err := g.ReadFrom(small); err != nil || n != 10 || small[0] != 0 {
		t.Fatalf("short read: n=%d err=%v first=%d", n, err, small[0])
	}
	if n, _, err := g.ReadFromUDP(buf); err != nil || n != 100 || buf[0] != 1 {
		t.Fatalf("read after a short one: n=%d err=%v first=%d, want the second segment", n, err, buf[0])
	}
}

func TestSegmentSizeIgnoresOtherAndBrokenMessages(t *testing.T) {
	msg := func(level, typ int32, data []byte) []byte {
		b := make([]byte, unix.CmsgSpace(len(data)))
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		h.Level, h.Type = level, typ
		h.SetLen(unix.CmsgLen(len(data)))
		copy(b[unix.CmsgLen(0):], data)
		return b
	}
	four := binary.NativeEndian.AppendUint32(nil, 1200)
	gro := msg(unix.SOL_UDP, unix.UDP_GRO, four)
	for _, c := range []struct {
		name string
		oob  []byte
		want int
	}{
		{"none", nil, 0},
		{"gro", gro, 1200},
		{"after another", append(msg(unix.SOL_IP, unix.IP_TOS, []byte{1, 0, 0, 0}), gro...), 1200},
		{"other only", msg(unix.SOL_IP, unix.IP_TOS, []byte{1, 0, 0, 0}), 0},
		{"short data", msg(unix.SOL_UDP, unix.UDP_GRO, []byte{1, 2}), 0},
		{"cut header", gro[:unix.SizeofCmsghdr-1], 0},
		{"length past the end", gro[:unix.CmsgLen(2)], 0},
	} {
		if got := segmentSize(c.oob); got != c.want {
			t.Errorf("%s: segmentSize = %d, want %d", c.name, got, c.want)
		}
	}
	zero := make([]byte, 64) // a zero length must not loop forever
	if got := segmentSize(zero); got != 0 {
		t.Errorf("zeros: %d", got)
	}
}

// FuzzSegmentSize feeds segmentSize arbitrary control-message buffers: it
// must never panic or loop, and a size it returns is what a UDP_GRO message
// in the buffer says.
func FuzzSegmentSize(f *testing.F) {
	gro := make([]byte, unix.CmsgSpace(4))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&gro[0]))
	h.Level, h.Type = unix.SOL_UDP, unix.UDP_GRO
	h.SetLen(unix.CmsgLen(4))
	binary.NativeEndian.PutUint32(gro[unix.CmsgLen(0):], 1200)
	f.Add(gro)
	f.Add(gro[:unix.SizeofCmsghdr])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, oob []byte) {
		if n := segmentSize(oob); n != 0 && !bytes.Contains(oob, binary.NativeEndian.AppendUint32(nil, uint32(int32(n)))) {
			t.Fatalf("segmentSize = %d, not in the buffer %x", n, oob)
		}
	})
}
