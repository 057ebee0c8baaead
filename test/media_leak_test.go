package test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestNoMediaLeaksAfterUsersLeave: four users publish and receive each
// other; once they have all left and closed, the server has no media
// participant left and the process's goroutines (PeerConnections, readers,
// send loops) are back to where they were.
func TestNoMediaLeaksAfterUsersLeave(t *testing.T) {
	e := NewEnv(t)
	before := runtime.NumGoroutine()
	var cs []*Client
	stop := make(chan struct{})
	var pumps []func()
	for i := range 4 {
		c := e.Join(fmt.Sprint("m", i), 7400, rtc.SceneVideoCall, 0)
		c.EnableCustomVideoCapture(rtc.StreamBig, true)
		c.EnableCustomAudioCapture(true)
		wg := pump(c, stop, false)
		pumps = append(pumps, wg.Wait)
		cs = append(cs, c)
	}
	for _, c := range cs {
		for _, o := range cs {
			if o != c {
				c.waitSeen("OnFirstVideoFrame", o.ID)
			}
		}
	}
	close(stop)
	for _, w := range pumps {
		w()
	}
	for _, c := range cs {
		c.ExitRoom()
		c.Wait("OnExitRoom", 0)
		c.Close()
	}
	waitFor(t, 10*time.Second, "media participants to go", func() bool { return e.Srv.Media().Participants() == 0 })
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("goroutines: %d before, %d after everyone left\n%s", before, runtime.NumGoroutine(), buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
