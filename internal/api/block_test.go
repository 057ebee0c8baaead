package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// blockRooms is a real room service with alice and bob in numeric room
// 1234 and string room "meeting-1" of appOwned; it records the stream
// events bob receives.
type blockRooms struct {
	mgr *room.Manager

	mu     sync.Mutex
	events []string
}

func newBlockRooms(t testing.TB) *blockRooms {
	b := &blockRooms{mgr: room.NewManager(room.Config{}, nil, nil)}
	for _, key := range []trtc.RoomKey{{App: appOwned, Num: 1234}, {App: appOwned, Str: "meeting-1"}} {
		for _, u := range []trtc.UserID{"alice", "bob"} {
			sink := room.SinkFunc(func(room.Event) {})
			if u == "bob" {
				sink = func(e room.Event) {
					if e.Kind == room.EventStreamAvailable {
						b.mu.Lock()
						b.events = append(b.events, fmt.Sprintf("%s %s:%s:%v", key, e.UserID, e.Stream, e.Available))
						b.mu.Unlock()
					}
				}
			}
			m, err := b.mgr.Join(room.JoinRequest{Key: key, UserID: u, Scene: trtc.SceneVideoCall, Sink: sink})
			if err != nil {
				t.Fatal(err)
			}
			if u == "alice" {
				for _, s := range []room.Stream{room.StreamAudio, room.StreamVideo} {
					if err := m.SetStream(s, true, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	return b
}

func (b *blockRooms) SetUserBlocked(_ context.Context, key trtc.RoomKey, user trtc.UserID, blk room.Block) error {
	return b.mgr.SetBlocked(key, user, blk)
}

func (b *blockRooms) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	ev := b.events
	b.events = nil
	return ev
}

func TestSetUserBlocked(t *testing.T) {
	rooms := newBlockRooms(t)
	e := &testEnv{t: t}
	e.handler = NewHandler(Config{Credentials: testCreds, Blocker: rooms})
	e.srv = httptest.NewServer(e.handler)
	t.Cleanup(e.srv.Close)
	rooms.take()

	type m = map[string]any
	num := func(isMute any) m {
		return m{"SdkAppId": 1400000000, "RoomId": 1234, "UserId": "alice", "IsMute": isMute}
	}
	str := func(isMute any) m {
		return m{"SdkAppId": 1400000000, "RoomId": "meeting-1", "UserId": "alice", "IsMute": isMute}
	}
	without := func(p m, k string) m { delete(p, k); return p }
	with := func(p m, k string, v any) m { p[k] = v; return p }
	tests := []struct {
		name   string
		action string
		params m
		code   string
		events []string // what bob sees
	}{
		// IsMute walks through every state; each call reports only what changes.
		{"1 disables audio and video", "SetUserBlocked", num(1), "", []string{"1400000000/1234 alice:audio:false", "1400000000/1234 alice:video:false"}},
		{"again: nothing changes", "SetUserBlocked", num(1), "", nil},
		{"2 keeps audio disabled, enables video", "SetUserBlocked", num(2), "", []string{"1400000000/1234 alice:video:true"}},
		{"3 disables video only", "SetUserBlocked", num(3), "", []string{"1400000000/1234 alice:audio:true", "1400000000/1234 alice:video:false"}},
		{"0 enables everything", "SetUserBlocked", num(0), "", []string{"1400000000/1234 alice:video:true"}},
		{"string room", "SetUserBlockedByStrRoomId", str(2), "", []string{"1400000000/s:meeting-1 alice:audio:false"}},
		{"blocking a user who publishes nothing", "SetUserBlocked", with(num(1), "UserId", "bob"), "", nil},

		{"user not in the room", "SetUserBlocked", with(num(1), "UserId", "carol"), "FailedOperation.UserNotExist", nil},
		{"no such room", "SetUserBlocked", with(num(1), "RoomId", 999), "FailedOperation.RoomNotExist", nil},
		{"no such string room", "SetUserBlockedByStrRoomId", with(str(1), "RoomId", "1234"), "FailedOperation.RoomNotExist", nil},
		{"IsMute 4", "SetUserBlocked", num(4), "InvalidParameter", nil},
		{"missing SdkAppId", "SetUserBlocked", without(num(1), "SdkAppId"), "MissingParameter.SdkAppId", nil},
		{"missing RoomId", "SetUserBlocked", without(num(1), "RoomId"), "MissingParameter.RoomId", nil},
		{"missing UserId", "SetUserBlocked", without(num(1), "UserId"), "MissingParameter.UserId", nil},
		{"missing IsMute", "SetUserBlocked", without(num(1), "IsMute"), "MissingParameter", nil},
		{"bad UserId", "SetUserBlocked", with(num(1), "UserId", "a b"), "InvalidParameter.UserId", nil},
		{"empty UserId", "SetUserBlocked", with(num(1), "UserId", ""), "InvalidParameter.UserId", nil},
		{"RoomId 0", "SetUserBlocked", with(num(1), "RoomId", 0), "InvalidParameterValue.RoomId", nil},
		{"bad string RoomId", "SetUserBlockedByStrRoomId", with(str(1), "RoomId", "a/b"), "InvalidParameter.RoomId", nil},
		{"string RoomId to the numeric action", "SetUserBlocked", with(num(1), "RoomId", "1234"), "InvalidParameter.BodyParamsError", nil},
		{"negative IsMute", "SetUserBlocked", num(-1), "InvalidParameter.BodyParamsError", nil},
		{"IsMute as string", "SetUserBlocked", num("1"), "InvalidParameter.BodyParamsError", nil},
		{"unknown field", "SetUserBlocked", with(num(1), "Streams", 1), "UnknownParameter", nil},
		{"not owned", "SetUserBlocked", with(num(1), "SdkAppId", 1400000001), "UnauthorizedOperation.SdkAppId", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _ := e.sdk(sdkCall{action: tt.action, params: tt.params})
			if code != tt.code {
				t.Fatalf("code %q, want %q", code, tt.code)
			}
			if got := rooms.take(); !slices.Equal(got, tt.events) {
				t.Fatalf("bob saw %v, want %v", got, tt.events)
			}
		})
	}
}
