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
	KindWHEP: {"sdkAppId", "userId", "roomId", "strRoomId", "anchor"},
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

func (h *Handler) post(w http.ResponseWriter, r *http.Request, k Kind) {
	cors(w)
	res, answer, herr := h.create(w, r, k)
	if herr != nil {
		h.log.Debug(k.String()+" refused", "status", herr.status, "code", herr.code, "reason", herr.msg)
		herr.write(w)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", typeSDP)
	hd.Set("Location", res.location())
	hd.Set("ETag", res.etag)
	hd.Set("Accept-Patch", typeSDPFrag)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// create runs a POST: token, body, room, media. A session that fails on the
// way leaves the room again.
func (h *Handler) create(w http.ResponseWriter, r *http.Request, k Kind) (*resource, string, *httpError) {
	g, herr := authorize(r, h.cfg.Apps, h.cfg.Clock.Now())
	if herr != nil {
		return nil, "", herr
	}
	if herr := checkQuery(r, k); herr != nil {
		return nil, "", herr
	}
	body, herr := readBody(w, r, typeSDP, MaxOfferBytes)
	if herr != nil {
		return nil, "", herr
	}
	info, err := inspectOffer(string(body), k == KindWHIP)
	if err != nil {
		return nil, "", fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "%v", err)
	}
	res := &resource{h: h, id: newResourceID(), kind: k, grant: g, offer: string(body), ufrag: info.ufrag}
	join := room.JoinRequest{
		Key: g.room, UserID: g.user, Role: trtc.RoleAnchor, Privileges: g.privileges, Sink: res,
		Client: room.ClientInfo{
			TerminalType: 100, UserType: 1, SDKVersion: "rtcengine-" + k.String(),
			Device: truncate(r.UserAgent(), 64), ClientIP: clientIP(r),
		},
	}
	q := r.URL.Query()
	var existing *room.Room
	if rm, ok := h.cfg.Rooms.Room(g.room); ok {
		existing = rm
		join.Scene = rm.Scene()
	}
	var streams []room.Stream
	if k == KindWHIP {
		scene, ok := parseScene(q.Get("scene"))
		if !ok {
			return nil, "", fail(http.StatusBadRequest, trtc.ErrBadSceneOrRole, "scene must be live, videocall, audiocall or voicechatroom")
		}
		if existing == nil {
			join.Scene = scene
		}
		video := trtc.StreamBig
		switch q.Get("stream") {
		case "", "main":
		case "sub":
			video = trtc.StreamSub
		default:
			return nil, "", fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "stream must be main or sub")
		}
		res.hints = map[string]trtc.StreamType{"": video}
		for _, id := range info.videoTrackIDs {
			res.hints[id] = video
		}
		if info.audio {
			streams = append(streams, room.StreamAudio)
		}
		if info.video {
			streams = append(streams, map[trtc.StreamType]room.Stream{trtc.StreamBig: room.StreamVideo, trtc.StreamSub: room.StreamSub}[video])
		}
	} else {
		anchor := q.Get("anchor")
		if anchor != "" {
			if err := trtc.ValidateUserID(anchor); err != nil {
				return nil, "", fail(http.StatusBadRequest, trtc.ErrInvalidUserID, "anchor: %v", err)
			}
		}
		if existing == nil {
			return nil, "", fail(http.StatusNotFound, trtc.ErrRoomNotExist, "room %s does not exist", g.room.ID())
		}
		if join.Scene.IsLive() {
			join.Role = trtc.RoleAudience
		}
	}
	if !h.add(res) {
		return nil, "", fail(http.StatusServiceUnavailable, trtc.ErrServerOverloaded, "server is shutting down")
	}
	answer, herr := h.start(r.Context(), res, join, existing, streams, trtc.UserID(q.Get("anchor")))
	if herr != nil {
		res.end("refused: "+herr.msg, true)
		return nil, "", herr
	}
	return res, answer, nil
}

// start makes the member and negotiates its media.
func (h *Handler) start(ctx context.Context, res *resource, join room.JoinRequest, existing *room.Room, streams []room.Stream, anchor trtc.UserID) (string, *httpError) {
	m, err := h.cfg.Rooms.Join(join)
	if err != nil {
		return "", roomError(err)
	}
	res.mu.Lock()
	res.member = m
	res.mu.Unlock()
	if res.kind == KindWHEP && m.Room() != existing {
		// The room ended between the lookup and the enter; this enter
		// created a new one, which a player must not do.
		return "", fail(http.StatusNotFound, trtc.ErrRoomNotExist, "room %s does not exist", join.Key.ID())
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.AnswerTimeout)
	defer cancel()
	var answer string
	if res.kind == KindWHIP {
		part := h.cfg.Media.Join(m, false, false, res)
		res.mu.Lock()
		res.part = part
		res.mu.Unlock()
		answer, err = res.negotiate(ctx, res.offer)
	} else {
		var part *conference.Participant
		part, answer, err = h.cfg.Media.JoinViewer(ctx, m, anchor, res.offer, res)
		res.mu.Lock()
		res.part = part
		res.mu.Unlock()
	}
	if err != nil {
		return "", mediaError(err)
	}
	for _, s := range streams {
		if err := m.SetStream(s, true, join.Privileges); err != nil {
			if errors.Is(err, room.ErrNoPublishPrivilege) {
				return "", fail(http.StatusForbidden, map[room.Stream]int{room.StreamAudio: trtc.ErrInvalidPrivateMapKey, room.StreamVideo: trtc.ErrNoPrivilegePushVideo, room.StreamSub: trtc.ErrNoPrivilegePushSub}[s], "the token does not allow publishing %s", s)
			}
			return "", roomError(err)
		}
	}
	frag, err := answerFragment(answer)
	if err != nil {
		return "", fail(http.StatusInternalServerError, trtc.ErrServerProcess, "%v", err)
	}
	res.mu.Lock()
	res.etag = etagOf(frag.ICEUfrag)
	ended := res.ended
	res.mu.Unlock()
	if ended {
		return "", fail(http.StatusConflict, trtc.ErrUserNotFound, "the session was removed from the room while it was being set up")
	}
	res.armConnectTimeout()
	h.log.Debug(res.kind.String()+" session", "resource", res.id, "room", join.Key.String(), "user", string(join.UserID), "role", m.Role().String())
	return answer, nil
}

