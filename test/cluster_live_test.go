package test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/rtc"
)

// LIVE rooms across nodes through placement (docs/cluster.md, "LIVE rooms
// across nodes"): three real servers on one redis-server, each capped at a
// few users, where audience that does not fit on the room's owner is served
// by edges mirroring the room over the relay.

// clLiveCap is each node's user cap in these tests.
const clLiveCap = 4

func clLiveNodes(t *testing.T, opts ...func(*config.Config)) []*Env {
	t.Helper()
	return clNodes(t, 3, append([]func(*config.Config){func(c *config.Config) { c.Cluster.MaxUsers = clLiveCap }}, opts...)...)
}

// users counts the users a node serves (mirrored anchors included).
func users(e *Env) int {
	_, n := e.Srv.Rooms().Stats()
	return n
}

func TestClusterLiveAudienceSpreadOverNodes(t *testing.T) {
	nodes := clLiveNodes(t)
	const roomID = 8201
	key := trtc.RoomKey{App: appID, Num: roomID}
	alice := nodes[0].Join("alice", roomID, rtc.SceneLive, rtc.RoleAnchor) // the room's owner: node 1

	// Nine viewers, all given node 1's URL: node 1 holds alice and three of
	// them; each later one is sent to a node with room to spare, which
	// serves it as an edge (its mirror of alice counts as one of its users).
	var all []viewer
	for i := range 9 {
		name := "v" + strconv.Itoa(i)
		v := viewer{c: nodes[0].NewClient(name, nodes[0].Srv.SignalURL()), s: newSink()}
		v.c.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, v.s)
		v.c.SetAudioFrameObserver(rtc.AudioFormatOpus, v.s)
		v.c.EnterRoom(nodes[0].Params(name, roomID, rtc.RoleAudience), rtc.SceneLive)
		if r := v.c.WaitEnter(); r <= 0 {
			t.Fatalf("%s: OnEnterRoom(%d)", name, r)
		}
		all = append(all, v)
	}
	for i, e := range nodes {
		if got := users(e); got != clLiveCap {
			t.Fatalf("node %d serves %d users, want %d (its cap)", i+1, got, clLiveCap)
		}
	}
	if clOwner(t, nodes[:1], key) != 0 || nodes[1].Srv.Cluster().Mirrors() != 1 || nodes[2].Srv.Cluster().Mirrors() != 1 {
		t.Fatalf("want node 1 owning the room and nodes 2 and 3 mirroring it")
	}
	// A tenth viewer finds every node full.
	extra := nodes[2].NewClient("v9", nodes[2].Srv.SignalURL())
	extra.EnterRoom(nodes[2].Params("v9", roomID, rtc.RoleAudience), rtc.SceneLive)
	if r := extra.WaitEnter(); r != trtc.ErrServerOverloaded {
		t.Fatalf("a viewer beyond every node's cap: OnEnterRoom(%d), want %d", r, trtc.ErrServerOverloaded)
	}

	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	ready := func() bool {
		for _, v := range all {
			if !v.c.seen("OnFirstVideoFrame") || !v.c.seen("OnFirstAudioFrame", "alice") {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(10 * time.Second)
	for n := uint32(0); !ready(); n++ {
		if time.Now().After(deadline) {
			t.Fatalf("no media at every viewer within 10s; links %+v", nodes[0].Srv.RelayLinks())
		}
		send(t, alice, 0, n, true)
		time.Sleep(20 * time.Millisecond) // the sender's frame rate, not a wait
	}

	// The counted run: every frame reaches every viewer, on every node, in
	// order and byte-identical.
	const count = 100
	var wantV, wantA [][]byte
	for i := range uint32(count) {
		v, a := send(t, alice, 1, i, i%30 == 0)
		wantV, wantA = append(wantV, v), append(wantA, a)
		time.Sleep(5 * time.Millisecond)
	}
	stop := make(chan struct{})
	tail := tailFrames(alice, stop)
	for _, v := range all {
		waitFor(t, waitTimeout, v.c.ID+" receiving every frame", func() bool {
			gv, ga := v.s.counted("alice")
			return len(gv) >= count && len(ga) >= count
		})
		gv, ga := v.s.counted("alice")
		same(t, v.c.ID+" video", gv, wantV)
		same(t, v.c.ID+" audio", ga, wantA)
	}
	close(stop)
	tail.Wait()
	// Each edge pulls alice's two streams once for its three viewers.
	if links := nodes[0].Srv.RelayLinks(); len(links) != 2 || links[0].Sent != 2 || links[1].Sent != 2 {
		t.Fatalf("origin links %+v, want two links sending 2 streams each", links)
	}

	// A custom message of alice reaches the viewers of every node.
	if !alice.SendCustomCmdMsg(2, []byte("to every node"), true, true) {
		t.Fatal("SendCustomCmdMsg refused")
	}
	for _, v := range all {
		v.c.waitSeen("OnRecvCustomCmdMsg", "alice", 2, uint32(1), "to every node")
	}

	// A viewer on an edge becomes an anchor: she publishes where she is,
	// and the edge sends her up the link to the origin (alice sees her).
	var onEdge viewer
	for _, v := range all {
		if memberOn(nodes[2], key, v.c.ID) {
			onEdge = v
			break
		}
	}
	if onEdge.c == nil {
		t.Fatal("no viewer on node 3")
	}
	alice.SetRemoteVideoRenderCallback(onEdge.c.ID, rtc.VideoFormatVP8, newSink())
	onEdge.c.SwitchRole(rtc.RoleAnchor)
	onEdge.c.Wait("OnSwitchRole", 0)
	onEdge.c.EnableCustomVideoCapture(rtc.StreamBig, true)
	onEdge.c.EnableCustomAudioCapture(true)
	pumping := make(chan struct{})
	pumped := pump(onEdge.c, pumping, false)
	alice.waitSeen("OnRemoteUserEnterRoom", onEdge.c.ID)
	alice.waitSeen("OnFirstVideoFrame", onEdge.c.ID, int(rtc.StreamBig), 640, 360)
	close(pumping)
	pumped.Wait()

	// Node 2's viewers leave: its mirror ends, and so does its link.
	for _, v := range all {
		if memberOn(nodes[1], key, v.c.ID) {
			v.c.ExitRoom()
			v.c.Wait("OnExitRoom", 0)
		}
	}
	waitFor(t, waitTimeout, "node 2's mirror closed", func() bool {
		_, live := nodes[1].Srv.Rooms().Room(key)
		return nodes[1].Srv.Cluster().Mirrors() == 0 && len(nodes[0].Srv.RelayLinks()) == 1 && !live
	})
}

// memberOn reports whether user is a member of the room on node e.
func memberOn(e *Env, key trtc.RoomKey, user string) bool {
	r, ok := e.Srv.Rooms().Room(key)
	if !ok {
		return false
	}
	_, in := r.MemberRole(trtc.UserID(user))
	return in
}

// clEnterLive enters a LIVE room at the room API level the way a client
// does: through the node it reached, following redirects.
func clEnterLive(nodes []*Env, at int, key trtc.RoomKey, user string, role trtc.Role, sink room.Sink) (*room.Member, int, error) {
	for range 4 {
		url, done, err := nodes[at].Srv.Cluster().RouteEnter(context.Background(), key, trtc.UserID(user), trtc.SceneLive, role)
		if err != nil {
			return nil, at, err
		}
		if url == "" {
			m, err := nodes[at].Srv.Rooms().Join(room.JoinRequest{Key: key, UserID: trtc.UserID(user), Scene: trtc.SceneLive, Role: role, Sink: sink})
			done()
			return m, at, err
		}
		at = -1
		for i, e := range nodes {
			if e.Srv.SignalURL() == url {
				at = i
			}
		}
		if at < 0 {
			return nil, at, fmt.Errorf("redirect to an unknown node %s", url)
		}
	}
	return nil, at, errors.New("more than 3 redirects")
}

func TestClusterLiveAudienceCapAcrossNodes(t *testing.T) {
	// Room enough on the nodes (10 users each) for every enter: the
	// cluster-wide audience cap (5 here, 100,000 by default) is what refuses.
	const audienceCap = 5
	redis := clRedis(t)
	nodes := clNodesOn(t, redis.addr, 3, func(c *config.Config) {
		c.Cluster.MaxUsers = 10
		c.Limits.LiveMaxAudience = audienceCap
	})
	key := trtc.RoomKey{App: appID, Num: 8202}
	nop := room.SinkFunc(func(room.Event) {})
	host, _, err := clEnterLive(nodes, 0, key, "host", trtc.RoleAnchor, nop)
	if err != nil {
		t.Fatal(err)
	}
	// One viewer per node first, so that each edge mirrors the room; then
	// 24 concurrent enters through all three nodes race for the 2 places
	// left.
	var in []*room.Member
	for i := range nodes {
		m, at, err := clEnterLive(nodes, i, key, "first"+strconv.Itoa(i), trtc.RoleAudience, nop)
		if err != nil || at != i {
			t.Fatalf("viewer through node %d: served by node %d, %v", i+1, at+1, err)
		}
		in = append(in, m)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	full := 0
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, _, err := clEnterLive(nodes, i%3, key, "a"+strconv.Itoa(i), trtc.RoleAudience, nop)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				in = append(in, m)
			case errors.Is(err, room.ErrRoomFull):
				full++
			default:
				t.Errorf("enter %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, e := range nodes {
		if r, ok := e.Srv.Rooms().Room(key); ok {
			_, a := r.Counts()
			total += a
		}
	}
	ctx := context.Background()
	for _, e := range nodes {
		e.Srv.Cluster().FlushEdges()
	}
	counted, err := nodes[0].Srv.Cluster().Audience(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != audienceCap || full != 24+3-audienceCap || total != audienceCap || counted != audienceCap {
		t.Fatalf("%d entered, %d refused, %d audience in the rooms, %d counted: want %d, %d, %d, %d",
			len(in), full, total, counted, audienceCap, 24+3-audienceCap, audienceCap, audienceCap)
	}
	// A place given back is taken again.
	in[0].Leave()
	nodes[0].Srv.Cluster().FlushEdges()
	late, _, err := clEnterLive(nodes, 2, key, "late", trtc.RoleAudience, nop)
	if err != nil {
		t.Fatalf("an enter after a viewer left: %v", err)
	}

	// A client entering through an edge now is told the room is full.
	refused := nodes[1].NewClient("sdk-viewer", nodes[1].Srv.SignalURL())
	refused.EnterRoom(nodes[1].Params("sdk-viewer", 8202, rtc.RoleAudience), rtc.SceneLive)
	if r := refused.WaitEnter(); r != trtc.ErrRoomFull {
		t.Fatalf("an SDK enter beyond the audience cap: OnEnterRoom(%d), want %d", r, trtc.ErrRoomFull)
	}

	// Everybody leaves: the member table is gone from Redis, and so are
	// the edges' mirrors.
	for _, m := range append(in[1:], late, host) {
		m.Leave()
	}
	for _, e := range nodes {
		e.Srv.Cluster().FlushEdges()
	}
	rdb := clRedisClient(t, redis.addr)
	if n, err := rdb.Exists(ctx, "rtcengine:{cluster}:members:"+key.String()).Result(); err != nil || n != 0 {
		t.Fatalf("member table left in Redis (%d, %v): %v", n, err, rdb.HGetAll(ctx, "rtcengine:{cluster}:members:"+key.String()).Val())
	}
	waitFor(t, waitTimeout, "the edges' mirrors closed", func() bool {
		return nodes[1].Srv.Cluster().Mirrors() == 0 && nodes[2].Srv.Cluster().Mirrors() == 0
	})
}

func TestClusterLiveDuplicateUserAcrossNodes(t *testing.T) {
	nodes := clLiveNodes(t)
	const roomID = 8203
	key := trtc.RoomKey{App: appID, Num: roomID}
	nodes[0].Join("host", roomID, rtc.SceneLive, rtc.RoleAnchor) // owner: node 1

	// dan watches through node 2 (an edge), then enters again through node
	// 1 (the owner): the newer session wins, the older is told so.
	onEdge := nodes[1].Join("dan", roomID, rtc.SceneLive, rtc.RoleAudience)
	if !memberOn(nodes[1], key, "dan") || nodes[1].Srv.Cluster().Mirrors() != 1 {
		t.Fatal("dan is not served by node 2 as an edge")
	}
	onOwner := nodes[0].Join("dan", roomID, rtc.SceneLive, rtc.RoleAudience)
	onEdge.Wait("OnExitRoom", 1)
	// Node 2 had no other viewer: its mirror ends.
	waitFor(t, waitTimeout, "node 2's mirror closed", func() bool {
		_, live := nodes[1].Srv.Rooms().Room(key)
		return nodes[1].Srv.Cluster().Mirrors() == 0 && !live
	})

	// dan enters a third time, through node 3: the session on the owner ends.
	onEdge3 := nodes[2].Join("dan", roomID, rtc.SceneLive, rtc.RoleAudience)
	onOwner.Wait("OnExitRoom", 1)
	waitFor(t, waitTimeout, "one session of dan, on node 3", func() bool {
		return !memberOn(nodes[0], key, "dan") && memberOn(nodes[2], key, "dan")
	})
	onEdge3.Never(200*time.Millisecond, "OnExitRoom")
	for _, e := range nodes {
		e.Srv.Cluster().FlushEdges()
	}
	if n, err := nodes[0].Srv.Cluster().Audience(context.Background(), key); err != nil || n != 1 {
		t.Fatalf("audience counted across nodes: %d (%v), want 1", n, err)
	}

	// An anchor with dan's userId enters the owner: dan's audience session
	// on node 3 ends too (anchors and audience share the userId table).
	nodes[0].Join("dan", roomID, rtc.SceneLive, rtc.RoleAnchor)
	onEdge3.Wait("OnExitRoom", 1)
	waitFor(t, waitTimeout, "node 3's mirror closed", func() bool { return nodes[2].Srv.Cluster().Mirrors() == 0 })
	for _, e := range nodes {
		e.Srv.Cluster().FlushEdges()
	}
	if n, _ := nodes[0].Srv.Cluster().Audience(context.Background(), key); n != 0 {
		t.Fatalf("audience counted across nodes: %d, want 0", n)
	}
}

// An edge follows its room: when the room ends on its owner the edge's
// mirror closes, and when an anchor brings the room back on another node
// the edge, whose viewer stayed, pulls it from the new owner.
func TestClusterLiveEdgeFollowsOwner(t *testing.T) {
	nodes := clLiveNodes(t, func(c *config.Config) {
		c.Cluster.NodeTTL, c.Cluster.LeaseTTL = 600*time.Millisecond, 600*time.Millisecond
	})
	const roomID = 8204
	key := trtc.RoomKey{App: appID, Num: roomID}
	alice := nodes[0].Join("alice", roomID, rtc.SceneLive, rtc.RoleAnchor) // owner: node 1
	v := nodes[1].Join("viewer", roomID, rtc.SceneLive, rtc.RoleAudience)
	v.waitSeen("OnRemoteUserEnterRoom", "alice")
	if nodes[1].Srv.Cluster().Mirrors() != 1 {
		t.Fatal("node 2 does not mirror the room")
	}

	alice.ExitRoom()
	v.Wait("OnRemoteUserLeaveRoom", "alice")
	waitFor(t, waitTimeout, "node 2's mirror closed after the room ended on node 1", func() bool {
		_, onOwner := nodes[0].Srv.Rooms().Room(key)
		return !onOwner && nodes[1].Srv.Cluster().Mirrors() == 0
	})
	if !memberOn(nodes[1], key, "viewer") {
		t.Fatal("the viewer was sent out of the room")
	}

	// bob brings the room back through node 3, its new owner.
	bob := nodes[2].Join("bob", roomID, rtc.SceneLive, rtc.RoleAnchor)
	if clOwner(t, []*Env{nodes[0], nodes[2]}, key) != 1 {
		t.Fatal("the room did not come back on node 3")
	}
	v.SetRemoteVideoRenderCallback("bob", rtc.VideoFormatVP8, newSink())
	bob.EnableCustomVideoCapture(rtc.StreamBig, true)
	bob.EnableCustomAudioCapture(true)
	stop := make(chan struct{})
	pumped := pump(bob, stop, false)
	v.waitSeen("OnRemoteUserEnterRoom", "bob")
	v.waitSeen("OnFirstVideoFrame", "bob", int(rtc.StreamBig), 640, 360)
	close(stop)
	pumped.Wait()
	if links := nodes[2].Srv.RelayLinks(); len(links) != 1 || nodes[1].Srv.Cluster().Mirrors() != 1 {
		t.Fatalf("node 3 serves links %+v; node 2 mirrors %d rooms: want one link", links, nodes[1].Srv.Cluster().Mirrors())
	}
	v.Never(0, "OnExitRoom")
}
