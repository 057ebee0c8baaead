package rtc

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/proto"
)

func TestTurnsAddr(t *testing.T) {
	for _, tc := range []struct {
		url, host, port string
		ok              bool
	}{
		{"turns:rtc.example.com:443?transport=tcp", "rtc.example.com", "443", true},
		{"turns:[2001:db8::1]:5349", "2001:db8::1", "5349", true},
		{"turns:rtc.example.com", "rtc.example.com", "5349", true},
		{"turn:rtc.example.com:3478?transport=tcp", "", "", false},
		{"turns:", "", "", false},
	} {
		h, p, ok := turnsAddr(tc.url)
		if h != tc.host || p != tc.port || ok != tc.ok {
			t.Errorf("turnsAddr(%q) = %q %q %v", tc.url, h, p, ok)
		}
	}
}

func TestICEServersFromEnterResponse(t *testing.T) {
	c := NewCloud(WithICEPolicy(ICEPolicyRelayTLS))
	defer c.Close()
	c.setICEServers([]proto.ICEServer{{
		URLs:     []string{"turn:h:3478?transport=udp", "turns:h:443?transport=tcp"},
		Username: "1:1400000001:u", Credential: "pw",
	}})
	cfg := c.pcConfig()
	if len(cfg.ICEServers) != 1 || cfg.ICEServers[0].Username != "1:1400000001:u" || cfg.ICETransportPolicy != webrtc.ICETransportPolicyRelay {
		t.Fatalf("PeerConnection config %+v", cfg)
	}
	// A resume answer lists none: the servers of the enter stay.
	c.setICEServers(nil)
	if len(c.pcConfig().ICEServers) != 1 {
		t.Fatal("an empty list dropped the servers")
	}
	d := c.turnDialer()
	if d.tlsAddrs["h:443"] != "h" {
		t.Fatalf("TLS addresses %v", d.tlsAddrs)
	}
	// Under ICEPolicyRelayTLS, plain TCP to TURN is refused without dialling.
	if _, err := d.Dial("tcp", "h:3478"); err == nil || !strings.Contains(err.Error(), "ICEPolicyRelayTLS") {
		t.Fatalf("plain TURN dial: %v", err)
	}
}

func TestTurnDialerVerifiesWithTheSDKRoots(t *testing.T) {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		return nil, errors.New("no certificate")
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	d := &turnDialer{tlsConfig: &tls.Config{}, plain: true}
	d.setTLS(map[string]string{ln.Addr().String(): "127.0.0.1"})
	if _, err := d.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("a TLS dial succeeded against a server without a certificate")
	}
	// Plain TURN over TCP is allowed outside ICEPolicyRelayTLS.
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	c, err := d.Dial("tcp", plain.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestNoUDPNet(t *testing.T) {
	base, err := newBufferedNet(-1)
	if err != nil {
		t.Fatal(err)
	}
	n := noUDPNet{base}
	if _, err := n.ListenUDP("udp4", &net.UDPAddr{}); !errors.Is(err, errUDPBlocked) {
		t.Errorf("ListenUDP: %v", err)
	}
	if _, err := n.ListenPacket("udp", "127.0.0.1:0"); !errors.Is(err, errUDPBlocked) {
		t.Errorf("ListenPacket: %v", err)
	}
	if _, err := n.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); !errors.Is(err, errUDPBlocked) {
		t.Errorf("DialUDP: %v", err)
	}
	if _, err := n.Dial("udp", "127.0.0.1:9"); !errors.Is(err, errUDPBlocked) {
		t.Errorf("Dial udp: %v", err)
	}
	if ICEPolicyNoUDP.String() != "no-udp" || ICEPolicy(9).String() != "ICEPolicy(9)" {
		t.Error("ICEPolicy names")
	}
}
