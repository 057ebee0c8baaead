package netem

import (
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// outage keeps the link down for d and brings it back with the host end
// on a new address: the clients' old address, and every socket bound to
// it, is gone (a laptop moving to another network).
func outage(n *Net, d time.Duration) (up time.Time) {
	n.LinkDown()
	n.Readdress()
	<-time.After(d) // the length of the outage is the scenario, not a wait for an event
	n.LinkUp()
	return time.Now()
}

// TestLinkDownNewAddress: bob publishes and receives alice through the
// link; the link goes down for 5 s and comes back with a new address for
// bob. Bob reports OnConnectionLost → OnTryToReconnect →
// OnConnectionRecovery, stays in the room (alice never sees him leave),
// and media flows again both ways. The server runs with its default
// heartbeat and drop timeouts.
func TestLinkDownNewAddress(t *testing.T) {
	const room = 8201
	n := NewNet(t)
	srv := n.StartServer(ServerOptions{})
	alice := n.StartPublisher(srv, "alice", room, PublishOptions{FPS: 30, FrameSize: 1000, KeyEvery: 10, Watch: "bob"})
	bob := NewClient(t, srv.SignalURL(), "bob")
	s := &Sink{}
	bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)
	bob.EnableCustomVideoCapture(rtc.StreamBig, true)
	bob.EnableCustomAudioCapture(true)
	bob.Enter(room)
	pc := startPacer(bob.Cloud, 30, 1000, 10, false)
	defer pc.Stop()
	alice.WaitEvent("enter", "bob")
	alice.Phase('A')
	pc.Phase('a')
	waitUntil(t, waitTimeout, "media both ways", func() bool { return len(s.Video('A')) > 0 && alice.Got('a') > 0 })

	before := len(alice.Events())
	up := outage(n, 5*time.Second)
	alice.Phase('B')
	pc.Phase('b')
	bob.Wait("OnConnectionLost")
	bob.Wait("OnTryToReconnect")
	rec := bob.Wait("OnConnectionRecovery")
	waitUntil(t, waitTimeout, "alice's video after the outage", func() bool { return len(s.Video('B')) > 0 })
	videoBack := time.Now()
	waitUntil(t, waitTimeout, "bob's video at alice after the outage", func() bool { return alice.Got('b') > 0 })
	t.Logf("link up → OnConnectionRecovery %v, → alice's video at bob %v, → bob's video at alice %v",
		rec.At.Sub(up).Round(time.Millisecond), videoBack.Sub(up).Round(time.Millisecond), time.Since(up).Round(time.Millisecond))
	for _, e := range alice.Events()[before:] {
		if e.is("leave", "bob") || e.is("enter", "bob") {
			t.Fatalf("alice saw bob leave or enter again: %v", alice.Events())
		}
	}
	if n := bob.Count("OnExitRoom"); n != 0 {
		t.Fatalf("bob left the room: %v", bob.rec.all())
	}
}

// TestLinkDownPastDropTimeout: the link stays down longer than the
// server's drop timeout (3 s here): alice sees bob leave with reason 1
// (timed out). When the link is back bob enters again by himself and
// media flows again.
func TestLinkDownPastDropTimeout(t *testing.T) {
	const room = 8202
	n := NewNet(t)
	srv := n.StartServer(ServerOptions{DropTimeout: 3 * time.Second, HeartbeatInterval: 500 * time.Millisecond, HeartbeatTimeout: 2 * time.Second})
	alice := n.StartPublisher(srv, "alice", room, PublishOptions{FPS: 30, FrameSize: 1000, KeyEvery: 10})
	bob := NewClient(t, srv.SignalURL(), "bob")
	s := &Sink{}
	bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)
	bob.Enter(room)
	alice.WaitEvent("enter", "bob")
	alice.Phase('A')
	waitUntil(t, waitTimeout, "alice's video", func() bool { return len(s.Video('A')) > 0 })

	n.LinkDown()
	n.Readdress()
	left := alice.WaitEvent("leave", "bob", 1)
	n.LinkUp()
	up := time.Now()
	alice.Phase('B')
	bob.Wait("OnConnectionLost")
	bob.Wait("OnConnectionRecovery")
	alice.WaitEventFrom(left+1, "enter", "bob")
	waitUntil(t, waitTimeout, "alice's video after re-entering", func() bool { return len(s.Video('B')) > 0 })
	t.Logf("link up → alice's video at bob again in %v", time.Since(up).Round(time.Millisecond))
	if n := bob.Count("OnExitRoom"); n != 0 {
		t.Fatalf("bob left the room: %v", bob.rec.all())
	}
}

// TestReconnectBudget: a link that never comes back ends the session after
// the reconnect budget with a clear error instead of retrying forever.
func TestReconnectBudget(t *testing.T) {
	const room = 8203
	n := NewNet(t)
	srv := n.StartServer(ServerOptions{})
	bob := NewClient(t, srv.SignalURL(), "bob", rtc.WithReconnectBudget(4*time.Second))
	bob.Enter(room)
	n.LinkDown()
	lost := bob.Wait("OnConnectionLost")
	ev := bob.Wait("OnError", rtc.ErrCodeDisconnected)
	bob.Wait("OnExitRoom", rtc.ExitReasonNetwork)
	if d := ev.At.Sub(lost.At); d < 3500*time.Millisecond || d > 6*time.Second {
		t.Errorf("gave up %v after OnConnectionLost, want 4 s", d)
	}
	if bob.Count("OnConnectionRecovery") != 0 {
		t.Errorf("recovered on a dead link: %v", bob.rec.all())
	}
}
