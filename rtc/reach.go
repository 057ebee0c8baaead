package rtc

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pion/transport/v4"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/proto"
)

// Reaching the server through TLS and firewalls (docs/deployment.md).
//
// Signaling goes over wss:// when the server URL says so (https:// and
// wss:// are the same to WithServer). Media tries, in ICE's order of
// preference, UDP to the server's media port, ICE-TCP to the same port
// number, and the TURN servers the enter response lists: over UDP, TCP and
// TLS. Which one carries the media shows in Statistics.Path.

// ICEPolicy restricts the media paths the SDK tries, like a browser's
// RTCConfiguration.iceTransportPolicy, for networks known to block some
// paths and for testing the fallbacks.
type ICEPolicy int

const (
	// ICEPolicyAll tries every path (the default). Against a server on this
	// machine (loopback) only UDP and TURN are tried.
	ICEPolicyAll ICEPolicy = iota
	// ICEPolicyNoUDP never uses UDP, as behind a firewall that blocks it:
	// ICE-TCP to the media port, or TURN over TCP or TLS.
	ICEPolicyNoUDP
	// ICEPolicyRelay uses TURN relays only (iceTransportPolicy "relay"),
	// reached over UDP, TCP or TLS.
	ICEPolicyRelay
	// ICEPolicyRelayTLS uses TURN over TLS only, as on networks that pass
	// nothing but HTTPS.
	ICEPolicyRelayTLS
)

func (p ICEPolicy) String() string {
	switch p {
	case ICEPolicyAll:
		return "all"
	case ICEPolicyNoUDP:
		return "no-udp"
	case ICEPolicyRelay:
		return "relay"
	case ICEPolicyRelayTLS:
		return "relay-tls"
	}
	return fmt.Sprintf("ICEPolicy(%d)", int(p))
}

// WithICEPolicy restricts the media paths (default ICEPolicyAll).
func WithICEPolicy(p ICEPolicy) Option { return func(o *options) { o.icePolicy = p } }

// WithTLSConfig sets the TLS configuration of wss:// signaling and of TURN
// over TLS: a custom RootCAs for a private CA, for instance. nil (the
// default) verifies against the system's roots.
func WithTLSConfig(c *tls.Config) Option { return func(o *options) { o.tlsConfig = c } }

// MediaPath is the way media reaches the server, as Statistics.Path.
type MediaPath string

const (
	MediaPathNone    MediaPath = ""         // not connected
	MediaPathUDP     MediaPath = "udp"      // UDP to the media port
	MediaPathTCP     MediaPath = "tcp"      // ICE-TCP to the media port
	MediaPathTURNUDP MediaPath = "turn/udp" // relayed by TURN, reached over UDP
	MediaPathTURNTCP MediaPath = "turn/tcp" // relayed by TURN, reached over TCP
	MediaPathTURNTLS MediaPath = "turn/tls" // relayed by TURN, reached over TLS
)

// reachState is a Cloud's TURN servers and the dialer that reaches them.
type reachState struct {
	mu      sync.Mutex
	servers []webrtc.ICEServer
	dialer  *turnDialer
}

