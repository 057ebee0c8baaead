package sfu

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// checkContiguous asserts that frames carry consecutive counters and
// sequence numbers, one SSRC, non-decreasing timestamps, and were all
// byte-identical to what was sent.
func checkContiguous(t *testing.T, who string, fs []frame) {
	t.Helper()
	if len(fs) == 0 {
		t.Fatalf("%s: no frames", who)
	}
	if !fs[0].key {
		t.Errorf("%s: first frame %d is not a keyframe", who, fs[0].counter)
	}
	for i, f := range fs {
		if !f.verified {
			t.Fatalf("%s: frame %d (counter %d) corrupted", who, i, f.counter)
		}
		if i == 0 {
			continue
		}
		p := fs[i-1]
		if f.counter != p.counter+1 {
			t.Fatalf("%s: counter %d after %d", who, f.counter, p.counter)
		}
		if f.seq != p.seq+1 {
			t.Fatalf("%s: seq %d after %d", who, f.seq, p.seq)
		}
		if f.ssrc != p.ssrc {
			t.Fatalf("%s: ssrc changed %d -> %d", who, p.ssrc, f.ssrc)
		}
		if int32(f.ts-p.ts) <= 0 {
			t.Fatalf("%s: timestamp %d after %d", who, f.ts, p.ts)
		}
	}
}

func TestEveryFrameReachesEverySubscriber(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.newClient("alice", nil)
	vt := newVideoTrack(t, "camera")
	senders := alice.publish(vt)
	ctx, cancel := context.WithCancel(context.Background())
	wg := &env.wg
	defer cancel()
	pub := &publisher{interval: 2 * time.Millisecond, keyEvery: 0, layers: []*pubLayer{{id: 0, track: vt, sender: senders[0], seq: 100, tsBase: 5}}}
	pub.run(ctx, wg)
	pt := alice.waitPublished(1)[0]
	if pt.Kind() != KindVideo || pt.StreamType() != trtc.StreamBig || pt.Codec().MimeType != webrtc.MimeTypeVP8 {
		t.Fatalf("published %v %v %v", pt.Kind(), pt.StreamType(), pt.Codec())
	}

	const subscribers = 3
	var recvs []*receiver
	var downs []*DownTrack
	for i := range subscribers {
		c := env.newClient("sub"+string(rune('0'+i)), nil)
		d, err := c.peer.Subscribe(pt, SubscribeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		downs = append(downs, d)
		recvs = append(recvs, receive(c.waitTrack(), wg))
	}
	for _, r := range recvs {
		r.waitFor(t, "first frame", func(fs []frame) bool { return len(fs) > 0 })
	}
	target := pub.counter.Load() + 150
	for _, r := range recvs {
		r.waitFor(t, "150 more frames", func(fs []frame) bool { return len(fs) > 0 && fs[len(fs)-1].counter >= target })
	}
	cancel()
	for i, r := range recvs {
		checkContiguous(t, downs[i].Subscriber().String(), r.snapshot())
	}
	st := downs[0].Stats()
	if st.Packets < 150 || st.Frames < 150 || st.Keyframes < 1 || !st.Forwarding || st.Layer != trtc.StreamBig {
		t.Fatalf("downtrack stats %+v", st)
	}
	ts := pt.Stats()
	if len(ts) != 1 || ts[0].Packets < 150 || ts[0].Frames < 150 || ts[0].Lost != 0 {
		t.Fatalf("track stats %+v", ts)
	}
	// Every forwarded packet's time in the server is counted.
	var forwarded uint64
	for _, d := range downs {
		forwarded += d.Stats().Packets
	}
	tr := env.e.Transit()
	if n := tr.Count(); n < forwarded || tr.Sum <= 0 {
		t.Fatalf("transit histogram %v (sum %v): %d packets, want at least the %d forwarded", tr.Counts, tr.Sum, n, forwarded)
	}
}

func TestLayerSwitchAtKeyframeKeepsOneContinuousTrack(t *testing.T) {
	env := newTestEnv(t, Config{KeyframeInterval: 50 * time.Millisecond})
	alice := env.newClient("alice", nil)
	big, small := newVideoTrack(t, "camera"), newVideoTrack(t, "camera-small")
	senders := alice.publish(big, small)
	ctx, cancel := context.WithCancel(context.Background())
	wg := &env.wg
	defer cancel()
	pub := &publisher{interval: 2 * time.Millisecond, layers: []*pubLayer{
		{id: 0, track: big, sender: senders[0], seq: 1000, tsBase: 7},
		{id: 1, track: small, sender: senders[1], seq: 60000, tsBase: 1 << 31},
	}}
	pub.run(ctx, wg)
	var pt *PublishedTrack
	for _, p := range alice.waitPublished(2) {
		pt = p
	}
	if got := pt.Layers(); len(got) != 2 {
		t.Fatalf("layers %v", got)
	}

	bob := env.newClient("bob", nil)
	d, err := bob.peer.Subscribe(pt, SubscribeOptions{Layer: trtc.StreamBig})
	if err != nil {
		t.Fatal(err)
	}
	r := receive(bob.waitTrack(), wg)
	r.waitFor(t, "big frames", func(fs []frame) bool { return countLayer(fs, 0) >= 20 })
	if err := d.SetLayer(trtc.StreamSmall); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "small frames", func(fs []frame) bool { return countLayer(fs, 1) >= 20 })
	if err := d.SetLayer(trtc.StreamBig); err != nil {
		t.Fatal(err)
	}
	n := len(r.snapshot())
	r.waitFor(t, "big frames again", func(fs []frame) bool { return countLayer(fs[n:], 0) >= 20 })
	cancel()

	fs := r.snapshot()
	// Counters repeat across layers (both layers carry the same frames),
	// so check continuity of the RTP stream and the switch points.
	switches := 0
	for i := 1; i < len(fs); i++ {
		p, f := fs[i-1], fs[i]
		if !f.verified {
			t.Fatalf("frame %d corrupted", i)
		}
		if f.seq != p.seq+1 || f.ssrc != p.ssrc || int32(f.ts-p.ts) <= 0 {
			t.Fatalf("discontinuity at %d: seq %d->%d ssrc %d->%d ts %d->%d", i, p.seq, f.seq, p.ssrc, f.ssrc, p.ts, f.ts)
		}
		if f.layer != p.layer {
			switches++
			if !f.key {
				t.Fatalf("switch to layer %d at a delta frame", f.layer)
			}
		} else if f.counter != p.counter+1 {
			t.Fatalf("layer %d: counter %d after %d", f.layer, f.counter, p.counter)
		}
	}
	if switches != 2 {
		t.Fatalf("%d switches in the stream, want 2", switches)
	}
	if st := d.Stats(); st.LayerSwitches != 2 || st.Layer != trtc.StreamBig {
		t.Fatalf("stats %+v", st)
	}
	if d.SetLayer(trtc.StreamSub) == nil {
		t.Fatal("SetLayer(StreamSub) accepted")
	}
}

