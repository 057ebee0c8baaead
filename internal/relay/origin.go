package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Path is where an origin serves relay links.
const Path = "/internal/relay"

// Subprotocol is the WebSocket subprotocol of the control link.
const Subprotocol = "rtcengine-relay.1"

// DefaultMaxLinks bounds the links an origin serves at once.
const DefaultMaxLinks = 1000

// OriginConfig configures an Origin.
type OriginConfig struct {
	// Secret is the cluster secret shared by every node (at least
	// MinSecretLen bytes).
	Secret []byte
	// Local is this node's rooms, hub and SFU.
	Local Local
	// MaxLinks bounds the links served at once; 0 means DefaultMaxLinks.
	MaxLinks int
	// Now is the clock for request timestamps; nil means time.Now.
	Now func() time.Time
}

// Origin serves relay links to edges: an http.Handler for GET Path, a
// WebSocket upgrade authenticated with the cluster secret.
type Origin struct {
	cfg OriginConfig
	ver *verifier
	log *slog.Logger

	mu     sync.Mutex
	links  map[*link]struct{}
	closed bool
	wg     sync.WaitGroup
}

// NewOrigin checks cfg and returns an Origin.
func NewOrigin(cfg OriginConfig) (*Origin, error) {
	if len(cfg.Secret) < MinSecretLen {
		return nil, ErrNoSecret
	}
	if cfg.MaxLinks <= 0 {
		cfg.MaxLinks = DefaultMaxLinks
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Secret = append([]byte(nil), cfg.Secret...)
	log := cfg.Local.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Origin{cfg: cfg, ver: newVerifier(cfg.Secret, cfg.Now), log: log, links: map[*link]struct{}{}}, nil
}

// ServeHTTP authenticates an edge and serves its link for the room named
// by the "room" query parameter (RoomKey.String()) until it ends.
func (o *Origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	roomParam := r.URL.Query().Get("room")
	key, err := ParseRoomKey(roomParam)
	if err != nil {
		refuse(w, http.StatusBadRequest, trtc.ErrInvalidParameter, err)
		return
	}
	node, err := o.ver.verify(r.Header, key.String())
	if err != nil {
		o.log.Warn("relay: refused request", "node", truncate(node, MaxNodeIDLen), "room", key.String(), "remote", r.RemoteAddr, "err", err)
		refuse(w, http.StatusUnauthorized, trtc.ErrSigVerifyFailed, err)
		return
	}
	o.mu.Lock()
	if o.closed || len(o.links) >= o.cfg.MaxLinks {
		o.mu.Unlock()
		refuse(w, http.StatusServiceUnavailable, trtc.ErrServerOverloaded, ErrTooManyLinks)
		return
	}
	o.wg.Add(1)
	o.mu.Unlock()
	defer o.wg.Done()
	setRoomCreated(w.Header(), o.cfg.Local.Rooms, key) // created.go
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{Subprotocol}})
	if err != nil {
		return
	}
	if ws.Subprotocol() != Subprotocol {
		ws.Close(websocket.StatusPolicyViolation, "use subprotocol "+Subprotocol)
		return
	}
	l := newLink(r.Context(), o.cfg.Local, key, node, ws)
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		ws.Close(websocket.StatusGoingAway, "shutting down")
		return
	}
	o.links[l] = struct{}{}
	o.mu.Unlock()
	o.log.Info("relay: link up", "node", node, "room", key.String())
	err = l.run()
	o.mu.Lock()
	delete(o.links, l)
	o.mu.Unlock()
	o.log.Info("relay: link down", "node", node, "room", key.String(), "err", err)
}

// refuse answers a refused request with a TRTC code and message.
func refuse(w http.ResponseWriter, status, code int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, err.Error()})
}

// Links reports the links being served.
func (o *Origin) Links() []LinkStats {
	o.mu.Lock()
	ls := make([]*link, 0, len(o.links))
	for l := range o.links {
		ls = append(ls, l)
	}
	o.mu.Unlock()
	out := make([]LinkStats, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.stats())
	}
	return out
}

// Close ends every link and waits for them (bounded by ctx).
func (o *Origin) Close(ctx context.Context) error {
	o.mu.Lock()
	o.closed = true
	for l := range o.links {
		l.close()
	}
	o.mu.Unlock()
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("relay: closing links: %w", ctx.Err())
	}
}
