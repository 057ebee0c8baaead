package sfu

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// loopbackSettings is what test clients use: no mDNS, loopback UDP only.
func loopbackSettings() webrtc.SettingEngine {
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return se
}

// player is a WHEP-style client: it offers receive-only sections once and
// the server's subscriber connection answers.
type player struct {
	NopHandler
	t      testing.TB
	peer   *Peer
	pc     *webrtc.PeerConnection
	tracks chan *webrtc.TrackRemote
}

func (env *testEnv) newPlayer(name string, api *webrtc.API, kinds ...webrtc.RTPCodecType) *player {
	t := env.t
	t.Helper()
	if api == nil {
		api = env.api
	}
	pl := &player{t: t, tracks: make(chan *webrtc.TrackRemote, 8)}
	var err error
	if pl.peer, err = env.e.NewPeer(PeerID(name), pl); err != nil {
		t.Fatal(err)
	}
	if pl.pc, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = pl.peer.Close()
		_ = pl.pc.Close()
	})
	for _, k := range kinds {
		if _, err := pl.pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	pl.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { pl.tracks <- tr })
	pl.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		init := c.ToJSON()
		err := pl.peer.AddICECandidate(TargetSubscriber, Candidate{Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex})
		if err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("%s: AddICECandidate: %v", name, err)
		}
	})
	return pl
}

// negotiate offers (restart: with new ICE credentials) and applies the
// server's answer.
func (pl *player) negotiate(restart bool) (answer string, err error) {
	offer, err := pl.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
	if err != nil {
		return "", err
	}
	if err := pl.pc.SetLocalDescription(offer); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	answer, err = pl.peer.HandleSubscriberOffer(ctx, offer.SDP)
	if err != nil {
		return "", err
	}
	return answer, pl.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
}

func (pl *player) waitTrack(kind webrtc.RTPCodecType) *webrtc.TrackRemote {
	pl.t.Helper()
	for {
		select {
		case tr := <-pl.tracks:
			if tr.Kind() == kind {
				return tr
			}
		case <-time.After(5 * time.Second):
			pl.t.Fatalf("no %s track", kind)
		}
	}
}

func iceUfrag(sdp string) string {
	for _, l := range strings.Split(sdp, "\r\n") {
		if v, ok := strings.CutPrefix(l, "a=ice-ufrag:"); ok {
			return v
		}
	}
	return ""
}

