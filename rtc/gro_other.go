//go:build !linux

package rtc

import (
	"net"

	"github.com/pion/transport/v4"
)

// withGRO returns c: receive offload is Linux's (gro_linux.go).
func withGRO(c *net.UDPConn) transport.UDPConn { return c }
