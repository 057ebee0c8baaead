package cluster

import (
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// What the app hears about a room in a cluster (docs/cluster.md, "Webhooks
// and history"): one room, reported by its owner, with every user reported
// once, by the node that serves the user. A LIVE room mirrored by edges has
// a copy on every edge; Reporting keeps those copies from reporting the
// room again:
//
//   - members that stand for another node's members (the relay's copies of
//     remote anchors, room.MemberInfo.Mirrored) are never reported: their
//     own node reports them, including their media events (201–206);
//   - a copy of a room this node does not own reports no 101 or 102 and
//     creates no room record; its own users are reported under the owner's
//     room: RoomInfo.Created is the origin's creation time, which the relay
//     link's upgrade answer carries, so their sessions share the owner's
//     CommId (SdkAppId_RoomId_CreateTime);
//   - a copy that becomes the room's owner (an anchor placed the room here
//     after its previous owner ended it while viewers stayed) reports the
//     room created at that moment, before its first event.

// reports is a node's record of how it reports its rooms.
type reports struct {
	mu     sync.Mutex
	owned  map[trtc.RoomKey]time.Time // rooms this node reported created → the creation time it reported
	origin map[trtc.RoomKey]time.Time // rooms mirrored here → their creation on the owner
}

// learn records the owner's creation time of a room mirrored here (zero:
// unknown).
func (r *reports) learn(key trtc.RoomKey, created time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if created.IsZero() {
		delete(r.origin, key)
		return
	}
	if r.origin == nil {
		r.origin = map[trtc.RoomKey]time.Time{}
	}
	r.origin[key] = created
}

// forget drops the owner's creation time of a room no longer mirrored.
func (r *reports) forget(key trtc.RoomKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.origin, key)
}

// own records that this node reported the room created at created.
func (r *reports) own(key trtc.RoomKey, created time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.owned == nil {
		r.owned = map[trtc.RoomKey]time.Time{}
	}
	r.owned[key] = created
}

// end forgets a room that ended here; ok says whether this node reported it
// created (and so reports it destroyed).
func (r *reports) end(key trtc.RoomKey) (created time.Time, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	created, ok = r.owned[key]
	delete(r.owned, key)
	return created, ok
}

// room returns ri as this node reports it: with the creation time it
// reported, or the owner's for a copy mirrored here. adopt is true when the
// node owns a room it has not reported yet: the caller reports it created.
func (r *reports) room(ri room.RoomInfo, held bool, at time.Time) (out room.RoomInfo, adopt bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.owned[ri.Key]; ok {
		ri.Created = c
		return ri, false
	}
	if held {
		if r.owned == nil {
			r.owned = map[trtc.RoomKey]time.Time{}
		}
		r.owned[ri.Key] = at
		ri.Created = at
		return ri, true
	}
	if c, ok := r.origin[ri.Key]; ok {
		ri.Created = c
	}
	return ri, false
}

// Reporting decorates the observers that report rooms and users to the app
// (webhooks and history) so that a room mirrored by edges is reported once
// (see above). Single-node servers do not use it.
func (n *Node) Reporting(next room.Observer) room.Observer { return reporter{n: n, next: next} }

// ReportedRoom returns ri as this node reports it (the creation time of
// the owner's room for a copy mirrored here), for records made outside room
// events, such as quality reports.
func (n *Node) ReportedRoom(ri room.RoomInfo) room.RoomInfo {
	n.rep.mu.Lock()
	defer n.rep.mu.Unlock()
	if c, ok := n.rep.owned[ri.Key]; ok {
		ri.Created = c
	} else if c, ok := n.rep.origin[ri.Key]; ok {
		ri.Created = c
	}
	return ri
}

type reporter struct {
	n    *Node
	next room.Observer
}

func (r reporter) RoomCreated(ri room.RoomInfo, at time.Time) {
	if _, owned := r.n.Held(ri.Key); !owned {
		return // a copy of another node's room: its owner reports it
	}
	r.n.rep.own(ri.Key, ri.Created)
	r.next.RoomCreated(ri, at)
}

func (r reporter) RoomDestroyed(ri room.RoomInfo, at time.Time) {
	created, ok := r.n.rep.end(ri.Key)
	if !ok {
		return
	}
	ri.Created = created
	r.next.RoomDestroyed(ri, at)
}

// member returns the room as reported for an event of member m; false for
// a member that another node reports.
func (r reporter) member(ri room.RoomInfo, m room.MemberInfo, at time.Time) (room.RoomInfo, bool) {
	if m.Mirrored {
		return ri, false
	}
	_, held := r.n.Held(ri.Key)
	out, adopt := r.n.rep.room(ri, held, at)
	if adopt {
		created := out
		created.Creator = m.UserID
		r.next.RoomCreated(created, at)
	}
	return out, true
}

func (r reporter) UserEntered(ri room.RoomInfo, m room.MemberInfo, at time.Time) {
	if ri, ok := r.member(ri, m, at); ok {
		r.next.UserEntered(ri, m, at)
	}
}

func (r reporter) UserLeft(ri room.RoomInfo, m room.MemberInfo, c room.Cause, at time.Time) {
	if ri, ok := r.member(ri, m, at); ok {
		r.next.UserLeft(ri, m, c, at)
	}
}

func (r reporter) RoleChanged(ri room.RoomInfo, m room.MemberInfo, at time.Time) {
	if ri, ok := r.member(ri, m, at); ok {
		r.next.RoleChanged(ri, m, at)
	}
}

func (r reporter) StreamChanged(ri room.RoomInfo, m room.MemberInfo, s room.Stream, on bool, at time.Time) {
	if ri, ok := r.member(ri, m, at); ok {
		r.next.StreamChanged(ri, m, s, on, at)
	}
}