// setICEServers adopts the ICE servers of an enter response; an empty list
// (a resume) keeps the ones there were.
func (c *Cloud) setICEServers(list []proto.ICEServer) {
	if len(list) == 0 {
		return
	}
	servers := make([]webrtc.ICEServer, 0, len(list))
	tlsAddrs := map[string]string{}
	for _, s := range list {
		servers = append(servers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
		for _, u := range s.URLs {
			if host, port, ok := turnsAddr(u); ok {
				tlsAddrs[net.JoinHostPort(host, port)] = host
			}
		}
	}
	r := &c.reach
	r.mu.Lock()
	r.servers = servers
	r.mu.Unlock()
	c.turnDialer().setTLS(tlsAddrs)
}

// turnsAddr returns the host and port of a turns: URL.
func turnsAddr(u string) (host, port string, ok bool) {
	rest, ok := strings.CutPrefix(u, "turns:")
	if !ok {
		return "", "", false
	}
	rest, _, _ = strings.Cut(rest, "?")
	if rest == "" {
		return "", "", false
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return rest, "5349", true // RFC 7065's default port for turns:, as Pion dials it
	}
	return host, port, true
}

// pcConfig is the configuration of a new PeerConnection.
func (c *Cloud) pcConfig() webrtc.Configuration {
	cfg := webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle}
	c.reach.mu.Lock()
	cfg.ICEServers = append([]webrtc.ICEServer(nil), c.reach.servers...)
	c.reach.mu.Unlock()
	if p := c.o.icePolicy; p == ICEPolicyRelay || p == ICEPolicyRelayTLS {
		cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	return cfg
}

func (c *Cloud) turnDialer() *turnDialer {
	r := &c.reach
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dialer == nil {
		r.dialer = &turnDialer{tlsConfig: c.o.tlsConfig, plain: c.o.icePolicy != ICEPolicyRelayTLS}
	}
	return r.dialer
}

// applyReach configures the ICE agent for the policy: which candidates are
// gathered, and the dialer of TURN over TCP and TLS.
func (c *Cloud) applyReach(se *webrtc.SettingEngine, n transport.Net, loopback bool) error {
	p := c.o.icePolicy
	// Pion dials TURN over TCP and TLS through this dialer, which verifies
	// TURN/TLS certificates against WithTLSConfig's roots.
	se.SetICEProxyDialer(c.turnDialer())
	// A relayed pair is taken only when no direct one works, and a direct
	// pair validates within milliseconds when it exists: Pion's 2 s wait
	// before nominating a relayed pair only delayed the publisher's media
	// behind a firewall by 2 s (test/netem, TestFirewallFallbacks). The
	// server waits as long for the pairs it nominates.
	se.SetRelayAcceptanceMinWait(relayAcceptanceWait)
	if p == ICEPolicyAll {
		if !loopback {
			// Pion's default network types are UDP only, which leaves a
			// client behind a firewall that drops UDP with TURN alone:
			// ICE-TCP (active, to the server's passive candidates) must
			// be asked for. Found across a real blocked network
			// (test/netem, TestFirewallFallbacks).
			se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6,
				webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6})
			// Both are host pairs, which Pion nominates (as the
			// publisher's controlling agent) the moment the first one
			// validates: an ICE-TCP check answered a few milliseconds
			// before the UDP one carried the media over TCP on an open
			// network in one connection out of three. Waiting a little
			// lets the UDP pair, better by priority, validate first.
			se.SetHostAcceptanceMinWait(hostAcceptanceWait)
		}
		return nil
	}
	// Relay candidates are UDP candidates in ICE's eyes, so UDP stays a
	// network type; with UDP forbidden, no UDP socket can be opened, so
	// neither host UDP candidates nor TURN over UDP appear.
	types := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if p == ICEPolicyNoUDP {
		types = append(types, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
		if loopback {
			types = []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4}
		}
	}
	se.SetNetworkTypes(types)
	if p == ICEPolicyRelay || p == ICEPolicyRelayTLS {
		// Only relayed pairs exist: there is nothing better to wait for
		// (Pion waits 2 s for a relayed pair by default).
		se.SetRelayAcceptanceMinWait(0)
	}
	if p == ICEPolicyNoUDP || p == ICEPolicyRelayTLS {
		if n == nil {
			var err error
			if n, err = newBufferedNet(-1); err != nil {
				return err
			}
		}
		se.SetNet(noUDPNet{n})
	}
	return nil
}

// relayAcceptanceWait is how long a controlling agent waits for a direct
// pair before it nominates a relayed one.
const relayAcceptanceWait = 300 * time.Millisecond

// hostAcceptanceWait is how long a controlling agent that tries UDP and
// ICE-TCP waits before it nominates a direct pair.
const hostAcceptanceWait = 100 * time.Millisecond

