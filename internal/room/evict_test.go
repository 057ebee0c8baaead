package room

import (
	"errors"
	"sync"
	"testing"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

func TestEvictEndsTheRoomQuietly(t *testing.T) {
	mgr := NewManager(Config{}, nil, nil)
	key := trtc.RoomKey{App: 1400000001, Num: 5}
	var mu sync.Mutex
	var got []EventKind
	sink := SinkFunc(func(e Event) {
		mu.Lock()
		got = append(got, e.Kind)
		mu.Unlock()
	})
	var members []*Member
	for _, u := range []trtc.UserID{"a", "b"} {
		m, err := mgr.Join(JoinRequest{Key: key, UserID: u, Scene: trtc.SceneVideoCall, Sink: sink})
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	mu.Lock()
	before := len(got)
	mu.Unlock()
	if err := mgr.Evict(key); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	after := len(got)
	mu.Unlock()
	if after != before {
		t.Fatalf("members were told %d events by an eviction", after-before)
	}
	if _, ok := mgr.Room(key); ok {
		t.Fatal("the room survived its eviction")
	}
	if rooms, users := mgr.Stats(); rooms != 0 || users != 0 {
		t.Fatalf("%d rooms and %d sessions left", rooms, users)
	}
	if _, err := mgr.Resume(members[0].Session(), members[0].token, sink); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("resume after eviction: %v, want ErrSessionExpired (the client enters again)", err)
	}
	if err := mgr.Evict(key); !errors.Is(err, ErrRoomNotFound) {
		t.Fatalf("second eviction: %v", err)
	}
}
