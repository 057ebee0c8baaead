package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// InternalPath is where a node takes internal calls from other nodes.
const InternalPath = "/internal/cluster/room"

// Limits of internal calls.
const (
	maxCallBytes = 64 << 10
	maxCallUsers = 1000
)

// RoomActions are the REST edge's room actions, served by this node's room
// service (the single-node implementation the Admin decorates).
type RoomActions interface {
	RemoveUsers(ctx context.Context, key trtc.RoomKey, users []trtc.UserID) error
	DismissRoom(ctx context.Context, key trtc.RoomKey) error
	SetUserBlocked(ctx context.Context, key trtc.RoomKey, user trtc.UserID, b room.Block) error
}

// Call actions.
const (
	actionRemoveUsers = "RemoveUsers"
	actionDismissRoom = "DismissRoom"
	actionSetBlocked  = "SetUserBlocked"
)

// roomCall is the body of an internal call: one room action for the owner,
// with the fencing token the caller read from the room's lease.
type roomCall struct {
	Action string   `json:"action"`
	App    uint32   `json:"app"`
	Num    uint32   `json:"num,omitempty"`
	Str    string   `json:"str,omitempty"`
	Users  []string `json:"users,omitempty"`
	Audio  bool     `json:"audio,omitempty"`
	Video  bool     `json:"video,omitempty"`
	Token  uint64   `json:"token"`
}

// callAnswer is the owner's answer: the room service's error, by kind.
type callAnswer struct {
	Error string `json:"error,omitempty"`
	Msg   string `json:"msg,omitempty"`
}

// Error kinds of callAnswer, one per room error the REST edge maps.
var errorKinds = map[string]error{
	"room_not_found": room.ErrRoomNotFound,
	"user_not_found": room.ErrUserNotFound,
	"closed":         room.ErrClosed,
	"stale_token":    ErrStaleToken,
}

func errorKind(err error) string {
	for k, e := range errorKinds {
		if errors.Is(err, e) {
			return k
		}
	}
	return "failed"
}

// Admin decorates the local room actions: an action on a room owned by
// another node is carried out there, through an authenticated internal call.
type Admin struct {
	n     *Node
	local RoomActions
}

// Admin returns the decorator of local.
func (n *Node) Admin(local RoomActions) *Admin { return &Admin{n: n, local: local} }

// RemoveUsers implements the REST edge's RoomAdmin.
func (a *Admin) RemoveUsers(ctx context.Context, key trtc.RoomKey, users []trtc.UserID) error {
	call := roomCall{Action: actionRemoveUsers}
	for _, u := range users {
		call.Users = append(call.Users, string(u))
	}
	return a.onOwner(ctx, key, call, func() error { return a.local.RemoveUsers(ctx, key, users) })
}

// DismissRoom implements the REST edge's RoomAdmin.
func (a *Admin) DismissRoom(ctx context.Context, key trtc.RoomKey) error {
	return a.onOwner(ctx, key, roomCall{Action: actionDismissRoom}, func() error { return a.local.DismissRoom(ctx, key) })
}

// SetUserBlocked implements the REST edge's UserBlocker.
func (a *Admin) SetUserBlocked(ctx context.Context, key trtc.RoomKey, user trtc.UserID, b room.Block) error {
	call := roomCall{Action: actionSetBlocked, Users: []string{string(user)}, Audio: b.Audio, Video: b.Video}
	return a.onOwner(ctx, key, call, func() error { return a.local.SetUserBlocked(ctx, key, user, b) })
}

// onOwner runs local when this node owns the room (or nobody does, or Redis
// is away), and otherwise forwards call to the owner. A stale answer (the
// lease moved while the call travelled) is retried once on a fresh lease.
func (a *Admin) onOwner(ctx context.Context, key trtc.RoomKey, call roomCall, local func() error) error {
	n := a.n
	call.App, call.Num, call.Str = uint32(key.App), key.Num, key.Str
	for attempt := 0; ; attempt++ {
		lease, ok, err := n.leases.get(ctx, key)
		if err != nil {
			n.redisError("lookup", err)
			return local()
		}
		if !ok || lease.Node == n.cfg.ID {
			return local()
		}
		owner, alive := n.nodeInfo(ctx, lease.Node)
		if !alive {
			return local() // the owner is gone: so is the room, unless it lives here
		}
		call.Token = lease.Token
		err = n.forward(ctx, owner, call)
		if errors.Is(err, ErrStaleToken) && attempt == 0 {
			continue
		}
		return err
	}
}

