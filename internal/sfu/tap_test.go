package sfu

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// testTap collects what a Tap receives.
type testTap struct {
	mu    sync.Mutex
	seqs  []uint16
	ended int
	got   chan struct{}
}

func newTestTap() *testTap { return &testTap{got: make(chan struct{}, 1)} }

func (x *testTap) TapPacket(pkt []byte) {
	var p rtp.Packet
	if p.Unmarshal(pkt) != nil {
		return
	}
	x.mu.Lock()
	x.seqs = append(x.seqs, p.SequenceNumber)
	x.mu.Unlock()
	select {
	case x.got <- struct{}{}:
	default:
	}
}

func (x *testTap) TapEnded() {
	x.mu.Lock()
	x.ended++
	x.mu.Unlock()
	select {
	case x.got <- struct{}{}:
	default:
	}
}

func (x *testTap) wait(t *testing.T, what string, ok func(seqs []uint16, ended int) bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		x.mu.Lock()
		done := ok(x.seqs, x.ended)
		x.mu.Unlock()
		if done {
			return
		}
		select {
		case <-x.got:
		case <-deadline:
			t.Fatalf("tap: no %s within 5 s", what)
		}
	}
}

// TestTapReceivesPublisherPackets: a Tap sees the publisher's packets
// unmodified and in order without any PeerConnection, and hears the end of
// the track once; a removed tap hears nothing more.
func TestTapReceivesPublisherPackets(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.newClient("alice", nil)
	at, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "alice-stream")
	if err != nil {
		t.Fatal(err)
	}
	alice.publish(at)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env.every(ctx, 2*time.Millisecond, func(i uint16) bool {
		seq := i + 100
		return at.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 960}, Payload: []byte{0xfc, byte(seq)}}) == nil
	})
	pt := alice.waitPublished(1)[0]
	kept, removed := newTestTap(), newTestTap()
	pt.AddTap(kept)
	remove := pt.AddTap(removed)
	kept.wait(t, "packets", func(s []uint16, _ int) bool { return len(s) >= 20 })
	remove()
	remove() // idempotent
	removed.mu.Lock()
	n, ended := len(removed.seqs), removed.ended
	removed.mu.Unlock()
	if ended != 1 {
		t.Fatalf("removed tap heard TapEnded %d times", ended)
	}
	kept.wait(t, "more packets", func(s []uint16, _ int) bool { return len(s) >= 40 })
	removed.mu.Lock()
	if len(removed.seqs) != n {
		t.Fatalf("a removed tap still receives packets")
	}
	removed.mu.Unlock()
	kept.mu.Lock()
	for i := 1; i < len(kept.seqs); i++ {
		if kept.seqs[i] != kept.seqs[i-1]+1 {
			kept.mu.Unlock()
			t.Fatalf("sequence %d after %d: packets are the publisher's, in order", kept.seqs[i], kept.seqs[i-1])
		}
	}
	kept.mu.Unlock()

	cancel()
	_ = alice.peer.Close()
	kept.wait(t, "end", func(_ []uint16, ended int) bool { return ended == 1 })
	late := newTestTap()
	pt.AddTap(late)
	if late.ended != 1 {
		t.Fatal("a tap added to an ended track is not told at once")
	}
}
