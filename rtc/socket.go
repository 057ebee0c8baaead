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
// with larger socket buffers on every UDP socket it opens (size > 0), and
// with the interface list read afresh whenever it is asked for. The
// standard one reads it once, at creation: after a network change (a new
// address, an interface that came up) an ICE restart would gather on
// addresses that no longer exist and never reconnect.
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

// current returns a snapshot of the machine's interfaces now. A new
// snapshot each time, rather than refreshing the embedded one, because ICE
// agents of several connections read it concurrently.
func (n *bufferedNet) current() *stdnet.Net {
	if fresh, err := stdnet.NewNet(); err == nil {
		return fresh
	}
	return n.Net
}

// Interfaces lists the interfaces as they are now.
func (n *bufferedNet) Interfaces() ([]*transport.Interface, error) { return n.current().Interfaces() }

// InterfaceByIndex looks an interface up as it is now.
func (n *bufferedNet) InterfaceByIndex(index int) (*transport.Interface, error) {
	return n.current().InterfaceByIndex(index)
}

// InterfaceByName looks an interface up as it is now.
func (n *bufferedNet) InterfaceByName(name string) (*transport.Interface, error) {
	return n.current().InterfaceByName(name)
}

func (n *bufferedNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	n.grow(c)
	return withGRO(c), nil
}

func (n *bufferedNet) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := n.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	if u, ok := c.(*net.UDPConn); ok {
		n.grow(u)
	}
	return c, nil
}

// grow asks for the configured socket buffers; best effort: a smaller
// buffer is not a reason to fail.
func (n *bufferedNet) grow(c *net.UDPConn) {
	if n.size > 0 {
		_ = c.SetReadBuffer(n.size)
		_ = c.SetWriteBuffer(n.size)
	}
}

// WithSocketBuffer sets the receive and send buffer of the SDK's media
// sockets in bytes (default DefaultSocketBuffer; the kernel may cap it).
// A negative size keeps the operating system's default.
func WithSocketBuffer(bytes int) Option { return func(o *options) { o.socketBuffer = bytes } }
