package relay

import (
	"net/http"
	"strconv"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// HeaderRoomCreated is the header of the origin's WebSocket upgrade answer
// that tells the edge when the origin's room was created (Unix
// milliseconds). The edge reports its own users under the origin's room
// (TRTC's CommId is SdkAppId_RoomId_CreateTime), so that one room, not one
// per node, holds every user in the history store. The origin leaves the
// header out while it has no room yet.
const HeaderRoomCreated = "X-Rtcengine-Room-Created"

// maxCreatedDigits bounds the header's value: a Unix time in milliseconds
// has 13 digits until the year 2286.
const maxCreatedDigits = 16

// setRoomCreated adds the room's creation time to the upgrade answer.
func setRoomCreated(h http.Header, rooms *room.Manager, key trtc.RoomKey) {
	if rooms == nil {
		return
	}
	r, ok := rooms.Room(key)
	if !ok {
		return
	}
	h.Set(HeaderRoomCreated, strconv.FormatInt(r.Info().Created.UnixMilli(), 10))
}

// parseRoomCreated reads HeaderRoomCreated: a positive count of Unix
// milliseconds of at most maxCreatedDigits digits. ok is false for a missing
// or malformed value (the edge then reports under its own copy's time).
func parseRoomCreated(v string) (time.Time, bool) {
	if v == "" || len(v) > maxCreatedDigits {
		return time.Time{}, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// OriginCreated is when the origin's room was created, as its upgrade
// answer said; zero when it did not say (it had no room yet, or is an older
// node).
func (m *Mirror) OriginCreated() time.Time { return m.created }
