package test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rtcengine/rtcengine/internal/cluster"
	"github.com/rtcengine/rtcengine/internal/pgtest"
	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// Node failures with real processes (docs/cluster.md, "When a node dies"):
// three `rtcengine serve` processes on one redis-server and one PostgreSQL,
// clients configured with one URL — a TCP load balancer in front of the
// nodes, as a deployment has.

// balancer is a TCP load balancer: each new connection goes to the next
// backend, round robin, skipping backends that refuse (a dead node), as a
// load balancer with passive health checks does.
type balancer struct {
	ln net.Listener

	mu       sync.Mutex
	backends []string
	next     int
	conns    []net.Conn
	closed   bool
	wg       sync.WaitGroup
}

func newBalancer(t *testing.T, backends ...string) *balancer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{ln: ln, backends: backends}
	b.wg.Add(1)
	go b.accept()
	t.Cleanup(b.close)
	return b
}

// URL is the signaling URL clients are configured with.
func (b *balancer) URL() string { return "ws://" + b.ln.Addr().String() + "/signal" }

// set replaces the backends (a node started again on a new port).
func (b *balancer) set(backends ...string) {
	b.mu.Lock()
	b.backends = backends
	b.mu.Unlock()
}

func (b *balancer) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			up := b.dial()
			if up == nil {
				c.Close()
				return
			}
			if !b.track(c, up) {
				return
			}
			done := make(chan struct{})
			go func() { _, _ = io.Copy(up, c); up.Close(); close(done) }()
			_, _ = io.Copy(c, up)
			c.Close()
			<-done
		}()
	}
}

// dial connects to the next backend that accepts.
func (b *balancer) dial() net.Conn {
	b.mu.Lock()
	backends, start := b.backends, b.next
	b.next++
	b.mu.Unlock()
	for i := range backends {
		if c, err := net.DialTimeout("tcp", backends[(start+i)%len(backends)], time.Second); err == nil {
			return c
		}
	}
	return nil
}

func (b *balancer) track(c ...net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		for _, x := range c {
			x.Close()
		}
		return false
	}
	b.conns = append(b.conns, c...)
	return true
}

func (b *balancer) close() {
	b.mu.Lock()
	b.closed = true
	for _, c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.ln.Close()
	b.wg.Wait()
}

// killCluster is the processes of TestClusterNodeFailures.
type killCluster struct {
	t     *testing.T
	bin   string
	dir   string
	redis *clRedisServer
	dsn   string
	hooks *hookReceiver
	nodes map[string]*child // by node id
}

// start runs node id (again: the same configuration, a new port).
func (k *killCluster) start(id string) *child {
	t := k.t
	t.Helper()
	cfgFile := filepath.Join(k.dir, id+".yaml")
	yaml := fmt.Sprintf(`listen: 127.0.0.1:0
udp_port: 0
data_dir: %s
redis: %s
postgres: %q
cluster:
  secret: %s
  node_id: %s
  node_ttl: 1s
  lease_ttl: 2s
limits:
  heartbeat_interval: 500ms
  heartbeat_timeout: 3s
apps:
  - sdkappid: %d
    sdk_secret: %s
    api_secret_id: %s
    api_secret_key: %s
    webhook_url: %s
    webhook_key: %s
webhook:
  timeout: 1s
  retry_interval: 20ms
  retry_window: 1h
`, filepath.Join(k.dir, id), k.redis.addr, k.dsn, clSecret, id, appID, appSecret, secretID, secretKey, k.hooks.URL(), hookKey)
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startChild(t, k.bin, cfgFile)
	k.nodes[id] = c
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s (%s) logged:\n%s", id, c.addr, c.stderr)
		}
	})
	return c
}

// addrs are the HTTP addresses of the nodes still running.
func (k *killCluster) addrs() []string {
	var out []string
	for _, id := range []string{"kill-1", "kill-2", "kill-3"} {
		if c := k.nodes[id]; c != nil && c.cmd.ProcessState == nil {
			out = append(out, c.addr)
		}
	}
	return out
}

