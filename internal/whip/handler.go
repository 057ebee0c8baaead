// Package whip is rtcengine's HTTP edge for WHIP (RFC 9725) publishers and
// WHEP (draft-ietf-wish-whep) players: OBS, GStreamer's whipsink/whepsrc or
// any WHIP/WHEP tool joins a room with one POST, authorised by a Bearer
// token that is a PrivateMapKey (a UserSig bound to a user and a room).
//
// A WHIP session is an anchor of the room for as long as its resource
// lives: others see it enter and its audio and video become available. A
// WHEP session is a member that plays one anchor's audio and video: an
// audience member in live scenes (invisible, as TRTC audience are), a user
// like any other in call scenes. Resources support PATCH (trickle ICE and
// ICE restarts) and DELETE; they end on DELETE, ICE failure, the connect
// timeout, a kick or dismissal, and the server's shutdown.
//
// The package is an edge like signaling: it knows the room service and the
// conference hub, and the server mounts it. docs/whip-whep.md is its user
// documentation.
package whip

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/conference"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/serial"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Defaults of Config.
const (
	DefaultConnectTimeout = 30 * time.Second
	DefaultAnswerTimeout  = 5 * time.Second
)

// Media types of the protocols.
const (
	typeSDP     = "application/sdp"
	typeSDPFrag = "application/trickle-ice-sdpfrag"
)

// Config wires the endpoints. Zero values pick the defaults.
type Config struct {
	Rooms *room.Manager
	Media *conference.Hub
	Apps  Apps
	Log   *slog.Logger
	// Clock gives the time tokens are checked at and runs the connect
	// timeout (nil: the system clock).
	Clock room.Clock
	// ConnectTimeout ends a session whose media connection has not
	// connected this long after the POST (30 s).
	ConnectTimeout time.Duration
	// AnswerTimeout bounds answering one offer (5 s).
	AnswerTimeout time.Duration
	// Router, in a cluster, sends POSTs for rooms owned by other nodes
	// there (route.go); nil serves every room here.
	Router Router
	// ICEServers, when set, gives the ICE servers (the embedded TURN
	// server, with a credential for the user) announced in the POST
	// answer's Link headers (RFC 9725 §4.6); host is the one the client
	// reached the server by.
	ICEServers func(app trtc.SDKAppID, user trtc.UserID, host string) []ICEServer
}

// ICEServer is one STUN or TURN server with its credential.
type ICEServer struct {
	URLs                 []string
	Username, Credential string
}

// Handler serves the WHIP and WHEP endpoints and owns their resources.
type Handler struct {
	cfg   Config
	log   *slog.Logger
	queue *serial.Queue // ends resources outside the room's and the SFU's callbacks

	mu        sync.Mutex
	resources map[string]*resource
	closed    bool
}

// New returns a Handler; Register mounts it.
func New(cfg Config) *Handler {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = room.SystemClock{}
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.AnswerTimeout <= 0 {
		cfg.AnswerTimeout = DefaultAnswerTimeout
	}
	return &Handler{cfg: cfg, log: cfg.Log, queue: serial.New(), resources: map[string]*resource{}}
}

// Register mounts the endpoints:
//
//	POST    /whip           publish (SDP offer → 201 + answer)
//	POST    /whep           play
//	PATCH   /whip/{id}      trickle ICE or ICE restart (and /whep/{id})
//	DELETE  /whip/{id}      end the session (and /whep/{id})
//	OPTIONS on all four     CORS preflight, Accept-Post / Accept-Patch
func (h *Handler) Register(mux *http.ServeMux) {
	for _, k := range []Kind{KindWHIP, KindWHEP} {
		base := "/" + k.String()
		mux.HandleFunc("POST "+base, func(w http.ResponseWriter, r *http.Request) { h.post(w, r, k) })
		mux.HandleFunc("OPTIONS "+base, h.options("POST, OPTIONS"))
		mux.HandleFunc("PATCH "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) { h.patch(w, r, k) })
		mux.HandleFunc("DELETE "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) { h.delete(w, r, k) })
		mux.HandleFunc("OPTIONS "+base+"/{id}", h.options("PATCH, DELETE, OPTIONS"))
		// Other methods: 405 here rather than the REST API's catch-all.
		mux.HandleFunc(base, notAllowed("POST, OPTIONS"))
		mux.HandleFunc(base+"/{id}", notAllowed("PATCH, DELETE, OPTIONS"))
	}
}

func notAllowed(methods string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cors(w)
		w.Header().Set("Allow", methods)
		fail(http.StatusMethodNotAllowed, trtc.ErrInvalidCommand, "%s takes %s, not %.10s", r.URL.Path, methods, r.Method).write(w)
	}
}

// Count returns the number of live resources.
func (h *Handler) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.resources)
}

// Close forgets every resource and stops the handler; POSTs are refused
// from now on. Members are left to the room service's shutdown, which
// removes them with their media.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	all := make([]*resource, 0, len(h.resources))
	for _, r := range h.resources {
		all = append(all, r)
	}
	h.resources = map[string]*resource{}
	h.mu.Unlock()
	for _, r := range all {
		r.mu.Lock()
		r.ended = true
		if r.timer != nil {
			r.timer.Stop()
			r.timer = nil
		}
		r.mu.Unlock()
	}
	h.queue.Close(false)
	<-h.queue.Done()
}

