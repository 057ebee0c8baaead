package rtc

import (
	"time"

	"github.com/rtcengine/rtcengine/internal/proto"
)

// reportQuality sends the interval's figures to the server as a quality
// report (docs/protocol.md, "Quality reports"); the server keeps them for
// DescribeCallDetailInfo. It runs on the statistics goroutine after each
// interval and never waits: a report that cannot be queued is dropped.
func (m *mediaClient) reportQuality(r report, cpu *cpuMeter, now time.Time) {
	l := m.currentLink()
	if l == nil {
		return
	}
	app, sys := cpu.sample(now)
	frame, err := proto.Encode(proto.TypeReport, 0, 0, "", buildReport(r.stats, app, sys))
	if err != nil {
		return
	}
	l.send(frame)
}

// buildReport turns OnStatistics' figures into a report: the camera stream
// and audio of the uplink, and per remote user the camera stream and audio
// received (at most proto.MaxReportPeers users, in user id order).
func buildReport(st Statistics, appCPU, sysCPU *float64) *proto.Report {
	rep := &proto.Report{AppCPU: appCPU, SysCPU: sysCPU, RTT: st.RTT}
	for _, l := range st.Local {
		if l.StreamType != StreamBig {
			continue
		}
		up := proto.ReportPath{}
		if l.AudioSampleRate > 0 {
			up.Audio = &proto.ReportAudio{Bitrate: l.AudioBitrate * 1000, Loss: st.UpLoss}
		}
		if l.FrameRate > 0 || l.VideoBitrate > 0 || l.Width > 0 {
			up.Video = &proto.ReportVideo{Bitrate: l.VideoBitrate * 1000, Fps: l.FrameRate, Width: l.Width, Height: l.Height, Loss: st.UpLoss}
		}
		if up.Audio != nil || up.Video != nil {
			rep.Up = &up
		}
	}
	for _, r := range st.Remote {
		if r.StreamType == StreamSub || len(rep.Down) == proto.MaxReportPeers {
			continue
		}
		down := proto.ReportPath{UserID: r.UserID}
		if r.AudioSampleRate > 0 {
			down.Audio = &proto.ReportAudio{Bitrate: r.AudioBitrate * 1000, Loss: r.AudioPacketLoss}
		}
		if r.FrameRate > 0 || r.VideoBitrate > 0 || r.Width > 0 {
			down.Video = &proto.ReportVideo{Bitrate: r.VideoBitrate * 1000, Fps: r.FrameRate, Width: r.Width, Height: r.Height, Loss: r.VideoPacketLoss}
		}
		if down.Audio != nil || down.Video != nil {
			rep.Down = append(rep.Down, down)
		}
	}
	return rep
}
