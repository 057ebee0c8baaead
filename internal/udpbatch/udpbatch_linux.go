//go:build linux

package udpbatch

import (
	"fmt"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr of sendmmsg(2).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [4]byte
}

var cmsgGSOSpace = unix.CmsgSpace(2)

// sysState is the scratch of one Conn's sends; it is used under flushMu.
type sysState struct {
	raw    syscall.RawConn
	sendFD int  // the sending socket (split_linux.go), or -1: send through raw
	inet6  bool // the socket is AF_INET6 (IPv4 peers as v4-mapped addresses)
	gso    bool // UDP_SEGMENT works; cleared on the first refusal
	plan   plan
	hdrs   [MaxBatch]mmsghdr
	iovs   [MaxBatch]unix.Iovec
	name4  [MaxBatch]unix.RawSockaddrInet4
	name6  [MaxBatch]unix.RawSockaddrInet6
	oob    [MaxBatch * 24]byte // one UDP_SEGMENT cmsg per message (CmsgSpace(2) ≤ 24)
	cur    *batch
	from   int // next message to send
	msgs   int // messages built in hdrs
	errno  syscall.Errno
	sent   int
	write  func(fd uintptr) bool // bound once: no allocation per send
	msgOff [MaxBatch]int         // message m's first index in plan.order
	gbuf   [MaxBatch * MaxPacket]byte
	gused  int
}

func (s *sysState) init(c *net.UDPConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("udpbatch: %w", err)
	}
	s.raw = raw
	s.sendFD = -1
	var sa unix.Sockaddr
	var serr error
	if err := raw.Control(func(fd uintptr) { sa, serr = unix.Getsockname(int(fd)) }); err != nil {
		return fmt.Errorf("udpbatch: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("udpbatch: getsockname: %w", serr)
	}
	_, s.inet6 = sa.(*unix.SockaddrInet6)
	s.gso = true
	s.write = s.writeOnce
	return nil
}

// close closes the sending socket; later sends go through raw (and fail
// once it is closed too). Called under flushMu.
func (s *sysState) close() {
	if s.sendFD >= 0 {
		unix.Close(s.sendFD)
		s.sendFD = -1
	}
}

// send writes batch b: messages planned for GSO when it works, all in as
// few sendmmsg calls as the kernel accepts.
func (c *Conn) send(b *batch) {
	s := &c.sys
	s.cur = b
	s.plan.make(b, s.gso)
	s.build()
	for s.from < s.msgs {
		s.errno, s.sent = 0, 0
		if err := s.sendOnce(); err != nil {
			// The socket is closed: what is left is lost.
			c.errs.Add(uint64(s.remainingSegments()))
			break
		}
		c.syscalls.Add(1)
		for m := s.from; m < s.from+s.sent; m++ {
			if k := s.plan.segs[m]; k > 1 {
				c.gsoMsgs.Add(1)
				c.gsoSegs.Add(uint64(k))
			}
		}
		s.from += s.sent
		if s.errno == 0 {
			continue
		}
		// Message s.from was refused. A GSO message refused for want of
		// offload support is sent again as single packets; anything else is
		// dropped, as a UDP send may be.
		if s.plan.segs[s.from] > 1 && s.gso && gsoUnsupported(s.errno) {
			s.gso = false
			s.replanFrom(b)
			continue
		}
		c.errs.Add(uint64(s.plan.segs[s.from]))
		s.from++
	}
	s.cur = nil
}

// sendOnce makes one sendmmsg from s.from: on the sending socket, or, when
// there is none or its buffer is full, on the polled one, which waits for
// room. An error means the socket is closed.
func (s *sysState) sendOnce() error {
	if s.sendFD >= 0 && s.writeOnce(uintptr(s.sendFD)) {
		return nil
	}
	return s.raw.Write(s.write)
}

func gsoUnsupported(e syscall.Errno) bool {
	return e == unix.EIO || e == unix.EINVAL || e == unix.EOPNOTSUPP || e == unix.ENOPROTOOPT
}

func (s *sysState) remainingSegments() int {
	n := 0
	for m := s.from; m < s.msgs; m++ {
		n += s.plan.segs[m]
	}
	return n
}

