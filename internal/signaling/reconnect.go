package signaling

import "github.com/rtcengine/rtcengine/internal/trtc"

// Reconnect tells the clients whose membership is in the room to reconnect
// (a `closing` notice, then the connection closes), as Shutdown does for
// every client: the room has moved to another node, where their enter is
// sent (docs/cluster.md). It returns how many clients were told.
func (s *Server) Reconnect(key trtc.RoomKey) int {
	s.mu.Lock()
	var in []*Session
	for sess := range s.sessions {
		if ms := sess.cur.Load(); ms != nil {
			if m := ms.member.Load(); m != nil && m.Room().Key() == key {
				in = append(in, sess)
			}
		}
	}
	s.mu.Unlock()
	for _, sess := range in {
		sess.goAway()
	}
	return len(in)
}
