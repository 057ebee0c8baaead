package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// EventType is the EventType of a webhook body (trtc-reference §8.2).
type EventType uint16

// Room events (EventGroupId 1) and media events (EventGroupId 2).
const (
	EventUnknown     EventType = 0
	EventCreateRoom  EventType = 101
	EventDismissRoom EventType = 102
	EventEnterRoom   EventType = 103
	EventExitRoom    EventType = 104
	EventChangeRole  EventType = 105
	EventStartVideo  EventType = 201
	EventStopVideo   EventType = 202
	EventStartAudio  EventType = 203
	EventStopAudio   EventType = 204
	EventStartAssist EventType = 205 // screen share (TRTC spells it ASSIT)
	EventStopAssist  EventType = 206
)

// Event groups (EventGroupId).
const (
	GroupRoom  = 1
	GroupMedia = 2
)

var eventNames = map[EventType]string{
	EventCreateRoom:  "EVENT_TYPE_CREATE_ROOM",
	EventDismissRoom: "EVENT_TYPE_DISMISS_ROOM",
	EventEnterRoom:   "EVENT_TYPE_ENTER_ROOM",
	EventExitRoom:    "EVENT_TYPE_EXIT_ROOM",
	EventChangeRole:  "EVENT_TYPE_CHANGE_ROLE",
	EventStartVideo:  "EVENT_TYPE_START_VIDEO",
	EventStopVideo:   "EVENT_TYPE_STOP_VIDEO",
	EventStartAudio:  "EVENT_TYPE_START_AUDIO",
	EventStopAudio:   "EVENT_TYPE_STOP_AUDIO",
	EventStartAssist: "EVENT_TYPE_START_ASSIT",
	EventStopAssist:  "EVENT_TYPE_STOP_ASSIT",
}

// Valid reports whether t is a room, media or cloud recording event.
func (t EventType) Valid() bool { _, ok := eventNames[t]; return ok }

// String returns TRTC's name of the event, such as EVENT_TYPE_ENTER_ROOM.
func (t EventType) String() string {
	if n, ok := eventNames[t]; ok {
		return n
	}
	return "EVENT_TYPE_UNKNOWN(" + strconv.Itoa(int(t)) + ")"
}

// ParseEventType is the inverse of String; it returns EventUnknown for
// anything else.
func ParseEventType(s string) EventType {
	for t, n := range eventNames {
		if n == s {
			return t
		}
	}
	return EventUnknown
}

// Group returns the EventGroupId of t: GroupRoom for 101–105, GroupMedia for
// 201–206, 0 for an unknown type.
func (t EventType) Group() int {
	switch {
	case !t.Valid():
		return 0
	case t < 200:
		return GroupRoom
	case t.isRecording():
		return GroupRecording
	}
	return GroupMedia
}

// Reasons of EVENT_TYPE_ENTER_ROOM (trtc-reference §8.2).
const (
	EnterNormal        = 1
	EnterNetworkSwitch = 2 // the user entered again while its previous session was still in the room
	EnterTimeoutRetry  = 3
	EnterCrossRoom     = 4
)

// Reasons of EVENT_TYPE_EXIT_ROOM (trtc-reference §8.2).
const (
	ExitNormal      = 1
	ExitTimeout     = 2
	ExitRemoved     = 3
	ExitCrossRoom   = 4
	ExitProcessKill = 5
)

// TerminalType and UserType values (trtc-reference §8.2).
const (
	TerminalOther = 100
	UserTypeNone  = 0 // the client did not say
)

// Event is one room or media event of one app. Which fields reach the body
// depends on Type, as in the table of trtc-reference §8.2.
type Event struct {
	Type EventType
	// Room is the room; Room.App is the app whose webhook receives the
	// event. A numeric room's RoomId is a JSON number, a string room's a
	// JSON string, as the client typed it.
	Room trtc.RoomKey
	// At is when it happened (EventTs, EventMsTs).
	At     time.Time
	UserID trtc.UserID
	Role   trtc.Role
	// TerminalType and UserType are what the client declared; values TRTC
	// does not define are sent as 100 (other) and 0 (unknown).
	TerminalType int
	UserType     int
	// Reason: EnterNormal… for 103, ExitNormal… for 104, 0 for 202/204/206.
	Reason int
	// TaskID and Payload (a JSON object) are the recording events' (3xx).
	TaskID  string
	Payload []byte
}