func (h *Handler) add(r *resource) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.resources[r.id] = r
	return true
}

func (h *Handler) forget(r *resource) {
	h.mu.Lock()
	if h.resources[r.id] == r {
		delete(h.resources, r.id)
	}
	h.mu.Unlock()
}

func (h *Handler) lookup(k Kind, id string) (*resource, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.resources[id]
	return r, ok && r.kind == k
}

// cors lets pages on any origin use the endpoints: the token, not cookies,
// authenticates.
func cors(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "Location, ETag, Accept-Patch, Link, WWW-Authenticate, X-TRTC-Code")
}

func (h *Handler) options(methods string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cors(w)
		hd := w.Header()
		hd.Set("Allow", methods)
		hd.Set("Access-Control-Allow-Methods", methods)
		hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match")
		hd.Set("Access-Control-Max-Age", "86400")
		if strings.HasPrefix(methods, "POST") {
			hd.Set("Accept-Post", typeSDP)
		} else {
			hd.Set("Accept-Patch", typeSDPFrag)
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// readBody checks the media type and reads at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, wantType string, limit int64) ([]byte, *httpError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != wantType {
		return nil, fail(http.StatusUnsupportedMediaType, trtc.ErrInvalidParameter, "Content-Type must be %s", wantType)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, fail(http.StatusRequestEntityTooLarge, trtc.ErrInvalidParameter, "body larger than %d bytes", limit)
	case err != nil:
		return nil, fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "reading the body: %v", err)
	}
	return body, nil
}

// queryParams lists the parameters each endpoint takes; others are refused
// so that a misspelt one does not go unnoticed.
var queryParams = map[Kind][]string{
	KindWHIP: {"sdkAppId", "userId", "roomId", "strRoomId", "scene", "stream"},
	KindWHEP: {"sdkAppId", "userId", "roomId", "strRoomId", "anchor", "stream"},
}

func checkQuery(r *http.Request, k Kind) *httpError {
	allowed := queryParams[k]
	for name, vs := range r.URL.Query() {
		if !containsString(allowed, name) {
			return fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "unknown query parameter %.32q (%s takes %s)", name, k, strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "query parameter %q given %d times", name, len(vs))
		}
	}
	return nil
}

// parseScene reads the scene a WHIP POST creates its room with.
func parseScene(v string) (trtc.Scene, bool) {
	switch strings.ToLower(v) {
	case "", "live", "1":
		return trtc.SceneLive, true
	case "videocall", "0":
		return trtc.SceneVideoCall, true
	case "audiocall", "2":
		return trtc.SceneAudioCall, true
	case "voicechatroom", "3":
		return trtc.SceneVoiceChatRoom, true
	}
	return 0, false
}

// roomError maps the room service's refusals.
func roomError(err error) *httpError {
	switch {
	case errors.Is(err, room.ErrRoomFull), errors.Is(err, room.ErrAnchorsFull):
		return fail(http.StatusConflict, trtc.ErrRoomFull, "%v", err)
	case errors.Is(err, room.ErrSubStreamOccupied):
		return fail(http.StatusConflict, trtc.ErrSubStreamOccupied, "%v", err)
	case errors.Is(err, room.ErrNoCreatePrivilege):
		return fail(http.StatusForbidden, trtc.ErrNoPrivilegeCreate, "%v", err)
	case errors.Is(err, room.ErrNoEnterPrivilege):
		return fail(http.StatusForbidden, trtc.ErrNoPrivilegeEnter, "%v", err)
	case errors.Is(err, room.ErrNoPublishPrivilege):
		return fail(http.StatusForbidden, trtc.ErrInvalidPrivateMapKey, "%v", err)
	case errors.Is(err, room.ErrClosed):
		return fail(http.StatusServiceUnavailable, trtc.ErrServerOverloaded, "%v", err)
	case errors.Is(err, room.ErrNotMember), errors.Is(err, conference.ErrGone):
		return fail(http.StatusConflict, trtc.ErrUserNotFound, "the session left the room while it was being set up")
	}
	return fail(http.StatusInternalServerError, trtc.ErrCenterSystem, "%v", err)
}

// mediaError maps the media engine's refusals of an offer.
func mediaError(err error) *httpError {
	switch {
	case errors.Is(err, sfu.ErrNoSupportedCodec):
		return fail(http.StatusBadRequest, trtc.ErrNotSupported, "no supported codec: offer Opus audio and VP8, VP9, H.264 or AV1 video")
	case errors.Is(err, sfu.ErrInvalidSDP):
		return fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "%v", err)
	case errors.Is(err, context.DeadlineExceeded):
		return fail(http.StatusServiceUnavailable, trtc.ErrServerTimeout, "answering the offer timed out")
	case errors.Is(err, sfu.ErrClosed), errors.Is(err, conference.ErrGone):
		return fail(http.StatusConflict, trtc.ErrUserNotFound, "the session left the room while it was being set up")
	}
	return fail(http.StatusInternalServerError, trtc.ErrServerProcess, "%v", err)
}
