package test

import (
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

func TestEnterAndExit(t *testing.T) {
	e := NewEnv(t)
	alice := e.Join("alice", 1234, rtc.SceneVideoCall, 0)
	bob := e.Join("bob", 1234, rtc.SceneVideoCall, 0)
	alice.Wait("OnRemoteUserEnterRoom", "bob")
	bob.Wait("OnRemoteUserEnterRoom", "alice") // existing users are announced after OnEnterRoom

	start := time.Now()
	bob.ExitRoom()
	alice.Wait("OnRemoteUserLeaveRoom", "bob", 0)
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("leave took %v to reach the others, want < 100ms", d)
	}
	bob.Wait("OnExitRoom", 0)

	// The instance can enter again after OnExitRoom.
	bob.EnterRoom(e.Params("bob", 1234, 0), rtc.SceneVideoCall)
	if r := bob.WaitEnter(); r <= 0 {
		t.Fatalf("re-enter: %d", r)
	}
	alice.Wait("OnRemoteUserEnterRoom", "bob")
}

func TestStringAndNumericRoomsAreSeparate(t *testing.T) {
	e := NewEnv(t)
	a := e.Join("a", 123, rtc.SceneVideoCall, 0)
	b := e.NewClient("b", e.Srv.SignalURL())
	p := e.Params("b", 0, 0)
	p.StrRoomID = "123"
	b.EnterRoom(p, rtc.SceneVideoCall)
	if r := b.WaitEnter(); r <= 0 {
		t.Fatalf("string room: %d", r)
	}
	a.Never(200*time.Millisecond, "OnRemoteUserEnterRoom", "b")
	b.Never(0, "OnRemoteUserEnterRoom", "a")
}

