package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/internal/turn"
)

// Reach: the listener (plain, TLS, or TLS shared with TURN), the embedded
// TURN server and the ICE servers handed to clients (docs/deployment.md).

// reachState is what Start sets up besides the HTTP server.
type reachState struct {
	tls       *tls.Config  // nil: plain HTTP
	turn      *turn.Server // nil: TURN disabled
	turnPort  int          // UDP and TCP
	turnsPort int          // TLS; 0: none
	secret    string       // signs TURN credentials
}

// listen opens the HTTP(S) listener and, when enabled, the TURN server.
func (s *Server) listen() (net.Listener, error) {
	raw, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
	}
	st := &s.reach
	if st.tls == nil {
		if err := s.startTURN(nil); err != nil {
			raw.Close()
			return nil, err
		}
		return raw, nil
	}
	tcfg := s.cfg.TURN
	switch {
	case tcfg.Enabled && tcfg.TLSPort == 0:
		mux := newPortMux(raw, st.tls)
		if err := s.startTURN(mux.turn); err != nil {
			mux.turn.Close()
			mux.http.Close()
			return nil, err
		}
		st.turnsPort = raw.Addr().(*net.TCPAddr).Port
		return mux.http, nil
	case tcfg.Enabled:
		host, _, _ := net.SplitHostPort(s.cfg.Listen)
		tl, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(tcfg.TLSPort)))
		if err != nil {
			raw.Close()
			return nil, fmt.Errorf("turn: listen tls: %w", err)
		}
		if err := s.startTURN(tls.NewListener(tl, st.tls)); err != nil {
			tl.Close()
			raw.Close()
			return nil, err
		}
		st.turnsPort = tl.Addr().(*net.TCPAddr).Port
	}
	return tls.NewListener(raw, st.tls), nil
}

// startTURN starts the TURN server on turn.port (UDP and TCP) and tlsLn.
func (s *Server) startTURN(tlsLn net.Listener) error {
	c := s.cfg.TURN
	if !c.Enabled {
		return nil
	}
	host, _, _ := net.SplitHostPort(s.cfg.Listen)
	udp, tcp, err := listenPair(host, c.Port)
	if err != nil {
		return fmt.Errorf("turn: %w", err)
	}
	mc := mediaConfig(s.cfg, s.log)
	relayIP := relayAddress(c.RelayIP, mc.ListenIP)
	allow, translate := sfuPeers(mc.ListenIP, s.cfg.NodeIP, relayIP)
	srv, err := turn.New(turn.Config{
		Realm: c.Realm, Secret: s.reach.secret,
		UDP: udp, TCP: tcp, TLS: tlsLn,
		RelayIP: relayIP.AsSlice(), Translate: translate,
		AllowPeer: func(ip net.IP) bool {
			a, ok := netip.AddrFromSlice(ip)
			return ok && allow[a.Unmap()]
		},
		UserAllocations: c.UserAllocations, MaxAllocations: c.MaxAllocations,
		Logger: s.log,
	})
	if err != nil {
		udp.Close()
		tcp.Close()
		return err
	}
	s.reach.turn = srv
	s.reach.turnPort = udp.LocalAddr().(*net.UDPAddr).Port
	s.log.Info("turn server listening", "port", s.reach.turnPort, "tls_port", s.reach.turnsPort, "relay_ip", relayIP.String())
	return nil
}

// listenPair opens UDP and TCP on the same port number; port 0 picks one
// free for both.
func listenPair(host string, port int) (net.PacketConn, net.Listener, error) {
	for attempt := 0; ; attempt++ {
		udp, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return nil, nil, err
		}
		p := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if port != 0 || attempt == 10 {
			return nil, nil, err
		}
	}
}

// relayAddress picks the address relay sockets bind to: turn.relay_ip, else
// the media's own address when it is bound to one, else the host's first
// private IPv4 address, else loopback.
func relayAddress(configured, mediaIP string) netip.Addr {
	for _, s := range []string{configured, mediaIP} {
		if a, err := netip.ParseAddr(s); err == nil && !a.IsUnspecified() {
			return a.Unmap()
		}
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() && ip.IsPrivate() {
				return ip.Unmap()
			}
		}
	}
	return netip.MustParseAddr("127.0.0.1")
}

// sfuPeers lists the addresses TURN clients may relay to, the SFU's
// candidate addresses, and the translation of a public node_ip (1:1 NAT) to
// the local address the relay reaches the SFU on.
func sfuPeers(mediaIP, nodeIP string, relayIP netip.Addr) (map[netip.Addr]bool, map[netip.Addr]netip.Addr) {
	allow := map[netip.Addr]bool{}
	local := relayIP
	if a, err := netip.ParseAddr(mediaIP); err == nil && !a.IsUnspecified() {
		local = a.Unmap()
		allow[local] = true
	} else {
		addrs, _ := net.InterfaceAddrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok {
					allow[ip.Unmap()] = true
				}
			}
		}
	}
	var translate map[netip.Addr]netip.Addr
	if a, err := netip.ParseAddr(nodeIP); err == nil {
		a = a.Unmap()
		if !allow[a] && a != local {
			translate = map[netip.Addr]netip.Addr{a: local}
		}
		allow[a] = true
	}
	return allow, translate
}

