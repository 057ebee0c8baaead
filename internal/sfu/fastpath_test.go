package sfu

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/udpbatch"
)

// TestPionPrivateFields fails when a Pion upgrade moves what pionprivate.go
// reads: DTLSTransport.conn (*dtls.Conn) and DTLSTransport.srtpEndpoint (a
// pointer to a writer type named Endpoint).
func TestPionPrivateFields(t *testing.T) {
	typ := reflect.TypeFor[webrtc.DTLSTransport]()
	f, ok := typ.FieldByName("conn")
	if !ok || f.Type != reflect.TypeFor[*dtls.Conn]() {
		t.Fatalf("webrtc.DTLSTransport.conn: %v %v, want *dtls.Conn (pionprivate.go needs updating)", ok, f.Type)
	}
	f, ok = typ.FieldByName("srtpEndpoint")
	if !ok || f.Type.Kind() != reflect.Pointer || f.Type.Elem().Name() != "Endpoint" ||
		!f.Type.Implements(reflect.TypeFor[io.Writer]()) {
		t.Fatalf("webrtc.DTLSTransport.srtpEndpoint: %v %v, want a *mux.Endpoint writer (pionprivate.go needs updating)", ok, f.Type)
	}
	// Before DTLS has connected there is nothing to read, and saying so is
	// an error, not a panic.
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := dtlsConnOf(pc.SCTP().Transport()); err == nil {
		t.Fatal("dtlsConnOf on an unconnected transport: no error")
	}
	if _, err := dtlsConnOf(nil); err == nil {
		t.Fatal("dtlsConnOf(nil): no error")
	}
}

// fastSink is the far end of a fast path: a loopback UDP socket that
// decrypts what it receives with the sender's key.
type fastSink struct {
	conn *net.UDPConn
	dec  *srtp.Context
}

func newFastPathForTest(t *testing.T, p *Peer) *fastSink {
	t.Helper()
	// AES-GCM is what browsers and Pion negotiate first.
	key, salt := make([]byte, 16), make([]byte, 12)
	_, _ = rand.Read(key)
	_, _ = rand.Read(salt)
	enc, err := srtp.CreateContext(key, salt, srtp.ProtectionProfileAeadAes128Gcm)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := srtp.CreateContext(key, salt, srtp.ProtectionProfileAeadAes128Gcm)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = sink.SetReadBuffer(socketBuffer)
	out, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	sock, err := udpbatch.New(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close(); sock.Close() })
	fp := &fastPath{ctx: enc, sock: sock, via: io.Discard}
	a := sink.LocalAddr().(*net.UDPAddr).AddrPort()
	fp.addr.Store(&a)
	p.fast.fp.Store(fp)
	return &fastSink{conn: sink, dec: dec}
}

// next reads and decrypts one packet.
func (s *fastSink) next(t *testing.T) *rtp.Packet {
	t.Helper()
	buf := make([]byte, 2000)
	_ = s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := s.conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.dec.DecryptRTP(nil, buf[:n], nil)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	var p rtp.Packet
	if err := p.Unmarshal(plain); err != nil {
		t.Fatal(err)
	}
	return &p
}

