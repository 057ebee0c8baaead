package whip

import (
	"context"
	"net/http"
	"net/url"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Router decides which node serves a room (the cluster layer, as for the
// signaling edge's enters; nil on a single node). See docs/cluster.md.
type Router interface {
	// Route returns the signaling URL of the room's owner when another
	// node owns it; otherwise the room is served here and done must be
	// called once the session has entered it.
	Route(ctx context.Context, key trtc.RoomKey) (redirect string, done func(), err error)
}

// route sends a POST for a room owned by another node there with 307
// Temporary Redirect (RFC 9725 §4.5), which repeats the POST with its body.
func (h *Handler) route(r *http.Request, key trtc.RoomKey) (func(), *httpError) {
	if h.cfg.Router == nil {
		return func() {}, nil
	}
	owner, done, err := h.cfg.Router.Route(r.Context(), key)
	if err != nil {
		return nil, fail(http.StatusServiceUnavailable, trtc.ErrServerOverloaded, "the room's node cannot be reached: %v", err)
	}
	if owner == "" {
		return done, nil
	}
	u, err := url.Parse(owner)
	if err != nil {
		return nil, fail(http.StatusServiceUnavailable, trtc.ErrServerOverloaded, "the room's node has a bad URL")
	}
	if u.Scheme == "wss" {
		u.Scheme = "https"
	} else {
		u.Scheme = "http"
	}
	u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
	e := fail(http.StatusTemporaryRedirect, 0, "the room is served by another node: %s", u)
	e.location = u.String()
	return nil, e
}
