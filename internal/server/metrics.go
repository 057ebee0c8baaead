package server

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rtcengine/rtcengine/internal/room"
)

// metrics are the server's Prometheus collectors, on a registry of their own
// so that tests can run several servers in one process.
type metrics struct {
	reg         *prometheus.Registry
	enters      *prometheus.CounterVec
	exits       *prometheus.CounterVec
	badFrames   *prometheus.CounterVec
	connections prometheus.Gauge
	apiCalls    *prometheus.CounterVec
	apiSeconds  *prometheus.HistogramVec
}

func newMetrics(rooms *room.Manager) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		enters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rtcengine_enters_total", Help: "Room enters and resumes by result code (0 = success).",
		}, []string{"result"}),
		exits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rtcengine_exits_total", Help: "Sessions ending or detaching, by reason.",
		}, []string{"reason"}),
		badFrames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rtcengine_signaling_errors_total", Help: "Signaling frames answered with an error, by code.",
		}, []string{"code"}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rtcengine_signaling_connections", Help: "Open signaling connections.",
		}),
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rtcengine_api_calls_total", Help: "REST API calls by action and error code (\"\" = success).",
		}, []string{"action", "code"}),
		apiSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rtcengine_api_call_seconds", Help: "REST API call latency by action.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .5},
		}, []string{"action"}),
	}
	m.reg.MustRegister(m.enters, m.exits, m.badFrames, m.connections, m.apiCalls, m.apiSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rtcengine_rooms", Help: "Rooms on this node."},
			func() float64 { r, _ := rooms.Stats(); return float64(r) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rtcengine_users", Help: "Users in rooms on this node (including detached sessions)."},
			func() float64 { _, u := rooms.Stats(); return float64(u) }),
	)
	return m
}

// signaling.Metrics
func (m *metrics) Enter(code int)     { m.enters.WithLabelValues(strconv.Itoa(code)).Inc() }
func (m *metrics) Exit(reason string) { m.exits.WithLabelValues(reason).Inc() }
func (m *metrics) BadFrame(code int)  { m.badFrames.WithLabelValues(strconv.Itoa(code)).Inc() }
func (m *metrics) Connections(d int)  { m.connections.Add(float64(d)) }
