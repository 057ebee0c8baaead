package conference

import (
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// MemberState is what a MemberWatcher hears about one anchor of a room:
// audience members are invisible, as to the room's other members.
type MemberState struct {
	User trtc.UserID
	// Streams are the streams the anchor makes available (published, not
	// muted, not blocked by SetUserBlocked).
	Streams room.Streams
	// Gone is set when the anchor left or became audience.
	Gone bool
}

// MemberWatcher is implemented by Watchers that also follow a room's
// anchors, their presence and availability, before any media flows: a
// relay that mirrors the room on another node (internal/relay). It is
// called like TrackChanged: on the hub's loop, in order, never blocking.
type MemberWatcher interface {
	MemberChanged(MemberState)
}

// memberState describes p to member watchers (loop only).
func memberState(p *Participant, gone bool) MemberState {
	gone = gone || p.gone || p.member.Role() != trtc.RoleAnchor
	st := MemberState{User: p.user, Gone: gone}
	if !gone {
		st.Streams = p.avail
	}
	return st
}

// notifyMember tells the room's member watchers about p (loop only):
// anchors, and the end of an anchor (it left or became audience); never an
// audience member, which the room keeps invisible.
func (h *Hub) notifyMember(p *Participant, gone bool) {
	if p.viewer != nil {
		return
	}
	st := memberState(p, gone)
	if st.Gone && !p.announced {
		return
	}
	p.announced = !st.Gone
	for x := range h.watchers[p.key] {
		if mw, ok := x.w.(MemberWatcher); ok {
			mw.MemberChanged(st)
		}
	}
}

// replayMembers tells a new watcher about the room's anchors (loop only).
func (h *Hub) replayMembers(key trtc.RoomKey, w Watcher) {
	mw, ok := w.(MemberWatcher)
	rs := h.rooms[key]
	if !ok || rs == nil {
		return
	}
	for _, p := range rs.parts {
		if st := memberState(p, false); !st.Gone && p.viewer == nil {
			p.announced = true
			mw.MemberChanged(st)
		}
	}
}

// roleChanged tells member watchers about an anchor that became audience or
// an audience member that became anchor (loop only).
func (h *Hub) roleChanged(session room.SessionID) {
	if p := h.parts[session]; p != nil {
		h.notifyMember(p, false)
	}
}
