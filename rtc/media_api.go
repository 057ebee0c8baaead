package rtc

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	preport "github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/sdp/v3"
	"github.com/pion/transport/v4"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/pionlog"
	"github.com/rtcengine/rtcengine/internal/rtpnack"
)

// Payload types follow Chromium's numbering (and the server's) so that SDP
// diffs read easily; they are negotiated anyway.
const (
	ptOpus    = 111
	ptVP8     = 96
	ptVP8RTX  = 97
	ptH264    = 102
	ptH264RTX = 103
)

const (
	h264Fmtp      = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level" // RFC 6464
)

// mediaAPI is the Pion API of one Cloud: codecs, interceptors and ICE
// settings shared by all of its PeerConnections. It is built on first use.
type mediaAPI struct {
	once sync.Once
	api  *webrtc.API
	err  error

	// getters holds the RTP statistics of each PeerConnection of this
	// Cloud (pion/interceptor's stats interceptor), by pc.ID().
	getters sync.Map

	// nacks makes the NACK generator of each PeerConnection; a track's
	// reader tells it about RTX repairs (nackOf).
	nacks *rtpnack.Factory
}

func (c *Cloud) pionAPI() (*webrtc.API, error) {
	m := &c.mediaState.api
	m.once.Do(func() {
		if m.nacks, m.err = newNackFactory(); m.err != nil {
			return
		}
		m.api, m.err = newPionAPI(isLoopbackServer(c.o.server), c.o.socketBuffer, c.o.log, &m.getters, m.nacks, c.applyReach)
	})
	return m.api, m.err
}

// statsOf returns the RTP statistics recorder of a PeerConnection.
func (m *mediaAPI) statsOf(pc *webrtc.PeerConnection) stats.Getter {
	if v, ok := m.getters.Load(pc.ID()); ok {
		g, _ := v.(stats.Getter)
		return g
	}
	return nil
}

// nackOf returns the NACK generator of a PeerConnection, or nil.
func (m *mediaAPI) nackOf(pc *webrtc.PeerConnection) *rtpnack.Generator {
	return m.nacks.Generator(pc.ID())
}

func newNackFactory() (*rtpnack.Factory, error) {
	return rtpnack.NewFactory(rtpnack.Interval(nackInterval), rtpnack.MaxNacks(maxNacksPerPacket))
}

// nackInterval is how often a missing packet is asked for again, and
// maxNacksPerPacket how often at most. Our generator (internal/rtpnack)
// stops asking for a packet once it arrives, original or RTX repair, so an
// attempt costs a request and a resend only while the packet is really
// missing: 20 requests 20 ms apart span the 400 ms the frame assembler
// waits for a gap (asmMaxWait), past which the frame is given up anyway.
// At 50 % loss each way a request and its answer both arrive a quarter of
// the time. A gap is seen only when the next packet comes (33 ms at 30
// fps), so about 17 of the 20 requests fall inside the 400 ms: a packet
// stays unrepaired with probability 0.75^17 ≈ 0.8 % (16 × 25 ms: ~14
// requests, 1.8 %). With Pion's generator, which never saw the repairs,
// each lost packet was asked for all 16 times (docs/network.md).
const (
	nackInterval      = 20 * time.Millisecond
	maxNacksPerPacket = 20
)

// dtlsRetransmit is the first DTLS handshake retransmission timeout.
const dtlsRetransmit = 100 * time.Millisecond

