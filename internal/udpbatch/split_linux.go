//go:build linux

package udpbatch

import (
	"context"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// addSender gives the Conn its sending socket.
//
// Why: Go's poller registers every socket it manages for writability too,
// edge-triggered. On every packet the kernel frees after sending it — on
// loopback, as soon as the receiver has it — the socket signals that it can
// be written again, and when one of the runtime's threads is asleep in
// epoll_wait that wakes it for nothing (no goroutine waits to write). A
// media server sends bursts and idles between them, so a thread usually
// sleeps there: one wasted wake-up per sendmmsg, plus the wait queue's lock
// for every packet. The sending socket is not in the poller and wakes
// nobody.
//
// How: both sockets are bound to the address with SO_REUSEPORT, so their
// packets leave from the same address and port, and a classic BPF program
// on the group hands every received datagram to the first socket, the one
// Pion reads. Packets that find the sending socket's buffer full go through
// the first socket, which waits in the poller as before. If the second
// socket cannot be made, the Conn sends through the first, as one from New
// does.
func (s *sysState) addSender(udp *net.UDPConn, buf int) {
	if fd, err := sendSocket(udp, buf); err == nil {
		s.sendFD = fd
	}
}

// listenUDP is listenReusePort: the sending socket shares the port.
func listenUDP(laddr *net.UDPAddr) (*net.UDPConn, error) { return listenReusePort(laddr) }

// listenReusePort binds a socket with SO_REUSEPORT to a port nobody else
// holds. A reuseport bind alone would join a group another process of the
// same user made on the port (a second server started on the same port)
// and start without an error, never to receive a packet. So the port is
// first bound without the option, which fails as any bind to a port in use
// does, and released just before the real bind. For port 0 this also picks
// the port: the kernel's choice for a reuseport socket may be a port such
// a group holds. A port taken in the moment between the two binds is
// retried when the kernel picked it, and an error otherwise.
func listenReusePort(laddr *net.UDPAddr) (*net.UDPConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) }); err != nil {
			return err
		}
		return serr
	}}
	for attempt := 0; ; attempt++ {
		probe, err := net.ListenUDP("udp", laddr)
		if err != nil {
			return nil, err
		}
		addr := *laddr
		addr.Port = probe.LocalAddr().(*net.UDPAddr).Port
		probe.Close()
		pc, err := lc.ListenPacket(context.Background(), "udp", addr.String())
		if err == nil {
			return pc.(*net.UDPConn), nil
		}
		if laddr.Port != 0 || attempt == 2 {
			return nil, err
		}
	}
}

// steerToFirst is the reuseport program: every datagram to socket 0.
var steerToFirst = []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 0}}

func sendSocket(udp *net.UDPConn, buf int) (int, error) {
	raw, err := udp.SyscallConn()
	if err != nil {
		return -1, err
	}
	var sa unix.Sockaddr
	var v6only int
	var serr error
	if err := raw.Control(func(fd uintptr) {
		prog := unix.SockFprog{Len: uint16(len(steerToFirst)), Filter: &steerToFirst[0]}
		if serr = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_REUSEPORT_CBPF, &prog); serr != nil {
			return
		}
		if sa, serr = unix.Getsockname(int(fd)); serr != nil {
			return
		}
		if _, ok := sa.(*unix.SockaddrInet6); ok {
			v6only, serr = unix.GetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
		}
	}); err != nil {
		return -1, err
	}
	if serr != nil {
		return -1, serr
	}
	family := unix.AF_INET
	if _, ok := sa.(*unix.SockaddrInet6); ok {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return -1, err
	}
	setup := func() error {
		if family == unix.AF_INET6 {
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
				return err
			}
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return err
		}
		if buf > 0 {
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, buf)
			// It never reads: the smallest receive buffer.
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 0)
		}
		return unix.Bind(fd, sa)
	}
	if err := setup(); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("udpbatch: send socket: %w", err)
	}
	return fd, nil
}
