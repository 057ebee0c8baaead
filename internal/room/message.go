package room

import (
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Custom messages (TRTC's sendCustomCmdMsg, trtc-reference §3.5) travel
// through the room so that they keep the room's order relative to its other
// events, and so that a member who falls behind — its connection is lost and
// resumed, or its outbound queue is full — gets them late rather than never.
//
// Every relayed message goes into the room's log with a room-wide index.
// A member that keeps up receives each message as it is sent. One that
// cannot take a message (no sink, or its MessageSink refuses) becomes
// "lagging": from then on it is skipped, and the edge calls CatchUpMessages
// when it can take more, which replays the log from the first message the
// member did not get. Messages that leave the log (it is bounded) before a
// lagging member got them are summarized as Misses, per sender and command,
// which the member gets first (onMissCustomCmdMsg). The sender's own
// messages and messages sent before a member entered are never delivered to
// it.

// MessageConfig bounds the room's message log. The zero value of a field
// means the default in parentheses.
type MessageConfig struct {
	// LogEntries is how many recent messages a room keeps for lagging
	// members (2048).
	LogEntries int
	// LogBytes bounds the payload bytes of those messages (1 MiB).
	LogBytes int
	// Burst is how much of the per-second budget (trtc.CustomMsgsPerSecond
	// messages, trtc.CustomBytesPerSecond bytes) a sender may use at once
	// (2 s): the SDK enforces one second, and the server allows more so that
	// messages bunched by the network or resent after a resume are not
	// refused. The sustained rate is exactly the budget.
	Burst time.Duration
}

// Defaults of MessageConfig.
const (
	DefaultMessageLogEntries = 2048
	DefaultMessageLogBytes   = 1 << 20
	DefaultMessageBurst      = 2 * time.Second
)

func (c MessageConfig) withDefaults() MessageConfig {
	if c.LogEntries <= 0 {
		c.LogEntries = DefaultMessageLogEntries
	}
	if c.LogBytes <= 0 {
		c.LogBytes = DefaultMessageLogBytes
	}
	if c.Burst <= 0 {
		c.Burst = DefaultMessageBurst
	}
	return c
}

// Message is one relayed custom message. Its fields must not be modified
// once it is sent.
type Message struct {
	Index  uint64 // position in the room's log, from 1
	UserID trtc.UserID
	CmdID  int
	Seq    uint32
	Data   []byte

	once  sync.Once
	frame []byte
}

// Frame returns the message encoded by enc, encoding it only once: every
// receiver of a message gets the same bytes.
func (m *Message) Frame(enc func(*Message) []byte) []byte {
	m.once.Do(func() { m.frame = enc(m) })
	return m.frame
}

// Miss summarizes messages of one sender and command that a member will
// never get: Count of them, the last numbered LastSeq.
type Miss struct {
	UserID  trtc.UserID
	CmdID   int
	Count   int
	LastSeq uint32
}

// MessageSink is implemented by sinks that carry custom messages. Its
// methods are called with the room's lock held: they must not block and
// must not call back into the room service. Returning false means "no room
// now": the member is then skipped until the edge calls CatchUpMessages.
type MessageSink interface {
	DeliverMessage(m *Message) bool
	DeliverMiss(m Miss) bool
}

// memberMsgs is a member's message state, guarded by the room's lock.
type memberMsgs struct {
	// As a sender.
	lastSeq    [trtc.MaxCustomCmdID + 1]uint32
	msgTokens  float64
	byteTokens float64
	refilled   time.Time

	// As a receiver.
	floor   uint64 // log head when the member entered: nothing older is for it
	lagging bool
	next    uint64 // while lagging: the first log index it has not got
	missed  []Miss // while lagging: what left the log before it got it
}

// messageLog is a room's recent messages, guarded by the room's lock.
type messageLog struct {
	entries []*Message // oldest first, from entries[off]
	off     int
	head    uint64 // index of the newest message; 0 before the first
	bytes   int
	lagging map[*Member]struct{}
}

func (l *messageLog) len() int { return len(l.entries) - l.off }

// oldest returns the index of the oldest message kept (head+1 when empty).
func (l *messageLog) oldest() uint64 { return l.head - uint64(l.len()) + 1 }

func (l *messageLog) at(index uint64) *Message {
	return l.entries[l.off+int(index-l.oldest())]
}

func (l *messageLog) pop() *Message {
	m := l.entries[l.off]
	l.entries[l.off] = nil
	l.off++
	l.bytes -= len(m.Data)
	if l.off >= 64 && l.off*2 >= len(l.entries) {
		n := copy(l.entries, l.entries[l.off:])
		clear(l.entries[n:])
		l.entries, l.off = l.entries[:n], 0
	}
	return m
}

// SendMessage relays a custom message from m to everyone else in the room.
// seq 0 lets the room number it (per command, from 1); a non-zero seq is
// the client's own numbering, and one not above the last accepted for
// cmdID is a retransmission: it is acknowledged (dup) but not relayed
// again. The room keeps data; the caller must not modify it afterwards.
//
// It refuses members that left (ErrNotMember), command ids outside 1..10
// (ErrInvalidCmdID), empty or oversized data (ErrEmptyMessage,
// ErrMessageTooLarge), audience members (ErrAudienceCannotSend) and
// messages over the sender's budget (ErrMessageRate, ErrMessageBytes).
func (m *Member) SendMessage(cmdID int, data []byte, seq uint32) (assigned uint32, dup bool, err error) {
	r := m.room
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case m.state == stateLeft:
		return 0, false, ErrNotMember
	case !trtc.ValidCustomCmdID(cmdID):
		return 0, false, ErrInvalidCmdID
	case len(data) == 0:
		return 0, false, ErrEmptyMessage
	case len(data) > trtc.MaxCustomMsgBytes:
		return 0, false, ErrMessageTooLarge
	case m.role != trtc.RoleAnchor:
		return 0, false, ErrAudienceCannotSend
	}
	st := &m.msgs
	if seq != 0 && seq <= st.lastSeq[cmdID] {
		return seq, true, nil
	}
	if err := st.charge(r.mgr.cfg.Messages.Burst, len(data), r.mgr.clock.Now()); err != nil {
		return 0, false, err
	}
	if seq == 0 {
		seq = st.lastSeq[cmdID] + 1
	}
	st.lastSeq[cmdID] = seq
	msg := &Message{UserID: m.userID, CmdID: cmdID, Seq: seq, Data: data}
	r.appendMessageLocked(msg)
	r.mgr.taps.deliver(r.key, msg) // msgtap.go
	for _, o := range r.members {
		if o != m && o.userID != m.userID {
			r.deliverMessageLocked(o, msg)
		}
	}
	return seq, false, nil
}

// charge takes one message of size bytes from the sender's token buckets,
// which hold burst's worth of the per-second budget.
func (st *memberMsgs) charge(burst time.Duration, size int, now time.Time) error {
	maxMsgs := trtc.CustomMsgsPerSecond * burst.Seconds()
	maxBytes := trtc.CustomBytesPerSecond * burst.Seconds()
	if st.refilled.IsZero() {
		st.msgTokens, st.byteTokens = maxMsgs, maxBytes
	} else if el := now.Sub(st.refilled).Seconds(); el > 0 {
		st.msgTokens = min(maxMsgs, st.msgTokens+el*trtc.CustomMsgsPerSecond)
		st.byteTokens = min(maxBytes, st.byteTokens+el*trtc.CustomBytesPerSecond)
	}
	st.refilled = now
	if st.msgTokens < 1 {
		return ErrMessageRate
	}
	if st.byteTokens < float64(size) {
		return ErrMessageBytes
	}
	st.msgTokens--
	st.byteTokens -= float64(size)
	return nil
}

func (r *Room) appendMessageLocked(msg *Message) {
	l := &r.msgs
	cfg := r.mgr.cfg.Messages
	for l.len() > 0 && (l.len() >= cfg.LogEntries || l.bytes+len(msg.Data) > cfg.LogBytes) {
		r.evictLocked()
	}
	l.head++
	msg.Index = l.head
	l.entries = append(l.entries, msg)
	l.bytes += len(msg.Data)
}

// evictLocked drops the oldest message, counting it as missed for every
// lagging member that has not got it.
func (r *Room) evictLocked() {
	l := &r.msgs
	msg := l.pop()
	for o := range l.lagging {
		if o.state == stateLeft || !o.msgs.lagging {
			delete(l.lagging, o)
			continue
		}
		st := &o.msgs
		if st.next > msg.Index {
			continue
		}
		st.next = msg.Index + 1
		if msg.UserID == o.userID || msg.Index <= st.floor {
			continue
		}
		st.addMiss(msg)
	}
}

func (st *memberMsgs) addMiss(msg *Message) {
	for i := range st.missed {
		if x := &st.missed[i]; x.UserID == msg.UserID && x.CmdID == msg.CmdID {
			x.Count++
			x.LastSeq = msg.Seq
			return
		}
	}
	st.missed = append(st.missed, Miss{UserID: msg.UserID, CmdID: msg.CmdID, Count: 1, LastSeq: msg.Seq})
}

// deliverMessageLocked hands msg to o, or marks o lagging from msg.
func (r *Room) deliverMessageLocked(o *Member, msg *Message) {
	if o.state == stateLeft || o.msgs.lagging {
		return
	}
	if o.sink == nil { // detached: replayed when it resumes
		r.lagLocked(o, msg.Index)
		return
	}
	ms, ok := o.sink.(MessageSink)
	if !ok {
		return
	}
	if !ms.DeliverMessage(msg) {
		r.lagLocked(o, msg.Index)
	}
}

func (r *Room) lagLocked(o *Member, from uint64) {
	o.msgs.lagging = true
	o.msgs.next = from
	if r.msgs.lagging == nil {
		r.msgs.lagging = map[*Member]struct{}{}
	}
	r.msgs.lagging[o] = struct{}{}
}

// CatchUpMessages gives a lagging member what it has not got, through its
// current sink: first the Misses, then the logged messages in order. It
// stops when the sink refuses one (call again when the sink can take more)
// and reports whether the member has caught up. A sink that is no longer
// the member's has nothing to catch up.
func (m *Member) CatchUpMessages(sink MessageSink) bool {
	r := m.room
	r.mu.Lock()
	defer r.mu.Unlock()
	st := &m.msgs
	if m.state == stateLeft || !st.lagging || any(m.sink) != any(sink) {
		return true
	}
	for len(st.missed) > 0 {
		if !sink.DeliverMiss(st.missed[0]) {
			return false
		}
		st.missed = st.missed[1:]
	}
	l := &r.msgs
	for i := max(st.next, l.oldest(), st.floor+1); i <= l.head; i++ {
		msg := l.at(i)
		if msg.UserID == m.userID {
			continue
		}
		if !sink.DeliverMessage(msg) {
			st.next = i
			return false
		}
	}
	st.lagging, st.next, st.missed = false, 0, nil
	delete(l.lagging, m)
	return true
}

// ResumeMessages prepares a resumed member's catch-up. received, when
// known, is the index of the last message its client got: delivery
// restarts after it, so that messages written to a connection that broke
// before they arrived are sent again (those that left the log meanwhile
// cannot be, and are not counted as missed: the client sees the gap in
// their sequence numbers). The edge calls CatchUpMessages next.
func (m *Member) ResumeMessages(received *uint64) {
	r := m.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.state == stateLeft {
		return
	}
	st := &m.msgs
	if !st.lagging {
		r.lagLocked(m, r.msgs.head+1)
	}
	if received != nil {
		if want := max(*received, st.floor) + 1; want < st.next {
			st.next = want
		}
	}
}

// MessageHead returns the index of the newest message of the room (0
// before the first).
func (r *Room) MessageHead() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.msgs.head
}
