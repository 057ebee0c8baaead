package cluster

import (
	"testing"

	"github.com/rtcengine/rtcengine/internal/importcheck"
)

// The cluster decorates the edges from beside them: it knows the room
// service and the TRTC ids, never the signaling, REST, media or server
// packages (they know it through small interfaces: signaling.Router,
// whip.Router, api.RoomAdmin).
func TestImportsStayDecorator(t *testing.T) {
	importcheck.Only(t, "internal/room", "internal/trtc")
}
