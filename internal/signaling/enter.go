package signaling

import (
	"errors"
	"fmt"
	"time"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// Enter validation follows trtc-reference §10.2: parameters first, then the
// ticket, then privileges, then the room's rules.
func (s *Session) handleEnter(msg proto.Message) {
	if s.cur.Load() != nil {
		s.respond(msg.ID, trtc.ErrEnterRoomRefused, "already in a room: exit first", nil)
		s.srv.metrics.Enter(trtc.ErrEnterRoomRefused)
		return
	}
	var req proto.EnterRequest
	if err := proto.DecodeData(msg, &req); err != nil {
		s.strike(msg.ID, trtc.ErrJSONDecode, err.Error())
		return
	}
	fail := func(code int, format string, args ...any) {
		s.srv.metrics.Enter(code)
		s.respond(msg.ID, code, fmt.Sprintf(format, args...), nil)
	}
	if req.SDKAppID == 0 {
		fail(trtc.ErrInvalidSDKAppID, "sdkAppId is empty")
		return
	}
	key, err := trtc.NewRoomKey(trtc.SDKAppID(req.SDKAppID), req.RoomID, req.StrRoomID)
	if err != nil {
		fail(trtc.ErrInvalidRoomID, "%v", err)
		return
	}
	if err := trtc.ValidateUserID(req.UserID); err != nil {
		fail(trtc.ErrInvalidUserID, "%v", err)
		return
	}
	if req.UserSig == "" {
		fail(trtc.ErrInvalidUserSig, "userSig is empty")
		return
	}
	scene := trtc.Scene(req.Scene)
	if !scene.Valid() {
		fail(trtc.ErrBadSceneOrRole, "scene %d is not one of 0..3", req.Scene)
		return
	}
	role := trtc.Role(req.Role)
	if role != trtc.RoleUnknown && !role.Valid() {
		fail(trtc.ErrInvalidRole, "role %d is neither 20 (anchor) nor 21 (audience)", req.Role)
		return
	}
	if len(req.StreamID) > trtc.MaxStreamIDLen || len(req.UserDefineRecordID) > trtc.MaxStreamIDLen || len(req.BusinessInfo) > 4096 {
		fail(trtc.ErrInvalidParameter, "streamId/userDefineRecordId longer than 64 bytes or businessInfo longer than 4096")
		return
	}
	if err := s.srv.admitEnterFrom(s.conn.RemoteIP()); err != nil {
		fail(trtc.ErrServerOverloaded, "%v", err)
		return
	}
	app, ok := s.srv.apps.Lookup(key.App)
	if !ok {
		fail(trtc.ErrSDKAppIDServer, "sdkAppId %d is not configured on this server", req.SDKAppID)
		return
	}
	now := s.srv.cfg.Now()
	if err := usersig.VerifyUserSig(uint32(app.SDKAppID), app.Secret, req.UserID, req.UserSig, now); err != nil {
		fail(trtc.ErrUserSigCheckFailed, "userSig check failed: %v", err)
		return
	}
	var privs *uint32
	if app.PrivilegeCheck {
		p, code, err := checkPrivateMapKey(app, trtc.UserID(req.UserID), key, req.PrivateMapKey, now)
		if err != nil {
			fail(code, "%v", err)
			return
		}
		privs = &p
	}
	if err := s.srv.admitEnterApp(key.App); err != nil {
		fail(trtc.ErrServerOverloaded, "%v", err)
		return
	}
	routed, ok := s.route(msg.ID, key, trtc.UserID(req.UserID), scene, role) // route.go: in a cluster, the room's owner serves the enter
	if !ok {
		return
	}
	defer routed()
	ms := &memberSink{s: s, reqID: msg.ID, app: key.App, ice: s.srv.iceServers(key.App, trtc.UserID(req.UserID), s.conn)}
	s.cur.Store(ms)
	m, err := s.srv.rooms.Join(room.JoinRequest{
		Key:        key,
		UserID:     trtc.UserID(req.UserID),
		Role:       role,
		Scene:      scene,
		Privileges: privs,
		Client: room.ClientInfo{
			TerminalType: req.Terminal.TerminalType,
			UserType:     req.Terminal.UserType,
			SDKVersion:   truncate(req.Terminal.SDKVersion, 64),
			Device:       truncate(req.Terminal.Device, 64),
			ClientIP:     s.conn.RemoteIP(),
			StreamID:     req.StreamID,
			RecordID:     req.UserDefineRecordID,
			Retry:        req.Retry,
		},
		Sink: ms,
	})
	if err != nil {
		s.cur.CompareAndSwap(ms, nil)
		fail(roomErrorCode(err), "%v", err)
		return
	}
	ms.member.Store(m)
	if ms.catchUp.Load() {
		s.wakeMessages(ms) // messages came before the member was stored
	}
	if s.srv.media != nil {
		ms.part.Store(s.srv.media.Join(m, req.AutoRecvAudio == nil || *req.AutoRecvAudio, req.AutoRecvVideo == nil || *req.AutoRecvVideo, ms))
	}
	s.privileges = privs
	s.srv.metrics.Enter(0)
	s.srv.log.Debug("enter", "room", key.String(), "user", req.UserID, "role", m.Role().String())
}

func (s *Session) handleResume(msg proto.Message) {
	if s.cur.Load() != nil {
		s.respond(msg.ID, trtc.ErrEnterRoomRefused, "already in a room", nil)
		return
	}
	var req proto.ResumeRequest
	if err := proto.DecodeData(msg, &req); err != nil {
		s.strike(msg.ID, trtc.ErrJSONDecode, err.Error())
		return
	}
	if err := s.srv.admitEnterFrom(s.conn.RemoteIP()); err != nil {
		s.srv.metrics.Enter(trtc.ErrServerOverloaded)
		s.respond(msg.ID, trtc.ErrServerOverloaded, err.Error(), nil)
		return
	}
	ms := &memberSink{s: s, reqID: msg.ID}
	ms.hold.Store(true) // until resumeMessages has rewound delivery
	s.cur.Store(ms)
	m, err := s.srv.rooms.Resume(room.SessionID(req.SessionID), req.ResumeToken, ms)
	if err != nil {
		s.cur.CompareAndSwap(ms, nil)
		s.srv.metrics.Enter(trtc.ErrUserNotFound)
		s.respond(msg.ID, trtc.ErrUserNotFound, err.Error(), nil)
		return
	}
	ms.app = m.Room().Key().App
	ms.member.Store(m)
	s.resumeMessages(ms, m, req.LastMsgIndex)
	if s.srv.media != nil {
		ms.part.Store(s.srv.media.Resume(m.Session(), ms))
	}
	s.srv.metrics.Enter(0)
}

// checkPrivateMapKey verifies a PrivateMapKey for key and returns its bits.
func checkPrivateMapKey(app App, user trtc.UserID, key trtc.RoomKey, pmk string, now time.Time) (uint32, int, error) {
	if pmk == "" {
		return 0, trtc.ErrInvalidPrivateMapKey, errors.New("privateMapKey is required by this application")
	}
	p, err := usersig.ParsePrivateMapKey(uint32(app.SDKAppID), app.Secret, string(user), pmk, now)
	if err != nil {
		return 0, trtc.ErrInvalidPrivateMapKey, fmt.Errorf("privateMapKey check failed: %w", err)
	}
	if !p.MatchesRoom(key.Num, key.Str) {
		return 0, trtc.ErrInvalidPrivateMapKey, errors.New("privateMapKey is for another room")
	}
	return p.Privileges, 0, nil
}

// roomErrorCode maps room-service errors to TRTC client codes.
func roomErrorCode(err error) int {
	switch {
	case errors.Is(err, room.ErrRoomFull), errors.Is(err, room.ErrAnchorsFull):
		return trtc.ErrRoomFull
	case errors.Is(err, room.ErrNoCreatePrivilege):
		return trtc.ErrNoPrivilegeCreate
	case errors.Is(err, room.ErrNoEnterPrivilege):
		return trtc.ErrNoPrivilegeEnter
	case errors.Is(err, room.ErrClosed):
		return trtc.ErrServerOverloaded
	case errors.Is(err, room.ErrInvalidScene), errors.Is(err, room.ErrNotLiveScene):
		return trtc.ErrBadSceneOrRole
	case errors.Is(err, room.ErrInvalidRole):
		return trtc.ErrInvalidRole
	case errors.Is(err, room.ErrNotMember), errors.Is(err, room.ErrSessionExpired):
		return trtc.ErrUserNotFound
	case errors.Is(err, room.ErrAudienceCannotPublish):
		return trtc.WarnIgnoreUpstreamForAudience
	case errors.Is(err, room.ErrSubStreamOccupied):
		return trtc.ErrSubStreamOccupied
	case errors.Is(err, room.ErrInvalidStream):
		return trtc.ErrInvalidParameter
	}
	return trtc.ErrCenterSystem
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
