package room

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// recorder is a Sink that keeps events as short strings: "enter:bob",
// "leave:bob:1", "kicked:2".
type recorder struct {
	mu     sync.Mutex
	events []string
	snaps  []*Snapshot
}

func (r *recorder) Deliver(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e.Kind {
	case EventJoined:
		r.snaps = append(r.snaps, e.Snapshot)
	case EventUserEnter:
		r.events = append(r.events, "enter:"+string(e.UserID))
	case EventUserLeave:
		r.events = append(r.events, fmt.Sprintf("leave:%s:%d", e.UserID, e.Reason))
	case EventKicked:
		r.events = append(r.events, fmt.Sprintf("kicked:%d", e.Reason))
	case EventStreamAvailable:
		r.events = append(r.events, fmt.Sprintf("%s:%s:%v", e.Stream, e.UserID, e.Available))
	}
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.events
	r.events = nil
	return ev
}

// obsLog records observer calls.
type obsLog struct {
	mu  sync.Mutex
	log []string
}

func (o *obsLog) add(s string)                          { o.mu.Lock(); o.log = append(o.log, s); o.mu.Unlock() }
func (o *obsLog) RoomCreated(r RoomInfo, _ time.Time)   { o.add("created:" + r.Key.ID()) }
func (o *obsLog) RoomDestroyed(r RoomInfo, _ time.Time) { o.add("destroyed:" + r.Key.ID()) }
func (o *obsLog) UserEntered(r RoomInfo, m MemberInfo, _ time.Time) {
	o.add("entered:" + string(m.UserID))
}
func (o *obsLog) UserLeft(r RoomInfo, m MemberInfo, c Cause, _ time.Time) {
	o.add("left:" + string(m.UserID) + ":" + c.String())
}
func (o *obsLog) RoleChanged(r RoomInfo, m MemberInfo, _ time.Time) {
	o.add("role:" + string(m.UserID) + ":" + m.Role.String())
}
func (o *obsLog) StreamChanged(r RoomInfo, m MemberInfo, st Stream, on bool, _ time.Time) {
	o.add(fmt.Sprintf("stream:%s:%s:%v", m.UserID, st, on))
}
func (o *obsLog) has(s string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, x := range o.log {
		if x == s {
			return true
		}
	}
	return false
}

type env struct {
	t     *testing.T
	clock *fakeClock
	obs   *obsLog
	mgr   *Manager
	sinks map[string]*recorder
	mems  map[string]*Member
}

func newEnv(t *testing.T, cfg Config) *env {
	c := newFakeClock()
	o := &obsLog{}
	return &env{t: t, clock: c, obs: o, mgr: NewManager(cfg, c, o), sinks: map[string]*recorder{}, mems: map[string]*Member{}}
}

var room1 = trtc.RoomKey{App: 1400000001, Num: 1234}

func (e *env) join(user string, scene trtc.Scene, role trtc.Role) error {
	return e.joinKey(room1, user, scene, role)
}

func (e *env) joinKey(key trtc.RoomKey, user string, scene trtc.Scene, role trtc.Role) error {
	e.t.Helper()
	s := &recorder{}
	m, err := e.mgr.Join(JoinRequest{Key: key, UserID: trtc.UserID(user), Scene: scene, Role: role, Sink: s})
	if err != nil {
		return err
	}
	e.sinks[user], e.mems[user] = s, m
	return nil
}

func (e *env) mustJoin(user string, scene trtc.Scene, role trtc.Role) {
	e.t.Helper()
	if err := e.join(user, scene, role); err != nil {
		e.t.Fatalf("join %s: %v", user, err)
	}
}

func (e *env) expect(user string, want ...string) {
	e.t.Helper()
	got := e.sinks[user].take()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		e.t.Fatalf("%s saw %v, want %v", user, got, want)
	}
}

func (e *env) roomExists() bool {
	_, ok := e.mgr.Room(room1)
	return ok
}

const (
	call  = trtc.SceneVideoCall
	live  = trtc.SceneLive
	anch  = trtc.RoleAnchor
	audi  = trtc.RoleAudience
	nrole = trtc.RoleUnknown
)

