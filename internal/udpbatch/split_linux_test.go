//go:build linux

package udpbatch

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func listenConn(t *testing.T, laddr *net.UDPAddr) *Conn {
	t.Helper()
	c, err := Listen(laddr, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if c.sys.sendFD < 0 {
		t.Fatal("Listen made no sending socket")
	}
	return c
}

// TestListenSendsFromItsPortAndReadsEverything: bursts leave through the
// second socket, from the Conn's own address and port, whole and in order;
// datagrams from many senders all reach the Conn's reads, none the sending
// socket.
func TestListenSendsFromItsPortAndReadsEverything(t *testing.T) {
	for _, tc := range []struct {
		name string
		ip   net.IP
	}{
		{"ipv4", net.IPv4(127, 0, 0, 1)},
		{"dualstack", nil}, // an AF_INET6 socket, IPv4 peers as v4-mapped
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := listenConn(t, &net.UDPAddr{IP: tc.ip})
			port := c.LocalAddr().(*net.UDPAddr).Port

			// Out: a burst to three receivers, who see the Conn's port.
			var want [3][][]byte
			var rcv [3]*net.UDPConn
			for i := range rcv {
				r, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				rcv[i] = r
			}
			c.Hold()
			for seq := range 30 {
				for i, r := range rcv {
					p := packet(uint32(seq), uint16(i), 1200)
					want[i] = append(want[i], p)
					c.WriteToAddrPort(p, r.LocalAddr().(*net.UDPAddr).AddrPort())
				}
			}
			c.Release()
			buf := make([]byte, 2048)
			for i, r := range rcv {
				var got [][]byte
				_ = r.SetReadDeadline(time.Now().Add(5 * time.Second))
				for len(got) < len(want[i]) {
					n, from, err := r.ReadFromUDPAddrPort(buf)
					if err != nil {
						t.Fatalf("receiver %d: %v after %d datagrams", i, err, len(got))
					}
					if int(from.Port()) != port {
						t.Fatalf("receiver %d: datagram from port %d, want the Conn's %d", i, from.Port(), port)
					}
					got = append(got, append([]byte(nil), buf[:n]...))
				}
				checkStream(t, got, want[i])
			}
			if st := c.Stats(); st.Errors != 0 || st.GSOMessages == 0 {
				t.Fatalf("burst not sent as GSO messages without errors: %+v", st)
			}

			// In: 40 senders (40 source ports, 40 reuseport hashes), 5
			// datagrams each, all read from the Conn.
			to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
			const senders, each = 40, 5
			for s := range senders {
				u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				if err != nil {
					t.Fatal(err)
				}
				for k := range each {
					if _, err := u.WriteToUDPAddrPort(packet(uint32(k), uint16(s), 100), to); err != nil {
						t.Fatal(err)
					}
				}
				u.Close()
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			for n := range senders * each {
				if _, _, err := c.ReadFromAddrPort(buf); err != nil {
					t.Fatalf("read %d of %d datagrams: %v", n, senders*each, err)
				}
			}
			if q := pendingBytes(t, c.sys.sendFD); q != 0 {
				t.Fatalf("the sending socket holds %d bytes of received datagrams", q)
			}
		})
	}
}

// pendingBytes is how much a socket has queued to read (FIONREAD).
func pendingBytes(t *testing.T, fd int) int {
	t.Helper()
	n, err := unix.IoctlGetInt(fd, unix.SIOCINQ)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestListenRefusesAPortInUse: a second server on the same port gets the
// error a bind to a port in use always gave, though the first one's
// sockets share their port with each other (SO_REUSEPORT).
func TestListenRefusesAPortInUse(t *testing.T) {
	c := listenConn(t, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	addr := c.LocalAddr().(*net.UDPAddr)
	if _, err := Listen(addr, 0); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("second Listen on %v: %v, want EADDRINUSE", addr, err)
	}
	if u, err := net.ListenUDP("udp4", addr); err == nil {
		u.Close()
		t.Fatalf("a plain bind to %v succeeded", addr)
	}
	// And the other way round: a port a plain socket holds.
	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if _, err := Listen(u.LocalAddr().(*net.UDPAddr), 0); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Listen on a port in use: %v, want EADDRINUSE", err)
	}
}

// TestCloseReleasesBothSockets: Close leaves no descriptor behind, and a
// write after it is counted as an error, not sent through a descriptor
// number the process may have reused.
func TestCloseReleasesBothSockets(t *testing.T) {
	before := openFDs(t)
	c, err := Listen(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.sys.sendFD < 0 {
		t.Fatal("Listen made no sending socket")
	}
	addr := c.LocalAddr().(*net.UDPAddr)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if after := openFDs(t); after != before {
		t.Fatalf("%d descriptors open after Close, %d before Listen", after, before)
	}
	c.Hold()
	c.WriteToAddrPort(make([]byte, 100), netip.MustParseAddrPort("127.0.0.1:9"))
	c.Release()
	if st := c.Stats(); st.Errors != 1 {
		t.Fatalf("write after Close: %+v, want 1 error", st)
	}
	// The port is free again.
	u, err := net.ListenUDP("udp4", addr)
	if err != nil {
		t.Fatalf("port %v not released: %v", addr, err)
	}
	u.Close()
}

func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}
