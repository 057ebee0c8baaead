package netem

import (
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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// Firewall fallbacks across a real blocked network. The server runs in its
// namespace as a production node would, on the ports docs/deployment.md
// names: HTTPS (signaling and TURN over TLS) on 443, media on 7882 over UDP
// and TCP, TURN on 3478 over UDP and TCP. nftables rules on the link play
// the client network's firewall; the client uses the SDK's default ICE
// policy, so whatever path it ends on is the one ICE found through the
// firewall, not one the SDK was told to use.
//
// The rules sit in the server's namespace on its end of the link (iifname
// and oifname of the veth), which filters exactly what crosses the link in
// both directions and leaves the publisher next to the server, which
// reaches the server over the namespace's loopback, alone. To the client
// this is the same as its own network dropping the packets: nothing comes
// back, neither an ICMP error nor a TCP reset.

// Ports of the firewall test's server, as in production.
const (
	fwHTTPSPort = 443
	fwTURNPort  = 3478
)

// firewall is a client network's policy toward the server.
type firewall struct {
	name string
	// rules are the nftables rules of the link's input and output chains
	// (without the chain's name; "$L" stands for the link's interface).
	in, out []string
	// want is the media path the documentation promises behind it.
	want rtc.MediaPath
	// dropped names the input rule whose counter must show drops: the
	// client did try the blocked path first.
	dropped string
}

var firewalls = []firewall{
	{name: "open", want: rtc.MediaPathUDP},
	{
		name:    "UDP blocked",
		in:      []string{`iifname "$L" meta l4proto udp counter drop comment "udp"`},
		out:     []string{`oifname "$L" meta l4proto udp drop`},
		want:    rtc.MediaPathTCP,
		dropped: "udp",
	},
	{
		name: "UDP and 7882/tcp blocked",
		in: []string{`iifname "$L" meta l4proto udp drop`,
			`iifname "$L" tcp dport 7882 counter drop comment "media-tcp"`},
		out:     []string{`oifname "$L" meta l4proto udp drop`, `oifname "$L" tcp sport 7882 drop`},
		want:    rtc.MediaPathTURNTCP,
		dropped: "media-tcp",
	},
	{
		name: "HTTPS and 3478/udp only",
		in: []string{`iifname "$L" tcp dport 443 accept`, `iifname "$L" udp dport 3478 accept`,
			`iifname "$L" counter drop comment "not-turn"`},
		out:     []string{`oifname "$L" tcp sport 443 accept`, `oifname "$L" udp sport 3478 accept`, `oifname "$L" drop`},
		want:    rtc.MediaPathTURNUDP,
		dropped: "not-turn",
	},
	{
		name:    "HTTPS only",
		in:      []string{`iifname "$L" tcp dport 443 accept`, `iifname "$L" counter drop comment "not-https"`},
		out:     []string{`oifname "$L" tcp sport 443 accept`, `oifname "$L" drop`},
		want:    rtc.MediaPathTURNTLS,
		dropped: "not-https",
	},
}

// Firewall applies fw to the link, replacing the rules there were.
func (n *Net) Firewall(fw firewall) {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	// One transaction: the table and chains are made the first time
	// ("add" of an existing one changes nothing), the rules replaced.
	var script strings.Builder
	script.WriteString("add table inet fw\n" +
		"add chain inet fw in { type filter hook input priority 0 ; }\n" +
		"add chain inet fw out { type filter hook output priority 0 ; }\n")
	script.WriteString("flush chain inet fw in\nflush chain inet fw out\n")
	for _, c := range []struct {
		chain string
		rules []string
	}{{"in", fw.in}, {"out", fw.out}} {
		for _, r := range c.rules {
			fmt.Fprintf(&script, "add rule inet fw %s %s\n", c.chain, strings.ReplaceAll(r, "$L", n.Peer))
		}
	}
	cmd := n.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		n.t.Fatalf("nft -f: %v: %s\n%s", err, out, script.String())
	}
}

