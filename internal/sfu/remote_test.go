package sfu

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// TestLabelledSubscriptions: a relay link takes one track twice, big and
// small, as two labelled DownTracks; a label is still subscribed once.
func TestLabelledSubscriptions(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.newClient("alice", nil)
	vt := newVideoTrack(t, "camera")
	senders := alice.publish(vt)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &publisher{interval: 5 * time.Millisecond, layers: []*pubLayer{{track: vt, sender: senders[0]}}}
	pub.run(ctx, &env.wg)
	pt := alice.waitPublished(1)[0]

	link := env.newClient("relay", nil)
	big, err := link.peer.Subscribe(pt, SubscribeOptions{Label: "big"})
	if err != nil {
		t.Fatal(err)
	}
	small, err := link.peer.Subscribe(pt, SubscribeOptions{Layer: trtc.StreamSmall, Label: "small"})
	if err != nil {
		t.Fatal(err)
	}
	if big.ID() != string(pt.ID())+"#big" || small.ID() != string(pt.ID())+"#small" {
		t.Fatalf("ids %q, %q", big.ID(), small.ID())
	}
	if _, err := link.peer.Subscribe(pt, SubscribeOptions{Label: "small"}); !errors.Is(err, ErrAlreadySubscribed) {
		t.Fatalf("same label twice: %v", err)
	}
	if n := len(link.peer.DownTracks()); n != 2 {
		t.Fatalf("%d DownTracks, want 2", n)
	}
	// Closing one leaves the other.
	_ = small.Close()
	if ds := link.peer.DownTracks(); len(ds) != 1 || ds[0] != big {
		t.Fatalf("after closing small: %v", ds)
	}
	if _, err := link.peer.Subscribe(pt, SubscribeOptions{Layer: trtc.StreamSmall, Label: "small"}); err != nil {
		t.Fatalf("subscribing small again: %v", err)
	}
}
