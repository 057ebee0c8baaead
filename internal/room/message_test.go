package room

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// msgSink is a Sink and MessageSink that records messages as
// "alice:1:7:data" and misses as "miss:alice:1:3:9", and refuses while full
// is set.
type msgSink struct {
	recorder
	full bool
	got  []string
}

func (s *msgSink) DeliverMessage(m *Message) bool {
	if s.full {
		return false
	}
	s.got = append(s.got, fmt.Sprintf("%s:%d:%d:%s", m.UserID, m.CmdID, m.Seq, m.Data))
	return true
}

func (s *msgSink) DeliverMiss(m Miss) bool {
	if s.full {
		return false
	}
	s.got = append(s.got, fmt.Sprintf("miss:%s:%d:%d:%d", m.UserID, m.CmdID, m.Count, m.LastSeq))
	return true
}

func (s *msgSink) take() string {
	g := strings.Join(s.got, " ")
	s.got = nil
	return g
}

type msgEnv struct {
	*env
	msinks map[string]*msgSink
}

func newMsgEnv(t *testing.T, cfg Config) *msgEnv {
	return &msgEnv{env: newEnv(t, cfg), msinks: map[string]*msgSink{}}
}

func (e *msgEnv) enter(user string, scene trtc.Scene, role trtc.Role) {
	e.t.Helper()
	s := &msgSink{}
	m, err := e.mgr.Join(JoinRequest{Key: room1, UserID: trtc.UserID(user), Scene: scene, Role: role, Sink: s})
	if err != nil {
		e.t.Fatalf("join %s: %v", user, err)
	}
	e.msinks[user], e.mems[user] = s, m
}

func (e *msgEnv) send(user string, cmd int, data string) uint32 {
	e.t.Helper()
	seq, dup, err := e.mems[user].SendMessage(cmd, []byte(data), 0)
	if err != nil || dup {
		e.t.Fatalf("%s sends %q: seq %d dup %v err %v", user, data, seq, dup, err)
	}
	return seq
}

func (e *msgEnv) expect(user, want string) {
	e.t.Helper()
	if got := e.msinks[user].take(); got != want {
		e.t.Fatalf("%s got %q, want %q", user, got, want)
	}
}

func TestMessageRelay(t *testing.T) {
	e := newMsgEnv(t, Config{})
	for _, u := range []string{"alice", "bob", "carol"} {
		e.enter(u, trtc.SceneVideoCall, trtc.RoleAnchor)
	}
	e.send("alice", 1, "a")
	e.send("alice", 1, "b")
	e.send("alice", 2, "c")
	e.send("bob", 1, "d")
	e.expect("alice", "bob:1:1:d")
	e.expect("bob", "alice:1:1:a alice:1:2:b alice:2:1:c")
	e.expect("carol", "alice:1:1:a alice:1:2:b alice:2:1:c bob:1:1:d")
	if h := e.mems["alice"].Room().MessageHead(); h != 4 {
		t.Fatalf("head %d", h)
	}
}

func TestMessageLimits(t *testing.T) {
	big := strings.Repeat("x", trtc.MaxCustomMsgBytes)
	for _, tc := range []struct {
		name  string
		role  trtc.Role
		cmd   int
		data  string
		want  error
		scene trtc.Scene
	}{
		{"cmd 0", trtc.RoleAnchor, 0, "x", ErrInvalidCmdID, trtc.SceneVideoCall},
		{"cmd 11", trtc.RoleAnchor, 11, "x", ErrInvalidCmdID, trtc.SceneVideoCall},
		{"empty", trtc.RoleAnchor, 1, "", ErrEmptyMessage, trtc.SceneVideoCall},
		{"1001 bytes", trtc.RoleAnchor, 1, big + "x", ErrMessageTooLarge, trtc.SceneVideoCall},
		{"1000 bytes", trtc.RoleAnchor, 10, big, nil, trtc.SceneVideoCall},
		{"audience", trtc.RoleAudience, 1, "x", ErrAudienceCannotSend, trtc.SceneLive},
		{"live anchor", trtc.RoleAnchor, 1, "x", nil, trtc.SceneLive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newMsgEnv(t, Config{})
			e.enter("bob", tc.scene, trtc.RoleAnchor)
			e.enter("alice", tc.scene, tc.role)
			_, _, err := e.mems["alice"].SendMessage(tc.cmd, []byte(tc.data), 0)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if want := ""; tc.want == nil {
				want = fmt.Sprintf("alice:%d:1:%s", tc.cmd, tc.data)
				e.expect("bob", want)
			} else {
				e.expect("bob", want)
			}
		})
	}
}

