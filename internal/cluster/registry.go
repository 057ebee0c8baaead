package cluster

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// NodeID names a node in the cluster.
type NodeID string

// Load is what a node reports about itself at every heartbeat.
type Load struct {
	Rooms      int     `json:"rooms"`
	Users      int     `json:"users"`
	BitrateBps int64   `json:"bitrateBps"` // media forwarded to subscribers
	CPU        float64 `json:"cpu"`        // process CPU, in cores (1.5 = one and a half)
}

// NodeInfo is one node's registration.
type NodeInfo struct {
	ID      NodeID `json:"id"`
	URL     string `json:"url"`   // base URL: http(s)://host:port
	Media   string `json:"media"` // UDP media address
	Load    Load   `json:"load"`
	Started int64  `json:"started"` // Unix ms
	Updated int64  `json:"updated"` // Unix ms of this heartbeat
	Expires int64  `json:"expires"` // Unix ms when this registration lapses without another heartbeat
	Sig     string `json:"sig,omitempty"`
	// MaxUsers is the node's cap on users it serves (0: none); LIVE
	// audience is sent only to nodes below it (edge.go).
	MaxUsers int `json:"maxUsers,omitempty"`
}

// SignalURL is the WebSocket URL clients enter through.
func (n NodeInfo) SignalURL() string {
	u, err := url.Parse(n.URL)
	if err != nil {
		return ""
	}
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	u.Path = "/signal"
	return u.String()
}

// maxRecordBytes bounds a registration read back from Redis.
const maxRecordBytes = 4096

// signNode returns the registration's signature: HMAC-SHA256 with the
// cluster secret over its JSON encoding without the signature.
func signNode(secret []byte, n NodeInfo) string {
	n.Sig = ""
	raw, _ := json.Marshal(n) // a struct of strings and numbers always marshals
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("rtcengine-node\n"))
	mac.Write(raw)
	return hex.EncodeToString(mac.Sum(nil))
}

// parseNode decodes and verifies a registration read under the key of id.
func parseNode(secret []byte, id NodeID, raw string) (NodeInfo, error) {
	if len(raw) > maxRecordBytes {
		return NodeInfo{}, fmt.Errorf("%w: record of %d bytes", ErrForgedNode, len(raw))
	}
	var n NodeInfo
	if err := json.Unmarshal([]byte(raw), &n); err != nil {
		return NodeInfo{}, fmt.Errorf("%w: %v", ErrForgedNode, err)
	}
	if n.ID != id {
		return NodeInfo{}, fmt.Errorf("%w: record of %q stored under %q", ErrForgedNode, n.ID, id)
	}
	want := signNode(secret, n)
	if !hmac.Equal([]byte(want), []byte(n.Sig)) {
		return NodeInfo{}, ErrForgedNode
	}
	if u, err := url.Parse(n.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return NodeInfo{}, fmt.Errorf("%w: url %q", ErrForgedNode, n.URL)
	}
	return n, nil
}

// registry reads and writes node registrations.
type registry struct {
	rdb    *redis.Client
	secret []byte
	ttl    time.Duration
}

// register writes n (signed) with the TTL and indexes it in the node set.
func (g *registry) register(ctx context.Context, n NodeInfo, now time.Time) error {
	n.Updated = now.UnixMilli()
	n.Expires = now.Add(g.ttl).UnixMilli()
	n.Sig = signNode(g.secret, n)
	raw, _ := json.Marshal(n)
	pipe := g.rdb.TxPipeline()
	pipe.Set(ctx, nodeKey(n.ID), raw, g.ttl)
	pipe.ZAdd(ctx, nodesKey, redis.Z{Score: float64(now.Add(g.ttl).UnixMilli()), Member: string(n.ID)})
	bury(ctx, pipe, n.ID, now) // trims expired members into the dead set (failover.go)
	_, err := pipe.Exec(ctx)
	return err
}

// deregister removes the registration at once (a clean stop).
func (g *registry) deregister(ctx context.Context, id NodeID) error {
	pipe := g.rdb.TxPipeline()
	pipe.Del(ctx, nodeKey(id))
	pipe.ZRem(ctx, nodesKey, string(id))
	_, err := pipe.Exec(ctx)
	return err
}

// list returns the live, verified nodes sorted by id, and the ids whose
// registration did not verify.
func (g *registry) list(ctx context.Context, now time.Time) ([]NodeInfo, []NodeID, error) {
	ids, err := g.rdb.ZRangeByScore(ctx, nodesKey, &redis.ZRangeBy{Min: "(" + strconv.FormatInt(now.UnixMilli(), 10), Max: "+inf"}).Result()
	if err != nil {
		return nil, nil, err
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = nodeKey(NodeID(id))
	}
	vals, err := g.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, nil, err
	}
	var nodes []NodeInfo
	var forged []NodeID
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue // expired between the two reads
		}
		n, err := parseNode(g.secret, NodeID(ids[i]), s)
		if err != nil {
			forged = append(forged, NodeID(ids[i]))
			continue
		}
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	return nodes, forged, nil
}

// ListNodes reads the registrations for tools (rtcengine cluster status).
// With a nil secret nothing is verified and every record is returned.
func ListNodes(ctx context.Context, rdb *redis.Client, secret []byte) ([]NodeInfo, []NodeID, error) {
	if secret != nil {
		return (&registry{rdb: rdb, secret: secret}).list(ctx, time.Now())
	}
	ids, err := rdb.ZRange(ctx, nodesKey, 0, -1).Result()
	if err != nil {
		return nil, nil, err
	}
	var nodes []NodeInfo
	for _, id := range ids {
		raw, err := rdb.Get(ctx, nodeKey(NodeID(id))).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		var n NodeInfo
		if json.Unmarshal([]byte(raw), &n) == nil {
			nodes = append(nodes, n)
		}
	}
	return nodes, nil, nil
}

// leastLoaded picks the node for a new room: fewest users, then fewest
// rooms; self wins ties, then the smaller id. A self missing from nodes
// (not yet registered) competes with an empty load.
func leastLoaded(nodes []NodeInfo, self NodeID, selfLoad Load) NodeID {
	best, bestLoad := self, selfLoad
	for _, n := range nodes {
		if n.ID == self {
			continue
		}
		l := n.Load
		if l.Users < bestLoad.Users || (l.Users == bestLoad.Users && l.Rooms < bestLoad.Rooms) {
			best, bestLoad = n.ID, l
		}
	}
	return best
}
