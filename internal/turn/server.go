// Package turn is rtcengine's embedded TURN server (RFC 8656), built on
// pion/turn: the last of the firewall fallbacks, after UDP and ICE-TCP to the
// media port. Clients reach it over UDP, TCP or TLS; it relays to the SFU
// only, over UDP, with credentials that need no state (credentials.go),
// per-user and per-server allocation caps, and address translation for a
// server behind 1:1 NAT (relay.go). It knows nothing of rooms or HTTP; the
// server package wires it.
package turn

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/stun/v4"
	pturn "github.com/pion/turn/v5"

	"github.com/rtcengine/rtcengine/internal/pionlog"
)

// Transports clients reach the server over, as reported in Stats.
const (
	TransportUDP = "udp"
	TransportTCP = "tcp"
	TransportTLS = "tls"
)

// Config configures a Server. Listeners are owned by the Server once New
// succeeds (Close closes them).
type Config struct {
	// Realm of the long-term credentials (RFC 8489 §9.2).
	Realm string
	// Secret checks credentials made by Issue.
	Secret string
	// UDP, TCP and TLS are the sockets clients reach; any may be nil, not
	// all. TLS yields connections that are already TLS (tls.NewListener, or
	// the HTTPS port shared by first-byte sniffing).
	UDP net.PacketConn
	TCP net.Listener
	TLS net.Listener
	// RelayIP is the local address relay sockets bind to and report; the
	// SFU must reach it.
	RelayIP net.IP
	// Translate maps a peer address clients name (the SFU's public address,
	// behind 1:1 NAT) to the local address the relay sends to instead, so
	// that relayed media never needs a NAT hairpin.
	Translate map[netip.Addr]netip.Addr
	// AllowPeer says which peer addresses a client may relay to; nil allows
	// every address. The server restricts it to the SFU's, so the relay is
	// no open proxy into the network.
	AllowPeer func(net.IP) bool
	// UserAllocations and MaxAllocations cap the allocations held at once
	// by one user and by the whole server (0: no cap).
	UserAllocations, MaxAllocations int
	// Now is the clock credentials are checked against (nil: time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Server is a running TURN server.
type Server struct {
	cfg  Config
	srv  *pturn.Server
	now  func() time.Time
	log  *slog.Logger
	quot *quota

	created      sync.Map // transport → *atomic.Uint64
	quotaRefused atomic.Uint64
	authFailed   atomic.Uint64
}

// Stats are the server's counters.
type Stats struct {
	Allocations  int               // held now
	Created      map[string]uint64 // allocations made, by client transport
	QuotaRefused uint64            // allocations refused by a cap
	AuthFailed   uint64            // requests with a bad or expired credential
}

// New starts serving on the configured listeners.
func New(cfg Config) (*Server, error) {
	if cfg.UDP == nil && cfg.TCP == nil && cfg.TLS == nil {
		return nil, ErrNoListener
	}
	if cfg.RelayIP == nil {
		return nil, fmt.Errorf("turn: no relay address")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, now: cfg.Now, log: cfg.Logger, quot: newQuota(cfg.UserAllocations, cfg.MaxAllocations)}
	perm := func(_ net.Addr, peer net.IP) bool { return cfg.AllowPeer == nil || cfg.AllowPeer(peer) }
	sc := pturn.ServerConfig{
		Realm:         cfg.Realm,
		AuthHandler:   s.authenticate,
		QuotaHandler:  s.underQuota,
		LoggerFactory: pionlog.Factory{Log: cfg.Logger, Quiet: true, Attrs: turnScope},
		EventHandler: pturn.EventHandler{
			OnAuth: func(_, _ net.Addr, _, _, _ string, _ string, ok bool) {
				if !ok {
					s.authFailed.Add(1)
				}
			},
		},
	}
	if cfg.UDP != nil {
		sc.PacketConnConfigs = append(sc.PacketConnConfigs, pturn.PacketConnConfig{
			PacketConn: cfg.UDP, RelayAddressGenerator: s.relays(TransportUDP), PermissionHandler: perm,
		})
	}
	for _, l := range []struct {
		ln        net.Listener
		transport string
	}{{cfg.TCP, TransportTCP}, {cfg.TLS, TransportTLS}} {
		if l.ln != nil {
			sc.ListenerConfigs = append(sc.ListenerConfigs, pturn.ListenerConfig{
				Listener: l.ln, RelayAddressGenerator: s.relays(l.transport), PermissionHandler: perm,
			})
		}
	}
	srv, err := pturn.NewServer(sc)
	if err != nil {
		return nil, fmt.Errorf("turn: %w", err)
	}
	s.srv = srv
	return s, nil
}

// Close stops the server and releases every allocation and listener.
func (s *Server) Close() error { return s.srv.Close() }

// Stats returns the counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Allocations:  s.quot.total(),
		Created:      map[string]uint64{},
		QuotaRefused: s.quotaRefused.Load(),
		AuthFailed:   s.authFailed.Load(),
	}
	s.created.Range(func(k, v any) bool {
		st.Created[k.(string)] = v.(*atomic.Uint64).Load()
		return true
	})
	return st
}

// authenticate checks a credential made by Issue. An expired one may not
// create allocations but keeps refreshing those it made (Refresh,
// CreatePermission, ChannelBind only act on the requester's own allocation),
// so that a call outlives its credential.
func (s *Server) authenticate(ra *pturn.RequestAttributes) (string, []byte, bool) {
	expires, user, err := ParseUsername(ra.Username)
	if err != nil {
		return "", nil, false
	}
	if ra.Method == stun.MethodAllocate && !s.now().Before(expires) {
		return "", nil, false
	}
	return user, pturn.GenerateAuthKey(ra.Username, ra.Realm, sign(s.cfg.Secret, ra.Username)), true
}

// underQuota answers 486 Allocation Quota Reached before an allocation is
// attempted; the relay generator enforces the same caps atomically.
func (s *Server) underQuota(user, _ string, _ net.Addr) bool {
	if s.quot.full(user) {
		s.quotaRefused.Add(1)
		return false
	}
	return true
}

func (s *Server) countCreated(transport string) {
	v, _ := s.created.LoadOrStore(transport, new(atomic.Uint64))
	v.(*atomic.Uint64).Add(1)
}

// quota counts allocations per user and in total.
type quota struct {
	perUser, max int

	mu     sync.Mutex
	byUser map[string]int
	n      int
}

func newQuota(perUser, max int) *quota {
	return &quota{perUser: perUser, max: max, byUser: map[string]int{}}
}

func (q *quota) full(user string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return (q.perUser > 0 && q.byUser[user] >= q.perUser) || (q.max > 0 && q.n >= q.max)
}

func (q *quota) acquire(user string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if (q.perUser > 0 && q.byUser[user] >= q.perUser) || (q.max > 0 && q.n >= q.max) {
		return false
	}
	q.byUser[user]++
	q.n++
	return true
}

func (q *quota) release(user string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.n--
	if q.byUser[user] <= 1 {
		delete(q.byUser, user)
	} else {
		q.byUser[user]--
	}
}

func (q *quota) total() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

func (q *quota) user(u string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.byUser[u]
}

// turnScope names pion/turn's loggers in our records. pion/turn reports
// at debug level, errors as warnings (pionlog.Factory.Quiet): most of what
// it reports (a bad packet, an unknown allocation) is a client's doing and
// must not flood the server's log.
func turnScope(scope string) []any { return []any{"component", "turn", "scope", scope} }
