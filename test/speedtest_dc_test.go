package test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	probepkt "github.com/rtcengine/rtcengine/internal/probe"
	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// The speed test over a data channel (the Web SDK's transport), spoken by
// hand with a Pion client: the refusals, the phases over the channel, and
// the connection closing with the test.

// probeDC is the client side of a probe data channel.
type probeDC struct {
	pc     *webrtc.PeerConnection
	dc     *webrtc.DataChannel
	open   chan struct{}
	closed chan struct{}
	in     chan probepkt.Packet
}

func newProbeDC(t *testing.T, label string) *probeDC {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	ordered, none := false, uint16(0)
	dc, err := pc.CreateDataChannel(label, &webrtc.DataChannelInit{Ordered: &ordered, MaxRetransmits: &none})
	if err != nil {
		t.Fatal(err)
	}
	c := &probeDC{pc: pc, dc: dc, open: make(chan struct{}), closed: make(chan struct{}), in: make(chan probepkt.Packet, 4096)}
	dc.OnOpen(func() { close(c.open) })
	dc.OnClose(func() { close(c.closed) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		if p, err := probepkt.Parse(m.Data); err == nil {
			c.in <- p
		}
	})
	return c
}

// offer returns the client's offer with its candidates.
func (c *probeDC) offer(t *testing.T) string {
	t.Helper()
	o, err := c.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return c.pc.LocalDescription().SDP
}

// start asks for a datachannel test and connects its channel.
func (c *probeDC) start(t *testing.T, e *Env, raw *rawClient) probepkt.Token {
	t.Helper()
	m := raw.request(proto.TypeSpeedTest, proto.SpeedTestRequest{SDKAppID: appID, UserID: "dora", UserSig: e.Sig("dora"), Scene: 2,
		ExpectedUpBandwidth: 100, ExpectedDownBandwidth: 100, Transport: proto.SpeedTestDataChannel, SDP: c.offer(t)})
	if m.Code != 0 {
		t.Fatalf("speed_test: %d %s", m.Code, m.Msg)
	}
	var st proto.SpeedTestResponse
	if err := proto.DecodeData(m, &st); err != nil || st.SDP == "" {
		t.Fatalf("response %+v: %v", st, err)
	}
	tok, err := probepkt.ParseToken(st.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: st.SDP}); err != nil {
		t.Fatal(err)
	}
	c.wait(t, c.open, "the channel to open")
	return tok
}

func (c *probeDC) wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("waiting for %s", what)
	}
}

func (c *probeDC) send(t *testing.T, p probepkt.Packet) {
	t.Helper()
	if err := c.dc.Send(p.Append(nil)); err != nil {
		t.Fatal(err)
	}
}

