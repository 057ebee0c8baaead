//go:build !linux

package udpbatch

import "net"

// sysState is empty where sendmmsg and UDP_SEGMENT do not exist: batches
// leave one packet at a time.
type sysState struct{}

func (s *sysState) init(*net.UDPConn) error { return nil }

func (s *sysState) close() {}

func (s *sysState) addSender(*net.UDPConn, int) {}

func listenUDP(laddr *net.UDPAddr) (*net.UDPConn, error) { return net.ListenUDP("udp", laddr) }

func (c *Conn) send(b *batch) {
	for i := 0; i < b.n; i++ {
		e := b.entries[i]
		c.syscalls.Add(1)
		if _, err := c.UDPConn.WriteToUDPAddrPort(b.slab[e.off:e.off+e.n], e.addr); err != nil {
			c.errs.Add(1)
		}
	}
}