// forward makes one internal call and turns its answer back into the room
// service's error, so the REST edge answers exactly as the owner's would.
func (n *Node) forward(ctx context.Context, owner NodeInfo, call roomCall) error {
	body, _ := json.Marshal(call)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(owner.URL, "/")+InternalPath, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoOwner, err)
	}
	req.Header.Set("Content-Type", "application/json")
	sign(req, n.cfg.Secret, n.cfg.ID, body, n.cfg.Now())
	resp, err := n.http.Do(req)
	if err != nil {
		n.metrics.forwarded.WithLabelValues(call.Action, "unreachable").Inc()
		return fmt.Errorf("%w: %v", ErrNoOwner, err)
	}
	defer resp.Body.Close()
	var ans callAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxCallBytes)).Decode(&ans); err != nil {
		n.metrics.forwarded.WithLabelValues(call.Action, "bad_answer").Inc()
		return fmt.Errorf("%w: HTTP %d", ErrOwnerFailed, resp.StatusCode)
	}
	if ans.Error == "" {
		n.metrics.forwarded.WithLabelValues(call.Action, "ok").Inc()
		return nil
	}
	if e, ok := errorKinds[ans.Error]; ok {
		n.metrics.forwarded.WithLabelValues(call.Action, ans.Error).Inc()
		return e
	}
	n.metrics.forwarded.WithLabelValues(call.Action, "failed").Inc() // a bounded label whatever the answer said
	return fmt.Errorf("%w: %.200s", ErrOwnerFailed, ans.Msg)
}

// answerCall writes an internal call's answer.
func answerCall(w http.ResponseWriter, status int, kind, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(callAnswer{Error: kind, Msg: msg})
}

// readCall reads the body of an internal call of at most limit bytes and
// checks its signature. It has answered (405, 413 or 401, the last logged
// and counted) when it returns false.
func (n *Node) readCall(w http.ResponseWriter, r *http.Request, limit int) ([]byte, bool) {
	if r.Method != http.MethodPost {
		answerCall(w, http.StatusMethodNotAllowed, "bad_request", "POST only")
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil || len(body) > limit {
		answerCall(w, http.StatusRequestEntityTooLarge, "bad_request", fmt.Sprintf("body unreadable or larger than %d bytes", limit))
		return nil, false
	}
	if err := n.verify.verify(r, body, n.cfg.Now()); err != nil {
		n.metrics.rejected.WithLabelValues("call").Inc()
		n.log.Warn("cluster: refused an internal call", "remote", r.RemoteAddr, "peer", r.Header.Get(headerNode), "err", err)
		answerCall(w, http.StatusUnauthorized, "unauthorized", err.Error())
		return nil, false
	}
	return body, true
}

// Handler serves internal calls for the rooms this node owns, carried out
// by local. Unsigned, forged, stale or replayed calls are refused and logged.
func (n *Node) Handler(local RoomActions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer := func(status int, kind, msg string) { answerCall(w, status, kind, msg) }
		body, ok := n.readCall(w, r, maxCallBytes)
		if !ok {
			return
		}
		call, key, users, err := decodeCall(body)
		if err != nil {
			answer(http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		held, ok := n.Held(key)
		if !ok && !n.cfg.Rooms.Exists(key) {
			// Not placed here after all (a lease granted to this node whose
			// first enter never came, or a room that just ended).
			answer(http.StatusOK, "room_not_found", room.ErrRoomNotFound.Error())
			return
		}
		if !ok || held != call.Token {
			n.metrics.rejected.WithLabelValues("stale_token").Inc()
			n.log.Warn("cluster: refused an internal call with a stale fencing token", "room", key.String(), "token", call.Token, "peer", r.Header.Get(headerNode))
			answer(http.StatusConflict, "stale_token", "this node does not hold the room with that fencing token")
			return
		}
		ctx := r.Context()
		switch call.Action {
		case actionRemoveUsers:
			err = local.RemoveUsers(ctx, key, users)
		case actionDismissRoom:
			err = local.DismissRoom(ctx, key)
		case actionSetBlocked:
			err = local.SetUserBlocked(ctx, key, users[0], room.Block{Audio: call.Audio, Video: call.Video})
		}
		if err != nil {
			answer(http.StatusOK, errorKind(err), err.Error())
			return
		}
		answer(http.StatusOK, "", "")
	})
}

// decodeCall parses and validates an internal call's body.
func decodeCall(body []byte) (roomCall, trtc.RoomKey, []trtc.UserID, error) {
	var call roomCall
	if err := json.Unmarshal(body, &call); err != nil {
		return call, trtc.RoomKey{}, nil, fmt.Errorf("bad JSON: %v", err)
	}
	key, err := trtc.NewRoomKey(trtc.SDKAppID(call.App), uint64(call.Num), call.Str)
	if err != nil || call.App == 0 {
		return call, trtc.RoomKey{}, nil, fmt.Errorf("bad room: %v", err)
	}
	if len(call.Users) > maxCallUsers {
		return call, key, nil, fmt.Errorf("more than %d users", maxCallUsers)
	}
	users := make([]trtc.UserID, 0, len(call.Users))
	for _, u := range call.Users {
		if err := trtc.ValidateUserID(u); err != nil {
			return call, key, nil, fmt.Errorf("bad userId: %v", err)
		}
		users = append(users, trtc.UserID(u))
	}
	switch call.Action {
	case actionRemoveUsers, actionDismissRoom:
	case actionSetBlocked:
		if len(users) != 1 {
			return call, key, nil, errors.New("SetUserBlocked needs exactly one user")
		}
	default:
		return call, key, nil, fmt.Errorf("unknown action %q", call.Action)
	}
	return call, key, users, nil
}
