package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// LIVE rooms across nodes (docs/cluster.md). In a LIVE-scene room an
// audience enter that reaches a node other than the room's owner is served
// there when the node has room to spare: the node becomes an edge for the
// room, mirroring it from the owner over one relay link shared by all its
// viewers (EdgeHost.Pull), and the viewer enters the local copy. A full
// node sends audience to the least-loaded node with room to spare; anchors
// always go to the owner. The room rules no single copy can enforce — the
// audience cap counted across nodes and one session per userId — are kept
// in the room's member table in Redis (members.go).

// Mirror is an edge's copy of one room of its owner (relay.Mirror).
type Mirror interface {
	// Done is closed when the link has ended.
	Done() <-chan struct{}
	// Close ends the link and removes what it mirrored, bounded by ctx.
	Close(ctx context.Context) error
	// OriginCreated is when the owner's room was created (zero: unknown);
	// the edge reports its users under that room (report.go).
	OriginCreated() time.Time
}

// EdgeHost is what edges need from this node's server.
type EdgeHost interface {
	// Pull mirrors room key of the owner at ownerURL (its base URL) here.
	Pull(ctx context.Context, ownerURL string, key trtc.RoomKey) (Mirror, error)
	// Replace ends a session of user in room key that a newer session on
	// another node replaced (room.Manager.ReplaceSession); an empty session
	// ends whichever session the user has.
	Replace(key trtc.RoomKey, user trtc.UserID, session string) error
	// Users counts the users this node serves now (every member of every
	// room, mirrored anchors included: they cost a node like its own).
	Users() int
}

// EdgeConfig turns LIVE rooms across nodes on.
type EdgeConfig struct {
	Host EdgeHost
	// MaxUsers caps the users this node serves (0: no cap); it is published
	// in the registration so that other nodes send audience only to nodes
	// below their cap.
	MaxUsers int
	// MaxAudience is a LIVE room's audience cap counted across all nodes
	// (trtc-reference: 100,000).
	MaxAudience int
}

// mirrorDialTimeout bounds the dial of one relay link at an enter.
const mirrorDialTimeout = 2 * time.Second

// ErrNoCapacity: every node of the cluster is at its user cap.
var ErrNoCapacity = errors.New("cluster: every node is at its user cap")

// ErrAudienceFull: the room's audience counted across nodes is at its cap.
var ErrAudienceFull = fmt.Errorf("%w: the audience counted across the cluster is at its cap", room.ErrRoomFull)

// edges is a node's state for LIVE rooms across nodes.
type edges struct {
	cfg     EdgeConfig
	members *members
	ops     *opQueue
	rep     *reports // the node's (report.go)

	mu       sync.Mutex
	mirrors  map[trtc.RoomKey]*edgeRoom    // rooms this node serves as an edge
	local    map[trtc.RoomKey]int          // members of LIVE rooms here, mirrored ones aside
	pending  map[trtc.RoomKey]*reservation // the enter in progress per room (enters of a room are serialized)
	inflight int                           // enters between the capacity check and their end
	full     bool                          // at the user cap at the last enter's end
	lastLive map[NodeID]bool               // live nodes at the last sweep

	// Background work (replacement calls, idle mirrors closing), guarded
	// by mu: not a WaitGroup, since rooms end while the node closes.
	bgN      int
	bgDone   *sync.Cond
	bgClosed bool
}

// spawn runs f in the background unless the node is closing.
func (e *edges) spawn(f func()) {
	e.mu.Lock()
	if e.bgClosed {
		e.mu.Unlock()
		return
	}
	e.bgN++
	e.mu.Unlock()
	go func() {
		defer func() {
			e.mu.Lock()
			e.bgN--
			if e.bgN == 0 {
				e.bgDone.Broadcast()
			}
			e.mu.Unlock()
		}()
		f()
	}()
}

// stopBackground refuses new background work and waits for the rest.
func (e *edges) stopBackground() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bgClosed = true
	for e.bgN > 0 {
		e.bgDone.Wait()
	}
}

// edgeRoom is one room mirrored here.
type edgeRoom struct {
	owner NodeID
	m     Mirror
}

// reservation is an enter's place in a member table until it has entered.
type reservation struct {
	user    trtc.UserID
	role    trtc.Role
	pending string // the entry written by admit
	old     string // the entry it replaced
	entered bool
}

