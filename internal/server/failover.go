package server

import (
	"context"
	"fmt"
	"strconv"

	"github.com/rtcengine/rtcengine/internal/cluster"
	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/store"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/internal/webhook"
)

// In cluster mode with --postgres, the node that takes a dead node over
// (internal/cluster/failover.go) closes the dead node's open sessions and
// rooms in the shared history store and appends, to the shared outbox, the
// webhooks the dead node could not send: 104 (reason 2, timeout) for each
// user who did not enter the same room again on a live node, then 102 for
// each room nobody created again (docs/cluster.md, "When a node dies").
// What the dead node had appended itself is in the same outbox and is
// delivered by the live nodes.

// withNodeID gives a clustered node without a configured id a random one,
// so that its name in PostgreSQL (nodeName) and in Redis are the same: the
// node that takes it over finds its rows by the id of its registration.
func withNodeID(cfg config.Config) config.Config {
	if cfg.Clustered() && cfg.Cluster.NodeID == "" {
		cfg.Cluster.NodeID = string(cluster.NewNodeID())
	}
	return cfg
}

// failover returns the cluster's Failover: nil unless the history store is
// shared (without PostgreSQL a dead node's rows are its own, closed when it
// starts again).
func (s *Server) failover() cluster.Failover {
	pg, ok := s.history.st.(*store.Postgres)
	if !ok {
		return nil
	}
	return nodeTakeover{hist: pg, hooks: s.hooks, s: s}
}

type nodeTakeover struct {
	hist  *store.Postgres
	hooks *webhooks // nil: no app has a webhook
	s     *Server
}

// NodeDead closes what node left open and reports it. The webhooks are
// appended inside the store's transaction: if one cannot be stored,
// nothing is closed and the takeover is tried again (events appended
// before the failure are then appended again, with new EventIds).
func (t nodeTakeover) NodeDead(ctx context.Context, node cluster.NodeID) error {
	var users, rooms int
	err := t.hist.TakeOverNode(ctx, string(node), func(l store.Leftovers) error {
		users, rooms = len(l.Gone), len(l.Ended)
		return t.hooks.appendLeftovers(l)
	})
	if err != nil {
		return err
	}
	t.s.log.Info("cluster: closed what a dead node left open", "peer", string(node), "users", users, "rooms", rooms)
	return nil
}

// appendLeftovers appends the webhooks of what a node left open when it
// died: 104 (reason 2, timeout) for each user, then 102 for each room. It
// runs inside the history store's transaction that closes them, for a
// dead node taken over and for this node's own leftovers at start
// (openHistory). A nil *webhooks appends nothing.
func (w *webhooks) appendLeftovers(l store.Leftovers) error {
	if w == nil {
		return nil
	}
	for _, g := range l.Gone {
		key, err := leftKey(g.App, g.RoomID, g.StrRoom)
		if err != nil {
			return err
		}
		if err := w.svc.Append(webhook.Event{Type: webhook.EventExitRoom, Room: key, At: g.Left,
			UserID: g.UserID, Role: g.Role, Reason: webhook.ExitTimeout}); err != nil {
			return err
		}
	}
	for _, r := range l.Ended {
		key, err := leftKey(r.App, r.RoomID, r.StrRoom)
		if err != nil {
			return err
		}
		if err := w.svc.Append(webhook.Event{Type: webhook.EventDismissRoom, Room: key, At: r.Destroyed}); err != nil {
			return err
		}
	}
	return nil
}

// leftKey rebuilds a room key from the history's columns.
func leftKey(app trtc.SDKAppID, id string, str bool) (trtc.RoomKey, error) {
	if str {
		return trtc.RoomKey{App: app, Str: id}, nil
	}
	n, err := strconv.ParseUint(id, 10, 32)
	if err != nil {
		return trtc.RoomKey{}, fmt.Errorf("server: numeric room %q in the history: %w", id, err)
	}
	return trtc.RoomKey{App: app, Num: uint32(n)}, nil
}