func etagOf(ufrag string) string { return `"` + ufrag + `"` }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// resourceFor finds the resource of a PATCH or DELETE and checks its token.
func (h *Handler) resourceFor(r *http.Request, k Kind) (*resource, *httpError) {
	res, ok := h.lookup(k, r.PathValue("id"))
	if !ok {
		return nil, fail(http.StatusNotFound, trtc.ErrUserNotFound, "no %s session %.40q (it ended, or never existed)", k, r.PathValue("id"))
	}
	if !sameToken(r, res.grant.token) {
		return nil, unauthorized(trtc.ErrUserSigCheckFailed, "the token is not the one this session was created with")
	}
	return res, nil
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request, k Kind) {
	cors(w)
	res, herr := h.resourceFor(r, k)
	if herr != nil {
		herr.write(w)
		return
	}
	res.end("deleted", true)
	w.WriteHeader(http.StatusOK)
}

// patch applies a trickle-ice-sdpfrag (RFC 9725 §4.3): with "If-Match: *"
// an ICE restart, answered 200 with the server's new credentials and
// candidates and a new ETag; otherwise new candidates, answered 204. An
// If-Match naming another ICE session is refused with 412.
func (h *Handler) patch(w http.ResponseWriter, r *http.Request, k Kind) {
	cors(w)
	res, herr := h.resourceFor(r, k)
	if herr == nil {
		var frag []byte
		if frag, herr = readBody(w, r, typeSDPFrag, MaxFragmentBytes); herr == nil {
			herr = h.applyFragment(w, r, res, frag)
		}
	}
	if herr != nil {
		herr.write(w)
	}
}

func (h *Handler) applyFragment(w http.ResponseWriter, r *http.Request, res *resource, body []byte) *httpError {
	f, err := ParseFragment(body)
	if err != nil {
		return fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "%v", err)
	}
	res.patching.Lock()
	defer res.patching.Unlock()
	if res.isEnded() {
		return fail(http.StatusNotFound, trtc.ErrUserNotFound, "the session has ended")
	}
	res.mu.Lock()
	etag, ufrag := res.etag, res.ufrag
	res.mu.Unlock()
	ifMatch := strings.TrimSpace(r.Header.Get("If-Match"))
	if ifMatch == "*" {
		return h.restart(w, r, res, f)
	}
	if ifMatch != "" && !matchesETag(ifMatch, etag) {
		return fail(http.StatusPreconditionFailed, trtc.ErrInvalidParameter, "If-Match does not name the current ICE session %s", etag)
	}
	if f.ICEUfrag != "" && f.ICEUfrag != ufrag {
		return fail(http.StatusConflict, trtc.ErrInvalidParameter, "ice-ufrag %q is not the session's; an ICE restart needs \"If-Match: *\"", f.ICEUfrag)
	}
	if err := h.addCandidates(res, f); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func matchesETag(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag {
			return true
		}
	}
	return false
}

func (h *Handler) addCandidates(res *resource, f *Fragment) *httpError {
	res.mu.Lock()
	part := res.part
	res.mu.Unlock()
	for _, m := range f.Media {
		mid := m.Mid
		for _, c := range m.Candidates {
			cand := sfu.Candidate{Candidate: c}
			if mid != "" {
				cand.SDPMid = &mid
			}
			if err := part.Candidate(res.kind.target(), cand); err != nil {
				return fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "candidate %.80q: %v", c, err)
			}
		}
		if m.EndOfCandidates {
			_ = part.Candidate(res.kind.target(), sfu.Candidate{})
		}
	}
	return nil
}

// restart renegotiates the session with the client's new ICE credentials
// and answers with the server's.
func (h *Handler) restart(w http.ResponseWriter, r *http.Request, res *resource, f *Fragment) *httpError {
	if f.ICEUfrag == "" || f.ICEPwd == "" {
		return fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "an ICE restart needs a=ice-ufrag and a=ice-pwd")
	}
	res.mu.Lock()
	offer := res.offer
	res.mu.Unlock()
	next, err := restartOffer(offer, f.ICEUfrag, f.ICEPwd)
	if err != nil {
		return fail(http.StatusInternalServerError, trtc.ErrServerProcess, "%v", err)
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.AnswerTimeout)
	defer cancel()
	answer, err := res.negotiate(ctx, next)
	if err != nil {
		return mediaError(err)
	}
	out, err := answerFragment(answer)
	if err != nil {
		return fail(http.StatusInternalServerError, trtc.ErrServerProcess, "%v", err)
	}
	res.mu.Lock()
	res.offer, res.ufrag, res.etag = next, f.ICEUfrag, etagOf(out.ICEUfrag)
	etag := res.etag
	res.mu.Unlock()
	if herr := h.addCandidates(res, f); herr != nil {
		return herr
	}
	hd := w.Header()
	hd.Set("Content-Type", typeSDPFrag)
	hd.Set("ETag", etag)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, out.Marshal())
	return nil
}
