package sfu

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// probeClient offers a data channel the way the Web SDK's speed test does
// and returns its connection and channel once the server answered.
func probeClient(t *testing.T, env *testEnv, label string, init *webrtc.DataChannelInit, onMessage func([]byte), onClose func()) (*webrtc.PeerConnection, *webrtc.DataChannel, *ProbeChannel) {
	t.Helper()
	pc, err := env.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	dc, err := pc.CreateDataChannel(label, init)
	if err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	ch, answer, err := env.e.NewProbeChannel(t.Context(), pc.LocalDescription().SDP, onMessage, onClose)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ch.Close)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	return pc, dc, ch
}

func unreliable() *webrtc.DataChannelInit {
	ordered, none := false, uint16(0)
	return &webrtc.DataChannelInit{Ordered: &ordered, MaxRetransmits: &none}
}

// TestProbeChannelEcho: messages of an unordered, unreliable "probe"
// channel reach the handler, Send reaches the client, and the client
// closing the connection is reported.
func TestProbeChannelEcho(t *testing.T) {
	env := newTestEnv(t, Config{})
	got := make(chan []byte, 16)
	closed := make(chan struct{})
	pc, dc, ch := probeClient(t, env, ProbeChannelLabel, unreliable(), func(b []byte) { got <- b }, func() { close(closed) })
	back := make(chan []byte, 16)
	dc.OnMessage(func(m webrtc.DataChannelMessage) { back <- m.Data })
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	<-opened
	if err := dc.Send([]byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := dc.SendText("text is not a probe"); err != nil {
		t.Fatal(err)
	}
	if err := dc.Send([]byte{4}); err != nil {
		t.Fatal(err)
	}
	// The channel is unordered: either may come first.
	first, second := <-got, <-got
	if len(first) > len(second) {
		first, second = second, first
	}
	if string(first) != "\x04" || string(second) != "\x01\x02\x03" {
		t.Fatalf("server got %x, %x", first, second)
	}
	// The server's side of the channel is open once a message came.
	if !ch.Send([]byte{9, 9}) {
		t.Fatal("Send on an open channel dropped the message")
	}
	if b := <-back; string(b) != "\x09\x09" {
		t.Fatalf("client got %x", b)
	}
	// A burst of 300 KB fills the 64 KB buffer (SCTP's window opens over
	// round trips; the loop takes microseconds), the rest is dropped; what
	// went in leaves the buffer, and Drain returns once it has.
	sent := 0
	for range 300 {
		if ch.Send(make([]byte, 1000)) {
			sent++
		}
	}
	if sent < 60 || sent == 300 {
		t.Errorf("%d of 300 KB went into a 64 KB buffer", sent)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	ch.Drain(ctx)
	if ctx.Err() != nil {
		t.Fatal("Drain waited for its deadline")
	}
	cancel()
	for range sent {
		<-back
	}
	_ = pc.Close()
	<-closed
	<-ch.Done()
	if ch.Send([]byte{1}) {
		t.Fatal("Send after the client left")
	}
}

// TestProbeChannelRefuses: offers with media, and channels that are
// reliable, ordered or otherwise named, are not probe channels.
func TestProbeChannelRefuses(t *testing.T) {
	env := newTestEnv(t, Config{})
	pc, err := env.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.CreateDataChannel(ProbeChannelLabel, unreliable()); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, sdp := range map[string]string{"media": offer.SDP, "garbage": "v=0\r\nnot sdp", "empty": ""} {
		if _, _, err := env.e.NewProbeChannel(t.Context(), sdp, func([]byte) {}, nil); !errors.Is(err, ErrInvalidSDP) {
			t.Errorf("%s offer: %v", name, err)
		}
	}

	ordered := true
	for name, tc := range map[string]struct {
		label string
		init  *webrtc.DataChannelInit
	}{
		"reliable":   {ProbeChannelLabel, nil},
		"ordered":    {ProbeChannelLabel, &webrtc.DataChannelInit{Ordered: &ordered, MaxRetransmits: unreliable().MaxRetransmits}},
		"other name": {"chat", unreliable()},
	} {
		t.Run(name, func(t *testing.T) {
			got := make(chan []byte, 1)
			_, dc, _ := probeClient(t, env, tc.label, tc.init, func(b []byte) { got <- b }, nil)
			closed := make(chan struct{})
			dc.OnClose(func() { close(closed) })
			select {
			case <-closed:
			case <-t.Context().Done():
				t.Fatal("the server kept the channel open")
			}
			if len(got) != 0 {
				t.Fatal("a refused channel was read")
			}
		})
	}
}
