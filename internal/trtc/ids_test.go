package trtc

import (
	"errors"
	"strings"
	"testing"
)

func TestNewRoomKey(t *testing.T) {
	tests := []struct {
		name    string
		num     uint64
		str     string
		want    RoomKey
		wantErr error
	}{
		{name: "numeric", num: 1234, want: RoomKey{App: 1, Num: 1234}},
		{name: "numeric wins over string", num: 7, str: "x", want: RoomKey{App: 1, Num: 7}},
		{name: "max numeric", num: 4294967294, want: RoomKey{App: 1, Num: 4294967294}},
		{name: "numeric too large", num: 4294967295, wantErr: ErrRoomIDRange},
		{name: "numeric beyond uint32", num: 1 << 40, wantErr: ErrRoomIDRange},
		{name: "string", str: "meeting-7", want: RoomKey{App: 1, Str: "meeting-7"}},
		{name: "string of digits is a string room", str: "123", want: RoomKey{App: 1, Str: "123"}},
		{name: "every allowed symbol", str: " !#$%&()+-:;<=.>?@[]^_{}|~,", want: RoomKey{App: 1, Str: " !#$%&()+-:;<=.>?@[]^_{}|~,"}},
		{name: "64 bytes", str: strings.Repeat("a", 64), want: RoomKey{App: 1, Str: strings.Repeat("a", 64)}},
		{name: "65 bytes", str: strings.Repeat("a", 65), wantErr: ErrStrRoomIDLength},
		{name: "slash", str: "a/b", wantErr: ErrStrRoomIDCharset},
		{name: "quote", str: `a"b`, wantErr: ErrStrRoomIDCharset},
		{name: "non-ascii", str: "房间", wantErr: ErrStrRoomIDCharset},
		{name: "neither", wantErr: ErrRoomIDMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewRoomKey(1, tt.num, tt.str)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if (RoomKey{App: 1, Num: 123}) == (RoomKey{App: 1, Str: "123"}) {
		t.Fatal("numeric and string rooms share a key")
	}
}

func TestValidateUserID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want error
	}{
		{"simple", "alice", nil},
		{"all classes", "A-z_09", nil},
		{"32 bytes", strings.Repeat("u", 32), nil},
		{"empty", "", ErrUserIDEmpty},
		{"33 bytes", strings.Repeat("u", 33), ErrUserIDInvalid},
		{"space", "a b", ErrUserIDInvalid},
		{"dot", "a.b", ErrUserIDInvalid},
		{"invalid utf8", "\xff", ErrUserIDInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidateUserID(tt.id); !errors.Is(err, tt.want) {
				t.Fatalf("ValidateUserID(%q) = %v, want %v", tt.id, err, tt.want)
			}
		})
	}
}