// The fast path sends what Pion's path would (same header and payload),
// SRTP-protected, straight into the socket; Pion's writer sees nothing; no
// allocation per forwarded or retransmitted packet.
func TestFastPathEncryptsIntoTheSocketWithoutAllocating(t *testing.T) {
	f := newFanout(t, 2)
	sinks := []*fastSink{newFastPathForTest(t, f.peers[0]), newFastPathForTest(t, f.peers[1])}
	f.step() // keyframe: starts every DownTrack
	for i, s := range sinks {
		p := s.next(t)
		if p.SSRC != uint32(1000+i) || p.PayloadType != 96 || len(p.Payload) != 1100 || p.Payload[0] != 0x10 || !p.Marker {
			t.Fatalf("sink %d: ssrc %d pt %d payload %d marker %v", i, p.SSRC, p.PayloadType, len(p.Payload), p.Marker)
		}
		if p.GetExtension(3) == nil {
			t.Fatalf("sink %d: abs-send-time missing", i)
		}
	}
	socks := []*udpbatch.Conn{f.peers[0].fast.fp.Load().sock, f.peers[1].fast.fp.Load().sock}
	burst := func() { // as a send worker does
		for _, s := range socks {
			s.Hold()
		}
		f.step()
		for _, s := range socks {
			s.Release()
		}
	}
	if a := testing.AllocsPerRun(200, burst); a != 0 {
		t.Fatalf("%.1f allocations per forwarded packet on the fast path, want 0", a)
	}
	d := f.layer.track.subscribers()[0]
	nack := func() {
		d.peer.send.q.push(sendItem{dt: d, seq: f.seq - 10})
		d.peer.send.drain()
	}
	if a := testing.AllocsPerRun(100, nack); a != 0 {
		t.Fatalf("%.1f allocations per retransmission on the fast path, want 0", a)
	}
	for i, w := range f.writers {
		if w.count() != 0 {
			t.Fatalf("Pion's writer %d got %d packets on the fast path", i, w.count())
		}
	}
	for _, sub := range f.layer.track.subscribers() {
		st := sub.Stats()
		if st.Packets != 202 || st.FastPathPackets != st.Packets+st.Retransmits || st.WriteErrors != 0 {
			t.Fatalf("stats %+v", st)
		}
	}
	if st := d.Stats(); st.Retransmits == 0 {
		t.Fatal("no retransmissions")
	}
}

// rtcpLog collects the RTCP a client's receivers get.
type rtcpLog struct {
	mu  sync.Mutex
	srs map[uint32]rtcp.SenderReport // last SR by SSRC
}

func readReceiverRTCP(wg *sync.WaitGroup, recv *webrtc.RTPReceiver) *rtcpLog {
	l := &rtcpLog{srs: make(map[uint32]rtcp.SenderReport)}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			pkts, _, err := recv.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if sr, ok := p.(*rtcp.SenderReport); ok {
					l.mu.Lock()
					l.srs[sr.SSRC] = *sr
					l.mu.Unlock()
				}
			}
		}
	}()
	return l
}

func (l *rtcpLog) sr(ssrc uint32) (rtcp.SenderReport, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sr, ok := l.srs[ssrc]
	return sr, ok
}

