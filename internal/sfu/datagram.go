package sfu

import (
	"net"
	"net/netip"

	"github.com/rtcengine/rtcengine/internal/udpbatch"
)

// DatagramHandler takes a datagram that arrived on the media port and is
// none of Pion's business: its first byte lies in 4..15, a range RFC 7983's
// demultiplexing of a media port leaves unused (STUN is 0–3, ZRTP 16–19,
// DTLS 20–63, TURN channels 64–79, RTP and RTCP 128–191). It reports whether
// it consumed the datagram; one it did not is passed on to ICE, which drops
// it. It runs on the socket's read loop, so it must not block: the speed
// test's probes (internal/probe) are the one user.
type DatagramHandler func(b []byte, from netip.AddrPort) bool

// demuxConn is the media socket as the ICE mux reads it: datagrams in the
// unused range go to the handler first.
type demuxConn struct {
	*udpbatch.Conn
	h DatagramHandler
}

func isForeign(b []byte) bool { return len(b) > 0 && b[0] >= 4 && b[0] <= 15 }

// ReadFromAddrPort implements Pion ICE's AddrPortReaderWriter.
func (c *demuxConn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	for {
		n, from, err := c.Conn.ReadFromAddrPort(p)
		if err != nil || !isForeign(p[:n]) || !c.h(p[:n], from) {
			return n, from, err
		}
	}
}

// ReadFrom implements net.PacketConn.
func (c *demuxConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromAddrPort(p)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// muxConn returns what the ICE mux reads: the socket, behind the datagram
// handler when there is one.
func (e *Engine) muxConn(bc *udpbatch.Conn) net.PacketConn {
	if e.cfg.Datagrams == nil {
		return bc
	}
	return &demuxConn{Conn: bc, h: e.cfg.Datagrams}
}

// SendDatagram sends b to addr from the media port (the replies of a
// DatagramHandler). Like any UDP send, delivery is not promised.
func (e *Engine) SendDatagram(b []byte, addr netip.AddrPort) {
	if e.udp != nil {
		_, _ = e.udp.WriteToAddrPort(b, addr)
	}
}