func TestCallSceneEnterLeave(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustJoin("alice", call, nrole)
	e.mustJoin("bob", call, audi) // role is ignored in call scenes
	e.expect("alice", "enter:bob")
	e.expect("bob")
	if s := e.sinks["bob"].snaps[0]; len(s.Users) != 1 || s.Users[0].UserID != "alice" || s.Role != anch {
		t.Fatalf("bob's snapshot = %+v", s)
	}
	e.mems["bob"].Leave()
	e.expect("alice", "leave:bob:0")
	e.mems["bob"].Leave() // idempotent
	e.expect("alice")
	e.mems["alice"].Leave()
	if e.roomExists() {
		t.Fatal("call room survived its last user")
	}
	if !e.obs.has("created:1234") || !e.obs.has("destroyed:1234") || !e.obs.has("left:bob:normal") {
		t.Fatalf("observer log %v", e.obs.log)
	}
}

func TestLiveAudienceInvisible(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustJoin("anchor1", live, anch)
	e.mustJoin("viewer1", live, audi)
	e.expect("anchor1") // no enter for audience
	if s := e.sinks["viewer1"].snaps[0]; len(s.Users) != 1 || s.Users[0].UserID != "anchor1" {
		t.Fatalf("viewer snapshot %+v", s)
	}
	e.mustJoin("anchor2", live, anch)
	e.expect("anchor1", "enter:anchor2")
	e.expect("viewer1", "enter:anchor2")
	if s := e.sinks["anchor2"].snaps[0]; len(s.Users) != 1 {
		t.Fatalf("anchor2 sees audience in snapshot: %+v", s)
	}
	e.mems["viewer1"].Leave()
	e.expect("anchor1")
	e.expect("anchor2")
}

func TestDestructionRules(t *testing.T) {
	tests := []struct {
		name      string
		scene     trtc.Scene
		users     []trtc.Role // joined in order; all leave in order
		alive     bool        // right after the last leave
		aliveTTL  bool        // after LiveAudienceRoomTTL
		ttlMinus1 bool        // one second before the TTL
	}{
		{name: "call last leaves", scene: call, users: []trtc.Role{anch, anch}, alive: false},
		{name: "audio call last leaves", scene: trtc.SceneAudioCall, users: []trtc.Role{anch}, alive: false},
		{name: "live anchor leaves last", scene: live, users: []trtc.Role{audi, anch}, alive: false},
		{name: "live audience leaves last", scene: live, users: []trtc.Role{anch, audi}, alive: true, ttlMinus1: true, aliveTTL: false},
		{name: "voice chat audience leaves last", scene: trtc.SceneVoiceChatRoom, users: []trtc.Role{audi}, alive: true, ttlMinus1: true, aliveTTL: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{LiveAudienceRoomTTL: 10 * time.Minute})
			for i, role := range tt.users {
				e.mustJoin(fmt.Sprint("u", i), tt.scene, role)
			}
			for i := range tt.users {
				e.mems[fmt.Sprint("u", i)].Leave()
			}
			if e.roomExists() != tt.alive {
				t.Fatalf("after last leave: exists=%v want %v", !tt.alive, tt.alive)
			}
			e.clock.Advance(10*time.Minute - time.Second)
			if e.roomExists() != tt.ttlMinus1 {
				t.Fatalf("before TTL: exists=%v want %v", !tt.ttlMinus1, tt.ttlMinus1)
			}
			e.clock.Advance(time.Second)
			if e.roomExists() != tt.aliveTTL {
				t.Fatalf("after TTL: exists=%v want %v", !tt.aliveTTL, tt.aliveTTL)
			}
		})
	}
}

func TestLiveRoomTTLCancelledByEnter(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustJoin("v", live, audi)
	e.mems["v"].Leave()
	e.clock.Advance(5 * time.Minute)
	r, _ := e.mgr.Room(room1)
	e.mustJoin("w", live, audi)
	e.clock.Advance(6 * time.Minute)
	r2, ok := e.mgr.Room(room1)
	if !ok || r2 != r {
		t.Fatal("room was destroyed or recreated although a user came back before the TTL")
	}
}

