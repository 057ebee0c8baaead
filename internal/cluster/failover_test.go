package cluster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtcengine/rtcengine/internal/room"
)

// failoverLog records the takeovers of every node of a test; the first
// call fails, to show that a failed takeover is tried again.
type failoverLog struct {
	mu    sync.Mutex
	calls []string // "by→dead"
	fails int
}

func (f *failoverLog) node(t *testing.T, rdb *redis.Client, id string) *Node {
	t.Helper()
	rooms := room.NewManager(room.Config{}, nil, room.NopObserver{})
	n, err := New(Config{Redis: rdb, Secret: testSecret, ID: NodeID(id), Rooms: managerRooms{rooms},
		NodeTTL: 600 * time.Millisecond, LeaseTTL: time.Second, FailoverDelay: time.Second,
		Failover: FailoverFunc(func(_ context.Context, dead NodeID) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.calls = append(f.calls, id+"→"+string(dead))
			if f.fails > 0 {
				f.fails--
				return errors.New("store unreachable")
			}
			return nil
		})})
	if err != nil {
		t.Fatal(err)
	}
	n.Start("http://127.0.0.1:1", "127.0.0.1:1")
	t.Cleanup(func() { n.Close(context.Background()) })
	return n
}

// TestDeadNodeTakenOverOnce: a node that stops heartbeating is taken over
// by exactly one live node once its registration has expired and the
// failover delay has passed; a failed takeover is tried again; a node that
// left cleanly is never taken over; nothing of the death stays in Redis.
func TestDeadNodeTakenOverOnce(t *testing.T) {
	rdb := startRedis(t)
	f := &failoverLog{fails: 1}
	f.node(t, rdb, "a")
	f.node(t, rdb, "b")
	gone := f.node(t, rdb, "gone")
	dead := f.node(t, rdb, "dead")
	ctx := context.Background()

	// The claim's deletions (after the failed takeover, then with the
	// death in the good one's transaction) are Redis keyspace events.
	if err := rdb.ConfigSet(ctx, "notify-keyspace-events", "Kg").Err(); err != nil {
		t.Fatal(err)
	}
	sub := rdb.Subscribe(ctx, "__keyspace@0__:"+failoverKey("dead"))
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	gone.Close(ctx) // a drain: deregistered, never dead
	dead.stop()     // as SIGKILL: heartbeats stop, the registration stays until it expires
	dead.bg.Wait()
	timeout := time.After(10 * time.Second)
	for dels := 0; dels < 2; {
		select {
		case m := <-sub.Channel():
			if m.Payload == "del" {
				dels++
			}
		case <-timeout:
			t.Fatalf("no takeover of the dead node; calls %v", f.calls)
		}
	}
	f.mu.Lock()
	calls := append([]string(nil), f.calls...)
	f.mu.Unlock()
	if len(calls) != 2 {
		t.Fatalf("takeovers %v, want two of node dead", calls)
	}
	for _, c := range calls {
		if c != "a→dead" && c != "b→dead" {
			t.Fatalf("takeover %q: only a live node takes over, only the dead node is taken over", c)
		}
	}
	if n, err := rdb.Exists(ctx, deadKey, failoverKey("dead"), nodeKey("dead"), nodeKey("gone")).Result(); err != nil || n != 0 {
		dz, _ := rdb.ZRangeWithScores(ctx, deadKey, 0, -1).Result()
		t.Fatalf("%d keys of the dead node left in Redis (dead set %v), %v", n, dz, err)
	}
	// With the death cleared nobody can claim it again.
	if won, err := claimScript.Run(ctx, rdb, []string{deadKey, failoverKey("dead"), nodeKey("dead")}, "dead", "a", 1000).Int(); err != nil || won != 0 {
		t.Fatalf("a cleared death claimed again: %d, %v", won, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) != 2 {
		t.Fatalf("takeovers %v after the death was cleared", f.calls)
	}
}

// TestStalledNodeIsNotTakenOver: a node whose registration lapsed but
// which heartbeats again before the failover delay takes itself out of the
// dead set, and the claim of a node registered again is refused.
func TestStalledNodeIsNotTakenOver(t *testing.T) {
	rdb := startRedis(t)
	ctx := context.Background()
	now := time.Now()
	if err := rdb.ZAdd(ctx, nodesKey, redis.Z{Score: float64(now.Add(-time.Second).UnixMilli()), Member: "stalled"}).Err(); err != nil {
		t.Fatal(err)
	}
	pipe := rdb.TxPipeline()
	bury(ctx, pipe, "a", now)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := rdb.ZScore(ctx, deadKey, "stalled").Result(); err != nil || int64(s) != now.UnixMilli() {
		t.Fatalf("the expired node was not recorded dead: %v %v", s, err)
	}
	// Its registration is back: a claim clears the death instead.
	if err := rdb.Set(ctx, nodeKey("stalled"), "{}", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	won, err := claimScript.Run(ctx, rdb, []string{deadKey, failoverKey("stalled"), nodeKey("stalled")}, "stalled", "a", 1000).Int()
	if err != nil || won != 0 {
		t.Fatalf("a node registered again was claimed: %d %v", won, err)
	}
	if n, _ := rdb.Exists(ctx, deadKey, failoverKey("stalled")).Result(); n != 0 {
		t.Fatal("the death of a node registered again was kept")
	}
	// Its own heartbeat takes it out of the dead set too.
	_ = rdb.ZAdd(ctx, deadKey, redis.Z{Score: 1, Member: "stalled"}).Err()
	pipe = rdb.TxPipeline()
	bury(ctx, pipe, "stalled", now)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctx, deadKey).Result(); n != 0 {
		t.Fatal("a heartbeating node stayed in the dead set")
	}
}
