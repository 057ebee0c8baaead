package conference

import (
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// TrackState is what a Watcher hears about one published stream of a room.
type TrackState struct {
	User   trtc.UserID
	Stream room.Stream
	// Track is the SFU track; in-process consumers read it with
	// sfu.PublishedTrack.AddTap.
	Track *sfu.PublishedTrack
	// Available is false while the publisher has muted the stream or the
	// app blocked it (SetUserBlocked), as for any subscriber.
	Available bool
	// Gone is set once: the track was unpublished or its publisher left.
	Gone bool
}

// Watcher follows the published streams of one room without being a
// member: recorders and relays inside the server. It is called on the
// hub's loop, in order, and must not block or call back into the hub
// synchronously.
type Watcher interface {
	TrackChanged(TrackState)
}

// WatcherFunc adapts a function to Watcher.
type WatcherFunc func(TrackState)

// TrackChanged calls f.
func (f WatcherFunc) TrackChanged(s TrackState) { f(s) }

// watch is one installed Watcher.
type watch struct{ w Watcher }

// Watch installs w for the room key; it first hears every stream already
// published, then every change. A w that is also a MemberWatcher first
// hears the room's anchors, then their changes. The returned function
// uninstalls it; after it returns w is not called again.
func (h *Hub) Watch(key trtc.RoomKey, w Watcher) (stop func()) {
	x := &watch{w: w}
	h.loop.Call(func() {
		if h.watchers == nil {
			h.watchers = map[trtc.RoomKey]map[*watch]bool{}
		}
		if h.watchers[key] == nil {
			h.watchers[key] = map[*watch]bool{}
		}
		h.watchers[key][x] = true
		h.replayMembers(key, w) // members.go
		if rs := h.rooms[key]; rs != nil {
			for _, pub := range rs.tracks {
				w.TrackChanged(stateOf(pub, false))
			}
		}
	})
	return func() {
		h.loop.Call(func() {
			delete(h.watchers[key], x)
			if len(h.watchers[key]) == 0 {
				delete(h.watchers, key)
			}
		})
	}
}

func stateOf(pub *published, gone bool) TrackState {
	return TrackState{
		User: pub.key.user, Stream: pub.key.stream, Track: pub.track,
		Available: !gone && pub.owner.availFor(pub.key.stream) && !pub.owner.gone,
		Gone:      gone,
	}
}

// notifyWatchers tells the room's watchers about pub (loop only).
func (h *Hub) notifyWatchers(key trtc.RoomKey, pub *published, gone bool) {
	ws := h.watchers[key]
	if len(ws) == 0 {
		return
	}
	st := stateOf(pub, gone)
	for x := range ws {
		x.w.TrackChanged(st)
	}
}
