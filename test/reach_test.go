package test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/server"
	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// Reach: TLS for signaling, and the firewall fallbacks of media — UDP to the
// media port, ICE-TCP to the same port number, the embedded TURN server over
// UDP, TCP and TLS. On loopback a "firewall" is the SDK's ICE policy, which
// refuses the SDK's own UDP sockets (as a firewall dropping UDP would leave
// it with none that work) and, for TURN/TLS, plain TCP to TURN.

// testPKI is a private CA and a server certificate for 127.0.0.1.
type testPKI struct {
	roots     *x509.CertPool
	cert, key string // PEM files
}

func newTestPKI(t testing.TB) testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rtcengine test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	p := testPKI{roots: x509.NewCertPool(), cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	p.roots.AddCert(ca)
	if err := os.WriteFile(p.cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newReachEnv starts a server with TLS and the embedded TURN server (TURN
// over TLS sharing the HTTPS port).
func newReachEnv(t *testing.T) (*Env, testPKI) {
	pki := newTestPKI(t)
	e := NewEnv(t, func(c *config.Config) {
		c.TLS.Cert, c.TLS.Key = pki.cert, pki.key
		c.TURN.Enabled, c.TURN.Port = true, 0
	})
	return e, pki
}

// newReachClient makes a client that trusts the test CA, under policy.
func (e *Env) newReachClient(user string, pki testPKI, policy rtc.ICEPolicy) *Client {
	rec := NewRecorder()
	c := rtc.NewCloud(rtc.WithServer(e.Srv.SignalURL()), rtc.WithConnectTimeout(5*time.Second),
		rtc.WithTLSConfig(&tls.Config{RootCAs: pki.roots}), rtc.WithICEPolicy(policy))
	c.SetListener(rec)
	e.t.Cleanup(c.Close)
	return &Client{Cloud: c, rec: rec, t: e.t, ID: user}
}

// waitPath waits for an OnStatistics that names the media path.
func (c *Client) waitPath() rtc.MediaPath {
	c.t.Helper()
	ev, ok := c.rec.WaitFor(waitTimeout, func(e Event) bool {
		if e.Name != "OnStatistics" {
			return false
		}
		return e.Args[0].(rtc.Statistics).Path != rtc.MediaPathNone
	})
	if !ok {
		c.t.Fatalf("%s: no statistics with a media path; saw %v", c.ID, c.rec.All())
	}
	return ev.Args[0].(rtc.Statistics).Path
}

func TestReachWSS(t *testing.T) {
	e, pki := newReachEnv(t)
	if !strings.HasPrefix(e.Srv.SignalURL(), "wss://") {
		t.Fatalf("signal URL %s", e.Srv.SignalURL())
	}
	// The SDK speaks wss:// given the CA; https:// means the same.
	c := e.newReachClient("alice", pki, rtc.ICEPolicyAll)
	c.EnterRoom(e.Params("alice", 8101, rtc.RoleAnchor), rtc.SceneVideoCall)
	if r := c.WaitEnter(); r <= 0 {
		t.Fatalf("enter over wss: %d", r)
	}
	https := rtc.NewCloud(rtc.WithServer("https://"+e.Srv.Addr()), rtc.WithTLSConfig(&tls.Config{RootCAs: pki.roots}))
	rec := NewRecorder()
	https.SetListener(rec)
	t.Cleanup(https.Close)
	https.EnterRoom(e.Params("bob", 8101, rtc.RoleAnchor), rtc.SceneVideoCall)
	b := &Client{Cloud: https, rec: rec, t: t, ID: "bob"}
	if r := b.WaitEnter(); r <= 0 {
		t.Fatalf("enter with an https:// server URL: %d", r)
	}
	// Without the CA the certificate is refused: no enter.
	untrusting := e.NewClient("carol", e.Srv.SignalURL())
	untrusting.EnterRoom(e.Params("carol", 8101, rtc.RoleAnchor), rtc.SceneVideoCall)
	if r := untrusting.WaitEnter(); r != int64(rtc.ErrCodeConnectServerTimeout) {
		t.Fatalf("enter without trusting the certificate: %d, want %d", r, rtc.ErrCodeConnectServerTimeout)
	}
	// Plain ws:// to the TLS port fails as well.
	plain := e.NewClient("dave", "ws://"+e.Srv.Addr())
	plain.EnterRoom(e.Params("dave", 8101, rtc.RoleAnchor), rtc.SceneVideoCall)
	if r := plain.WaitEnter(); r > 0 {
		t.Fatal("entered over plain ws:// on the TLS port")
	}
}

// TestReachFallbacks connects a client under each firewall and checks that
// media flows both ways over the expected path, recording the time from
// EnterRoom to the first remote video frame.
func TestReachFallbacks(t *testing.T) {
	e, pki := newReachEnv(t)
	const room = 8102
	// The peer publishes over the direct path.
	peer := e.newReachClient("peer", pki, rtc.ICEPolicyAll)
	peer.EnterRoom(e.Params("peer", room, rtc.RoleAnchor), rtc.SceneVideoCall)
	if r := peer.WaitEnter(); r <= 0 {
		t.Fatalf("peer: %d", r)
	}
	peer.EnableCustomVideoCapture(rtc.StreamBig, true)
	stop := make(chan struct{})
	wg := pump(peer, stop, false)
	defer func() { close(stop); wg.Wait() }()

	for _, tc := range []struct {
		name   string
		policy rtc.ICEPolicy
		want   func(rtc.MediaPath) bool
	}{
		{"open network: UDP", rtc.ICEPolicyAll, func(p rtc.MediaPath) bool { return p == rtc.MediaPathUDP }},
		{"UDP blocked: ICE-TCP", rtc.ICEPolicyNoUDP, func(p rtc.MediaPath) bool { return p == rtc.MediaPathTCP }},
		{"relay only: TURN", rtc.ICEPolicyRelay, func(p rtc.MediaPath) bool { return strings.HasPrefix(string(p), "turn/") }},
		{"HTTPS only: TURN over TLS", rtc.ICEPolicyRelayTLS, func(p rtc.MediaPath) bool { return p == rtc.MediaPathTURNTLS }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.With(t)
			user := "u" + tc.policy.String()
			c := e.newReachClient(user, pki, tc.policy)
			s := newSink()
			c.SetRemoteVideoRenderCallback("peer", rtc.VideoFormatVP8, s)
			start := time.Now()
			c.EnterRoom(e.Params(user, room, rtc.RoleAnchor), rtc.SceneVideoCall)
			if r := c.WaitEnter(); r <= 0 {
				t.Fatalf("enter: %d", r)
			}
			c.waitSeen("OnFirstVideoFrame", "peer")
			connect := time.Since(start)
			// Uplink too: the peer receives this client's video.
			c.EnableCustomVideoCapture(rtc.StreamBig, true)
			up := make(chan struct{})
			uwg := pump(c, up, false)
			peer.waitSeen("OnFirstVideoFrame", user)
			close(up)
			uwg.Wait()
			path := c.waitPath()
			if !tc.want(path) {
				t.Fatalf("media path %q under %v", path, tc.policy)
			}
			t.Logf("%-26s path %-8s enter → first remote frame %v", tc.name, path, connect.Round(time.Millisecond))
			c.ExitRoom()
			c.Wait("OnExitRoom")
		})
	}
	// TURN served the relayed clients, and says how they reached it.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.roots}}}
	res, err := hc.Get(e.Srv.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := string(body)
	if !strings.Contains(m, `rtcengine_turn_allocations_total{transport="tls"}`) || strings.Contains(m, `rtcengine_turn_allocations_total{transport="tls"} 0`) {
		t.Errorf("no TURN/TLS allocation counted:\n%s", grepLines(m, "rtcengine_turn"))
	}
}

func grepLines(page, prefix string) string {
	var out []string
	for _, l := range strings.Split(page, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// BenchmarkConnectPath measures EnterRoom → first remote video frame over
// each path, with one server and one publishing peer per path
// (docs/benchmarks.md).
func BenchmarkConnectPath(b *testing.B) {
	for _, policy := range []rtc.ICEPolicy{rtc.ICEPolicyAll, rtc.ICEPolicyNoUDP, rtc.ICEPolicyRelay, rtc.ICEPolicyRelayTLS} {
		b.Run(policy.String(), func(b *testing.B) {
			pki := newTestPKI(b)
			cfg := config.Default()
			cfg.Listen, cfg.UDPPort, cfg.DataDir = "127.0.0.1:0", 0, b.TempDir()
			cfg.Apps = []config.App{{SDKAppID: appID, SDKSecret: appSecret}}
			cfg.TLS.Cert, cfg.TLS.Key = pki.cert, pki.key
			cfg.TURN.Enabled, cfg.TURN.Port = true, 0
			srv, err := server.New(cfg, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			if err := srv.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(ctx)
			}()
			join := func(user string, p rtc.ICEPolicy, l rtc.Listener) *rtc.Cloud {
				c := rtc.NewCloud(rtc.WithServer(srv.SignalURL()), rtc.WithTLSConfig(&tls.Config{RootCAs: pki.roots}), rtc.WithICEPolicy(p))
				c.SetListener(l)
				sig, _ := usersig.GenUserSig(appID, appSecret, user, 3600)
				c.EnterRoom(rtc.Params{SDKAppID: appID, UserID: user, UserSig: sig, RoomID: 8200, Role: rtc.RoleAnchor}, rtc.SceneVideoCall)
				return c
			}
			peer := join("peer", rtc.ICEPolicyAll, rtc.BaseListener{})
			defer peer.Close()
			peer.EnableCustomVideoCapture(rtc.StreamBig, true)
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				for n := uint32(0); ; n++ {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
					_ = peer.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: vp8Frame('B', n, true, 1200), Keyframe: true})
				}
			}()
			var total time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				l := &firstFrame{BaseListener: rtc.BaseListener{}, got: make(chan struct{}, 1)}
				start := time.Now()
				c := join(fmt.Sprintf("u%d", i), policy, l)
				select {
				case <-l.got:
				case <-time.After(waitTimeout):
					b.Fatalf("no first frame under %v", policy)
				}
				total += time.Since(start)
				c.Close()
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/connect")
		})
	}
}

// firstFrame signals the first remote video frame.
type firstFrame struct {
	rtc.BaseListener
	got chan struct{}
}

func (f *firstFrame) OnFirstVideoFrame(string, rtc.StreamType, int, int) {
	select {
	case f.got <- struct{}{}:
	default:
	}
}
