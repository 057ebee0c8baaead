// Package udpbatch wraps a UDP socket so that packets written in a burst
// leave in as few system calls as possible: on Linux with sendmmsg(2), and
// with UDP generic segmentation offload (UDP_SEGMENT, "GSO") for runs of
// equal-sized packets to one destination, which the kernel carries through
// its stack as one buffer and splits at the end.
//
// Batching is scoped by its writers, not by a timer: a writer that is about
// to send several packets calls Hold, writes, and calls Release. While any
// writer holds the connection, writes are copied into a pending batch; the
// batch leaves when a holder releases or when it is full. A write with no
// holder leaves at once, so nothing ever waits for a timer and a single
// packet costs what it always did.
//
// Listen opens the socket as well and, on Linux, sends batches through a
// second socket on the same port that Go's poller does not watch, so that
// the kernel freeing sent packets wakes no sleeping thread (split_linux.go).
//
// The package is a leaf: it knows sockets, not RTP or ICE. Conn implements
// net.PacketConn and Pion ICE's optional AddrPortReaderWriter, so it can be
// handed to ice.NewUDPMuxDefault in place of a *net.UDPConn.
package udpbatch

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Limits of one batch.
const (
	// MaxBatch is the number of packets a batch holds before it is sent.
	MaxBatch = 64
	// MaxPacket is the largest packet that is batched; larger ones are sent
	// on their own at once.
	MaxPacket = 1500
	// maxGSOSegments caps the segments of one GSO message (the kernel's
	// UDP_MAX_SEGMENTS is 64 on older kernels, 128 on newer ones).
	maxGSOSegments = 64
	// maxGSOBytes caps the bytes of one GSO message (a UDP datagram's payload).
	maxGSOBytes = 65000
)

// Stats counts what a Conn did. All fields only grow.
type Stats struct {
	Packets     uint64 // packets written
	Direct      uint64 // packets sent on their own (no holder, or too large)
	Syscalls    uint64 // sendmmsg/sendmsg/sendto calls made for batches
	GSOMessages uint64 // messages that carried more than one segment
	GSOSegments uint64 // packets sent inside such messages
	Errors      uint64 // packets the kernel refused (dropped, as UDP may)
}

// Conn is a UDP socket with batched writes. It is safe for concurrent use.
type Conn struct {
	*net.UDPConn

	mu      sync.Mutex
	holders int
	active  *batch // receives writes
	spare   *batch // free, or being sent under flushMu

	flushMu sync.Mutex
	sys     sysState // platform scratch, used under flushMu

	packets, direct, syscalls, gsoMsgs, gsoSegs, errs atomic.Uint64
}

// entry is one pending packet: its bytes in the batch's slab and its
// destination.
type entry struct {
	off, n int
	addr   netip.AddrPort
}

type batch struct {
	slab    [MaxBatch * MaxPacket]byte
	entries [MaxBatch]entry
	n       int
	used    int
}

func (b *batch) add(p []byte, addr netip.AddrPort) {
	off := b.used
	copy(b.slab[off:], p)
	b.entries[b.n] = entry{off: off, n: len(p), addr: addr}
	b.n++
	b.used += len(p)
}

func (b *batch) full() bool { return b.n == MaxBatch || len(b.slab)-b.used < MaxPacket }

func (b *batch) reset() { b.n, b.used = 0, 0 }

// New wraps c. The Conn owns c from now on: closing the Conn closes c.
func New(c *net.UDPConn) (*Conn, error) {
	bc := &Conn{UDPConn: c, active: new(batch), spare: new(batch)}
	if err := bc.sys.init(c); err != nil {
		return nil, err
	}
	return bc, nil
}

// Listen opens a UDP socket on laddr with buffers of buf bytes (0: the
// system's; the kernel caps them at rmem_max/wmem_max) and wraps it as New
// does. On Linux the Conn sends its batches through a second socket on the
// same port (split_linux.go).
func Listen(laddr *net.UDPAddr, buf int) (*Conn, error) {
	udp, err := listenUDP(laddr)
	if err != nil {
		return nil, err
	}
	if buf > 0 {
		_ = udp.SetReadBuffer(buf)
		_ = udp.SetWriteBuffer(buf)
	}
	c, err := New(udp)
	if err != nil {
		udp.Close()
		return nil, err
	}
	c.sys.addSender(udp, buf)
	return c, nil
}

