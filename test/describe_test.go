package test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/rtc"
)

// History and the Describe actions end to end: real SDK clients in a real
// room, their quality reports, and TencentCloud's own client asking.

// describe sends a REST action with tencentcloud-sdk-go and decodes the
// Response into out; it returns the error code ("" on success).
func (e *Env) describe(action string, params map[string]any, out any) string {
	e.t.Helper()
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = e.Srv.Addr()
	prof.HttpProfile.Scheme = "http"
	prof.HttpProfile.ReqTimeout = 10
	client := common.NewCommonClient(common.NewCredential(secretID, secretKey), "ap-guangzhou", prof)
	req := tchttp.NewCommonRequest("trtc", "2019-07-22", action)
	if err := req.SetActionParameters(params); err != nil {
		e.t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	err := client.Send(req, resp)
	var sdkErr *tcerr.TencentCloudSDKError
	switch {
	case err == nil:
	case errors.As(err, &sdkErr) && !strings.HasPrefix(sdkErr.Code, "ClientError"):
		return sdkErr.Code
	default:
		e.t.Fatalf("%s: %v", action, err)
	}
	var env struct{ Response json.RawMessage }
	if err := json.Unmarshal(resp.GetBody(), &env); err != nil {
		e.t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(env.Response, out); err != nil {
			e.t.Fatalf("decode %s: %v", env.Response, err)
		}
	}
	return ""
}

type roomList struct {
	Total    int64
	RoomList []struct {
		CommId, RoomString, UserId string
		CreateTime, DestroyTime    uint64
		IsFinished                 bool
	}
}

type userList struct {
	Total    uint64
	UserList []userInfo
	Data     []struct {
		UserId, PeerId, DataType string
		Content                  []struct {
			Time  uint64
			Value float64
		}
	}
}

type userInfo struct {
	RoomStr, UserId, DeviceType, SdkVersion, ClientIp string
	JoinTs, LeaveTs                                   uint64
	Finished                                          bool
}

// series returns the values of one series, oldest first.
func (u userList) series(user, peer, dataType string) []float64 {
	for _, d := range u.Data {
		if d.UserId == user && d.PeerId == peer && d.DataType == dataType {
			out := make([]float64, len(d.Content))
			for i, c := range d.Content {
				out[i] = c.Value
			}
			return out
		}
	}
	return nil
}

// poll repeats f (a REST query) every 50 ms until it reports done: the
// history is written behind the room's back, a few milliseconds later.
func poll(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDescribeHistoryEndToEnd(t *testing.T) {
	e := NewEnv(t)
	const room = 7301
	start := uint64(time.Now().Unix())
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob := e.Join("bob", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	s := newSink()
	bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	// 25 fps × 2000 B = 400 kbps of video; 50 × 120 B = 48 kbps of Opus.
	p := startPacer(alice, 25, 2000, 120, 25)
	bob.waitSeen("OnFirstVideoFrame", "alice", int(rtc.StreamBig), 640, 360)

	// The room, its creator and its CommId.
	var rooms roomList
	if code := e.describe("DescribeRoomInfo", map[string]any{"SdkAppId": appID, "StartTime": start - 60, "EndTime": start + 60}, &rooms); code != "" {
		t.Fatal(code)
	}
	if rooms.Total != 1 || len(rooms.RoomList) != 1 {
		t.Fatalf("rooms %+v", rooms)
	}
	r := rooms.RoomList[0]
	if r.RoomString != "7301" || r.UserId != "alice" || r.IsFinished || r.DestroyTime != 0 ||
		r.CreateTime < start || r.CommId != fmt.Sprintf("%d_7301_%d", appID, r.CreateTime) {
		t.Fatalf("room %+v", r)
	}
	call := r.CommId

	// Its users, with what their SDK told about itself.
	var users userList
	poll(t, "both users in DescribeUserInfo", func() bool {
		code := e.describe("DescribeUserInfo", map[string]any{"CommId": call, "SdkAppId": appID, "StartTime": start - 60, "EndTime": start + 3600}, &users)
		return code == "" && users.Total == 2
	})
	// Listed by join time, which the store keeps to the millisecond: bob
	// entered after alice's OnEnterRoom, but both can fall in the same
	// millisecond, and then their order is the sessions' (random) ids.
	if !slices.IsSortedFunc(users.UserList, func(a, b userInfo) int { return cmp.Compare(a.JoinTs, b.JoinTs) }) {
		t.Fatalf("users not in join order: %+v", users.UserList)
	}
	for _, want := range []string{"alice", "bob"} {
		i := slices.IndexFunc(users.UserList, func(u userInfo) bool { return u.UserId == want })
		if i < 0 {
			t.Fatalf("%s not listed: %+v", want, users.UserList)
		}
		u := users.UserList[i]
		if u.RoomStr != "7301" || u.Finished || u.JoinTs < start || u.LeaveTs < u.JoinTs ||
			u.DeviceType != runtime.GOOS+"/"+runtime.GOARCH || u.SdkVersion != "rtcengine-go/"+rtc.Version || u.ClientIp != "127.0.0.1" {
			t.Fatalf("user %d: %+v", i, u)
		}
	}

	// Quality: two full statistics intervals on both sides, then the series.
	for range 3 {
		alice.nextStats()
		bob.nextStats()
	}
	var q userList
	params := map[string]any{"CommId": call, "SdkAppId": appID, "StartTime": start - 60, "EndTime": uint64(time.Now().Unix()) + 60,
		"DataType": []string{"bigvBit", "bigvEncFps", "bigvCapFps", "bigvDecFps", "bigvWidth", "bigvHeight", "aBit", "appCpu", "sysCpu"}}
	poll(t, "three samples of each side", func() bool {
		code := e.describe("DescribeCallDetailInfo", params, &q)
		return code == "" && len(q.series("alice", "", "bigvBit")) >= 3 && len(q.series("bob", "alice", "bigvDecFps")) >= 3
	})
	p.halt()
	last := func(user, peer, dataType string) float64 {
		v := q.series(user, peer, dataType)
		if len(v) < 2 {
			t.Fatalf("%s>%s %s: %v", user, peer, dataType, v)
		}
		return v[len(v)-2] // a full interval: the last one may have caught the pacer stopping
	}
	near := func(what string, got, want, tol float64) {
		t.Helper()
		if got < want*(1-tol) || got > want*(1+tol) {
			t.Errorf("%s = %.0f, want %.0f ±%.0f%%", what, got, want, tol*100)
		}
	}
	near("alice uplink bigvBit", last("alice", "", "bigvBit"), 400_000, 0.15)
	near("alice uplink bigvEncFps", last("alice", "", "bigvEncFps"), 25, 0.15)
	near("alice uplink bigvCapFps", last("alice", "", "bigvCapFps"), 25, 0.15)
	near("alice uplink aBit", last("alice", "", "aBit"), 48_000, 0.15)
	near("alice uplink bigvWidth", last("alice", "", "bigvWidth"), 640, 0)
	near("alice uplink bigvHeight", last("alice", "", "bigvHeight"), 360, 0)
	near("bob receiving alice bigvBit", last("bob", "alice", "bigvBit"), 400_000, 0.15)
	near("bob receiving alice bigvDecFps", last("bob", "alice", "bigvDecFps"), 25, 0.15)
	near("bob receiving alice aBit", last("bob", "alice", "aBit"), 48_000, 0.15)
	if runtime.GOOS == "linux" {
		for _, dt := range []string{"appCpu", "sysCpu"} {
			if v := last("alice", "", dt); v <= 0 || v > 100 {
				t.Errorf("alice %s = %v", dt, v)
			}
		}
	}
	if v := q.series("alice", "bob", "bigvBit"); v != nil {
		t.Errorf("alice received no video from bob, yet %v", v)
	}
	t.Logf("alice uplink: %.0f bps video at %.0f fps, %.0f bps audio, app CPU %.1f %%; bob from alice: %.0f bps at %.0f fps",
		last("alice", "", "bigvBit"), last("alice", "", "bigvEncFps"), last("alice", "", "aBit"), q.series("alice", "", "appCpu")[0],
		last("bob", "alice", "bigvBit"), last("bob", "alice", "bigvDecFps"))

	// Leaving and dismissing finish the session and the room.
	bob.ExitRoom()
	bob.Wait("OnExitRoom", 0)
	poll(t, "bob's session to finish", func() bool {
		code := e.describe("DescribeUserInfo", map[string]any{"CommId": call, "SdkAppId": appID, "StartTime": start - 60,
			"EndTime": start + 3600, "UserIds": []string{"bob"}}, &users)
		return code == "" && len(users.UserList) == 1 && users.UserList[0].Finished
	})
	if u := users.UserList[0]; u.LeaveTs < u.JoinTs || u.LeaveTs > uint64(time.Now().Unix()) {
		t.Fatalf("bob's session %+v", u)
	}
	if code := e.call("DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": room}); code != "" {
		t.Fatal(code)
	}
	alice.Wait("OnExitRoom", 2)
	poll(t, "the room to finish", func() bool {
		code := e.describe("DescribeRoomInfo", map[string]any{"SdkAppId": appID, "StartTime": start - 60, "EndTime": start + 3600, "RoomId": "7301"}, &rooms)
		return code == "" && len(rooms.RoomList) == 1 && rooms.RoomList[0].IsFinished
	})
	if r := rooms.RoomList[0]; r.DestroyTime < r.CreateTime {
		t.Fatalf("room %+v", r)
	}
}

// TestDescribeLimits: windows and page sizes out of range are refused with
// TencentCloud's codes, through TencentCloud's client.
func TestDescribeLimits(t *testing.T) {
	e := NewEnv(t)
	now := uint64(time.Now().Unix())
	const hour = 3600
	call := fmt.Sprintf("%d_1_%d", appID, now)
	for _, tt := range []struct {
		action string
		params map[string]any
		code   string
	}{
		{"DescribeRoomInfo", map[string]any{"SdkAppId": appID, "StartTime": now - 24*hour, "EndTime": now}, ""},
		{"DescribeRoomInfo", map[string]any{"SdkAppId": appID, "StartTime": now - 24*hour - 1, "EndTime": now}, "InvalidParameter.QueryScaleOversize"},
		{"DescribeRoomInfo", map[string]any{"SdkAppId": appID, "StartTime": now - 15*24*hour, "EndTime": now - 15*24*hour + 60}, "InvalidParameter.StartTsOversize"},
		{"DescribeRoomInfo", map[string]any{"SdkAppId": appID, "StartTime": now, "EndTime": now - 1}, "InvalidParameter.EndTs"},
		{"DescribeRoomInfo", map[string]any{"SdkAppId": appID, "StartTime": now - 60, "EndTime": now, "PageSize": 101}, "InvalidParameter.PageSizeOversize"},
		{"DescribeRoomInfo", map[string]any{"SdkAppId": appID, "StartTime": now - 60, "EndTime": now, "PageSize": 0}, "InvalidParameter.PageSize"},
		{"DescribeRoomInfo", map[string]any{"SdkAppId": appID, "EndTime": now}, "MissingParameter.StartTs"},
		{"DescribeUserInfo", map[string]any{"CommId": call, "SdkAppId": appID, "StartTime": now - 4*hour, "EndTime": now}, ""},
		{"DescribeUserInfo", map[string]any{"CommId": call, "SdkAppId": appID, "StartTime": now - 4*hour - 1, "EndTime": now}, "InvalidParameter.QueryScaleOversize"},
		{"DescribeUserInfo", map[string]any{"SdkAppId": appID, "StartTime": now - 60, "EndTime": now}, "MissingParameter.CommId"},
		{"DescribeCallDetailInfo", map[string]any{"CommId": call, "SdkAppId": appID, "StartTime": now - hour - 1, "EndTime": now, "DataType": []string{"aBit"}}, "InvalidParameter.QueryScaleOversize"},
		{"DescribeCallDetailInfo", map[string]any{"CommId": call, "SdkAppId": appID, "StartTime": now - 60, "EndTime": now, "DataType": []string{"aBit"}, "PageSize": 7}, "InvalidParameter.UserIdsMorethanSix"},
		{"DescribeCallDetailInfo", map[string]any{"CommId": call, "SdkAppId": appID, "StartTime": now - 60, "EndTime": now, "DataType": []string{"fps"}}, "InvalidParameterValue"},
		{"DescribeCallDetailInfo", map[string]any{"CommId": call, "SdkAppId": 1400000999, "StartTime": now - 60, "EndTime": now}, "UnauthorizedOperation.SdkAppId"},
	} {
		if code := e.describe(tt.action, tt.params, nil); code != tt.code {
			t.Errorf("%s %v: code %q, want %q", tt.action, tt.params, code, tt.code)
		}
	}
}

// TestQualityReportFrames speaks the report message by hand: bad reports
// are refused with TRTC codes, a good one is stored, and one sent sooner
// than a second after it is ignored.
func TestQualityReportFrames(t *testing.T) {
	e := NewEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, e.Srv.SignalURL(), &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	// request sends a frame and returns the response with its id.
	request := func(frame string, id uint32) proto.Message {
		t.Helper()
		if err := ws.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
			t.Fatal(err)
		}
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("no response to %.60s: %v", frame, err)
			}
			if m, err := proto.Decode(data); err == nil && m.Type == proto.TypeResponse && m.ID == id {
				return m
			}
		}
	}
	report := func(id uint32, data string) int {
		return request(fmt.Sprintf(`{"type":"report","id":%d,"data":%s}`, id, data), id).Code
	}
	// Before entering, a report is ignored.
	if code := report(1, `{"up":{"audio":{"bps":1,"loss":0}}}`); code != 0 {
		t.Fatalf("report outside a room: %d", code)
	}
	start := uint64(time.Now().Unix())
	enter := fmt.Sprintf(`{"type":"enter","id":2,"data":{"sdkAppId":%d,"userId":"raw","userSig":%q,"roomId":7302,"scene":0}}`, appID, e.Sig("raw"))
	if m := request(enter, 2); m.Code != 0 {
		t.Fatalf("enter: %d %s", m.Code, m.Msg)
	}
	for _, tt := range []struct {
		name, data string
		code       int
	}{
		{"not an object", `"x"`, trtc.ErrJSONDecode},
		{"loss over 100", `{"up":{"audio":{"bps":1,"loss":101}}}`, trtc.ErrInvalidParameter},
		{"bad peer", `{"down":[{"userId":"a b","audio":{"bps":1,"loss":0}}]}`, trtc.ErrInvalidParameter},
		{"too many peers", peersReport(proto.MaxReportPeers + 1), trtc.ErrInvalidParameter},
		{"too large", `{"up":{"audio":{"bps":1,"loss":0}},"x":"` + strings.Repeat("a", proto.MaxReportBytes) + `"}`, trtc.ErrInvalidParameter},
	} {
		if code := report(10, tt.data); code != tt.code {
			t.Errorf("%s: code %d, want %d", tt.name, code, tt.code)
		}
	}
	if code := report(11, `{"up":{"audio":{"bps":12345,"loss":3}},"down":[{"userId":"ghost","video":{"bps":5000,"fps":7,"loss":0}}]}`); code != 0 {
		t.Fatalf("good report: %d", code)
	}
	if code := report(12, `{"up":{"audio":{"bps":54321,"loss":0}}}`); code != 0 {
		t.Fatalf("early report: %d", code)
	}

	var rooms roomList
	if code := e.describe("DescribeRoomInfo", map[string]any{"SdkAppId": appID, "StartTime": start - 60, "EndTime": start + 60}, &rooms); code != "" || len(rooms.RoomList) != 1 {
		t.Fatalf("%s %+v", code, rooms)
	}
	var q userList
	poll(t, "the report in DescribeCallDetailInfo", func() bool {
		code := e.describe("DescribeCallDetailInfo", map[string]any{"CommId": rooms.RoomList[0].CommId, "SdkAppId": appID,
			"StartTime": start - 60, "EndTime": start + 600, "DataType": []string{"all"}}, &q)
		return code == "" && len(q.Data) > 0
	})
	if v := q.series("raw", "", "aBit"); len(v) != 1 || v[0] != 12345 {
		t.Fatalf("aBit %v: want the first report only", v)
	}
	if v := q.series("raw", "", "aLoss"); len(v) != 1 || v[0] != 3 {
		t.Fatalf("aLoss %v", v)
	}
	if v := q.series("raw", "ghost", "bigvDecFps"); len(v) != 1 || v[0] != 7 {
		t.Fatalf("bigvDecFps from ghost %v", v)
	}
}

func peersReport(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"userId":"u%d","audio":{"bps":1,"loss":0}}`, i)
	}
	return `{"down":[` + strings.Join(parts, ",") + `]}`
}
