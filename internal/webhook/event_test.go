package webhook

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// TestSignTestVector checks Sign against the example of TRTC's documentation
// (trtc-reference §8.1), over its exact bytes.
func TestSignTestVector(t *testing.T) {
	body := "{\n\t\"EventGroupId\":\t2,\n\t\"EventType\":\t204,\n\t\"CallbackTs\":\t1664209748188,\n\t\"EventInfo\":\t{\n\t\t\"RoomId\":\t8489,\n\t\t\"EventTs\":\t1664209748,\n\t\t\"EventMsTs\":\t1664209748180,\n\t\t\"UserId\":\t\"user_85034614\",\n\t\t\"Reason\":\t0\n\t}\n}"
	if got, want := Sign("123654", []byte(body)), "kkoFeO3Oh2ZHnjtg8tEAQhtXK16/KI05W3BQff8IvGA="; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

// TestEventInfo checks the EventInfo of every event type: the fields of the
// table in trtc-reference §8.2, in its order, RoomId typed as the client
// typed it.
func TestEventInfo(t *testing.T) {
	at := time.UnixMilli(1664209748180)
	num := trtc.RoomKey{App: 1400000001, Num: 8489}
	str := trtc.RoomKey{App: 1400000001, Str: `r "1"`}
	base := func(typ EventType, key trtc.RoomKey) Event {
		return Event{Type: typ, Room: key, At: at, UserID: "alice", Role: trtc.RoleAudience, TerminalType: 2, UserType: 1, Reason: 3}
	}
	const ts = `"EventTs":1664209748,"EventMsTs":1664209748180`
	tests := []struct {
		name  string
		event Event
		group int
		want  string
	}{
		{"101 create", base(EventCreateRoom, num), 1, `{"RoomId":8489,` + ts + `,"UserId":"alice"}`},
		{"101 create, string room", base(EventCreateRoom, str), 1, `{"RoomId":"r \"1\"",` + ts + `,"UserId":"alice"}`},
		{"102 dismiss", base(EventDismissRoom, num), 1, `{"RoomId":8489,` + ts + `}`},
		{"103 enter", base(EventEnterRoom, num), 1, `{"RoomId":8489,` + ts + `,"UserId":"alice","Role":21,"TerminalType":2,"UserType":1,"Reason":3}`},
		{"103 enter, undeclared terminal", func() Event { e := base(EventEnterRoom, str); e.TerminalType, e.UserType = 0, 9; return e }(), 1,
			`{"RoomId":"r \"1\"",` + ts + `,"UserId":"alice","Role":21,"TerminalType":100,"UserType":0,"Reason":3}`},
		{"104 exit", base(EventExitRoom, num), 1, `{"RoomId":8489,` + ts + `,"UserId":"alice","Role":21,"Reason":3}`},
		{"105 role", base(EventChangeRole, num), 1, `{"RoomId":8489,` + ts + `,"UserId":"alice","Role":21}`},
		{"201 start video", base(EventStartVideo, num), 2, `{"RoomId":8489,` + ts + `,"UserId":"alice"}`},
		{"202 stop video", func() Event { e := base(EventStopVideo, num); e.Reason = 0; return e }(), 2, `{"RoomId":8489,` + ts + `,"UserId":"alice","Reason":0}`},
		{"203 start audio", base(EventStartAudio, num), 2, `{"RoomId":8489,` + ts + `,"UserId":"alice"}`},
		{"204 stop audio", func() Event { e := base(EventStopAudio, num); e.Reason = 0; return e }(), 2, `{"RoomId":8489,` + ts + `,"UserId":"alice","Reason":0}`},
		{"205 start sub", base(EventStartAssist, str), 2, `{"RoomId":"r \"1\"",` + ts + `,"UserId":"alice"}`},
		{"206 stop sub", func() Event { e := base(EventStopAssist, num); e.Reason = 0; return e }(), 2, `{"RoomId":8489,` + ts + `,"UserId":"alice","Reason":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := appendInfo(nil, &tt.event)
			if string(info) != tt.want {
				t.Fatalf("EventInfo\n got %s\nwant %s", info, tt.want)
			}
			body := appendBody(nil, tt.event.Type, info, time.UnixMilli(1664209748188), "00000000000000ff-7")
			var msg struct {
				EventGroupId, EventType int
				CallbackTs              int64
				EventInfo               json.RawMessage
				EventId                 string
			}
			if err := json.Unmarshal(body, &msg); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if msg.EventGroupId != tt.group || msg.EventType != int(tt.event.Type) || msg.CallbackTs != 1664209748188 ||
				string(msg.EventInfo) != tt.want || msg.EventId != "00000000000000ff-7" {
				t.Fatalf("body %s", body)
			}
		})
	}
}

func TestEventTypeNames(t *testing.T) {
	n := 0
	for typ := EventType(0); typ < 300; typ++ {
		if !typ.Valid() {
			if typ.Group() != 0 || ParseEventType(typ.String()) != EventUnknown {
				t.Errorf("%d: invalid type has group %d or parses", typ, typ.Group())
			}
			continue
		}
		n++
		if ParseEventType(typ.String()) != typ {
			t.Errorf("%d: %s does not parse back", typ, typ)
		}
	}
	if n != 11 || EventStartAssist.String() != "EVENT_TYPE_START_ASSIT" {
		t.Fatalf("%d valid types; 205 is %s", n, EventStartAssist)
	}
}
