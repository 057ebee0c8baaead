package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// placeTimeout bounds the Redis work of one enter's placement.
const placeTimeout = 2 * time.Second

// Route decides where an enter of key is served. It returns the owner's
// signaling URL when another node owns the room; otherwise the room is this
// node's (placed now if it was not) and done must be called once the local
// enter has finished: until then no other enter or lease release of the room
// runs on this node, so a room never lives here without its lease.
//
// When Redis cannot be reached the room is served here, in degraded mode,
// and placed when Redis answers again (docs/cluster.md).
func (n *Node) Route(ctx context.Context, key trtc.RoomKey) (redirect string, done func(), err error) {
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return "", nil, ErrNodeClosed
	}
	unlock := n.locks.lock(key)
	ctx, cancel := context.WithTimeout(ctx, placeTimeout)
	defer cancel()
	lease, err := n.placeFor(ctx, key)
	if err != nil {
		n.redisError("place", err)
		n.metrics.degraded.Inc()
		n.mu.Lock()
		if _, ok := n.held[key]; !ok {
			n.held[key] = 0
		}
		n.mu.Unlock()
		return "", n.afterEnter(key, unlock), nil
	}
	if lease.Node == n.cfg.ID {
		n.mu.Lock()
		n.held[key] = lease.Token
		n.mu.Unlock()
		return "", n.afterEnter(key, unlock), nil
	}
	unlock()
	owner, ok := n.nodeInfo(ctx, lease.Node)
	if !ok {
		return "", nil, ErrNoOwner
	}
	n.metrics.redirects.Inc()
	return owner.SignalURL(), nil, nil
}

// placeFor returns the room's lease, placing the room when it has none or
// when its owner is no longer a live, verified node.
func (n *Node) placeFor(ctx context.Context, key trtc.RoomKey) (Lease, error) {
	lease, ok, err := n.leases.get(ctx, key)
	if err != nil {
		return Lease{}, err
	}
	if ok && lease.Node == n.cfg.ID {
		return lease, nil
	}
	// The node list of the last heartbeat serves, except to declare an
	// owner dead: that needs a fresh read (it may have just registered).
	n.mu.Lock()
	nodes := n.seen
	n.mu.Unlock()
	var replace uint64
	if ok {
		if n.fresh(nodes, lease.Node) {
			return lease, nil
		}
		if nodes, err = n.nodes(ctx); err != nil {
			return Lease{}, err
		}
		if _, alive := find(nodes, lease.Node); alive {
			return lease, nil
		}
		replace = lease.Token // its owner is gone: take the room over
		n.log.Info("cluster: re-placing a room whose owner is gone", "room", key.String(), "peer", string(lease.Node))
	}
	if nodes == nil {
		if nodes, err = n.nodes(ctx); err != nil {
			return Lease{}, err
		}
	}
	live := make([]NodeInfo, 0, len(nodes))
	now := n.cfg.Now().UnixMilli()
	for _, x := range nodes {
		if x.Expires > now { // never place on a node whose registration lapsed
			live = append(live, x)
		}
	}
	cands, self, selfLoad := n.placeAmong(live) // edge.go: nodes at their user cap take no new room
	cand := leastLoaded(cands, self, selfLoad)
	return n.leases.place(ctx, key, cand, replace)
}

// afterEnter returns the done of a local enter: if the enter created no
// room (it was refused), the lease just taken is given back.
func (n *Node) afterEnter(key trtc.RoomKey, unlock func()) func() {
	return func() {
		defer unlock()
		if !n.cfg.Rooms.Exists(key) {
			n.releaseLocked(key)
		}
	}
}

// releaseLocked gives up the lease of a room that is not live here. The
// caller holds the room's key lock.
func (n *Node) releaseLocked(key trtc.RoomKey) {
	n.mu.Lock()
	t, ok := n.held[key]
	delete(n.held, key)
	n.mu.Unlock()
	if !ok || t == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), placeTimeout)
	defer cancel()
	err := n.leases.release(ctx, key, Lease{Node: n.cfg.ID, Token: t})
	switch {
	case errors.Is(err, ErrStaleToken):
		n.log.Warn("cluster: a lease released after it was lost", "room", key.String(), "token", t)
	case err != nil:
		n.redisError("release", err) // the lease expires by itself
	}
}

// releaseIfGone releases a room's lease once the room has ended here.
func (n *Node) releaseIfGone(key trtc.RoomKey) {
	unlock := n.locks.lock(key)
	defer unlock()
	if n.cfg.Rooms.Exists(key) {
		return // entered again meanwhile: the lease stays
	}
	n.releaseLocked(key)
}

// Flush waits until the leases of rooms that ended have been released.
func (n *Node) Flush() {
	n.mu.Lock()
	for n.pending > 0 {
		n.relDone.Wait()
	}
	n.mu.Unlock()
}

// nodeInfo finds a live node, from the last list read or else a fresh one.
func (n *Node) nodeInfo(ctx context.Context, id NodeID) (NodeInfo, bool) {
	n.mu.Lock()
	seen := n.seen
	n.mu.Unlock()
	if n.fresh(seen, id) {
		info, _ := find(seen, id)
		return info, true
	}
	nodes, err := n.nodes(ctx)
	if err != nil {
		return NodeInfo{}, false
	}
	return find(nodes, id)
}

// fresh reports whether id is in a node list with a registration that has
// not lapsed (a list read earlier may hold a node that died since).
func (n *Node) fresh(nodes []NodeInfo, id NodeID) bool {
	info, ok := find(nodes, id)
	return ok && info.Expires > n.cfg.Now().UnixMilli()
}

func find(nodes []NodeInfo, id NodeID) (NodeInfo, bool) {
	for _, x := range nodes {
		if x.ID == id {
			return x, true
		}
	}
	return NodeInfo{}, false
}

// Observer returns the room observer that releases a room's lease when the
// room ends on this node.
func (n *Node) Observer() room.Observer { return observer{n: n} }

type observer struct {
	room.NopObserver
	n *Node
}

// UserEntered, UserLeft and RoleChanged keep the member tables of LIVE
// rooms (edge.go); they run with the room's lock held and never wait.
func (o observer) UserEntered(r room.RoomInfo, m room.MemberInfo, _ time.Time) {
	o.n.edgeEntered(r, m)
}

func (o observer) UserLeft(r room.RoomInfo, m room.MemberInfo, _ room.Cause, _ time.Time) {
	o.n.edgeLeft(r, m)
}

func (o observer) RoleChanged(r room.RoomInfo, m room.MemberInfo, _ time.Time) {
	o.n.edgeRoleChanged(r, m)
}

// RoomDestroyed runs with the room's lock held: the release, which takes
// the room's key lock and talks to Redis, runs in its own goroutine.
func (o observer) RoomDestroyed(r room.RoomInfo, _ time.Time) {
	n := o.n
	n.mu.Lock()
	if n.closed { // Close has released every lease already
		n.mu.Unlock()
		return
	}
	n.pending++
	n.mu.Unlock()
	go func() {
		n.releaseIfGone(r.Key)
		n.mu.Lock()
		n.pending--
		if n.pending == 0 {
			n.relDone.Broadcast()
		}
		n.mu.Unlock()
	}()
}
