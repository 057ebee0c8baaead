package turn

import (
	"net"
	"net/netip"
	"sync"

	pturn "github.com/pion/turn/v5"
)

// relayGen makes the UDP relay sockets of allocations for clients of one
// transport: bound to the relay address, counted against the quotas until
// closed, translating the SFU's public address to its local one.
type relayGen struct {
	s         *Server
	transport string
}

func (s *Server) relays(transport string) pturn.RelayAddressGenerator {
	return &relayGen{s: s, transport: transport}
}

func (g *relayGen) Validate() error { return nil }

// AllocatePacketConn binds a relay socket on a free port. A requested port
// (EVEN-PORT, RESERVATION-TOKEN) is not honoured: relay ports are internal,
// only the SFU talks to them.
func (g *relayGen) AllocatePacketConn(conf pturn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	if !g.s.quot.acquire(conf.UserID) {
		g.s.quotaRefused.Add(1)
		return nil, nil, ErrQuota
	}
	network := "udp4"
	if g.s.cfg.RelayIP.To4() == nil {
		network = "udp6"
	}
	pc, err := net.ListenUDP(network, &net.UDPAddr{IP: g.s.cfg.RelayIP})
	if err != nil {
		g.s.quot.release(conf.UserID)
		return nil, nil, err
	}
	g.s.countCreated(g.transport)
	rc := &relayConn{PacketConn: pc, fwd: g.s.cfg.Translate, release: func() { g.s.quot.release(conf.UserID) }}
	if len(rc.fwd) > 0 {
		rc.back = make(map[netip.Addr]netip.Addr, len(rc.fwd))
		for pub, local := range rc.fwd {
			rc.back[local] = pub
		}
	}
	return rc, pc.LocalAddr(), nil
}

func (g *relayGen) AllocateListener(pturn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, ErrTCPRelay
}

func (g *relayGen) AllocateConn(pturn.AllocateConnConfig) (net.Conn, error) {
	return nil, ErrTCPRelay
}

// relayConn is one allocation's relay socket. Datagrams for a translated
// (public) address go to its local twin, and datagrams from the twin are
// reported as coming from the public address, so that the client's TURN
// permissions, which name the public address, match both ways.
type relayConn struct {
	net.PacketConn
	fwd, back map[netip.Addr]netip.Addr
	once      sync.Once
	release   func()
}

func (c *relayConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if ua, ok := addr.(*net.UDPAddr); ok && len(c.fwd) > 0 {
		if ip, ok := netip.AddrFromSlice(ua.IP); ok {
			if local, ok := c.fwd[ip.Unmap()]; ok {
				addr = &net.UDPAddr{IP: local.AsSlice(), Port: ua.Port}
			}
		}
	}
	return c.PacketConn.WriteTo(p, addr)
}

func (c *relayConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(p)
	if ua, ok := addr.(*net.UDPAddr); ok && len(c.back) > 0 {
		if ip, ok := netip.AddrFromSlice(ua.IP); ok {
			if pub, ok := c.back[ip.Unmap()]; ok {
				addr = &net.UDPAddr{IP: pub.AsSlice(), Port: ua.Port}
			}
		}
	}
	return n, addr, err
}

func (c *relayConn) Close() error {
	c.once.Do(c.release)
	return c.PacketConn.Close()
}
