package room

import (
	"errors"
	"testing"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

func TestStreams(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustJoin("a", live, anch)
	e.mustJoin("b", live, anch)
	e.mustJoin("v", live, audi)
	e.sinks["a"].take()
	a, b, v := e.mems["a"], e.mems["b"], e.mems["v"]

	if err := a.SetStream(StreamVideo, true, nil); err != nil {
		t.Fatal(err)
	}
	e.expect("b", "video:a:true")
	e.expect("v", "video:a:true")
	e.expect("a")
	if err := a.SetStream(StreamVideo, true, nil); err != nil {
		t.Fatal("repeating a state must be a no-op")
	}
	e.expect("b")

	if err := v.SetStream(StreamAudio, true, nil); !errors.Is(err, ErrAudienceCannotPublish) {
		t.Fatalf("audience publish: %v", err)
	}
	if err := a.SetStream(StreamSub, true, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.SetStream(StreamSub, true, nil); !errors.Is(err, ErrSubStreamOccupied) {
		t.Fatalf("second screen share: %v", err)
	}
	e.sinks["b"].take()
	e.sinks["v"].take()
	// A newcomer's snapshot carries what is available.
	e.mustJoin("w", live, audi)
	for _, u := range e.sinks["w"].snaps[0].Users {
		if u.UserID == "a" && (u.Streams != Streams{Video: true, Sub: true}) {
			t.Fatalf("snapshot streams of a: %+v", u.Streams)
		}
	}
	// Leaving frees the screen share without per-stream events.
	a.Leave()
	e.expect("b", "leave:a:0")
	if err := b.SetStream(StreamSub, true, nil); err != nil {
		t.Fatalf("screen share after the sharer left: %v", err)
	}
	// Switching to audience drops streams; the sub stream is free again.
	if err := b.SwitchRole(audi, nil); err != nil {
		t.Fatal(err)
	}
	if s := b.Streams(); s.any() {
		t.Fatalf("audience still has streams %+v", s)
	}
	if err := v.SwitchRole(anch, nil); err != nil {
		t.Fatal(err)
	}
	if err := v.SetStream(StreamSub, true, nil); err != nil {
		t.Fatalf("sub after the sharer became audience: %v", err)
	}
	if err := v.SetStream(Stream(9), true, nil); !errors.Is(err, ErrInvalidStream) {
		t.Fatal(err)
	}
	if !e.obs.has("stream:a:video:true") {
		t.Fatal("observer missed a stream change")
	}
}

func TestStreamPrivileges(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustJoin("a", call, anch)
	bits := trtc.PrivEnterRoom | trtc.PrivSendAudio
	m := e.mems["a"]
	if err := m.SetStream(StreamAudio, true, &bits); err != nil {
		t.Fatal(err)
	}
	if err := m.SetStream(StreamVideo, true, &bits); !errors.Is(err, ErrNoPublishPrivilege) {
		t.Fatalf("video without bit: %v", err)
	}
	if err := m.SetStream(StreamSub, true, &bits); !errors.Is(err, ErrNoPublishPrivilege) {
		t.Fatalf("sub without bit: %v", err)
	}
}

func TestCallScenePublisherCap(t *testing.T) {
	e := newEnv(t, Config{CallMaxAnchors: 2})
	for _, u := range []string{"a", "b", "c"} {
		e.mustJoin(u, call, anch)
	}
	if err := e.mems["a"].SetStream(StreamAudio, true, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.mems["b"].SetStream(StreamVideo, true, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.mems["a"].SetStream(StreamVideo, true, nil); err != nil {
		t.Fatal("a second stream of a publisher does not count against the cap")
	}
	if err := e.mems["c"].SetStream(StreamAudio, true, nil); !errors.Is(err, ErrAnchorsFull) {
		t.Fatalf("third speaker: %v", err)
	}
	e.mems["b"].Leave()
	if err := e.mems["c"].SetStream(StreamAudio, true, nil); err != nil {
		t.Fatalf("speaker after one left: %v", err)
	}
}
