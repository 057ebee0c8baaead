package test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/rtc"
)

// JoinVia enters a call-scene room through a proxy the test can cut.
func (e *Env) JoinVia(p *Proxy, user string, room uint32) *Client {
	e.t.Helper()
	c := e.NewClient(user, p.URL())
	c.EnterRoom(e.Params(user, room, 0), rtc.SceneVideoCall)
	if r := c.WaitEnter(); r <= 0 {
		e.t.Fatalf("%s: OnEnterRoom(%d)", user, r)
	}
	return c
}

func roomKey(room uint32) trtc.RoomKey { return trtc.RoomKey{App: appID, Num: room} }

func shortDrop(d time.Duration) func(*config.Config) {
	return func(c *config.Config) { c.Limits.DropTimeout = d }
}

// TestReconnectWithinTimeout cuts a client's connection and lets it back in
// before the drop timeout: it resumes the same session and nobody notices.
func TestReconnectWithinTimeout(t *testing.T) {
	e := NewEnv(t, shortDrop(5*time.Second))
	proxy := NewProxy(t, e.Srv.Addr())
	alice := e.Join("alice", 900, rtc.SceneVideoCall, 0)
	bob := e.JoinVia(proxy, "bob", 900)
	alice.Wait("OnRemoteUserEnterRoom", "bob")

	proxy.Cut()
	bob.Wait("OnConnectionLost")
	bob.Wait("OnTryToReconnect")
	bob.Wait("OnConnectionRecovery")

	// The session is the same one: exit still reaches the others as reason 0,
	// and they never saw bob leave or enter in between.
	bob.ExitRoom()
	alice.Wait("OnRemoteUserLeaveRoom", "bob", 0)
	bob.Wait("OnExitRoom", 0)
	if n := len(filter(alice.rec.All(), "OnRemoteUserEnterRoom")); n != 1 {
		t.Fatalf("alice saw bob enter %d times", n)
	}
	if n := len(filter(alice.rec.All(), "OnRemoteUserLeaveRoom")); n != 1 {
		t.Fatalf("alice saw %d leaves", n)
	}
}

// TestReconnectBeyondTimeout keeps a client out past the drop timeout: the
// others see it leave with reason 1, and when it comes back it enters anew;
// the webhooks say 104 reason 2 (timeout) and 103 reason 3 (timeout retry).
func TestReconnectBeyondTimeout(t *testing.T) {
	rcv := newHookReceiver(t, nil)
	e := NewEnv(t, shortDrop(500*time.Millisecond), withWebhook(rcv.URL(), nil))
	proxy := NewProxy(t, e.Srv.Addr())
	alice := e.Join("alice", 901, rtc.SceneVideoCall, 0)
	bob := e.JoinVia(proxy, "bob", 901)
	alice.Wait("OnRemoteUserEnterRoom", "bob")

	proxy.Block(true)
	proxy.Cut()
	bob.Wait("OnConnectionLost")
	alice.Wait("OnRemoteUserLeaveRoom", "bob", 1)
	bob.Wait("OnTryToReconnect")
	proxy.Block(false)
	bob.Wait("OnConnectionRecovery")
	alice.Wait("OnRemoteUserEnterRoom", "bob")
	bob.Never(0, "OnExitRoom")
	enter := func(user string, reason int) string {
		return fmt.Sprintf("103 901 UserId=%s Role=20 TerminalType=%d UserType=3 Reason=%d", user, terminalOf(), reason)
	}
	got := strs(rcv.waitFor("bob's second enter", func(hs []hook) bool { return has(hs, enter("bob", 3)) }))
	want := []string{"101 901 UserId=alice", enter("alice", 1), enter("bob", 1), "104 901 UserId=bob Role=20 Reason=2", enter("bob", 3)}
	if !slices.Equal(got, want) {
		t.Fatalf("webhooks\n got %q\nwant %q", got, want)
	}
}

// TestHeartbeatDetectsHalfOpenPath freezes the path without closing it:
// only heartbeats can tell, on both sides.
func TestHeartbeatDetectsHalfOpenPath(t *testing.T) {
	e := NewEnv(t, shortDrop(10*time.Second))
	proxy := NewProxy(t, e.Srv.Addr())
	alice := e.Join("alice", 902, rtc.SceneVideoCall, 0)
	bob := e.JoinVia(proxy, "bob", 902)

	proxy.Freeze()
	bob.Wait("OnConnectionLost")
	proxy.Thaw()
	bob.Wait("OnConnectionRecovery")
	alice.Never(100*time.Millisecond, "OnRemoteUserLeaveRoom", "bob")
}

// TestServerShutdownTellsClients: on shutdown connected clients are told and
// start reconnecting instead of waiting for a heartbeat timeout.
func TestServerShutdownTellsClients(t *testing.T) {
	e := NewEnv(t)
	alice := e.Join("alice", 903, rtc.SceneVideoCall, 0)
	start := time.Now()
	go func() { _ = e.Srv.Shutdown(t.Context()) }()
	alice.Wait("OnConnectionLost")
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("client noticed shutdown after %v", d)
	}
}

// TestStreamStateLostWithTheLink: bob mutes his audio just as his signaling
// path dies, so the change never reaches the server. It is not an error:
// the resumed session says it again and alice hears of it.
func TestStreamStateLostWithTheLink(t *testing.T) {
	e := NewEnv(t, shortDrop(10*time.Second))
	proxy := NewProxy(t, e.Srv.Addr())
	alice := e.Join("alice", 904, rtc.SceneVideoCall, 0)
	bob := e.JoinVia(proxy, "bob", 904)
	bob.EnableCustomAudioCapture(true)
	alice.Wait("OnUserAudioAvailable", "bob", true)

	proxy.Freeze() // what bob sends from now on is held, then dropped by the cut
	bob.MuteLocalAudio(true)
	proxy.Block(true)
	proxy.Cut()
	bob.Wait("OnConnectionLost")
	proxy.Thaw()
	proxy.Block(false)
	bob.Wait("OnConnectionRecovery")
	alice.Wait("OnUserAudioAvailable", "bob", false)
	bob.Never(0, "OnError")
	alice.Never(0, "OnRemoteUserLeaveRoom", "bob")
}
