package test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rtcengine/rtcengine/internal/cluster"
	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/rtc"
)

// Cluster tests (docs/cluster.md): three real nodes on loopback, each with
// its own HTTP and media UDP port, coordinated through a real redis-server
// started for the test.

const clSecret = "cluster-integration-test-secret"

// clRedisServer is a redis-server on a loopback port that a test can stop
// and start again (empty: it persists nothing).
type clRedisServer struct {
	t    *testing.T
	addr string
	dir  string
	cmd  *exec.Cmd
}

// clRedis starts redis-server on a free loopback port for the test.
func clRedis(t *testing.T) *clRedisServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &clRedisServer{t: t, addr: ln.Addr().String(), dir: t.TempDir()}
	ln.Close()
	r.start()
	t.Cleanup(r.stop)
	return r
}

// start runs the server and waits for its own "ready" line.
func (r *clRedisServer) start() {
	t := r.t
	t.Helper()
	_, port, _ := net.SplitHostPort(r.addr)
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", r.dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-server (make deps installs it): %v", err)
	}
	r.cmd = cmd
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := false
		for sc.Scan() {
			if !ok && strings.Contains(sc.Text(), "Ready to accept connections") {
				ok = true
				ready <- true
			}
		}
		if !ok {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("redis-server exited before it was ready")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("redis-server not ready within 10s")
	}
}

