package sfu

import (
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Defaults applied by NewEngine to zero fields of Config.
const (
	DefaultPacketCacheSize  = 1024
	DefaultKeyframeInterval = 500 * time.Millisecond
	DefaultSendQueueSize    = 1024
	DefaultInitialBitrate   = 1_000_000
	DefaultMaxBitrate       = 10_000_000
	DefaultMinBitrate       = 100_000
)

// Config configures an Engine. The zero value is usable: media on an
// ephemeral UDP port of every interface, ICE-TCP on an ephemeral port,
// candidates with the interfaces' own addresses, real time.
//
// NewEngine copies the Config; later changes to it have no effect.
type Config struct {
	// ListenIP is the address the UDP and TCP media sockets bind to. Empty
	// means all interfaces.
	ListenIP string

	// UDPPort is the single UDP port that carries every PeerConnection's
	// ICE, DTLS, SRTP and SRTCP traffic. 0 picks a free port; read it back
	// with Engine.UDPAddr.
	UDPPort int

	// TCPPort is the port of the passive ICE-TCP fallback (RFC 6544). 0 picks
	// a free port; read it back with Engine.TCPAddr.
	TCPPort int

	// DisableTCP turns the ICE-TCP fallback off.
	DisableTCP bool

	// NodeIPs, when set, replace the host addresses in the server's ICE
	// candidates (1:1 NAT, the --node-ip flag).
	NodeIPs []string

	// IncludeLoopback offers loopback candidates and accepts loopback
	// peers. Tests and single-machine setups need it; production does not.
	IncludeLoopback bool

	// PacketCacheSize is how many packets each published video layer keeps
	// for answering NACKs and for subscribers that fall behind; a power of
	// two up to 32768. 0 means DefaultPacketCacheSize (about 2 s of 4 Mbps
	// video). Audio keeps an eighth of it.
	PacketCacheSize int

	// KeyframeInterval is the minimum time between two keyframe requests
	// (PLI) the SFU sends to one publisher layer. 0 means
	// DefaultKeyframeInterval.
	KeyframeInterval time.Duration

	// SendQueueSize bounds each subscriber's queue of packets waiting to be
	// sent; when it is full the oldest packet is dropped and counted. A power
	// of two; 0 means DefaultSendQueueSize.
	SendQueueSize int

	// InitialBitrate, MinBitrate and MaxBitrate bound each subscriber's
	// bandwidth estimate, in bits per second. 0 means the Default values.
	InitialBitrate, MinBitrate, MaxBitrate int

	// Datagrams, when set, receives the media port's datagrams whose first
	// byte no media protocol uses (datagram.go): the speed test's probes.
	Datagrams DatagramHandler

	// Logger receives the engine's and Pion's logs. nil discards them.
	Logger *slog.Logger

	// Clock is the time source for keyframe throttles, the bandwidth
	// estimator and timestamp rewriting. nil means the system clock.
	Clock Clock
}

// Validate reports the first invalid field, wrapped in ErrInvalidConfig.
func (c *Config) Validate() error {
	if c.ListenIP != "" && net.ParseIP(c.ListenIP) == nil {
		return fmt.Errorf("%w: ListenIP %q is not an IP address", ErrInvalidConfig, c.ListenIP)
	}
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		return fmt.Errorf("%w: UDPPort %d out of range", ErrInvalidConfig, c.UDPPort)
	}
	if c.TCPPort < 0 || c.TCPPort > 65535 {
		return fmt.Errorf("%w: TCPPort %d out of range", ErrInvalidConfig, c.TCPPort)
	}
	for _, ip := range c.NodeIPs {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("%w: NodeIPs entry %q is not an IP address", ErrInvalidConfig, ip)
		}
	}
	if !validPow2(c.PacketCacheSize, 32768) {
		return fmt.Errorf("%w: PacketCacheSize %d is not a power of two up to 32768", ErrInvalidConfig, c.PacketCacheSize)
	}
	if !validPow2(c.SendQueueSize, 1<<16) {
		return fmt.Errorf("%w: SendQueueSize %d is not a power of two up to 65536", ErrInvalidConfig, c.SendQueueSize)
	}
	if c.KeyframeInterval < 0 {
		return fmt.Errorf("%w: negative KeyframeInterval", ErrInvalidConfig)
	}
	if c.InitialBitrate < 0 || c.MinBitrate < 0 || c.MaxBitrate < 0 {
		return fmt.Errorf("%w: negative bitrate", ErrInvalidConfig)
	}
	if c.MinBitrate > 0 && c.MaxBitrate > 0 && c.MinBitrate > c.MaxBitrate {
		return fmt.Errorf("%w: MinBitrate above MaxBitrate", ErrInvalidConfig)
	}
	return nil
}

func validPow2(n, limit int) bool {
	return n == 0 || (n > 0 && n <= limit && n&(n-1) == 0)
}

// withDefaults returns a copy of c with zero fields filled in.
func (c Config) withDefaults() Config {
	if c.PacketCacheSize == 0 {
		c.PacketCacheSize = DefaultPacketCacheSize
	}
	if c.KeyframeInterval == 0 {
		c.KeyframeInterval = DefaultKeyframeInterval
	}
	if c.SendQueueSize == 0 {
		c.SendQueueSize = DefaultSendQueueSize
	}
	if c.InitialBitrate == 0 {
		c.InitialBitrate = DefaultInitialBitrate
	}
	if c.MinBitrate == 0 {
		c.MinBitrate = DefaultMinBitrate
	}
	if c.MaxBitrate == 0 {
		c.MaxBitrate = DefaultMaxBitrate
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	c.NodeIPs = append([]string(nil), c.NodeIPs...)
	return c
}

// Clock is the time source of the engine, injected so that throttles and
// estimators can be tested without sleeping.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
