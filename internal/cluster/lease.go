package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Lease is a room's placement: the owner node and the fencing token it was
// granted with. Tokens come from one counter and only grow, so a node holding
// an older token for a room knows it lost the room.
type Lease struct {
	Node  NodeID
	Token uint64
}

// placeScript grants the lease to ARGV[1] unless somebody holds it; with
// ARGV[3] set, a lease still carrying that token (an owner found dead) is
// replaced too. It returns the lease in force afterwards. Being one script,
// concurrent first enters on different nodes agree on one owner.
var placeScript = redis.NewScript(`
local c = redis.call('HMGET', KEYS[1], 'node', 'token')
if c[1] and (ARGV[3] == '' or c[2] ~= ARGV[3]) then
  return {c[1], c[2]}
end
local t = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'token', t)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {ARGV[1], tostring(t)}
`)

// renewScript extends the lease only for its holder with its current token
// (1). A lease that vanished while nobody else took the room — Redis
// restarted empty, or the lease expired while Redis was away — is re-created
// for its holder with the same token, and the fencing counter is raised to at
// least that token so tokens granted later stay larger (2). A lease held by
// another node or with another token is refused (0).
var renewScript = redis.NewScript(`
local c = redis.call('HMGET', KEYS[1], 'node', 'token')
if c[1] == ARGV[1] and c[2] == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
if c[1] then
  return 0
end
local f = tonumber(redis.call('GET', KEYS[2]) or '0')
if f < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[2])
end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'token', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 2
`)

// releaseScript deletes the lease only for its holder with its current token.
var releaseScript = redis.NewScript(`
local c = redis.call('HMGET', KEYS[1], 'node', 'token')
if c[1] == ARGV[1] and c[2] == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`)

// leases reads and writes room leases.
type leases struct {
	rdb *redis.Client
	ttl time.Duration
}

// get returns the lease of a room; ok is false when the room is not placed.
func (l *leases) get(ctx context.Context, key trtc.RoomKey) (Lease, bool, error) {
	vals, err := l.rdb.HMGet(ctx, leaseKey(key), "node", "token").Result()
	if err != nil {
		return Lease{}, false, err
	}
	node, _ := vals[0].(string)
	tok, _ := vals[1].(string)
	if node == "" {
		return Lease{}, false, nil
	}
	t, err := strconv.ParseUint(tok, 10, 64)
	if err != nil {
		return Lease{}, false, fmt.Errorf("cluster: lease of %s has a bad token %q", key, tok)
	}
	return Lease{Node: NodeID(node), Token: t}, true, nil
}

// place grants the room to candidate unless it is placed already; replace,
// when non-zero, is the token of a lease whose owner is dead.
func (l *leases) place(ctx context.Context, key trtc.RoomKey, candidate NodeID, replace uint64) (Lease, error) {
	rep := ""
	if replace != 0 {
		rep = strconv.FormatUint(replace, 10)
	}
	res, err := placeScript.Run(ctx, l.rdb, []string{leaseKey(key), fenceKey}, string(candidate), l.ttl.Milliseconds(), rep).StringSlice()
	if err != nil {
		return Lease{}, err
	}
	if len(res) != 2 {
		return Lease{}, errors.New("cluster: bad answer of the placement script")
	}
	t, err := strconv.ParseUint(res[1], 10, 64)
	if err != nil {
		return Lease{}, fmt.Errorf("cluster: lease of %s has a bad token %q", key, res[1])
	}
	return Lease{Node: NodeID(res[0]), Token: t}, nil
}

// renew extends a held lease (re-creating it if it vanished); ErrStaleToken
// means another node holds the room now.
func (l *leases) renew(ctx context.Context, key trtc.RoomKey, held Lease) error {
	ok, err := renewScript.Run(ctx, l.rdb, []string{leaseKey(key), fenceKey}, string(held.Node), strconv.FormatUint(held.Token, 10), l.ttl.Milliseconds()).Int()
	if err != nil {
		return err
	}
	if ok == 0 {
		return ErrStaleToken
	}
	return nil
}

// release deletes a held lease; ErrStaleToken means it was held no more
// (and the lease in force, somebody else's, was left alone).
func (l *leases) release(ctx context.Context, key trtc.RoomKey, held Lease) error {
	ok, err := releaseScript.Run(ctx, l.rdb, []string{leaseKey(key)}, string(held.Node), strconv.FormatUint(held.Token, 10)).Int()
	if err != nil {
		return err
	}
	if ok != 1 {
		return ErrStaleToken
	}
	return nil
}