// TestEnterValidation covers every code an enter can fail with, client side
// (before any network) and server side.
func TestEnterValidation(t *testing.T) {
	e := NewEnv(t, func(c *config.Config) {
		c.Limits.CallMaxUsers = 2
		c.Apps = append(c.Apps, config.App{SDKAppID: 1400000002, SDKSecret: "second-app-secret", PrivilegeCheck: true})
	})
	expired, _ := usersig.GenUserSigAt(appID, appSecret, "u", 10, time.Now().Add(-time.Hour))
	otherApp, _ := usersig.GenUserSig(1400000009, appSecret, "u", 3600)
	pmk := func(user string, room uint32, bits uint32) string {
		k, err := usersig.GenPrivateMapKey(1400000002, "second-app-secret", user, 3600, room, bits)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	sig2 := func(user string) string {
		s, _ := usersig.GenUserSig(1400000002, "second-app-secret", user, 3600)
		return s
	}
	// Fill room 77 to its cap of 2 for the room-full row.
	e.Join("f1", 77, rtc.SceneVideoCall, 0)
	e.Join("f2", 77, rtc.SceneVideoCall, 0)
	// Room 88 of the privileged app exists, created with full privileges.
	creator := e.NewClient("c", e.Srv.SignalURL())
	creator.EnterRoom(rtc.Params{SDKAppID: 1400000002, UserID: "c", UserSig: sig2("c"), RoomID: 88, PrivateMapKey: pmk("c", 88, 255)}, rtc.SceneVideoCall)
	if r := creator.WaitEnter(); r <= 0 {
		t.Fatalf("privileged creator: %d", r)
	}

	tests := []struct {
		name   string
		params rtc.Params
		scene  rtc.AppScene
		want   int64
	}{
		{name: "params null", params: rtc.Params{}, want: -3316},
		{name: "sdkappid zero", params: rtc.Params{UserID: "u", UserSig: "x", RoomID: 1}, want: -3317},
		{name: "no room id", params: rtc.Params{SDKAppID: appID, UserID: "u", UserSig: "x"}, want: -3318},
		{name: "room id too large", params: rtc.Params{SDKAppID: appID, UserID: "u", UserSig: "x", RoomID: 4294967295}, want: -3318},
		{name: "str room bad char", params: rtc.Params{SDKAppID: appID, UserID: "u", UserSig: "x", StrRoomID: "a/b"}, want: -3318},
		{name: "str room too long", params: rtc.Params{SDKAppID: appID, UserID: "u", UserSig: "x", StrRoomID: string(make([]byte, 65))}, want: -3318},
		{name: "empty user", params: rtc.Params{SDKAppID: appID, UserSig: "x", RoomID: 1}, want: -3319},
		{name: "empty sig", params: rtc.Params{SDKAppID: appID, UserID: "u", RoomID: 1}, want: -3320},
		{name: "garbage sig", params: rtc.Params{SDKAppID: appID, UserID: "u", UserSig: "garbage", RoomID: 1}, want: -100018},
		{name: "expired sig", params: rtc.Params{SDKAppID: appID, UserID: "u", UserSig: expired, RoomID: 1}, want: -100018},
		{name: "sig of another user", params: rtc.Params{SDKAppID: appID, UserID: "v", UserSig: e.Sig("u"), RoomID: 1}, want: -100018},
		{name: "sig of another app", params: rtc.Params{SDKAppID: appID, UserID: "u", UserSig: otherApp, RoomID: 1}, want: -100018},
		{name: "room full", params: e.Params("f3", 77, 0), want: -102052},
		{name: "pmk missing", params: rtc.Params{SDKAppID: 1400000002, UserID: "u", UserSig: sig2("u"), RoomID: 5}, want: -100006},
		{name: "pmk forged", params: rtc.Params{SDKAppID: 1400000002, UserID: "u", UserSig: sig2("u"), RoomID: 5, PrivateMapKey: sig2("u")}, want: -100006},
		{name: "pmk other room", params: rtc.Params{SDKAppID: 1400000002, UserID: "u", UserSig: sig2("u"), RoomID: 5, PrivateMapKey: pmk("u", 6, 255)}, want: -100006},
		{name: "pmk cannot create", params: rtc.Params{SDKAppID: 1400000002, UserID: "u", UserSig: sig2("u"), RoomID: 5, PrivateMapKey: pmk("u", 5, 2)}, want: -102010},
		{name: "pmk cannot enter", params: rtc.Params{SDKAppID: 1400000002, UserID: "u", UserSig: sig2("u"), RoomID: 88, PrivateMapKey: pmk("u", 88, 1)}, want: -102011},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.With(t).NewClient("u", e.Srv.SignalURL())
			c.EnterRoom(tt.params, tt.scene)
			if got := c.WaitEnter(); got != tt.want {
				t.Fatalf("OnEnterRoom(%d), want %d", got, tt.want)
			}
			c.Saw("OnError", tt.want) // every failure also reports OnError
		})
	}
	t.Run("pmk enter ok", func(t *testing.T) {
		c := e.With(t).NewClient("u", e.Srv.SignalURL())
		c.EnterRoom(rtc.Params{SDKAppID: 1400000002, UserID: "u", UserSig: sig2("u"), RoomID: 88, PrivateMapKey: pmk("u", 88, 2)}, rtc.SceneVideoCall)
		if got := c.WaitEnter(); got <= 0 {
			t.Fatalf("OnEnterRoom(%d)", got)
		}
	})
	t.Run("second enter on one instance", func(t *testing.T) {
		c := e.With(t).Join("twice", 99, rtc.SceneVideoCall, 0)
		c.EnterRoom(e.Params("twice", 98, 0), rtc.SceneVideoCall)
		if got := c.WaitEnter(); got != -3340 {
			t.Fatalf("second enter: %d", got)
		}
	})
	t.Run("client checks need no network", func(t *testing.T) {
		c := e.With(t).NewClient("u", "ws://127.0.0.1:1") // nothing listens there
		c.EnterRoom(rtc.Params{SDKAppID: appID, UserID: "u", RoomID: 1}, rtc.SceneVideoCall)
		if got := c.WaitEnter(); got != -3320 {
			t.Fatalf("OnEnterRoom(%d)", got)
		}
	})
}

func TestLiveSceneAudienceInvisible(t *testing.T) {
	e := NewEnv(t)
	anchor := e.Join("anchor", 500, rtc.SceneLive, rtc.RoleAnchor)
	viewer := e.Join("viewer", 500, rtc.SceneLive, rtc.RoleAudience)
	viewer.Wait("OnRemoteUserEnterRoom", "anchor")
	viewer.ExitRoom()
	viewer.Wait("OnExitRoom", 0)
	anchor.Never(200*time.Millisecond, "OnRemoteUserEnterRoom", "viewer")
	anchor.Never(0, "OnRemoteUserLeaveRoom", "viewer")
}

