package conference

import (
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// memberLog is a Watcher and MemberWatcher that records what it hears.
type memberLog struct {
	mu  sync.Mutex
	got []MemberState
	ch  chan struct{}
}

func (l *memberLog) TrackChanged(TrackState) {}

func (l *memberLog) MemberChanged(s MemberState) {
	l.mu.Lock()
	l.got = append(l.got, s)
	l.mu.Unlock()
	select {
	case l.ch <- struct{}{}:
	default:
	}
}

// next waits for the n-th state (from 0).
func (l *memberLog) next(t *testing.T, n int) MemberState {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		l.mu.Lock()
		if len(l.got) > n {
			s := l.got[n]
			l.mu.Unlock()
			return s
		}
		l.mu.Unlock()
		select {
		case <-l.ch:
		case <-deadline:
			t.Fatalf("no member state #%d; got %+v", n, l.got)
		}
	}
}

// TestMemberWatcherHearsAnchors: a MemberWatcher hears the anchors already
// in the room, then enters, availability and leaves; never audience.
func TestMemberWatcherHearsAnchors(t *testing.T) {
	eng, err := sfu.NewEngine(sfu.Config{ListenIP: "127.0.0.1", DisableTCP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	hub := NewHub(eng, nil)
	defer hub.Close()
	rooms := room.NewManager(room.Config{}, nil, hub)
	defer rooms.Shutdown()
	key := trtc.RoomKey{App: 1, Num: 7}
	join := func(user trtc.UserID, role trtc.Role) *room.Member {
		m, err := rooms.Join(room.JoinRequest{Key: key, UserID: user, Role: role, Scene: trtc.SceneLive, Sink: room.SinkFunc(func(room.Event) {})})
		if err != nil {
			t.Fatal(err)
		}
		hub.Join(m, false, false, nil)
		return m
	}
	alice := join("alice", trtc.RoleAnchor)
	hub.Participants() // wait for the hub to register alice

	log := &memberLog{ch: make(chan struct{}, 1)}
	stop := hub.Watch(key, log)
	defer stop()
	if s := log.next(t, 0); s.User != "alice" || s.Gone || s.Streams.Video {
		t.Fatalf("replay: %+v", s)
	}
	join("viewer", trtc.RoleAudience)
	bob := join("bob", trtc.RoleAnchor)
	if s := log.next(t, 1); s.User != "bob" || s.Gone {
		t.Fatalf("bob entering: %+v (audience must not be heard)", s)
	}
	if err := alice.SetStream(room.StreamVideo, true, nil); err != nil {
		t.Fatal(err)
	}
	if s := log.next(t, 2); s.User != "alice" || !s.Streams.Video || s.Streams.Audio {
		t.Fatalf("alice publishing: %+v", s)
	}
	bob.Leave()
	if s := log.next(t, 3); s.User != "bob" || !s.Gone {
		t.Fatalf("bob leaving: %+v", s)
	}
}
