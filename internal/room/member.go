package room

import (
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

type memberState uint8

const (
	stateUnknown  memberState = iota
	stateActive               // in the room with a connection
	stateDetached             // in the room, connection lost, drop timer running
	stateLeft                 // out of the room for good
)

// Member is one user's session in a room. Its fields are guarded by the room's lock.
type Member struct {
	room    *Room
	userID  trtc.UserID
	role    trtc.Role
	session SessionID
	token   string
	joined  time.Time
	client  ClientInfo
	mirror  bool // JoinRequest.Mirrored

	state   memberState
	streams Streams
	sink    Sink
	drop    Timer
	dropGen uint64
	msgs    memberMsgs // custom messages (message.go)
}

// UserID returns the member's userId.
func (m *Member) UserID() trtc.UserID { return m.userID }

// Room returns the member's room.
func (m *Member) Room() *Room { return m.room }

// Session returns the member's session id.
func (m *Member) Session() SessionID { return m.session }

// Role returns the member's current role.
func (m *Member) Role() trtc.Role {
	m.room.mu.Lock()
	defer m.room.mu.Unlock()
	return m.role
}

// Active reports whether the member is still in the room.
func (m *Member) Active() bool {
	m.room.mu.Lock()
	defer m.room.mu.Unlock()
	return m.state != stateLeft
}

func (m *Member) infoLocked() MemberInfo {
	return MemberInfo{UserID: m.userID, Role: m.role, Session: m.session, Joined: m.joined, Client: m.client, Mirrored: m.mirror}
}

func (m *Member) deliver(e Event) {
	if m.sink != nil {
		m.sink.Deliver(e)
	}
}

func (m *Member) stopDropTimer() {
	m.dropGen++
	if m.drop != nil {
		m.drop.Stop()
		m.drop = nil
	}
}

// Leave is exitRoom: others see the user leave with reason 0. Leaving twice is
// harmless.
func (m *Member) Leave() {
	r := m.room
	r.mu.Lock()
	defer r.mu.Unlock()
	r.leaveLocked(m, CauseNormal, trtc.LeaveNormal, r.mgr.clock.Now())
}

// LeaveTimedOut removes the member as a connection lost past the drop
// timeout does: others see leave reason 1, the webhook says 104 reason 2.
// For members without a signaling session (WHIP, WHEP) whose media
// connection failed or never connected.
func (m *Member) LeaveTimedOut() {
	r := m.room
	r.mu.Lock()
	defer r.mu.Unlock()
	r.leaveLocked(m, CauseTimeout, trtc.LeaveTimeout, r.mgr.clock.Now())
}

// Detach records that sink's connection is gone. Unless the member resumes
// within the drop timeout, it is removed and others see leave reason 1. A
// detach from a sink that is no longer the member's (the member already
// resumed elsewhere) is ignored.
func (m *Member) Detach(sink Sink) {
	r := m.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.state != stateActive || m.sink != sink {
		return
	}
	m.state = stateDetached
	m.sink = nil
	m.stopDropTimer()
	gen := m.dropGen
	m.drop = r.mgr.clock.AfterFunc(r.mgr.cfg.DropTimeout, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if m.dropGen == gen && m.state == stateDetached {
			r.leaveLocked(m, CauseTimeout, trtc.LeaveTimeout, r.mgr.clock.Now())
		}
	})
}

// SwitchRole changes the member's role in a live scene. Anchor→audience makes
// others see a leave with reason 3; audience→anchor makes them see an enter,
// within the anchor cap. privileges, when non-nil, are re-checked PrivateMapKey
// bits (entering is required for either role).
func (m *Member) SwitchRole(role trtc.Role, privileges *uint32) error {
	r := m.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.state == stateLeft {
		return ErrNotMember
	}
	if !role.Valid() {
		return ErrInvalidRole
	}
	if !r.scene.IsLive() {
		return ErrNotLiveScene
	}
	if privileges != nil && *privileges&trtc.PrivEnterRoom == 0 {
		return ErrNoEnterPrivilege
	}
	if role == m.role {
		return nil
	}
	if role == trtc.RoleAnchor && r.anchors >= r.mgr.cfg.LiveMaxAnchors {
		return ErrAnchorsFull
	}
	if role == trtc.RoleAudience && r.audience >= r.mgr.cfg.LiveMaxAudience {
		return ErrRoomFull
	}
	r.count(m.role, -1)
	r.count(role, +1)
	m.role = role
	if role == trtc.RoleAudience {
		r.clearStreamsLocked(m)
	}
	// Observers before members, as everywhere: what members do after
	// hearing of the change is recorded after it.
	r.mgr.obs.RoleChanged(r.Info(), m.infoLocked(), r.mgr.clock.Now())
	if role == trtc.RoleAnchor {
		r.broadcast(m, Event{Kind: EventUserEnter, UserID: m.userID, Role: role})
	} else {
		r.broadcast(m, Event{Kind: EventUserLeave, UserID: m.userID, Role: role, Reason: int(trtc.LeaveSwitchedRole)})
	}
	return nil
}
