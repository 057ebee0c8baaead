package sfu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// testEnv is one Engine on an ephemeral loopback port, closed (and checked
// for leaked goroutines) when the test ends.
type testEnv struct {
	t   testing.TB
	e   *Engine
	api *webrtc.API // for test clients
	// wg tracks the test's media goroutines; it is waited for after the
	// clients have closed and before the leak check.
	wg sync.WaitGroup
}

func newTestEnv(t testing.TB, cfg Config) *testEnv {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	cfg.ListenIP = "127.0.0.1"
	if os.Getenv("SFU_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg.IncludeLoopback = true
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{t: t, e: e, api: newClientAPI(t)}
	t.Cleanup(env.wg.Wait)
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Engine.Close: %v", err)
		}
	})
	return env
}

// newClientAPI builds what a Pion client (like our Go SDK) would use:
// default codecs and interceptors, loopback UDP only.
func newClientAPI(t testing.TB) *webrtc.API { return clientAPI(t, webrtc.NetworkTypeUDP4) }

// newTCPClientAPI is newClientAPI restricted to active ICE-TCP.
func newTCPClientAPI(t testing.TB) *webrtc.API { return clientAPI(t, webrtc.NetworkTypeTCP4) }

// clientAPI is a client's API on network, with first registered before
// the default interceptors (nearest the wire).
func clientAPI(t testing.TB, network webrtc.NetworkType, first ...interceptor.Factory) *webrtc.API {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	for _, f := range first {
		ir.Add(f)
	}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		t.Fatal(err)
	}
	se := loopbackSettings()
	se.SetNetworkTypes([]webrtc.NetworkType{network})
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
}

// client is a test client: a server-side Peer plus the client's two
// PeerConnections, wired together the way the signaling edge will.
type client struct {
	NopHandler
	t    testing.TB
	name string
	peer *Peer
	pub  *webrtc.PeerConnection
	sub  *webrtc.PeerConnection

	// rewriteOffer, when set, edits subscriber offers (to route media
	// through a relay); the client's subscriber candidates are then not
	// trickled, so the relay is the only path.
	rewriteOffer func(string) string

	// mu serializes answering offers with closing, so that the client's
	// subscriber connection is not used while it closes.
	mu      sync.Mutex
	closing bool

	published chan *PublishedTrack
	tracks    chan *webrtc.TrackRemote
	subState  chan ConnectionState
}

func (env *testEnv) newClient(name string, rewriteOffer func(string) string) *client {
	t := env.t
	t.Helper()
	c := &client{
		t: t, name: name, rewriteOffer: rewriteOffer,
		published: make(chan *PublishedTrack, 8),
		tracks:    make(chan *webrtc.TrackRemote, 8),
		subState:  make(chan ConnectionState, 16),
	}
	var err error
	if c.peer, err = env.e.NewPeer(PeerID(name), c); err != nil {
		t.Fatal(err)
	}
	if c.pub, err = env.api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	if c.sub, err = env.api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		_ = c.peer.Close()
		_ = c.pub.Close()
		_ = c.sub.Close()
	})
	c.pub.OnICECandidate(func(cand *webrtc.ICECandidate) { c.trickle(TargetPublisher, cand) })
	c.sub.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if c.rewriteOffer == nil {
			c.trickle(TargetSubscriber, cand)
		}
	})
	c.sub.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { c.tracks <- tr })
	return c
}

func (c *client) trickle(target Target, cand *webrtc.ICECandidate) {
	if cand == nil {
		return
	}
	init := cand.ToJSON()
	err := c.peer.AddICECandidate(target, Candidate{
		Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex,
	})
	if err != nil && !errors.Is(err, ErrClosed) {
		c.t.Errorf("%s: AddICECandidate: %v", c.name, err)
	}
}

// Handler methods, called on the peer's event goroutine.

func (c *client) OnTrackPublished(t *PublishedTrack, _ trtc.StreamType) {
	select {
	case c.published <- t:
	default:
	}
}

func (c *client) OnConnectionStateChange(target Target, s ConnectionState) {
	if target == TargetSubscriber {
		select {
		case c.subState <- s:
		default:
		}
	}
}

func (c *client) OnSubscriberOffer(sdp string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	if c.rewriteOffer != nil {
		sdp = c.rewriteOffer(sdp)
	}
	if err := c.sub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		c.t.Errorf("%s: subscriber SetRemoteDescription: %v", c.name, err)
		return
	}
	answer, err := c.sub.CreateAnswer(nil)
	if err == nil {
		err = c.sub.SetLocalDescription(answer)
	}
	if err == nil {
		err = c.peer.HandleSubscriberAnswer(answer.SDP)
	}
	if err != nil && !errors.Is(err, ErrClosed) {
		c.t.Errorf("%s: answering subscriber offer: %v", c.name, err)
	}
}

