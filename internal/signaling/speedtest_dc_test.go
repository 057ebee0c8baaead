package signaling

import (
	"strings"
	"testing"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

func TestCheckSpeedTestTransport(t *testing.T) {
	for _, tc := range []struct {
		name      string
		transport string
		sdp       string
		code      int
	}{
		{"udp by default", "", "", 0},
		{"udp", proto.SpeedTestUDP, "", 0},
		{"datachannel", proto.SpeedTestDataChannel, "v=0", 0},
		{"datachannel at the limit", proto.SpeedTestDataChannel, strings.Repeat("a", maxProbeOfferSize), 0},
		{"datachannel over the limit", proto.SpeedTestDataChannel, strings.Repeat("a", maxProbeOfferSize+1), trtc.ErrInvalidParameter},
		{"datachannel without an offer", proto.SpeedTestDataChannel, "", trtc.ErrInvalidParameter},
		{"udp with an offer", proto.SpeedTestUDP, "v=0", trtc.ErrInvalidParameter},
		{"default with an offer", "", "v=0", trtc.ErrInvalidParameter},
		{"unknown", "tcp", "", trtc.ErrInvalidParameter},
		{"case matters", "DataChannel", "v=0", trtc.ErrInvalidParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, msg := checkSpeedTestTransport(proto.SpeedTestRequest{Transport: tc.transport, SDP: tc.sdp}); code != tc.code {
				t.Fatalf("code %d (%s), want %d", code, msg, tc.code)
			}
		})
	}
}