func TestDropTimeout(t *testing.T) {
	e := newEnv(t, Config{DropTimeout: 90 * time.Second})
	e.mustJoin("alice", call, anch)
	e.mustJoin("bob", call, anch)
	e.expect("alice", "enter:bob")
	bob := e.mems["bob"]
	bob.Detach(e.sinks["bob"])

	// Back within the timeout: nobody notices.
	e.clock.Advance(89 * time.Second)
	s2 := &recorder{}
	m, err := e.mgr.Resume(bob.Session(), bob.token, s2)
	if err != nil || m != bob {
		t.Fatalf("resume: %v", err)
	}
	if len(s2.snaps) != 1 || !s2.snaps[0].Resumed || len(s2.snaps[0].Users) != 1 {
		t.Fatalf("resume snapshot %+v", s2.snaps)
	}
	e.clock.Advance(10 * time.Second)
	e.expect("alice")

	// A stale detach from the old connection is ignored.
	bob.Detach(e.sinks["bob"])
	e.clock.Advance(100 * time.Second)
	e.expect("alice")

	// Gone past the timeout: leave reason 1, and the session cannot resume.
	bob.Detach(s2)
	e.clock.Advance(90 * time.Second)
	e.expect("alice", "leave:bob:1")
	if _, err := e.mgr.Resume(bob.Session(), bob.token, &recorder{}); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("resume after timeout: %v", err)
	}
	if _, err := e.mgr.Resume(e.mems["alice"].Session(), "wrong", &recorder{}); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("resume with a wrong token: %v", err)
	}
	if !e.obs.has("left:bob:timeout") {
		t.Fatal("observer missed the timeout")
	}
}

func TestAllDroppedDestroysLiveRoom(t *testing.T) {
	e := newEnv(t, Config{DropTimeout: 90 * time.Second})
	e.mustJoin("v1", live, audi)
	e.mustJoin("v2", live, audi)
	e.mems["v1"].Detach(e.sinks["v1"])
	e.mems["v2"].Detach(e.sinks["v2"])
	e.clock.Advance(90 * time.Second)
	if e.roomExists() {
		t.Fatal("room of dropped users survived the drop timeout")
	}
}

func TestDuplicateUserID(t *testing.T) {
	tests := []struct {
		name         string
		scene        trtc.Scene
		oldRole      trtc.Role
		newRole      trtc.Role
		observerSees []string
	}{
		{name: "call", scene: call, oldRole: anch, newRole: anch},
		{name: "live anchor twice", scene: live, oldRole: anch, newRole: anch},
		{name: "live audience twice", scene: live, oldRole: audi, newRole: audi},
		{name: "live anchor then audience", scene: live, oldRole: anch, newRole: audi, observerSees: []string{"leave:dup:0"}},
		{name: "live audience then anchor", scene: live, oldRole: audi, newRole: anch, observerSees: []string{"enter:dup"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			e.mustJoin("watcher", tt.scene, anch)
			e.mustJoin("dup", tt.scene, tt.oldRole)
			e.sinks["watcher"].take()
			old := e.mems["dup"]
			oldSink := e.sinks["dup"]
			e.mustJoin("dup", tt.scene, tt.newRole)
			if got := oldSink.take(); fmt.Sprint(got) != "[kicked:1]" {
				t.Fatalf("old session saw %v", got)
			}
			if old.Active() {
				t.Fatal("old session still active")
			}
			e.expect("watcher", tt.observerSees...)
			r, _ := e.mgr.Room(room1)
			a, au := r.Counts()
			if a+au != 2 {
				t.Fatalf("counts %d+%d", a, au)
			}
			if _, n := e.mgr.Stats(); n != 2 {
				t.Fatalf("sessions = %d", n)
			}
		})
	}
}