// publish negotiates the client's publisher connection with the given
// tracks, sendonly.
func (c *client) publish(tracks ...webrtc.TrackLocal) []*webrtc.RTPSender {
	c.t.Helper()
	var senders []*webrtc.RTPSender
	for _, tr := range tracks {
		x, err := c.pub.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			c.t.Fatal(err)
		}
		senders = append(senders, x.Sender())
	}
	offer, err := c.pub.CreateOffer(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.pub.SetLocalDescription(offer); err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	answer, err := c.peer.HandlePublisherOffer(ctx, offer.SDP)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.pub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		c.t.Fatal(err)
	}
	return senders
}

func (c *client) waitPublished(n int) []*PublishedTrack {
	c.t.Helper()
	var out []*PublishedTrack
	for len(out) < n {
		select {
		case t := <-c.published:
			out = append(out, t)
		case <-time.After(5 * time.Second):
			c.t.Fatalf("%s: %d of %d tracks published", c.name, len(out), n)
		}
	}
	return out
}

func (c *client) waitTrack() *webrtc.TrackRemote {
	c.t.Helper()
	select {
	case tr := <-c.tracks:
		return tr
	case <-time.After(5 * time.Second):
		c.t.Fatalf("%s: no track received", c.name)
	}
	return nil
}

// newOpusTrack returns a local Opus track for a test publisher.
func newOpusTrack(t testing.TB, id, stream string) *webrtc.TrackLocalStaticRTP {
	t.Helper()
	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, id, stream)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// every calls tick(0), tick(1), … every d on one of env's goroutines until
// ctx ends or tick returns false.
func (env *testEnv) every(ctx context.Context, d time.Duration, tick func(i uint16) bool) {
	env.wg.Add(1)
	go func() {
		defer env.wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for i := uint16(0); ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if !tick(i) {
				return
			}
		}
	}()
}

func newVideoTrack(t testing.TB, id string) *webrtc.TrackLocalStaticRTP {
	t.Helper()
	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, id, "alice-stream")
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Test frames are single VP8-like packets: a VP8 payload descriptor (start
// of partition 0), a VP8 frame-header byte whose low bit says delta (1) or
// key (0), then layer, counter, length, deterministic data and a CRC-32.
func makeFrame(layer byte, counter uint32, key bool) []byte {
	n := 100 + int(counter*37%900)
	b := make([]byte, 0, 12+n+4)
	kf := byte(1)
	if key {
		kf = 0
	}
	b = append(b, 0x10, kf, layer)
	b = binary.BigEndian.AppendUint32(b, counter)
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	for i := range n {
		b = append(b, byte(int(counter)*7+i))
	}
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

type frame struct {
	layer    byte
	counter  uint32
	key      bool
	seq      uint16
	ts       uint32
	ssrc     uint32
	verified bool
}

func parseFrame(p []byte) (frame, error) {
	if len(p) < 13 {
		return frame{}, fmt.Errorf("short frame (%d bytes)", len(p))
	}
	f := frame{key: p[1]&1 == 0, layer: p[2], counter: binary.BigEndian.Uint32(p[3:7])}
	want := makeFrame(f.layer, f.counter, f.key)
	if string(want) != string(p) {
		return f, fmt.Errorf("frame %d of layer %d not byte-identical", f.counter, f.layer)
	}
	f.verified = true
	return f, nil
}

// publisher sends one frame per layer every interval. A layer sends a
// keyframe first, every keyEvery frames (0: never again) and after a PLI.
type publisher struct {
	layers   []*pubLayer
	interval time.Duration
	keyEvery uint32
	counter  atomic.Uint32
}

type pubLayer struct {
	id      byte
	track   *webrtc.TrackLocalStaticRTP
	sender  *webrtc.RTPSender
	seq     uint16
	tsBase  uint32
	wantKey atomic.Bool
	// For simulcast encodings: the RID, the MID and the negotiated
	// extension ids, which the client must put on every packet.
	rid, mid     string
	midID, ridID uint8
	plis         atomic.Int64
	lastPLIs     sync.Mutex
}

func (p *publisher) run(ctx context.Context, wg *sync.WaitGroup) {
	for _, l := range p.layers {
		l.wantKey.Store(true)
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1500)
			for {
				read := l.sender.Read
				if l.rid != "" {
					read = func(b []byte) (int, interceptor.Attributes, error) { return l.sender.ReadSimulcast(b, l.rid) }
				}
				n, _, err := read(buf)
				if err != nil {
					return
				}
				pkts, _ := rtcp.Unmarshal(buf[:n])
				for _, pk := range pkts {
					if _, ok := pk.(*rtcp.PictureLossIndication); ok {
						l.plis.Add(1)
						l.wantKey.Store(true)
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(p.interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			c := p.counter.Add(1)
			for _, l := range p.layers {
				key := l.wantKey.Swap(false) || (p.keyEvery > 0 && c%p.keyEvery == 0)
				pkt := &rtp.Packet{
					Header:  rtp.Header{Version: 2, Marker: true, SequenceNumber: l.seq, Timestamp: l.tsBase + c*3000},
					Payload: makeFrame(l.id, c, key),
				}
				l.seq++
				if l.rid != "" {
					_ = pkt.Header.SetExtension(l.midID, []byte(l.mid))
					_ = pkt.Header.SetExtension(l.ridID, []byte(l.rid))
				}
				if err := l.track.WriteRTP(pkt); err != nil {
					return
				}
			}
		}
	}()
}

// receiver records the frames a subscriber client receives.
type receiver struct {
	mu     sync.Mutex
	frames []frame
	errs   []error
	got    chan struct{} // signalled on every frame
}

func receive(tr *webrtc.TrackRemote, wg *sync.WaitGroup) *receiver {
	r := &receiver{got: make(chan struct{}, 1)}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			f, err := parseFrame(pkt.Payload)
			f.seq, f.ts, f.ssrc = pkt.SequenceNumber, pkt.Timestamp, pkt.SSRC
			r.mu.Lock()
			if err != nil {
				r.errs = append(r.errs, err)
			}
			r.frames = append(r.frames, f)
			r.mu.Unlock()
			select {
			case r.got <- struct{}{}:
			default:
			}
		}
	}()
	return r
}

func (r *receiver) snapshot() []frame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]frame(nil), r.frames...)
}

