package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/rtcengine/rtcengine/internal/relay"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// relayState is the node's server-to-server media relay (docs/cluster.md,
// "LIVE rooms across nodes"): off until EnableRelay.
type relayState struct {
	mu      sync.Mutex
	origin  *relay.Origin
	edge    *relay.Edge
	mirrors map[*relay.Mirror]struct{}
}

// EnableRelay turns the relay on with this node's id and the cluster
// secret: other nodes may then pull this node's rooms (GET /internal/relay),
// and PullRoom mirrors other nodes' rooms here. The cluster layer calls it
// in cluster mode; tests call it directly.
func (s *Server) EnableRelay(node string, secret []byte) error {
	loc := relay.Local{Rooms: s.rooms, Hub: s.media, Engine: s.engine, Log: s.log}
	o, err := relay.NewOrigin(relay.OriginConfig{Secret: secret, Local: loc})
	if err != nil {
		return err
	}
	e, err := relay.NewEdge(relay.EdgeConfig{Node: node, Secret: secret, Local: loc})
	if err != nil {
		return err
	}
	s.relay.mu.Lock()
	defer s.relay.mu.Unlock()
	if s.relay.origin != nil {
		return errors.New("relay: already enabled")
	}
	s.relay.origin, s.relay.edge = o, e
	s.relay.mirrors = map[*relay.Mirror]struct{}{}
	return nil
}

// PullRoom mirrors room key of the origin node at originURL on this node
// (relay.Edge.Pull). The mirror ends with the link, Close, or Shutdown.
func (s *Server) PullRoom(ctx context.Context, originURL string, key trtc.RoomKey) (*relay.Mirror, error) {
	s.relay.mu.Lock()
	e := s.relay.edge
	s.relay.mu.Unlock()
	if e == nil {
		return nil, errors.New("relay: not enabled")
	}
	m, err := e.Pull(ctx, originURL, key)
	if err != nil {
		return nil, err
	}
	s.relay.mu.Lock()
	s.relay.mirrors[m] = struct{}{}
	s.relay.mu.Unlock()
	go func() {
		<-m.Done()
		s.relay.mu.Lock()
		delete(s.relay.mirrors, m)
		s.relay.mu.Unlock()
	}()
	return m, nil
}

// RelayLinks reports the links this node serves as an origin.
func (s *Server) RelayLinks() []relay.LinkStats {
	s.relay.mu.Lock()
	o := s.relay.origin
	s.relay.mu.Unlock()
	if o == nil {
		return nil
	}
	return o.Links()
}

// relayRoutes serves the relay endpoint; in cluster mode the relay is on
// from the start, with the cluster secret, so that the cluster layer only
// has to call PullRoom on an edge.
func (s *Server) relayRoutes(mux *http.ServeMux) {
	if s.cfg.Clustered() && s.cfg.Cluster.Secret != "" {
		node := s.cfg.Cluster.NodeID
		if node == "" {
			node = "node" // the id only names the link in the origin's logs
		}
		if err := s.EnableRelay(node, []byte(s.cfg.Cluster.Secret)); err != nil {
			s.log.Warn("relay: not enabled", "err", err)
		}
	}
	mux.HandleFunc("GET "+relay.Path, s.handleRelay)
	if s.cfg.Dev {
		mux.HandleFunc("POST /dev/relay", s.handleDevRelay)
	}
}

// devRelay is the body of POST /dev/relay (development mode only): it
// enables the relay with a node id and secret, and with origin and room set
// mirrors that room of that origin here. rtcengine bench fanout --edges
// uses it to link child servers without Redis.
type devRelay struct {
	Node   string `json:"node"`
	Secret string `json:"secret"`
	Origin string `json:"origin,omitempty"`
	Room   string `json:"room,omitempty"` // RoomKey.String(): "<sdkappid>/<roomId>"
}

func (s *Server) handleDevRelay(w http.ResponseWriter, r *http.Request) {
	var req devRelay
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil {
		devRelayError(w, http.StatusBadRequest, trtc.ErrInvalidParameter, err)
		return
	}
	s.relay.mu.Lock()
	enabled := s.relay.origin != nil
	s.relay.mu.Unlock()
	if !enabled {
		if err := s.EnableRelay(req.Node, []byte(req.Secret)); err != nil {
			devRelayError(w, http.StatusBadRequest, trtc.ErrInvalidParameter, err)
			return
		}
	}
	if req.Origin != "" {
		key, err := relay.ParseRoomKey(req.Room)
		if err != nil {
			devRelayError(w, http.StatusBadRequest, trtc.ErrInvalidParameter, err)
			return
		}
		if _, err := s.PullRoom(r.Context(), req.Origin, key); err != nil {
			devRelayError(w, http.StatusBadGateway, trtc.ErrServerProcess, err)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"code":0}` + "\n"))
}

func devRelayError(w http.ResponseWriter, status, code int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, err.Error()})
}

func (s *Server) handleRelay(w http.ResponseWriter, r *http.Request) {
	s.relay.mu.Lock()
	o := s.relay.origin
	s.relay.mu.Unlock()
	if o == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"code":-4,"message":"relay not enabled on this node"}` + "\n"))
		return
	}
	o.ServeHTTP(w, r)
}

// closeRelay ends every link, as origin and as edge (bounded by ctx).
func (s *Server) closeRelay(ctx context.Context) {
	s.relay.mu.Lock()
	o := s.relay.origin
	ms := make([]*relay.Mirror, 0, len(s.relay.mirrors))
	for m := range s.relay.mirrors {
		ms = append(ms, m)
	}
	s.relay.mu.Unlock()
	for _, m := range ms {
		_ = m.Close(ctx)
	}
	if o != nil {
		_ = o.Close(ctx)
	}
}