func TestSwitchRole(t *testing.T) {
	e := NewEnv(t, func(c *config.Config) { c.Limits.LiveMaxAnchors = 2 })
	a := e.Join("a", 600, rtc.SceneLive, rtc.RoleAnchor)
	v := e.Join("v", 600, rtc.SceneLive, rtc.RoleAudience)
	w := e.Join("w", 600, rtc.SceneLive, rtc.RoleAudience)

	v.SwitchRole(rtc.RoleAnchor)
	v.Wait("OnSwitchRole", 0)
	a.Wait("OnRemoteUserEnterRoom", "v")
	w.Wait("OnRemoteUserEnterRoom", "v")

	w.SwitchRole(rtc.RoleAnchor) // a third anchor exceeds the cap of 2
	w.Wait("OnSwitchRole", -102052)

	v.SwitchRole(rtc.RoleAudience)
	v.Wait("OnSwitchRole", 0)
	a.Wait("OnRemoteUserLeaveRoom", "v", 3)
	w.Wait("OnRemoteUserLeaveRoom", "v", 3)

	c := e.Join("c", 601, rtc.SceneVideoCall, 0)
	c.SwitchRole(rtc.RoleAudience)
	c.Wait("OnSwitchRole", -100011)
}

func TestDuplicateUserID(t *testing.T) {
	e := NewEnv(t)
	watcher := e.Join("watcher", 700, rtc.SceneVideoCall, 0)
	old := e.Join("dup", 700, rtc.SceneVideoCall, 0)
	watcher.Wait("OnRemoteUserEnterRoom", "dup")

	newer := e.Join("dup", 700, rtc.SceneVideoCall, 0)
	newer.Wait("OnRemoteUserEnterRoom", "watcher")
	old.Wait("OnWarning", rtc.WarnCodeKickedByNewSession)
	old.Wait("OnExitRoom", 1)
	watcher.Never(300*time.Millisecond, "OnRemoteUserLeaveRoom", "dup")
	if n := len(filter(watcher.rec.All(), "OnRemoteUserEnterRoom")); n != 1 {
		t.Fatalf("watcher saw %d enters of dup, want 1", n)
	}
}

func filter(evs []Event, name string) []Event {
	var out []Event
	for _, e := range evs {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func TestRoomDestructionRules(t *testing.T) {
	e := NewEnv(t, func(c *config.Config) { c.Limits.LiveAudienceRoomTTL = 300 * time.Millisecond })
	exists := func(room uint32) bool {
		_, ok := e.Srv.Rooms().Room(roomKey(room))
		return ok
	}
	// Call scene: gone with its last user.
	c := e.Join("c", 801, rtc.SceneVideoCall, 0)
	c.ExitRoom()
	c.Wait("OnExitRoom", 0)
	if exists(801) {
		t.Fatal("call room outlived its last user")
	}
	// Live scene, anchor leaves last: gone at once.
	v := e.Join("v", 802, rtc.SceneLive, rtc.RoleAudience)
	a := e.Join("a", 802, rtc.SceneLive, rtc.RoleAnchor)
	v.ExitRoom()
	v.Wait("OnExitRoom", 0)
	a.ExitRoom()
	a.Wait("OnExitRoom", 0)
	if exists(802) {
		t.Fatal("live room outlived its last anchor")
	}
	// Live scene, audience leaves last: kept for the TTL.
	a2 := e.Join("a", 803, rtc.SceneLive, rtc.RoleAnchor)
	v2 := e.Join("v", 803, rtc.SceneLive, rtc.RoleAudience)
	a2.ExitRoom()
	a2.Wait("OnExitRoom", 0)
	v2.ExitRoom()
	v2.Wait("OnExitRoom", 0)
	if !exists(803) {
		t.Fatal("live room vanished right after its last audience left")
	}
	waitUntil(t, 2*time.Second, func() bool { return !exists(803) }, "live room to expire after its TTL")
}

func waitUntil(t *testing.T, d time.Duration, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
