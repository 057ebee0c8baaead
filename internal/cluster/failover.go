package cluster

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// A node killed outright (SIGKILL, a crashed machine) leaves behind what
// only it would have closed: the open sessions and rooms it recorded in the
// shared history store, and the webhooks (104, 102) of users and rooms that
// ended with it. The cluster notices the death when the node's registration
// expires; exactly one live node then takes the dead node over and asks its
// Failover to close what it left open (docs/cluster.md, "When a node dies").
//
// Finding the dead. Every heartbeat trims the expired members of the node
// set (registry.register); the trim moves them into the dead set, scored by
// when they were found, in the same script, so a death is recorded exactly
// once whichever node trims first. A node that deregistered cleanly (a
// drain) is not in the node set any more and never becomes dead; a node
// whose registration comes back (it was only stalled, or Redis was paused)
// takes itself out of the dead set at its next heartbeat.
//
// Taking over. Each node looks at the dead set on its heartbeat; a death
// older than the failover delay (failoverDelay: by then every lease the
// dead node held has expired or been taken over, and its clients have had
// the time to come back on live nodes) is claimed with a SET NX key that lives
// failoverClaimTTL. The winner runs Failover.NodeDead and, when it
// succeeds, removes the death and its claim together. A winner that fails
// or dies itself leaves the death in the set: another node claims it once
// the claim has expired.

// Failover closes what a dead node left open. The server implements it
// with the shared history store and webhook outbox (PostgreSQL).
type Failover interface {
	// NodeDead ends the dead node's open sessions and rooms and reports
	// them. An error leaves the death to be taken over again later.
	NodeDead(ctx context.Context, node NodeID) error
}

// FailoverFunc adapts a function to Failover.
type FailoverFunc func(ctx context.Context, node NodeID) error

// NodeDead calls f.
func (f FailoverFunc) NodeDead(ctx context.Context, node NodeID) error { return f(ctx, node) }

const (
	deadKey        = keyPrefix + "dead" // ZSET dead node id → when its death was found (Unix ms)
	failoverPrefix = keyPrefix + "failover:"
	// failoverClaimTTL bounds one takeover; a claim left by a node that
	// died during its takeover expires after it.
	failoverClaimTTL = 30 * time.Second
	// maxDeadPerRound bounds the deaths one heartbeat looks at.
	maxDeadPerRound = 16
)

func failoverKey(id NodeID) string { return failoverPrefix + string(id) }

// buryScript trims the node set (KEYS[1]) of registrations that expired by
// ARGV[1], recording each in the dead set (KEYS[2]) unless it is there
// already, and takes the heartbeating node ARGV[2] out of the dead set.
const buryScript = `
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, id in ipairs(gone) do
  redis.call('ZADD', KEYS[2], 'NX', ARGV[1], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return #gone
`

// claimScript claims the takeover of the dead node ARGV[1] for ARGV[2]
// (1), unless the death was taken over already, another node holds the
// claim, or the node registered again, which clears its death (0).
var claimScript = redis.NewScript(`
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return 1
end
return 0
`)

// bury queues the trim of the node set on pipe (a heartbeat's pipeline).
func bury(ctx context.Context, pipe redis.Pipeliner, self NodeID, now time.Time) {
	pipe.Eval(ctx, buryScript, []string{nodesKey, deadKey}, strconv.FormatInt(now.UnixMilli(), 10), string(self))
}

// MinFailoverDelay is the shortest time between finding a node dead and
// taking it over: its clients' time to come back on live nodes (their SDKs
// reconnect with a backoff of up to 2 s and wait 10 s for the others), so
// that a user who came back is not reported gone.
const MinFailoverDelay = 10 * time.Second

// failoverDelay is how long after its death was found a dead node is taken
// over: MinFailoverDelay, or LeaseTTL if longer (by then every lease the
// dead node held has expired), unless Config.FailoverDelay says otherwise.
func (n *Node) failoverDelay() time.Duration {
	if n.cfg.FailoverDelay > 0 {
		return n.cfg.FailoverDelay
	}
	return max(n.cfg.LeaseTTL, MinFailoverDelay)
}

// takeOverDead takes over the dead nodes whose failover delay has passed
// and whose claim this node wins. It runs on the heartbeat loop. Without a
// Failover (no shared store) a death is only cleared.
func (n *Node) takeOverDead(ctx context.Context) {
	cutoff := n.cfg.Now().Add(-n.failoverDelay()).UnixMilli()
	ids, err := n.cfg.Redis.ZRangeByScore(ctx, deadKey, &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(cutoff, 10), Count: maxDeadPerRound}).Result()
	if err != nil {
		if ctx.Err() == nil {
			n.redisError("failover", err)
		}
		return
	}
	for _, raw := range ids {
		id := NodeID(raw)
		if id == n.cfg.ID || ctx.Err() != nil {
			continue
		}
		if err := n.takeOver(ctx, id); err != nil && ctx.Err() == nil {
			n.metrics.failovers.WithLabelValues("failed").Inc()
			n.log.Warn("cluster: taking over a dead node failed; another try follows", "peer", raw, "err", err)
		}
	}
}

// takeOver claims one dead node and runs the Failover for it.
func (n *Node) takeOver(ctx context.Context, id NodeID) error {
	rdb := n.cfg.Redis
	won, err := claimScript.Run(ctx, rdb, []string{deadKey, failoverKey(id), nodeKey(id)}, string(id), string(n.cfg.ID), failoverClaimTTL.Milliseconds()).Int()
	if err != nil || won == 0 {
		return err
	}
	n.log.Info("cluster: taking over a dead node", "peer", string(id))
	fctx, cancel := context.WithTimeout(ctx, failoverClaimTTL)
	defer cancel()
	if n.cfg.Failover != nil {
		err = n.cfg.Failover.NodeDead(fctx, id)
	}
	if err != nil {
		// Free the claim so that the next heartbeat (here or elsewhere)
		// tries again.
		_ = rdb.Del(ctx, failoverKey(id)).Err()
		return err
	}
	pipe := rdb.TxPipeline()
	pipe.ZRem(ctx, deadKey, string(id))
	pipe.Del(ctx, failoverKey(id))
	if _, err := pipe.Exec(ctx); err != nil {
		return errors.Join(errors.New("cluster: dead node taken over but not cleared (its takeover runs again)"), err)
	}
	n.metrics.failovers.WithLabelValues("done").Inc()
	n.log.Info("cluster: dead node taken over", "peer", string(id))
	return nil
}
