package test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/rtcengine/rtcengine/rtc"
)

// call sends a REST action with TencentCloud's own SDK client — a signer
// independent of ours — and returns the error code ("" on success).
func (e *Env) call(action string, params map[string]any) string {
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
	err := client.Send(req, tchttp.NewCommonResponse())
	var sdkErr *tcerr.TencentCloudSDKError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &sdkErr) && !strings.HasPrefix(sdkErr.Code, "ClientError"):
		return sdkErr.Code
	}
	e.t.Fatalf("%s: %v", action, err)
	return ""
}

func TestRESTRemoveUser(t *testing.T) {
	e := NewEnv(t)
	a := e.Join("a", 1100, rtc.SceneVideoCall, 0)
	b := e.Join("b", 1100, rtc.SceneVideoCall, 0)
	c := e.Join("c", 1100, rtc.SceneVideoCall, 0)
	a.Wait("OnRemoteUserEnterRoom", "c")
	if code := e.call("RemoveUser", map[string]any{"SdkAppId": appID, "RoomId": 1100, "UserIds": []string{"b", "ghost"}}); code != "" {
		t.Fatalf("RemoveUser: %s", code)
	}
	b.Wait("OnExitRoom", 1)
	a.Wait("OnRemoteUserLeaveRoom", "b", 2)
	c.Wait("OnRemoteUserLeaveRoom", "b", 2)

	if code := e.call("RemoveUser", map[string]any{"SdkAppId": appID, "RoomId": 4242, "UserIds": []string{"a"}}); code != "FailedOperation.RoomNotExist" {
		t.Fatalf("missing room: %q", code)
	}
	if code := e.call("RemoveUser", map[string]any{"SdkAppId": appID, "RoomId": 1100, "UserIds": make([]string, 11)}); !strings.HasPrefix(code, "InvalidParameter") {
		t.Fatalf("11 user ids: %q", code)
	}
}

func TestRESTByStrRoomID(t *testing.T) {
	e := NewEnv(t)
	join := func(user string) *Client {
		c := e.NewClient(user, e.Srv.SignalURL())
		p := e.Params(user, 0, 0)
		p.StrRoomID = "meeting-7"
		c.EnterRoom(p, rtc.SceneVideoCall)
		if r := c.WaitEnter(); r <= 0 {
			t.Fatalf("%s: %d", user, r)
		}
		return c
	}
	a, b := join("a"), join("b")
	// The numeric action does not see string rooms.
	if code := e.call("DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": 7}); code != "FailedOperation.RoomNotExist" {
		t.Fatalf("numeric dismiss of a string room: %q", code)
	}
	if code := e.call("RemoveUserByStrRoomId", map[string]any{"SdkAppId": appID, "RoomId": "meeting-7", "UserIds": []string{"b"}}); code != "" {
		t.Fatalf("RemoveUserByStrRoomId: %s", code)
	}
	b.Wait("OnExitRoom", 1)
	a.Wait("OnRemoteUserLeaveRoom", "b", 2)
	if code := e.call("DismissRoomByStrRoomId", map[string]any{"SdkAppId": appID, "RoomId": "meeting-7"}); code != "" {
		t.Fatalf("DismissRoomByStrRoomId: %s", code)
	}
	a.Wait("OnExitRoom", 2)
}

func TestRESTDismissRoom(t *testing.T) {
	e := NewEnv(t)
	users := []*Client{
		e.Join("anchor", 1200, rtc.SceneLive, rtc.RoleAnchor),
		e.Join("v1", 1200, rtc.SceneLive, rtc.RoleAudience),
		e.Join("v2", 1200, rtc.SceneLive, rtc.RoleAudience),
	}
	if code := e.call("DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": 1200}); code != "" {
		t.Fatalf("DismissRoom: %s", code)
	}
	for _, u := range users {
		u.Wait("OnExitRoom", 2)
	}
	users[1].Never(100*time.Millisecond, "OnRemoteUserLeaveRoom")
	if code := e.call("DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": 1200}); code != "FailedOperation.RoomNotExist" {
		t.Fatalf("second dismiss: %q", code)
	}
	if code := e.call("DismissRoom", map[string]any{"SdkAppId": 1400000999, "RoomId": 1200}); code == "" {
		t.Fatal("dismiss in an app the SecretId does not own succeeded")
	}
}