// ICEServers implements signaling.ICEProvider: the TURN URLs over UDP, TCP
// and TLS, with a credential for this user.
func (s *Server) ICEServers(app trtc.SDKAppID, user trtc.UserID, clientHost string) []proto.ICEServer {
	st := &s.reach
	if st.turn == nil {
		return nil
	}
	host := s.turnHost(clientHost)
	if host == "" {
		return nil
	}
	urls := []string{
		"turn:" + net.JoinHostPort(host, strconv.Itoa(st.turnPort)) + "?transport=udp",
		"turn:" + net.JoinHostPort(host, strconv.Itoa(st.turnPort)) + "?transport=tcp",
	}
	if st.turnsPort != 0 {
		urls = append(urls, "turns:"+net.JoinHostPort(host, strconv.Itoa(st.turnsPort))+"?transport=tcp")
	}
	cred := turn.Issue(st.secret, app, user, time.Now().Add(s.cfg.TURN.CredentialTTL))
	return []proto.ICEServer{{URLs: urls, Username: cred.Username, Credential: cred.Password, ExpiresAt: cred.Expires.Unix()}}
}

// turnHost is the host put in TURN URLs: turn.host, tls.domain, node_ip, or
// the host the client reached signaling by.
func (s *Server) turnHost(clientHost string) string {
	for _, h := range []string{s.cfg.TURN.Host, s.cfg.TLS.Domain, s.cfg.NodeIP} {
		if h != "" {
			return h
		}
	}
	if h, _, err := net.SplitHostPort(clientHost); err == nil {
		return h
	}
	if len(clientHost) > 1 && clientHost[0] == '[' && clientHost[len(clientHost)-1] == ']' {
		return clientHost[1 : len(clientHost)-1]
	}
	return clientHost
}

// newTURNSecret returns turn.secret or a random one.
func newTURNSecret(configured string) string {
	if configured != "" {
		return configured
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) closeTURN() {
	if s.reach.turn != nil {
		_ = s.reach.turn.Close()
	}
}

// refuseSignal answers a WebSocket the server will not serve with a
// protocol error frame (code and message, as for a refused request) and a
// policy-violation close, so that SDKs report a TRTC code, not a dead link.
func refuseSignal(w http.ResponseWriter, r *http.Request, code int, msg string) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       []string{proto.Subprotocol},
		InsecureSkipVerify: true,
	})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	_ = ws.Write(ctx, websocket.MessageText, proto.MustEncode(proto.TypeError, 0, code, msg, nil))
	_ = ws.Close(websocket.StatusPolicyViolation, truncateReason(msg))
}

// truncateReason fits a close reason in a control frame (123 bytes).
func truncateReason(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}

// reachCollector exports the TURN server's counters.
type reachCollector struct {
	s                        *Server
	allocs, created, refused *prometheus.Desc
	authFailed               *prometheus.Desc
}

func newReachCollector(s *Server) *reachCollector {
	return &reachCollector{
		s:          s,
		allocs:     prometheus.NewDesc("rtcengine_turn_allocations", "TURN relay allocations held now.", nil, nil),
		created:    prometheus.NewDesc("rtcengine_turn_allocations_total", "TURN relay allocations made, by the transport clients reached TURN over.", []string{"transport"}, nil),
		refused:    prometheus.NewDesc("rtcengine_turn_quota_refusals_total", "TURN allocations refused by turn.user_allocations or turn.max_allocations.", nil, nil),
		authFailed: prometheus.NewDesc("rtcengine_turn_auth_failures_total", "TURN requests with a bad or expired credential.", nil, nil),
	}
}

func (c *reachCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.allocs
	ch <- c.created
	ch <- c.refused
	ch <- c.authFailed
}

func (c *reachCollector) Collect(ch chan<- prometheus.Metric) {
	t := c.s.reach.turn
	if t == nil {
		return
	}
	st := t.Stats()
	ch <- prometheus.MustNewConstMetric(c.allocs, prometheus.GaugeValue, float64(st.Allocations))
	for _, tr := range []string{turn.TransportUDP, turn.TransportTCP, turn.TransportTLS} {
		ch <- prometheus.MustNewConstMetric(c.created, prometheus.CounterValue, float64(st.Created[tr]), tr)
	}
	ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(st.QuotaRefused))
	ch <- prometheus.MustNewConstMetric(c.authFailed, prometheus.CounterValue, float64(st.AuthFailed))
}

// Host is the host name the client used to reach the server
// (signaling's hostConn).
func (c *wsConn) Host() string { return c.host }
