package cluster

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// recorder is the reported observers (webhooks, history) in these tests:
// it notes each event with the room's creation time (its CommId's part).
type recorder struct{ got []string }

func (r *recorder) add(ev string, ri room.RoomInfo, user trtc.UserID) {
	r.got = append(r.got, fmt.Sprintf("%s %s %d", ev, user, ri.Created.Unix()))
}
func (r *recorder) RoomCreated(ri room.RoomInfo, _ time.Time) { r.add("created", ri, ri.Creator) }
func (r *recorder) RoomDestroyed(ri room.RoomInfo, _ time.Time) {
	r.add("destroyed", ri, "")
}
func (r *recorder) UserEntered(ri room.RoomInfo, m room.MemberInfo, _ time.Time) {
	r.add("entered", ri, m.UserID)
}
func (r *recorder) UserLeft(ri room.RoomInfo, m room.MemberInfo, _ room.Cause, _ time.Time) {
	r.add("left", ri, m.UserID)
}
func (r *recorder) RoleChanged(ri room.RoomInfo, m room.MemberInfo, _ time.Time) {
	r.add("role", ri, m.UserID)
}
func (r *recorder) StreamChanged(ri room.RoomInfo, m room.MemberInfo, _ room.Stream, _ bool, _ time.Time) {
	r.add("stream", ri, m.UserID)
}

// TestReporting drives the decorator through a room's lives on one node:
// as the owner, as an edge (with and without the owner's creation time),
// and as an edge that becomes the owner.
func TestReporting(t *testing.T) {
	key := trtc.RoomKey{App: 1400000001, Num: 9}
	local := time.Unix(2000, 0)   // this node's copy of the room
	atOwner := time.Unix(1000, 0) // the owner's room
	now := time.Unix(3000, 0)     // when events happen
	ri := room.RoomInfo{Key: key, Scene: trtc.SceneLive, Created: local, Creator: "first"}
	user := room.MemberInfo{UserID: "viewer", Role: trtc.RoleAudience}
	shadow := room.MemberInfo{UserID: "anchor", Role: trtc.RoleAnchor, Mirrored: true}

	tests := []struct {
		name   string
		held   bool      // this node owns the room
		origin time.Time // the owner's creation time the mirror learned (zero: none)
		drive  func(o room.Observer, n *Node)
		want   []string
	}{
		{"owner reports everything but mirrored members", true, time.Time{}, func(o room.Observer, n *Node) {
			o.RoomCreated(ri, now)
			o.UserEntered(ri, user, now)
			o.UserEntered(ri, shadow, now)
			o.StreamChanged(ri, shadow, room.StreamVideo, true, now)
			o.RoleChanged(ri, user, now)
			o.UserLeft(ri, shadow, room.CauseNormal, now)
			o.UserLeft(ri, user, room.CauseNormal, now)
			o.RoomDestroyed(ri, now)
		}, []string{"created first 2000", "entered viewer 2000", "role viewer 2000", "left viewer 2000", "destroyed  2000"}},
		{"owner that released its lease (a drain) still reports the end", true, time.Time{}, func(o room.Observer, n *Node) {
			o.RoomCreated(ri, now)
			n.mu.Lock()
			delete(n.held, key)
			n.mu.Unlock()
			o.UserLeft(ri, user, room.CauseShutdown, now)
			o.RoomDestroyed(ri, now)
		}, []string{"created first 2000", "left viewer 2000", "destroyed  2000"}},
		{"edge reports its users under the owner's room", false, atOwner, func(o room.Observer, n *Node) {
			o.RoomCreated(ri, now)
			o.UserEntered(ri, shadow, now)
			o.StreamChanged(ri, shadow, room.StreamAudio, true, now)
			o.UserEntered(ri, user, now)
			o.StreamChanged(ri, user, room.StreamVideo, true, now) // an anchor of the edge's own
			o.UserLeft(ri, user, room.CauseNormal, now)
			o.UserLeft(ri, shadow, room.CauseNormal, now)
			o.RoomDestroyed(ri, now)
		}, []string{"entered viewer 1000", "stream viewer 1000", "left viewer 1000"}},
		{"edge without the owner's time keeps its own", false, time.Time{}, func(o room.Observer, n *Node) {
			o.RoomCreated(ri, now)
			o.UserEntered(ri, user, now)
			o.RoomDestroyed(ri, now)
		}, []string{"entered viewer 2000"}},
		{"edge that becomes the owner reports the room from then", false, atOwner, func(o room.Observer, n *Node) {
			o.RoomCreated(ri, now)
			o.UserEntered(ri, user, now)
			n.mu.Lock()
			n.held[key] = 7 // an anchor placed the room here
			n.mu.Unlock()
			o.UserEntered(ri, room.MemberInfo{UserID: "bob", Role: trtc.RoleAnchor}, now)
			o.UserLeft(ri, user, room.CauseNormal, now)
			o.RoomDestroyed(ri, now)
		}, []string{"entered viewer 1000", "created bob 3000", "entered bob 3000", "left viewer 3000", "destroyed  3000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &Node{held: map[trtc.RoomKey]uint64{}}
			if tt.held {
				n.held[key] = 1
			}
			n.rep.learn(key, tt.origin)
			rec := &recorder{}
			tt.drive(n.Reporting(rec), n)
			if !slices.Equal(rec.got, tt.want) {
				t.Fatalf("reported\n got %q\nwant %q", rec.got, tt.want)
			}
			// Quality reports of a room mirrored here go under the owner's room.
			if got := n.ReportedRoom(ri).Created; !tt.origin.IsZero() && !got.Equal(tt.origin) {
				t.Fatalf("ReportedRoom: created %v, want the owner's %v", got, tt.origin)
			}
		})
	}
}
