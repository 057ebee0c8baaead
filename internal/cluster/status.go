package cluster

import (
	"context"
	"sort"

	"github.com/redis/go-redis/v9"
)

// Status is the cluster as Redis shows it (rtcengine cluster status).
type Status struct {
	Nodes []NodeStatus `json:"nodes"`
	// Forged lists registrations whose signature did not verify (only
	// checked when the secret is given).
	Forged []NodeID `json:"forged,omitempty"`
	// Verified tells whether registrations were checked with the secret.
	Verified bool `json:"verified"`
	// Leases counts placed rooms by owner, including owners that are no
	// longer registered (their leases expire by themselves).
	Leases map[NodeID]int `json:"leases"`
}

// NodeStatus is one node with the rooms leased to it.
type NodeStatus struct {
	NodeInfo
	Signal string `json:"signal"`
	Leases int    `json:"leases"`
	// MaxUsers is the node's user cap (0: none), always present in JSON
	// (the registration's own field is left out when 0).
	MaxUsers int `json:"maxUsers"`
}

// ReadStatus reads every node registration and room lease. It scans the
// leases, so it costs one round trip per thousand rooms: a tool's call, not
// a hot path. With a nil secret registrations are listed unverified.
func ReadStatus(ctx context.Context, rdb *redis.Client, secret []byte) (Status, error) {
	nodes, forged, err := ListNodes(ctx, rdb, secret)
	if err != nil {
		return Status{}, err
	}
	st := Status{Forged: forged, Verified: secret != nil, Leases: map[NodeID]int{}}
	var keys []string
	iter := rdb.Scan(ctx, 0, leasePrefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 1000 {
			if err := countLeases(ctx, rdb, keys, st.Leases); err != nil {
				return Status{}, err
			}
			keys = keys[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return Status{}, err
	}
	if err := countLeases(ctx, rdb, keys, st.Leases); err != nil {
		return Status{}, err
	}
	for _, n := range nodes {
		st.Nodes = append(st.Nodes, NodeStatus{NodeInfo: n, Signal: n.SignalURL(), Leases: st.Leases[n.ID], MaxUsers: n.MaxUsers})
	}
	sort.Slice(st.Nodes, func(i, j int) bool { return st.Nodes[i].ID < st.Nodes[j].ID })
	return st, nil
}

func countLeases(ctx context.Context, rdb *redis.Client, keys []string, into map[NodeID]int) error {
	if len(keys) == 0 {
		return nil
	}
	pipe := rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.HGet(ctx, k, "node")
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return err
	}
	for _, c := range cmds {
		if node, err := c.Result(); err == nil {
			into[NodeID(node)]++
		}
	}
	return nil
}
