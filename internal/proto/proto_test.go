package proto

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
		want    Message
	}{
		{name: "empty", in: "", wantErr: ErrEmpty},
		{name: "garbage", in: "\x00\x01\xff", wantErr: ErrNotJSON},
		{name: "array", in: "[1,2]", wantErr: ErrNotJSON},
		{name: "no type", in: `{"id":1}`, wantErr: ErrMissingType},
		{name: "wrong id type", in: `{"type":"enter","id":"x"}`, wantErr: ErrNotJSON},
		{name: "ping", in: `{"type":"ping"}`, want: Message{Type: "ping"}},
		{name: "request", in: `{"type":"exit","id":7}`, want: Message{Type: "exit", ID: 7}},
		{name: "unknown fields ignored", in: `{"type":"ping","x":1}`, want: Message{Type: "ping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (got.Type != tt.want.Type || got.ID != tt.want.ID) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	in := EnterRequest{SDKAppID: 1400000001, UserID: "alice", UserSig: "sig", RoomID: 1234, Role: 20, Scene: 1}
	frame := MustEncode(TypeEnter, 3, 0, "", in)
	m, err := Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	var out EnterRequest
	if err := DecodeData(m, &out); err != nil {
		t.Fatal(err)
	}
	if out != in || m.ID != 3 || m.Type != TypeEnter {
		t.Fatalf("round trip: %+v %+v", m, out)
	}
	if err := DecodeData(Message{Type: "enter"}, &out); err == nil {
		t.Fatal("missing data accepted")
	}
}

// FuzzDecode checks that no frame makes the decoder panic, and that whatever
// decodes re-encodes to a frame that decodes to the same message.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"type":"enter","id":1,"data":{"sdkAppId":1,"userId":"a","userSig":"s","roomId":1}}`))
	f.Add([]byte(`{"type":"ping"}`))
	f.Add([]byte(`{"type":"exit","id":4294967295}`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, err := Decode(frame)
		if err != nil {
			return
		}
		var req EnterRequest
		_ = DecodeData(m, &req)
		var sw SwitchRoleRequest
		_ = DecodeData(m, &sw)
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := Decode(again)
		if err != nil || m2.Type != m.Type || m2.ID != m.ID || m2.Code != m.Code {
			t.Fatalf("re-decode: %v %+v %+v", err, m, m2)
		}
	})
}
