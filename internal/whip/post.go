package whip

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/rtcengine/rtcengine/internal/conference"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

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
	if h.cfg.ICEServers != nil {
		for _, l := range iceServerLinks(h.cfg.ICEServers(res.grant.app.SDKAppID, res.grant.user, r.Host)) {
			hd.Add("Link", l)
		}
	}
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
	routed, herr := h.route(r, g.room) // route.go: in a cluster, the room's owner serves the POST
	if herr != nil {
		return nil, "", herr
	}
	defer routed()
	body, herr := readBody(w, r, typeSDP, MaxOfferBytes)
	if herr != nil {
		return nil, "", herr
	}
	info, err := inspectOffer(string(body), k == KindWHIP)
	if err != nil {
		return nil, "", fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "%v", err)
	}
	if err := sfu.CheckOffer(string(body), k == KindWHEP); err != nil {
		return nil, "", mediaError(err)
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
		// Video first: should the room refuse it, no audio was announced.
		if info.video {
			streams = append(streams, map[trtc.StreamType]room.Stream{trtc.StreamBig: room.StreamVideo, trtc.StreamSub: room.StreamSub}[video])
		}
		if info.audio {
			streams = append(streams, room.StreamAudio)
		}
		if herr := precheck(g, existing, streams); herr != nil {
			return nil, "", herr
		}
	} else {
		switch q.Get("stream") {
		case "", "main":
		case "sub":
			res.sub = true
		default:
			return nil, "", fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "stream must be main or sub")
		}
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
		res.end("refused: "+herr.msg, leaveNormal)
		return nil, "", herr
	}
	return res, answer, nil
}

// publishRefusal is the 403 for a stream the token's bits do not allow.
func publishRefusal(s room.Stream) *httpError {
	code := map[room.Stream]int{room.StreamAudio: trtc.ErrInvalidPrivateMapKey, room.StreamVideo: trtc.ErrNoPrivilegePushVideo, room.StreamSub: trtc.ErrNoPrivilegePushSub}[s]
	return fail(http.StatusForbidden, code, "the token does not allow publishing %s", s)
}

// precheck refuses, before the publisher enters (and others see it), what
// the room would refuse its streams for: privilege bits and a screen
// already shared. The room checks again when the streams are set.
func precheck(g *grant, existing *room.Room, streams []room.Stream) *httpError {
	bits := map[room.Stream]uint32{room.StreamAudio: trtc.PrivSendAudio, room.StreamVideo: trtc.PrivSendVideo, room.StreamSub: trtc.PrivSendSub}
	for _, s := range streams {
		if g.privileges != nil && *g.privileges&bits[s] == 0 {
			return publishRefusal(s)
		}
		if owner, ok := existingSub(existing); s == room.StreamSub && ok && owner != g.user {
			return fail(http.StatusConflict, trtc.ErrSubStreamOccupied, "%v (%s)", room.ErrSubStreamOccupied, owner)
		}
	}
	return nil
}

func existingSub(r *room.Room) (trtc.UserID, bool) {
	if r == nil {
		return "", false
	}
	return r.SubStreamOwner()
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
		part, answer, err = h.cfg.Media.JoinViewer(ctx, m, anchor, res.sub, res.offer, res)
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
				return "", publishRefusal(s)
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

// iceServerLinks renders ICE servers as Link header values (RFC 9725
// §4.6, RFC 8288): one per URL, with the TURN credential as parameters.
func iceServerLinks(servers []ICEServer) []string {
	var out []string
	for _, s := range servers {
		for _, u := range s.URLs {
			l := "<" + u + `>; rel="ice-server"`
			if s.Username != "" {
				l += `; username=` + quoteParam(s.Username) + `; credential=` + quoteParam(s.Credential) + `; credential-type="password"`
			}
			out = append(out, l)
		}
	}
	return out
}

// quoteParam makes a quoted-string (RFC 9110 §5.6.4).
func quoteParam(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}
