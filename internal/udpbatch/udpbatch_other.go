//go:build !linux

package udpbatch

import "net"

// sysState is empty where sendmmsg and UDP_SEGMENT do not exist: batches
// leave one packet at a time.
type sysState struct{}

func (s *sysState) init(*net.UDPConn) error { return nil }

func (s *sysState) close() {}

// Listen opens a UDP socket on laddr with buffers of buf bytes and wraps
// it as New does.
func Listen(laddr *net.UDPAddr, buf int) (*Conn, error) {
	udp, err := net.ListenUDP("udp", laddr)
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
	return c, nil
}

func (c *Conn) send(b *batch) {
	for i := 0; i < b.n; i++ {
		e := b.entries[i]
		c.syscalls.Add(1)
		if _, err := c.UDPConn.WriteToUDPAddrPort(b.slab[e.off:e.off+e.n], e.addr); err != nil {
			c.errs.Add(1)
		}
	}
}
