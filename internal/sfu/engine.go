package sfu

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/pionlog"
	"github.com/rtcengine/rtcengine/internal/rtpnack"
	"github.com/rtcengine/rtcengine/internal/udpbatch"
)

// fallbackAcceptanceWait is how long ICE waits for a direct pair before it
// accepts an ICE-TCP or TURN-relayed one.
const fallbackAcceptanceWait = 300 * time.Millisecond

// socketBuffer is the kernel buffer asked for on the media socket: loopback
// bursts overflow the default 208 KiB (see docs/sfu.md).
const socketBuffer = 4 << 20

// Engine is the SFU of one server: it owns the media sockets and the Pion
// APIs, and creates Peers. It is safe for concurrent use.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	udp    *udpbatch.Conn
	tcp    net.Listener
	udpMux *ice.UDPMuxDefault
	tcpMux *ice.TCPMuxDefault

	// pubAPI builds publisher PeerConnections (receive side: NACK
	// generation, receiver reports, transport-wide CC feedback); subAPI
	// builds subscriber ones (send side: no interceptors; sender reports
	// come from the engine's reporter and NACKs are answered by DownTracks
	// from the packet cache).
	pubAPI, subAPI *webrtc.API
	// nacks makes the NACK generator of each publisher connection; layer
	// readers tell it about RTX repairs (internal/rtpnack).
	nacks *rtpnack.Factory

	mu     sync.Mutex
	peers  map[*Peer]struct{}
	closed bool

	retired retired // counters of closed DownTracks (totals.go)

	workers []*sendWorker // send loops, one per core (sendqueue.go)
	transit transitHist   // forwarded packets' time in the server (transit.go)
	nextW   atomic.Uint32
	reports reporter // sender reports for every subscriber (senderreport.go)
}

// NewEngine validates cfg, opens the media sockets and returns an Engine.
func NewEngine(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	e := &Engine{cfg: cfg, log: cfg.Logger, peers: make(map[*Peer]struct{})}
	if err := e.listen(); err != nil {
		e.closeSockets()
		return nil, err
	}
	e.startWorkers()
	e.startReporter()
	var err error
	if e.pubAPI, err = e.newAPI(true); err == nil {
		e.subAPI, err = e.newAPI(false)
	}
	if err != nil {
		e.stopReporter()
		e.stopWorkers()
		e.closeSockets()
		return nil, err
	}
	return e, nil
}

func (e *Engine) listen() error {
	ip := net.IPv4zero
	if e.cfg.ListenIP != "" {
		ip = net.ParseIP(e.cfg.ListenIP)
	}
	// Subscriber send loops write in bursts (Hold/Release around a drain):
	// the batching socket sends each burst with sendmmsg and UDP GSO, from a
	// second socket on the same port that does not wake Go's poller.
	// Buffers: best effort, the kernel caps them at rmem_max/wmem_max.
	bc, err := udpbatch.Listen(&net.UDPAddr{IP: ip, Port: e.cfg.UDPPort}, socketBuffer)
	if err != nil {
		return fmt.Errorf("sfu: listen udp: %w", err)
	}
	e.udp = bc
	logs := pionlog.Factory{Log: e.log}
	e.udpMux = ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: e.muxConn(bc), Logger: logs.NewLogger("udpmux")})
	if e.cfg.DisableTCP {
		return nil
	}
	tcp, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: e.cfg.TCPPort})
	if err != nil {
		return fmt.Errorf("sfu: listen tcp: %w", err)
	}
	e.tcp = tcp
	e.tcpMux = ice.NewTCPMuxDefault(ice.TCPMuxParams{
		Listener:        tcp,
		Logger:          logs.NewLogger("tcpmux"),
		ReadBufferSize:  64,
		WriteBufferSize: socketBuffer,
	})
	return nil
}