func TestCaps(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		scene   trtc.Scene
		roles   []trtc.Role
		wantErr error // for the last join
	}{
		{name: "call users", cfg: Config{CallMaxUsers: 3}, scene: call, roles: []trtc.Role{anch, anch, anch, anch}, wantErr: ErrRoomFull},
		{name: "call under cap", cfg: Config{CallMaxUsers: 3}, scene: call, roles: []trtc.Role{anch, anch, anch}},
		{name: "live anchors", cfg: Config{LiveMaxAnchors: 2}, scene: live, roles: []trtc.Role{anch, anch, anch}, wantErr: ErrRoomFull},
		{name: "live anchors full, audience fine", cfg: Config{LiveMaxAnchors: 2}, scene: live, roles: []trtc.Role{anch, anch, audi}},
		{name: "live audience", cfg: Config{LiveMaxAudience: 2}, scene: live, roles: []trtc.Role{audi, audi, audi}, wantErr: ErrRoomFull},
		{name: "live audience full, anchor fine", cfg: Config{LiveMaxAudience: 2}, scene: live, roles: []trtc.Role{audi, audi, anch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.cfg)
			var err error
			for i, role := range tt.roles {
				err = e.join(fmt.Sprint("u", i), tt.scene, role)
				if i < len(tt.roles)-1 && err != nil {
					t.Fatalf("join %d: %v", i, err)
				}
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("last join: %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestSwitchRole(t *testing.T) {
	e := newEnv(t, Config{LiveMaxAnchors: 2})
	e.mustJoin("a1", live, anch)
	e.mustJoin("v1", live, audi)
	e.mustJoin("v2", live, audi)
	v1 := e.mems["v1"]
	if err := v1.SwitchRole(anch, nil); err != nil {
		t.Fatal(err)
	}
	e.expect("a1", "enter:v1")
	e.expect("v2", "enter:v1")
	if err := e.mems["v2"].SwitchRole(anch, nil); !errors.Is(err, ErrAnchorsFull) {
		t.Fatalf("third anchor: %v", err)
	}
	if err := v1.SwitchRole(audi, nil); err != nil {
		t.Fatal(err)
	}
	e.expect("a1", "leave:v1:3")
	e.expect("v2", "leave:v1:3")
	if err := v1.SwitchRole(audi, nil); err != nil {
		t.Fatal("switching to the current role must be a no-op")
	}
	if err := v1.SwitchRole(trtc.Role(7), nil); !errors.Is(err, ErrInvalidRole) {
		t.Fatalf("bad role: %v", err)
	}
	none := uint32(0)
	if err := v1.SwitchRole(anch, &none); !errors.Is(err, ErrNoEnterPrivilege) {
		t.Fatalf("privileges: %v", err)
	}
	if !e.obs.has("role:v1:anchor") || !e.obs.has("role:v1:audience") {
		t.Fatal("observer missed role changes")
	}

	c := newEnv(t, Config{})
	c.mustJoin("x", call, anch)
	if err := c.mems["x"].SwitchRole(audi, nil); !errors.Is(err, ErrNotLiveScene) {
		t.Fatalf("call scene switch: %v", err)
	}
}

func TestRemoveAndDismiss(t *testing.T) {
	e := newEnv(t, Config{})
	for _, u := range []string{"a", "b", "c"} {
		e.mustJoin(u, call, anch)
	}
	for _, u := range []string{"a", "b", "c"} {
		e.sinks[u].take()
	}
	if err := e.mgr.RemoveUsers(room1, []trtc.UserID{"b", "nobody"}); err != nil {
		t.Fatal(err)
	}
	e.expect("b", "kicked:1")
	e.expect("a", "leave:b:2")
	e.expect("c", "leave:b:2")
	if err := e.mgr.Dismiss(room1); err != nil {
		t.Fatal(err)
	}
	e.expect("a", "kicked:2")
	e.expect("c", "kicked:2")
	if e.roomExists() {
		t.Fatal("dismissed room exists")
	}
	if err := e.mgr.Dismiss(room1); !errors.Is(err, ErrRoomNotFound) {
		t.Fatalf("second dismiss: %v", err)
	}
	if err := e.mgr.RemoveUsers(room1, []trtc.UserID{"a"}); !errors.Is(err, ErrRoomNotFound) {
		t.Fatalf("remove from missing room: %v", err)
	}
	if r, n := e.mgr.Stats(); r != 0 || n != 0 {
		t.Fatalf("stats after dismiss: %d rooms %d sessions", r, n)
	}
}

func TestPrivileges(t *testing.T) {
	e := newEnv(t, Config{})
	bits := func(b uint32) *uint32 { return &b }
	join := func(user string, p *uint32) error {
		_, err := e.mgr.Join(JoinRequest{Key: room1, UserID: trtc.UserID(user), Scene: call, Privileges: p, Sink: &recorder{}})
		return err
	}
	if err := join("a", bits(trtc.PrivEnterRoom)); !errors.Is(err, ErrNoCreatePrivilege) {
		t.Fatalf("create without bit: %v", err)
	}
	if e.roomExists() {
		t.Fatal("refused create left a room behind")
	}
	if err := join("a", bits(trtc.PrivCreateRoom)); err != nil {
		t.Fatal(err)
	}
	if err := join("b", bits(trtc.PrivCreateRoom)); !errors.Is(err, ErrNoEnterPrivilege) {
		t.Fatalf("enter without bit: %v", err)
	}
	if err := join("b", bits(trtc.PrivEnterRoom)); err != nil {
		t.Fatal(err)
	}
}

func TestNamespaces(t *testing.T) {
	e := newEnv(t, Config{})
	num := trtc.RoomKey{App: 1, Num: 123}
	str := trtc.RoomKey{App: 1, Str: "123"}
	other := trtc.RoomKey{App: 2, Num: 123}
	for i, k := range []trtc.RoomKey{num, str, other} {
		if err := e.joinKey(k, fmt.Sprint("u", i), call, anch); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if s := e.sinks[fmt.Sprint("u", i)].snaps[0]; len(s.Users) != 0 {
			t.Fatalf("room %d shared users: %+v", i, s.Users)
		}
	}
	if r, _ := e.mgr.Stats(); r != 3 {
		t.Fatalf("rooms = %d", r)
	}
}

func TestClosedManager(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustJoin("a", call, anch)
	e.mgr.Shutdown()
	if err := e.join("b", call, anch); !errors.Is(err, ErrClosed) {
		t.Fatalf("join after close: %v", err)
	}
	if e.roomExists() || !e.obs.has("left:a:shutdown") {
		t.Fatal("shutdown left state behind")
	}
}

func TestInvalidRequests(t *testing.T) {
	e := newEnv(t, Config{})
	if err := e.join("a", trtc.Scene(9), anch); !errors.Is(err, ErrInvalidScene) {
		t.Fatal(err)
	}
	if err := e.join("a", live, trtc.Role(3)); !errors.Is(err, ErrInvalidRole) {
		t.Fatal(err)
	}
}

// TestConcurrentCaps joins and leaves from many goroutines at once and checks
// that no cap is overshot and the books balance (run with -race).
func TestConcurrentCaps(t *testing.T) {
	e := newEnv(t, Config{LiveMaxAnchors: 5, LiveMaxAudience: 20})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var joined []*Member
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			role := audi
			if i%3 == 0 {
				role = anch
			}
			user := trtc.UserID(fmt.Sprint("u", i%40))
			m, err := e.mgr.Join(JoinRequest{Key: room1, UserID: user, Scene: live, Role: role, Sink: &recorder{}})
			if err != nil {
				if !errors.Is(err, ErrRoomFull) {
					t.Error(err)
				}
				return
			}
			if i%4 == 0 {
				m.Leave()
				return
			}
			if i%5 == 0 {
				_ = m.SwitchRole(anch, nil)
			}
			mu.Lock()
			joined = append(joined, m)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r, ok := e.mgr.Room(room1)
	if !ok {
		return
	}
	a, au := r.Counts()
	if a > 5 || au > 20 {
		t.Fatalf("caps overshot: %d anchors, %d audience", a, au)
	}
	active := 0
	for _, m := range joined {
		if m.Active() {
			active++
		}
	}
	if active != a+au {
		t.Fatalf("active members %d != counts %d", active, a+au)
	}
}
