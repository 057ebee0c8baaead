package room

import "github.com/rtcengine/rtcengine/internal/trtc"

// ReplaceSession ends a member's session because a newer session of the
// same userId entered the room on another node of a cluster (the newer one
// wins, as within one room: docs/cluster.md). The member gets EventKicked
// with ErrReplaced; the others see it leave if they saw it at all. With a
// non-empty session only that session is ended, so a call that crossed a
// later enter on this node never ends the newest one. It returns
// ErrRoomNotFound or ErrUserNotFound when there is nothing to end.
func (mgr *Manager) ReplaceSession(key trtc.RoomKey, user trtc.UserID, session SessionID) error {
	r, ok := mgr.Room(key)
	if !ok {
		return ErrRoomNotFound
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.destroyed {
		return ErrRoomNotFound
	}
	m := r.members[user]
	if m == nil || (session != "" && m.session != session) {
		return ErrUserNotFound
	}
	m.deliver(Event{Kind: EventKicked, Reason: int(trtc.ExitRemoved), Err: ErrReplaced})
	r.leaveLocked(m, CauseReplaced, trtc.LeaveNormal, r.mgr.clock.Now())
	return nil
}

// MemberRole returns the role of user's member in the room; ok is false
// when the user is not in it.
func (r *Room) MemberRole(user trtc.UserID) (role trtc.Role, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.members[user]
	if m == nil {
		return trtc.RoleUnknown, false
	}
	return m.role, true
}
