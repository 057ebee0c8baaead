package server

import (
	"context"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/rtcengine/rtcengine/internal/api"
	"github.com/rtcengine/rtcengine/internal/cluster"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/internal/whip"
)

// clusterWiring is cluster mode (docs/cluster.md): nil fields on a single
// node, where every method here is a no-op and the local parts serve alone.
type clusterWiring struct {
	node *cluster.Node
	rdb  *redis.Client
}

// openCluster builds the cluster node when Redis is configured. It talks to
// no one yet: Start registers the node.
func (s *Server) openCluster() error {
	cc := s.cfg.Cluster
	if !s.cfg.Clustered() {
		return nil
	}
	opt, err := cluster.RedisOptions(s.cfg.Redis, cc.RedisPassword, cc.RedisDB, cc.RedisTLS)
	if err != nil {
		return err
	}
	id := cluster.NodeID(cc.NodeID)
	if id == "" {
		id = cluster.NewNodeID()
	}
	rdb := redis.NewClient(opt)
	node, err := cluster.New(cluster.Config{
		Redis:    rdb,
		Secret:   []byte(cc.Secret),
		ID:       id,
		URL:      cc.AdvertiseURL,
		NodeTTL:  cc.NodeTTL,
		LeaseTTL: cc.LeaseTTL,
		Rooms:    &clusterLoad{s: s},
		Logger:   s.log,
		Failover: s.failover(), // failover.go
	})
	if err != nil {
		_ = rdb.Close()
		return err
	}
	s.cluster = clusterWiring{node: node, rdb: rdb}
	return nil
}

// Cluster exposes the cluster node (nil on a single node; tests).
func (s *Server) Cluster() *cluster.Node { return s.cluster.node }

func (c clusterWiring) observer() room.Observer {
	if c.node == nil {
		return room.NopObserver{}
	}
	return c.node.Observer()
}

func (c clusterWiring) register(reg prometheus.Registerer) {
	if c.node != nil {
		c.node.Register(reg)
	}
}

// roomActions are the REST edge's room actions: local ones, decorated by
// the cluster so that actions on rooms owned elsewhere reach their owner.
type roomActions struct {
	roomAdmin
	roomBlocker
}

func (s *Server) restRooms() (api.RoomAdmin, api.UserBlocker) {
	local := roomActions{roomAdmin{s.rooms}, roomBlocker{s.rooms}}
	if s.cluster.node == nil {
		return local.roomAdmin, local.roomBlocker
	}
	a := s.cluster.node.Admin(local)
	return a, a
}

// whipRouter routes WHIP and WHEP POSTs in cluster mode (nil otherwise).
func (s *Server) whipRouter() whip.Router {
	if s.cluster.node == nil {
		return nil
	}
	return s.cluster.node
}

// wireCluster routes enters and serves internal calls in cluster mode.
func (s *Server) wireCluster(mux *http.ServeMux) {
	if s.cluster.node == nil {
		return
	}
	s.signal.SetRouter(s.cluster.node)
	s.wireEdges(mux) // cluster_edge.go: LIVE audience served by edges
	mux.Handle("POST "+cluster.InternalPath, s.cluster.node.Handler(roomActions{roomAdmin{s.rooms}, roomBlocker{s.rooms}}))
}

// startCluster registers the node once it listens.
func (s *Server) startCluster() {
	if s.cluster.node != nil {
		s.cluster.node.Start(s.URL(), s.MediaAddr().String())
	}
}

// stopCluster is the first step of a drain: it removes the node's
// registration and releases its leases, so that clients told to reconnect
// enter again on live nodes; then it closes Redis. The rooms still running
// here end when the server shuts them down.
func (s *Server) stopCluster(ctx context.Context) {
	if s.cluster.node == nil {
		return
	}
	s.cluster.node.Close(ctx)
	_ = s.cluster.rdb.Close()
}

// clusterLoad tells the cluster about this node's rooms and load.
type clusterLoad struct {
	s *Server

	mu      sync.Mutex
	at      time.Time
	bytes   uint64
	cpu     time.Duration
	lastBps int64
	lastCPU float64
}

func (l *clusterLoad) Exists(key trtc.RoomKey) bool {
	_, ok := l.s.rooms.Room(key)
	return ok
}

// Lost ends this node's copy of a room another node owns and sends its
// clients there: they reconnect, find their session gone, and enter again
// through the redirect.
func (l *clusterLoad) Lost(key trtc.RoomKey) {
	if l.s.rooms.Evict(key) == nil {
		l.s.signal.Reconnect(key)
	}
}

// Load reports rooms and users now, and the forwarded bitrate and process
// CPU averaged since the previous call (a heartbeat).
func (l *clusterLoad) Load() cluster.Load {
	rooms, users := l.s.rooms.Stats()
	now := time.Now()
	bytes := l.s.engine.Totals().Bytes
	cpu := processCPU()
	l.mu.Lock()
	defer l.mu.Unlock()
	if d := now.Sub(l.at); !l.at.IsZero() && d >= 100*time.Millisecond {
		l.lastBps = int64(float64(bytes-l.bytes) * 8 / d.Seconds())
		l.lastCPU = float64(cpu-l.cpu) / float64(d)
	}
	if l.at.IsZero() || now.Sub(l.at) >= 100*time.Millisecond {
		l.at, l.bytes, l.cpu = now, bytes, cpu
	}
	return cluster.Load{Rooms: rooms, Users: users, BitrateBps: l.lastBps, CPU: l.lastCPU}
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