// A player's fixed video slot carries alice's track, then bob's when bob's
// evicts it: one SSRC, consecutive sequence numbers, increasing
// timestamps, bob's frames start at a keyframe and alice's never come back.
// An ICE restart offered by the player gets new server credentials and
// keeps the media flowing.
func TestAnsweringSubscriberSwitchesTracksContinuously(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pubs := map[byte]*PublishedTrack{}
	for _, id := range []byte{'A', 'B'} {
		c := env.newClient(string(id), nil)
		vt := newVideoTrack(t, "camera")
		senders := c.publish(vt)
		(&publisher{interval: 5 * time.Millisecond, keyEvery: 50, layers: []*pubLayer{{id: id, track: vt, sender: senders[0]}}}).run(ctx, &env.wg)
		pubs[id] = c.waitPublished(1)[0]
	}

	pl := env.newPlayer("player", nil, webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo)
	answer, err := pl.negotiate(false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(answer, "a=sendonly") != 2 {
		t.Fatalf("answer does not send on both sections:\n%s", answer)
	}
	if !strings.Contains(answer, "a=candidate:") {
		t.Fatal("answer carries no server candidates")
	}
	dtA, err := pl.peer.Subscribe(pubs['A'], SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rx := receive(pl.waitTrack(webrtc.RTPCodecTypeVideo), &env.wg)
	rx.waitFor(t, "alice's frames", func(fs []frame) bool { return countLayer(fs, 'A') >= 20 })

	if _, err := pl.peer.Subscribe(pubs['B'], SubscribeOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(pl.peer.DownTracks()); n != 1 {
		t.Fatalf("%d DownTracks after the switch, want 1 (alice's evicted)", n)
	}
	if err := dtA.SetLayer(trtc.StreamBig); !errors.Is(err, ErrClosed) {
		t.Fatalf("evicted DownTrack: SetLayer = %v, want ErrClosed", err)
	}
	rx.waitFor(t, "bob's frames", func(fs []frame) bool { return countLayer(fs, 'B') >= 20 })

	fs := rx.snapshot()
	firstB := -1
	for i, f := range fs {
		if !f.verified {
			t.Fatalf("frame %d corrupted", i)
		}
		if f.ssrc != fs[0].ssrc {
			t.Fatalf("frame %d on SSRC %d, want %d", i, f.ssrc, fs[0].ssrc)
		}
		if i > 0 {
			if f.seq != fs[i-1].seq+1 {
				for j := max(0, i-3); j < min(len(fs), i+3); j++ {
					t.Logf("frame %d: %c %d key=%v seq %d ts %d", j, fs[j].layer, fs[j].counter, fs[j].key, fs[j].seq, fs[j].ts)
				}
				t.Fatalf("frame %d: seq %d after %d", i, f.seq, fs[i-1].seq)
			}
			if int32(f.ts-fs[i-1].ts) <= 0 {
				t.Fatalf("frame %d: timestamp %d after %d", i, f.ts, fs[i-1].ts)
			}
		}
		if f.layer == 'B' && firstB < 0 {
			firstB = i
			if !f.key {
				t.Fatalf("bob's first frame is not a keyframe")
			}
		}
		if f.layer == 'A' && firstB >= 0 {
			t.Fatalf("alice's frame %d after bob's started", i)
		}
	}

	// Packets in flight during an ICE restart may be lost and repaired out of
	// order, so only the frames before it are checked strictly.
	old := iceUfrag(pl.pc.RemoteDescription().SDP)
	answer, err = pl.negotiate(true)
	if err != nil {
		t.Fatal(err)
	}
	if iceUfrag(answer) == old || iceUfrag(answer) == "" {
		t.Fatalf("ICE restart kept the server's ufrag %q", old)
	}
	n := countLayer(fs, 'B')
	rx.waitFor(t, "bob's frames after the ICE restart", func(fs []frame) bool { return countLayer(fs, 'B') >= n+20 })

	for _, f := range rx.snapshot()[len(fs):] {
		if !f.verified || f.ssrc != fs[0].ssrc || f.layer != 'B' {
			t.Fatalf("after the ICE restart: %+v", f)
		}
	}
}

// Offers and subscriptions an answering subscriber cannot serve are
// refused with the package's sentinels.
func TestAnsweringSubscriberRefusals(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.newClient("alice", nil)
	vt := newVideoTrack(t, "camera")
	at, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "alice-stream")
	if err != nil {
		t.Fatal(err)
	}
	senders := c.publish(vt, at)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	(&publisher{interval: 10 * time.Millisecond, layers: []*pubLayer{{id: 'V', track: vt, sender: senders[0]}, {id: 'A', track: at, sender: senders[1]}}}).run(ctx, &env.wg)
	published := c.waitPublished(2)
	var video, audio *PublishedTrack
	for _, p := range published {
		if p.Kind() == KindVideo {
			video = p
		} else {
			audio = p
		}
	}

	octx, ocancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ocancel()
	bare, err := env.e.NewPeer("bare", NopHandler{})
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	if _, err := bare.HandleSubscriberOffer(octx, "v=0 garbage"); !errors.Is(err, ErrInvalidSDP) {
		t.Errorf("garbage offer: %v", err)
	}

	// Only a video section: audio has no slot.
	pl := env.newPlayer("video-only", nil, webrtc.RTPCodecTypeVideo)
	if _, err := pl.negotiate(false); err != nil {
		t.Fatal(err)
	}
	if _, err := pl.peer.Subscribe(audio, SubscribeOptions{}); !errors.Is(err, ErrNoSlot) {
		t.Errorf("audio on a video-only player: %v", err)
	}
	if _, err := pl.peer.Subscribe(video, SubscribeOptions{}); err != nil {
		t.Errorf("video on a video-only player: %v", err)
	}
	if _, err := pl.peer.Subscribe(video, SubscribeOptions{}); !errors.Is(err, ErrAlreadySubscribed) {
		t.Errorf("second subscribe: %v", err)
	}

	// A player that sends only (nothing to receive on).
	sendOnly := env.newPlayer("send-only", nil)
	if _, err := sendOnly.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	if _, err := sendOnly.negotiate(false); !errors.Is(err, ErrNoSupportedCodec) {
		t.Errorf("send-only offer: %v", err)
	}

	// A player that only takes H.264 cannot carry alice's VP8.
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"},
		PayloadType:        102,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	h264 := env.newPlayer("h264-only", webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(loopbackSettings())), webrtc.RTPCodecTypeVideo)
	if _, err := h264.negotiate(false); err != nil {
		t.Fatal(err)
	}
	if _, err := h264.peer.Subscribe(video, SubscribeOptions{}); !errors.Is(err, ErrCodecMismatch) {
		t.Errorf("VP8 track on an H.264 player: %v", err)
	}

	// A peer whose subscriber connection the server negotiates cannot
	// switch to answering.
	sub := env.newClient("sub", nil)
	if _, err := sub.peer.Subscribe(video, SubscribeOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.peer.HandleSubscriberOffer(octx, pl.pc.LocalDescription().SDP); !errors.Is(err, ErrUnexpectedOffer) {
		t.Errorf("offer to a server-negotiated peer: %v", err)
	}
}