// owner reads the node holding the room's lease in Redis.
func (k *killCluster) owner(ctx context.Context, room string) string {
	rdb := clRedisClient(k.t, k.redis.addr)
	node, _ := rdb.HGet(ctx, "rtcengine:{cluster}:lease:"+room, "node").Result()
	return node
}

// clientVia makes a client whose one configured URL is url and enters it.
func clientVia(t *testing.T, url, user string, room uint32) *Client {
	t.Helper()
	sig, err := usersig.GenUserSig(appID, appSecret, user, 3600)
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder()
	cloud := rtc.NewCloud(rtc.WithServer(url), rtc.WithConnectTimeout(5*time.Second))
	cloud.SetListener(rec)
	t.Cleanup(cloud.Close)
	c := &Client{Cloud: cloud, rec: rec, t: t, ID: user}
	c.EnterRoom(rtc.Params{SDKAppID: appID, UserID: user, UserSig: sig, RoomID: room}, rtc.SceneVideoCall)
	if r := c.WaitEnter(); r <= 0 {
		t.Fatalf("%s: OnEnterRoom(%d)", user, r)
	}
	return c
}

// TestClusterNodeFailures: SIGKILL of a room's owner mid-call, SIGTERM of
// the next owner, then Redis away for 30 s, with three real node processes.
func TestClusterNodeFailures(t *testing.T) {
	ctx := context.Background()
	accept := make(chan struct{})
	k := &killCluster{t: t, bin: buildServer(t), dir: t.TempDir(), redis: clRedis(t), dsn: pgtest.Shared(t).NewDatabase(t), nodes: map[string]*child{}}
	// The receiver refuses every webhook until the owner is dead: what the
	// dead node appended must be delivered by the others.
	k.hooks = newHookReceiver(t, func(int) int {
		select {
		case <-accept:
			return 200
		default:
			return 500
		}
	})
	for _, id := range []string{"kill-1", "kill-2", "kill-3"} {
		k.start(id)
	}
	lb := newBalancer(t, k.addrs()...)
	const roomID = 8120
	const roomKey = "1400000001/8120"

	alice := clientVia(t, lb.URL(), "alice", roomID)
	bob := clientVia(t, lb.URL(), "bob", roomID)
	carol := clientVia(t, lb.URL(), "carol", roomID)
	// dave reaches the cluster through a path that breaks with the owner:
	// he never comes back.
	davePath := NewProxy(t, strings.TrimPrefix(strings.TrimSuffix(lb.URL(), "/signal"), "ws://"))
	dave := clientVia(t, davePath.URL(), "dave", roomID)
	for _, c := range []*Client{alice, bob, carol, dave} {
		for _, u := range []string{"alice", "bob", "carol", "dave"} {
			if u != c.ID {
				c.waitSeen("OnRemoteUserEnterRoom", u)
			}
		}
	}
	// alice and bob publish; everybody renders the others.
	sinks := map[string]*sink{}
	for _, c := range []*Client{alice, bob, carol} {
		sinks[c.ID] = newSink()
		for _, p := range []string{"alice", "bob"} {
			if p != c.ID {
				c.SetRemoteVideoRenderCallback(p, rtc.VideoFormatVP8, sinks[c.ID])
			}
		}
	}
	stop := make(chan struct{})
	for _, c := range []*Client{alice, bob} {
		c.EnableCustomVideoCapture(rtc.StreamBig, true)
		c.EnableCustomAudioCapture(true)
		wg := pump(c, stop, false)
		defer wg.Wait()
	}
	defer close(stop)
	flowing := func(what string) {
		t.Helper()
		type pair struct{ to, from string }
		base := map[pair]int{}
		pairs := []pair{{"alice", "bob"}, {"bob", "alice"}, {"carol", "alice"}, {"carol", "bob"}}
		for _, p := range pairs {
			base[p], _ = sinks[p.to].counts(p.from)
		}
		waitFor(t, waitTimeout, "media "+what, func() bool {
			for _, p := range pairs {
				if v, _ := sinks[p.to].counts(p.from); v < base[p]+10 {
					return false
				}
			}
			return true
		})
	}
	flowing("before the kill")

	// SIGKILL the owner; dave's path goes with it.
	dead := k.owner(ctx, roomKey)
	if k.nodes[dead] == nil {
		t.Fatalf("room owned by %q", dead)
	}
	davePath.Block(true)
	davePath.Cut()
	killed := time.Now()
	if err := k.nodes[dead].stop(syscall.SIGKILL); err == nil {
		t.Fatal("a SIGKILLed node exited 0")
	}
	lb.set(k.addrs()...) // the load balancer's health check drops it
	for _, c := range []*Client{alice, bob, carol} {
		c.Wait("OnConnectionLost")
		c.Wait("OnTryToReconnect")
		c.Wait("OnConnectionRecovery")
	}
	t.Logf("owner %s killed; clients back in %v", dead, time.Since(killed).Round(time.Millisecond))
	owner := k.owner(ctx, roomKey)
	if owner == "" || owner == dead {
		t.Fatalf("room owned by %q after its owner %s died", owner, dead)
	}
	flowing("after the kill")
	close(accept)

	// dave never came back: the others see him leave with reason 1, and
	// the node that took the dead one over sends his 104 (reason 2).
	for _, c := range []*Client{alice, bob, carol} {
		c.Wait("OnRemoteUserLeaveRoom", "dave", 1)
	}
	hs := k.hooks.waitFor("dave's 104 after the kill", func(hs []hook) bool {
		return len(hooksOf(hs, 104, "dave")) == 1
	})
	if h := hooksOf(hs, 104, "dave")[0]; fmt.Sprint(h.Info["Reason"]) != "2" {
		t.Fatalf("dave's 104: %v, want reason 2 (timed out)", h)
	}
	t.Logf("dave's 104 arrived %v after the kill", time.Since(killed).Round(time.Millisecond))
	checkNothingLeftOf(t, k, dead)

	// SIGTERM the new owner: it drains, its clients move, it exits 0.
	k.nodes[dead] = nil
	k.start(dead) // the killed node comes back (same id, new port)
	lb.set(k.addrs()...)
	drained := time.Now()
	if err := k.nodes[owner].stop(syscall.SIGTERM); err != nil {
		t.Fatalf("a drained node exited with %v\n%s", err, k.nodes[owner].stderr)
	}
	lb.set(k.addrs()...)
	for _, c := range []*Client{alice, bob, carol} {
		waitFor(t, waitTimeout, c.ID+" recovered twice", func() bool { return len(filter(c.rec.All(), "OnConnectionRecovery")) == 2 })
	}
	t.Logf("drain of %s moved the clients in %v", owner, time.Since(drained).Round(time.Millisecond))
	if o := k.owner(ctx, roomKey); o == "" || o == owner {
		t.Fatalf("room owned by %q after %s drained", o, owner)
	}
	flowing("after the drain")

	// Redis away for 30 s: the room keeps running, no node exits, nobody
	// notices; back (empty), the state is rebuilt.
	membership := func() int {
		n := 0
		for _, c := range []*Client{alice, bob, carol} {
			for _, name := range []string{"OnConnectionLost", "OnConnectionRecovery", "OnRemoteUserEnterRoom", "OnRemoteUserLeaveRoom", "OnExitRoom"} {
				n += len(filter(c.rec.All(), name))
			}
		}
		return n
	}
	before := membership()
	k.redis.stop()
	outage := time.After(30 * time.Second)
	for waiting := true; waiting; {
		select {
		case <-outage:
			waiting = false
		case err := <-k.nodes[dead].done:
			t.Fatalf("a node exited with Redis away: %v", err)
		}
	}
	flowing("after 30 s without Redis")
	k.redis.start()
	rdb := clRedisClient(t, k.redis.addr)
	waitFor(t, waitTimeout, "nodes and the room's lease back in Redis", func() bool {
		st, err := cluster.ReadStatus(ctx, rdb, []byte(clSecret))
		return err == nil && len(st.Nodes) == 2 && k.owner(ctx, roomKey) != ""
	})
	for _, c := range []*Client{alice, bob, carol} {
		if c.seen("OnExitRoom") {
			t.Fatalf("%s left the room: %v", c.ID, c.rec.All())
		}
	}
	if after := membership(); after != before {
		for _, c := range []*Client{alice, bob, carol} {
			t.Logf("%s: %v", c.ID, c.rec.All())
		}
		t.Fatalf("clients saw %d callbacks during the Redis outage", after-before)
	}
	// In the room, nobody ever saw a leave but dave's.
	for _, c := range []*Client{alice, bob, carol} {
		for _, e := range filter(c.rec.All(), "OnRemoteUserLeaveRoom") {
			if e.Args[0] != "dave" {
				t.Fatalf("%s saw %v", c.ID, e)
			}
		}
	}
	hs = k.hooks.got()
	checkWebhooks(t, hs, killed)
	// The refused attempts were made again, under the same ids.
	if n := k.hooks.count(); n <= len(hs) {
		t.Fatalf("%d requests for %d events: nothing was retried", n, len(hs))
	}
}