func TestSubscriberNACKsAnsweredFromCache(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.newClient("alice", nil)
	vt := newVideoTrack(t, "camera")
	senders := alice.publish(vt)
	ctx, cancel := context.WithCancel(context.Background())
	wg := &env.wg
	defer cancel()
	pub := &publisher{interval: 2 * time.Millisecond, keyEvery: 0, layers: []*pubLayer{{id: 0, track: vt, sender: senders[0], seq: 1, tsBase: 1}}}
	pub.run(ctx, wg)
	pt := alice.waitPublished(1)[0]

	relay := newLossyRelay(t, env.e.UDPAddr(), 10, 5)
	bob := env.newClient("bob", relay.rewriteOffer(env.e.UDPAddr().Port))
	d, err := bob.peer.Subscribe(pt, SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := receive(bob.waitTrack(), wg)
	r.waitFor(t, "first frame", func(fs []frame) bool { return len(fs) > 0 })
	target := pub.counter.Load() + 200
	// Repairs arrive late and may be lost again, so wait until every
	// frame up to target is there, then check the stream in order.
	var upto []frame
	r.waitFor(t, "200 more frames, repaired", func(fs []frame) bool {
		fs = sortFrames(fs)
		upto = upto[:0]
		for _, f := range fs {
			if f.counter <= target {
				upto = append(upto, f)
			}
		}
		return len(upto) > 0 && upto[len(upto)-1].counter == target && int(target-upto[0].counter)+1 == len(upto)
	})
	cancel()
	checkContiguous(t, "bob", upto)
	st := d.Stats()
	// The repairs (RTX) took the fast path with the media (fastpath.go).
	if relay.dropped.Load() < 15 || st.NACKs == 0 || st.Retransmits == 0 || st.FastPathPackets != st.Packets+st.Retransmits {
		t.Fatalf("dropped %d, stats %+v", relay.dropped.Load(), st)
	}
	t.Logf("relay dropped %d packets; NACKed %d, retransmitted %d", relay.dropped.Load(), st.NACKs, st.Retransmits)
}

func sortFrames(fs []frame) []frame {
	// Insertion sort by sequence distance from the first frame: the input
	// is nearly sorted.
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && int16(fs[j].seq-fs[j-1].seq) < 0; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
	// Drop duplicates (a retransmission of a packet that did arrive).
	out := fs[:0]
	for i, f := range fs {
		if i > 0 && f.seq == fs[i-1].seq {
			continue
		}
		out = append(out, f)
	}
	return out
}

func TestKeyframeRequestsForwardedWithRateLimit(t *testing.T) {
	env := newTestEnv(t, Config{KeyframeInterval: 500 * time.Millisecond})
	alice := env.newClient("alice", nil)
	vt := newVideoTrack(t, "camera")
	senders := alice.publish(vt)
	ctx, cancel := context.WithCancel(context.Background())
	wg := &env.wg
	defer cancel()
	pl := &pubLayer{id: 0, track: vt, sender: senders[0], seq: 1, tsBase: 1}
	pub := &publisher{interval: 5 * time.Millisecond, layers: []*pubLayer{pl}}
	pub.run(ctx, wg)
	pt := alice.waitPublished(1)[0]

	bob := env.newClient("bob", nil)
	d, err := bob.peer.Subscribe(pt, SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr := bob.waitTrack()
	r := receive(tr, wg)
	r.waitFor(t, "first frame", func(fs []frame) bool { return len(fs) > 0 })
	// Let the subscribe-time PLIs (and the one they may have folded into)
	// go out: wait until a whole interval passes without one.
	for quiet := pt.Stats()[0].KeyframeRequests; ; {
		time.Sleep(600 * time.Millisecond)
		now := pt.Stats()[0].KeyframeRequests
		if now == quiet {
			break
		}
		quiet = now
	}
	before := pl.plis.Load()
	sentBefore := pt.Stats()[0].KeyframeRequests
	// Back to back, so that all 20 fall inside one 500 ms window however
	// busy the machine is.
	for range 20 {
		if err := bob.sub.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for d.Stats().PLIs < 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := d.Stats().PLIs; got != 20 {
		t.Fatalf("server saw %d PLIs from the subscriber, want 20", got)
	}
	// One PLI passes the 500 ms limit at once (counted by the SFU as it
	// sends it), the rest are folded into one sent when the interval ends.
	if got := pt.Stats()[0].KeyframeRequests - sentBefore; got != 1 {
		t.Fatalf("SFU sent %d PLIs within the interval, want 1", got)
	}
	time.Sleep(700 * time.Millisecond)
	if got := pt.Stats()[0].KeyframeRequests - sentBefore; got != 2 {
		t.Fatalf("SFU sent %d PLIs in total, want 2", got)
	}
	// And the publisher received exactly those two.
	deadline = time.Now().Add(2 * time.Second)
	for pl.plis.Load()-before < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := pl.plis.Load() - before; got != 2 {
		t.Fatalf("publisher got %d PLIs, want 2", got)
	}
	if st := pt.Stats()[0]; st.KeyframeRequestsThrottled < 19 {
		t.Fatalf("throttled %d", st.KeyframeRequestsThrottled)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.newClient("alice", nil)
	if _, err := alice.peer.HandlePublisherOffer(context.Background(), "not sdp"); !errors.Is(err, ErrInvalidSDP) {
		t.Fatalf("garbage offer: %v", err)
	}
	if err := alice.peer.HandleSubscriberAnswer("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"); !errors.Is(err, ErrUnexpectedAnswer) {
		t.Fatalf("unexpected answer: %v", err)
	}
	if err := alice.peer.AddICECandidate(TargetUnknown, Candidate{}); !errors.Is(err, ErrUnknownTarget) {
		t.Fatalf("bad target: %v", err)
	}
	// A valid publish still works afterwards, and self-subscription fails.
	vt := newVideoTrack(t, "camera")
	senders := alice.publish(vt)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &publisher{interval: 5 * time.Millisecond, layers: []*pubLayer{{track: vt, sender: senders[0]}}}
	pub.run(ctx, &env.wg)
	pt := alice.waitPublished(1)[0]
	if _, err := alice.peer.Subscribe(pt, SubscribeOptions{}); !errors.Is(err, ErrSelfSubscribe) {
		t.Fatalf("self subscribe: %v", err)
	}
	bob := env.newClient("bob", nil)
	if _, err := bob.peer.Subscribe(pt, SubscribeOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.peer.Subscribe(pt, SubscribeOptions{}); !errors.Is(err, ErrAlreadySubscribed) {
		t.Fatalf("double subscribe: %v", err)
	}
}
