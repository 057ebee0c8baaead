package relay

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

func TestParseRoomCreated(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
		ms   int64
	}{
		{"a time", "1795458026123", true, 1795458026123},
		{"one millisecond", "1", true, 1},
		{"missing", "", false, 0},
		{"zero", "0", false, 0},
		{"negative", "-5", false, 0},
		{"plus sign", "+5", false, 0},
		{"spaces", " 17", false, 0},
		{"not a number", "yesterday", false, 0},
		{"too many digits", "12345678901234567", false, 0},
		{"the largest value of 16 digits", "9999999999999999", true, 9999999999999999},
		{"hex", "0x10", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRoomCreated(tt.in)
			if ok != tt.ok || (ok && got.UnixMilli() != tt.ms) {
				t.Fatalf("parseRoomCreated(%q) = %v, %v; want %v, %d ms", tt.in, got, ok, tt.ok, tt.ms)
			}
		})
	}
}

// The origin's answer carries its room's creation time, which the edge
// reads back exactly; a room the origin does not have adds no header.
func TestSetRoomCreated(t *testing.T) {
	rooms := room.NewManager(room.Config{}, nil, nil)
	key := trtc.RoomKey{App: 1400000001, Num: 7}
	h := http.Header{}
	setRoomCreated(h, rooms, key)
	if v := h.Get(HeaderRoomCreated); v != "" {
		t.Fatalf("header %q for a room that does not exist", v)
	}
	m, err := rooms.Join(room.JoinRequest{Key: key, UserID: "alice", Scene: trtc.SceneLive, Role: trtc.RoleAnchor})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Leave()
	r, _ := rooms.Room(key)
	setRoomCreated(h, rooms, key)
	got, ok := parseRoomCreated(h.Get(HeaderRoomCreated))
	if !ok || got.UnixMilli() != r.Info().Created.UnixMilli() {
		t.Fatalf("header %q read as %v, %v; want %v", h.Get(HeaderRoomCreated), got, ok, r.Info().Created)
	}
}

func FuzzParseRoomCreated(f *testing.F) {
	for _, s := range []string{"", "0", "1795458026123", "-1", "9999999999999999", "1e3", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseRoomCreated(s)
		if !ok {
			if !got.IsZero() {
				t.Fatalf("refused %q but returned %v", s, got)
			}
			return
		}
		want, err := strconv.ParseInt(s, 10, 64)
		if err != nil || want <= 0 || got.UnixMilli() != want || len(s) > maxCreatedDigits {
			t.Fatalf("%q read as %d ms", s, got.UnixMilli())
		}
	})
}
