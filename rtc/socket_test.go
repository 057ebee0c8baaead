//go:build linux

package rtc

import (
	"net"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The sockets Pion's ICE agent opens through bufferedNet get the buffer
// asked for (Linux reports twice the requested size, capped at rmem_max)
// and receive offload (gro_linux.go).
func TestBufferedNetEnlargesSockets(t *testing.T) {
	const want = 1 << 20
	n, err := newBufferedNet(want)
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var rcv, snd, gro int
	raw.Control(func(fd uintptr) {
		rcv, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		snd, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
		gro, _ = syscall.GetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_GRO)
	})
	if rcv < want || snd < want {
		t.Fatalf("SO_RCVBUF %d, SO_SNDBUF %d; want ≥ %d", rcv, snd, want)
	}
	if gro != 1 {
		t.Fatalf("UDP_GRO %d, want 1", gro)
	}
	p, err := n.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
}
