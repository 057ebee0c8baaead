package sfu

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/importcheck"
)

func TestAudioForwardedAndPublisherLeaving(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.newClient("alice", nil)
	at := newOpusTrack(t, "mic", "alice-stream")
	alice.publish(at)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env.every(ctx, 2*time.Millisecond, func(i uint16) bool {
		payload := []byte{0xfc, byte(i), byte(i >> 8)}
		return at.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: i, Timestamp: uint32(i) * 960}, Payload: payload}) == nil
	})
	pt := alice.waitPublished(1)[0]
	if pt.Kind() != KindAudio || pt.ID() != "alice/audio" || pt.Codec().MimeType != webrtc.MimeTypeOpus {
		t.Fatalf("published %v %v %v", pt.Kind(), pt.ID(), pt.Codec())
	}

	bob := env.newClient("bob", nil)
	d, err := bob.peer.Subscribe(pt, SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr := bob.waitTrack()
	if tr.Codec().MimeType != webrtc.MimeTypeOpus || tr.StreamID() != "alice" || tr.ID() != "alice/audio" {
		t.Fatalf("subscriber sees %v %q %q", tr.Codec().MimeType, tr.StreamID(), tr.ID())
	}
	var prev *rtp.Packet
	for range 50 {
		p, _, err := tr.ReadRTP()
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil && (p.SequenceNumber != prev.SequenceNumber+1 || p.Timestamp != prev.Timestamp+960) {
			t.Fatalf("audio discontinuity: seq %d->%d ts %d->%d", prev.SequenceNumber, p.SequenceNumber, prev.Timestamp, p.Timestamp)
		}
		prev = p
	}

	// An ICE restart of the subscriber connection keeps media flowing.
	bob.peer.RestartICE()
	for range 50 {
		if _, _, err := tr.ReadRTP(); err != nil {
			t.Fatal(err)
		}
	}

	// Muting stops the flow; the stats say so.
	d.Mute(true)
	if !d.Stats().Muted {
		t.Fatal("not muted")
	}
	d.Mute(false)

	// The publisher leaves: the track ends, bob's DownTrack closes and bob's
	// connection is renegotiated without it.
	cancel()
	if err := alice.peer.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(bob.peer.DownTracks()) > 0 || !pt.Ended() {
		if time.Now().After(deadline) {
			t.Fatalf("after the publisher left: %d downtracks, ended %v", len(bob.peer.DownTracks()), pt.Ended())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := bob.peer.Subscribe(pt, SubscribeOptions{}); !errors.Is(err, ErrTrackGone) {
		t.Fatalf("subscribe to ended track: %v", err)
	}
	if _, err := alice.peer.HandlePublisherOffer(context.Background(), "v=0"); !errors.Is(err, ErrClosed) {
		t.Fatalf("offer after close: %v", err)
	}
}

// The SFU is a leaf: it must not import the room, signaling, server or REST
// packages (docs/sfu.md); of ours it uses only the TRTC enums, the
// batching socket, the NACK generator and the Pion log adapter, themselves
// leaves.
func TestImportsStayLeaf(t *testing.T) {
	importcheck.Only(t, "internal/trtc", "internal/udpbatch", "internal/rtpnack", "internal/pionlog")
}

// A client that can only use TCP reaches the engine through the ICE-TCP
// fallback (RFC 6544) on Engine.TCPAddr.
func TestICETCPFallback(t *testing.T) {
	env := newTestEnv(t, Config{})
	if env.e.TCPAddr() == nil || env.e.TCPAddr().Port == 0 {
		t.Fatalf("TCPAddr = %v", env.e.TCPAddr())
	}
	env.api = newTCPClientAPI(t)
	alice := env.newClient("alice", nil)
	vt := newVideoTrack(t, "camera")
	senders := alice.publish(vt)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &publisher{interval: 5 * time.Millisecond, layers: []*pubLayer{{track: vt, sender: senders[0]}}}
	pub.run(ctx, &env.wg)
	pt := alice.waitPublished(1)[0]
	deadline := time.Now().Add(5 * time.Second)
	for len(pt.Stats()) == 0 || pt.Stats()[0].Frames < 10 {
		if time.Now().After(deadline) {
			t.Fatal("no frames over TCP")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Simulcast: one track with RIDs "f" and "q" becomes the big and small
// layers of one PublishedTrack.
func TestSimulcastLayers(t *testing.T) {
	env := newTestEnv(t, Config{KeyframeInterval: 50 * time.Millisecond})
	alice := env.newClient("alice", nil)
	codec := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	f, err := webrtc.NewTrackLocalStaticRTP(codec, "camera", "alice-stream", webrtc.WithRTPStreamID("f"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := webrtc.NewTrackLocalStaticRTP(codec, "camera", "alice-stream", webrtc.WithRTPStreamID("q"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := alice.pub.AddTransceiverFromTrack(f, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Sender().AddEncoding(q); err != nil {
		t.Fatal(err)
	}
	alice.publish()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var midID, ridID uint8
	for _, h := range x.Sender().GetParameters().HeaderExtensions {
		switch h.URI {
		case "urn:ietf:params:rtp-hdrext:sdes:mid":
			midID = uint8(h.ID)
		case "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id":
			ridID = uint8(h.ID)
		}
	}
	if midID == 0 || ridID == 0 {
		t.Fatalf("simulcast extensions not negotiated: mid %d rid %d", midID, ridID)
	}
	pub := &publisher{interval: 3 * time.Millisecond, layers: []*pubLayer{
		{id: 0, track: f, sender: x.Sender(), seq: 1, tsBase: 1, rid: "f", mid: x.Mid(), midID: midID, ridID: ridID},
		{id: 1, track: q, sender: x.Sender(), seq: 40000, tsBase: 99, rid: "q", mid: x.Mid(), midID: midID, ridID: ridID},
	}}
	pub.run(ctx, &env.wg)
	var pt *PublishedTrack
	for _, p := range alice.waitPublished(2) {
		pt = p
	}
	if got := pt.Layers(); len(got) != 2 || got[0] != 0 || got[1] != 1 {
		t.Fatalf("layers %v", got)
	}

	bob := env.newClient("bob", nil)
	d, err := bob.peer.Subscribe(pt, SubscribeOptions{Layer: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := receive(bob.waitTrack(), &env.wg)
	r.waitFor(t, "small frames", func(fs []frame) bool { return countLayer(fs, 1) >= 10 })
	if err := d.SetLayer(0); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "big frames", func(fs []frame) bool { return countLayer(fs, 0) >= 10 })
	fs := r.snapshot()
	for i := 1; i < len(fs); i++ {
		if fs[i].seq != fs[i-1].seq+1 || fs[i].ssrc != fs[i-1].ssrc {
			t.Fatalf("discontinuity at %d", i)
		}
	}
}

func TestOfferWithoutSupportedCodecIsRefused(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.newClient("alice", nil)
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1},
		PayloadType:        0,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.peer.HandlePublisherOffer(context.Background(), offer.SDP); !errors.Is(err, ErrNoSupportedCodec) {
		t.Fatalf("PCMU-only offer: %v", err)
	}
	// The session is unchanged: a good offer still works.
	alice.publish(newVideoTrack(t, "camera"))
}

// A peer makes its publisher connection with the client's first offer: an
// audience member never has one (a publisher candidate trickled early is
// held, not refused), a publisher has one and Close closes it, and none is
// made once the peer is closed.
func TestPublisherConnectionMadeByFirstOffer(t *testing.T) {
	env := newTestEnv(t, Config{})
	aud := env.newClient("aud", nil)
	mid := "0"
	early := Candidate{Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host", SDPMid: &mid}
	if err := aud.peer.AddICECandidate(TargetPublisher, early); err != nil {
		t.Fatalf("publisher candidate before any offer: %v", err)
	}
	if aud.peer.pub.Load() != nil {
		t.Fatal("an audience member has a publisher connection")
	}

	alice := env.newClient("alice", nil)
	alice.publish(newVideoTrack(t, "camera"))
	pc := alice.peer.pub.Load()
	if pc == nil {
		t.Fatal("no publisher connection after the first offer")
	}
	if err := alice.peer.Close(); err != nil {
		t.Fatal(err)
	}
	if s := pc.ConnectionState(); s != webrtc.PeerConnectionStateClosed {
		t.Fatalf("publisher connection %v after Close", s)
	}

	if err := aud.peer.Close(); err != nil {
		t.Fatal(err)
	}
	aud.peer.pubMu.Lock()
	_, err := aud.peer.publisher()
	aud.peer.pubMu.Unlock()
	if !errors.Is(err, ErrClosed) || aud.peer.pub.Load() != nil {
		t.Fatalf("publisher() after Close: %v, connection %v", err, aud.peer.pub.Load())
	}
}
