package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// A LIVE room spanning nodes keeps one hash in Redis, its member table:
// userId → "<node>|<session>|<role>" for every member on every node (role
// "h" anchor, "a" audience; an empty session is an enter in progress), and
// the field "#aud" counting the audience (no userId contains '#'). It
// enforces the cluster-wide rules no single node can: the audience cap
// counted across nodes, and one session per userId (the newer one wins,
// whichever node it reached). The hash shrinks as members leave and
// vanishes with the last one (Redis deletes an empty hash), expires
// membersTTLFactor × lease_ttl after the last node with members there
// refreshed it, and loses the entries of a node whose registration lapsed
// at the next sweep. So it is bounded by the room's cap and gone with the
// room.
const audField = "#aud"

// membersTTLFactor × lease_ttl is how long a member table outlives the last
// refresh of a node with members in the room.
const membersTTLFactor = 3

func membersKey(k trtc.RoomKey) string { return keyPrefix + "members:" + k.String() }

// memberValue encodes a member table entry.
func memberValue(node NodeID, session string, role trtc.Role) string {
	r := "h"
	if role == trtc.RoleAudience {
		r = "a"
	}
	return string(node) + "|" + session + "|" + r
}

// entry is a decoded member table entry.
type entry struct {
	Node    NodeID
	Session string
}

// parseEntry decodes an entry; ok is false for "" or a malformed value.
func parseEntry(v string) (entry, bool) {
	parts := strings.Split(v, "|")
	if len(parts) != 3 || parts[0] == "" {
		return entry{}, false
	}
	return entry{Node: NodeID(parts[0]), Session: parts[1]}, true
}

// luaAudience are the helpers every member table script starts with.
const luaAudience = `
local function aud(v) return v and string.sub(v, -1) == 'a' end
local function add(k, d)
  if d == 0 then return end
  local n = tonumber(redis.call('HGET', k, '#aud') or '0') + d
  if n > 0 then redis.call('HSET', k, '#aud', n) else redis.call('HDEL', k, '#aud') end
end
`

// admitScript reserves ARGV[1]'s place with the pending value ARGV[2]; an
// audience enter (ARGV[3] = 1) is refused (0) when the audience counted
// across nodes has reached ARGV[4], unless the user was audience already
// (its place is reused). It returns {1|0, the entry it replaced}.
var admitScript = redis.NewScript(luaAudience + `
local old = redis.call('HGET', KEYS[1], ARGV[1])
local d = 0
if aud(old) then d = d - 1 end
if ARGV[3] == '1' then
  if d == 0 and tonumber(redis.call('HGET', KEYS[1], '#aud') or '0') >= tonumber(ARGV[4]) then
    return {0, old or ''}
  end
  d = d + 1
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
add(KEYS[1], d)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, old or ''}
`)

// settleScript turns the pending entry ARGV[2] into the member's entry
// ARGV[3] once it has entered. With ARGV[2] empty (a member that entered
// without a reservation) the entry is written whatever was there. It
// returns the entry it replaced ("" when it found its own pending one or
// nothing) and whether it wrote.
var settleScript = redis.NewScript(luaAudience + `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then
  if old ~= ARGV[2] then return {0, ''} end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {1, ''}
end
local d = 0
if aud(old) then d = d - 1 end
if aud(ARGV[3]) then d = d + 1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
add(KEYS[1], d)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1, old or ''}
`)

// unreserveScript gives back a reservation whose enter failed: the pending
// entry ARGV[2] is replaced by the entry it had replaced (ARGV[3]) or
// removed.
var unreserveScript = redis.NewScript(luaAudience + `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur ~= ARGV[2] then return 0 end
local d = 0
if aud(cur) then d = d - 1 end
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  if aud(ARGV[3]) then d = d + 1 end
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
add(KEYS[1], d)
return 1
`)

// leaveScript removes ARGV[1]'s entry if it is still the session ARGV[2]
// ("<node>|<session>|") that left; a newer session elsewhere keeps its own.
var leaveScript = redis.NewScript(luaAudience + `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur or string.sub(cur, 1, string.len(ARGV[2])) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if aud(cur) then add(KEYS[1], -1) end
return 1
`)