func (e *Engine) newAPI(publisher bool) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := registerCodecs(me, publisher); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	logs := pionlog.Factory{Log: e.log}
	if publisher {
		// Every 100 ms, at most 10 times (1 s: subscribers have given up
		// the frame by then), until the packet arrives, original or RTX.
		gen, err := rtpnack.NewFactory(rtpnack.Interval(100*time.Millisecond), rtpnack.MaxNacks(10))
		if err != nil {
			return nil, err
		}
		e.nacks = gen
		ir.Add(gen)
		rr, err := report.NewReceiverInterceptor(report.WithReceiverLoggerFactory(logs))
		if err != nil {
			return nil, err
		}
		ir.Add(lazyLoopFactory{rr}) // no timer for connections that receive nothing
		tw, err := twcc.NewSenderInterceptor(twcc.WithLoggerFactory(logs))
		if err != nil {
			return nil, err
		}
		ir.Add(tw)
	}
	// The subscriber API has no interceptor: sender reports are the
	// engine's own (senderreport.go), because fast-path packets never pass
	// through Pion's writer.

	se := webrtc.SettingEngine{LoggerFactory: logs}
	se.SetICEUDPMux(e.udpMux)
	types := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if e.tcpMux != nil {
		se.SetICETCPMux(e.tcpMux)
		types = append(types, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	se.SetNetworkTypes(types)
	se.DisableActiveTCP(true)
	// The server's own candidates are all host candidates; a client's
	// ICE-TCP (seen as peer-reflexive) and TURN-relayed pairs are firewall
	// fallbacks, taken only when no direct UDP pair works. Pion waits 1 s and
	// 2 s for better pairs before accepting those; a direct pair validates in
	// milliseconds when it exists, so shorter waits only speed up the
	// fallbacks (docs/deployment.md).
	se.SetPrflxAcceptanceMinWait(fallbackAcceptanceWait)
	se.SetRelayAcceptanceMinWait(fallbackAcceptanceWait)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// A lost DTLS flight goes again after 100 ms, doubling (Pion: 1 s), so
	// that a lossy path connects in a fraction of a second.
	se.SetDTLSRetransmissionInterval(100 * time.Millisecond)
	se.SetIncludeLoopbackCandidate(e.cfg.IncludeLoopback)
	if len(e.cfg.NodeIPs) > 0 {
		se.SetNAT1To1IPs(e.cfg.NodeIPs, webrtc.ICECandidateTypeHost)
	}
	return webrtc.NewAPI(
		webrtc.WithMediaEngine(me),
		webrtc.WithInterceptorRegistry(ir),
		webrtc.WithSettingEngine(se),
	), nil
}

// Codec payload types follow Chromium's numbering so that SDP diffs read
// easily; they are negotiated anyway.
var videoCodecs = []struct {
	mime, fmtp string
	pt, rtx    webrtc.PayloadType
}{
	{webrtc.MimeTypeVP8, "", 96, 97},
	{webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 102, 103},
	{webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", 127, 121},
	{webrtc.MimeTypeVP9, "profile-id=0", 98, 99},
	{webrtc.MimeTypeAV1, "", 45, 46},
}

// Header extension URIs not exported by Pion.
const (
	audioLevelURI  = "urn:ietf:params:rtp-hdrext:ssrc-audio-level" // RFC 6464
	absSendTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
)

func registerCodecs(me *webrtc.MediaEngine, publisher bool) error {
	fb := []webrtc.RTCPFeedback{
		{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"},
		{Type: "nack"}, {Type: "nack", Parameter: "pli"},
	}
	var audioFB []webrtc.RTCPFeedback
	if publisher {
		fb = append(fb, webrtc.RTCPFeedback{Type: webrtc.TypeRTCPFBTransportCC})
		audioFB = []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}}
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1", RTCPFeedback: audioFB,
		},
		PayloadType: 111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return err
	}
	for _, c := range videoCodecs {
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: c.mime, ClockRate: 90000, SDPFmtpLine: c.fmtp, RTCPFeedback: fb,
			},
			PayloadType: c.pt,
		}, webrtc.RTPCodecTypeVideo); err != nil {
			return err
		}
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: fmt.Sprintf("apt=%d", c.pt),
			},
			PayloadType: c.rtx,
		}, webrtc.RTPCodecTypeVideo); err != nil {
			return err
		}
	}
	exts := []struct {
		uri  string
		kind webrtc.RTPCodecType
	}{
		{audioLevelURI, webrtc.RTPCodecTypeAudio},
		{absSendTimeURI, webrtc.RTPCodecTypeAudio},
		{absSendTimeURI, webrtc.RTPCodecTypeVideo},
	}
	if publisher {
		// Transport-wide CC feedback goes to publishers so their encoders
		// adapt; MID and RID let them send simulcast.
		exts = append(exts,
			struct {
				uri  string
				kind webrtc.RTPCodecType
			}{sdp.TransportCCURI, webrtc.RTPCodecTypeAudio},
		)
		for _, uri := range []string{sdp.TransportCCURI, sdp.SDESMidURI, sdp.SDESRTPStreamIDURI, sdp.SDESRepairRTPStreamIDURI} {
			exts = append(exts, struct {
				uri  string
				kind webrtc.RTPCodecType
			}{uri, webrtc.RTPCodecTypeVideo})
		}
	}
	for _, x := range exts {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: x.uri}, x.kind); err != nil {
			return err
		}
	}
	return nil
}

