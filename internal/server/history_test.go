package server

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/store"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

func TestReportSamples(t *testing.T) {
	r := room.RoomInfo{Key: trtc.RoomKey{App: 1400000001, Str: "hall"}, Created: time.Unix(1700000000, 0)}
	at := time.Unix(1700000100, 0)
	cpu, capFps, block := 7.5, 30, 40
	rep := &proto.Report{
		AppCPU: &cpu, RTT: 20,
		Up: &proto.ReportPath{
			Audio: &proto.ReportAudio{Bitrate: 48000, Loss: 1},
			Video: &proto.ReportVideo{Bitrate: 900000, Fps: 24, CapFps: &capFps, Width: 1280, Height: 720, Loss: 2},
		},
		Down: []proto.ReportPath{
			{UserID: "bob", Video: &proto.ReportVideo{Bitrate: 300000, Fps: 15, Loss: 4, Block: &block}},
			{UserID: "carol"}, // nothing received: no sample
		},
	}
	got := reportSamples(r, "sess", "alice", rep, at)
	if len(got) != 2 {
		t.Fatalf("%d samples, want 2 (uplink, bob)", len(got))
	}
	for _, s := range got {
		if s.App != 1400000001 || s.CommID != "1400000001_hall_1700000000" || s.Session != "sess" || s.UserID != "alice" || !s.At.Equal(at) {
			t.Fatalf("sample %+v", s)
		}
	}
	values := func(s store.Sample) []string {
		var out []string
		for _, m := range store.AllMetrics() {
			if v, ok := s.Values[m]; ok {
				out = append(out, fmt.Sprintf("%s=%g", m, v))
			}
		}
		return out
	}
	up := []string{"appCpu=7.5", "aBit=48000", "bigvBit=900000", "bigvCapFps=30", "bigvEncFps=24", "aLoss=1", "bigvLoss=2", "bigvWidth=1280", "bigvHeight=720"}
	if got[0].PeerID != "" || !slices.Equal(values(got[0]), up) {
		t.Fatalf("uplink %q %v, want %v", got[0].PeerID, values(got[0]), up)
	}
	down := []string{"bigvBit=300000", "bigvDecFps=15", "bigvBlock=40", "bigvLoss=4"}
	if got[1].PeerID != "bob" || !slices.Equal(values(got[1]), down) {
		t.Fatalf("from bob %q %v, want %v", got[1].PeerID, values(got[1]), down)
	}
	if s := reportSamples(r, "sess", "alice", &proto.Report{}, at); len(s) != 0 {
		t.Fatalf("an empty report made %d samples", len(s))
	}
}

func TestDeviceType(t *testing.T) {
	for _, tt := range []struct {
		c    room.ClientInfo
		want string
	}{
		{room.ClientInfo{Device: "linux/amd64", TerminalType: 4}, "linux/amd64"},
		{room.ClientInfo{UserType: 1, TerminalType: 100}, "Web"},
		{room.ClientInfo{TerminalType: 1}, "Windows"},
		{room.ClientInfo{TerminalType: 2}, "Android"},
		{room.ClientInfo{TerminalType: 3}, "iOS"},
		{room.ClientInfo{TerminalType: 4}, "Linux"},
		{room.ClientInfo{}, "Other"},
	} {
		if got := deviceType(tt.c); got != tt.want {
			t.Errorf("deviceType(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}
