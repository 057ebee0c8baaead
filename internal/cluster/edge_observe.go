package cluster

import (
	"context"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// The observer's part of LIVE rooms across nodes: route.go's observer
// forwards room events here. They run under the room's lock, so they only
// note what happened and queue the member table updates (opqueue.go).

// edgeEntered counts a local member and writes its entry; an older session
// of the same userId on another node is asked to end.
func (n *Node) edgeEntered(r room.RoomInfo, m room.MemberInfo) {
	e := n.edge
	if e == nil || !r.Scene.IsLive() || mirrored(m) {
		return
	}
	key, user, session := r.Key, m.UserID, string(m.Session)
	e.mu.Lock()
	e.local[key]++
	var pending, old string
	if res := e.pending[key]; res != nil && res.user == user && !res.entered {
		res.entered = true
		pending, old = res.pending, res.old
	}
	e.mu.Unlock()
	final := memberValue(n.cfg.ID, session, m.Role)
	e.ops.post(func(ctx context.Context) {
		wrote, replaced, err := e.members.settle(ctx, key, user, pending, final)
		if err != nil {
			n.redisError("settle", err)
			return
		}
		if pending == "" {
			old = replaced
		}
		if !wrote {
			// A newer session on another node took the place meanwhile:
			// this one is the older, and ends (the newer one wins).
			n.kickLocal(key, user, session)
			return
		}
		if prev, ok := parseEntry(old); ok && prev.Node != n.cfg.ID {
			n.kick(key, user, prev)
		}
	})
}

// edgeLeft frees a local member's entry and ends a mirror without viewers.
func (n *Node) edgeLeft(r room.RoomInfo, m room.MemberInfo) {
	e := n.edge
	if e == nil || !r.Scene.IsLive() || mirrored(m) {
		return
	}
	key, user, session := r.Key, m.UserID, string(m.Session)
	e.mu.Lock()
	e.local[key]--
	if e.local[key] <= 0 {
		delete(e.local, key)
	}
	idle := e.mirrors[key] != nil && e.local[key] == 0 && e.pending[key] == nil
	e.mu.Unlock()
	e.ops.post(func(ctx context.Context) {
		if err := e.members.leave(ctx, key, user, n.cfg.ID, session); err != nil {
			n.redisError("leave", err)
		}
	})
	if idle {
		// The last viewer left: end the mirror, unless a viewer entered
		// meanwhile (checked again under the room's key lock).
		e.spawn(func() {
			unlock := n.locks.lock(key)
			defer unlock()
			if e.idle(key) {
				e.closeMirror(key)
			}
		})
	}
}

// edgeRoleChanged records a role switch (a switch to audience is counted,
// never refused).
func (n *Node) edgeRoleChanged(r room.RoomInfo, m room.MemberInfo) {
	e := n.edge
	if e == nil || !r.Scene.IsLive() || mirrored(m) {
		return
	}
	key, user, session, role := r.Key, m.UserID, string(m.Session), m.Role
	e.ops.post(func(ctx context.Context) {
		if err := e.members.role(ctx, key, user, n.cfg.ID, session, role); err != nil {
			n.redisError("role", err)
		}
	})
}

// kickLocal ends a local session replaced by a newer one elsewhere.
func (n *Node) kickLocal(key trtc.RoomKey, user trtc.UserID, session string) {
	if err := n.edge.cfg.Host.Replace(key, user, session); err == nil {
		n.log.Info("cluster: a session replaced by a newer one on another node", "room", key.String(), "user", string(user))
	}
}

// kick asks the node of an older session of user to end it (replace.go).
func (n *Node) kick(key trtc.RoomKey, user trtc.UserID, prev entry) {
	n.edge.spawn(func() {
		ctx, cancel := context.WithTimeout(n.ctx, callTimeout)
		defer cancel()
		info, ok := n.nodeInfo(ctx, prev.Node)
		if !ok {
			return // gone: so is the session
		}
		if err := n.replaceOn(ctx, info, key, user, prev.Session); err != nil {
			n.log.Warn("cluster: could not end a replaced session on its node", "room", key.String(), "user", string(user), "peer", string(prev.Node), "err", err)
		}
	})
}
