package whip

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"

	"github.com/rtcengine/rtcengine/internal/conference"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Kind says which protocol a resource speaks.
type Kind uint8

const (
	KindUnknown Kind = iota
	KindWHIP         // ingest: the client publishes into the room
	KindWHEP         // egress: the client plays an anchor of the room
)

func (k Kind) String() string {
	switch k {
	case KindWHIP:
		return "whip"
	case KindWHEP:
		return "whep"
	}
	return "unknown"
}

// target is the connection whose state decides the resource's life.
func (k Kind) target() sfu.Target {
	if k == KindWHIP {
		return sfu.TargetPublisher
	}
	return sfu.TargetSubscriber
}

// resource is one WHIP or WHEP session (RFC 9725 §3 "WHIP session"): a room
// member with its media, alive from the POST until DELETE, ICE failure,
// the connect timeout, a kick, or the server's shutdown.
type resource struct {
	h     *Handler
	id    string
	kind  Kind
	grant *grant
	// hints declares the stream type of the client's video track ids
	// (WHIP; kept for the renegotiation of an ICE restart).
	hints map[string]trtc.StreamType
	// sub: a WHEP player of the screen share (?stream=sub).
	sub bool

	mu        sync.Mutex
	member    *room.Member
	part      *conference.Participant
	offer     string // the offer the session runs on (rewritten by ICE restarts)
	ufrag     string // the client's current ICE ufrag
	etag      string // names the server's current ICE session
	connected bool
	ended     bool
	timer     room.Timer
	// patching serializes PATCHes: an ICE restart is a renegotiation.
	patching sync.Mutex
}

func newResourceID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Location is the resource's URL path.
func (r *resource) location() string { return "/" + r.kind.String() + "/" + r.id }

// Deliver implements room.Sink. It runs with the room's lock held, so the
// resource is ended from the handler's queue.
func (r *resource) Deliver(e room.Event) {
	if e.Kind == room.EventKicked || e.Kind == room.EventMoved {
		r.h.queue.Post(func() { r.end("removed from the room", stayGone) })
	}
}

// SubscriberOffer implements conference.Signaler: the endpoints never let
// the server offer, so there is nothing to carry.
func (r *resource) SubscriberOffer(string) {}

// MediaConnectionState implements conference.ConnectionObserver.
func (r *resource) MediaConnectionState(target sfu.Target, state sfu.ConnectionState) {
	if target != r.kind.target() {
		return
	}
	r.h.queue.Post(func() { r.onState(state) })
}

func (r *resource) onState(state sfu.ConnectionState) {
	switch state {
	case sfu.ConnectionStateConnected:
		r.mu.Lock()
		r.connected = true
		if r.timer != nil {
			r.timer.Stop()
			r.timer = nil
		}
		r.mu.Unlock()
	case sfu.ConnectionStateFailed:
		r.end("ICE failed", leaveTimeout)
	case sfu.ConnectionStateClosed:
		r.end("connection closed", leaveNormal)
	}
}

// armConnectTimeout ends the resource unless its connection connects in
// time.
func (r *resource) armConnectTimeout() {
	d := r.h.cfg.ConnectTimeout
	t := r.h.cfg.Clock.AfterFunc(d, func() {
		r.h.queue.Post(func() {
			r.mu.Lock()
			connected := r.connected
			r.mu.Unlock()
			if !connected {
				r.end("ICE did not connect within "+d.String(), leaveTimeout)
			}
		})
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.connected || r.ended {
		t.Stop()
		return
	}
	r.timer = t
}

func (r *resource) isEnded() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended
}

// How a session's member leaves the room when the session ends.
type leaving int

const (
	stayGone     leaving = iota // the room has already removed the member
	leaveNormal                 // DELETE, the client closed its connection: reason 0
	leaveTimeout                // ICE failed or never connected: reason 1 (webhook 104 reason 2)
)

// end closes the session once: the member leaves the room (others see it
// leave, the hub closes its media) and the URL is forgotten.
func (r *resource) end(why string, how leaving) {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return
	}
	r.ended = true
	m, t := r.member, r.timer
	r.timer = nil
	r.mu.Unlock()
	if t != nil {
		t.Stop()
	}
	r.h.forget(r)
	switch {
	case m == nil:
	case how == leaveNormal:
		m.Leave()
	case how == leaveTimeout:
		m.LeaveTimedOut()
	}
	r.h.log.Debug(r.kind.String()+" session ended", "resource", r.id, "room", r.grant.room.String(), "user", string(r.grant.user), "why", why)
}

// negotiate runs the client's offer through the member's media: the first
// one, or one an ICE restart stands for.
func (r *resource) negotiate(ctx context.Context, offer string) (string, error) {
	r.mu.Lock()
	part := r.part
	r.mu.Unlock()
	if r.kind == KindWHIP {
		return part.PublisherOffer(ctx, offer, r.hints)
	}
	return part.ViewerOffer(ctx, offer)
}
