package test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	probepkt "github.com/rtcengine/rtcengine/internal/probe"
	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/rtc"
)

// Speed test on loopback: the API's rules and the protocol's refusals.
// test/netem measures its accuracy on a capped and lossy link.

func (r *Recorder) OnSpeedTestResult(res rtc.SpeedTestResult) { r.add("OnSpeedTestResult", res) }

func (e *Env) speedParams(user string, up, down int) rtc.SpeedTestParams {
	return rtc.SpeedTestParams{SDKAppID: appID, UserID: user, UserSig: e.Sig(user),
		ExpectedUpBandwidth: up, ExpectedDownBandwidth: down, Scene: rtc.SpeedTestSceneDelayAndBandwidth}
}

func TestSpeedTestLoopback(t *testing.T) {
	e := NewEnv(t)
	c := e.NewClient("alice", e.Srv.SignalURL())
	if code := c.StartSpeedTest(e.speedParams("alice", 800, 1200)); code != 0 {
		t.Fatalf("StartSpeedTest: %d", code)
	}
	if code := c.StartSpeedTest(e.speedParams("alice", 800, 1200)); code != rtc.ErrCodeRefused {
		t.Errorf("a second test while one runs: %d", code)
	}
	res := c.Wait("OnSpeedTestResult").Args[0].(rtc.SpeedTestResult)
	t.Logf("%+v", res)
	if !res.Success || res.IP != "127.0.0.1" || res.RTT > 50 || res.UpLostRate > 0.02 || res.DownLostRate > 0.02 {
		t.Fatalf("loopback: %+v", res)
	}
	within(t, "available up", res.AvailableUpBandwidth, 800, 0.1)
	within(t, "available down", res.AvailableDownBandwidth, 1200, 0.1)
	if res.Quality != rtc.QualityExcellent && res.Quality != rtc.QualityGood {
		t.Errorf("loopback rated %v", res.Quality)
	}

	// Scene 1 measures the round trip only.
	p := e.speedParams("alice", 0, 0)
	p.Scene = rtc.SpeedTestSceneDelay
	if code := c.StartSpeedTest(p); code != 0 {
		t.Fatalf("StartSpeedTest(delay): %d", code)
	}
	res = c.Wait("OnSpeedTestResult").Args[0].(rtc.SpeedTestResult)
	if !res.Success || res.AvailableUpBandwidth != -1 || res.AvailableDownBandwidth != -1 || res.UpJitter != -1 {
		t.Errorf("delay scene: %+v", res)
	}
}

func TestSpeedTestRefusals(t *testing.T) {
	e := NewEnv(t)
	c := e.NewClient("bob", e.Srv.SignalURL())
	for _, tc := range []struct {
		name string
		edit func(*rtc.SpeedTestParams)
	}{
		{"no sdkAppId", func(p *rtc.SpeedTestParams) { p.SDKAppID = 0 }},
		{"no userId", func(p *rtc.SpeedTestParams) { p.UserID = "" }},
		{"no userSig", func(p *rtc.SpeedTestParams) { p.UserSig = "" }},
		{"scene 0", func(p *rtc.SpeedTestParams) { p.Scene = 0 }},
		{"scene 4", func(p *rtc.SpeedTestParams) { p.Scene = 4 }},
		{"up 5001", func(p *rtc.SpeedTestParams) { p.ExpectedUpBandwidth = 5001 }},
		{"down 9", func(p *rtc.SpeedTestParams) { p.ExpectedDownBandwidth = 9 }},
		{"chorus 1001", func(p *rtc.SpeedTestParams) {
			p.Scene = rtc.SpeedTestSceneOnlineChorus
			p.ExpectedUpBandwidth = 1001
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.speedParams("bob", 100, 100)
			tc.edit(&p)
			if code := c.StartSpeedTest(p); code != rtc.ErrCodeInvalidParameter {
				t.Fatalf("StartSpeedTest: %d, want %d", code, rtc.ErrCodeInvalidParameter)
			}
		})
	}

	// A UserSig the server rejects: a failed result, not a panic or a hang.
	p := e.speedParams("bob", 100, 100)
	p.UserSig = e.Sig("someone-else")
	if code := c.StartSpeedTest(p); code != 0 {
		t.Fatalf("StartSpeedTest: %d", code)
	}
	res := c.Wait("OnSpeedTestResult").Args[0].(rtc.SpeedTestResult)
	if res.Success || !strings.Contains(res.ErrMsg, "-100018") {
		t.Errorf("bad UserSig: %+v", res)
	}

	// Not while in a room.
	bob := e.Join("bob2", 7601, rtc.SceneVideoCall, 0)
	if code := bob.StartSpeedTest(e.speedParams("bob2", 100, 100)); code != rtc.ErrCodeRefused {
		t.Errorf("in a room: %d", code)
	}

	// Stopped: no result at all.
	if code := c.StartSpeedTest(e.speedParams("bob", 1000, 1000)); code != 0 {
		t.Fatalf("StartSpeedTest: %d", code)
	}
	c.StopSpeedTest()
	c.Never(500*time.Millisecond, "OnSpeedTestResult", rtc.SpeedTestResult{})
	if n := len(filter(c.rec.All(), "OnSpeedTestResult")); n != 1 {
		t.Errorf("%d results after a stopped test", n)
	}
}

