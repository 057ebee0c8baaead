package room

import (
	"sync"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// messageTaps are in-process listeners of rooms' custom messages: the relay
// that mirrors a room on another node forwards them over its link. The zero
// value is ready.
type messageTaps struct {
	mu   sync.Mutex
	taps map[trtc.RoomKey]map[*messageTap]struct{}
}

type messageTap struct{ f func(*Message) }

// TapMessages calls f with every custom message relayed in room key from
// now on (whichever member sent it), until stop is called. f is called with
// the room's lock held, in the room's order: it must not block and must not
// call back into the room service, and it must not modify the Message.
func (mgr *Manager) TapMessages(key trtc.RoomKey, f func(*Message)) (stop func()) {
	x := &messageTap{f: f}
	t := &mgr.taps
	t.mu.Lock()
	if t.taps == nil {
		t.taps = map[trtc.RoomKey]map[*messageTap]struct{}{}
	}
	if t.taps[key] == nil {
		t.taps[key] = map[*messageTap]struct{}{}
	}
	t.taps[key][x] = struct{}{}
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		delete(t.taps[key], x)
		if len(t.taps[key]) == 0 {
			delete(t.taps, key)
		}
		t.mu.Unlock()
	}
}

// deliver hands msg to the room's taps.
func (t *messageTaps) deliver(key trtc.RoomKey, msg *Message) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for x := range t.taps[key] {
		x.f(msg)
	}
}
