package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pturn "github.com/pion/turn/v5"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/internal/turn"
)

// testCA issues certificates for tests.
type testCA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rtcengine test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{key: key, cert: cert, pool: pool}
}

// issue returns PEM certificate and key for names (DNS names or IPs).
func (ca *testCA) issue(t *testing.T, serial int64, names ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// files writes a certificate for names to dir and returns the paths.
func (ca *testCA) files(t *testing.T, dir string, serial int64, names ...string) (string, string) {
	c, k := ca.issue(t, serial, names...)
	return writePair(t, dir, c, k)
}

func writePair(t *testing.T, dir string, certPEM, keyPEM []byte) (string, string) {
	t.Helper()
	c, k := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// Write to temporary names and rename, as certbot and cert-manager do.
	for _, f := range []struct {
		path string
		data []byte
	}{{c, certPEM}, {k, keyPEM}} {
		if err := os.WriteFile(f.path+".tmp", f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(f.path+".tmp", f.path); err != nil {
			t.Fatal(err)
		}
	}
	return c, k
}

func startServer(t *testing.T, edit func(*config.Config)) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.Listen, cfg.UDPPort, cfg.DataDir = "127.0.0.1:0", 0, t.TempDir()
	cfg.Apps = []config.App{{SDKAppID: 1400000001, SDKSecret: "secret"}}
	edit(&cfg)
	s, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

// peerSerial handshakes with addr and returns the certificate's serial.
func peerSerial(t *testing.T, addr, serverName string, roots *x509.CertPool) (int64, error) {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: serverName})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), nil
}

func TestTLSCertificateReloaded(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	cert, key := ca.files(t, dir, 100, "127.0.0.1")
	s := startServer(t, func(c *config.Config) { c.TLS.Cert, c.TLS.Key = cert, key })
	if !strings.HasPrefix(s.URL(), "https://") || !strings.HasPrefix(s.SignalURL(), "wss://") {
		t.Fatalf("URLs %s %s", s.URL(), s.SignalURL())
	}
	if n, err := peerSerial(t, s.Addr(), "127.0.0.1", ca.pool); err != nil || n != 100 {
		t.Fatalf("first certificate: serial %d, %v", n, err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}}}
	res, err := client.Get(s.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Contains(body, []byte(`"status":"ok"`)) {
		t.Fatalf("healthz over HTTPS: %s", body)
	}

	// A renewal replaces the files; the next handshake serves the new pair.
	ca.files(t, dir, 200, "127.0.0.1")
	if n, err := peerSerial(t, s.Addr(), "127.0.0.1", ca.pool); err != nil || n != 200 {
		t.Fatalf("after the renewal: serial %d, %v", n, err)
	}
	// A half-written renewal (garbage key) keeps the last good certificate.
	if err := os.WriteFile(key, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := peerSerial(t, s.Addr(), "127.0.0.1", ca.pool); err != nil || n != 200 {
		t.Fatalf("after a broken renewal: serial %d, %v", n, err)
	}
	// Plain HTTP on the TLS port gets nowhere.
	if res, err := http.Get("http://" + s.Addr() + "/healthz"); err == nil && res.StatusCode == 200 {
		t.Fatal("plain HTTP served on the TLS listener")
	}
}

func TestTLSBadFilesRefused(t *testing.T) {
	dir := t.TempDir()
	cert, key := writePair(t, dir, []byte("junk"), []byte("junk"))
	cfg := config.Default()
	cfg.Listen, cfg.UDPPort, cfg.DataDir = "127.0.0.1:0", 0, t.TempDir()
	cfg.Apps = []config.App{{SDKAppID: 1400000001, SDKSecret: "secret"}}
	cfg.TLS.Cert, cfg.TLS.Key = cert, key
	if _, err := New(cfg, nil, nil); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Fatalf("New with unloadable certificate files: %v", err)
	}
}

