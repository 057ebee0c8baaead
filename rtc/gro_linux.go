//go:build linux

package rtc

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"unsafe"

	"github.com/pion/transport/v4"
	"golang.org/x/sys/unix"
)

// groConn is a media socket with UDP receive offload (UDP_GRO): the
// kernel may hand it several datagrams of one sender at once — a video
// frame the server sent with segmentation offload, or packets its GRO
// merged — as one buffer with the segment size in a control message.
// groConn splits such a buffer and returns its datagrams one per read, so
// Pion sees the same packets as without offload, for one wake-up and one
// socket enqueue instead of one per packet. A plain datagram is passed
// through.
//
// Reads are serialized (Pion reads each socket from one goroutine); writes
// and everything else go to the socket directly.
type groConn struct {
	*net.UDPConn

	mu   sync.Mutex
	buf  []byte // the last coalesced read (groMax bytes, made on first read)
	oob  []byte
	next int            // offset of the next segment in buf
	end  int            // end of the coalesced data in buf
	seg  int            // its segment size
	from netip.AddrPort // its sender
}

// groMax is the largest datagram the kernel coalesces (64 KiB).
const groMax = 1 << 16

// withGRO turns on UDP_GRO for c and wraps it; if the kernel refuses the
// option it returns c as it is.
func withGRO(c *net.UDPConn) transport.UDPConn {
	raw, err := c.SyscallConn()
	if err != nil {
		return c
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_GRO, 1)
	}); err != nil || serr != nil {
		return c
	}
	return &groConn{UDPConn: c, oob: make([]byte, unix.CmsgSpace(4))}
}

// ReadFromAddrPort returns the next datagram: the next segment of the last
// coalesced read, or a new one from the socket. Like a UDP read, a datagram
// longer than b is truncated to len(b).
func (c *groConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next >= c.end {
		if c.buf == nil {
			c.buf = make([]byte, groMax)
		}
		n, oobn, _, from, err := c.UDPConn.ReadMsgUDPAddrPort(c.buf, c.oob)
		if err != nil {
			return 0, from, err
		}
		c.next, c.end, c.from = 0, n, from
		c.seg = segmentSize(c.oob[:oobn])
		if c.seg <= 0 || c.seg >= n {
			c.seg = n
		}
	}
	stop := min(c.next+c.seg, c.end)
	n := copy(b, c.buf[c.next:stop])
	c.next = stop
	return n, c.from, nil
}

// WriteToAddrPort sends one datagram (with ReadFromAddrPort, Pion's
// allocation-free path).
func (c *groConn) WriteToAddrPort(b []byte, to netip.AddrPort) (int, error) {
	return c.UDPConn.WriteToUDPAddrPort(b, to)
}

// ReadFrom is ReadFromAddrPort with a net.Addr.
func (c *groConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// ReadFromUDP is ReadFromAddrPort with a *net.UDPAddr.
func (c *groConn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	n, from, err := c.ReadFromAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// ReadFromUDPAddrPort is ReadFromAddrPort.
func (c *groConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	return c.ReadFromAddrPort(b)
}

// Read reads the next datagram's payload.
func (c *groConn) Read(b []byte) (int, error) {
	n, _, err := c.ReadFromAddrPort(b)
	return n, err
}

// ReadMsgUDP reads the next datagram; it has no control messages to give.
func (c *groConn) ReadMsgUDP(b, _ []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	n, addr, err = c.ReadFromUDP(b)
	return n, 0, 0, addr, err
}

// segmentSize returns the UDP_GRO segment size (an int, as the kernel puts
// it) in a control message buffer, 0 if there is none. It decodes the
// headers field by field, so any buffer (of any alignment) is safe.
func segmentSize(oob []byte) int {
	const lenSize = int(unsafe.Sizeof(unix.Cmsghdr{}.Len))
	for len(oob) >= unix.SizeofCmsghdr {
		var l int
		if lenSize == 8 {
			l = int(binary.NativeEndian.Uint64(oob))
		} else {
			l = int(binary.NativeEndian.Uint32(oob))
		}
		if l < unix.CmsgLen(0) || l > len(oob) {
			return 0
		}
		level := int32(binary.NativeEndian.Uint32(oob[lenSize:]))
		typ := int32(binary.NativeEndian.Uint32(oob[lenSize+4:]))
		if level == unix.SOL_UDP && typ == unix.UDP_GRO && l >= unix.CmsgLen(4) {
			return int(int32(binary.NativeEndian.Uint32(oob[unix.CmsgLen(0):])))
		}
		oob = oob[min(unix.CmsgSpace(l-unix.CmsgLen(0)), len(oob)):]
	}
	return 0
}
