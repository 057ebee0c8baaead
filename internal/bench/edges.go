package bench

import (
	"fmt"
	"io"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// Edge is a node that relays the rooms of MediaConfig.Server (the origin)
// to its own clients (docs/cluster.md, "LIVE rooms across nodes").
type Edge struct {
	Server string    // base URL, http://host:port
	CPU    CPUReader // the edge's CPU time
}

// edgesCPU sums the edges' CPU time.
func edgesCPU(edges []Edge) (time.Duration, error) {
	var sum time.Duration
	for _, e := range edges {
		d, err := readCPU(e.CPU)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// RunFanoutEdges is RunFanout with the anchor on the origin
// (MediaConfig.Server) and the n audience members spread over
// MediaConfig.Edges in turn, each edge relaying the room: the media crosses
// one server-to-server hop more than in RunFanout.
func RunFanoutEdges(cfg MediaConfig, n int, room uint32) (MediaResult, error) {
	if len(cfg.Edges) == 0 {
		return MediaResult{}, fmt.Errorf("bench: no edges")
	}
	plan := mediaPlan{room: room, scene: rtc.SceneLive, memFromPublishers: true}
	plan.users = append(plan.users, mediaUser{id: fmt.Sprintf("r%d_anchor", room), role: rtc.RoleAnchor, publish: true})
	for i := range n {
		edge := cfg.Edges[i%len(cfg.Edges)]
		plan.users = append(plan.users, mediaUser{server: edge.Server, id: fmt.Sprintf("r%d_sub%d", room, i), role: rtc.RoleAudience, receive: true})
	}
	return runMedia(cfg, plan)
}

// WriteEdgeLine prints what the edges cost, under WriteMediaTable's table.
func WriteEdgeLine(w io.Writer, edges int, r MediaResult) {
	fmt.Fprintf(w, "  %d edges: CPU %.1f%% of one core together, %.2f µs per packet they forwarded; origin (srv) CPU %.1f%%\n",
		edges, r.EdgeCPU, r.EdgeCPUPerPacket, r.ServerCPU)
}
