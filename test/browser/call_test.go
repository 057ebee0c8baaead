package browser

import (
	"testing"
)

// TestTwoPagesAndInvisibleAudience: two anchors in a live room decode each
// other's video and receive each other's audio; a third page entering as
// audience sees and decodes both, and neither anchor ever hears of it.
func TestTwoPagesAndInvisibleAudience(t *testing.T) {
	s := newServer(t)
	alice := openSDKPage(t, s, "alice", "")
	bob := openSDKPage(t, s, "bob", "")
	const room = 4101

	alice.MustEnter("alice", room, "live", "anchor")
	alice.Publish()
	bob.MustEnter("bob", room, "live", "anchor")
	bob.Publish()

	alice.Seen("remote-user-enter", map[string]any{"userId": "bob"})
	bob.Seen("remote-user-enter", map[string]any{"userId": "alice"})
	alice.Seen("remote-video-available", map[string]any{"userId": "bob", "streamType": "main"})
	bob.Seen("remote-audio-available", map[string]any{"userId": "alice"})
	t.Logf("alice decoded %d frames of bob", alice.FramesGrow("bob", "video", 15))
	bob.FramesGrow("alice", "video", 15)
	alice.AudioGrows("bob")
	bob.AudioGrows("alice")

	carol := openSDKPage(t, s, "carol", "")
	carol.MustEnter("carol", room, "live", "audience")
	carol.Seen("remote-user-enter", map[string]any{"userId": "alice"})
	carol.Seen("remote-user-enter", map[string]any{"userId": "bob"})
	carol.FramesGrow("alice", "video", 10)
	carol.FramesGrow("bob", "video", 10)
	carol.AudioGrows("alice")

	// Both anchors have seen media from carol's time in the room flow on;
	// an enter event for her would have come long before.
	alice.FramesGrow("bob", "video", 10)
	alice.NotSeen("remote-user-enter", map[string]any{"userId": "carol"})
	bob.NotSeen("remote-user-enter", map[string]any{"userId": "carol"})

	// exitRoom: the others see the user leave.
	bob.Eval(`() => rt.t.exitRoom()`, nil)
	alice.Seen("remote-user-exit", map[string]any{"userId": "bob"})
	carol.Seen("remote-user-exit", map[string]any{"userId": "bob"})
	alice.NotSeen("remote-user-exit", map[string]any{"userId": "carol"})
}
