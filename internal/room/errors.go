package room

import "errors"

// Errors returned by the room state machine. Codes are attached at the edges:
// the signaling edge turns them into TRTC client codes, the REST edge into
// dotted API 3.0 codes.
var (
	// ErrRoomNotFound: the room does not exist (REST: FailedOperation.RoomNotExist).
	ErrRoomNotFound = errors.New("room: room does not exist")
	// ErrUserNotFound: the user is not in the room.
	ErrUserNotFound = errors.New("room: user is not in the room")
	// ErrRoomFull: the scene's user, anchor or audience cap is reached (-102052).
	ErrRoomFull = errors.New("room: room is full")
	// ErrAnchorsFull: switching to anchor would exceed the anchor cap (-102052).
	ErrAnchorsFull = errors.New("room: anchor limit reached")
	// ErrClosed: the manager is shutting down and takes no new rooms.
	ErrClosed = errors.New("room: server is shutting down")
	// ErrNotMember: the member has already left the room.
	ErrNotMember = errors.New("room: member has left the room")
	// ErrNotLiveScene: switchRole is only meaningful in live scenes.
	ErrNotLiveScene = errors.New("room: role switching needs a live scene")
	// ErrInvalidRole: the role is neither anchor nor audience.
	ErrInvalidRole = errors.New("room: invalid role")
	// ErrSessionExpired: a resume named a session that is gone (dropped past
	// the drop timeout, replaced, or never existed).
	ErrSessionExpired = errors.New("room: session expired")
	// ErrSubStreamOccupied: another user publishes the sub stream (-102016).
	ErrSubStreamOccupied = errors.New("room: another user is sharing a screen")
	// ErrAudienceCannotPublish: audience members do not publish (warning 6001).
	ErrAudienceCannotPublish = errors.New("room: audience cannot publish")
)

var (
	// ErrReplaced: a newer session with the same userId entered the room.
	ErrReplaced = errors.New("room: the same userId entered the room from another session")
	// ErrNoCreatePrivilege: the PrivateMapKey lacks the create-room bit (-102010).
	ErrNoCreatePrivilege = errors.New("room: no privilege to create the room")
	// ErrNoEnterPrivilege: the PrivateMapKey lacks the enter-room bit (-102011).
	ErrNoEnterPrivilege = errors.New("room: no privilege to enter the room")
	// ErrInvalidScene: the scene is not one of TRTC's four.
	ErrInvalidScene = errors.New("room: invalid scene")
)

var (
	// ErrRemoved is the Err of the EventKicked sent by RemoveUsers.
	ErrRemoved = errors.New("room: removed from the room by the server")
	// ErrDismissed is the Err of the EventKicked sent by Dismiss.
	ErrDismissed = errors.New("room: the room was dismissed")
)

var (
	// ErrInvalidStream: the stream is not audio, video or sub.
	ErrInvalidStream = errors.New("room: invalid stream")
	// ErrNoPublishPrivilege: the PrivateMapKey lacks the bit to send this
	// stream (-102013 video, -102015 sub, -100006 audio).
	ErrNoPublishPrivilege = errors.New("room: no privilege to publish this stream")
)

// Custom messages (SendMessage). The signaling edge answers the first three
// with −2, an audience sender with 6001 and the budget with −3.
var (
	// ErrInvalidCmdID: the command id is not 1..10.
	ErrInvalidCmdID = errors.New("room: custom message cmdId must be 1..10")
	// ErrEmptyMessage: a custom message without data.
	ErrEmptyMessage = errors.New("room: custom message is empty")
	// ErrMessageTooLarge: a custom message over 1000 bytes.
	ErrMessageTooLarge = errors.New("room: custom message is larger than 1000 bytes")
	// ErrAudienceCannotSend: only anchors send custom messages.
	ErrAudienceCannotSend = errors.New("room: audience members cannot send custom messages")
	// ErrMessageRate: the sender is over 30 messages per second.
	ErrMessageRate = errors.New("room: more than 30 custom messages per second")
	// ErrMessageBytes: the sender is over 8000 bytes per second.
	ErrMessageBytes = errors.New("room: more than 8000 bytes of custom messages per second")
)
