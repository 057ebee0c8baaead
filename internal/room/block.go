package room

import "github.com/rtcengine/rtcengine/internal/trtc"

// Block is what the REST action SetUserBlocked takes from a user
// (trtc-reference §7.3): while blocked, the user's audio and/or video count
// as unavailable to everyone else, whatever the user publishes, and the
// media side stops forwarding them. The user is not told; its own
// publishing is untouched, so lifting the block restores at once whatever
// it still publishes.
type Block struct {
	Audio bool
	// Video covers all of the user's video: the camera stream (big and
	// small) and the screen share (sub).
	Video bool
}

// mask removes the blocked streams from s.
func (b Block) mask(s Streams) Streams {
	if b.Audio {
		s.Audio = false
	}
	if b.Video {
		s.Video, s.Sub = false, false
	}
	return s
}

// shownLocked is what the others see of m's streams.
func (r *Room) shownLocked(m *Member) Streams { return r.blocked[m.userID].mask(m.streams) }

// SetBlocked blocks or unblocks a user's audio and video in a room; the zero
// Block lifts every block. Others get EventStreamAvailable for each stream
// whose availability to them changes, and observers StreamChanged. The
// block is the room's, by userId: it outlives the user's session (leaving
// and entering again does not lift it) and ends with the room. It returns
// ErrRoomNotFound, or ErrUserNotFound when the user is not in the room.
// Setting the current block again changes nothing.
func (mgr *Manager) SetBlocked(key trtc.RoomKey, user trtc.UserID, b Block) error {
	r, ok := mgr.Room(key)
	if !ok {
		return ErrRoomNotFound
	}
	return r.setBlocked(user, b)
}

func (r *Room) setBlocked(user trtc.UserID, b Block) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.destroyed {
		return ErrRoomNotFound
	}
	m := r.members[user]
	if m == nil {
		return ErrUserNotFound
	}
	before := r.shownLocked(m)
	if b == (Block{}) {
		delete(r.blocked, user)
	} else {
		if r.blocked == nil {
			r.blocked = make(map[trtc.UserID]Block)
		}
		r.blocked[user] = b
	}
	after := r.shownLocked(m)
	for _, k := range []Stream{StreamAudio, StreamVideo, StreamSub} {
		if before.has(k) != after.has(k) {
			r.announceLocked(m, k, after.has(k))
		}
	}
	return nil
}

// Blocked returns the user's current block in the room.
func (r *Room) Blocked(user trtc.UserID) Block {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.blocked[user]
}
