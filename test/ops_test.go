package test

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestHealthAndMetrics(t *testing.T) {
	e := NewEnv(t)
	a := e.Join("a", 1300, rtc.SceneVideoCall, 0)
	bad := e.NewClient("b", e.Srv.SignalURL())
	bad.EnterRoom(rtc.Params{SDKAppID: appID, UserID: "b", UserSig: "forged", RoomID: 1300}, rtc.SceneVideoCall)
	bad.WaitEnter()
	e.call("DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": 4321})
	if h := get(t, e.Srv.URL()+"/healthz"); !strings.Contains(h, `"rooms":1`) || !strings.Contains(h, `"users":1`) {
		t.Fatalf("healthz: %s", h)
	}
	m := get(t, e.Srv.URL()+"/metrics")
	for _, want := range []string{
		"rtcengine_rooms 1", "rtcengine_users 1",
		`rtcengine_enters_total{result="0"} 1`, `rtcengine_enters_total{result="-100018"} 1`,
		`rtcengine_api_calls_total{action="DismissRoom",code="FailedOperation.RoomNotExist"} 1`,
		"rtcengine_signaling_connections", "go_goroutines",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	a.ExitRoom()
	a.Wait("OnExitRoom", 0)
}

// TestNoGoroutinesLeftAfterUsersLeave enters and exits many users and checks
// that the process's goroutine count comes back to where it was.
func TestNoGoroutinesLeftAfterUsersLeave(t *testing.T) {
	e := NewEnv(t)
	before := runtime.NumGoroutine()
	var cs []*Client
	for i := range 20 {
		cs = append(cs, e.Join(string(rune('a'+i)), 1400, rtc.SceneVideoCall, 0))
	}
	for _, c := range cs {
		c.ExitRoom()
		c.Wait("OnExitRoom", 0)
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d before, %d after everyone left", before, runtime.NumGoroutine())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
