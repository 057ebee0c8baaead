package room

import "github.com/rtcengine/rtcengine/internal/trtc"

// SubStreamOwner returns the user sharing a screen in the room, if any. It
// lets an edge refuse a second screen share before the user enters; the
// room still enforces the rule when the stream is set (SetStream).
func (r *Room) SubStreamOwner() (trtc.UserID, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.subOwner == nil {
		return "", false
	}
	return r.subOwner.userID, true
}
