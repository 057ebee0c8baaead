package signaling

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/conference"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// App is what signaling needs to know about an application.
type App struct {
	SDKAppID       trtc.SDKAppID
	Secret         string // SDKSecretKey: verifies UserSig and PrivateMapKey
	PrivilegeCheck bool   // "advanced permission control": PrivateMapKey required
}

// Apps finds applications by SDKAppID.
type Apps interface {
	Lookup(id trtc.SDKAppID) (App, bool)
}

// Metrics hears about signaling outcomes; the server backs it with Prometheus.
type Metrics interface {
	Enter(code int)        // every enter/resume result; 0 = success
	Exit(reason string)    // "self", "removed", "dismissed", "replaced", "lost"
	BadFrame(code int)     // a frame answered with an error
	Connections(delta int) // connection opened (+1) or closed (−1)
}

// NopMetrics discards metrics.
type NopMetrics struct{}

func (NopMetrics) Enter(int)       {}
func (NopMetrics) Exit(string)     {}
func (NopMetrics) BadFrame(int)    {}
func (NopMetrics) Connections(int) {}

// Config tunes sessions. Zero values pick the defaults in parentheses.
type Config struct {
	HeartbeatInterval time.Duration // server pings and the interval told to clients (2 s)
	HeartbeatTimeout  time.Duration // silence after which a connection is lost (10 s)
	WriteTimeout      time.Duration // one frame write (5 s)
	MessagesPerSecond int           // sustained client frames per second (50)
	MessageBurst      int           // burst above the rate (100)
	MaxStrikes        int           // malformed or rate-limited frames before the connection is closed (50)
	QueueLength       int           // outbound frames buffered per connection (256)
	Now               func() time.Time
}

func (c Config) withDefaults() Config {
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 2 * time.Second
	}
	if c.HeartbeatTimeout <= 0 {
		c.HeartbeatTimeout = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 5 * time.Second
	}
	if c.MessagesPerSecond <= 0 {
		c.MessagesPerSecond = 50
	}
	if c.MessageBurst <= 0 {
		c.MessageBurst = 2 * c.MessagesPerSecond
	}
	if c.MaxStrikes <= 0 {
		c.MaxStrikes = 50
	}
	if c.QueueLength <= 0 {
		c.QueueLength = 256
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Server runs signaling sessions against one room manager.
type Server struct {
	cfg      Config
	rooms    *room.Manager
	apps     Apps
	log      *slog.Logger
	metrics  Metrics
	media    *conference.Hub // nil: signaling only
	reports  ReportSink      // nil: quality reports are discarded (report.go)
	prober   Prober          // nil: no speed tests (speedtest.go)
	speedCfg SpeedTestConfig // what clients are told about probing

	// probeDC opens datachannel speed tests; nil: none (speedtest_dc.go).
	probeDC OpenProbeChannel

	admission Admission   // nil: no enter throttles (admission.go)
	ice       ICEProvider // nil: no ICE servers in enter responses
	router    Router      // nil: every room is local (route.go)

	mediaStreams MediaStreams // nil: no media stream publishing (mediastream.go)

	mu       sync.Mutex
	sessions map[*Session]struct{}
	closing  bool
}

// NewServer returns a signaling server. log and metrics may be nil.
func NewServer(cfg Config, rooms *room.Manager, apps Apps, log *slog.Logger, metrics Metrics) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if metrics == nil {
		metrics = NopMetrics{}
	}
	return &Server{
		cfg: cfg.withDefaults(), rooms: rooms, apps: apps, log: log, metrics: metrics,
		sessions: make(map[*Session]struct{}),
	}
}

// SetMedia enables media negotiation through hub. Call it before serving.
func (s *Server) SetMedia(hub *conference.Hub) { s.media = hub }

// Config returns the effective configuration.
func (s *Server) Config() Config { return s.cfg }

// Serve runs one connection until it closes or ctx ends. It blocks.
func (s *Server) Serve(ctx context.Context, conn Conn) {
	sess := newSession(s, conn)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = conn.Close(CloseGoingAway, "server is shutting down")
		return
	}
	s.sessions[sess] = struct{}{}
	s.mu.Unlock()
	s.metrics.Connections(+1)
	defer func() {
		s.mu.Lock()
		delete(s.sessions, sess)
		s.mu.Unlock()
		s.metrics.Connections(-1)
	}()
	sess.run(ctx)
}

// Shutdown tells every client that the server is going away and closes the
// connections. Sessions stay in their rooms until the room manager shuts down.
func (s *Server) Shutdown(ctx context.Context) {
	s.mu.Lock()
	s.closing = true
	all := make([]*Session, 0, len(s.sessions))
	for sess := range s.sessions {
		all = append(all, sess)
	}
	s.mu.Unlock()
	for _, sess := range all {
		sess.goAway()
	}
	// Give writers a moment to flush the notice, bounded by ctx.
	for _, sess := range all {
		select {
		case <-sess.done:
		case <-ctx.Done():
			return
		}
	}
}

// Count returns the number of open connections.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}
