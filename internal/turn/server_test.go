package turn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	pturn "github.com/pion/turn/v5"

	"github.com/rtcengine/rtcengine/internal/pionlog"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

const (
	secret = "turn-test-secret"
	realm  = "rtcengine"
	app    = trtc.SDKAppID(1400000001)
)

// publicIP stands for the SFU's public address behind 1:1 NAT: unroutable
// here, so a datagram only arrives if the relay translates it.
var publicIP = netip.MustParseAddr("192.0.2.10")

// selfSigned returns a TLS certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "turn test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

type testServer struct {
	*Server
	udp, tcp, tls string
	roots         *x509.CertPool
}

func startServer(t *testing.T, edit func(*Config)) *testServer {
	t.Helper()
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cert, roots := selfSigned(t)
	tl := tls.NewListener(raw, &tls.Config{Certificates: []tls.Certificate{cert}})
	cfg := Config{
		Realm: realm, Secret: secret, UDP: udp, TCP: tcp, TLS: tl,
		RelayIP:   net.IPv4(127, 0, 0, 1),
		Translate: map[netip.Addr]netip.Addr{publicIP: netip.MustParseAddr("127.0.0.1")},
		AllowPeer: func(ip net.IP) bool {
			a, _ := netip.AddrFromSlice(ip)
			return a.Unmap() == publicIP || a.Unmap().IsLoopback()
		},
		UserAllocations: 2, MaxAllocations: 100,
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &testServer{Server: s, udp: udp.LocalAddr().String(), tcp: tcp.Addr().String(), tls: raw.Addr().String(), roots: roots}
}

// client allocates a relay over transport with cred.
func (ts *testServer) client(t *testing.T, transport string, cred Credential) (*pturn.Client, net.PacketConn, error) {
	t.Helper()
	var conn net.PacketConn
	addr := ts.udp
	switch transport {
	case TransportUDP:
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conn = c
	case TransportTCP:
		addr = ts.tcp
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn = pturn.NewSTUNConn(c)
	case TransportTLS:
		addr = ts.tls
		c, err := tls.Dial("tcp4", addr, &tls.Config{RootCAs: ts.roots, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		conn = pturn.NewSTUNConn(c)
	}
	c, err := pturn.NewClient(&pturn.ClientConfig{
		TURNServerAddr: addr, Conn: conn, Username: cred.Username, Password: cred.Password,
		RTO: 100 * time.Millisecond, LoggerFactory: pionlog.Factory{Log: discard(), Quiet: true, Attrs: turnScope},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	relay, err := c.Allocate()
	return c, relay, err
}

// echoPeer is the SFU's stand-in: it answers every datagram with itself.
func echoPeer(t *testing.T) *net.UDPAddr {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(buf[:n], from)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr)
}

func TestRelayOverEveryTransport(t *testing.T) {
	ts := startServer(t, nil)
	peer := echoPeer(t)
	public := &net.UDPAddr{IP: publicIP.AsSlice(), Port: peer.Port}
	for _, transport := range []string{TransportUDP, TransportTCP, TransportTLS} {
		t.Run(transport, func(t *testing.T) {
			cred := Issue(secret, app, trtc.UserID("u-"+transport), time.Now().Add(time.Minute))
			_, relay, err := ts.client(t, transport, cred)
			if err != nil {
				t.Fatalf("allocate: %v", err)
			}
			if ra := relay.LocalAddr().(*net.UDPAddr); !ra.IP.Equal(net.IPv4(127, 0, 0, 1)) {
				t.Errorf("relayed address %v, want the relay IP", ra)
			}
			// The peer's public address is translated on the way out and back.
			msg := []byte("hello via " + transport)
			if _, err := relay.WriteTo(msg, public); err != nil {
				t.Fatalf("send: %v", err)
			}
			buf := make([]byte, 1500)
			_ = relay.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, from, err := relay.ReadFrom(buf)
			if err != nil {
				t.Fatalf("no echo: %v", err)
			}
			if string(buf[:n]) != string(msg) || from.String() != public.String() {
				t.Fatalf("got %q from %v, want %q from %v", buf[:n], from, msg, public)
			}
		})
	}
	st := ts.Stats()
	for _, tr := range []string{TransportUDP, TransportTCP, TransportTLS} {
		if st.Created[tr] != 1 {
			t.Errorf("created over %s = %d, want 1 (%+v)", tr, st.Created[tr], st)
		}
	}
}

func TestCredentialsChecked(t *testing.T) {
	ts := startServer(t, nil)
	good := Issue(secret, app, "alice", time.Now().Add(time.Minute))
	for name, cred := range map[string]Credential{
		"expired":        Issue(secret, app, "alice", time.Now().Add(-time.Second)),
		"other secret":   Issue("not-the-secret", app, "alice", time.Now().Add(time.Minute)),
		"wrong password": {Username: good.Username, Password: good.Password + "x"},
		"foreign scheme": {Username: "alice", Password: "pw"},
		"other user":     {Username: strings.Replace(good.Username, "alice", "bob", 1), Password: good.Password},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := ts.client(t, TransportUDP, cred); err == nil {
				t.Fatal("allocated with a bad credential")
			}
		})
	}
	if ts.Stats().AuthFailed == 0 {
		t.Error("no failed authentication counted")
	}
	if _, _, err := ts.client(t, TransportUDP, good); err != nil {
		t.Fatalf("good credential: %v", err)
	}
}

func TestUserAllocationQuota(t *testing.T) {
	ts := startServer(t, nil) // 2 per user
	cred := Issue(secret, app, "carol", time.Now().Add(time.Minute))
	var relays []net.PacketConn
	for i := range 2 {
		_, r, err := ts.client(t, TransportUDP, cred)
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		relays = append(relays, r)
	}
	_, _, err := ts.client(t, TransportTCP, cred)
	if err == nil || !strings.Contains(err.Error(), "486") {
		t.Fatalf("third allocation: %v, want 486 Allocation Quota Reached", err)
	}
	if ts.Stats().QuotaRefused == 0 {
		t.Error("refusal not counted")
	}
	// Another user is not affected.
	if _, _, err := ts.client(t, TransportUDP, Issue(secret, app, "dave", time.Now().Add(time.Minute))); err != nil {
		t.Fatalf("another user: %v", err)
	}
	// Releasing one allocation (a Refresh with lifetime 0) makes room again.
	relays[0].Close()
	user := "1400000001:carol"
	deadline := time.Now().Add(5 * time.Second)
	for ts.quot.user(user) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the closed allocation was not released: %d held", ts.quot.user(user))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, _, err := ts.client(t, TransportUDP, cred); err != nil {
		t.Fatalf("after a release: %v", err)
	}
}

func TestServerAllocationCap(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxAllocations = 1 })
	if _, _, err := ts.client(t, TransportUDP, Issue(secret, app, "a", time.Now().Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.client(t, TransportUDP, Issue(secret, app, "b", time.Now().Add(time.Minute))); err == nil {
		t.Fatal("allocated past the server cap")
	}
}

func TestPeerNotAllowed(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.AllowPeer = func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) } })
	_, relay, err := ts.client(t, TransportUDP, Issue(secret, app, "eve", time.Now().Add(time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	// Creating the permission for an address outside the SFU's fails.
	if _, err := relay.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(10, 9, 8, 7), Port: 9}); err == nil {
		t.Fatal("permission granted for a peer that is not the SFU")
	}
}