func (c *probeDC) next(t *testing.T, typ probepkt.Type) probepkt.Packet {
	t.Helper()
	for {
		select {
		case p := <-c.in:
			if p.Type == typ {
				return p
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %v datagram", typ)
		}
	}
}

func dialRaw(t *testing.T, e *Env) (*rawClient, *websocket.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, e.Srv.SignalURL(), &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return &rawClient{t: t, ws: ws}, ws
}

func TestSpeedTestDataChannelBadInput(t *testing.T) {
	e := NewEnv(t)
	raw, _ := dialRaw(t, e)
	req := func(transport, sdp string) proto.SpeedTestRequest {
		return proto.SpeedTestRequest{SDKAppID: appID, UserID: "dora", UserSig: e.Sig("dora"), Scene: 1, Transport: transport, SDP: sdp}
	}
	media := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
	for name, r := range map[string]proto.SpeedTestRequest{
		"unknown transport":     req("tcp", ""),
		"datachannel, no sdp":   req(proto.SpeedTestDataChannel, ""),
		"udp with an sdp":       req(proto.SpeedTestUDP, "v=0"),
		"sdp too large":         req(proto.SpeedTestDataChannel, strings.Repeat("a", 16<<10+1)),
		"garbage sdp":           req(proto.SpeedTestDataChannel, "not an sdp"),
		"media in the offer":    req(proto.SpeedTestDataChannel, media),
		"bad params come first": {SDKAppID: appID, UserID: "dora", UserSig: e.Sig("dora"), Scene: 9, Transport: proto.SpeedTestDataChannel},
	} {
		if m := raw.request(proto.TypeSpeedTest, r); m.Code != trtc.ErrInvalidParameter {
			t.Errorf("%s: %d %s", name, m.Code, m.Msg)
		}
	}
	// A refused offer leaves no test behind: the next request may start one.
	c := newProbeDC(t, "probe")
	c.start(t, e, raw)
}

// TestSpeedTestDataChannel runs the phases over the channel by hand and
// checks the connection ends with the test and with the signaling
// connection.
func TestSpeedTestDataChannel(t *testing.T) {
	e := NewEnv(t)
	raw, ws := dialRaw(t, e)
	c := newProbeDC(t, "probe")
	tok := c.start(t, e, raw)

	// Down before the cookie came back: refused, as over UDP.
	if m := raw.request(proto.TypeSpeedTestDown, proto.SpeedTestDown{Kbps: 100, DurationMs: 200, Size: 100}); m.Code != trtc.ErrInvalidCommand {
		t.Errorf("download before a ping: %d %s", m.Code, m.Msg)
	}
	c.send(t, probepkt.Packet{Type: probepkt.TypePing, Token: tok, Seq: 3, Sent: 42})
	pong := c.next(t, probepkt.TypePong)
	if pong.Echo != 42 || pong.Seq != 3 || pong.Cookie == 0 {
		t.Fatalf("pong %+v", pong)
	}
	// The token is the channel's: over UDP it gets no answer.
	conn, err := net.DialUDP("udp", nil, e.Srv.MediaAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = conn.Write(probepkt.Packet{Type: probepkt.TypePing, Token: tok, Cookie: pong.Cookie}.Append(nil))

	now := uint64(time.Now().UnixMicro())
	for i := range 20 {
		c.send(t, probepkt.Packet{Type: probepkt.TypeUp, Token: tok, Seq: uint32(i), Sent: now + uint64(i)*20000, Cookie: pong.Cookie, Size: 250})
	}
	m := raw.request(proto.TypeSpeedTestUp, proto.SpeedTestUp{Sent: 20})
	var up proto.ProbeReport
	if err := proto.DecodeData(m, &up); m.Code != 0 || err != nil || up.Received != 20 || up.Loss != 0 {
		t.Fatalf("speed_test_up: %d %s %+v", m.Code, m.Msg, up)
	}

	// 400 kbps of 1000-byte datagrams for 300 ms: about 15, over the channel.
	m = raw.request(proto.TypeSpeedTestDown, proto.SpeedTestDown{Kbps: 400, DurationMs: 300, Size: 1000})
	var down proto.ProbeReport
	if err := proto.DecodeData(m, &down); m.Code != 0 || err != nil || down.Sent < 14 || down.Sent > 16 {
		t.Fatalf("speed_test_down: %d %s %+v", m.Code, m.Msg, down)
	}
	for range down.Sent {
		if p := c.next(t, probepkt.TypeDown); p.Size != 1000 || p.Token != tok {
			t.Fatalf("down datagram %+v", p)
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := conn.Read(make([]byte, 2000)); err == nil {
		t.Errorf("the channel's token was answered over UDP (%d bytes)", n)
	}

	if m := raw.request(proto.TypeSpeedTestEnd, nil); m.Code != 0 {
		t.Fatalf("speed_test_end: %d %s", m.Code, m.Msg)
	}
	c.wait(t, c.closed, "the channel to close at speed_test_end")

	// A second test on the same connection; closing the connection ends it.
	c2 := newProbeDC(t, "probe")
	c2.start(t, e, raw)
	ws.Close(websocket.StatusNormalClosure, "bye")
	c2.wait(t, c2.closed, "the channel to close with the signaling connection")
}