// stop kills the server (idempotent).
func (r *clRedisServer) stop() {
	if r.cmd != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// clNodes starts n nodes of one cluster.
func clNodes(t *testing.T, n int, opts ...func(*config.Config)) []*Env {
	t.Helper()
	return clNodesOn(t, clRedis(t).addr, n, opts...)
}

// clNodesOn starts n nodes of the cluster whose Redis is at addr.
func clNodesOn(t *testing.T, addr string, n int, opts ...func(*config.Config)) []*Env {
	t.Helper()
	var nodes []*Env
	for i := range n {
		nodes = append(nodes, NewEnv(t, append([]func(*config.Config){func(c *config.Config) {
			c.Redis = addr
			c.Cluster.Secret = clSecret
			c.Cluster.NodeID = "node-" + strconv.Itoa(i+1)
		}}, opts...)...))
	}
	return nodes
}

// clOwner returns the node where the room lives, failing unless exactly
// one node has it.
func clOwner(t *testing.T, nodes []*Env, key trtc.RoomKey) int {
	t.Helper()
	owner := -1
	for i, e := range nodes {
		if _, ok := e.Srv.Rooms().Room(key); ok {
			if owner >= 0 {
				t.Fatalf("room %s lives on node %d and node %d", key, owner+1, i+1)
			}
			owner = i
		}
	}
	if owner < 0 {
		t.Fatalf("room %s lives nowhere", key)
	}
	return owner
}

func TestClusterUsersMeetAcrossNodes(t *testing.T) {
	nodes := clNodes(t, 3)
	const roomID = 8101
	users := []string{"alice", "bob", "carol"}
	var clients []*Client
	for i, u := range users {
		clients = append(clients, nodes[i].Join(u, roomID, rtc.SceneVideoCall, rtc.RoleAnchor))
	}
	for i, c := range clients {
		for j, u := range users {
			if i != j {
				c.waitSeen("OnRemoteUserEnterRoom", u)
			}
		}
	}
	owner := clOwner(t, nodes, trtc.RoomKey{App: appID, Num: roomID})
	r, _ := nodes[owner].Srv.Rooms().Room(trtc.RoomKey{App: appID, Num: roomID})
	if a, _ := r.Counts(); a != 3 {
		t.Fatalf("the owner holds %d members, want 3", a)
	}
	for _, c := range clients {
		for _, e := range c.rec.All() {
			if e.Name == "OnEnterRoom" {
				t.Logf("%s entered in %v ms", c.ID, e.Args[0]) // alice reached the owner; bob and carol were redirected
			}
		}
	}
	// The two users who reached other nodes were redirected to the owner.
	for i, e := range nodes {
		if i != owner && !strings.Contains(get(t, e.Srv.URL()+"/metrics"), "rtcengine_cluster_redirects_total 1") {
			t.Fatalf("node %d redirected no enter", i+1)
		}
	}

	// Media: alice publishes; bob and carol, who entered through other
	// nodes, render her video and hear her audio.
	alice := clients[0]
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	for _, c := range clients[1:] {
		c.waitSeen("OnUserVideoAvailable", "alice", true)
	}
	ready := func() bool {
		for _, c := range clients[1:] {
			if !c.seen("OnFirstVideoFrame") || !c.seen("OnFirstAudioFrame", "alice") {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(8 * time.Second)
	for n := uint32(0); !ready(); n++ {
		if time.Now().After(deadline) {
			t.Fatalf("no media across the cluster within 8s: bob %v", clients[1].rec.All())
		}
		send(t, alice, 0, n, true)
		time.Sleep(20 * time.Millisecond) // the frame rate of the sender, not a wait
	}
	for _, c := range clients[1:] {
		c.Saw("OnFirstVideoFrame", "alice", int(rtc.StreamBig), 640, 360)
	}
}

func TestClusterRESTThroughNonOwner(t *testing.T) {
	nodes := clNodes(t, 3)
	const roomID = 8102
	a := nodes[0].Join("a", roomID, rtc.SceneVideoCall, 0)
	b := nodes[1].Join("b", roomID, rtc.SceneVideoCall, 0)
	c := nodes[2].Join("c", roomID, rtc.SceneVideoCall, 0)
	a.waitSeen("OnRemoteUserEnterRoom", "c")
	owner := clOwner(t, nodes, trtc.RoomKey{App: appID, Num: roomID})
	other1, other2 := nodes[(owner+1)%3], nodes[(owner+2)%3]

	if code := other1.call("RemoveUser", map[string]any{"SdkAppId": appID, "RoomId": roomID, "UserIds": []string{"b"}}); code != "" {
		t.Fatalf("RemoveUser through a non-owner: %s", code)
	}
	b.Wait("OnExitRoom", 1)
	a.waitSeen("OnRemoteUserLeaveRoom", "b", 2)
	c.waitSeen("OnRemoteUserLeaveRoom", "b", 2)

	if code := other2.call("DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": roomID}); code != "" {
		t.Fatalf("DismissRoom through a non-owner: %s", code)
	}
	a.Wait("OnExitRoom", 2)
	c.Wait("OnExitRoom", 2)
	nodes[owner].Srv.Cluster().Flush()
	if code := other1.call("DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": roomID}); code != "FailedOperation.RoomNotExist" {
		t.Fatalf("DismissRoom of the ended room through a non-owner: %q", code)
	}
}

// clEnter enters a room at the room API level the way a client does:
// through the node it reached, following a redirect to the owner.
func clEnter(nodes []*Env, at int, key trtc.RoomKey, user string, sink room.Sink) (*room.Member, error) {
	for range 3 {
		url, done, err := nodes[at].Srv.Cluster().Route(context.Background(), key)
		if err != nil {
			return nil, err
		}
		if url == "" {
			m, err := nodes[at].Srv.Rooms().Join(room.JoinRequest{Key: key, UserID: trtc.UserID(user), Scene: trtc.SceneAudioCall, Sink: sink})
			done()
			return m, err
		}
		at = -1
		for i, e := range nodes {
			if e.Srv.SignalURL() == url {
				at = i
			}
		}
		if at < 0 {
			return nil, fmt.Errorf("redirect to an unknown node %s", url)
		}
	}
	return nil, errors.New("more than 3 redirects")
}

func TestClusterCapsAndDuplicatesUnderConcurrentJoins(t *testing.T) {
	nodes := clNodes(t, 3, func(c *config.Config) { c.Limits.CallMaxUsers = 50 })
	nop := room.SinkFunc(func(room.Event) {})

	// 200 different users enter one audio-call room capped at 50 at once,
	// through all three nodes: exactly 50 get in, all on one node.
	capped := trtc.RoomKey{App: appID, Num: 8103}
	var wg sync.WaitGroup
	var mu sync.Mutex
	in, full := 0, 0
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := clEnter(nodes, i%3, capped, "u"+strconv.Itoa(i), nop)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				in++
			case errors.Is(err, room.ErrRoomFull):
				full++
			default:
				t.Errorf("enter %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	r, _ := nodes[clOwner(t, nodes, capped)].Srv.Rooms().Room(capped)
	if a, _ := r.Counts(); in != 50 || full != 150 || a != 50 {
		t.Fatalf("%d entered, %d refused, %d members: want 50, 150, 50", in, full, a)
	}

	// 40 users each enter another room through all three nodes at once
	// (120 enters): the newer session wins, one member per userId, and
	// every replaced session is told so.
	dup := trtc.RoomKey{App: appID, Str: "dup-8104"}
	kicked := 0
	for i := range 120 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sink := room.SinkFunc(func(e room.Event) {
				if e.Kind == room.EventKicked && errors.Is(e.Err, room.ErrReplaced) {
					mu.Lock()
					kicked++
					mu.Unlock()
				}
			})
			if _, err := clEnter(nodes, i%3, dup, "d"+strconv.Itoa(i/3), sink); err != nil {
				t.Errorf("enter %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	r, _ = nodes[clOwner(t, nodes, dup)].Srv.Rooms().Room(dup)
	mu.Lock()
	defer mu.Unlock()
	if a, _ := r.Counts(); a != 40 || kicked != 80 {
		t.Fatalf("%d members and %d replaced sessions, want 40 and 80", a, kicked)
	}
}

func TestClusterRefusesForgedInternalCalls(t *testing.T) {
	nodes := clNodes(t, 2)
	a := nodes[0].Join("a", 8105, rtc.SceneVideoCall, 0)
	owner := clOwner(t, nodes, trtc.RoomKey{App: appID, Num: 8105})
	target := nodes[owner].Srv.URL() + cluster.InternalPath
	body := `{"action":"DismissRoom","app":1400000001,"num":8105,"token":1}`
	for _, h := range []map[string]string{
		{},
		{"X-Rtcengine-Node": "node-2", "X-Rtcengine-Time": strconv.FormatInt(time.Now().UnixMilli(), 10),
			"X-Rtcengine-Nonce": "00112233445566778899aabbccddeeff", "X-Rtcengine-Signature": strings.Repeat("ab", 32)},
	} {
		req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged internal call: HTTP %d, want 401", resp.StatusCode)
		}
	}
	a.Never(100*time.Millisecond, "OnExitRoom")
	if m := get(t, nodes[owner].Srv.URL()+"/metrics"); !strings.Contains(m, `rtcengine_cluster_rejected_total{kind="call"} 2`) {
		t.Fatalf("refusals not counted in /metrics")
	}
}

// TestClusterDrainMovesClients: a node that stops (SIGTERM runs Shutdown)
// leaves the cluster first; its clients, told to reconnect, come back
// through the URL they were configured with and meet again on a live node.
func TestClusterDrainMovesClients(t *testing.T) {
	nodes := clNodes(t, 2)
	const roomID = 8106
	key := trtc.RoomKey{App: appID, Num: roomID}
	// carol places the room on node 1; alice and bob know only node 2.
	carol := nodes[0].Join("carol", roomID, rtc.SceneVideoCall, 0)
	alice := nodes[1].Join("alice", roomID, rtc.SceneVideoCall, 0)
	bob := nodes[1].Join("bob", roomID, rtc.SceneVideoCall, 0)
	carol.waitSeen("OnRemoteUserEnterRoom", "bob")
	if owner := clOwner(t, nodes, key); owner != 0 {
		t.Fatalf("room placed on node %d, want node 1", owner+1)
	}
	start := time.Now()
	go func() { _ = nodes[0].Srv.Shutdown(t.Context()) }()
	alice.Wait("OnConnectionLost")
	bob.waitSeen("OnConnectionLost")
	alice.waitSeen("OnConnectionRecovery")
	bob.waitSeen("OnConnectionRecovery")
	t.Logf("clients moved to the live node in %v", time.Since(start).Round(time.Millisecond))
	waitFor(t, waitTimeout, "alice and bob together on node 2", func() bool {
		r, ok := nodes[1].Srv.Rooms().Room(key)
		if !ok {
			return false
		}
		a, _ := r.Counts()
		return a == 2
	})
	if tok, held := nodes[1].Srv.Cluster().Held(key); !held || tok == 0 {
		t.Fatalf("node 2 serves the room without its lease (%d, %v)", tok, held)
	}
}

// TestClusterSurvivesRedisOutage: with Redis gone, running rooms keep
// running and new rooms are served where they are entered (degraded mode);
// no node drains or exits; when Redis comes back (empty), owners re-create
// their leases and degraded rooms are placed, so routing works again.
func TestClusterSurvivesRedisOutage(t *testing.T) {
	redis := clRedis(t)
	short := func(c *config.Config) {
		c.Cluster.NodeTTL, c.Cluster.LeaseTTL = 600*time.Millisecond, 600*time.Millisecond
	}
	nodes := clNodesOn(t, redis.addr, 2, short)
	running := trtc.RoomKey{App: appID, Num: 8107}
	alice := nodes[0].Join("alice", 8107, rtc.SceneVideoCall, 0)
	bob := nodes[1].Join("bob", 8107, rtc.SceneVideoCall, 0) // redirected to node 1
	alice.Wait("OnRemoteUserEnterRoom", "bob")

	redis.stop()
	// The running room takes a new user through its owner, and a new room
	// is served by the node it was entered through.
	carol := nodes[0].Join("carol", 8107, rtc.SceneVideoCall, 0)
	bob.waitSeen("OnRemoteUserEnterRoom", "carol")
	dave := nodes[1].Join("dave", 8108, rtc.SceneVideoCall, 0)
	if _, ok := nodes[1].Srv.Rooms().Room(trtc.RoomKey{App: appID, Num: 8108}); !ok {
		t.Fatal("the new room is not served where it was entered")
	}
	if code := nodes[0].call("RemoveUser", map[string]any{"SdkAppId": appID, "RoomId": 8107, "UserIds": []string{"carol"}}); code != "" {
		t.Fatalf("REST on the owner with Redis away: %s", code)
	}
	carol.Wait("OnExitRoom", 1)
	for i, e := range nodes {
		if m := get(t, e.Srv.URL()+"/healthz"); !strings.Contains(m, `"status":"ok"`) {
			t.Fatalf("node %d unhealthy with Redis away: %s", i+1, m)
		}
	}

	redisBack := time.Now()
	redis.start() // empty: it persisted nothing
	ctx := context.Background()
	waitFor(t, waitTimeout, "leases back in Redis", func() bool {
		_, a := nodes[0].Srv.Cluster().Held(running)
		tok, b := nodes[1].Srv.Cluster().Held(trtc.RoomKey{App: appID, Num: 8108})
		st, err := cluster.ReadStatus(ctx, clRedisClient(t, redis.addr), []byte(clSecret))
		return a && b && tok != 0 && err == nil && len(st.Nodes) == 2 && st.Leases["node-1"] == 1 && st.Leases["node-2"] == 1
	})
	// Routing works again: an enter of the degraded room through node 1
	// goes to node 2, which placed it.
	eve := nodes[0].Join("eve", 8108, rtc.SceneVideoCall, 0)
	dave.waitSeen("OnRemoteUserEnterRoom", "eve")
	for _, c := range []*Client{alice, bob, dave} {
		if c.seen("OnConnectionLost") || c.seen("OnExitRoom") {
			for _, e := range c.rec.All() {
				t.Logf("%s %s %s", c.ID, e.At.Format("15:04:05.000"), e)
			}
			t.Logf("redis back at %s", redisBack.Format("15:04:05.000"))
			t.Fatalf("%s was disturbed by the Redis outage: %v", c.ID, c.rec.All())
		}
	}
	_ = eve
}

// clRedisClient is a Redis client for reading the cluster's state.
func clRedisClient(t *testing.T, addr string) *goredis.Client {
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestClusterWHIPThroughNonOwner: a WHIP POST reaching a node that does
// not own the room is sent to the owner with 307 (the POST is repeated
// there with its body), so WHIP never creates a second copy of a room.
func TestClusterWHIPThroughNonOwner(t *testing.T) {
	nodes := clNodes(t, 2)
	const roomID = 8109
	alice := nodes[0].Join("alice", roomID, rtc.SceneVideoCall, 0) // the room lives on node 1
	token := whipToken(t, "obs", roomID)

	req, _ := http.NewRequest(http.MethodPost, nodes[1].Srv.URL()+"/whip?scene=videocall", strings.NewReader("v=0\r\n"))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/sdp")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := nodes[0].Srv.URL() + "/whip?scene=videocall"; resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != want {
		t.Fatalf("POST through the non-owner: %d Location %q, want 307 to %s", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	obs := nodes[1].newWHIPPublisher("obs", token)
	obs.post("/whip?scene=videocall", obs.offer(false)) // the HTTP client follows the 307
	obs.waitConnected()
	alice.waitSeen("OnRemoteUserEnterRoom", "obs")
	clOwner(t, nodes, trtc.RoomKey{App: appID, Num: roomID})
}

// TestClusterReconcilesSplitRoom: while Redis is away two nodes each serve
// a copy of one room; when it returns, one copy is placed and the other
// node sends its users there, so everybody meets in one room again.
func TestClusterReconcilesSplitRoom(t *testing.T) {
	redis := clRedis(t)
	short := func(c *config.Config) {
		c.Cluster.NodeTTL, c.Cluster.LeaseTTL = 600*time.Millisecond, 600*time.Millisecond
	}
	nodes := clNodesOn(t, redis.addr, 2, short)
	const roomID = 8110
	key := trtc.RoomKey{App: appID, Num: roomID}
	redis.stop()
	alice := nodes[0].Join("alice", roomID, rtc.SceneVideoCall, 0)
	bob := nodes[1].Join("bob", roomID, rtc.SceneVideoCall, 0)
	for _, e := range nodes {
		if _, ok := e.Srv.Rooms().Room(key); !ok {
			t.Fatal("with Redis away, each node should serve its own copy")
		}
	}
	redis.start()
	alice.waitSeen("OnRemoteUserEnterRoom", "bob")
	bob.waitSeen("OnRemoteUserEnterRoom", "alice")
	owner := clOwner(t, nodes, key)
	r, _ := nodes[owner].Srv.Rooms().Room(key)
	if a, _ := r.Counts(); a != 2 {
		t.Fatalf("%d members in the surviving copy, want 2", a)
	}
	moved := bob
	if owner == 1 {
		moved = alice
	}
	moved.waitSeen("OnConnectionRecovery")
	if moved.seen("OnExitRoom") {
		t.Fatalf("%s was sent out of the room: %v", moved.ID, moved.rec.All())
	}
}
