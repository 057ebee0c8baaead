package cluster

import "github.com/prometheus/client_golang/prometheus"

// metrics are this node's rtcengine_cluster_* series.
type metrics struct {
	heartbeats  prometheus.Counter
	redirects   prometheus.Counter
	degraded    prometheus.Counter
	leasesLost  prometheus.Counter
	rejected    *prometheus.CounterVec
	redisErrors *prometheus.CounterVec
	forwarded   *prometheus.CounterVec
	failovers   *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{
		heartbeats: prometheus.NewCounter(prometheus.CounterOpts{Name: "rtcengine_cluster_heartbeats_total",
			Help: "Registrations written to Redis by this node."}),
		redirects: prometheus.NewCounter(prometheus.CounterOpts{Name: "rtcengine_cluster_redirects_total",
			Help: "Enters answered with a redirect to the room's owner."}),
		degraded: prometheus.NewCounter(prometheus.CounterOpts{Name: "rtcengine_cluster_degraded_enters_total",
			Help: "Enters served locally because Redis could not be reached."}),
		leasesLost: prometheus.NewCounter(prometheus.CounterOpts{Name: "rtcengine_cluster_leases_lost_total",
			Help: "Room leases this node found held by another node at renewal."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtcengine_cluster_rejected_total",
			Help: "Refused cluster inputs: forged registrations, unauthenticated internal calls, stale fencing tokens."}, []string{"kind"}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtcengine_cluster_redis_errors_total",
			Help: "Redis operations that failed, by operation."}, []string{"op"}),
		forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtcengine_cluster_forwarded_total",
			Help: "REST room actions forwarded to the room's owner, by action and result."}, []string{"action", "result"}),
		failovers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtcengine_cluster_failovers_total",
			Help: "Dead nodes this node took over (done) or failed to (failed)."}, []string{"result"}),
	}
}

// Register adds the node's metrics, and gauges of its view of the cluster,
// to reg.
func (n *Node) Register(reg prometheus.Registerer) {
	m := n.metrics
	reg.MustRegister(m.heartbeats, m.redirects, m.degraded, m.leasesLost, m.rejected, m.redisErrors, m.forwarded, m.failovers, viewCollector{n})
}

var (
	descNodes = prometheus.NewDesc("rtcengine_cluster_nodes", "Live, verified nodes at the last heartbeat.", nil, nil)
	descOwned = prometheus.NewDesc("rtcengine_cluster_rooms_owned", "Rooms whose lease this node holds (0 tokens included: placed while Redis was away).", nil, nil)
	descRooms = prometheus.NewDesc("rtcengine_cluster_node_rooms", "Rooms of each node, as registered.", []string{"node"}, nil)
	descUsers = prometheus.NewDesc("rtcengine_cluster_node_users", "Users of each node, as registered.", []string{"node"}, nil)
	descEdge  = prometheus.NewDesc("rtcengine_cluster_edge_rooms", "LIVE rooms of other nodes this node mirrors as an edge.", nil, nil)
)

// viewCollector reports the cached node list and held leases; it never
// talks to Redis during a scrape.
type viewCollector struct{ n *Node }

func (c viewCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descNodes
	ch <- descOwned
	ch <- descRooms
	ch <- descUsers
	ch <- descEdge
}

func (c viewCollector) Collect(ch chan<- prometheus.Metric) {
	c.n.mu.Lock()
	nodes := c.n.seen
	owned := len(c.n.held)
	c.n.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(descNodes, prometheus.GaugeValue, float64(len(nodes)))
	ch <- prometheus.MustNewConstMetric(descOwned, prometheus.GaugeValue, float64(owned))
	ch <- prometheus.MustNewConstMetric(descEdge, prometheus.GaugeValue, float64(c.n.Mirrors()))
	for _, x := range nodes {
		ch <- prometheus.MustNewConstMetric(descRooms, prometheus.GaugeValue, float64(x.Load.Rooms), string(x.ID))
		ch <- prometheus.MustNewConstMetric(descUsers, prometheus.GaugeValue, float64(x.Load.Users), string(x.ID))
	}
}
