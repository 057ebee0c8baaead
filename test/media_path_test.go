package test

import (
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestMediaPathBreakRestartsICE breaks bob's subscriber media path while
// signaling stays up: the SDK reports OnConnectionLost and OnTryToReconnect,
// restarts ICE, and once the path works again reports OnConnectionRecovery
// and receives frames again. Nobody else sees anything.
func TestMediaPathBreakRestartsICE(t *testing.T) {
	e := NewEnv(t)
	alice, bob, relay, s := e.relayedPair(7202)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	startPacer(alice, 50, 900, 100, 10)
	bob.waitSeen("OnFirstVideoFrame", "alice")

	relay.SetLoss(1) // the path is cut both ways; signaling still works
	bob.Wait("OnConnectionLost")
	bob.Wait("OnTryToReconnect")
	relay.SetLoss(0)
	bob.Wait("OnConnectionRecovery")
	v0, _ := s.counts("alice")
	waitFor(t, 10*time.Second, "frames after the media path came back", func() bool {
		v, _ := s.counts("alice")
		return v >= v0+25
	})
	alice.Never(0, "OnRemoteUserLeaveRoom")
	alice.Never(0, "OnConnectionLost")
}
