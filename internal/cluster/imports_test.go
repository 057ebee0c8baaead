package cluster

import (
	"go/build"
	"strings"
	"testing"
)

// The cluster decorates the edges from beside them: it knows the room
// service and the TRTC ids, never the signaling, REST, media or server
// packages (they know it through small interfaces: signaling.Router,
// whip.Router, api.RoomAdmin).
func TestImportsStayDecorator(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	const self = "github.com/rtcengine/rtcengine/"
	allowed := map[string]bool{self + "internal/room": true, self + "internal/trtc": true}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, self) && !allowed[imp] {
			t.Errorf("internal/cluster imports %s", imp)
		}
	}
}