// replanFrom turns the messages not yet sent into single-packet messages.
func (s *sysState) replanFrom(b *batch) {
	rest := s.plan.order[s.msgOff[s.from] : s.msgOff[s.msgs-1]+s.plan.segs[s.msgs-1]]
	var keep [MaxBatch]int
	n := copy(keep[:], rest)
	s.plan.msgs = n
	for i := range n {
		s.plan.order[i] = keep[i]
		s.plan.segs[i] = 1
	}
	s.build()
}

// build fills hdrs for every planned message and starts sending at 0.
func (s *sysState) build() {
	b := s.cur
	off := 0
	s.gused = 0
	for m := 0; m < s.plan.msgs; m++ {
		s.msgOff[m] = off
		k := s.plan.segs[m]
		first := b.entries[s.plan.order[off]]
		// A run's packets are often adjacent in the slab (one writer's
		// burst); otherwise they are gathered into one buffer.
		h := &s.hdrs[m].hdr
		*h = unix.Msghdr{}
		s.setName(m, first)
		total := 0
		contiguous := true
		for i := 0; i < k; i++ {
			e := b.entries[s.plan.order[off+i]]
			if e.off != first.off+total {
				contiguous = false
			}
			total += e.n
		}
		if !contiguous {
			s.gather(m, off, k, total)
		} else {
			s.iovs[m].Base = &b.slab[first.off]
			s.iovs[m].SetLen(total)
		}
		h.Iov = &s.iovs[m]
		h.SetIovlen(1)
		if k > 1 {
			o := s.oob[m*24 : m*24+cmsgGSOSpace]
			cm := (*unix.Cmsghdr)(unsafe.Pointer(&o[0]))
			cm.Level = unix.SOL_UDP
			cm.Type = unix.UDP_SEGMENT
			cm.SetLen(unix.CmsgLen(2))
			*(*uint16)(unsafe.Pointer(&o[unix.CmsgLen(0)])) = uint16(first.n)
			h.Control = &o[0]
			h.SetControllen(cmsgGSOSpace)
		}
		off += k
	}
	s.msgs = s.plan.msgs
	s.from = 0
}

// gather copies a non-contiguous run into the gather area so it can leave
// as one buffer; the area holds a full batch, so it always has room.
func (s *sysState) gather(m, off, k, total int) {
	b := s.cur
	dst := s.gatherBuf(total)
	w := 0
	for i := 0; i < k; i++ {
		e := b.entries[s.plan.order[off+i]]
		w += copy(dst[w:], b.slab[e.off:e.off+e.n])
	}
	s.iovs[m].Base = &dst[0]
	s.iovs[m].SetLen(total)
}

func (s *sysState) setName(m int, e entry) {
	h := &s.hdrs[m].hdr
	ip := e.addr.Addr()
	port := e.addr.Port()
	if s.inet6 {
		sa := &s.name6[m]
		*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: ip.As16()}
		sa.Port = port>>8 | port<<8
		h.Name = (*byte)(unsafe.Pointer(sa))
		h.Namelen = unix.SizeofSockaddrInet6
		return
	}
	sa := &s.name4[m]
	*sa = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ip.Unmap().As4()}
	sa.Port = port>>8 | port<<8
	h.Name = (*byte)(unsafe.Pointer(sa))
	h.Namelen = unix.SizeofSockaddrInet4
}

// writeOnce is the RawConn.Write callback: one sendmmsg from s.from.
// Returning false waits for the socket to become writable.
func (s *sysState) writeOnce(fd uintptr) bool {
	n := s.msgs - s.from
	r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&s.hdrs[s.from])), uintptr(n), 0, 0, 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false
	}
	if e != 0 {
		s.errno = e
		return true
	}
	// The kernel may stop early (the next message failed, or the buffer
	// filled); asking again returns that message's error, if any.
	s.sent = int(r)
	if s.sent == 0 {
		s.errno = unix.EIO // nothing sent and no error: never loop on it
	}
	return true
}

// gatherBuf returns n bytes of the gather area, reset by every build.
func (s *sysState) gatherBuf(n int) []byte {
	b := s.gbuf[s.gused : s.gused+n]
	s.gused += n
	return b
}
