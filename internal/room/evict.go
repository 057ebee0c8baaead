package room

import "github.com/rtcengine/rtcengine/internal/trtc"

// Evict ends a room on this node without telling its members, because the
// room lives on another node (cluster reconciliation, docs/cluster.md): the
// edge then tells their connections to reconnect, and they enter it there.
// Observers see each user leave with CauseShutdown and the room destroyed.
// It returns ErrRoomNotFound if there is no such room.
func (mgr *Manager) Evict(key trtc.RoomKey) error {
	r, ok := mgr.Room(key)
	if !ok {
		return ErrRoomNotFound
	}
	return r.dismiss(CauseShutdown, trtc.ExitAbnormal, ErrRoomNotFound)
}