// A UDP subscriber's media goes through the fast path, an ICE-TCP
// subscriber's through Pion; both receive every frame, both get sender
// reports with the right counts and a timestamp mapping that matches the
// media, and both report the round trip (LSR/DLSR) back.
func TestFastPathForUDPNotForICETCPSubscribers(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.newClient("alice", nil)
	vt := newVideoTrack(t, "camera")
	senders := alice.publish(vt)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &publisher{interval: 2 * time.Millisecond, layers: []*pubLayer{{id: 0, track: vt, sender: senders[0], seq: 65000, tsBase: 1 << 30}}}
	pub.run(ctx, &env.wg)
	pt := alice.waitPublished(1)[0]

	udpSub := env.newClient("udp", nil)
	env.api = newTCPClientAPI(t)
	tcpSub := env.newClient("tcp", nil)
	type sub struct {
		name string
		c    *client
		d    *DownTrack
		r    *receiver
		log  *rtcpLog
		tr   *webrtc.TrackRemote
	}
	subs := []*sub{{name: "udp", c: udpSub}, {name: "tcp", c: tcpSub}}
	for _, s := range subs {
		d, err := s.c.peer.Subscribe(pt, SubscribeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s.d = d
		s.tr = s.c.waitTrack()
		s.r = receive(s.tr, &env.wg)
		s.log = readReceiverRTCP(&env.wg, s.c.sub.GetReceivers()[0])
	}
	for _, s := range subs {
		s.r.waitFor(t, s.name+" first frame", func(fs []frame) bool { return len(fs) > 0 })
	}
	target := pub.counter.Load() + 100
	for _, s := range subs {
		s.r.waitFor(t, s.name+" 100 more frames", func(fs []frame) bool { return len(fs) > 0 && fs[len(fs)-1].counter >= target })
		checkContiguous(t, s.name, s.r.snapshot())
	}

	// The path each took.
	udp, tcp := subs[0].d.Stats(), subs[1].d.Stats()
	if udp.Packets == 0 || udp.FastPathPackets != udp.Packets+udp.Retransmits || udp.WriteErrors != 0 {
		t.Fatalf("UDP subscriber did not use the fast path: %+v", udp)
	}
	if tcp.Packets == 0 || tcp.FastPathPackets != 0 {
		t.Fatalf("ICE-TCP subscriber used the fast path: %+v", tcp)
	}
	if tot := env.e.Totals(); tot.FastPathPackets < udp.FastPathPackets {
		t.Fatalf("Totals.FastPathPackets %d < %d", tot.FastPathPackets, udp.FastPathPackets)
	}
	// The two ends agree on who was the DTLS client: the keys the fast
	// path derived are the ones the receiver decrypts with (it received
	// every frame).
	srvClient := dtlsRole(t, udpSub.peer.sub)
	if cliClient := dtlsRole(t, udpSub.sub); srvClient == cliClient {
		t.Fatalf("both ends think they are the DTLS client: %v", srvClient)
	}

	// Sender reports arrive for both, with counts and an RTP timestamp
	// that match what was sent, and the receivers' reports echo them,
	// which gives the server a round-trip time.
	for _, s := range subs {
		ssrc := uint32(s.tr.SSRC())
		deadline := time.Now().Add(5 * time.Second)
		for {
			sr, ok := s.log.sr(ssrc)
			st := s.d.Stats()
			if ok && st.RTT > 0 {
				if sr.PacketCount == 0 || uint64(sr.PacketCount) > st.Packets+st.Retransmits || sr.OctetCount == 0 {
					t.Fatalf("%s: SR counts %d/%d, sent %d packets", s.name, sr.PacketCount, sr.OctetCount, st.Packets)
				}
				// The SR maps its NTP time to the RTP time of the frame
				// sent last, extrapolated by the few milliseconds since
				// (100 ms of 90 kHz at most); the test publisher's frames
				// are 3,000 ticks apart.
				near := false
				for _, f := range s.r.snapshot() {
					if d := int32(sr.RTPTime - f.ts); d >= 0 && d < 9000 {
						near = true
						break
					}
				}
				if !near {
					t.Fatalf("%s: SR RTP time %d matches no frame sent", s.name, sr.RTPTime)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: SR seen %v, RTT %v", s.name, ok, st.RTT)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	cancel()
}

func dtlsRole(t *testing.T, pc *webrtc.PeerConnection) bool {
	t.Helper()
	conn, err := dtlsConnOf(pc.SCTP().Transport())
	if err != nil {
		t.Fatal(err)
	}
	st, ok := conn.ConnectionState()
	if !ok {
		t.Fatal("no DTLS state")
	}
	client, err := dtlsIsClient(&st)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// eligible takes host UDP pairs on the engine's port only.
func TestFastPathEligiblePairs(t *testing.T) {
	fp := &fastPath{port: 7882}
	host := func(proto webrtc.ICEProtocol, port uint16) *webrtc.ICECandidate {
		return &webrtc.ICECandidate{Protocol: proto, Typ: webrtc.ICECandidateTypeHost, Address: "10.0.0.1", Port: port}
	}
	remote := func(typ webrtc.ICECandidateType, proto webrtc.ICEProtocol, addr string) *webrtc.ICECandidate {
		return &webrtc.ICECandidate{Protocol: proto, Typ: typ, Address: addr, Port: 5000}
	}
	for _, tc := range []struct {
		name string
		pair *webrtc.ICECandidatePair
		want string
	}{
		{"host udp", &webrtc.ICECandidatePair{Local: host(webrtc.ICEProtocolUDP, 7882), Remote: remote(webrtc.ICECandidateTypeHost, webrtc.ICEProtocolUDP, "192.0.2.7")}, "192.0.2.7:5000"},
		{"prflx udp", &webrtc.ICECandidatePair{Local: host(webrtc.ICEProtocolUDP, 7882), Remote: remote(webrtc.ICECandidateTypePrflx, webrtc.ICEProtocolUDP, "::1")}, "[::1]:5000"},
		{"ice-tcp", &webrtc.ICECandidatePair{Local: host(webrtc.ICEProtocolTCP, 7882), Remote: remote(webrtc.ICECandidateTypePrflx, webrtc.ICEProtocolTCP, "192.0.2.7")}, ""},
		{"turn relay", &webrtc.ICECandidatePair{Local: host(webrtc.ICEProtocolUDP, 7882), Remote: remote(webrtc.ICECandidateTypeRelay, webrtc.ICEProtocolUDP, "192.0.2.7")}, ""},
		{"other socket", &webrtc.ICECandidatePair{Local: host(webrtc.ICEProtocolUDP, 9), Remote: remote(webrtc.ICECandidateTypeHost, webrtc.ICEProtocolUDP, "192.0.2.7")}, ""},
		{"mdns name", &webrtc.ICECandidatePair{Local: host(webrtc.ICEProtocolUDP, 7882), Remote: remote(webrtc.ICECandidateTypeHost, webrtc.ICEProtocolUDP, "x.local")}, ""},
		{"no pair", nil, ""},
		{"half a pair", &webrtc.ICECandidatePair{Local: host(webrtc.ICEProtocolUDP, 7882)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if a, ok := fp.eligible(tc.pair); ok {
				got = a.String()
			}
			if got != tc.want {
				t.Fatalf("eligible = %q, want %q", got, tc.want)
			}
		})
	}
}

// packetLog records what a fast path hands to Pion's SRTP endpoint.
type packetLog struct{ pkts [][]byte }

func (l *packetLog) Write(p []byte) (int, error) {
	l.pkts = append(l.pkts, append([]byte(nil), p...))
	return len(p), nil
}

// When a fast-path connection's pair stops qualifying (an ICE restart onto
// ICE-TCP or TURN), its packets, still encrypted by our context, go through
// Pion's SRTP endpoint instead of the socket, and come back to the socket
// when a qualifying pair is selected again.
func TestFastPathFallsBackToPionsEndpoint(t *testing.T) {
	f := newFanout(t, 1)
	sink := newFastPathForTest(t, f.peers[0])
	fp := f.peers[0].fast.fp.Load()
	direct := fp.addr.Load()
	via := &packetLog{}
	fp.via = via
	fp.addr.Store(nil) // the pair no longer qualifies
	f.step()
	f.step()
	if len(via.pkts) != 2 {
		t.Fatalf("%d packets through the endpoint, want 2", len(via.pkts))
	}
	for i, raw := range via.pkts {
		plain, err := sink.dec.DecryptRTP(nil, raw, nil)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(plain); err != nil || p.SSRC != 1000 || len(p.Payload) != 1100 {
			t.Fatalf("packet %d: %v ssrc %d payload %d", i, err, p.SSRC, len(p.Payload))
		}
	}
	fp.addr.Store(direct) // a qualifying pair again
	f.step()
	if p := sink.next(t); p.SSRC != 1000 || len(via.pkts) != 2 {
		t.Fatalf("after the pair qualified again: ssrc %d, %d through the endpoint", p.SSRC, len(via.pkts))
	}
	if st := f.layer.track.subscribers()[0].Stats(); st.FastPathPackets != 3 || st.Packets != 3 {
		t.Fatalf("stats %+v", st)
	}
}

// Sender reports extrapolate the RTP clock from the last frame start, for
// however long ago that was.
func TestSenderReportMapping(t *testing.T) {
	var s srState
	if _, _, ok := s.report(7, 90000, time.Now()); ok {
		t.Fatal("a report before any packet")
	}
	t0 := time.Unix(1_800_000_000, 0)
	s.note(1000, 100, t0)
	s.note(1000, 50, t0.Add(5*time.Millisecond)) // same frame: the mapping stays
	s.noteResent(30)
	for _, tc := range []struct {
		after time.Duration
		want  uint32
	}{
		{0, 1000},
		{10 * time.Millisecond, 1900},
		{time.Second + 500*time.Millisecond, 1000 + 135000},
		{100 * time.Hour, uint32((1000 + uint64(100*3600)*90000) % (1 << 32))},
		{-time.Second, 1000},
	} {
		sr, at, ok := s.report(7, 90000, t0.Add(tc.after))
		if !ok || !at.Equal(t0) || sr.SSRC != 7 || sr.RTPTime != tc.want || sr.PacketCount != 3 || sr.OctetCount != 180 {
			t.Fatalf("after %v: %+v at %v, want RTP time %d", tc.after, sr, at, tc.want)
		}
		if sr.NTPTime != ntpTime(t0.Add(tc.after)) || uint32(sr.NTPTime>>16) != ntpCompact(t0.Add(tc.after)) {
			t.Fatalf("after %v: NTP %x", tc.after, sr.NTPTime)
		}
	}
}
