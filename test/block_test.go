package test

import (
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// SetUserBlocked end to end: the server stops forwarding the blocked
// user's media, the others see it become unavailable, and IsMute 0 brings
// it back, while the blocked user keeps sending all along.

// settled waits until user's frames of the watched kinds stop reaching s
// (none for 300 ms; frames already on their way may land first) and
// returns the counts.
func settled(t *testing.T, s *sink, user string, watchVideo, watchAudio bool) (video, audio int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	video, audio = s.counts(user)
	quietSince := time.Now()
	for time.Since(quietSince) < 300*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("%s's frames keep arriving", user)
		}
		time.Sleep(20 * time.Millisecond)
		v, a := s.counts(user)
		if (watchVideo && v != video) || (watchAudio && a != audio) {
			quietSince = time.Now()
		}
		video, audio = v, a
	}
	return video, audio
}

// none checks that no callback named name (with args) arrives within d
// among those not yet waited for.
func (c *Client) none(d time.Duration, name string, args ...any) {
	c.t.Helper()
	if ev, ok := c.rec.WaitFor(d, func(e Event) bool { return e.Is(name, args...) }); ok {
		c.t.Fatalf("%s: unexpected %v; all: %v", c.ID, ev, c.rec.All())
	}
}

// growing waits until more of user's frames than (video, audio) arrive, for
// each kind whose want is true.
func growing(t *testing.T, s *sink, user string, video, audio int, wantVideo, wantAudio bool) {
	t.Helper()
	waitFor(t, waitTimeout, user+"'s media flowing again", func() bool {
		v, a := s.counts(user)
		return (!wantVideo || v > video+10) && (!wantAudio || a > audio+10)
	})
}

func TestSetUserBlockedMedia(t *testing.T) {
	e := NewEnv(t)
	const room = 7401
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob := e.Join("bob", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	s := newSink()
	bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)
	bob.SetAudioFrameObserver(rtc.AudioFormatOpus, s)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	stop := make(chan struct{})
	wg := pump(alice, stop, false) // keyframes and audio every 20 ms, throughout
	defer wg.Wait()
	defer close(stop)
	bob.waitSeen("OnFirstVideoFrame", "alice", int(rtc.StreamBig), 640, 360)
	bob.waitSeen("OnFirstAudioFrame", "alice")

	block := func(isMute int) {
		t.Helper()
		if code := e.call("SetUserBlocked", map[string]any{"SdkAppId": appID, "RoomId": room, "UserId": "alice", "IsMute": isMute}); code != "" {
			t.Fatalf("SetUserBlocked IsMute %d: %s", isMute, code)
		}
	}

	// 1: audio and video.
	block(1)
	bob.Wait("OnUserAudioAvailable", "alice", false)
	bob.Wait("OnUserVideoAvailable", "alice", false)
	v0, a0 := settled(t, s, "alice", true, true)
	bob.none(500*time.Millisecond, "OnUserVideoAvailable", "alice", true)
	if v, a := s.counts("alice"); v != v0 || a != a0 {
		t.Fatalf("blocked media still arrives: video %d→%d, audio %d→%d", v0, v, a0, a)
	}

	// A user who enters meanwhile is not told of the blocked streams, and
	// gets none of them.
	carol := e.Join("carol", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	cs := newSink()
	carol.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, cs)
	carol.SetAudioFrameObserver(rtc.AudioFormatOpus, cs)
	carol.Wait("OnRemoteUserEnterRoom", "alice")
	carol.Never(0, "OnUserVideoAvailable", "alice")
	carol.Never(0, "OnUserAudioAvailable", "alice")

	// 3: video only; audio comes back.
	block(3)
	bob.Wait("OnUserAudioAvailable", "alice", true)
	carol.Wait("OnUserAudioAvailable", "alice", true)
	growing(t, s, "alice", v0, a0, false, true)
	if v, _ := s.counts("alice"); v != v0 {
		t.Fatalf("video flows while blocked: %d→%d frames", v0, v)
	}
	growing(t, cs, "alice", 0, 0, false, true)

	// 0: everything back, without the sender doing anything.
	block(0)
	bob.Wait("OnUserVideoAvailable", "alice", true)
	carol.Wait("OnUserVideoAvailable", "alice", true)
	v1, a1 := s.counts("alice")
	growing(t, s, "alice", v1, a1, true, true)
	growing(t, cs, "alice", 0, 0, true, true)

	// 2: audio only; video keeps flowing.
	block(2)
	bob.Wait("OnUserAudioAvailable", "alice", false)
	v2, a2 := settled(t, s, "alice", false, true)
	growing(t, s, "alice", v2, a2, true, false)
	if _, a := s.counts("alice"); a != a2 {
		t.Fatalf("audio flows while blocked: %d→%d packets", a2, a)
	}

	// The blocked user was never told anything about herself.
	alice.Never(0, "OnUserAudioAvailable", "alice")
	alice.Never(0, "OnUserVideoAvailable", "alice")
	alice.Never(0, "OnError")

	// Errors: a user who is not in the room, a room that does not exist.
	if code := e.call("SetUserBlocked", map[string]any{"SdkAppId": appID, "RoomId": room, "UserId": "ghost", "IsMute": 1}); code != "FailedOperation.UserNotExist" {
		t.Fatalf("ghost: %q", code)
	}
	if code := e.call("SetUserBlocked", map[string]any{"SdkAppId": appID, "RoomId": 7499, "UserId": "alice", "IsMute": 1}); code != "FailedOperation.RoomNotExist" {
		t.Fatalf("no room: %q", code)
	}
	if code := e.call("SetUserBlocked", map[string]any{"SdkAppId": appID, "RoomId": room, "UserId": "alice", "IsMute": 4}); code != "InvalidParameter" {
		t.Fatalf("IsMute 4: %q", code)
	}
}

func TestSetUserBlockedByStrRoomID(t *testing.T) {
	e := NewEnv(t)
	join := func(user string) *Client {
		c := e.NewClient(user, e.Srv.SignalURL())
		p := e.Params(user, 0, 0)
		p.StrRoomID = "townhall"
		c.EnterRoom(p, rtc.SceneVideoCall)
		if r := c.WaitEnter(); r <= 0 {
			t.Fatalf("%s: %d", user, r)
		}
		return c
	}
	alice, bob := join("alice"), join("bob")
	alice.EnableCustomAudioCapture(true)
	bob.Wait("OnUserAudioAvailable", "alice", true)
	if code := e.call("SetUserBlockedByStrRoomId", map[string]any{"SdkAppId": appID, "RoomId": "townhall", "UserId": "alice", "IsMute": 2}); code != "" {
		t.Fatal(code)
	}
	bob.Wait("OnUserAudioAvailable", "alice", false)
	// The block outlives a mute and unmute by the user herself.
	alice.MuteLocalAudio(true)
	alice.MuteLocalAudio(false)
	bob.none(300*time.Millisecond, "OnUserAudioAvailable", "alice", true)
	if code := e.call("SetUserBlockedByStrRoomId", map[string]any{"SdkAppId": appID, "RoomId": "townhall", "UserId": "alice", "IsMute": 0}); code != "" {
		t.Fatal(code)
	}
	bob.Wait("OnUserAudioAvailable", "alice", true)
	// The numeric action does not see string rooms.
	if code := e.call("SetUserBlocked", map[string]any{"SdkAppId": appID, "RoomId": 1, "UserId": "alice", "IsMute": 1}); code != "FailedOperation.RoomNotExist" {
		t.Fatalf("numeric room: %q", code)
	}
}
