package room

import (
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Room is one room of one app. All of its state is guarded by mu.
type Room struct {
	mgr     *Manager
	key     trtc.RoomKey
	scene   trtc.Scene
	created time.Time
	creator trtc.UserID

	mu         sync.Mutex
	members    map[trtc.UserID]*Member
	anchors    int
	audience   int
	destroyed  bool
	publishers int     // members with at least one stream available
	subOwner   *Member // the one screen sharer, if any
	ttl        Timer   // pending destruction of an empty live room
	ttlGen     uint64  // invalidates a ttl callback that lost the race with Stop

	blocked map[trtc.UserID]Block // SetUserBlocked, for the room's life (block.go)

	msgs messageLog // recent custom messages (message.go)
}

// Key returns the room's key.
func (r *Room) Key() trtc.RoomKey { return r.key }

// Scene returns the scene fixed by the first enter.
func (r *Room) Scene() trtc.Scene { return r.scene }

// Info describes the room for observers.
func (r *Room) Info() RoomInfo {
	return RoomInfo{Key: r.key, Scene: r.scene, Created: r.created, Creator: r.creator}
}

// Counts returns the number of anchors and audience members.
func (r *Room) Counts() (anchors, audience int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.anchors, r.audience
}

// visible reports whether others see role's enters and leaves: everyone in
// call scenes, anchors only in live scenes.
func (r *Room) visible(role trtc.Role) bool {
	return !r.scene.IsLive() || role == trtc.RoleAnchor
}

func (r *Room) join(req JoinRequest, created bool) (*Member, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.destroyed {
		return nil, errRoomGone
	}
	now := r.mgr.clock.Now()
	if !created && req.Privileges != nil && *req.Privileges&trtc.PrivEnterRoom == 0 {
		return nil, ErrNoEnterPrivilege
	}
	old := r.members[req.UserID]
	if err := r.checkCaps(req.Role, old); err != nil {
		if created {
			r.destroyLocked(now) // the room existed only for this enter
		}
		return nil, err
	}
	m := &Member{
		room:    r,
		userID:  req.UserID,
		role:    req.Role,
		session: SessionID(randomHex(16)),
		token:   randomHex(32),
		joined:  now,
		client:  req.Client,
		mirror:  req.Mirrored,
		sink:    req.Sink,
		state:   stateActive,
		msgs:    memberMsgs{floor: r.msgs.head},
	}
	r.cancelTTL()
	if created {
		r.mgr.obs.RoomCreated(r.Info(), now)
	}
	if old != nil {
		// The newer session wins. The old one is told why and leaves quietly:
		// others see an enter or a leave only if visibility changes.
		old.deliver(Event{Kind: EventKicked, Reason: int(trtc.ExitRemoved), Err: ErrReplaced})
		r.removeLocked(old, CauseReplaced, now)
		if r.visible(old.role) && !r.visible(m.role) {
			r.broadcast(m, Event{Kind: EventUserLeave, UserID: m.userID, Role: old.role, Reason: int(trtc.LeaveNormal)})
		}
	}
	r.addLocked(m)
	// Observers first: a durable one (webhooks) has the enter on disk
	// before EventJoined answers the client.
	info := m.infoLocked()
	info.Replaced = old != nil
	r.mgr.obs.UserEntered(r.Info(), info, now)
	m.deliver(Event{Kind: EventJoined, Snapshot: r.snapshotLocked(m, false)})
	if r.visible(m.role) && (old == nil || !r.visible(old.role)) {
		r.broadcast(m, Event{Kind: EventUserEnter, UserID: m.userID, Role: m.role})
	}
	return m, nil
}

// checkCaps applies the scene's limits to an enter of role; old is a member
// with the same userId about to be replaced (it frees its place).
func (r *Room) checkCaps(role trtc.Role, old *Member) error {
	cfg := r.mgr.cfg
	if !r.scene.IsLive() {
		n := len(r.members)
		if old != nil {
			n--
		}
		if n >= cfg.CallMaxUsers {
			return ErrRoomFull
		}
		return nil
	}
	anchors, audience := r.anchors, r.audience
	if old != nil {
		if old.role == trtc.RoleAnchor {
			anchors--
		} else {
			audience--
		}
	}
	if role == trtc.RoleAnchor && anchors >= cfg.LiveMaxAnchors {
		return ErrRoomFull
	}
	if role == trtc.RoleAudience && audience >= cfg.LiveMaxAudience {
		return ErrRoomFull
	}
	return nil
}

func (r *Room) addLocked(m *Member) {
	r.members[m.userID] = m
	r.count(m.role, +1)
	r.mgr.addSession(m)
}

func (r *Room) count(role trtc.Role, d int) {
	if role == trtc.RoleAnchor {
		r.anchors += d
	} else {
		r.audience += d
	}
}

// removeLocked takes m out of the room and tells observers. It does not
// notify other members and does not apply the destruction rules.
func (r *Room) removeLocked(m *Member, cause Cause, now time.Time) {
	if m.state == stateLeft {
		return
	}
	m.state = stateLeft
	m.sink = nil
	m.stopDropTimer()
	r.clearStreamsLocked(m)
	if r.members[m.userID] == m {
		delete(r.members, m.userID)
		r.count(m.role, -1)
	}
	r.mgr.dropSession(m)
	r.mgr.obs.UserLeft(r.Info(), m.infoLocked(), cause, now)
}

// leaveLocked removes m, tells the others, and applies the destruction rules.
func (r *Room) leaveLocked(m *Member, cause Cause, reason trtc.LeaveReason, now time.Time) {
	if m.state == stateLeft {
		return
	}
	r.removeLocked(m, cause, now)
	if r.visible(m.role) {
		r.broadcast(nil, Event{Kind: EventUserLeave, UserID: m.userID, Role: m.role, Reason: int(reason)})
	}
	r.afterLeaveLocked(m.role, cause, now)
}

// afterLeaveLocked applies §10.3: call scenes end with their last user; live
// scenes end at once when the last leaver is an anchor (or everyone timed
// out), and LiveAudienceRoomTTL later when it is audience.
func (r *Room) afterLeaveLocked(lastRole trtc.Role, cause Cause, now time.Time) {
	if len(r.members) > 0 {
		return
	}
	if !r.scene.IsLive() || lastRole == trtc.RoleAnchor || cause == CauseTimeout {
		r.destroyLocked(now)
		return
	}
	r.cancelTTL()
	gen := r.ttlGen
	r.ttl = r.mgr.clock.AfterFunc(r.mgr.cfg.LiveAudienceRoomTTL, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.ttlGen == gen && len(r.members) == 0 && !r.destroyed {
			r.destroyLocked(r.mgr.clock.Now())
		}
	})
}