func TestMessageBudget(t *testing.T) {
	e := newMsgEnv(t, Config{Messages: MessageConfig{Burst: time.Second}})
	e.enter("alice", trtc.SceneVideoCall, trtc.RoleAnchor)
	a := e.mems["alice"]
	for i := range trtc.CustomMsgsPerSecond {
		if _, _, err := a.SendMessage(1, []byte{byte(i)}, 0); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if _, _, err := a.SendMessage(1, []byte{1}, 0); !errors.Is(err, ErrMessageRate) {
		t.Fatalf("31st message: %v", err)
	}
	// A refused message takes no sequence number.
	e.clock.Advance(100 * time.Millisecond) // 3 messages, 800 bytes
	for range 3 {
		if _, _, err := a.SendMessage(1, []byte{1}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if seq, _, err := a.SendMessage(1, []byte{1}, 0); !errors.Is(err, ErrMessageRate) || seq != 0 {
		t.Fatalf("over the rate: %d %v", seq, err)
	}

	// Bytes: after a full second, 8 messages of 1000 bytes fit, a 9th does not.
	e.clock.Advance(time.Second)
	k := []byte(strings.Repeat("k", 1000))
	for i := range 8 {
		if _, _, err := a.SendMessage(2, k, 0); err != nil {
			t.Fatalf("kilobyte %d: %v", i, err)
		}
	}
	if _, _, err := a.SendMessage(2, k, 0); !errors.Is(err, ErrMessageBytes) {
		t.Fatalf("9th kilobyte: %v", err)
	}
	e.clock.Advance(125 * time.Millisecond)
	if seq, _, err := a.SendMessage(2, k, 0); err != nil || seq != 9 {
		t.Fatalf("after the refill: seq %d, %v", seq, err)
	}

	// The default burst is two seconds of budget.
	e2 := newMsgEnv(t, Config{})
	e2.enter("alice", trtc.SceneVideoCall, trtc.RoleAnchor)
	n := 0
	for ; n < 1000; n++ {
		if _, _, err := e2.mems["alice"].SendMessage(1, []byte{1}, 0); err != nil {
			break
		}
	}
	if n != 2*trtc.CustomMsgsPerSecond {
		t.Fatalf("default burst %d messages", n)
	}
}

func TestMessageClientSeq(t *testing.T) {
	e := newMsgEnv(t, Config{})
	e.enter("alice", trtc.SceneVideoCall, trtc.RoleAnchor)
	e.enter("bob", trtc.SceneVideoCall, trtc.RoleAnchor)
	a := e.mems["alice"]
	for _, tc := range []struct {
		seq     uint32
		wantSeq uint32
		dup     bool
	}{
		{5, 5, false}, {5, 5, true}, {3, 3, true}, {6, 6, false}, {0, 7, false}, {7, 7, true},
	} {
		seq, dup, err := a.SendMessage(1, []byte("m"), tc.seq)
		if err != nil || seq != tc.wantSeq || dup != tc.dup {
			t.Fatalf("seq %d: got %d dup %v err %v", tc.seq, seq, dup, err)
		}
	}
	e.expect("bob", "alice:1:5:m alice:1:6:m alice:1:7:m")
}

func TestMessageCatchUp(t *testing.T) {
	e := newMsgEnv(t, Config{})
	e.enter("alice", trtc.SceneVideoCall, trtc.RoleAnchor)
	e.enter("bob", trtc.SceneVideoCall, trtc.RoleAnchor)
	e.enter("carol", trtc.SceneVideoCall, trtc.RoleAnchor)
	bob := e.msinks["bob"]
	e.send("alice", 1, "a")
	e.expect("bob", "alice:1:1:a")
	bob.full = true
	e.send("alice", 1, "b")
	bob.full = false
	e.send("carol", 1, "c") // bob lags: nothing until he catches up
	e.send("bob", 1, "own")
	e.expect("bob", "")
	if e.mems["bob"].CatchUpMessages(&msgSink{}) != true {
		t.Fatal("a stale sink has nothing to catch up")
	}
	if !e.mems["bob"].CatchUpMessages(bob) {
		t.Fatal("not caught up")
	}
	e.expect("bob", "alice:1:2:b carol:1:1:c")
	e.send("alice", 1, "d")
	e.expect("bob", "alice:1:3:d")
	e.expect("carol", "alice:1:1:a alice:1:2:b bob:1:1:own alice:1:3:d")

	// A sink that refuses half-way keeps its place.
	bob.full = true
	e.send("alice", 1, "e")
	e.send("alice", 1, "f")
	if e.mems["bob"].CatchUpMessages(bob) {
		t.Fatal("caught up while full")
	}
	bob.full = false
	if !e.mems["bob"].CatchUpMessages(bob) {
		t.Fatal("not caught up")
	}
	e.expect("bob", "alice:1:4:e alice:1:5:f")
}

func TestMessageEvictionCountsMisses(t *testing.T) {
	e := newMsgEnv(t, Config{Messages: MessageConfig{LogEntries: 4}})
	for _, u := range []string{"alice", "bob", "carol"} {
		e.enter(u, trtc.SceneVideoCall, trtc.RoleAnchor)
	}
	bob := e.msinks["bob"]
	bob.full = true
	for i := range 6 {
		e.send("alice", 1+i%2, fmt.Sprint(i))
	}
	e.send("carol", 3, "c")
	e.send("bob", 1, "own") // evicts, but his own is never a miss
	e.send("alice", 1, "z")
	// The log keeps indexes 6..9; 1..5 (alice's first five) left it.
	bob.full = false
	if !e.mems["bob"].CatchUpMessages(bob) {
		t.Fatal("not caught up")
	}
	e.expect("bob", "miss:alice:1:3:3 miss:alice:2:2:2 alice:2:3:5 carol:3:1:c alice:1:4:z")
}

func TestMessageBytesBoundTheLog(t *testing.T) {
	e := newMsgEnv(t, Config{Messages: MessageConfig{LogBytes: 2500}})
	e.enter("alice", trtc.SceneVideoCall, trtc.RoleAnchor)
	e.enter("bob", trtc.SceneVideoCall, trtc.RoleAnchor)
	e.msinks["bob"].full = true
	k := strings.Repeat("k", 1000)
	for range 4 {
		e.send("alice", 1, k)
	}
	e.msinks["bob"].full = false
	e.mems["bob"].CatchUpMessages(e.msinks["bob"])
	if got := e.msinks["bob"].take(); !strings.HasPrefix(got, "miss:alice:1:2:2 alice:1:3:") || strings.Count(got, "alice:1:") != 3 {
		t.Fatalf("got %.60q…", got)
	}
}

func TestMessageResume(t *testing.T) {
	e := newMsgEnv(t, Config{})
	e.enter("alice", trtc.SceneVideoCall, trtc.RoleAnchor)
	e.send("alice", 1, "before bob")
	e.enter("bob", trtc.SceneVideoCall, trtc.RoleAnchor)
	bob := e.mems["bob"]
	e.send("alice", 1, "a") // index 2
	e.send("alice", 1, "b") // index 3: written to bob's socket, but lost
	e.expect("bob", "alice:1:2:a alice:1:3:b")
	bob.Detach(e.msinks["bob"])
	e.send("alice", 1, "c")

	// Bob's client got index 2 only; it resumes on a new sink.
	s := &msgSink{}
	if _, err := e.mgr.Resume(bob.Session(), bob.token, s); err != nil {
		t.Fatal(err)
	}
	e.msinks["bob"] = s
	received := uint64(2)
	bob.ResumeMessages(&received)
	e.send("alice", 1, "d") // bob is catching up: it waits its turn
	e.expect("bob", "")
	if !bob.CatchUpMessages(s) {
		t.Fatal("not caught up")
	}
	e.expect("bob", "alice:1:3:b alice:1:4:c alice:1:5:d")

	// A client that got nothing rewinds to its entry, never before.
	zero := uint64(0)
	bob.ResumeMessages(&zero)
	bob.CatchUpMessages(s)
	e.expect("bob", "alice:1:2:a alice:1:3:b alice:1:4:c alice:1:5:d")

	// Without a cursor nothing is repeated.
	bob.ResumeMessages(nil)
	e.send("alice", 1, "e")
	bob.CatchUpMessages(s)
	e.expect("bob", "alice:1:6:e")
}

func TestMessageLeftMember(t *testing.T) {
	e := newMsgEnv(t, Config{Messages: MessageConfig{LogEntries: 2}})
	e.enter("alice", trtc.SceneVideoCall, trtc.RoleAnchor)
	e.enter("bob", trtc.SceneVideoCall, trtc.RoleAnchor)
	e.msinks["bob"].full = true
	e.send("alice", 1, "a")
	e.mems["bob"].Leave()
	for range 3 {
		e.send("alice", 1, "b")
	}
	if _, _, err := e.mems["bob"].SendMessage(1, []byte("x"), 0); !errors.Is(err, ErrNotMember) {
		t.Fatalf("send after leaving: %v", err)
	}
	if len(e.mems["alice"].room.msgs.lagging) != 0 {
		t.Fatal("a member that left is still tracked")
	}
}

// countSink takes every message.
type countSink struct{ n int }

func (*countSink) Deliver(Event)                  {}
func (s *countSink) DeliverMessage(*Message) bool { s.n++; return true }
func (*countSink) DeliverMiss(Miss) bool          { return true }

// BenchmarkMessageRelay50 is the room's share of relaying one message to a
// 50-user room: numbering, the budget, the log and 49 deliveries.
func BenchmarkMessageRelay50(b *testing.B) {
	clock := newFakeClock()
	mgr := NewManager(Config{}, clock, nil)
	var mems []*Member
	for i := range 50 {
		m, err := mgr.Join(JoinRequest{Key: room1, UserID: trtc.UserID(fmt.Sprint("u", i)), Scene: trtc.SceneVideoCall, Sink: &countSink{}})
		if err != nil {
			b.Fatal(err)
		}
		mems = append(mems, m)
	}
	data := []byte(strings.Repeat("x", 64))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%50 == 0 {
			clock.Advance(time.Second) // every sender stays within its budget
		}
		if _, _, err := mems[i%50].SendMessage(1, data, 0); err != nil {
			b.Fatal(err)
		}
	}
}
