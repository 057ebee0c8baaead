package relay

import (
	"testing"

	"github.com/rtcengine/rtcengine/internal/importcheck"
)

// The relay sits beside the media core: it uses the room service, the
// conference hub and the SFU, and is wired by the server; it never knows
// signaling, REST, the cluster or the server.
func TestImportsStayBesideTheCore(t *testing.T) {
	importcheck.Only(t, "internal/conference", "internal/room", "internal/sfu", "internal/serial", "internal/trtc")
}