// startWorkers starts one send worker per core; subscribers are spread
// over them in turn. A worker holds the UDP socket around each drain, so its
// writes leave in batches.
func (e *Engine) startWorkers() {
	var b burster
	if e.udp != nil {
		b = e.udp
	}
	e.workers = make([]*sendWorker, runtime.GOMAXPROCS(0))
	for i := range e.workers {
		w := newSendWorker(b)
		e.workers[i] = w
		go w.run()
	}
}

func (e *Engine) nextWorker() *sendWorker {
	return e.workers[e.nextW.Add(1)%uint32(len(e.workers))]
}

func (e *Engine) stopWorkers() {
	for _, w := range e.workers {
		w.stop()
	}
}

// SocketStats reports the media UDP socket's sends: packets, system calls
// and GSO use.
func (e *Engine) SocketStats() udpbatch.Stats {
	if e.udp == nil {
		return udpbatch.Stats{}
	}
	return e.udp.Stats()
}

// UDPAddr returns the address of the media UDP socket.
func (e *Engine) UDPAddr() *net.UDPAddr {
	a, _ := e.udp.LocalAddr().(*net.UDPAddr)
	return a
}

// TCPAddr returns the address of the ICE-TCP listener, or nil when TCP is
// disabled.
func (e *Engine) TCPAddr() *net.TCPAddr {
	if e.tcp == nil {
		return nil
	}
	a, _ := e.tcp.Addr().(*net.TCPAddr)
	return a
}

// NewPeer creates the server side of one client session. h receives the
// peer's events; it must not be nil (embed NopHandler for defaults).
func (e *Engine) NewPeer(id PeerID, h Handler) (*Peer, error) {
	if h == nil {
		return nil, errors.New("sfu: nil Handler")
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	p, err := newPeer(e, id, h)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		_ = p.Close()
		return nil, ErrClosed
	}
	e.peers[p] = struct{}{}
	e.mu.Unlock()
	return p, nil
}

func (e *Engine) forget(p *Peer) {
	e.mu.Lock()
	delete(e.peers, p)
	e.mu.Unlock()
}

// peersList returns the live Peers.
func (e *Engine) peersList() []*Peer {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.peersLocked()
}

// peersLocked returns the live Peers; e.mu is held.
func (e *Engine) peersLocked() []*Peer {
	out := make([]*Peer, 0, len(e.peers))
	for p := range e.peers {
		out = append(out, p)
	}
	return out
}

// Close closes every Peer and the media sockets. It is idempotent.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	peers := e.peersLocked()
	e.mu.Unlock()
	var errs []error
	for _, p := range peers {
		errs = append(errs, p.Close())
	}
	e.stopReporter()
	e.stopWorkers()
	errs = append(errs, e.closeSockets())
	return errors.Join(errs...)
}

func (e *Engine) closeSockets() error {
	var errs []error
	if e.tcpMux != nil {
		errs = append(errs, e.tcpMux.Close())
	} else if e.tcp != nil {
		errs = append(errs, e.tcp.Close())
	}
	if e.udpMux != nil {
		errs = append(errs, e.udpMux.Close())
	} else if e.udp != nil {
		errs = append(errs, e.udp.Close())
	}
	return errors.Join(errs...)
}
