package cluster

import "github.com/rtcengine/rtcengine/internal/trtc"

// Every key lives under one namespace. The hash tag {cluster} puts them all in
// one Redis Cluster slot, so the Lua scripts that touch two keys (the lease
// and the fencing counter) stay valid there too.
const keyPrefix = "rtcengine:{cluster}:"

// Keys: one per live node, one sorted set of node ids by expiry, one fencing
// counter, one lease per placed room and, for LIVE rooms with members, one
// member table (members.go). Nothing else is ever written, so the key count
// is nodes + 2 × rooms + 2 at most.
func nodeKey(id NodeID) string { return keyPrefix + "node:" + string(id) }

const (
	nodesKey = keyPrefix + "nodes" // ZSET node id → registration expiry (Unix ms)
	fenceKey = keyPrefix + "fence" // INCR counter of fencing tokens
)

const leasePrefix = keyPrefix + "lease:"

func leaseKey(k trtc.RoomKey) string { return leasePrefix + k.String() }

// KeyPattern matches every key this package writes (for operators and tests).
const KeyPattern = "rtcengine:{cluster}:*"
