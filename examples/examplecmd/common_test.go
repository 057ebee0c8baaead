package examplecmd

import (
	"context"
	"testing"
)

func TestHTTPBase(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ws://127.0.0.1:7880", "http://127.0.0.1:7880"},
		{"ws://127.0.0.1:7880/signal", "http://127.0.0.1:7880"},
		{"wss://rtc.example.com/signal", "https://rtc.example.com"},
		{"http://127.0.0.1:7880", "http://127.0.0.1:7880"},
		{"127.0.0.1:7880", "http://127.0.0.1:7880"},
		{"ftp://host", ""},
		{"ws://", ""},
	} {
		got, err := httpBase(c.in)
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("httpBase(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestParams(t *testing.T) {
	for _, c := range []struct {
		room    string
		id      uint32
		str     string
		appID   uint
		wantErr bool
	}{
		{room: "1234", id: 1234, appID: 1400000001},
		{room: "team-a", str: "team-a", appID: 1400000001},
		{room: "1234", appID: 0, wantErr: true}, // --key without --sdkappid
	} {
		cf := connFlags{room: c.room, user: "u", sdkAppID: c.appID, key: "secret"}
		p, err := cf.params(context.Background())
		if (err != nil) != c.wantErr {
			t.Fatalf("room %q: %v", c.room, err)
		}
		if err == nil && (p.RoomID != c.id || p.StrRoomID != c.str || p.UserSig == "" || p.SDKAppID != uint32(c.appID)) {
			t.Errorf("room %q: %+v", c.room, p)
		}
	}
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{"alice": "alice", "a/b": "a_b", "..": "__", "user_1-x": "user_1-x", "王": "_"} {
		if got := fileName(in); got != want {
			t.Errorf("fileName(%q) = %q, want %q", in, got, want)
		}
	}
}
