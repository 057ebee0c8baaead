package rtc

import (
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

func TestBuildReport(t *testing.T) {
	cpu := 12.5
	st := Statistics{
		RTT: 14, UpLoss: 2,
		Local: []LocalStatistics{
			{StreamType: StreamBig, Width: 640, Height: 360, FrameRate: 25, VideoBitrate: 400, AudioSampleRate: 48000, AudioBitrate: 48},
			{StreamType: StreamSmall, Width: 320, Height: 180, FrameRate: 15, VideoBitrate: 100},
		},
		Remote: []RemoteStatistics{
			{UserID: "bob", StreamType: StreamSmall, Width: 320, Height: 180, FrameRate: 15, VideoBitrate: 100, VideoPacketLoss: 3,
				AudioSampleRate: 48000, AudioBitrate: 32, AudioPacketLoss: 1},
			{UserID: "bob", StreamType: StreamSub, Width: 1920, Height: 1080, FrameRate: 5, VideoBitrate: 900},
			{UserID: "carol", StreamType: StreamBig, AudioSampleRate: 48000, AudioBitrate: 24},
			{UserID: "dave", StreamType: StreamBig}, // nothing flows yet
		},
	}
	got, _ := json.Marshal(buildReport(st, &cpu, nil))
	want := `{"appCpu":12.5,"rtt":14,` +
		`"up":{"audio":{"bps":48000,"loss":2},"video":{"bps":400000,"fps":25,"width":640,"height":360,"loss":2}},` +
		`"down":[{"userId":"bob","audio":{"bps":32000,"loss":1},"video":{"bps":100000,"fps":15,"width":320,"height":180,"loss":3}},` +
		`{"userId":"carol","audio":{"bps":24000,"loss":0}}]}`
	if string(got) != want {
		t.Fatalf("report\n got %s\nwant %s", got, want)
	}
	var rep proto.Report
	if err := json.Unmarshal(got, &rep); err != nil || rep.Validate(trtc.ValidateUserID) != nil {
		t.Fatalf("the server would refuse the report: %v %v", err, rep.Validate(trtc.ValidateUserID))
	}
	// Nothing published or received: an empty report.
	if got, _ := json.Marshal(buildReport(Statistics{}, nil, nil)); string(got) != `{}` {
		t.Fatalf("idle report %s", got)
	}
}

func TestBuildReportCapsPeers(t *testing.T) {
	var st Statistics
	for i := range proto.MaxReportPeers + 10 {
		st.Remote = append(st.Remote, RemoteStatistics{UserID: string(rune('a'+i%26)) + string(rune('a'+i/26)), AudioSampleRate: 48000})
	}
	rep := buildReport(st, nil, nil)
	if len(rep.Down) != proto.MaxReportPeers {
		t.Fatalf("%d peers reported, want %d", len(rep.Down), proto.MaxReportPeers)
	}
	if err := rep.Validate(trtc.ValidateUserID); err != nil {
		t.Fatal(err)
	}
}

func TestCPUMeter(t *testing.T) {
	var c cpuMeter
	start := time.Now()
	if app, sys := c.sample(start); app != nil || sys != nil {
		t.Fatal("the first sample has nothing to compare with")
	}
	// Keep one core busy for 100 ms.
	for time.Since(start) < 100*time.Millisecond {
	}
	app, sys := c.sample(time.Now())
	if runtime.GOOS != "linux" {
		if app != nil || sys != nil {
			t.Fatal("CPU figures without counters")
		}
		return
	}
	if app == nil || sys == nil {
		t.Fatal("no CPU figures on Linux")
	}
	// One busy core of N is about 100/N % of the machine.
	if *app <= 0 || *app > 100 || *sys <= 0 || *sys > 100 {
		t.Fatalf("appCpu %.1f %%, sysCpu %.1f %% after a busy 100 ms on %d cores", *app, *sys, runtime.NumCPU())
	}
}
