// Package room is rtcengine's room service: a state machine with TRTC's
// semantics for entering, leaving, roles, scenes, caps, duplicate users,
// dropped connections, kicks and dismissals (trtc-reference §1, §2, §10.3).
//
// It knows nothing of sockets, HTTP or media. The signaling edge calls Join,
// Leave, Detach, Resume and SwitchRole for its connections and receives
// events through a Sink; the REST edge calls RemoveUsers and Dismiss;
// webhooks, history and metrics listen through an Observer.
//
// Locking: each Room has its own mutex; the Manager's mutex guards only its
// maps. The order is always room → manager, never the reverse, and sinks and
// observers are called with the room lock held so that every member sees a
// room's events in one order.
package room

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Config holds the room service's limits. The zero value of a field means
// TRTC's default.
type Config struct {
	CallMaxUsers        int           // users per room in call scenes (300)
	CallMaxAnchors      int           // simultaneous publishers in call scenes (50)
	LiveMaxAnchors      int           // anchors per room in live scenes (50)
	LiveMaxAudience     int           // audience per room in live scenes (100,000)
	DropTimeout         time.Duration // a detached member is removed after this (90 s)
	LiveAudienceRoomTTL time.Duration // a live room whose last leaver was audience lives this long (10 min)
	Messages            MessageConfig // custom message log and burst (message.go)
}

// Defaults of Config (trtc-reference §1).
const (
	DefaultCallMaxUsers        = 300
	DefaultCallMaxAnchors      = 50
	DefaultLiveMaxAnchors      = 50
	DefaultLiveMaxAudience     = 100000
	DefaultDropTimeout         = 90 * time.Second
	DefaultLiveAudienceRoomTTL = 10 * time.Minute
)

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.CallMaxUsers, DefaultCallMaxUsers)
	def(&c.CallMaxAnchors, DefaultCallMaxAnchors)
	def(&c.LiveMaxAnchors, DefaultLiveMaxAnchors)
	def(&c.LiveMaxAudience, DefaultLiveMaxAudience)
	if c.DropTimeout <= 0 {
		c.DropTimeout = DefaultDropTimeout
	}
	if c.LiveAudienceRoomTTL <= 0 {
		c.LiveAudienceRoomTTL = DefaultLiveAudienceRoomTTL
	}
	c.Messages = c.Messages.withDefaults()
	return c
}

// SessionID identifies one member session across reconnects.
type SessionID string

// Manager owns all rooms of one node.
type Manager struct {
	cfg   Config
	clock Clock
	obs   Observer

	mu       sync.Mutex
	rooms    map[trtc.RoomKey]*Room
	sessions map[SessionID]*Member
	closed   bool

	taps messageTaps // listeners of custom messages (msgtap.go)
}

// NewManager returns an empty room service. clock and obs may be nil.
func NewManager(cfg Config, clock Clock, obs Observer) *Manager {
	if clock == nil {
		clock = SystemClock{}
	}
	if obs == nil {
		obs = NopObserver{}
	}
	return &Manager{
		cfg:      cfg.withDefaults(),
		clock:    clock,
		obs:      obs,
		rooms:    make(map[trtc.RoomKey]*Room),
		sessions: make(map[SessionID]*Member),
	}
}

// Config returns the effective limits.
func (mgr *Manager) Config() Config { return mgr.cfg }

// JoinRequest is an enter after the edge has checked the ticket.
type JoinRequest struct {
	Key    trtc.RoomKey
	UserID trtc.UserID
	Role   trtc.Role  // ignored in call scenes; RoleUnknown means anchor
	Scene  trtc.Scene // the room's scene is fixed by its first enter
	// Privileges, when non-nil, are the PrivateMapKey bits to enforce.
	Privileges *uint32
	Client     ClientInfo
	Sink       Sink
	// Mirrored marks a member that stands for a member served by another
	// node (a relay link's copy of a remote anchor): observers that report
	// users to the app (webhooks, history) leave it to that node.
	Mirrored bool
}

// Join enters a room, creating it if needed. On success the member's sink has
// already received EventJoined with the snapshot, before any other event.
func (mgr *Manager) Join(req JoinRequest) (*Member, error) {
	if !req.Scene.Valid() {
		return nil, ErrInvalidScene
	}
	if req.Role == trtc.RoleUnknown {
		req.Role = trtc.RoleAnchor
	}
	if !req.Role.Valid() {
		return nil, ErrInvalidRole
	}
	if !req.Scene.IsLive() {
		req.Role = trtc.RoleAnchor
	}
	for {
		r, created, err := mgr.roomFor(req)
		if err != nil {
			return nil, err
		}
		m, err := r.join(req, created)
		if err == errRoomGone {
			continue // destroyed between lookup and lock; look again
		}
		return m, err
	}
}