// EnableEdges turns LIVE rooms across nodes on. Call it before Start.
func (n *Node) EnableEdges(cfg EdgeConfig) error {
	if cfg.Host == nil || cfg.MaxUsers < 0 || cfg.MaxAudience <= 0 {
		return fmt.Errorf("%w: edges need a host, a user cap ≥ 0 and an audience cap > 0", ErrBadConfig)
	}
	e := &edges{
		cfg:     cfg,
		members: &members{rdb: n.cfg.Redis, ttl: membersTTLFactor * n.cfg.LeaseTTL},
		ops:     newOpQueue(),
		rep:     &n.rep,
		mirrors: map[trtc.RoomKey]*edgeRoom{},
		local:   map[trtc.RoomKey]int{},
		pending: map[trtc.RoomKey]*reservation{},
	}
	e.bgDone = sync.NewCond(&e.mu)
	n.edge = e
	n.bg.Add(2)
	go func() { defer n.bg.Done(); e.ops.run(n.ctx) }()
	go func() { defer n.bg.Done(); n.edgeLoop() }()
	return nil
}

func (n *Node) maxUsers() int {
	if n.edge == nil {
		return 0
	}
	return n.edge.cfg.MaxUsers
}

// RouteEnter routes an enter knowing who enters (signaling.EnterRouter).
// Enters of call rooms, and every enter on a node without edges, are
// routed like Route: to the room's owner.
func (n *Node) RouteEnter(ctx context.Context, key trtc.RoomKey, user trtc.UserID, scene trtc.Scene, role trtc.Role) (string, func(), error) {
	e := n.edge
	if e == nil || !scene.IsLive() {
		return n.Route(ctx, key)
	}
	if role == trtc.RoleUnknown {
		role = trtc.RoleAnchor // the room service's default in LIVE scenes
	}
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return "", nil, ErrNodeClosed
	}
	ctx, cancel := context.WithTimeout(ctx, placeTimeout)
	defer cancel()
	audience := role == trtc.RoleAudience
	if audience && !e.take() {
		url, err := n.spareNode(ctx)
		return url, nil, err
	}
	release := func() {
		if audience {
			e.give()
		}
	}
	unlock := n.locks.lock(key)
	lease, err := n.placeFor(ctx, key)
	switch {
	case err != nil:
		// Redis is away: serve here (degraded mode, docs/cluster.md); an
		// edge keeps serving its copy.
		n.redisError("place", err)
		n.metrics.degraded.Inc()
		if !e.mirroring(key) {
			n.mu.Lock()
			if _, ok := n.held[key]; !ok {
				n.held[key] = 0
			}
			n.mu.Unlock()
		}
		return "", n.enterDone(key, unlock, nil, release), nil
	case lease.Node == n.cfg.ID:
		n.mu.Lock()
		n.held[key] = lease.Token
		n.mu.Unlock()
		if e.mirroring(key) { // it was an edge for a previous owner
			e.closeMirror(key)
		}
	case !audience:
		unlock()
		release()
		owner, ok := n.nodeInfo(ctx, lease.Node)
		if !ok {
			return "", nil, ErrNoOwner
		}
		n.metrics.redirects.Inc()
		return owner.SignalURL(), nil, nil
	default:
		owner, ok := n.nodeInfo(ctx, lease.Node)
		if !ok {
			unlock()
			release()
			return "", nil, ErrNoOwner
		}
		if err := n.ensureMirror(ctx, key, owner); err != nil {
			// The link cannot be opened: the owner serves the viewer.
			unlock()
			release()
			n.log.Warn("cluster: cannot mirror a room; sending the viewer to its owner", "room", key.String(), "peer", string(owner.ID), "err", err)
			n.metrics.redirects.Inc()
			return owner.SignalURL(), nil, nil
		}
	}
	res, err := n.reserve(ctx, key, user, role)
	if err != nil {
		n.enterDone(key, unlock, nil, release)()
		return "", nil, err
	}
	return "", n.enterDone(key, unlock, res, release), nil
}

// reserve takes user's place in the room's member table. With Redis away
// the enter goes on without one (degraded mode); a full room refuses it.
func (n *Node) reserve(ctx context.Context, key trtc.RoomKey, user trtc.UserID, role trtc.Role) (*reservation, error) {
	e := n.edge
	res := &reservation{user: user, role: role, pending: memberValue(n.cfg.ID, "", role)}
	ok, old, err := e.members.admit(ctx, key, user, res.pending, role == trtc.RoleAudience, e.cfg.MaxAudience)
	if err != nil {
		n.redisError("admit", err)
		return nil, nil
	}
	if !ok {
		return nil, ErrAudienceFull
	}
	res.old = old
	e.mu.Lock()
	e.pending[key] = res
	e.mu.Unlock()
	return res, nil
}

