package api

import (
	"context"
	"math"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// MaxUserIDs is how many users one RemoveUser call may name (§7.3).
const MaxUserIDs = 10

// registerRoomActions registers the room management actions of §7.3.
func registerRoomActions(h *Handler, rooms RoomAdmin) {
	h.Register("RemoveUser", Typed(func(ctx context.Context, _ *Call, p *removeUserParams) (any, error) {
		return nil, rooms.RemoveUsers(ctx, p.key, p.users)
	}))
	h.Register("RemoveUserByStrRoomId", Typed(func(ctx context.Context, _ *Call, p *removeUserStrParams) (any, error) {
		return nil, rooms.RemoveUsers(ctx, p.key, p.users)
	}))
	h.Register("DismissRoom", Typed(func(ctx context.Context, _ *Call, p *dismissRoomParams) (any, error) {
		return nil, rooms.DismissRoom(ctx, p.key)
	}))
	h.Register("DismissRoomByStrRoomId", Typed(func(ctx context.Context, _ *Call, p *dismissRoomStrParams) (any, error) {
		return nil, rooms.DismissRoom(ctx, p.key)
	}))
}

// removeUserParams is RemoveUser's request: a numeric room.
type removeUserParams struct {
	SDKAppID *uint64   `json:"SdkAppId"`
	RoomID   *uint64   `json:"RoomId"`
	UserIDs  *[]string `json:"UserIds"`

	key   trtc.RoomKey
	users []trtc.UserID
}

func (p *removeUserParams) Validate() (err error) {
	if err := missing(p.SDKAppID != nil, p.RoomID != nil, p.UserIDs != nil, true); err != nil {
		return err
	}
	if p.key, err = numericRoom(*p.SDKAppID, *p.RoomID); err != nil {
		return err
	}
	p.users, err = userIDs(*p.UserIDs)
	return err
}

func (p *removeUserParams) App() trtc.SDKAppID { return p.key.App }

// removeUserStrParams is RemoveUserByStrRoomId's request: a string room.
type removeUserStrParams struct {
	SDKAppID *uint64   `json:"SdkAppId"`
	RoomID   *string   `json:"RoomId"`
	UserIDs  *[]string `json:"UserIds"`

	key   trtc.RoomKey
	users []trtc.UserID
}

func (p *removeUserStrParams) Validate() (err error) {
	if err := missing(p.SDKAppID != nil, p.RoomID != nil, p.UserIDs != nil, true); err != nil {
		return err
	}
	if p.key, err = stringRoom(*p.SDKAppID, *p.RoomID); err != nil {
		return err
	}
	p.users, err = userIDs(*p.UserIDs)
	return err
}

func (p *removeUserStrParams) App() trtc.SDKAppID { return p.key.App }

// dismissRoomParams is DismissRoom's request: a numeric room.
type dismissRoomParams struct {
	SDKAppID *uint64 `json:"SdkAppId"`
	RoomID   *uint64 `json:"RoomId"`

	key trtc.RoomKey
}

func (p *dismissRoomParams) Validate() (err error) {
	if err := missing(p.SDKAppID != nil, p.RoomID != nil, true, false); err != nil {
		return err
	}
	p.key, err = numericRoom(*p.SDKAppID, *p.RoomID)
	return err
}

func (p *dismissRoomParams) App() trtc.SDKAppID { return p.key.App }

// dismissRoomStrParams is DismissRoomByStrRoomId's request: a string room.
type dismissRoomStrParams struct {
	SDKAppID *uint64 `json:"SdkAppId"`
	RoomID   *string `json:"RoomId"`

	key trtc.RoomKey
}

func (p *dismissRoomStrParams) Validate() (err error) {
	if err := missing(p.SDKAppID != nil, p.RoomID != nil, true, false); err != nil {
		return err
	}
	p.key, err = stringRoom(*p.SDKAppID, *p.RoomID)
	return err
}

func (p *dismissRoomStrParams) App() trtc.SDKAppID { return p.key.App }

// missing reports the first absent required field in TencentCloud's order.
// A field sent as JSON null counts as absent.
func missing(hasApp, hasRoom, hasUsers, wantUsers bool) error {
	switch {
	case !hasApp:
		return Errorf(CodeMissingSDKAppID, "The required parameter SdkAppId is missing.")
	case !hasRoom:
		return Errorf(CodeMissingRoomID, "The required parameter RoomId is missing.")
	case wantUsers && !hasUsers:
		return Errorf(CodeMissingUserIDs, "The required parameter UserIds is missing.")
	}
	return nil
}

func sdkAppID(v uint64) (trtc.SDKAppID, error) {
	if v == 0 || v > math.MaxUint32 {
		return 0, Errorf(CodeInvalidSDKAppID, "SdkAppId %d is not a valid application id.", v)
	}
	return trtc.SDKAppID(v), nil
}

func numericRoom(app, room uint64) (trtc.RoomKey, error) {
	a, err := sdkAppID(app)
	if err != nil {
		return trtc.RoomKey{}, err
	}
	if room == 0 || room > trtc.MaxRoomID {
		return trtc.RoomKey{}, Errorf(CodeInvalidRoomIDValue, "RoomId must be between 1 and %d.", uint64(trtc.MaxRoomID))
	}
	return trtc.NewRoomKey(a, room, "")
}

func stringRoom(app uint64, room string) (trtc.RoomKey, error) {
	a, err := sdkAppID(app)
	if err != nil {
		return trtc.RoomKey{}, err
	}
	key, err := trtc.NewRoomKey(a, 0, room)
	if err != nil {
		return trtc.RoomKey{}, Errorf(CodeInvalidRoomID,
			"RoomId must be 1 to %d characters of a-z, A-Z, 0-9, space and !#$%%&()+-:;<=.>?@[]^_{}|~,", trtc.MaxStrRoomIDLen)
	}
	return key, nil
}

// userIDs validates 1..MaxUserIDs user ids and drops repeats.
func userIDs(ids []string) ([]trtc.UserID, error) {
	if len(ids) == 0 || len(ids) > MaxUserIDs {
		return nil, Errorf(CodeInvalidUserIDs, "UserIds must hold 1 to %d user ids, not %d.", MaxUserIDs, len(ids))
	}
	out := make([]trtc.UserID, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if err := trtc.ValidateUserID(id); err != nil {
			return nil, Errorf(CodeInvalidUserIDs, "UserIds holds %q, which is not a valid user id (1 to %d characters of a-z, A-Z, 0-9, _ and -).", clip(id), trtc.MaxUserIDLen)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, trtc.UserID(id))
		}
	}
	return out, nil
}
