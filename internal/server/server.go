// Package server wires rtcengine together: the room service, the signaling
// edge over WebSockets, the REST API, the web pages, /healthz and /metrics.
// It is the only package that knows every other one.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rtcengine/rtcengine/internal/api"
	"github.com/rtcengine/rtcengine/internal/conference"
	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/egress"
	"github.com/rtcengine/rtcengine/internal/probe"
	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/signaling"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/internal/whip"
)

// Server is one rtcengine node.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	rooms   *room.Manager
	signal  *signaling.Server
	api     *api.Handler
	metrics *metrics
	apps    appTable
	engine  *sfu.Engine
	media   *conference.Hub
	hooks   *webhooks // nil without webhook URLs
	whip    *whip.Handler
	history *history       // the embedded history store (history.go)
	probes  *probe.Service // speed tests (speedtest.go)

	rec *egress.Service // cloud recording (recording.go)
	cdn *relayService   // mix transcoding and CDN relay (cdn.go)

	relay relayState // server-to-server media relay (relay.go)

	reach   reachState    // TLS and TURN (reach.go, tls.go)
	protect *protection   // per-client and per-app limits (protect.go)
	cluster clusterWiring // cluster mode, when Redis is configured (cluster.go)

	httpSrv  *http.Server
	listener net.Listener
	serveErr chan error
	connMu   sync.Mutex
	closing  bool           // no new signaling connections once set
	conns    sync.WaitGroup // signaling connections being served
	baseCtx  context.Context
	stopAll  context.CancelFunc
}

