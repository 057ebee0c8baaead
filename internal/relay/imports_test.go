package relay

import (
	"go/build"
	"strings"
	"testing"
)

// The relay sits beside the media core: it uses the room service, the
// conference hub and the SFU, and is wired by the server; it never knows
// signaling, REST, the cluster or the server.
func TestImportsStayBesideTheCore(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	const self = "github.com/rtcengine/rtcengine/"
	allowed := map[string]bool{}
	for _, p := range []string{"conference", "room", "sfu", "serial", "trtc"} {
		allowed[self+"internal/"+p] = true
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, self) && !allowed[imp] {
			t.Errorf("internal/relay imports %s", imp)
		}
	}
}
