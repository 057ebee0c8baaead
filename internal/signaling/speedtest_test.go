package signaling

import (
	"testing"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

func TestCheckSpeedTest(t *testing.T) {
	ok := proto.SpeedTestRequest{SDKAppID: 1400000001, UserID: "alice", UserSig: "sig", Scene: 2, ExpectedUpBandwidth: 10, ExpectedDownBandwidth: 5000}
	for _, tc := range []struct {
		name string
		edit func(*proto.SpeedTestRequest)
		code int
	}{
		{"valid", func(*proto.SpeedTestRequest) {}, 0},
		{"no direction", func(r *proto.SpeedTestRequest) { r.ExpectedUpBandwidth, r.ExpectedDownBandwidth = 0, 0 }, 0},
		{"delay scene", func(r *proto.SpeedTestRequest) { r.Scene = 1 }, 0},
		{"chorus at its limit", func(r *proto.SpeedTestRequest) { r.Scene, r.ExpectedDownBandwidth = 3, 1000 }, 0},
		{"no sdkAppId", func(r *proto.SpeedTestRequest) { r.SDKAppID = 0 }, trtc.ErrInvalidSDKAppID},
		{"no userId", func(r *proto.SpeedTestRequest) { r.UserID = "" }, trtc.ErrInvalidUserID},
		{"no userSig", func(r *proto.SpeedTestRequest) { r.UserSig = "" }, trtc.ErrInvalidUserSig},
		{"scene 0", func(r *proto.SpeedTestRequest) { r.Scene = 0 }, trtc.ErrInvalidParameter},
		{"scene 4", func(r *proto.SpeedTestRequest) { r.Scene = 4 }, trtc.ErrInvalidParameter},
		{"up 9", func(r *proto.SpeedTestRequest) { r.ExpectedUpBandwidth = 9 }, trtc.ErrInvalidParameter},
		{"down 5001", func(r *proto.SpeedTestRequest) { r.ExpectedDownBandwidth = 5001 }, trtc.ErrInvalidParameter},
		{"negative", func(r *proto.SpeedTestRequest) { r.ExpectedUpBandwidth = -1 }, trtc.ErrInvalidParameter},
		{"chorus 1001", func(r *proto.SpeedTestRequest) { r.Scene, r.ExpectedDownBandwidth = 3, 1001 }, trtc.ErrInvalidParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			if code, msg := checkSpeedTest(r); code != tc.code {
				t.Fatalf("code %d (%s), want %d", code, msg, tc.code)
			}
		})
	}
}
