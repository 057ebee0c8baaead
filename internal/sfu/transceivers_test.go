package sfu

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// A subscriber that subscribes and unsubscribes again and again keeps one
// m-line per kind: each removed track's transceiver carries the next one,
// and each new track arrives at the (Pion) client as a new remote track
// with its own SSRC. A transceiver whose removal the client has not yet
// answered is not reused.
func TestSubscriberTransceiversReused(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.newClient("alice", nil)
	mic := newOpusTrack(t, "mic", "alice")
	cam := newVideoTrack(t, "cam")
	alice.publish(mic, cam)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Audio every 2 ms, a one-packet VP8 keyframe every 10 ms.
	env.every(ctx, 2*time.Millisecond, func(i uint16) bool {
		_ = mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: i, Timestamp: uint32(i) * 960}, Payload: []byte{0xfc, byte(i)}})
		if i%5 == 0 {
			_ = cam.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: i / 5, Timestamp: uint32(i) * 180, Marker: true}, Payload: makeFrame(0, uint32(i), true)})
		}
		return true
	})
	var audio, video *PublishedTrack
	for _, pt := range alice.waitPublished(2) {
		if pt.Kind() == KindAudio {
			audio = pt
		} else {
			video = pt
		}
	}

	bob := env.newClient("bob", nil)
	if _, err := bob.peer.Subscribe(video, SubscribeOptions{}); err != nil {
		t.Fatal(err)
	}
	if tr := bob.waitTrack(); tr.Kind() != webrtc.RTPCodecTypeVideo {
		t.Fatalf("first track is %v", tr.Kind())
	}
	idle := func() int {
		bob.peer.mu.Lock()
		defer bob.peer.mu.Unlock()
		return len(bob.peer.idle)
	}
	seen := map[webrtc.SSRC]bool{}
	const cycles = 6
	for cycle := range cycles {
		d, err := bob.peer.Subscribe(audio, SubscribeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tr := bob.waitTrack()
		if tr.Kind() != webrtc.RTPCodecTypeAudio || tr.ID() != "alice/audio" || seen[tr.SSRC()] {
			t.Fatalf("cycle %d: got %v %q SSRC %d (seen before: %v)", cycle, tr.Kind(), tr.ID(), tr.SSRC(), seen[tr.SSRC()])
		}
		seen[tr.SSRC()] = true
		for range 5 {
			if _, _, err := tr.ReadRTP(); err != nil {
				t.Fatalf("cycle %d: %v", cycle, err)
			}
		}
		d.Close()
		// Once the client has answered the offer without the track, its
		// transceiver is idle, ready for the next.
		for deadline := time.Now().Add(5 * time.Second); idle() != 1; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("cycle %d: %d idle transceivers, want 1", cycle, idle())
			}
		}
	}
	sdp := bob.sub.RemoteDescription().SDP
	if a, v := strings.Count(sdp, "m=audio"), strings.Count(sdp, "m=video"); a != 1 || v != 1 {
		t.Fatalf("after %d subscriptions: %d audio and %d video m-lines, want 1 and 1", cycles, a, v)
	}

	// Removed, and resubscribed before the client answered: a new m-line.
	bob.mu.Lock() // hold the client's answer
	d, err := bob.peer.Subscribe(audio, SubscribeOptions{})
	if err != nil {
		bob.mu.Unlock()
		t.Fatal(err)
	}
	bob.mu.Unlock()
	bob.waitTrack()
	bob.mu.Lock()
	d.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		bob.peer.mu.Lock()
		n := len(bob.peer.releasing)
		bob.peer.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			bob.mu.Unlock()
			t.Fatalf("%d transceivers releasing, want 1", n)
		}
	}
	_, err = bob.peer.Subscribe(audio, SubscribeOptions{})
	bob.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if tr := bob.waitTrack(); tr.Kind() != webrtc.RTPCodecTypeAudio {
		t.Fatalf("got %v", tr.Kind())
	}
	for deadline := time.Now().Add(5 * time.Second); strings.Count(bob.sub.RemoteDescription().SDP, "m=audio") != 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("audio m-lines: %d, want 2", strings.Count(bob.sub.RemoteDescription().SDP, "m=audio"))
		}
	}
}