func (r *Room) cancelTTL() {
	r.ttlGen++
	if r.ttl != nil {
		r.ttl.Stop()
		r.ttl = nil
	}
}

func (r *Room) destroyLocked(now time.Time) {
	if r.destroyed {
		return
	}
	r.destroyed = true
	r.cancelTTL()
	r.mgr.dropRoom(r)
	r.mgr.obs.RoomDestroyed(r.Info(), now)
}

// broadcast delivers e to every attached member except skip.
func (r *Room) broadcast(skip *Member, e Event) {
	for _, o := range r.members {
		if o != skip {
			o.deliver(e)
		}
	}
}

// snapshotLocked lists the users visible to m.
func (r *Room) snapshotLocked(m *Member, resumed bool) *Snapshot {
	s := &Snapshot{Key: r.key, Scene: r.scene, Role: m.role, Session: m.session, Token: m.token, Resumed: resumed}
	for _, o := range r.members {
		if o != m && r.visible(o.role) {
			s.Users = append(s.Users, RemoteUser{UserID: o.userID, Role: o.role, Streams: r.shownLocked(o)})
		}
	}
	return s
}

func (r *Room) resume(m *Member, sink Sink) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.state == stateLeft {
		return ErrSessionExpired
	}
	m.stopDropTimer()
	if m.sink != nil && m.sink != sink {
		m.sink.Deliver(Event{Kind: EventMoved})
	}
	m.state = stateActive
	m.sink = sink
	m.deliver(Event{Kind: EventJoined, Snapshot: r.snapshotLocked(m, true)})
	return nil
}

func (r *Room) removeUsers(users []trtc.UserID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.destroyed {
		return ErrRoomNotFound
	}
	now := r.mgr.clock.Now()
	for _, u := range users {
		m := r.members[u]
		if m == nil {
			continue
		}
		m.deliver(Event{Kind: EventKicked, Reason: int(trtc.ExitRemoved), Err: ErrRemoved})
		r.leaveLocked(m, CauseRemoved, trtc.LeaveRemoved, now)
	}
	return nil
}

// dismiss kicks everyone with reason and destroys the room. gone is returned
// when the room was already destroyed.
func (r *Room) dismiss(cause Cause, reason trtc.ExitReason, gone error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.destroyed {
		return gone
	}
	now := r.mgr.clock.Now()
	for _, m := range r.members {
		if cause == CauseDismissed {
			m.deliver(Event{Kind: EventKicked, Reason: int(reason), Err: ErrDismissed})
		}
		r.removeLocked(m, cause, now)
	}
	r.destroyLocked(now)
	return nil
}
