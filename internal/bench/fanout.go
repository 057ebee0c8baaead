package bench

import (
	"fmt"
	"io"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// RunFanout measures one anchor (live scene) sending to n audience members.
// room distinguishes the runs of a ramp on one server.
func RunFanout(cfg MediaConfig, n int, room uint32) (MediaResult, error) {
	plan := mediaPlan{room: room, scene: rtc.SceneLive, memFromPublishers: true}
	plan.users = append(plan.users, mediaUser{id: fmt.Sprintf("r%d_anchor", room), role: rtc.RoleAnchor, publish: true})
	for i := range n {
		plan.users = append(plan.users, mediaUser{id: fmt.Sprintf("r%d_sub%d", room, i), role: rtc.RoleAudience, receive: true})
	}
	return runMedia(cfg, plan)
}

// RunConference measures n anchors (video call scene), each publishing and
// receiving everyone else.
func RunConference(cfg MediaConfig, n int, room uint32) (MediaResult, error) {
	plan := mediaPlan{room: room, scene: rtc.SceneVideoCall}
	for i := range n {
		plan.users = append(plan.users, mediaUser{id: fmt.Sprintf("r%d_anchor%d", room, i), role: rtc.RoleAnchor, publish: true, receive: true})
	}
	return runMedia(cfg, plan)
}

// Capacity criteria of a ramp: a load fails when its added latency p99
// exceeds MaxP99 or more than MaxLoss of the frames are missing.
const (
	MaxP99Ms       = 50.0
	MaxLossPercent = 1.0
)

// DefaultRamp is the subscriber counts a ramp tries, in order.
var DefaultRamp = []int{10, 25, 50, 100, 150, 200, 250, 300, 400, 500, 600, 800, 1000}

// RampResult is the outcome of a fanout ramp.
type RampResult struct {
	Steps []MediaResult `json:"steps"`
	// Capacity is the largest N that met the criteria; FailedAt the first
	// that did not (0: every step passed).
	Capacity int     `json:"capacity"`
	FailedAt int     `json:"failed_at"`
	MaxP99Ms float64 `json:"max_p99_ms"`
	MaxLoss  float64 `json:"max_loss_percent"`
}

// Passes reports whether a load meets the capacity criteria.
func Passes(r MediaResult) bool {
	return r.Failed == 0 && r.P99() <= MaxP99Ms && r.LossPercent <= MaxLossPercent
}

// RunRamp runs fanouts with growing N until one fails the criteria.
// settle is the pause between steps, for the server to release the last.
func RunRamp(cfg MediaConfig, steps []int, settle time.Duration, each func(MediaResult)) (RampResult, error) {
	out := RampResult{MaxP99Ms: MaxP99Ms, MaxLoss: MaxLossPercent}
	for i, n := range steps {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "step %d: %d subscribers\n", i+1, n)
		}
		r, err := RunFanout(cfg, n, uint32(300000+i))
		if err != nil {
			return out, err
		}
		out.Steps = append(out.Steps, r)
		if each != nil {
			each(r)
		}
		if !Passes(r) {
			out.FailedAt = n
			break
		}
		out.Capacity = n
		time.Sleep(settle)
	}
	return out, nil
}

// WriteMediaTable prints media results as a readable table, one row each.
func WriteMediaTable(w io.Writer, title string, rows []MediaResult) {
	fmt.Fprintf(w, "\n%s\n", title)
	fmt.Fprintf(w, "  %5s %7s %9s %8s %8s %9s %15s %15s %7s %8s\n",
		"N", "streams", "fwd pkt/s", "srv CPU", "µs/pkt", "KiB/sub", "video p50/p99", "audio p50/p99", "loss %", "loadgen")
	for _, r := range rows {
		fmt.Fprintf(w, "  %5d %7d %9.0f %7.1f%% %8.2f %9.1f %7.2f/%-7.2f %7.2f/%-7.2f %7.3f %7.0f%%\n",
			r.Subscribers, r.Streams, r.PacketsPerSecond, r.ServerCPU, r.CPUPerPacketUs, r.MemoryPerSubKiB,
			r.VideoLatency.P50, r.VideoLatency.P99, r.AudioLatency.P50, r.AudioLatency.P99, r.LossPercent, r.LoadCPU)
	}
	for _, r := range rows {
		if t := r.ServerTransit; t != nil {
			fmt.Fprintf(w, "  N=%d: time in the server (publisher packet read → subscriber copy to the socket) mean %.3f ms, p50 %.3f ms, p99 %.3f ms over %d packets\n",
				r.Subscribers, t.Mean, t.P50, t.P99, t.Packets)
		}
	}
	for _, r := range rows {
		if r.Failed > 0 || r.NotReady > 0 {
			fmt.Fprintf(w, "  N=%d: %d users failed to enter, %d receivers had no media when the window opened\n", r.Subscribers, r.Failed, r.NotReady)
		}
	}
	fmt.Fprintln(w, "  latency in ms (send → frame complete at the receiver, same clock); srv CPU and loadgen in % of one core")
}