// New builds a server from a validated configuration. clock may be nil.
func New(cfg config.Config, log *slog.Logger, clock room.Clock) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = withNodeID(cfg) // failover.go: one name in Redis and PostgreSQL
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, apps: newAppTable(cfg.Apps), protect: newProtection(cfg.Limits)}
	tlsConfig, err := newTLSConfig(cfg, log) // tls.go
	if err != nil {
		return nil, err
	}
	s.reach = reachState{tls: tlsConfig, secret: newTURNSecret(cfg.TURN.Secret)}
	engine, err := sfu.NewEngine(s.withProbes(mediaConfig(cfg, log))) // speedtest.go
	if err != nil {
		return nil, fmt.Errorf("media engine: %w", err)
	}
	s.engine = engine
	s.media = conference.NewHub(engine, log)
	if s.hooks, err = openWebhooks(cfg, log); err != nil {
		s.media.Close()
		_ = engine.Close()
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	if s.history, err = openHistory(cfg, log, s.hooks); err != nil {
		s.hooks.close(context.Background())
		s.media.Close()
		_ = engine.Close()
		return nil, fmt.Errorf("history: %w", err)
	}
	if err := s.openCluster(); err != nil { // cluster.go
		s.history.close()
		s.hooks.close(context.Background())
		s.media.Close()
		_ = engine.Close()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	lim := cfg.Limits
	s.rooms = room.NewManager(room.Config{
		CallMaxUsers:        lim.CallMaxUsers,
		CallMaxAnchors:      lim.CallMaxAnchors,
		LiveMaxAnchors:      lim.LiveMaxAnchors,
		LiveMaxAudience:     lim.LiveMaxAudience,
		DropTimeout:         lim.DropTimeout,
		LiveAudienceRoomTTL: lim.LiveAudienceRoomTTL,
		Messages:            room.MessageConfig{LogEntries: lim.MessageLog},
	}, clock, room.Observers{roomLogger{log}, s.media, s.cluster.reporting(s.history, s.hooks.observer()), s.cluster.observer()})
	s.metrics = newMetrics(s.rooms)
	s.hooks.register(s.metrics.reg)
	s.history.register(s.metrics.reg)
	s.cluster.register(s.metrics.reg)
	s.metrics.reg.MustRegister(newMediaCollector(engine))
	s.signal = signaling.NewServer(signaling.Config{
		HeartbeatInterval: lim.HeartbeatInterval,
		HeartbeatTimeout:  lim.HeartbeatTimeout,
		MessagesPerSecond: lim.MessagesPerSecond,
	}, s.rooms, s.apps, log, s.metrics)
	s.signal.SetMedia(s.media)
	s.wireSpeedTest()                // speedtest.go
	s.signal.SetAdmission(s.protect) // protect.go
	s.signal.SetICE(s)               // reach.go
	s.metrics.reg.MustRegister(s.protect.refused, newReachCollector(s))
	s.whip = s.newWHIP(clock) // whip.go
	s.signal.SetReports(s.cluster.reports(s.history))
	restRooms, restBlocker := s.restRooms() // cluster.go: forwarded to the owner in a cluster
	s.api = api.NewHandler(api.Config{
		Rooms:       restRooms,
		Credentials: apiCredentials{s.apps},
		History:     s.history.st,
		Blocker:     restBlocker,
		Limiter:     s.protect,
		Logger:      log,
		Observe: func(action, code string, d time.Duration) {
			s.metrics.apiCalls.WithLabelValues(action, code).Inc()
			s.metrics.apiSeconds.WithLabelValues(action).Observe(d.Seconds())
		},
	})
	s.rec = s.newRecorder() // recording.go
	s.cdn = s.newRelay()    // cdn.go
	s.baseCtx, s.stopAll = context.WithCancel(context.Background())
	s.httpSrv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute, // idle keep-alive connections hold memory
		BaseContext:       func(net.Listener) context.Context { return s.baseCtx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// mediaConfig derives the SFU's settings: all media on the UDP port (and
// ICE-TCP on the same number), bound to the HTTP listener's address when that
// is a loopback address, advertising --node-ip when set.
func mediaConfig(cfg config.Config, log *slog.Logger) sfu.Config {
	mc := sfu.Config{UDPPort: cfg.UDPPort, TCPPort: cfg.UDPPort, Logger: log}
	if cfg.NodeIP != "" {
		mc.NodeIPs = []string{cfg.NodeIP}
	}
	host, _, _ := net.SplitHostPort(cfg.Listen)
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		mc.ListenIP = host
		mc.IncludeLoopback = true
	}
	if ip := net.ParseIP(cfg.NodeIP); ip != nil && ip.IsLoopback() {
		mc.IncludeLoopback = true
	}
	return mc
}

// MediaAddr is the UDP address carrying all media.
func (s *Server) MediaAddr() *net.UDPAddr { return s.engine.UDPAddr() }

// Media exposes the conference hub (tests).
func (s *Server) Media() *conference.Hub { return s.media }

// Rooms exposes the room service (tests and the cluster layer use it).
func (s *Server) Rooms() *room.Manager { return s.rooms }

// Start listens and serves in the background.
func (s *Server) Start() error {
	ln, err := s.listen() // reach.go: TLS and TURN when configured
	if err != nil {
		return err
	}
	s.listener = ln
	s.serveErr = make(chan error, 1)
	s.startCluster() // cluster.go: register (the listener already accepts)
	go func() { s.serveErr <- s.httpSrv.Serve(ln) }()
	s.cdn.resume() // cdn_resume.go: relay tasks a restart interrupted (feedback robots need the address)
	return nil
}

// Addr is the HTTP listening address (useful with port 0).
func (s *Server) Addr() string { return s.listener.Addr().String() }

// URL is the server's base HTTP URL.
func (s *Server) URL() string { return s.scheme("http") + "://" + s.Addr() }

// SignalURL is the WebSocket URL the SDKs connect to.
func (s *Server) SignalURL() string { return s.scheme("ws") + "://" + s.Addr() + "/signal" }

// Shutdown stops taking rooms and connections, tells every client, and waits
// for connections to end (bounded by ctx).
func (s *Server) Shutdown(ctx context.Context) error {
	s.connMu.Lock()
	s.closing = true
	s.connMu.Unlock()
	s.closeRelay(ctx) // relay.go
	s.rooms.Close()
	s.stopCluster(ctx) // cluster.go: leave the cluster first, so reconnecting clients are placed on live nodes
	s.signal.Shutdown(ctx)
	err := s.httpSrv.Shutdown(ctx)
	s.closeTURN()
	s.stopAll()
	s.conns.Wait()
	s.whip.Close()
	_ = s.rec.Close(ctx)
	s.rooms.Shutdown()
	s.hooks.close(ctx)
	s.history.close()
	s.media.Close()
	_ = s.engine.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /signal", s.handleSignal)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		rooms, users := s.rooms.Stats()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"ok","rooms":%d,"users":%d,"connections":%d}`+"\n", rooms, users, s.signal.Count())
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	s.liveRoutes(mux) // live.go: live HLS playback
	s.vodRoutes(mux)  // vod.go: recordings committed to VOD
	if s.cfg.Dev {
		mux.HandleFunc("GET /dev/usersig", s.handleDevUserSig)
		mux.HandleFunc("GET /debug/memory", handleMemory)
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	s.webRoutes(mux)       // the demo at /, the Web SDK at /sdk/rtcengine.js, the status page at /status
	s.whipRoutes(mux)      // WHIP and WHEP at /whip and /whep (whip.go)
	s.wireCluster(mux)     // internal calls and enter routing in a cluster (cluster.go)
	s.relayRoutes(mux)     // server-to-server links at /internal/relay (relay.go)
	mux.Handle("/", s.api) // POST / is the REST API; everything else gets its error envelope
	return mux
}

// admit counts a new signaling connection unless the server is closing.
func (s *Server) admit() bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.closing {
		return false
	}
	s.conns.Add(1)
	return true
}

func (s *Server) handleSignal(w http.ResponseWriter, r *http.Request) {
	if !s.admit() {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.conns.Done()
	release, err := s.protect.admitConn(remoteIP(r))
	if err != nil {
		refuseSignal(w, r, trtc.ErrServerOverloaded, err.Error()) // reach.go
		return
	}
	defer release()
	hw := &holdingWriter{ResponseWriter: w}
	ws, err := websocket.Accept(hw, r, &websocket.AcceptOptions{
		Subprotocols: []string{proto.Subprotocol},
		// Tickets, not origins, authenticate clients: pages on any origin may
		// connect (the demo page is often served elsewhere in development).
		InsecureSkipVerify: true,
	})
	if err != nil {
		return
	}
	if ws.Subprotocol() != proto.Subprotocol {
		ws.Close(websocket.StatusPolicyViolation, "unsupported protocol version: use subprotocol "+proto.Subprotocol)
		return
	}
	ws.SetReadLimit(int64(s.cfg.Limits.MaxMessageBytes))
	s.signal.Serve(s.baseCtx, &wsConn{ws: ws, ip: remoteIP(r), held: hw.conn, host: r.Host})
}

// appTable serves app lookups for signaling and REST credentials.
type appTable struct {
	byID     map[trtc.SDKAppID]config.App
	bySecret map[string][]config.App
}

func newAppTable(apps []config.App) appTable {
	t := appTable{byID: map[trtc.SDKAppID]config.App{}, bySecret: map[string][]config.App{}}
	for _, a := range apps {
		t.byID[trtc.SDKAppID(a.SDKAppID)] = a
		if a.APISecretID != "" {
			t.bySecret[a.APISecretID] = append(t.bySecret[a.APISecretID], a)
		}
	}
	return t
}

func (t appTable) Lookup(id trtc.SDKAppID) (signaling.App, bool) {
	a, ok := t.byID[id]
	if !ok {
		return signaling.App{}, false
	}
	return signaling.App{SDKAppID: id, Secret: a.SDKSecret, PrivilegeCheck: a.PrivilegeCheck}, true
}

// apiCredentials implements api.Credentials over the app table.
type apiCredentials struct{ t appTable }

// Lookup returns the SecretKey of a SecretId and the apps it may manage.
func (c apiCredentials) Lookup(secretID string) (string, func(trtc.SDKAppID) bool, bool) {
	apps, ok := c.t.bySecret[secretID]
	if !ok {
		return "", nil, false
	}
	return apps[0].APISecretKey, func(id trtc.SDKAppID) bool {
		for _, a := range apps {
			if trtc.SDKAppID(a.SDKAppID) == id {
				return true
			}
		}
		return false
	}, true
}

// roomAdmin adapts the room service to the REST edge.
type roomAdmin struct{ rooms *room.Manager }

func (a roomAdmin) RemoveUsers(_ context.Context, key trtc.RoomKey, users []trtc.UserID) error {
	return a.rooms.RemoveUsers(key, users)
}

func (a roomAdmin) DismissRoom(_ context.Context, key trtc.RoomKey) error {
	return a.rooms.Dismiss(key)
}

// roomLogger logs room life cycle at debug level with stable keys.
type roomLogger struct{ log *slog.Logger }

func (l roomLogger) RoomCreated(r room.RoomInfo, _ time.Time) {
	l.log.Debug("room created", "room", r.Key.String(), "scene", r.Scene.String(), "user", string(r.Creator))
}
func (l roomLogger) RoomDestroyed(r room.RoomInfo, _ time.Time) {
	l.log.Debug("room destroyed", "room", r.Key.String())
}
func (l roomLogger) UserEntered(r room.RoomInfo, m room.MemberInfo, _ time.Time) {
	l.log.Debug("user entered", "room", r.Key.String(), "user", string(m.UserID), "role", m.Role.String())
}
func (l roomLogger) UserLeft(r room.RoomInfo, m room.MemberInfo, c room.Cause, _ time.Time) {
	l.log.Debug("user left", "room", r.Key.String(), "user", string(m.UserID), "cause", c.String())
}
func (l roomLogger) StreamChanged(r room.RoomInfo, m room.MemberInfo, st room.Stream, on bool, _ time.Time) {
	l.log.Debug("stream changed", "room", r.Key.String(), "user", string(m.UserID), "stream", st.String(), "available", on)
}
func (l roomLogger) RoleChanged(r room.RoomInfo, m room.MemberInfo, _ time.Time) {
	l.log.Debug("role changed", "room", r.Key.String(), "user", string(m.UserID), "role", m.Role.String())
}