// errUDPBlocked is what a socket under ICEPolicyNoUDP or ICEPolicyRelayTLS
// gets: the policy plays a firewall that drops UDP.
var errUDPBlocked = errors.New("rtc: UDP is not used under this ICE policy")

// noUDPNet refuses UDP sockets.
type noUDPNet struct{ transport.Net }

func (noUDPNet) ListenUDP(string, *net.UDPAddr) (transport.UDPConn, error) {
	return nil, errUDPBlocked
}

func (noUDPNet) DialUDP(string, *net.UDPAddr, *net.UDPAddr) (transport.UDPConn, error) {
	return nil, errUDPBlocked
}

func (n noUDPNet) ListenPacket(network, address string) (net.PacketConn, error) {
	if strings.HasPrefix(network, "udp") {
		return nil, errUDPBlocked
	}
	return n.Net.ListenPacket(network, address)
}

func (n noUDPNet) Dial(network, address string) (net.Conn, error) {
	if strings.HasPrefix(network, "udp") {
		return nil, errUDPBlocked
	}
	return n.Net.Dial(network, address)
}

// turnDialer connects to TURN servers over TCP, and over TLS for the
// addresses of turns: URLs, with the SDK's TLS configuration.
type turnDialer struct {
	tlsConfig *tls.Config
	plain     bool // TURN over plain TCP allowed

	mu       sync.Mutex
	tlsAddrs map[string]string // host:port → server name
}

// turnDialTimeout bounds a TURN connection with its TLS handshake.
const turnDialTimeout = 5 * time.Second

func (d *turnDialer) setTLS(addrs map[string]string) {
	d.mu.Lock()
	d.tlsAddrs = addrs
	d.mu.Unlock()
}

// Dial implements golang.org/x/net/proxy.Dialer.
func (d *turnDialer) Dial(network, addr string) (net.Conn, error) {
	d.mu.Lock()
	name, isTLS := d.tlsAddrs[addr]
	d.mu.Unlock()
	if !isTLS && !d.plain {
		return nil, fmt.Errorf("rtc: TURN over TCP to %s is not used under ICEPolicyRelayTLS", addr)
	}
	dialer := &net.Dialer{Timeout: turnDialTimeout}
	if !isTLS {
		return dialer.Dial(network, addr)
	}
	cfg := &tls.Config{}
	if d.tlsConfig != nil {
		cfg = d.tlsConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = name
	}
	return tls.DialWithDialer(dialer, network, addr, cfg)
}

// wsHTTPClient is the HTTP client of the signaling WebSocket: the default
// one, or one with the SDK's TLS configuration.
func (c *Cloud) wsHTTPClient() *http.Client {
	if c.o.tlsConfig == nil {
		return nil
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: c.o.tlsConfig.Clone(), Proxy: http.ProxyFromEnvironment}}
}

// mediaPath reads the path of a connected PeerConnection from its selected
// candidate pair.
func mediaPath(pc *webrtc.PeerConnection) MediaPath {
	if pc == nil || pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
		return MediaPathNone
	}
	pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local == nil {
		return MediaPathNone
	}
	local := pair.Local
	if local.Typ != webrtc.ICECandidateTypeRelay {
		if local.Protocol == webrtc.ICEProtocolTCP {
			return MediaPathTCP
		}
		return MediaPathUDP
	}
	for _, st := range pc.GetStats() {
		cs, ok := st.(webrtc.ICECandidateStats)
		if !ok || cs.CandidateType != webrtc.ICECandidateTypeRelay || cs.IP != local.Address || int(cs.Port) != int(local.Port) {
			continue
		}
		switch cs.RelayProtocol {
		case "tls":
			return MediaPathTURNTLS
		case "tcp":
			return MediaPathTURNTCP
		}
		return MediaPathTURNUDP
	}
	return MediaPathTURNUDP
}
