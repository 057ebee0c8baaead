package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/usersig"
)

const (
	testApp    = 1400000001
	testSecret = "signaling-test-secret-0123456789abcdef0123456789abcdef0123456789"
)

type testApps struct{}

func (testApps) Lookup(id trtc.SDKAppID) (App, bool) {
	return App{SDKAppID: id, Secret: testSecret}, id == testApp
}

// manualClock is a room.Clock whose Now moves only when told; timers are
// real (the tests here set none that matter).
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *manualClock) AfterFunc(d time.Duration, f func()) room.Timer { return time.AfterFunc(d, f) }

// pipeConn is an in-memory Conn. The test writes client frames into in and
// reads what the server wrote from out; closing gate's replacement blocks
// the server's writes, as a client that stopped reading would.
type pipeConn struct {
	in     chan []byte
	closed chan struct{}
	once   sync.Once

	mu   sync.Mutex
	cond *sync.Cond
	out  []proto.Message
	gate chan struct{} // closed: writes pass
}

func newPipeConn() *pipeConn {
	c := &pipeConn{in: make(chan []byte, 1024), closed: make(chan struct{}), gate: make(chan struct{})}
	close(c.gate)
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *pipeConn) Read(ctx context.Context) ([]byte, bool, error) {
	select {
	case f := <-c.in:
		return f, true, nil
	case <-c.closed:
		return nil, false, io.EOF
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

func (c *pipeConn) Write(ctx context.Context, data []byte) error {
	c.mu.Lock()
	gate := c.gate
	c.mu.Unlock()
	select {
	case <-gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	m, err := proto.Decode(data)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.out = append(c.out, m)
	c.cond.Broadcast()
	c.mu.Unlock()
	return nil
}

func (c *pipeConn) Close(int, string) error {
	c.once.Do(func() { close(c.closed) })
	c.mu.Lock()
	c.cond.Broadcast()
	c.mu.Unlock()
	return nil
}

func (c *pipeConn) RemoteIP() string { return "127.0.0.1" }

func (c *pipeConn) block() {
	c.mu.Lock()
	c.gate = make(chan struct{})
	c.mu.Unlock()
}

func (c *pipeConn) unblock() {
	c.mu.Lock()
	close(c.gate)
	c.mu.Unlock()
}

// waitFor waits until pred holds for the frames written so far.
func (c *pipeConn) waitFor(t testing.TB, what string, pred func([]proto.Message) bool) []proto.Message {
	t.Helper()
	timer := time.AfterFunc(10*time.Second, func() { c.mu.Lock(); c.cond.Broadcast(); c.mu.Unlock() })
	defer timer.Stop()
	deadline := time.Now().Add(10 * time.Second)
	c.mu.Lock()
	defer c.mu.Unlock()
	for !pred(c.out) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10s; %d frames", what, len(c.out))
		}
		c.cond.Wait()
	}
	return append([]proto.Message(nil), c.out...)
}

type msgTest struct {
	t     testing.TB
	clock *manualClock
	rooms *room.Manager
	srv   *Server
	ctx   context.Context
	wg    sync.WaitGroup
}

func newMsgTest(t testing.TB, mc room.MessageConfig) *msgTest {
	return newMsgTestConfig(t, mc, Config{})
}

func newMsgTestConfig(t testing.TB, mc room.MessageConfig, cfg Config) *msgTest {
	clock := &manualClock{now: time.Now()}
	rooms := room.NewManager(room.Config{Messages: mc}, clock, nil)
	cfg.Now, cfg.MessagesPerSecond, cfg.WriteTimeout, cfg.HeartbeatTimeout = clock.Now, 1<<20, time.Minute, time.Hour
	srv := NewServer(cfg, rooms, testApps{}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	mt := &msgTest{t: t, clock: clock, rooms: rooms, srv: srv, ctx: ctx}
	t.Cleanup(func() {
		cancel()
		mt.wg.Wait()
	})
	return mt
}

type testClient struct {
	t    testing.TB
	conn *pipeConn
	id   uint32
}

// enter connects a client and enters room 1 with role (live scene when role
// is audience).
func (mt *msgTest) enter(user string, scene trtc.Scene, role trtc.Role) *testClient {
	mt.t.Helper()
	c := &testClient{t: mt.t, conn: newPipeConn()}
	mt.wg.Add(1)
	go func() {
		defer mt.wg.Done()
		mt.srv.Serve(mt.ctx, c.conn)
	}()
	sig, err := usersig.GenUserSig(testApp, testSecret, user, 3600)
	if err != nil {
		mt.t.Fatal(err)
	}
	if m := c.request(proto.TypeEnter, proto.EnterRequest{SDKAppID: testApp, UserID: user, UserSig: sig, RoomID: 1, Scene: int(scene), Role: int(role)}); m.Code != 0 {
		mt.t.Fatalf("enter %s: %d %s", user, m.Code, m.Msg)
	}
	return c
}

func (c *testClient) send(typ string, data any) uint32 {
	c.id++
	c.conn.in <- proto.MustEncode(typ, c.id, 0, "", data)
	return c.id
}

func (c *testClient) response(id uint32) proto.Message {
	c.t.Helper()
	var resp proto.Message
	c.conn.waitFor(c.t, fmt.Sprint("response ", id), func(ms []proto.Message) bool {
		for _, m := range ms {
			if m.Type == proto.TypeResponse && m.ID == id {
				resp = m
				return true
			}
		}
		return false
	})
	return resp
}

func (c *testClient) request(typ string, data any) proto.Message {
	c.t.Helper()
	return c.response(c.send(typ, data))
}

func (c *testClient) customMsg(cmd int, data string) proto.Message {
	c.t.Helper()
	return c.request(proto.TypeCustomMsg, proto.CustomMsgRequest{CmdID: cmd, Data: []byte(data), Reliable: true, Ordered: true})
}

// messages returns the custom_msg and custom_miss events received, as
// "alice:1:7:data" and "miss:alice:1:3:9".
func messages(ms []proto.Message) []string {
	var out []string
	for _, m := range ms {
		switch m.Type {
		case proto.TypeCustomMsg:
			var e proto.CustomMsgEvent
			if json.Unmarshal(m.Data, &e) == nil {
				out = append(out, fmt.Sprintf("%s:%d:%d:%s", e.UserID, e.CmdID, e.Seq, e.Data))
			}
		case proto.TypeCustomMiss:
			var e proto.CustomMissEvent
			if json.Unmarshal(m.Data, &e) == nil {
				out = append(out, fmt.Sprintf("miss:%s:%d:%d:%d:%d", e.UserID, e.CmdID, e.ErrCode, e.Missed, e.LastSeq))
			}
		}
	}
	return out
}

func TestCustomMsgRelay(t *testing.T) {
	mt := newMsgTest(t, room.MessageConfig{})
	alice := mt.enter("alice", trtc.SceneVideoCall, 0)
	bob := mt.enter("bob", trtc.SceneVideoCall, 0)
	for i, data := range []string{"hi", "there"} {
		m := alice.customMsg(3, data)
		var r proto.CustomMsgResponse
		if m.Code != 0 || proto.DecodeData(m, &r) != nil || r.Seq != uint32(i+1) {
			t.Fatalf("send %q: %+v", data, m)
		}
	}
	got := bob.conn.waitFor(t, "two messages", func(ms []proto.Message) bool { return len(messages(ms)) == 2 })
	if s := strings.Join(messages(got), " "); s != "alice:3:1:hi alice:3:2:there" {
		t.Fatalf("bob got %s", s)
	}
	// The wire format is the one of docs/protocol.md.
	for _, m := range got {
		if m.Type == proto.TypeCustomMsg {
			if want := `{"userId":"alice","cmdId":3,"seq":1,"data":"aGk=","index":1}`; string(m.Data) != want {
				t.Fatalf("event data %s, want %s", m.Data, want)
			}
			break
		}
	}
	if ms := messages(alice.conn.waitFor(t, "frames", func([]proto.Message) bool { return true })); len(ms) != 0 {
		t.Fatalf("the sender got its own messages: %v", ms)
	}
}

func TestCustomMsgRefusals(t *testing.T) {
	big := strings.Repeat("b", trtc.MaxCustomMsgBytes+1)
	for _, tc := range []struct {
		name string
		role trtc.Role
		req  any
		code int
	}{
		{"cmdId 0", trtc.RoleAnchor, proto.CustomMsgRequest{CmdID: 0, Data: []byte("x"), Reliable: true, Ordered: true}, trtc.ErrInvalidParameter},
		{"cmdId 11", trtc.RoleAnchor, proto.CustomMsgRequest{CmdID: 11, Data: []byte("x")}, trtc.ErrInvalidParameter},
		{"empty", trtc.RoleAnchor, proto.CustomMsgRequest{CmdID: 1}, trtc.ErrInvalidParameter},
		{"1001 bytes", trtc.RoleAnchor, proto.CustomMsgRequest{CmdID: 1, Data: []byte(big)}, trtc.ErrInvalidParameter},
		{"reliable but unordered", trtc.RoleAnchor, proto.CustomMsgRequest{CmdID: 1, Data: []byte("x"), Reliable: true}, trtc.ErrInvalidParameter},
		{"audience", trtc.RoleAudience, proto.CustomMsgRequest{CmdID: 1, Data: []byte("x")}, trtc.WarnIgnoreUpstreamForAudience},
		{"not base64", trtc.RoleAnchor, json.RawMessage(`{"cmdId":1,"data":"***"}`), trtc.ErrJSONDecode},
		{"no data", trtc.RoleAnchor, nil, trtc.ErrJSONDecode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mt := newMsgTest(t, room.MessageConfig{})
			bob := mt.enter("bob", trtc.SceneLive, trtc.RoleAnchor)
			alice := mt.enter("alice", trtc.SceneLive, tc.role)
			if m := alice.request(proto.TypeCustomMsg, tc.req); m.Code != tc.code || m.Msg == "" {
				t.Fatalf("got %d %q, want %d", m.Code, m.Msg, tc.code)
			}
			// Nothing reached bob: a valid message after it is his first.
			bob.customMsg(1, "ping")
			m := alice.conn.waitFor(t, "bob's message", func(ms []proto.Message) bool { return len(messages(ms)) == 1 })
			if got := messages(m); got[0] != "bob:1:1:ping" {
				t.Fatalf("alice got %v", got)
			}
			if got := messages(bob.conn.waitFor(t, "frames", func([]proto.Message) bool { return true })); len(got) != 0 {
				t.Fatalf("bob got %v", got)
			}
		})
	}

	t.Run("outside a room", func(t *testing.T) {
		mt := newMsgTest(t, room.MessageConfig{})
		c := &testClient{t: t, conn: newPipeConn()}
		mt.wg.Add(1)
		go func() { defer mt.wg.Done(); mt.srv.Serve(mt.ctx, c.conn) }()
		if m := c.customMsg(1, "x"); m.Code != trtc.ErrInvalidCommand {
			t.Fatalf("got %d", m.Code)
		}
	})
}

func TestCustomMsgBudget(t *testing.T) {
	mt := newMsgTest(t, room.MessageConfig{})
	alice := mt.enter("alice", trtc.SceneVideoCall, 0)
	bob := mt.enter("bob", trtc.SceneVideoCall, 0)
	// Two seconds of budget at once: 60 messages, the 61st refused.
	var ids []uint32
	for i := range 61 {
		ids = append(ids, alice.send(proto.TypeCustomMsg, proto.CustomMsgRequest{CmdID: 1, Data: []byte{byte('a' + i%26)}}))
	}
	for i, id := range ids {
		m := alice.response(id)
		if want := 0; i == 60 {
			if m.Code != trtc.ErrRefused {
				t.Fatalf("61st: %d %s", m.Code, m.Msg)
			}
		} else if m.Code != want {
			t.Fatalf("message %d: %d %s", i, m.Code, m.Msg)
		}
	}
	// Bytes: 16000 in two seconds; after a second 8000 more.
	mt.clock.Advance(2 * time.Second)
	k := []byte(strings.Repeat("k", 1000))
	for i := range 17 {
		m := alice.request(proto.TypeCustomMsg, proto.CustomMsgRequest{CmdID: 2, Data: k})
		if (i < 16) != (m.Code == 0) || (i == 16 && m.Code != trtc.ErrRefused) {
			t.Fatalf("kilobyte %d: %d %s", i, m.Code, m.Msg)
		}
	}
	mt.clock.Advance(time.Second)
	for i := range 8 {
		if m := alice.request(proto.TypeCustomMsg, proto.CustomMsgRequest{CmdID: 2, Data: k}); m.Code != 0 {
			t.Fatalf("kilobyte %d after a second: %d %s", i, m.Code, m.Msg)
		}
	}
	// The refused ones took no number: bob sees 1..60 and 1..24.
	got := bob.conn.waitFor(t, "84 messages", func(ms []proto.Message) bool { return len(messages(ms)) == 84 })
	ms := messages(got)
	if ms[59] != "alice:1:60:"+string(rune('a'+59%26)) || !strings.HasPrefix(ms[83], "alice:2:24:") {
		t.Fatalf("bob got …%v… %.20q", ms[58:61], ms[83])
	}
}

// TestCustomMsgClientSeq: a message sent again with the same number (as the
// SDK does after a resume) is acknowledged and not relayed twice.
func TestCustomMsgClientSeq(t *testing.T) {
	mt := newMsgTest(t, room.MessageConfig{})
	alice := mt.enter("alice", trtc.SceneVideoCall, 0)
	bob := mt.enter("bob", trtc.SceneVideoCall, 0)
	for _, seq := range []uint32{1, 2, 2, 1, 3} {
		m := alice.request(proto.TypeCustomMsg, proto.CustomMsgRequest{CmdID: 4, Data: []byte(fmt.Sprint(seq)), Seq: seq})
		var r proto.CustomMsgResponse
		if m.Code != 0 || proto.DecodeData(m, &r) != nil || r.Seq != seq {
			t.Fatalf("seq %d: %+v", seq, m)
		}
	}
	got := bob.conn.waitFor(t, "3 messages", func(ms []proto.Message) bool { return len(messages(ms)) >= 3 })
	if s := strings.Join(messages(got), " "); s != "alice:4:1:1 alice:4:2:2 alice:4:3:3" {
		t.Fatalf("bob got %s", s)
	}
}

// flood sends n messages from c on cmd, moving the clock so that the
// budget never refuses one.
func (mt *msgTest) flood(c *testClient, cmd, n int) {
	mt.t.Helper()
	for i := range n {
		if i > 0 && i%50 == 0 {
			mt.clock.Advance(2 * time.Second)
		}
		if m := c.customMsg(cmd, fmt.Sprint(i+1)); m.Code != 0 {
			mt.t.Fatalf("message %d: %d %s", i+1, m.Code, m.Msg)
		}
	}
}

// TestCustomMsgSlowReceiver: a receiver that stops reading is not closed
// for it; messages beyond its queue's share wait in the room's log and
// reach it, in order and once each, when it reads again.
func TestCustomMsgSlowReceiver(t *testing.T) {
	mt := newMsgTest(t, room.MessageConfig{})
	alice := mt.enter("alice", trtc.SceneVideoCall, 0)
	bob := mt.enter("bob", trtc.SceneVideoCall, 0)
	bob.conn.block()
	const n = 600 // more than twice the queue
	mt.flood(alice, 1, n)
	carol := mt.enter("carol", trtc.SceneVideoCall, 0) // room events still flow
	bob.conn.unblock()
	got := bob.conn.waitFor(t, "every message", func(ms []proto.Message) bool { return len(messages(ms)) >= n })
	ms := messages(got)
	if len(ms) != n {
		t.Fatalf("%d messages, want %d", len(ms), n)
	}
	for i, s := range ms {
		if want := fmt.Sprintf("alice:1:%d:%d", i+1, i+1); s != want {
			t.Fatalf("message %d is %s, want %s", i, s, want)
		}
	}
	bob.conn.waitFor(t, "carol's enter", func(ms []proto.Message) bool {
		for _, m := range ms {
			if m.Type == proto.TypeUserEnter && strings.Contains(string(m.Data), "carol") {
				return true
			}
		}
		return false
	})
	select {
	case <-bob.conn.closed:
		t.Fatal("the slow receiver was disconnected")
	default:
	}
	_ = carol
}

// TestCustomMsgMissed: when a slow receiver falls further behind than the
// room's log, what left the log is reported as missed (custom_miss), then
// the rest follows; every message is accounted for exactly once.
func TestCustomMsgMissed(t *testing.T) {
	mt := newMsgTest(t, room.MessageConfig{LogEntries: 100})
	alice := mt.enter("alice", trtc.SceneVideoCall, 0)
	bob := mt.enter("bob", trtc.SceneVideoCall, 0)
	bob.conn.block()
	const n = 500
	mt.flood(alice, 2, n)
	bob.conn.unblock()
	var ms []string
	bob.conn.waitFor(t, "the last message", func(got []proto.Message) bool {
		ms = messages(got)
		return len(ms) > 0 && ms[len(ms)-1] == fmt.Sprintf("alice:2:%d:%d", n, n)
	})
	next, misses := 1, 0
	for _, s := range ms {
		var missed, last int
		if _, err := fmt.Sscanf(s, "miss:alice:2:-1:%d:%d", &missed, &last); err == nil {
			if last != next+missed-1 {
				t.Fatalf("%s after message %d", s, next-1)
			}
			next, misses = last+1, misses+missed
			continue
		}
		if want := fmt.Sprintf("alice:2:%d:%d", next, next); s != want {
			t.Fatalf("got %s, want %s (all: %v)", s, want, ms)
		}
		next++
	}
	if next != n+1 || misses == 0 {
		t.Fatalf("accounted for %d messages, %d missed", next-1, misses)
	}
	t.Logf("%d messages delivered, %d reported missed", n-misses, misses)
}

// reset forgets the frames written so far.
func (c *pipeConn) reset() {
	c.mu.Lock()
	c.out = nil
	c.mu.Unlock()
}

// FuzzCustomMsg sends arbitrary custom_msg bodies: every one is answered
// with success or one of the documented codes, and the session survives.
func FuzzCustomMsg(f *testing.F) {
	f.Add([]byte(`{"cmdId":1,"data":"aGk=","reliable":true,"ordered":true}`))
	f.Add([]byte(`{"cmdId":11,"data":"aGk="}`))
	f.Add([]byte(`{"cmdId":2,"data":"","seq":4294967295}`))
	f.Add([]byte(`{"cmdId":-1,"data":null,"reliable":1}`))
	f.Add([]byte(`[]`))
	mt := newMsgTestConfig(f, room.MessageConfig{LogEntries: 8}, Config{MaxStrikes: 1 << 30})
	alice := mt.enter("alice", trtc.SceneVideoCall, 0)
	bob := mt.enter("bob", trtc.SceneVideoCall, 0)
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			return // not a frame: the envelope's own fuzzing (proto) covers it
		}
		alice.t, bob.t = t, t
		mt.clock.Advance(time.Second) // the budget never decides
		alice.id++
		alice.conn.in <- fmt.Appendf(nil, `{"type":"custom_msg","id":%d,"data":%s}`, alice.id, body)
		m := alice.response(alice.id)
		switch m.Code {
		case 0, trtc.ErrInvalidParameter, trtc.ErrJSONDecode:
		default:
			t.Fatalf("body %q answered %d %q", body, m.Code, m.Msg)
		}
		alice.conn.reset()
		bob.conn.reset()
	})
}