// waitFor waits until cond holds for the received frames.
func (r *receiver) waitFor(t testing.TB, what string, cond func([]frame) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if cond(r.snapshot()) {
			return
		}
		select {
		case <-r.got:
		case <-deadline:
			fs := r.snapshot()
			t.Fatalf("timed out waiting for %s (%d frames received)", what, len(fs))
		}
	}
}

func countLayer(fs []frame, layer byte) int {
	n := 0
	for _, f := range fs {
		if f.layer == layer {
			n++
		}
	}
	return n
}

// lossyRelay forwards UDP between one client and the engine, dropping every
// Nth RTP packet (not RTCP, STUN or DTLS) from the engine to the client,
// after the first skip media packets.
type lossyRelay struct {
	front   *net.UDPConn // the client talks to this
	back    *net.UDPConn // connected to the engine
	client  atomic.Pointer[net.UDPAddr]
	every   int
	skip    int
	dropped atomic.Int64
	wg      sync.WaitGroup
}

func newLossyRelay(t testing.TB, server *net.UDPAddr, every, skip int) *lossyRelay {
	t.Helper()
	front, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	back, err := net.DialUDP("udp4", nil, server)
	if err != nil {
		t.Fatal(err)
	}
	r := &lossyRelay{front: front, back: back, every: every, skip: skip}
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 1500)
		for {
			n, from, err := front.ReadFromUDP(buf)
			if err != nil {
				return
			}
			r.client.Store(from)
			_, _ = back.Write(buf[:n])
		}
	}()
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 1500)
		media := 0
		for {
			n, err := back.Read(buf)
			if err != nil {
				return
			}
			// RFC 7983 demultiplexing: 128..191 is RTP/RTCP; RTCP packet
			// types 192..223 (RFC 5761 §4).
			if n > 1 && buf[0] >= 128 && buf[0] <= 191 && (buf[1] < 192 || buf[1] > 223) {
				media++
				if media > r.skip && media%r.every == 0 {
					r.dropped.Add(1)
					continue
				}
			}
			if to := r.client.Load(); to != nil {
				_, _ = front.WriteToUDP(buf[:n], to)
			}
		}
	}()
	t.Cleanup(func() {
		_ = front.Close()
		_ = back.Close()
		r.wg.Wait()
	})
	return r
}

// rewriteOffer points the engine's UDP host candidates at the relay and
// drops its TCP candidates.
func (r *lossyRelay) rewriteOffer(serverPort int) func(string) string {
	relayPort := strconv.Itoa(r.front.LocalAddr().(*net.UDPAddr).Port)
	return func(sdp string) string {
		lines := strings.Split(sdp, "\r\n")
		out := lines[:0]
		for _, l := range lines {
			if strings.HasPrefix(l, "a=candidate:") {
				if strings.Contains(l, " tcp ") {
					continue
				}
				l = strings.Replace(l, " "+strconv.Itoa(serverPort)+" typ host", " "+relayPort+" typ host", 1)
			}
			out = append(out, l)
		}
		return strings.Join(out, "\r\n")
	}
}
