package netem

import (
	"fmt"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// BenchmarkConnect measures connecting over the link's UDP path: a new Go
// SDK client enters a room where alice publishes, and the time from
// EnterRoom to OnEnterRoom (signaling) and to the first rendered frame of
// alice (signaling, subscriber negotiation, ICE, DTLS, a keyframe) is
// reported, clean and with random loss on the UDP path.
//
//	go test -run '^$' -bench Connect -benchtime 10x ./test/netem/
func BenchmarkConnect(b *testing.B) {
	const room = 8501
	n := NewNet(b)
	srv := n.StartServer(ServerOptions{})
	// Keyframes every 100 ms: the synthetic publisher cannot answer a
	// keyframe request, so this bounds the wait for one.
	n.StartPublisher(srv, "alice", room, PublishOptions{FPS: 30, FrameSize: 1000, KeyEvery: 3})
	for _, loss := range []int{0, 10, 30} {
		b.Run(fmt.Sprintf("loss=%d%%", loss), func(b *testing.B) {
			n.Loss(loss, Both)
			defer n.Loss(0, Both)
			var enter, first time.Duration
			i := 0
			for b.Loop() {
				i++
				c := NewClient(b, srv.SignalURL(), fmt.Sprintf("bob%d_%d", loss, i))
				c.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, &Sink{})
				start := time.Now()
				c.Enter(room)
				entered := time.Now()
				ev := c.Seen("OnFirstVideoFrame", "alice")
				enter += entered.Sub(start)
				first += ev.At.Sub(start)
				c.ExitRoom()
				c.Wait("OnExitRoom")
				c.Close()
			}
			b.ReportMetric(float64(enter.Milliseconds())/float64(i), "ms/enter")
			b.ReportMetric(float64(first.Milliseconds())/float64(i), "ms/first-frame")
		})
	}
}
