package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Defaults and bounds.
const (
	DefaultNodeTTL  = 5 * time.Second
	DefaultLeaseTTL = 10 * time.Second
	dialTimeout     = time.Second
	ioTimeout       = time.Second
	callTimeout     = 5 * time.Second // one internal call to an owner
)

// LocalRooms is what the cluster needs from this node's room service.
type LocalRooms interface {
	// Exists reports whether the room is live on this node.
	Exists(key trtc.RoomKey) bool
	// Load reports this node's load for its registration.
	Load() Load
	// Lost tells that another node owns a room that is live here (two
	// nodes served it while Redis was away): this copy is to end and its
	// users to enter it on the owner.
	Lost(key trtc.RoomKey)
}

// Config configures a Node. Redis, Secret, ID and Rooms are required.
type Config struct {
	Redis    *redis.Client
	Secret   []byte
	ID       NodeID
	URL      string // base URL other nodes and redirected clients reach; empty: Start's
	NodeTTL  time.Duration
	LeaseTTL time.Duration
	Rooms    LocalRooms
	Logger   *slog.Logger
	// HTTPClient makes internal calls; nil uses a client with a timeout.
	HTTPClient *http.Client
	Now        func() time.Time
	// Failover closes what a dead node left open (failover.go); nil:
	// deaths are only cleared.
	Failover Failover
	// FailoverDelay overrides the time between finding a node dead and
	// taking it over (failover.go; 0: the larger of LeaseTTL and 10 s).
	FailoverDelay time.Duration
}

// NewNodeID returns a random node id for a node configured without one.
func NewNodeID() NodeID {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return NodeID("node-" + hex.EncodeToString(b))
}

// Node is this process's membership in the cluster.
type Node struct {
	cfg     Config
	media   string
	log     *slog.Logger
	reg     *registry
	leases  *leases
	verify  *verifier
	http    *http.Client
	metrics *metrics
	started time.Time

	locks keyLocks

	edge *edges  // LIVE rooms across nodes (edge.go); nil until EnableEdges
	rep  reports // how webhooks and history hear this node's rooms (report.go)

	mu   sync.Mutex
	held map[trtc.RoomKey]uint64 // rooms this node owns → fencing token; 0: placed locally while Redis was away
	seen []NodeInfo              // the last node list read

	bg sync.WaitGroup // heartbeat loop

	// Lease releases of ended rooms in flight (guarded by mu; relDone is
	// signalled when pending drops to zero). Not a WaitGroup: rooms end
	// while Close and Flush wait.
	pending int
	relDone *sync.Cond
	closed  bool // guarded by mu: Close has run

	ctx  context.Context // ends the heartbeat loop
	stop context.CancelFunc
}

// New validates cfg and returns a node that has not joined yet (Start).
func New(cfg Config) (*Node, error) {
	if cfg.Redis == nil || len(cfg.Secret) == 0 || cfg.ID == "" || cfg.Rooms == nil {
		return nil, fmt.Errorf("%w: redis, secret, id and rooms are required", ErrBadConfig)
	}
	if cfg.NodeTTL <= 0 {
		cfg.NodeTTL = DefaultNodeTTL
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: callTimeout}
	}
	ctx, stop := context.WithCancel(context.Background())
	n := &Node{
		cfg:     cfg,
		log:     cfg.Logger.With("node", string(cfg.ID)),
		reg:     &registry{rdb: cfg.Redis, secret: cfg.Secret, ttl: cfg.NodeTTL},
		leases:  &leases{rdb: cfg.Redis, ttl: cfg.LeaseTTL},
		verify:  newVerifier(cfg.Secret),
		http:    hc,
		metrics: newMetrics(),
		started: cfg.Now(),
		held:    make(map[trtc.RoomKey]uint64),
		ctx:     ctx,
		stop:    stop,
	}
	n.locks.m = make(map[trtc.RoomKey]*keyLock)
	n.relDone = sync.NewCond(&n.mu)
	return n, nil
}

// ID is this node's id.
func (n *Node) ID() NodeID { return n.cfg.ID }

// Start registers the node and starts heartbeats and lease renewal. url is
// the node's base URL unless Config.URL set one, media its UDP media address.
// A Redis that cannot be reached is logged, not fatal: the loop keeps trying.
func (n *Node) Start(url, media string) {
	if n.cfg.URL == "" {
		n.cfg.URL = url
	}
	n.media = media
	if err := n.heartbeat(n.ctx); err != nil {
		n.log.Warn("cluster: first registration failed; retrying", "err", err)
	} else {
		n.log.Info("cluster: node registered", "url", n.cfg.URL, "media", media)
	}
	n.bg.Add(1)
	go n.loop()
}

// Close stops heartbeats, releases every lease this node holds and removes
// its registration, bounded by ctx.
func (n *Node) Close(ctx context.Context) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	held := make(map[trtc.RoomKey]uint64, len(n.held))
	for k, t := range n.held {
		held[k] = t
	}
	n.held = map[trtc.RoomKey]uint64{}
	n.mu.Unlock()
	n.stop()
	n.bg.Wait()
	n.Flush()
	for k, t := range held {
		if t == 0 {
			continue
		}
		if err := n.leases.release(ctx, k, Lease{Node: n.cfg.ID, Token: t}); err != nil && !errors.Is(err, ErrStaleToken) {
			n.redisError("release", err) // Redis is away: the rest expire by themselves
			break
		}
	}
	if err := n.reg.deregister(ctx, n.cfg.ID); err != nil {
		n.log.Warn("cluster: deregistration failed", "err", err)
	}
}