// hasUser, hasRole and hasReason say which EventInfo fields a type carries.
func (t EventType) hasUser() bool { return t != EventDismissRoom }
func (t EventType) hasRole() bool {
	return t == EventEnterRoom || t == EventExitRoom || t == EventChangeRole
}
func (t EventType) hasReason() bool {
	switch t {
	case EventEnterRoom, EventExitRoom, EventStopVideo, EventStopAudio, EventStopAssist:
		return true
	}
	return false
}

func terminalType(t int) int {
	switch t {
	case 1, 2, 3, 4, TerminalOther:
		return t
	}
	return TerminalOther
}

func userType(t int) int {
	if t >= 1 && t <= 3 {
		return t
	}
	return UserTypeNone
}

// appendInfo appends the EventInfo object of e, fields in the order of
// trtc-reference §8.2.
func appendInfo(b []byte, e *Event) []byte {
	b = append(b, `{"RoomId":`...)
	if e.Room.IsStr() {
		b = appendString(b, e.Room.Str)
	} else {
		b = strconv.AppendUint(b, uint64(e.Room.Num), 10)
	}
	b = append(b, `,"EventTs":`...)
	b = strconv.AppendInt(b, e.At.Unix(), 10)
	b = append(b, `,"EventMsTs":`...)
	b = strconv.AppendInt(b, e.At.UnixMilli(), 10)
	if e.Type.hasUser() {
		b = append(b, `,"UserId":`...)
		b = appendString(b, string(e.UserID))
	}
	if e.Type.hasRole() {
		b = append(b, `,"Role":`...)
		b = strconv.AppendInt(b, int64(e.Role), 10)
	}
	if e.Type == EventEnterRoom {
		b = append(b, `,"TerminalType":`...)
		b = strconv.AppendInt(b, int64(terminalType(e.TerminalType)), 10)
		b = append(b, `,"UserType":`...)
		b = strconv.AppendInt(b, int64(userType(e.UserType)), 10)
	}
	if e.Type.hasReason() {
		b = append(b, `,"Reason":`...)
		b = strconv.AppendInt(b, int64(e.Reason), 10)
	}
	if e.Type.isRecording() {
		b = append(b, `,"TaskId":`...)
		b = appendString(b, e.TaskID)
		b = append(b, `,"Payload":`...)
		if len(e.Payload) == 0 {
			b = append(b, "{}"...)
		} else {
			b = append(b, e.Payload...)
		}
	}
	return append(b, '}')
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// appendBody appends the request body: §8.2's four fields plus EventId, the
// outbox's id of the event, the same on every attempt and after a restart,
// for receivers that de-duplicate.
func appendBody(b []byte, t EventType, info []byte, callback time.Time, id string) []byte {
	b = append(b, `{"EventGroupId":`...)
	b = strconv.AppendInt(b, int64(t.Group()), 10)
	b = append(b, `,"EventType":`...)
	b = strconv.AppendUint(b, uint64(t), 10)
	b = append(b, `,"CallbackTs":`...)
	b = strconv.AppendInt(b, callback.UnixMilli(), 10)
	b = append(b, `,"EventInfo":`...)
	b = append(b, info...)
	b = append(b, `,"EventId":`...)
	b = appendString(b, id)
	return append(b, '}')
}

// Sign is the Sign header of a body: Base64(HMAC-SHA256(key, body)) with
// standard padding (trtc-reference §8.1).
func Sign(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// eventID names an event for de-duplication: the outbox's random instance
// and the event's log sequence number, both stable across restarts.
func eventID(instance, lsn uint64) string {
	return fmt.Sprintf("%016x-%d", instance, lsn)
}
