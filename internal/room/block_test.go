package room

import (
	"errors"
	"testing"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

func TestBlock(t *testing.T) {
	both, audioOnly, videoOnly := Block{Audio: true, Video: true}, Block{Audio: true}, Block{Video: true}
	tests := []struct {
		name      string
		published []Stream // what a publishes before the block
		block     Block
		others    []string // what b sees when the block is set
		shown     Streams  // a's streams as others see them while blocked
		restored  []string // what b sees when the block is lifted
	}{
		{"audio and video", []Stream{StreamAudio, StreamVideo, StreamSub}, both,
			[]string{"audio:a:false", "video:a:false", "sub:a:false"}, Streams{},
			[]string{"audio:a:true", "video:a:true", "sub:a:true"}},
		{"audio only", []Stream{StreamAudio, StreamVideo}, audioOnly,
			[]string{"audio:a:false"}, Streams{Video: true}, []string{"audio:a:true"}},
		{"video only covers the screen share", []Stream{StreamAudio, StreamVideo, StreamSub}, videoOnly,
			[]string{"video:a:false", "sub:a:false"}, Streams{Audio: true}, []string{"video:a:true", "sub:a:true"}},
		{"nothing published: nothing to tell", nil, both, nil, Streams{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			e.mustJoin("a", call, anch)
			e.mustJoin("b", call, anch)
			a := e.mems["a"]
			for _, k := range tt.published {
				if err := a.SetStream(k, true, nil); err != nil {
					t.Fatal(err)
				}
			}
			e.sinks["a"].take()
			e.sinks["b"].take()
			if err := e.mgr.SetBlocked(room1, "a", tt.block); err != nil {
				t.Fatal(err)
			}
			e.expect("b", tt.others...)
			e.expect("a") // the blocked user is not told
			if s := a.Streams(); s != tt.shown {
				t.Fatalf("Streams() while blocked = %+v, want %+v", s, tt.shown)
			}
			if got := a.Room().Blocked("a"); got != tt.block {
				t.Fatalf("Blocked = %+v", got)
			}
			// Blocking again changes nothing.
			if err := e.mgr.SetBlocked(room1, "a", tt.block); err != nil {
				t.Fatal(err)
			}
			e.expect("b")
			if err := e.mgr.SetBlocked(room1, "a", Block{}); err != nil {
				t.Fatal(err)
			}
			e.expect("b", tt.restored...)
		})
	}
}

func TestBlockedUserPublishing(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustJoin("a", call, anch)
	e.mustJoin("b", call, anch)
	a := e.mems["a"]
	e.sinks["b"].take()
	if err := e.mgr.SetBlocked(room1, "a", Block{Video: true}); err != nil {
		t.Fatal(err)
	}
	e.expect("b")
	// While blocked, a may publish: others hear of the audio, not the video.
	for _, k := range []Stream{StreamVideo, StreamAudio} {
		if err := a.SetStream(k, true, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.expect("b", "audio:a:true")
	if e.obs.has("stream:a:video:true") {
		t.Fatal("observers heard of a blocked stream")
	}
	// A newcomer's snapshot does not list the blocked stream.
	e.mustJoin("c", call, anch)
	for _, u := range e.sinks["c"].snaps[0].Users {
		if u.UserID == "a" && (u.Streams != Streams{Audio: true}) {
			t.Fatalf("snapshot streams of a blocked user: %+v", u.Streams)
		}
	}
	e.sinks["b"].take() // c entered
	// Unpublishing the blocked video is silent; lifting the block restores
	// only what a still publishes.
	if err := a.SetStream(StreamVideo, false, nil); err != nil {
		t.Fatal(err)
	}
	e.expect("b")
	if err := e.mgr.SetBlocked(room1, "a", Block{}); err != nil {
		t.Fatal(err)
	}
	e.expect("b")
	if err := a.SetStream(StreamVideo, true, nil); err != nil {
		t.Fatal(err)
	}
	e.expect("b", "video:a:true")
	if !e.obs.has("stream:a:video:true") {
		t.Fatal("observers missed the video once unblocked")
	}
}

func TestBlockOutlivesSession(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustJoin("a", call, anch)
	e.mustJoin("b", call, anch)
	if err := e.mgr.SetBlocked(room1, "a", Block{Audio: true}); err != nil {
		t.Fatal(err)
	}
	e.mems["a"].Leave()
	e.mustJoin("a", call, anch) // enters again: still blocked
	e.sinks["b"].take()
	if err := e.mems["a"].SetStream(StreamAudio, true, nil); err != nil {
		t.Fatal(err)
	}
	e.expect("b")
	// The block ends with the room.
	if err := e.mgr.Dismiss(room1); err != nil {
		t.Fatal(err)
	}
	e.mustJoin("a", call, anch)
	e.mustJoin("b", call, anch)
	e.sinks["b"].take()
	if err := e.mems["a"].SetStream(StreamAudio, true, nil); err != nil {
		t.Fatal(err)
	}
	e.expect("b", "audio:a:true")
}

func TestBlockErrors(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustJoin("a", call, anch)
	if err := e.mgr.SetBlocked(room1, "ghost", Block{Audio: true}); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := e.mgr.SetBlocked(trtc.RoomKey{App: room1.App, Num: 999}, "a", Block{Audio: true}); !errors.Is(err, ErrRoomNotFound) {
		t.Fatalf("unknown room: %v", err)
	}
	// A destroyed room that is still referenced.
	r, _ := e.mgr.Room(room1)
	e.mems["a"].Leave()
	if err := r.setBlocked("a", Block{Audio: true}); !errors.Is(err, ErrRoomNotFound) {
		t.Fatalf("destroyed room: %v", err)
	}
}