var nftCounter = regexp.MustCompile(`counter packets (\d+) bytes \d+ .*?comment "([^"]+)"`)

// FirewallDrops returns the packets counted by the input rule whose
// comment is name.
func (n *Net) FirewallDrops(name string) int {
	n.t.Helper()
	for _, m := range nftCounter.FindAllStringSubmatch(n.in("nft", "list", "chain", "inet", "fw", "in"), -1) {
		if m[2] == name {
			v, _ := strconv.Atoi(m[1])
			return v
		}
	}
	n.t.Fatalf("no firewall rule %q", name)
	return 0
}

// fwPKI is a private CA and a certificate for the server's address.
type fwPKI struct {
	roots         *x509.CertPool
	ca, cert, key string       // PEM files
	clientTLS     *tls.Config  // trusts the CA
	httpClient    *http.Client // trusts the CA
}

func newFWPKI(t testing.TB, ip net.IP) *fwPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rtcengine netem CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: ip.String()},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{ip},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &fwPKI{roots: x509.NewCertPool(), ca: filepath.Join(dir, "ca.pem"),
		cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	p.roots.AddCert(ca)
	for file, block := range map[string]*pem.Block{
		p.ca:   {Type: "CERTIFICATE", Bytes: caDER},
		p.cert: {Type: "CERTIFICATE", Bytes: der},
		p.key:  {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p.clientTLS = &tls.Config{RootCAs: p.roots}
	p.httpClient = &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: p.clientTLS.Clone()}}
	return p
}

// fwServer is a server with TLS on 443 and the embedded TURN server.
type fwServer struct {
	*Server
	pki *fwPKI
}

// StartTLSServer runs `rtcengine serve` in the namespace with TLS on 443
// (certificate of a private CA for ServerIP), media on 7882 over UDP and
// TCP, and TURN on 3478 over UDP and TCP and over TLS on 443.
func (n *Net) StartTLSServer() *fwServer {
	n.t.Helper()
	pki := newFWPKI(n.t, net.IP(n.ServerIP.AsSlice()))
	dir := n.t.TempDir()
	cfg := fmt.Sprintf("apps:\n  - sdkappid: %d\n    sdk_secret: %q\nlimits:\n  drop_timeout: 90s\n"+
		"tls:\n  cert: %q\n  key: %q\nturn:\n  enabled: true\n  port: %d\n  tls_port: 0\n",
		appID, appSecret, pki.cert, pki.key, fwTURNPort)
	path := filepath.Join(dir, "rtcengine.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		n.t.Fatal(err)
	}
	s := &Server{t: n.t, net: n, done: make(chan struct{})}
	s.cmd = n.Command(serverBin, "serve", "--config", path,
		"--listen", fmt.Sprintf("%s:%d", n.ServerIP, fwHTTPSPort),
		"--udp-port", fmt.Sprint(mediaPort), "--node-ip", n.ServerIP.String(),
		"--data-dir", filepath.Join(dir, "data"), "--log-level", "info")
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		n.t.Fatal(err)
	}
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	go func() {
		defer close(s.done)
		s.collect(out)
		_ = s.cmd.Wait()
	}()
	n.t.Cleanup(s.stop)
	fs := &fwServer{Server: s, pki: pki}
	fs.waitHealthy()
	return fs
}

func (s *fwServer) base() string { return fmt.Sprintf("https://%s:%d", s.net.ServerIP, fwHTTPSPort) }

// SignalURL is the wss:// signaling URL.
func (s *fwServer) SignalURL() string {
	return fmt.Sprintf("wss://%s:%d/signal", s.net.ServerIP, fwHTTPSPort)
}