// roleScript rewrites the entry of the session ARGV[2] with ARGV[3] (a role
// switch). A switch to audience is counted but never refused: the member
// is in the room already.
var roleScript = redis.NewScript(luaAudience + `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur or string.sub(cur, 1, string.len(ARGV[2])) ~= ARGV[2] then return 0 end
local d = 0
if aud(cur) then d = d - 1 end
if aud(ARGV[3]) then d = d + 1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
add(KEYS[1], d)
return 1
`)

// sweepScript removes the entries of nodes not among ARGV (the live ones).
var sweepScript = redis.NewScript(luaAudience + `
local live = {}
for _, n in ipairs(ARGV) do live[n] = true end
local all = redis.call('HGETALL', KEYS[1])
local d, gone = 0, 0
for i = 1, #all, 2 do
  local f, v = all[i], all[i + 1]
  if f ~= '#aud' then
    local node = string.match(v, '^([^|]*)|')
    if not node or not live[node] then
      redis.call('HDEL', KEYS[1], f)
      gone = gone + 1
      if aud(v) then d = d - 1 end
    end
  end
end
add(KEYS[1], d)
return gone
`)

// members reads and writes member tables.
type members struct {
	rdb *redis.Client
	ttl time.Duration
}

// admit reserves user's place; ok is false when the audience cap is reached.
func (t *members) admit(ctx context.Context, key trtc.RoomKey, user trtc.UserID, pending string, audience bool, maxAudience int) (ok bool, old string, err error) {
	a := "0"
	if audience {
		a = "1"
	}
	res, err := admitScript.Run(ctx, t.rdb, []string{membersKey(key)}, string(user), pending, a, maxAudience, t.ttl.Milliseconds()).Slice()
	if err != nil {
		return false, "", err
	}
	return scriptPair(res)
}

// settle writes an entered member's entry (see settleScript).
func (t *members) settle(ctx context.Context, key trtc.RoomKey, user trtc.UserID, pending, final string) (wrote bool, old string, err error) {
	res, err := settleScript.Run(ctx, t.rdb, []string{membersKey(key)}, string(user), pending, final, t.ttl.Milliseconds()).Slice()
	if err != nil {
		return false, "", err
	}
	return scriptPair(res)
}

func (t *members) unreserve(ctx context.Context, key trtc.RoomKey, user trtc.UserID, pending, old string) error {
	return unreserveScript.Run(ctx, t.rdb, []string{membersKey(key)}, string(user), pending, old).Err()
}

func (t *members) leave(ctx context.Context, key trtc.RoomKey, user trtc.UserID, node NodeID, session string) error {
	return leaveScript.Run(ctx, t.rdb, []string{membersKey(key)}, string(user), string(node)+"|"+session+"|").Err()
}

func (t *members) role(ctx context.Context, key trtc.RoomKey, user trtc.UserID, node NodeID, session string, role trtc.Role) error {
	return roleScript.Run(ctx, t.rdb, []string{membersKey(key)}, string(user), string(node)+"|"+session+"|", memberValue(node, session, role)).Err()
}

// sweep drops the entries of nodes that are not live.
func (t *members) sweep(ctx context.Context, key trtc.RoomKey, live []NodeID) error {
	args := make([]any, len(live))
	for i, n := range live {
		args[i] = string(n)
	}
	return sweepScript.Run(ctx, t.rdb, []string{membersKey(key)}, args...).Err()
}

// refresh extends the tables of rooms with members on this node.
func (t *members) refresh(ctx context.Context, keys []trtc.RoomKey) error {
	if len(keys) == 0 {
		return nil
	}
	pipe := t.rdb.Pipeline()
	for _, k := range keys {
		pipe.PExpire(ctx, membersKey(k), t.ttl)
	}
	_, err := pipe.Exec(ctx)
	return err
}

// audience reads the audience counted across nodes (tests, status).
func (t *members) audience(ctx context.Context, key trtc.RoomKey) (int, error) {
	n, err := t.rdb.HGet(ctx, membersKey(key), audField).Int()
	if err == redis.Nil {
		return 0, nil
	}
	return n, err
}

func scriptPair(res []any) (bool, string, error) {
	if len(res) != 2 {
		return false, "", fmt.Errorf("cluster: bad answer of a member table script: %v", res)
	}
	ok, _ := res[0].(int64)
	old, _ := res[1].(string)
	return ok == 1, old, nil
}
