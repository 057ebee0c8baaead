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

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// ReplacePath is where a node takes the call that ends a session of a
// LIVE room replaced by a newer session of the same userId on another node.
// Unlike room actions it goes to whichever node holds the older session,
// owner or edge, so it carries no fencing token; it is signed like every
// internal call (auth.go).
const ReplacePath = "/internal/cluster/replace"

// maxReplaceBytes bounds a replacement call's body.
const maxReplaceBytes = 1024

// maxSessionLen bounds a session id in a replacement call (room session ids
// are 32 hex digits).
const maxSessionLen = 64

// replaceCall is the body of a replacement call.
type replaceCall struct {
	App     uint32 `json:"app"`
	Num     uint32 `json:"num,omitempty"`
	Str     string `json:"str,omitempty"`
	User    string `json:"user"`
	Session string `json:"session,omitempty"` // empty: whichever session the user has
}

// decodeReplace parses and validates a replacement call's body.
func decodeReplace(body []byte) (trtc.RoomKey, trtc.UserID, string, error) {
	var c replaceCall
	if len(body) > maxReplaceBytes {
		return trtc.RoomKey{}, "", "", fmt.Errorf("body of %d bytes", len(body))
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return trtc.RoomKey{}, "", "", fmt.Errorf("bad JSON: %v", err)
	}
	key, err := trtc.NewRoomKey(trtc.SDKAppID(c.App), uint64(c.Num), c.Str)
	if err != nil || c.App == 0 {
		return trtc.RoomKey{}, "", "", fmt.Errorf("bad room: %v", err)
	}
	if err := trtc.ValidateUserID(c.User); err != nil {
		return trtc.RoomKey{}, "", "", fmt.Errorf("bad userId: %v", err)
	}
	if len(c.Session) > maxSessionLen || strings.ContainsFunc(c.Session, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f')
	}) {
		return trtc.RoomKey{}, "", "", errors.New("bad session: at most 64 lowercase hex digits")
	}
	return key, trtc.UserID(c.User), c.Session, nil
}

// replaceOn asks node to end user's session in room key.
func (n *Node) replaceOn(ctx context.Context, node NodeInfo, key trtc.RoomKey, user trtc.UserID, session string) error {
	body, _ := json.Marshal(replaceCall{App: uint32(key.App), Num: key.Num, Str: key.Str, User: string(user), Session: session})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(node.URL, "/")+ReplacePath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	sign(req, n.cfg.Secret, n.cfg.ID, body, n.cfg.Now())
	resp, err := n.http.Do(req)
	if err != nil {
		n.metrics.forwarded.WithLabelValues("Replace", "unreachable").Inc()
		return err
	}
	defer resp.Body.Close()
	var ans callAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxCallBytes)).Decode(&ans); err != nil {
		n.metrics.forwarded.WithLabelValues("Replace", "bad_answer").Inc()
		return fmt.Errorf("%w: HTTP %d", ErrOwnerFailed, resp.StatusCode)
	}
	switch ans.Error {
	case "":
		n.metrics.forwarded.WithLabelValues("Replace", "ok").Inc()
		return nil
	case "room_not_found", "user_not_found":
		n.metrics.forwarded.WithLabelValues("Replace", ans.Error).Inc()
		return nil // gone already
	}
	n.metrics.forwarded.WithLabelValues("Replace", "failed").Inc()
	return fmt.Errorf("%w: %.200s", ErrOwnerFailed, ans.Msg)
}

// ReplaceHandler serves replacement calls (ReplacePath) with the edge host
// of EnableEdges; without edges it answers 404. Unsigned, forged, stale or
// replayed calls are refused with 401 and logged.
func (n *Node) ReplaceHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer := func(status int, kind, msg string) { answerCall(w, status, kind, msg) }
		if n.edge == nil {
			answer(http.StatusNotFound, "bad_request", "LIVE rooms across nodes are off on this node")
			return
		}
		body, ok := n.readCall(w, r, maxReplaceBytes)
		if !ok {
			return
		}
		key, user, session, err := decodeReplace(body)
		if err != nil {
			answer(http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		if err := n.edge.cfg.Host.Replace(key, user, session); err != nil {
			answer(http.StatusOK, errorKind(err), err.Error())
			return
		}
		n.log.Info("cluster: a session replaced by a newer one on another node", "room", key.String(), "user", string(user), "peer", r.Header.Get(headerNode))
		answer(http.StatusOK, "", "")
	})
}
