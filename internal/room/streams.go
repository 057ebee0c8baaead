package room

import (
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Stream is a kind of media a member can publish. The small video stream is a
// layer of StreamVideo, not a stream of its own: TRTC reports one video
// availability for big and small.
type Stream uint8

const (
	StreamUnknown Stream = iota
	StreamAudio
	StreamVideo // main camera stream (big, with its optional small layer)
	StreamSub   // screen share
)

func (s Stream) String() string {
	switch s {
	case StreamAudio:
		return "audio"
	case StreamVideo:
		return "video"
	case StreamSub:
		return "sub"
	}
	return "unknown"
}

// ParseStream is the inverse of String.
func ParseStream(s string) Stream {
	switch s {
	case "audio":
		return StreamAudio
	case "video":
		return StreamVideo
	case "sub":
		return StreamSub
	}
	return StreamUnknown
}

// Streams is the set of streams a member makes available.
type Streams struct {
	Audio, Video, Sub bool
}

func (s Streams) any() bool { return s.Audio || s.Video || s.Sub }

func (s *Streams) set(k Stream, on bool) {
	switch k {
	case StreamAudio:
		s.Audio = on
	case StreamVideo:
		s.Video = on
	case StreamSub:
		s.Sub = on
	}
}

func (s Streams) has(k Stream) bool {
	switch k {
	case StreamAudio:
		return s.Audio
	case StreamVideo:
		return s.Video
	case StreamSub:
		return s.Sub
	}
	return false
}

// privilegeFor is the PrivateMapKey bit that allows sending k.
func privilegeFor(k Stream) uint32 {
	switch k {
	case StreamAudio:
		return trtc.PrivSendAudio
	case StreamVideo:
		return trtc.PrivSendVideo
	case StreamSub:
		return trtc.PrivSendSub
	}
	return 0
}

// SetStream makes one of the member's streams available or unavailable.
// Others see EventStreamAvailable. It refuses audience members
// (ErrAudienceCannotPublish), a second screen sharer in the room
// (ErrSubStreamOccupied), missing PrivateMapKey bits (ErrNoPublishPrivilege)
// and, in call scenes, a publisher beyond CallMaxAnchors (ErrAnchorsFull).
// Setting a stream to its current state is a no-op.
func (m *Member) SetStream(k Stream, on bool, privileges *uint32) error {
	r := m.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.state == stateLeft {
		return ErrNotMember
	}
	if k == StreamUnknown || k > StreamSub {
		return ErrInvalidStream
	}
	if m.streams.has(k) == on {
		return nil
	}
	if on {
		if m.role != trtc.RoleAnchor {
			return ErrAudienceCannotPublish
		}
		if privileges != nil && *privileges&privilegeFor(k) == 0 {
			return ErrNoPublishPrivilege
		}
		if k == StreamSub && r.subOwner != nil && r.subOwner != m {
			return ErrSubStreamOccupied
		}
		if !r.scene.IsLive() && !m.streams.any() && r.publishers >= r.mgr.cfg.CallMaxAnchors {
			return ErrAnchorsFull
		}
	}
	r.setStreamLocked(m, k, on)
	return nil
}

func (r *Room) setStreamLocked(m *Member, k Stream, on bool) {
	was := m.streams.any()
	shown := r.shownLocked(m).has(k)
	m.streams.set(k, on)
	if now := m.streams.any(); now != was {
		if now {
			r.publishers++
		} else {
			r.publishers--
		}
	}
	if k == StreamSub {
		if on {
			r.subOwner = m
		} else if r.subOwner == m {
			r.subOwner = nil
		}
	}
	// Others hear only of what they can see: a blocked stream stays
	// unavailable to them whatever its publisher does.
	if r.shownLocked(m).has(k) != shown {
		r.announceLocked(m, k, !shown)
	}
}

// announceLocked tells the observers and the others that one of m's
// streams became (un)available to them. Observers first: the webhook
// outbox records the change before any member can react to it, so what a
// member does next (in this room or another) is recorded after it.
func (r *Room) announceLocked(m *Member, k Stream, on bool) {
	r.mgr.obs.StreamChanged(r.Info(), m.infoLocked(), k, on, r.mgr.clock.Now())
	r.broadcast(m, Event{Kind: EventStreamAvailable, UserID: m.userID, Role: m.role, Stream: k, Available: on})
}

// clearStreamsLocked drops every stream of a member that leaves or stops
// being an anchor. Others are not told stream by stream: the leave (or the
// switch to audience, reason 3) says it all.
func (r *Room) clearStreamsLocked(m *Member) {
	if m.streams.any() {
		r.publishers--
	}
	if r.subOwner == m {
		r.subOwner = nil
	}
	m.streams = Streams{}
}

// Streams returns the member's streams as others see them: published, not
// muted, and not blocked by SetUserBlocked.
func (m *Member) Streams() Streams {
	m.room.mu.Lock()
	defer m.room.mu.Unlock()
	return m.room.shownLocked(m)
}