// isLoopbackServer reports whether the signaling URL names this machine; the
// media server is then reached over loopback too.
func isLoopbackServer(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// newPionAPI registers Opus, VP8 and H.264 (packetization-mode 1) with RTX,
// NACK, PLI, FIR, REMB and transport-wide CC feedback, and the interceptors
// that act on them: NACK generation and answers (as RTX when negotiated),
// RTCP sender/receiver reports, TWCC feedback for what we receive and TWCC
// sequence numbers on what we send.
//
// nacks generates the NACKs (a new Factory if nil). tune, if given, adjusts
// the ICE settings last (the ICE policy, reach.go).
func newPionAPI(loopback bool, socketBuffer int, log *slog.Logger, getters *sync.Map, nacks *rtpnack.Factory, tune ...func(*webrtc.SettingEngine, transport.Net, bool) error) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{
		{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"},
		{Type: "nack"}, {Type: "nack", Parameter: "pli"},
		{Type: webrtc.TypeRTCPFBTransportCC},
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine:  "minptime=10;useinbandfec=1",
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}},
		},
		PayloadType: ptOpus,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	for _, v := range []struct {
		mime, fmtp string
		pt, rtx    webrtc.PayloadType
	}{
		{webrtc.MimeTypeVP8, "", ptVP8, ptVP8RTX},
		{webrtc.MimeTypeH264, h264Fmtp, ptH264, ptH264RTX},
	} {
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: v.mime, ClockRate: 90000, SDPFmtpLine: v.fmtp, RTCPFeedback: fb},
			PayloadType:        v.pt,
		}, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: fmt.Sprintf("apt=%d", v.pt)},
			PayloadType:        v.rtx,
		}, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
	}
	for _, x := range []struct {
		uri  string
		kind webrtc.RTPCodecType
	}{
		{audioLevelURI, webrtc.RTPCodecTypeAudio},
		{sdp.SDESMidURI, webrtc.RTPCodecTypeAudio},
		{sdp.SDESMidURI, webrtc.RTPCodecTypeVideo},
	} {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: x.uri}, x.kind); err != nil {
			return nil, err
		}
	}
	ir := &interceptor.Registry{}
	// What webrtc.ConfigureNack sets up, with our generator in place of
	// Pion's: it stops asking for packets that arrived as RTX repairs.
	if nacks == nil {
		var err error
		if nacks, err = newNackFactory(); err != nil {
			return nil, err
		}
	}
	// Pion's logs go to the SDK's logger (WithLogger; discarded by
	// default) instead of Pion's own, which prints errors to stderr.
	logs := pionlog.Factory{Log: log}
	responder, err := nack.NewResponderInterceptor(nack.WithResponderLoggerFactory(logs))
	if err != nil {
		return nil, err
	}
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeVideo)
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack", Parameter: "pli"}, webrtc.RTPCodecTypeVideo)
	ir.Add(responder)
	ir.Add(nacks)
	if err := webrtc.ConfigureRTCPReportsWithOptions(ir, []preport.ReceiverOption{preport.WithReceiverLoggerFactory(logs)}, preport.WithSenderLoggerFactory(logs)); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCSenderWithOptions(me, ir, twcc.WithLoggerFactory(logs)); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(me, ir); err != nil {
		return nil, err
	}
	// Packets received and lost per SSRC (before NACK repair: RTX arrives
	// on its own SSRC), jitter, and the server's receiver reports about
	// what we send: the raw material of OnStatistics and OnNetworkQuality.
	sf, err := stats.NewInterceptor(stats.WithLoggerFactory(logs))
	if err != nil {
		return nil, err
	}
	sf.OnNewPeerConnection(func(id string, g stats.Getter) { getters.Store(id, g) })
	ir.Add(sf)

	se := webrtc.SettingEngine{LoggerFactory: logs}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if socketBuffer == 0 {
		socketBuffer = DefaultSocketBuffer
	}
	n, err := newBufferedNet(socketBuffer) // a negative size keeps the system's buffers
	if err != nil {
		return nil, err
	}
	se.SetNet(n)
	// Notice a broken media path within ~2 s (Pion's default is 5 s, and
	// 25 s until failed); the server keeps ICE alive with its own checks.
	se.SetICETimeouts(2*time.Second, 8*time.Second, 500*time.Millisecond)
	// A lost DTLS handshake flight is sent again after 100 ms, doubling,
	// not Pion's 1 s: at 10 % loss that second took connecting from
	// 0.12 s to 1.1 s (docs/network.md).
	se.SetDTLSRetransmissionInterval(dtlsRetransmit)
	if loopback {
		// The server is on this machine: only loopback paths make sense,
		// and Pion skips loopback candidates unless told otherwise.
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	}
	for _, f := range tune {
		if err := f(&se, n, loopback); err != nil {
			return nil, err
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}
