package api

import (
	"context"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// UserBlocker is what SetUserBlocked needs from the room service.
type UserBlocker interface {
	// SetUserBlocked sets what of the user's media the others may receive
	// (the zero Block: everything). It returns room.ErrRoomNotFound or
	// room.ErrUserNotFound.
	SetUserBlocked(ctx context.Context, key trtc.RoomKey, user trtc.UserID, b room.Block) error
}

// isMuteBlocks maps SetUserBlocked's IsMute (§7.3): 0 enables audio and
// video, 1 disables both, 2 audio only, 3 video only.
var isMuteBlocks = []room.Block{{}, {Audio: true, Video: true}, {Audio: true}, {Video: true}}

func registerBlockActions(h *Handler, b UserBlocker) {
	h.Register("SetUserBlocked", Typed(func(ctx context.Context, _ *Call, p *setUserBlockedParams) (any, error) {
		return nil, b.SetUserBlocked(ctx, p.key, p.user, p.block)
	}))
	h.Register("SetUserBlockedByStrRoomId", Typed(func(ctx context.Context, _ *Call, p *setUserBlockedStrParams) (any, error) {
		return nil, b.SetUserBlocked(ctx, p.key, p.user, p.block)
	}))
}

// setUserBlockedParams is SetUserBlocked's request: a numeric room.
type setUserBlockedParams struct {
	SDKAppID *uint64 `json:"SdkAppId"`
	RoomID   *uint64 `json:"RoomId"`
	UserID   *string `json:"UserId"`
	IsMute   *uint64 `json:"IsMute"`

	key   trtc.RoomKey
	user  trtc.UserID
	block room.Block
}

func (p *setUserBlockedParams) Validate() (err error) {
	if err := missing(p.SDKAppID != nil, p.RoomID != nil, true, false); err != nil {
		return err
	}
	if err := missingBlock(p.UserID, p.IsMute); err != nil {
		return err
	}
	if p.key, err = numericRoom(*p.SDKAppID, *p.RoomID); err != nil {
		return err
	}
	p.user, p.block, err = blockValues(*p.UserID, *p.IsMute)
	return err
}

func (p *setUserBlockedParams) App() trtc.SDKAppID { return p.key.App }

// setUserBlockedStrParams is SetUserBlockedByStrRoomId's request.
type setUserBlockedStrParams struct {
	SDKAppID *uint64 `json:"SdkAppId"`
	RoomID   *string `json:"RoomId"`
	UserID   *string `json:"UserId"`
	IsMute   *uint64 `json:"IsMute"`

	key   trtc.RoomKey
	user  trtc.UserID
	block room.Block
}

func (p *setUserBlockedStrParams) Validate() (err error) {
	if err := missing(p.SDKAppID != nil, p.RoomID != nil, true, false); err != nil {
		return err
	}
	if err := missingBlock(p.UserID, p.IsMute); err != nil {
		return err
	}
	if p.key, err = stringRoom(*p.SDKAppID, *p.RoomID); err != nil {
		return err
	}
	p.user, p.block, err = blockValues(*p.UserID, *p.IsMute)
	return err
}

func (p *setUserBlockedStrParams) App() trtc.SDKAppID { return p.key.App }

func missingBlock(user *string, isMute *uint64) error {
	switch {
	case user == nil:
		return Errorf(CodeMissingUserID, "The required parameter UserId is missing.")
	case isMute == nil:
		return Errorf(CodeMissingParameter, "The required parameter IsMute is missing.")
	}
	return nil
}

func blockValues(user string, isMute uint64) (trtc.UserID, room.Block, error) {
	if err := trtc.ValidateUserID(user); err != nil {
		return "", room.Block{}, Errorf(CodeInvalidUserID, "UserId %q is not a valid user id (1 to %d characters of a-z, A-Z, 0-9, _ and -).", clip(user), trtc.MaxUserIDLen)
	}
	if isMute >= uint64(len(isMuteBlocks)) {
		return "", room.Block{}, Errorf(CodeInvalidParameter, "IsMute must be 0 (enable), 1 (disable audio and video), 2 (disable audio) or 3 (disable video), not %d.", isMute)
	}
	return trtc.UserID(user), isMuteBlocks[isMute], nil
}
