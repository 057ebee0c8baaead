package conference

import (
	"testing"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

func TestChooseLayer(t *testing.T) {
	const big, small = trtc.StreamBig, trtc.StreamSmall
	tests := []struct {
		name     string
		bwe      int
		bigBps   int
		hasSmall bool
		current  trtc.StreamType
		want     trtc.StreamType
	}{
		{name: "no small layer stays big", bwe: 100_000, bigBps: 1_500_000, current: small, want: big},
		{name: "unknown estimate keeps current", bwe: 0, bigBps: 1_500_000, hasSmall: true, current: small, want: small},
		{name: "unknown bitrate keeps current", bwe: 900_000, bigBps: 0, hasSmall: true, current: big, want: big},
		{name: "cannot carry big", bwe: 1_500_000, bigBps: 1_500_000, hasSmall: true, current: big, want: small},
		{name: "inside the gap stays small", bwe: 2_000_000, bigBps: 1_500_000, hasSmall: true, current: small, want: small},
		{name: "inside the gap stays big", bwe: 2_000_000, bigBps: 1_500_000, hasSmall: true, current: big, want: big},
		{name: "room again goes big", bwe: 2_300_000, bigBps: 1_500_000, hasSmall: true, current: small, want: big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chooseLayer(tt.bwe, tt.bigBps, tt.hasSmall, tt.current); got != tt.want {
				t.Fatalf("chooseLayer = %v, want %v", got, tt.want)
			}
		})
	}
}