func (s *fwServer) waitHealthy() {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := s.pki.httpClient.Get(s.base() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("server not healthy at %s: %v (where its log is kept follows)", s.base(), err)
		}
		select { // the server is starting: poll its port
		case <-s.done:
			s.t.Fatal("server exited (where its log is kept follows)")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// turnAllocations returns rtcengine_turn_allocations_total by transport.
func (s *fwServer) turnAllocations() map[string]int {
	s.t.Helper()
	resp, err := s.pki.httpClient.Get(s.base() + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	got := map[string]int{}
	re := regexp.MustCompile(`(?m)^rtcengine_turn_allocations_total\{transport="(\w+)"\} (\d+)`)
	for _, m := range re.FindAllStringSubmatch(string(body), -1) {
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	return got
}

// startFirewallCall starts the TLS server and alice next to it, publishing
// and watching bob's video. alice's helper trusts the test CA through
// SSL_CERT_FILE, which Go reads for the system's roots.
func startFirewallCall(t testing.TB, room uint32) (*Net, *fwServer, *Publisher) {
	n := NewNet(t)
	srv := n.StartTLSServer()
	t.Setenv("SSL_CERT_FILE", srv.pki.ca)
	// A keyframe every 100 ms: the synthetic publisher cannot answer a
	// keyframe request, so this bounds the wait for one.
	alice := n.StartPublisher(srv, "alice", room, PublishOptions{FPS: 30, FrameSize: 1000, KeyEvery: 3, Watch: "bob"})
	return n, srv, alice
}

// fwConnect is one connection through a firewall.
type fwConnect struct {
	enter, first time.Duration // EnterRoom → OnEnterRoom, → alice's first rendered frame
	up           time.Duration // bob starts publishing → alice renders his first frame
	down, upPath rtc.MediaPath // the subscriber's and the publisher's media path
}

var fwPhases atomic.Uint32

// nextPhase returns a printable phase byte for the next connection (the
// helper's protocol is text); after 94 they repeat.
func nextPhase() byte { return byte('!' + fwPhases.Add(1)%94) }

// connectThrough enters room as bob with the default ICE policy, waits for
// alice's video and the path it came by, then publishes and waits until
// alice renders bob's frames (marked with phase) and for that path.
func connectThrough(t testing.TB, srv *fwServer, alice *Publisher, room uint32, phase byte) fwConnect {
	t.Helper()
	c := NewClient(t, srv.SignalURL(), "bob", rtc.WithTLSConfig(srv.pki.clientTLS))
	defer c.Close()
	s := &Sink{}
	c.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)
	var r fwConnect
	events := len(alice.Events())
	start := time.Now()
	c.Enter(room)
	r.enter = time.Since(start)
	r.first = c.Seen("OnFirstVideoFrame", "alice").At.Sub(start)
	// Frames keep arriving whole: the path carries the stream, not just
	// the first keyframe.
	waitUntil(t, waitTimeout, "ten frames from alice", func() bool { return len(s.Video(0)) >= 10 })
	// Until bob publishes, the statistics' path is the subscriber's.
	r.down = c.pathAfter(start)

	// An earlier bob's frames may have carried the same phase (they
	// stopped with him): only more than those count.
	before := alice.Got(phase)
	c.EnableCustomVideoCapture(rtc.StreamBig, true)
	pubStart := time.Now()
	pc := startPacer(c.Cloud, 30, 1000, 3, false)
	pc.Phase(phase)
	waitUntil(t, waitTimeout, "bob's video at alice", func() bool { return alice.Got(phase) > before })
	r.up = time.Since(pubStart)
	// Once it is connected, the publisher's.
	r.upPath = c.pathAfter(time.Now())
	pc.Stop()
	if s.Corrupt() != 0 {
		t.Errorf("bob: %d corrupt frames", s.Corrupt())
	}
	c.ExitRoom()
	c.Wait("OnExitRoom")
	alice.WaitEventFrom(events, "leave", "bob")
	return r
}

// pathAfter waits for statistics later than since that name a media path.
func (c *Client) pathAfter(since time.Time) rtc.MediaPath {
	c.t.Helper()
	ev, _, ok := c.rec.waitFrom(0, waitTimeout, func(e Event) bool {
		return e.Name == "OnStatistics" && e.At.After(since) && e.Args[0].(rtc.Statistics).Path != rtc.MediaPathNone
	})
	if !ok {
		c.t.Fatalf("%s: no statistics with a media path; saw %v", c.ID, c.rec.all())
	}
	return ev.Args[0].(rtc.Statistics).Path
}

// TestFirewallFallbacks: behind each firewall of docs/deployment.md's
// table a client with the default ICE policy receives alice's video and
// sends its own over the path the table promises — UDP on an open
// network, ICE-TCP to 7882 with UDP blocked, TURN over TCP on 3478 with
// 7882/tcp blocked too, TURN over UDP when only 3478/udp (and HTTPS) gets
// out, TURN over TLS on 443 when only HTTPS does — and the firewall did
// drop what the client tried before it.
func TestFirewallFallbacks(t *testing.T) {
	const room = 8601
	n, srv, alice := startFirewallCall(t, room)
	for _, fw := range firewalls {
		t.Run(fw.name, func(t *testing.T) {
			n.Firewall(fw)
			defer n.Firewall(firewall{})
			before := srv.turnAllocations()
			r := connectThrough(t, srv, alice, room, nextPhase())
			t.Logf("%-26s down %-8s up %-8s EnterRoom → OnEnterRoom %v, → alice's first frame %v; publish → bob's first frame at alice %v",
				fw.name, r.down, r.upPath, r.enter.Round(time.Millisecond), r.first.Round(time.Millisecond), r.up.Round(time.Millisecond))
			if r.down != fw.want || r.upPath != fw.want {
				t.Errorf("media paths: down %q, up %q; want %q", r.down, r.upPath, fw.want)
			}
			// bob nominates his publisher's pair: a relayed one must not
			// wait out Pion's default 2 s for a better pair that cannot
			// come (rtc.relayAcceptanceWait is 300 ms; it took 2.1 s).
			if r.up >= 2*time.Second {
				t.Errorf("bob's video took %v to reach alice", r.up)
			}
			if fw.dropped != "" {
				if d := n.FirewallDrops(fw.dropped); d == 0 {
					t.Errorf("the firewall's %q rule dropped nothing: the client never tried that path", fw.dropped)
				}
			}
			// A relayed path allocated on TURN over the transport it names.
			if transport, relayed := strings.CutPrefix(string(fw.want), "turn/"); relayed {
				if after := srv.turnAllocations(); after[transport] <= before[transport] {
					t.Errorf("no TURN allocation over %s: before %v, after %v", transport, before, after)
				}
			}
		})
	}
}

// BenchmarkFirewallConnect measures connecting behind each firewall of
// TestFirewallFallbacks with the default ICE policy: the mean and median
// time from EnterRoom to OnEnterRoom and to alice's first rendered frame,
// and from starting to publish to alice rendering bob's first frame.
//
//	go test -run '^$' -bench FirewallConnect -benchtime 10x ./test/netem/
func BenchmarkFirewallConnect(b *testing.B) {
	const room = 8602
	n, srv, alice := startFirewallCall(b, room)
	for _, fw := range firewalls {
		b.Run(strings.ReplaceAll(fw.name, " ", "_"), func(b *testing.B) {
			n.Firewall(fw)
			defer n.Firewall(firewall{})
			var enter, first, up []time.Duration
			for b.Loop() {
				r := connectThrough(b, srv, alice, room, nextPhase())
				if r.down != fw.want || r.upPath != fw.want {
					b.Fatalf("media paths: down %q, up %q; want %q", r.down, r.upPath, fw.want)
				}
				enter, first, up = append(enter, r.enter), append(first, r.first), append(up, r.up)
			}
			for _, m := range []struct {
				unit string
				d    []time.Duration
			}{{"enter", enter}, {"first-frame", first}, {"publish", up}} {
				b.ReportMetric(ms(mean(m.d)), "ms/"+m.unit)
				b.ReportMetric(ms(percentile(slices.Clone(m.d), 0.5)), "ms/"+m.unit+"-p50")
			}
		})
	}
}

func mean(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return sum / time.Duration(len(d))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