func (n *Node) self() NodeInfo {
	return NodeInfo{ID: n.cfg.ID, URL: n.cfg.URL, Media: n.media, Load: n.cfg.Rooms.Load(), Started: n.started.UnixMilli(), MaxUsers: n.maxUsers()}
}

func (n *Node) loop() {
	defer n.bg.Done()
	beat := time.NewTicker(n.cfg.NodeTTL / 3)
	defer beat.Stop()
	renew := time.NewTicker(n.cfg.LeaseTTL / 3)
	defer renew.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-beat.C:
			if err := n.heartbeat(n.ctx); err != nil && n.ctx.Err() == nil {
				n.redisError("heartbeat", err)
			} else if err == nil {
				n.takeOverDead(n.ctx) // failover.go
			}
		case <-renew.C:
			n.renewAll(n.ctx)
		}
	}
}

// heartbeat refreshes the registration and the cached node list.
func (n *Node) heartbeat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.NodeTTL/3)
	defer cancel()
	if err := n.reg.register(ctx, n.self(), n.cfg.Now()); err != nil {
		return err
	}
	n.metrics.heartbeats.Inc()
	_, err := n.nodes(ctx)
	return err
}

// nodes reads the live nodes, logging registrations that fail to verify.
func (n *Node) nodes(ctx context.Context) ([]NodeInfo, error) {
	nodes, forged, err := n.reg.list(ctx, n.cfg.Now())
	if err != nil {
		return nil, err
	}
	for _, id := range forged {
		n.metrics.rejected.WithLabelValues("registration").Inc()
		n.log.Warn("cluster: ignoring a node registration that does not verify", "peer", string(id))
	}
	n.mu.Lock()
	n.seen = nodes
	n.mu.Unlock()
	return nodes, nil
}

// renewAll renews every held lease. A lease lost to another node is logged
// and dropped; a room placed while Redis was away is placed now if it can be.
func (n *Node) renewAll(ctx context.Context) {
	n.mu.Lock()
	held := make(map[trtc.RoomKey]uint64, len(n.held))
	for k, t := range n.held {
		held[k] = t
	}
	n.mu.Unlock()
	for k, t := range held {
		if err := n.renewOne(ctx, k, t); err != nil {
			// Redis is away: the others would fail alike. One log line per
			// round, not one per room.
			n.redisError("renew", err)
			return
		}
	}
}

// renewOne renews one lease under the room's key lock, so that a renewal
// never re-creates the lease of a room that ended meanwhile.
func (n *Node) renewOne(ctx context.Context, k trtc.RoomKey, t uint64) error {
	unlock := n.locks.lock(k)
	defer unlock()
	if cur, still := n.Held(k); !still || cur != t {
		return nil // released or re-placed meanwhile
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.LeaseTTL/3)
	defer cancel()
	var err error
	if t == 0 {
		err = n.reconcile(ctx, k)
	} else {
		err = n.leases.renew(ctx, k, Lease{Node: n.cfg.ID, Token: t})
	}
	switch {
	case errors.Is(err, ErrStaleToken):
		n.metrics.leasesLost.Inc()
		n.log.Warn("cluster: another node owns a room live here: moving its users there", "room", k.String(), "token", t)
		n.forget(k, t)
		n.cfg.Rooms.Lost(k)
		return nil
	}
	return err
}

// reconcile places a room that was placed locally while Redis was away.
func (n *Node) reconcile(ctx context.Context, key trtc.RoomKey) error {
	l, err := n.leases.place(ctx, key, n.cfg.ID, 0)
	if err != nil {
		return err
	}
	if l.Node != n.cfg.ID {
		return ErrStaleToken // another node placed it meanwhile: ours is the duplicate
	}
	n.mu.Lock()
	if t, ok := n.held[key]; ok && t == 0 {
		n.held[key] = l.Token
	}
	n.mu.Unlock()
	return nil
}

func (n *Node) forget(key trtc.RoomKey, token uint64) {
	n.mu.Lock()
	if n.held[key] == token {
		delete(n.held, key)
	}
	n.mu.Unlock()
}

func (n *Node) redisError(op string, err error) {
	n.metrics.redisErrors.WithLabelValues(op).Inc()
	n.log.Warn("cluster: redis", "op", op, "err", err)
}

// Held returns the fencing token this node holds for a room (0, false when
// it does not own the room).
func (n *Node) Held(key trtc.RoomKey) (uint64, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	t, ok := n.held[key]
	return t, ok
}

// keyLocks serializes placement, enter and lease release per room on this
// node, so a room ending while an enter places it again can never leave the
// room alive here without a lease.
type keyLocks struct {
	mu sync.Mutex
	m  map[trtc.RoomKey]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

func (l *keyLocks) lock(key trtc.RoomKey) func() {
	l.mu.Lock()
	k := l.m[key]
	if k == nil {
		k = &keyLock{}
		l.m[key] = k
	}
	k.refs++
	l.mu.Unlock()
	k.mu.Lock()
	return func() {
		k.mu.Unlock()
		l.mu.Lock()
		k.refs--
		if k.refs == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
}
