package room

import (
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// EventKind says what an Event means to the member that receives it.
type EventKind uint8

const (
	EventUnknown         EventKind = iota
	EventJoined                    // this member entered or resumed; Snapshot is set
	EventUserEnter                 // another visible user entered (or became visible)
	EventUserLeave                 // another visible user left; Reason is a trtc.LeaveReason
	EventKicked                    // this member is out of the room; Reason is a trtc.ExitReason, Err says why
	EventMoved                     // the session was resumed on another connection; this sink gets nothing more
	EventStreamAvailable           // another user's Stream became (un)available
)

func (k EventKind) String() string {
	switch k {
	case EventJoined:
		return "joined"
	case EventUserEnter:
		return "user_enter"
	case EventUserLeave:
		return "user_leave"
	case EventKicked:
		return "kicked"
	case EventMoved:
		return "moved"
	case EventStreamAvailable:
		return "stream_available"
	}
	return "unknown"
}

// Event is delivered to a member's Sink. Events of one room reach each sink in
// the order the room produced them.
type Event struct {
	Kind      EventKind
	UserID    trtc.UserID
	Role      trtc.Role
	Reason    int
	Err       error
	Snapshot  *Snapshot
	Stream    Stream
	Available bool
}

// Snapshot is what a member sees when it enters or resumes.
type Snapshot struct {
	Key     trtc.RoomKey
	Scene   trtc.Scene
	Role    trtc.Role
	Session SessionID
	Token   string
	Resumed bool
	Users   []RemoteUser // visible users other than the receiver
}

// RemoteUser is one entry of a Snapshot.
type RemoteUser struct {
	UserID  trtc.UserID
	Role    trtc.Role
	Streams Streams
}

// Sink receives a member's events. Deliver is called with the room's lock
// held: it must not block and must not call back into the room service. A
// signaling connection implements it with a bounded queue.
type Sink interface {
	Deliver(Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

func (f SinkFunc) Deliver(e Event) { f(e) }

// Cause is why a member left a room, as observers (webhooks, history,
// metrics) see it.
type Cause uint8

const (
	CauseUnknown   Cause = iota
	CauseNormal          // exitRoom
	CauseTimeout         // connection lost past the drop timeout
	CauseRemoved         // RemoveUser
	CauseReplaced        // the same userId entered again elsewhere
	CauseDismissed       // DismissRoom
	CauseShutdown        // the server stopped
)

func (c Cause) String() string {
	return [...]string{"unknown", "normal", "timeout", "removed", "replaced", "dismissed", "shutdown"}[c]
}

// RoomInfo describes a room to observers.
type RoomInfo struct {
	Key     trtc.RoomKey
	Scene   trtc.Scene
	Created time.Time
	Creator trtc.UserID
}

// MemberInfo describes a member to observers.
type MemberInfo struct {
	UserID  trtc.UserID
	Role    trtc.Role
	Session SessionID
	Joined  time.Time
	Client  ClientInfo
	// Replaced, in UserEntered, says that this session took the place of
	// one of the same userId (left just before with CauseReplaced).
	Replaced bool
	// Mirrored says the member stands for a member of another node
	// (JoinRequest.Mirrored): that node reports it.
	Mirrored bool
}

// ClientInfo is what the client told about itself, kept for webhooks and history.
type ClientInfo struct {
	TerminalType int
	UserType     int
	SDKVersion   string
	Device       string
	ClientIP     string
	StreamID     string
	RecordID     string
	// Retry: the client enters again after its own session timed out
	// (proto.EnterRequest.Retry).
	Retry bool
}

// Observer hears about room life cycle changes: webhooks, history and metrics
// implement it. Methods are called with the room's lock held, in order; they
// must be quick. Resumed reports a session that came back after the drop
// timeout had removed it (a fresh enter with the same userId after timeout).
type Observer interface {
	RoomCreated(r RoomInfo, at time.Time)
	RoomDestroyed(r RoomInfo, at time.Time)
	UserEntered(r RoomInfo, m MemberInfo, at time.Time)
	UserLeft(r RoomInfo, m MemberInfo, cause Cause, at time.Time)
	RoleChanged(r RoomInfo, m MemberInfo, at time.Time)
	// StreamChanged: a stream of a member became available to the others
	// or stopped being (webhooks 201–206). on is what the others see: the
	// member publishes it unmuted and SetUserBlocked does not block it.
	StreamChanged(r RoomInfo, m MemberInfo, s Stream, on bool, at time.Time)
}

// NopObserver implements Observer with no-ops; embed it to override a few methods.
type NopObserver struct{}

func (NopObserver) RoomCreated(RoomInfo, time.Time)                 {}
func (NopObserver) RoomDestroyed(RoomInfo, time.Time)               {}
func (NopObserver) UserEntered(RoomInfo, MemberInfo, time.Time)     {}
func (NopObserver) UserLeft(RoomInfo, MemberInfo, Cause, time.Time) {}
func (NopObserver) RoleChanged(RoomInfo, MemberInfo, time.Time)     {}

// Observers fans out to several observers in order.
type Observers []Observer

func (o Observers) RoomCreated(r RoomInfo, at time.Time) {
	for _, x := range o {
		x.RoomCreated(r, at)
	}
}
func (o Observers) RoomDestroyed(r RoomInfo, at time.Time) {
	for _, x := range o {
		x.RoomDestroyed(r, at)
	}
}
func (o Observers) UserEntered(r RoomInfo, m MemberInfo, at time.Time) {
	for _, x := range o {
		x.UserEntered(r, m, at)
	}
}
func (o Observers) UserLeft(r RoomInfo, m MemberInfo, c Cause, at time.Time) {
	for _, x := range o {
		x.UserLeft(r, m, c, at)
	}
}
func (o Observers) RoleChanged(r RoomInfo, m MemberInfo, at time.Time) {
	for _, x := range o {
		x.RoleChanged(r, m, at)
	}
}
func (o Observers) StreamChanged(r RoomInfo, m MemberInfo, s Stream, on bool, at time.Time) {
	for _, x := range o {
		x.StreamChanged(r, m, s, on, at)
	}
}

func (NopObserver) StreamChanged(RoomInfo, MemberInfo, Stream, bool, time.Time) {}
