package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

var testSecret = []byte("cluster-unit-test-secret")

// testNode is a cluster node over a real room manager, with the internal
// call endpoint served on a loopback HTTP server.
type testNode struct {
	*Node
	rooms *room.Manager
	srv   *httptest.Server
}

type managerRooms struct{ m *room.Manager }

func (r managerRooms) Exists(key trtc.RoomKey) bool { _, ok := r.m.Room(key); return ok }
func (r managerRooms) Lost(key trtc.RoomKey)        { _ = r.m.Evict(key) }
func (r managerRooms) Load() Load {
	rooms, users := r.m.Stats()
	return Load{Rooms: rooms, Users: users}
}

type managerActions struct{ m *room.Manager }

func (a managerActions) RemoveUsers(_ context.Context, key trtc.RoomKey, users []trtc.UserID) error {
	return a.m.RemoveUsers(key, users)
}
func (a managerActions) DismissRoom(_ context.Context, key trtc.RoomKey) error {
	return a.m.Dismiss(key)
}
func (a managerActions) SetUserBlocked(_ context.Context, key trtc.RoomKey, user trtc.UserID, b room.Block) error {
	return a.m.SetBlocked(key, user, b)
}

func newTestNode(t *testing.T, rdb *redis.Client, id string) *testNode {
	t.Helper()
	tn := &testNode{}
	obs := &forwardObserver{}
	tn.rooms = room.NewManager(room.Config{CallMaxUsers: 50}, nil, obs)
	mux := http.NewServeMux()
	tn.srv = httptest.NewServer(mux)
	t.Cleanup(tn.srv.Close)
	n, err := New(Config{Redis: rdb, Secret: testSecret, ID: NodeID(id), Rooms: managerRooms{tn.rooms}, NodeTTL: time.Second, LeaseTTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tn.Node = n
	obs.o = n.Observer()
	mux.Handle("POST "+InternalPath, n.Handler(managerActions{tn.rooms}))
	n.Start(tn.srv.URL, "127.0.0.1:1")
	t.Cleanup(func() {
		tn.rooms.Shutdown()
		n.Close(context.Background())
	})
	return tn
}

// forwardObserver lets the node's observer be set after the manager exists.
type forwardObserver struct {
	room.NopObserver
	o room.Observer
}

func (f *forwardObserver) RoomDestroyed(r room.RoomInfo, at time.Time) { f.o.RoomDestroyed(r, at) }

var nopSink = room.SinkFunc(func(room.Event) {})

// enter routes an enter like the signaling edge and the SDK do: follow the
// redirect to the owner and join there.
func enter(t *testing.T, nodes []*testNode, at int, key trtc.RoomKey, user string) (*room.Member, int, error) {
	for hops := 0; hops < 3; hops++ {
		url, done, err := nodes[at].Route(context.Background(), key)
		if err != nil {
			return nil, at, err
		}
		if url == "" {
			m, err := nodes[at].rooms.Join(room.JoinRequest{Key: key, UserID: trtc.UserID(user), Scene: trtc.SceneAudioCall, Sink: nopSink})
			done()
			return m, at, err
		}
		at = -1
		for i, n := range nodes {
			if strings.TrimPrefix(n.srv.URL, "http://") == strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/signal") {
				at = i
			}
		}
		if at < 0 {
			t.Errorf("redirect to unknown %s", url)
			return nil, at, errors.New("unknown node")
		}
	}
	return nil, at, errors.New("too many redirects")
}

func threeNodes(t *testing.T) (*redis.Client, []*testNode) {
	rdb := startRedis(t)
	var nodes []*testNode
	for _, id := range []string{"a", "b", "c"} {
		nodes = append(nodes, newTestNode(t, rdb, id))
	}
	return rdb, nodes
}

func TestConcurrentFirstEntersAgreeOnOneOwner(t *testing.T) {
	_, nodes := threeNodes(t)
	key := trtc.RoomKey{App: 1400000001, Num: 77}
	const joins = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, full := 0, 0
	owners := map[int]bool{}
	for i := range joins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, at, err := enter(t, nodes, i%3, key, fmt.Sprintf("u%d", i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
				owners[at] = true
			case errors.Is(err, room.ErrRoomFull):
				full++
				owners[at] = true
			default:
				t.Errorf("join %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if ok != 50 || full != joins-50 || len(owners) != 1 {
		t.Fatalf("%d joined, %d refused as full, served by nodes %v: want 50, %d, one node", ok, full, owners, joins-50)
	}
	live := 0
	for _, n := range nodes {
		if _, exists := n.rooms.Room(key); exists {
			live++
		}
	}
	if live != 1 {
		t.Fatalf("room lives on %d nodes", live)
	}
}

func TestDuplicateUserAcrossNodesNewerWins(t *testing.T) {
	_, nodes := threeNodes(t)
	key := trtc.RoomKey{App: 1400000001, Str: "dup"}
	var wg sync.WaitGroup
	for i := range 90 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// 30 users, each entering through all three nodes at once.
			if _, _, err := enter(t, nodes, i%3, key, fmt.Sprintf("u%d", i/3)); err != nil {
				t.Errorf("join: %v", err)
			}
		}()
	}
	wg.Wait()
	for _, n := range nodes {
		if r, ok := n.rooms.Room(key); ok {
			if a, _ := r.Counts(); a != 30 {
				t.Fatalf("%d members, want 30 (one session per userId)", a)
			}
		}
	}
}

func TestStaleFencingTokenRefused(t *testing.T) {
	rdb, nodes := threeNodes(t)
	ctx := context.Background()
	key := trtc.RoomKey{App: 1400000001, Num: 5}
	a, b := nodes[0], nodes[1]
	if _, _, err := enter(t, []*testNode{a}, 0, key, "x"); err != nil {
		t.Fatal(err)
	}
	old, held := a.Held(key)
	if !held || old == 0 {
		t.Fatalf("a holds %d, %v", old, held)
	}
	// The lease expires behind a's back (a stalled owner) and nobody took
	// the room: a's renewal re-creates it with its token.
	rdb.Del(ctx, leaseKey(key))
	if err := a.leases.renew(ctx, key, Lease{Node: "a", Token: old}); err != nil {
		t.Fatalf("renew of a vanished lease: %v", err)
	}
	if cur, ok, _ := a.leases.get(ctx, key); !ok || cur != (Lease{Node: "a", Token: old}) {
		t.Fatalf("re-created lease %+v, %v", cur, ok)
	}
	// It expires again and this time b takes the room.
	rdb.Del(ctx, leaseKey(key))
	l, err := b.leases.place(ctx, key, b.ID(), 0)
	if err != nil || l.Node != "b" || l.Token <= old {
		t.Fatalf("b placed %+v, %v", l, err)
	}
	if err := a.leases.renew(ctx, key, Lease{Node: "a", Token: old}); !errors.Is(err, ErrStaleToken) {
		t.Fatalf("renew with a stale token: %v", err)
	}
	if err := a.leases.release(ctx, key, Lease{Node: "a", Token: old}); !errors.Is(err, ErrStaleToken) {
		t.Fatalf("release with a stale token: %v", err)
	}
	if cur, ok, _ := a.leases.get(ctx, key); !ok || cur != l {
		t.Fatalf("b's lease after a's stale writes: %+v %v", cur, ok)
	}
	// a's renewal loop notices, drops the lease and ends its copy of the
	// room (its users are sent to b).
	a.renewAll(ctx)
	if _, held := a.Held(key); held {
		t.Fatal("a still holds the lease it lost")
	}
	if _, live := a.rooms.Room(key); live {
		t.Fatal("a's copy of the room lives on")
	}
	// An internal call carrying the old token is refused by the node that
	// now owns the room's number (b holds only the new token).
	b.mu.Lock()
	b.held[key] = l.Token
	b.mu.Unlock()
	err = a.forward(ctx, NodeInfo{ID: "b", URL: b.srv.URL}, roomCall{Action: actionDismissRoom, App: 1400000001, Num: 5, Token: old})
	if !errors.Is(err, ErrStaleToken) {
		t.Fatalf("internal call with a stale token: %v", err)
	}
}

func TestForgedRegistrationIgnored(t *testing.T) {
	rdb, nodes := threeNodes(t)
	ctx := context.Background()
	a := nodes[0]
	forged := NodeInfo{ID: "evil", URL: "http://127.0.0.1:1", Started: 1}
	forged.Sig = signNode([]byte("not-the-cluster-secret"), forged)
	raw, _ := json.Marshal(forged)
	rdb.Set(ctx, nodeKey("evil"), raw, time.Minute)
	rdb.ZAdd(ctx, nodesKey, redis.Z{Score: float64(time.Now().Add(time.Minute).UnixMilli()), Member: "evil"})
	list, err := a.nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range list {
		if n.ID == "evil" {
			t.Fatal("a forged registration was listed")
		}
	}
	if len(list) != 3 {
		t.Fatalf("%d nodes listed, want 3", len(list))
	}
	// A lease pointing at the forged node is treated as ownerless: the
	// room is re-placed on a real node, never redirected to the forger.
	key := trtc.RoomKey{App: 1400000001, Num: 9}
	rdb.HSet(ctx, leaseKey(key), "node", "evil", "token", 1)
	url, done, err := a.Route(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(url, "127.0.0.1:1/") {
		t.Fatalf("redirected to the forged node: %s", url)
	}
	if done != nil {
		done()
	}
	if l, _, _ := a.leases.get(ctx, key); l.Node == "evil" {
		t.Fatal("the forged owner kept the room")
	}
	if got := countMetric(t, a.metrics.rejected.WithLabelValues("registration")); got == 0 {
		t.Fatal("forged registration not counted")
	}
}

func TestForgedInternalCallsRefused(t *testing.T) {
	_, nodes := threeNodes(t)
	a, b := nodes[0], nodes[1]
	key := trtc.RoomKey{App: 1400000001, Num: 11}
	if _, _, err := enter(t, []*testNode{b}, 0, key, "victim"); err != nil {
		t.Fatal(err)
	}
	tok, _ := b.Held(key)
	body, _ := json.Marshal(roomCall{Action: actionDismissRoom, App: 1400000001, Num: 11, Token: tok})
	post := func(edit func(r *http.Request)) int {
		req, _ := http.NewRequest(http.MethodPost, b.srv.URL+InternalPath, bytes.NewReader(body))
		edit(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	now := time.Now()
	cases := []struct {
		name string
		edit func(r *http.Request)
	}{
		{"unsigned", func(r *http.Request) {}},
		{"wrong secret", func(r *http.Request) { sign(r, []byte("guessed-secret"), "a", body, now) }},
		{"stale time", func(r *http.Request) { sign(r, testSecret, "a", body, now.Add(-time.Minute)) }},
		{"future time", func(r *http.Request) { sign(r, testSecret, "a", body, now.Add(time.Minute)) }},
		{"other body", func(r *http.Request) { sign(r, testSecret, "a", []byte(`{}`), now) }},
		{"other node", func(r *http.Request) {
			sign(r, testSecret, "a", body, now)
			r.Header.Set(headerNode, "b")
		}},
	}
	for _, c := range cases {
		if code := post(c.edit); code != http.StatusUnauthorized {
			t.Errorf("%s: HTTP %d, want 401", c.name, code)
		}
	}
	// A captured genuine call replayed is refused the second time.
	var captured http.Header
	if code := post(func(r *http.Request) { sign(r, testSecret, "a", body, now); captured = r.Header.Clone() }); code != http.StatusOK {
		t.Fatalf("genuine call: HTTP %d", code)
	}
	if code := post(func(r *http.Request) { r.Header = captured }); code != http.StatusUnauthorized {
		t.Fatalf("replayed call: HTTP %d, want 401", code)
	}
	if _, ok := b.rooms.Room(key); ok {
		t.Fatal("the genuine DismissRoom did not dismiss")
	}
	_ = a
}

func TestRESTActionsReachTheOwner(t *testing.T) {
	_, nodes := threeNodes(t)
	key := trtc.RoomKey{App: 1400000001, Num: 12}
	m, owner, err := enter(t, nodes, 2, key, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := enter(t, nodes, 1, key, "u2"); err != nil {
		t.Fatal(err)
	}
	other := nodes[(owner+1)%3]
	admin := other.Admin(managerActions{other.rooms})
	ctx := context.Background()
	if err := admin.SetUserBlocked(ctx, key, "u1", room.Block{Audio: true}); err != nil {
		t.Fatalf("SetUserBlocked through a non-owner: %v", err)
	}
	if err := admin.RemoveUsers(ctx, key, []trtc.UserID{"u1"}); err != nil {
		t.Fatalf("RemoveUsers through a non-owner: %v", err)
	}
	if m.Room() == nil {
		t.Fatal("no room")
	}
	if err := admin.DismissRoom(ctx, key); err != nil {
		t.Fatalf("DismissRoom through a non-owner: %v", err)
	}
	nodes[owner].Flush()
	if err := admin.DismissRoom(ctx, key); !errors.Is(err, room.ErrRoomNotFound) {
		t.Fatalf("second DismissRoom: %v, want ErrRoomNotFound", err)
	}
	if err := admin.DismissRoom(ctx, trtc.RoomKey{App: 1400000001, Num: 999}); !errors.Is(err, room.ErrRoomNotFound) {
		t.Fatalf("DismissRoom of no room: %v", err)
	}
}

func TestKeysBoundedAfter10000Rooms(t *testing.T) {
	rdb := startRedis(t)
	n := newTestNode(t, rdb, "solo")
	// The baseline: the node's registration, the node set and the fencing
	// counter (one key for the cluster's life, created by the first room).
	warm := trtc.RoomKey{App: 1400000001, Num: 99999}
	if _, _, err := enter(t, []*testNode{n}, 0, warm, "u"); err != nil {
		t.Fatal(err)
	}
	if err := n.rooms.Dismiss(warm); err != nil {
		t.Fatal(err)
	}
	n.Flush()
	base := countKeys(t, rdb)
	const rooms, workers = 10000, 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < rooms; i += workers {
				key := trtc.RoomKey{App: 1400000001, Num: uint32(100000 + i)}
				if _, _, err := enter(t, []*testNode{n}, 0, key, "u"); err != nil {
					t.Errorf("room %d: %v", i, err)
					return
				}
				if err := n.rooms.Dismiss(key); err != nil {
					t.Errorf("dismiss %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n.Flush()
	if got := countKeys(t, rdb); got != base {
		t.Fatalf("%d keys after %d rooms came and went, %d before", got, rooms, base)
	}
	// Every placement took a token, except enters whose Redis work timed out
	// on a starved machine: those were served in degraded mode (token 0) and
	// their leases written later by the renewal loop, if at all.
	degraded := uint64(countMetric(t, n.metrics.degraded))
	if fence, _ := rdb.Get(context.Background(), fenceKey).Uint64(); fence+degraded <= rooms {
		t.Fatalf("fencing counter %d after %d placements (%d degraded)", fence, rooms, degraded)
	}
	t.Logf("%d rooms placed and ended; keys %d before and after", rooms, base)
}

func TestRedisUnreachableServesLocally(t *testing.T) {
	// A Redis address nobody listens on: every operation fails at once.
	opt, err := RedisOptions("127.0.0.1:1", "", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	n := newTestNode(t, rdb, "alone")
	key := trtc.RoomKey{App: 1400000001, Num: 3}
	start := time.Now()
	if _, _, err := enter(t, []*testNode{n}, 0, key, "u"); err != nil {
		t.Fatalf("enter with Redis away: %v", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("an enter with Redis away took %v", d)
	}
	if tok, held := n.Held(key); !held || tok != 0 {
		t.Fatalf("degraded room held with %d, %v; want token 0", tok, held)
	}
	if got := countMetric(t, n.metrics.degraded); got != 1 {
		t.Fatalf("degraded enters %v", got)
	}
}

func TestReadStatus(t *testing.T) {
	rdb, nodes := threeNodes(t)
	for i, num := range []uint32{21, 22, 23} {
		if _, _, err := enter(t, nodes, i, trtc.RoomKey{App: 1400000001, Num: num}, "u"); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range nodes {
		if err := n.heartbeat(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	st, err := ReadStatus(context.Background(), rdb, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Nodes) != 3 || !st.Verified || len(st.Forged) != 0 {
		t.Fatalf("status %+v", st)
	}
	rooms, leases := 0, 0
	for _, n := range st.Nodes {
		rooms += n.Load.Rooms
		leases += n.Leases
		if !strings.HasPrefix(n.Signal, "ws://127.0.0.1:") || !strings.HasSuffix(n.Signal, "/signal") {
			t.Fatalf("signal URL %q", n.Signal)
		}
	}
	if rooms != 3 || leases != 3 {
		t.Fatalf("%d rooms and %d leases over the nodes, want 3 and 3", rooms, leases)
	}
	// Without the secret, registrations are listed unverified.
	if st, err := ReadStatus(context.Background(), rdb, nil); err != nil || len(st.Nodes) != 3 || st.Verified {
		t.Fatalf("unverified status %+v, %v", st, err)
	}
}

func TestLeasesSurviveRedisLosingItsData(t *testing.T) {
	rdb, nodes := threeNodes(t)
	ctx := context.Background()
	for i := range 5 { // a few placements so the counter is past 1
		if _, _, err := enter(t, nodes, i%3, trtc.RoomKey{App: 1400000001, Num: uint32(40 + i)}, "u"); err != nil {
			t.Fatal(err)
		}
	}
	key := trtc.RoomKey{App: 1400000001, Num: 31}
	_, at, err := enter(t, nodes, 0, key, "u")
	if err != nil {
		t.Fatal(err)
	}
	owner := nodes[at]
	tok, _ := owner.Held(key)
	rdb.FlushAll(ctx) // Redis restarted without persistence
	owner.renewAll(ctx)
	if cur, ok, _ := owner.leases.get(ctx, key); !ok || cur != (Lease{Node: owner.ID(), Token: tok}) {
		t.Fatalf("lease after Redis lost its data: %+v, %v; want %s's token %d", cur, ok, owner.ID(), tok)
	}
	l, err := owner.leases.place(ctx, trtc.RoomKey{App: 1400000001, Num: 32}, "b", 0)
	if err != nil || l.Token <= tok {
		t.Fatalf("token granted after the restart %d, want above %d (%v)", l.Token, tok, err)
	}
}

func TestRESTOnAnOrphanLeaseIsRoomNotFound(t *testing.T) {
	_, nodes := threeNodes(t)
	ctx := context.Background()
	key := trtc.RoomKey{App: 1400000001, Num: 51}
	// a placed the room on b, but the client never followed the redirect.
	if _, err := nodes[0].leases.place(ctx, key, "b", 0); err != nil {
		t.Fatal(err)
	}
	admin := nodes[0].Admin(managerActions{nodes[0].rooms})
	if err := admin.DismissRoom(ctx, key); !errors.Is(err, room.ErrRoomNotFound) {
		t.Fatalf("DismissRoom of a room placed but never entered: %v", err)
	}
}

// TestDeadOwnerRoomIsReplaced: an owner that stops heartbeating (killed)
// leaves a lease behind; once its registration has expired, the next enter
// takes the room over with a larger token, and the dead owner's token is
// refused should it come back.
func TestDeadOwnerRoomIsReplaced(t *testing.T) {
	rdb, nodes := threeNodes(t)
	ctx := context.Background()
	key := trtc.RoomKey{App: 1400000001, Num: 61}
	_, at, err := enter(t, nodes, 0, key, "u")
	if err != nil {
		t.Fatal(err)
	}
	dead, other := nodes[at], nodes[(at+1)%3]
	old, _ := dead.Held(key)
	// Wait for Redis to expire the registration: its keyspace event.
	if err := rdb.ConfigSet(ctx, "notify-keyspace-events", "Ex").Err(); err != nil {
		t.Fatal(err)
	}
	sub := rdb.Subscribe(ctx, "__keyevent@0__:expired")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription is live
		t.Fatal(err)
	}
	dead.stop() // its heartbeats and renewals stop, as with SIGKILL
	dead.bg.Wait()
	timeout := time.After(5 * time.Second)
	for expired := false; !expired; {
		select {
		case m := <-sub.Channel():
			expired = m.Payload == nodeKey(dead.ID())
		case <-timeout:
			t.Fatal("the dead node's registration did not expire")
		}
	}
	_, now, err := enter(t, nodes, (at+1)%3, key, "v")
	if err != nil || now == at {
		t.Fatalf("enter after the owner died: served by %d (dead: %d), %v", now, at, err)
	}
	l, ok, _ := other.leases.get(ctx, key)
	if !ok || l.Node == dead.ID() || l.Token <= old {
		t.Fatalf("lease after the owner died: %+v %v (old token %d)", l, ok, old)
	}
	if err := dead.leases.renew(ctx, key, Lease{Node: dead.ID(), Token: old}); !errors.Is(err, ErrStaleToken) {
		t.Fatalf("the dead owner's renewal: %v", err)
	}
}