// Hold starts a burst: until the matching Release, writes are collected.
func (c *Conn) Hold() {
	c.mu.Lock()
	c.holders++
	c.mu.Unlock()
}

// Release ends a burst and sends what is pending.
func (c *Conn) Release() {
	c.mu.Lock()
	c.holders--
	pending := c.active.n > 0
	c.mu.Unlock()
	if pending {
		c.Flush()
	}
}

// WriteToAddrPort sends p to addr, or queues it while the Conn is held. It
// always reports len(p): like any UDP write, delivery is not promised, and
// a batched packet's fate is known only when its batch leaves (see Stats).
func (c *Conn) WriteToAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	c.packets.Add(1)
	if len(p) > MaxPacket {
		c.direct.Add(1)
		return c.UDPConn.WriteToUDPAddrPort(p, addr)
	}
	c.mu.Lock()
	if c.holders == 0 && c.active.n == 0 {
		c.mu.Unlock()
		c.direct.Add(1)
		return c.UDPConn.WriteToUDPAddrPort(p, addr)
	}
	for c.active.full() {
		// Another writer filled the batch and is about to send it.
		c.mu.Unlock()
		c.Flush()
		c.mu.Lock()
	}
	c.active.add(p, addr)
	flush := c.active.full() || c.holders == 0
	c.mu.Unlock()
	if flush {
		c.Flush()
	}
	return len(p), nil
}

// WriteTo implements net.PacketConn.
func (c *Conn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return c.UDPConn.WriteTo(p, addr)
	}
	return c.WriteToAddrPort(p, ua.AddrPort())
}

// ReadFromAddrPort implements Pion ICE's AddrPortReaderWriter.
func (c *Conn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	return c.UDPConn.ReadFromUDPAddrPort(p)
}

// Flush sends everything pending. Flushes are serialized, so packets to one
// destination leave in the order they were written.
func (c *Conn) Flush() {
	c.flushMu.Lock()
	c.mu.Lock()
	b := c.active
	if b.n == 0 {
		c.mu.Unlock()
		c.flushMu.Unlock()
		return
	}
	c.active, c.spare = c.spare, b
	c.mu.Unlock()
	c.send(b)
	b.reset()
	c.flushMu.Unlock()
}

// Stats returns the counters.
func (c *Conn) Stats() Stats {
	return Stats{
		Packets: c.packets.Load(), Direct: c.direct.Load(), Syscalls: c.syscalls.Load(),
		GSOMessages: c.gsoMsgs.Load(), GSOSegments: c.gsoSegs.Load(), Errors: c.errs.Load(),
	}
}

// Close sends what is pending and closes the socket.
func (c *Conn) Close() error {
	c.Flush()
	c.flushMu.Lock()
	c.sys.close()
	c.flushMu.Unlock()
	return c.UDPConn.Close()
}

// plan is a batch grouped into messages: each message is a run of packets
// to one destination, in write order, all of one size except a shorter
// last one (what GSO can carry). order lists entry indexes message by
// message; segs[m] is the number of packets of message m.
type plan struct {
	order [MaxBatch]int
	segs  [MaxBatch]int
	msgs  int
	taken [MaxBatch]bool
}

// make groups b. A packet joins the open run to its destination only if no
// earlier packet to that destination was left out of it, so packets to one
// destination keep their order.
func (p *plan) make(b *batch, gso bool) {
	p.msgs = 0
	p.taken = [MaxBatch]bool{}
	k := 0
	for i := 0; i < b.n; i++ {
		if p.taken[i] {
			continue
		}
		first := b.entries[i]
		start := k
		p.order[k] = i
		k++
		p.taken[i] = true
		bytes := first.n
		for j := i + 1; gso && j < b.n && k-start < maxGSOSegments; j++ {
			e := b.entries[j]
			if p.taken[j] || e.addr != first.addr {
				continue
			}
			if e.n > first.n || bytes+e.n > maxGSOBytes {
				break // cannot join; later packets to addr must not overtake it
			}
			p.order[k] = j
			k++
			p.taken[j] = true
			bytes += e.n
			if e.n < first.n {
				break // a shorter segment ends a GSO message
			}
		}
		p.segs[p.msgs] = k - start
		p.msgs++
	}
}