// hooksOf returns the events of type typ about user.
func hooksOf(hs []hook, typ int, user string) []hook {
	var out []hook
	for _, h := range hs {
		if h.Type == typ && h.Info["UserId"] == user {
			out = append(out, h)
		}
	}
	return out
}

// checkWebhooks: every event before the kill arrived (the dead node's
// outbox was delivered by the live nodes), and no event arrived twice under
// two ids: a repeated delivery carries the id of the first.
func checkWebhooks(t *testing.T, hs []hook, killed time.Time) {
	t.Helper()
	seen := map[string]string{}
	for _, h := range hs {
		key := h.String() + " at " + fmt.Sprint(h.Info["EventMsTs"])
		if id, dup := seen[key]; dup {
			t.Fatalf("%s delivered under two ids (%s, %s)", key, id, h.ID)
		}
		seen[key] = h.ID
	}
	// What the dead node appended before it died (while the receiver
	// refused everything) was delivered by the others.
	before := func(h hook) bool {
		ms, _ := h.Info["EventMsTs"].(json.Number).Int64()
		return ms < killed.UnixMilli()
	}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		if !slices.ContainsFunc(hooksOf(hs, 103, u), before) {
			t.Fatalf("no 103 of %s from before the kill: %v", u, hs)
		}
	}
	if !slices.ContainsFunc(hooksOf(hs, 101, "alice"), before) {
		t.Fatalf("no 101 from before the kill: %v", hs)
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		for _, h := range hooksOf(hs, 104, u) {
			if fmt.Sprint(h.Info["Reason"]) == "2" {
				t.Fatalf("%s came back but got a 104 with reason 2: %v", u, h)
			}
		}
	}
	t.Logf("%d webhook events, the dead node's included", len(hs))
}