// TestACMEDomainFromCache: with --domain the certificate comes from the ACME
// manager. The CA cannot be reached here, so the test seeds the manager's
// cache as a previous run would have left it: the certificate is served for
// the domain, and another name is refused without asking any CA.
func TestACMEDomainFromCache(t *testing.T) {
	const domain = "rtc.example.com"
	ca := newTestCA(t)
	certPEM, keyPEM := ca.issue(t, 300, domain)
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "acme"), 0o700); err != nil {
		t.Fatal(err)
	}
	// autocert's cache entry: the private key, then the chain, in PEM.
	if err := os.WriteFile(filepath.Join(data, "acme", domain), append(keyPEM, certPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, func(c *config.Config) {
		c.DataDir = data
		c.TLS.Domain = domain
		c.TLS.ACMEDirectory = "https://127.0.0.1:1/directory" // never reached
	})
	if n, err := peerSerial(t, s.Addr(), domain, ca.pool); err != nil || n != 300 {
		t.Fatalf("cached ACME certificate: serial %d, %v", n, err)
	}
	if _, err := peerSerial(t, s.Addr(), "other.example.com", ca.pool); err == nil {
		t.Fatal("a certificate was served for a name outside tls.domain")
	}
	m := acmeManager(s.cfg)
	if err := m.HostPolicy(context.Background(), "evil.example.com"); err == nil {
		t.Fatal("the host policy admits other names")
	}
}

// TestTURNSharesTheTLSPort: with turn.tls_port 0, HTTPS and TURN over TLS
// answer on one port, told apart by their first byte.
func TestTURNSharesTheTLSPort(t *testing.T) {
	ca := newTestCA(t)
	cert, key := ca.files(t, t.TempDir(), 1, "127.0.0.1")
	s := startServer(t, func(c *config.Config) {
		c.TLS.Cert, c.TLS.Key = cert, key
		c.TURN.Enabled, c.TURN.Port = true, 0
	})
	servers := s.ICEServers(1400000001, "alice", s.Addr())
	if len(servers) != 1 || len(servers[0].URLs) != 3 {
		t.Fatalf("ICE servers %+v", servers)
	}
	port := s.Addr()[strings.LastIndex(s.Addr(), ":")+1:]
	if want := "turns:127.0.0.1:" + port + "?transport=tcp"; servers[0].URLs[2] != want {
		t.Fatalf("TURN/TLS URL %s, want %s", servers[0].URLs[2], want)
	}

	// TURN over TLS on the HTTPS port: allocate a relay.
	conn, err := tls.Dial("tcp", s.Addr(), &tls.Config{RootCAs: ca.pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := pturn.NewClient(&pturn.ClientConfig{
		TURNServerAddr: s.Addr(), Conn: pturn.NewSTUNConn(conn),
		Username: servers[0].Username, Password: servers[0].Credential,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	relay, err := c.Allocate()
	if err != nil {
		t.Fatalf("allocate over the shared port: %v", err)
	}
	defer relay.Close()
	if st := s.reach.turn.Stats(); st.Created[turn.TransportTLS] != 1 {
		t.Fatalf("TURN stats %+v", st)
	}
	// HTTPS keeps working on the same port.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}}}
	res, err := client.Get(s.URL() + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("HTTPS beside TURN: %v %v", res, err)
	}
	res.Body.Close()
	// A credential for another app does not authenticate as this user.
	if got := turn.Issue("wrong", trtc.SDKAppID(1400000001), "alice", time.Now().Add(time.Hour)); got.Password == servers[0].Credential {
		t.Fatal("credentials do not depend on the secret")
	}
}

func TestTURNHost(t *testing.T) {
	for _, tc := range []struct {
		turnHost, domain, nodeIP, client, want string
	}{
		{"turn.example.com", "rtc.example.com", "203.0.113.1", "x:1", "turn.example.com"},
		{"", "rtc.example.com", "203.0.113.1", "x:1", "rtc.example.com"},
		{"", "", "203.0.113.1", "x:1", "203.0.113.1"},
		{"", "", "", "media.example.com:443", "media.example.com"},
		{"", "", "", "[2001:db8::1]:443", "2001:db8::1"},
		{"", "", "", "[2001:db8::1]", "2001:db8::1"},
		{"", "", "", "plain", "plain"},
	} {
		s := &Server{cfg: config.Config{TURN: config.TURN{Host: tc.turnHost}, TLS: config.TLS{Domain: tc.domain}, NodeIP: tc.nodeIP}}
		if got := s.turnHost(tc.client); got != tc.want {
			t.Errorf("turnHost(%+v) = %q, want %q", tc, got, tc.want)
		}
	}
}