// enterDone returns the done of an enter served here: it gives back a
// reservation whose enter failed, lets a full node tell the cluster at once,
// releases the lease of an owner whose enter created no room, and ends a
// mirror no viewer uses.
func (n *Node) enterDone(key trtc.RoomKey, unlock func(), res *reservation, release func()) func() {
	e := n.edge
	return func() {
		defer unlock()
		release()
		if res != nil {
			e.mu.Lock()
			delete(e.pending, key)
			entered := res.entered
			e.mu.Unlock()
			if !entered {
				e.ops.post(func(ctx context.Context) {
					if err := e.members.unreserve(ctx, key, res.user, res.pending, res.old); err != nil {
						n.redisError("unreserve", err)
					}
				})
			}
		}
		if !n.cfg.Rooms.Exists(key) {
			n.releaseLocked(key)
		}
		if e.idle(key) {
			e.closeMirror(key)
		}
		if e.becameFull() {
			// Full now: the registration says so before the next enter
			// is sent here.
			ctx, cancel := context.WithTimeout(n.ctx, ioTimeout)
			if err := n.heartbeat(ctx); err != nil && n.ctx.Err() == nil {
				n.redisError("heartbeat", err)
			}
			cancel()
		}
	}
}

// take counts an enter against the user cap; false when the node is full.
func (e *edges) take() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if m := e.cfg.MaxUsers; m > 0 && e.cfg.Host.Users()+e.inflight >= m {
		return false
	}
	e.inflight++
	return true
}

// becameFull reports whether the node has just reached its user cap (once
// per time it does).
func (e *edges) becameFull() bool {
	m := e.cfg.MaxUsers
	if m == 0 {
		return false
	}
	full := e.cfg.Host.Users() >= m
	e.mu.Lock()
	defer e.mu.Unlock()
	was := e.full
	e.full = full
	return full && !was
}

func (e *edges) give() {
	e.mu.Lock()
	e.inflight--
	e.mu.Unlock()
}

// spareNode returns the signaling URL of the least-loaded other node below
// its user cap, from a fresh read of the registrations.
func (n *Node) spareNode(ctx context.Context) (string, error) {
	nodes, err := n.nodes(ctx)
	if err != nil {
		n.redisError("nodes", err)
		return "", ErrNoCapacity
	}
	var best NodeInfo
	found := false
	for _, x := range n.spare(nodes) {
		if x.ID != n.cfg.ID && (!found || x.Load.Users < best.Load.Users) {
			best, found = x, true
		}
	}
	if !found {
		return "", ErrNoCapacity
	}
	n.metrics.redirects.Inc()
	return best.SignalURL(), nil
}

// spare keeps the live nodes below their user cap.
func (n *Node) spare(nodes []NodeInfo) []NodeInfo {
	now := n.cfg.Now().UnixMilli()
	var out []NodeInfo
	for _, x := range nodes {
		if x.Expires > now && (x.MaxUsers == 0 || x.Load.Users < x.MaxUsers) {
			out = append(out, x)
		}
	}
	return out
}

// placeAmong narrows the candidates of a new room to the nodes with room to
// spare, when there are any; a full node of its own places on another.
func (n *Node) placeAmong(live []NodeInfo) (cands []NodeInfo, self NodeID, selfLoad Load) {
	self, selfLoad = n.cfg.ID, n.cfg.Rooms.Load()
	if n.edge == nil || n.edge.cfg.MaxUsers == 0 {
		return live, self, selfLoad
	}
	sp := n.spare(live)
	if len(sp) == 0 {
		return live, self, selfLoad
	}
	if selfLoad.Users >= n.edge.cfg.MaxUsers {
		return sp, sp[0].ID, sp[0].Load
	}
	return sp, self, selfLoad
}

// mirroring reports whether this node mirrors the room.
func (e *edges) mirroring(key trtc.RoomKey) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mirrors[key] != nil
}

// ensureMirror opens this node's one link for the room to its owner, unless
// it has a working one already. The caller holds the room's key lock.
func (n *Node) ensureMirror(ctx context.Context, key trtc.RoomKey, owner NodeInfo) error {
	e := n.edge
	e.mu.Lock()
	cur := e.mirrors[key]
	e.mu.Unlock()
	if cur != nil {
		select {
		case <-cur.m.Done():
		default:
			if cur.owner == owner.ID {
				return nil
			}
		}
		e.closeMirror(key)
	}
	ctx, cancel := context.WithTimeout(ctx, mirrorDialTimeout)
	defer cancel()
	m, err := e.cfg.Host.Pull(ctx, owner.URL, key)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.mirrors[key] = &edgeRoom{owner: owner.ID, m: m}
	e.mu.Unlock()
	e.rep.learn(key, m.OriginCreated())
	n.log.Info("cluster: serving a LIVE room as an edge", "room", key.String(), "peer", string(owner.ID))
	return nil
}