// checkNothingLeftOf: once a dead node is taken over, Redis holds no
// registration, death, claim or lease of it, and PostgreSQL no open
// session or room. The webhooks of the takeover are delivered as its
// transaction commits, so this waits for the commit briefly.
func checkNothingLeftOf(t *testing.T, k *killCluster, dead string) {
	t.Helper()
	ctx := context.Background()
	rdb := clRedisClient(t, k.redis.addr)
	conn, err := pgx.Connect(ctx, k.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	left := func() string {
		keys, err := rdb.Keys(ctx, cluster.KeyPattern).Result()
		if err != nil {
			return err.Error()
		}
		for _, key := range keys {
			if strings.Contains(key, dead) {
				return "key " + key + " left in Redis"
			}
			if strings.Contains(key, ":lease:") {
				if n, _ := rdb.HGet(ctx, key, "node").Result(); n == dead {
					return "lease " + key + " still held by the dead node"
				}
			}
		}
		if _, err := rdb.ZScore(ctx, "rtcengine:{cluster}:dead", dead).Result(); err == nil {
			return dead + " still in the dead set"
		}
		var open int
		if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM history_sessions WHERE node = $1 AND left_ms IS NULL) +
			(SELECT count(*) FROM history_rooms WHERE node = $1 AND destroyed_ms IS NULL)`, dead).Scan(&open); err != nil {
			return err.Error()
		}
		if open != 0 {
			return fmt.Sprintf("%d sessions and rooms of the dead node still open in PostgreSQL", open)
		}
		return ""
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		msg := left()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(20 * time.Millisecond) // polling Redis and PostgreSQL, which announce nothing
	}
}