var errRoomGone = &roomGoneError{}

type roomGoneError struct{}

func (*roomGoneError) Error() string { return "room: destroyed concurrently" }

func (mgr *Manager) roomFor(req JoinRequest) (*Room, bool, error) {
	mgr.mu.Lock()
	defer mgr.mu.Unlock()
	if mgr.closed {
		return nil, false, ErrClosed
	}
	if r, ok := mgr.rooms[req.Key]; ok {
		return r, false, nil
	}
	if req.Privileges != nil && *req.Privileges&trtc.PrivCreateRoom == 0 {
		return nil, false, ErrNoCreatePrivilege
	}
	r := &Room{
		mgr:     mgr,
		key:     req.Key,
		scene:   req.Scene,
		created: mgr.clock.Now(),
		creator: req.UserID,
		members: make(map[trtc.UserID]*Member),
	}
	mgr.rooms[req.Key] = r
	return r, true, nil
}

// Resume reattaches a detached (or still attached, if the client noticed the
// loss first) session to a new sink. It fails with ErrSessionExpired when the
// session is gone.
func (mgr *Manager) Resume(id SessionID, token string, sink Sink) (*Member, error) {
	mgr.mu.Lock()
	m, ok := mgr.sessions[id]
	mgr.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(m.token), []byte(token)) != 1 {
		return nil, ErrSessionExpired
	}
	return m, m.room.resume(m, sink)
}

// Room returns the room with the key, if it exists.
func (mgr *Manager) Room(key trtc.RoomKey) (*Room, bool) {
	mgr.mu.Lock()
	defer mgr.mu.Unlock()
	r, ok := mgr.rooms[key]
	return r, ok
}

// RemoveUsers removes the listed users from a room: each gets EventKicked
// (OnExitRoom(1)), the others see them leave with reason 2. Users not in the
// room are ignored.
func (mgr *Manager) RemoveUsers(key trtc.RoomKey, users []trtc.UserID) error {
	r, ok := mgr.Room(key)
	if !ok {
		return ErrRoomNotFound
	}
	return r.removeUsers(users)
}

// Dismiss removes everyone from a room (OnExitRoom(2)) and destroys it.
func (mgr *Manager) Dismiss(key trtc.RoomKey) error {
	r, ok := mgr.Room(key)
	if !ok {
		return ErrRoomNotFound
	}
	return r.dismiss(CauseDismissed, trtc.ExitDismissed, ErrRoomNotFound)
}

// Stats counts rooms and members (attached or detached) of this node.
func (mgr *Manager) Stats() (rooms, members int) {
	mgr.mu.Lock()
	defer mgr.mu.Unlock()
	return len(mgr.rooms), len(mgr.sessions)
}

// Close stops taking new rooms and enters; rooms already running are left to
// the caller, which tells its clients and then calls Shutdown.
func (mgr *Manager) Close() {
	mgr.mu.Lock()
	mgr.closed = true
	mgr.mu.Unlock()
}

// Shutdown closes the manager and destroys every room without notifying
// members (their connections are going away). Observers see each user leave
// with CauseShutdown and each room destroyed.
func (mgr *Manager) Shutdown() {
	mgr.Close()
	mgr.mu.Lock()
	rooms := make([]*Room, 0, len(mgr.rooms))
	for _, r := range mgr.rooms {
		rooms = append(rooms, r)
	}
	mgr.mu.Unlock()
	for _, r := range rooms {
		_ = r.dismiss(CauseShutdown, trtc.ExitAbnormal, nil)
	}
}

func (mgr *Manager) addSession(m *Member) {
	mgr.mu.Lock()
	mgr.sessions[m.session] = m
	mgr.mu.Unlock()
}

func (mgr *Manager) dropSession(m *Member) {
	mgr.mu.Lock()
	if mgr.sessions[m.session] == m {
		delete(mgr.sessions, m.session)
	}
	mgr.mu.Unlock()
}

func (mgr *Manager) dropRoom(r *Room) {
	mgr.mu.Lock()
	if mgr.rooms[r.key] == r {
		delete(mgr.rooms, r.key)
	}
	mgr.mu.Unlock()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
