package rtc

import (
	"net"

	"github.com/pion/transport/v4"
	"github.com/pion/transport/v4/stdnet"
)

// DefaultSocketBuffer is the receive and send buffer the SDK asks for on
// its media sockets. The kernel's default (about 208 KiB on Linux) overflows
// when a keyframe burst from several publishers arrives at once; the kernel
// caps the request at net.core.rmem_max / wmem_max.
const DefaultSocketBuffer = 4 << 20

// bufferedNet is the network Pion's ICE agent gathers on: the standard one,
// with larger socket buffers on every UDP socket it opens.
type bufferedNet struct {
	*stdnet.Net
	size int
}

func newBufferedNet(size int) (transport.Net, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return &bufferedNet{Net: n, size: size}, nil
}

func (n *bufferedNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	// Best effort: a smaller buffer is not a reason to fail.
	_ = c.SetReadBuffer(n.size)
	_ = c.SetWriteBuffer(n.size)
	return c, nil
}

func (n *bufferedNet) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := n.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	if u, ok := c.(*net.UDPConn); ok {
		_ = u.SetReadBuffer(n.size)
		_ = u.SetWriteBuffer(n.size)
	}
	return c, nil
}

// WithSocketBuffer sets the receive and send buffer of the SDK's media
// sockets in bytes (default DefaultSocketBuffer; the kernel may cap it).
// A negative size keeps the operating system's default.
func WithSocketBuffer(bytes int) Option { return func(o *options) { o.socketBuffer = bytes } }