func TestNewNeedsAListener(t *testing.T) {
	if _, err := New(Config{RelayIP: net.IPv4(127, 0, 0, 1)}); !errors.Is(err, ErrNoListener) {
		t.Fatalf("New without listeners: %v", err)
	}
}

func TestParseUsername(t *testing.T) {
	c := Issue(secret, app, "user_1-x", time.Unix(1_800_000_000, 0))
	exp, user, err := ParseUsername(c.Username)
	if err != nil || exp.Unix() != 1_800_000_000 || user != "1400000001:user_1-x" {
		t.Fatalf("ParseUsername(%q) = %v %q %v", c.Username, exp, user, err)
	}
	for _, bad := range []string{"", "x", "1800000000", "1800000000:1400000001", "1800000000::u", "-5:1400000001:u",
		"+5:1400000001:u", "0:1400000001:u", "1800000000:0:u", "1800000000:01400000001:u", "1800000000:99999999999:u",
		"1800000000:1400000001:", "1800000000:1400000001:a:b", "1800000000:1400000001:" + strings.Repeat("a", 40)} {
		if _, _, err := ParseUsername(bad); !errors.Is(err, ErrBadUsername) {
			t.Errorf("ParseUsername(%q) = %v, want ErrBadUsername", bad, err)
		}
	}
}

func FuzzParseUsername(f *testing.F) {
	f.Add("1800000000:1400000001:alice")
	f.Add("1:1:a")
	f.Add("01:1:0") // a leading zero: not what Issue writes
	f.Add("::")
	f.Add("1800000000:1400000001:a:b")
	f.Fuzz(func(t *testing.T, s string) {
		exp, user, err := ParseUsername(s)
		if err != nil {
			return
		}
		// Whatever parses is exactly what Issue makes.
		app, uid, _ := strings.Cut(user, ":")
		var id uint64
		for _, r := range app {
			id = id*10 + uint64(r-'0')
		}
		if got := Issue("k", trtc.SDKAppID(id), trtc.UserID(uid), exp).Username; got != s {
			t.Fatalf("%q parsed to %v %q, which Issue writes as %q", s, exp, user, got)
		}
	})
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