// TestSpeedTestProtocolBadInput speaks the protocol by hand: phases out of
// order, bad values and foreign datagrams are refused with TRTC codes.
func TestSpeedTestProtocolBadInput(t *testing.T) {
	e := NewEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, e.Srv.SignalURL(), &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	raw := &rawClient{t: t, ws: ws}
	if m := raw.request(proto.TypeSpeedTestUp, proto.SpeedTestUp{Sent: 1}); m.Code != trtc.ErrInvalidCommand {
		t.Errorf("speed_test_up before speed_test: %d %s", m.Code, m.Msg)
	}
	if m := raw.request(proto.TypeSpeedTest, map[string]any{"sdkAppId": appID, "userId": "eve", "userSig": e.Sig("eve"), "scene": 2, "expectedUpBandwidth": 99999}); m.Code != trtc.ErrInvalidParameter {
		t.Errorf("bandwidth out of range: %d %s", m.Code, m.Msg)
	}
	if m := raw.request(proto.TypeSpeedTest, "not an object"); m.Code != trtc.ErrJSONDecode {
		t.Errorf("bad body: %d %s", m.Code, m.Msg)
	}
	m := raw.request(proto.TypeSpeedTest, proto.SpeedTestRequest{SDKAppID: appID, UserID: "eve", UserSig: e.Sig("eve"), Scene: 2, ExpectedDownBandwidth: 100})
	if m.Code != 0 {
		t.Fatalf("speed_test: %d %s", m.Code, m.Msg)
	}
	var st proto.SpeedTestResponse
	if err := proto.DecodeData(m, &st); err != nil || st.Port != e.Srv.MediaAddr().Port {
		t.Fatalf("response %+v: %v", st, err)
	}
	if m := raw.request(proto.TypeSpeedTest, proto.SpeedTestRequest{SDKAppID: appID, UserID: "eve", UserSig: e.Sig("eve"), Scene: 1}); m.Code != trtc.ErrRefused {
		t.Errorf("a second test on the connection: %d %s", m.Code, m.Msg)
	}
	// No ping proved our address: the server sends nothing down.
	if m := raw.request(proto.TypeSpeedTestDown, proto.SpeedTestDown{Kbps: 100, DurationMs: 500, Size: 100}); m.Code != trtc.ErrInvalidCommand {
		t.Errorf("download before a ping: %d %s", m.Code, m.Msg)
	}
	// Garbage and a wrong token on the media port change nothing for media
	// and are not answered.
	conn, err := net.DialUDP("udp", nil, e.Srv.MediaAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = conn.Write([]byte{probepkt.Magic, 1, 1})
	_, _ = conn.Write(probepkt.Packet{Type: probepkt.TypePing, Token: probepkt.Token{1}}.Append(nil))
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := conn.Read(make([]byte, 2000)); err == nil {
		t.Errorf("answered a datagram with a wrong token (%d bytes)", n)
	}
	if m := raw.request(proto.TypeSpeedTestDown, proto.SpeedTestDown{Kbps: 999999, DurationMs: 500}); m.Code != trtc.ErrInvalidParameter {
		t.Errorf("download too fast: %d %s", m.Code, m.Msg)
	}
	if m := raw.request(proto.TypeSpeedTestEnd, nil); m.Code != 0 {
		t.Errorf("speed_test_end: %d %s", m.Code, m.Msg)
	}
	if m := raw.request(proto.TypeSpeedTestUp, proto.SpeedTestUp{Sent: 1}); m.Code != trtc.ErrInvalidCommand {
		t.Errorf("speed_test_up after the end: %d %s", m.Code, m.Msg)
	}
}
