package room

import (
	"errors"
	"testing"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// ReplaceSession: a session replaced on another node of a cluster is
// kicked with ErrReplaced; others see an anchor go; a stale session id or
// an absent user or room changes nothing.
func TestReplaceSession(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustJoin("host", live, anch)
	e.mustJoin("dan", live, anch)
	e.mustJoin("eve", live, audi)
	e.expect("host", "enter:dan")
	if r, ok := e.mgr.Room(room1); !ok {
		t.Fatal("no room")
	} else if role, in := r.MemberRole("eve"); !in || role != audi {
		t.Fatalf("MemberRole(eve) = %v %v", role, in)
	}
	for _, tt := range []struct {
		name    string
		key     trtc.RoomKey
		user    trtc.UserID
		session SessionID
		want    error
	}{
		{"another room", trtc.RoomKey{App: 1400000001, Num: 9}, "dan", "", ErrRoomNotFound},
		{"a user not in the room", room1, "zed", "", ErrUserNotFound},
		{"a session that is not dan's", room1, "dan", "0123", ErrUserNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := e.mgr.ReplaceSession(tt.key, tt.user, tt.session); !errors.Is(err, tt.want) {
				t.Fatalf("ReplaceSession = %v, want %v", err, tt.want)
			}
		})
	}
	e.expect("dan")
	if err := e.mgr.ReplaceSession(room1, "dan", e.mems["dan"].Session()); err != nil {
		t.Fatal(err)
	}
	e.expect("dan", "kicked:1")
	e.expect("host", "leave:dan:0")
	e.expect("eve", "leave:dan:0")
	if !e.obs.has("left:dan:replaced") {
		t.Fatalf("observers saw %v", e.obs.log)
	}
	// Audience goes quietly; an empty session ends whichever the user has.
	if err := e.mgr.ReplaceSession(room1, "eve", ""); err != nil {
		t.Fatal(err)
	}
	e.expect("eve", "kicked:1")
	e.expect("host")
}