// closeMirror ends the room's mirror. The caller holds the room's key lock.
func (e *edges) closeMirror(key trtc.RoomKey) {
	e.mu.Lock()
	er := e.mirrors[key]
	delete(e.mirrors, key)
	e.mu.Unlock()
	if er == nil {
		return
	}
	e.rep.forget(key)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_ = er.m.Close(ctx)
}

// idle reports whether the room is mirrored here with no local member and
// no enter in progress.
func (e *edges) idle(key trtc.RoomKey) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mirrors[key] != nil && e.local[key] == 0 && e.pending[key] == nil
}

// mirrored reports whether a member stands for a member of another node
// (the relay's copy of a remote anchor).
func mirrored(m room.MemberInfo) bool { return m.Mirrored }

// edgeLoop keeps the mirrors pointed at their rooms' owners, the member
// tables of rooms with members here alive, and sweeps the entries of nodes
// that left the cluster.
func (n *Node) edgeLoop() {
	t := time.NewTicker(n.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			n.edge.stopBackground()
			return
		case <-t.C:
			n.edgeTick(n.ctx)
		}
	}
}

func (n *Node) edgeTick(ctx context.Context) {
	e := n.edge
	e.mu.Lock()
	var follow, rooms []trtc.RoomKey
	for k := range e.mirrors {
		follow = append(follow, k)
	}
	for k := range e.local {
		rooms = append(rooms, k)
		if e.mirrors[k] == nil {
			follow = append(follow, k) // viewers here, no mirror: the room may be back elsewhere
		}
	}
	e.mu.Unlock()
	for _, k := range follow {
		if _, owned := n.Held(k); !owned {
			n.checkMirror(ctx, k)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.LeaseTTL/3)
	defer cancel()
	if err := e.members.refresh(ctx, rooms); err != nil {
		n.redisError("refresh", err)
		return
	}
	n.mu.Lock()
	seen := n.seen
	n.mu.Unlock()
	live := map[NodeID]bool{}
	var ids []NodeID
	now := n.cfg.Now().UnixMilli()
	for _, x := range seen {
		if x.Expires > now {
			live[x.ID], ids = true, append(ids, x.ID)
		}
	}
	live[n.cfg.ID] = true
	if !containsID(ids, n.cfg.ID) {
		ids = append(ids, n.cfg.ID)
	}
	gone := false
	for id := range e.lastLive {
		if !live[id] {
			gone = true
		}
	}
	e.lastLive = live
	if !gone {
		return
	}
	for _, k := range rooms {
		if err := e.members.sweep(ctx, k, ids); err != nil {
			n.redisError("sweep", err)
			return
		}
	}
}

func containsID(ids []NodeID, id NodeID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// checkMirror follows a room with viewers here that another node owns: a
// mirror whose link broke, whose room ended (no lease) or moved is closed,
// and while local viewers remain the room is pulled from its current owner.
func (n *Node) checkMirror(ctx context.Context, key trtc.RoomKey) {
	e := n.edge
	unlock := n.locks.lock(key)
	defer unlock()
	e.mu.Lock()
	er := e.mirrors[key]
	viewers := e.local[key]
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, placeTimeout)
	defer cancel()
	lease, ok, err := n.leases.get(ctx, key)
	if err != nil {
		n.redisError("lookup", err)
		return // Redis is away: the link, if it works, keeps serving
	}
	if er != nil {
		broken := false
		select {
		case <-er.m.Done():
			broken = true
		default:
		}
		if ok && lease.Node == er.owner && !broken {
			return
		}
		e.closeMirror(key)
	}
	if viewers == 0 || !ok || lease.Node == n.cfg.ID {
		return
	}
	owner, alive := n.nodeInfo(ctx, lease.Node)
	if !alive {
		return
	}
	if err := n.ensureMirror(ctx, key, owner); err != nil {
		n.log.Warn("cluster: cannot mirror a room from its owner", "room", key.String(), "peer", string(owner.ID), "err", err)
	}
}

// Audience reads a room's audience counted across nodes.
func (n *Node) Audience(ctx context.Context, key trtc.RoomKey) (int, error) {
	if n.edge == nil {
		return 0, nil
	}
	return n.edge.members.audience(ctx, key)
}

// Mirrors counts the rooms this node serves as an edge.
func (n *Node) Mirrors() int {
	if n.edge == nil {
		return 0
	}
	n.edge.mu.Lock()
	defer n.edge.mu.Unlock()
	return len(n.edge.mirrors)
}
