package test

import (
	"strings"
	"sync"
	"testing"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/rtc"
)

// Protection limits (docs/deployment.md): each limit, when hit, answers
// with its TRTC code, and leaves everyone else alone. Loopback is exempt
// from per-IP limits by default, so the per-IP tests clear limits.ip_exempt.

const overloaded = -100021 // ERR_SERVER_OVERLOADED (trtc-reference §5.3)

func TestLimitConnectionsPerIP(t *testing.T) {
	e := NewEnv(t, func(c *config.Config) { c.Limits.ConnsPerIP, c.Limits.IPExempt = 2, "" })
	a := e.Join("a", 8301, rtc.SceneVideoCall, rtc.RoleAnchor)
	b := e.Join("b", 8301, rtc.SceneVideoCall, rtc.RoleAnchor)
	c := e.NewClient("c", e.Srv.SignalURL())
	c.EnterRoom(e.Params("c", 8301, rtc.RoleAnchor), rtc.SceneVideoCall)
	if r := c.WaitEnter(); r != overloaded {
		t.Fatalf("third connection: OnEnterRoom(%d), want %d", r, overloaded)
	}
	c.Saw("OnError", overloaded, "too many connections from your address (limit 2)")
	// The two connected users are unaffected.
	a.Never(0, "OnRemoteUserLeaveRoom", "b")
	// A connection that ends frees its place.
	b.ExitRoom()
	b.Wait("OnExitRoom")
	b.Close()
	a.Wait("OnRemoteUserLeaveRoom", "b")
	waitFor(t, waitTimeout, "b's connection to close", func() bool {
		return strings.Contains(get(t, e.Srv.URL()+"/healthz"), `"connections":1`)
	})
	d := e.Join("d", 8301, rtc.SceneVideoCall, rtc.RoleAnchor)
	d.Wait("OnRemoteUserEnterRoom", "a")
	if m := get(t, e.Srv.URL()+"/metrics"); !strings.Contains(m, `rtcengine_limit_refusals_total{limit="conns_per_ip"} 1`) {
		t.Errorf("refusal not counted:\n%s", grepLines(m, "rtcengine_limit"))
	}
}

// enterAll enters n users at once and returns their results.
func enterAll(e *Env, room uint32, users []string, sig func(string) string) map[string]int64 {
	var mu sync.Mutex
	out := map[string]int64{}
	var wg sync.WaitGroup
	for _, u := range users {
		c := e.NewClient(u, e.Srv.SignalURL())
		p := e.Params(u, room, rtc.RoleAnchor)
		if sig != nil {
			p.UserSig = sig(u)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.EnterRoom(p, rtc.SceneVideoCall)
			r := c.WaitEnter()
			mu.Lock()
			out[c.ID] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func count(results map[string]int64, f func(int64) bool) (n int) {
	for _, r := range results {
		if f(r) {
			n++
		}
	}
	return n
}

func TestLimitEntersPerIP(t *testing.T) {
	// 1 per second, bursts of 2: of 6 enters at once, at most 2 (and a
	// refill's worth on a slow machine) pass; the rest get −100021.
	e := NewEnv(t, func(c *config.Config) { c.Limits.EntersPerIP, c.Limits.IPExempt = 1, "" })
	res := enterAll(e, 8302, []string{"a", "b", "c", "d", "e", "f"}, nil)
	ok, refused := count(res, func(r int64) bool { return r > 0 }), count(res, func(r int64) bool { return r == overloaded })
	if ok < 2 || ok > 3 || ok+refused != 6 {
		t.Fatalf("results %v: want 2 (or 3) entered and the rest refused with %d", res, overloaded)
	}
	// With loopback exempt (the default), the same burst all passes.
	e2 := NewEnv(t, func(c *config.Config) { c.Limits.EntersPerIP = 1 })
	if res := enterAll(e2, 8302, []string{"a", "b", "c", "d", "e", "f"}, nil); count(res, func(r int64) bool { return r > 0 }) != 6 {
		t.Fatalf("exempt loopback throttled: %v", res)
	}
}

func TestLimitEntersPerApp(t *testing.T) {
	e := NewEnv(t, func(c *config.Config) { c.Limits.EntersPerApp = 1 })
	// Bad tickets are refused for what they are and spend nothing of the
	// app's budget.
	bad := enterAll(e, 8303, []string{"x", "y", "z"}, func(string) string { return "not-a-usersig" })
	if count(bad, func(r int64) bool { return r == int64(rtc.ErrCodeUserSigCheckFailed) }) != 3 {
		t.Fatalf("bad tickets: %v", bad)
	}
	res := enterAll(e, 8303, []string{"a", "b", "c", "d", "e", "f"}, nil)
	ok, refused := count(res, func(r int64) bool { return r > 0 }), count(res, func(r int64) bool { return r == overloaded })
	if ok < 2 || ok > 3 || ok+refused != 6 {
		t.Fatalf("results %v: want 2 (or 3) entered and the rest refused with %d", res, overloaded)
	}
}

func TestLimitRESTPerSecretID(t *testing.T) {
	e := NewEnv(t, func(c *config.Config) { c.Limits.RESTPerSecretID = 1 })
	codes := map[string]int{}
	for range 6 {
		codes[e.call("DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": 9999})]++
	}
	// Burst of 2 (3 on a slow machine): the room does not exist; the rest
	// are refused before the action runs.
	if n := codes["FailedOperation.RoomNotExist"]; n < 2 || n > 3 || n+codes["RequestLimitExceeded"] != 6 {
		t.Fatalf("codes %v", codes)
	}
	// Signaling is unaffected.
	e.Join("alice", 8304, rtc.SceneVideoCall, rtc.RoleAnchor)
}

func TestLimitRESTPerIP(t *testing.T) {
	e := NewEnv(t, func(c *config.Config) { c.Limits.RESTPerIP, c.Limits.IPExempt = 1, "" })
	codes := map[string]int{}
	for range 6 {
		codes[e.call("DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": 9999})]++
	}
	if n := codes["FailedOperation.RoomNotExist"]; n < 2 || n > 3 || n+codes["RequestLimitExceeded.IPLimitExceeded"] != 6 {
		t.Fatalf("codes %v", codes)
	}
}
