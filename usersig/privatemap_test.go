package usersig

import (
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	// vecUserBufHex is the userbuf of trtc-reference §6.3: user "xiaojun",
	// SDKAppID 1400000000, room 10000, expiry 1700086400, privileges 255.
	vecUserBufHex = "0000077869616f6a756e53724e000000271065554280000000ff00000000"

	// vecStrUserBufHex is the same for string room "room-1", privileges 42.
	vecStrUserBufHex = "0100077869616f6a756e53724e0000000000655542800000002a000000000006726f6f6d2d31"

	// pyPrivateMapKey is GenPrivateMapKeyWithStringRoomID's ticket for
	// vecStrUserBufHex, issued at vecTime for 86400 s, made by the Python
	// implementation of §6.1 used for pyUserSig (zlib level 9).
	pyPrivateMapKey = "eNqrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpQJlLMxM4IIlmbkgIUNzNMWlxalFSaVpICscAx09Ut1zMpKMCgyTcvwqQ9IdwSAqLMwZzHTOd4SKVCYZWZb4hLjawt2TmQ4yIqi8qNInMDMr398t3Cwt3Tys0Ckkv8K10jS5LNCgwCi7IsI0OVvbr8gpyNNWqRYAqyZI2g__"
)

func TestUserBufVectors(t *testing.T) {
	tests := []struct {
		name string
		p    PrivateMap
		hex  string
	}{
		{"numeric room", PrivateMap{Version: PrivateMapNumericRoom, UserID: vecUser, SDKAppID: vecApp, RoomID: 10000,
			ExpireAt: time.Unix(1700086400, 0).UTC(), Privileges: PrivAll}, vecUserBufHex},
		{"string room", PrivateMap{Version: PrivateMapStringRoom, UserID: vecUser, SDKAppID: vecApp, StrRoomID: "room-1",
			ExpireAt: time.Unix(1700086400, 0).UTC(), Privileges: PrivEnterRoom | PrivRecvAudio | PrivRecvVideo}, vecStrUserBufHex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(tt.p.encode()); got != tt.hex {
				t.Fatalf("encode =\n%s\nwant\n%s", got, tt.hex)
			}
			b, _ := hex.DecodeString(tt.hex)
			p, err := decodePrivateMap(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*p, tt.p) {
				t.Fatalf("decode = %+v, want %+v", *p, tt.p)
			}
		})
	}
}

func TestGenPrivateMapKeyUserBuf(t *testing.T) {
	pmk, err := GenPrivateMapKeyAt(vecApp, vecKey, vecUser, vecExpire, 10000, PrivAll, vecNow)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := Decode(pmk)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(tk.UserBuf); got != vecUserBufHex {
		t.Fatalf("userbuf = %s, want %s", got, vecUserBufHex)
	}
	spmk, err := GenPrivateMapKeyWithStringRoomIDAt(vecApp, vecKey, vecUser, vecExpire, "room-1", 42, vecNow)
	if err != nil {
		t.Fatal(err)
	}
	if tk, _ = Decode(spmk); hex.EncodeToString(tk.UserBuf) != vecStrUserBufHex {
		t.Fatalf("string-room userbuf = %x, want %s", tk.UserBuf, vecStrUserBufHex)
	}
	// A key made by another implementation parses to the same permissions.
	p, err := ParsePrivateMapKey(vecApp, vecKey, vecUser, pyPrivateMapKey, vecNow)
	if err != nil {
		t.Fatalf("Python-made key: %v", err)
	}
	q, err := ParsePrivateMapKey(vecApp, vecKey, vecUser, spmk, vecNow)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, q) {
		t.Fatalf("Python-made key = %+v, ours = %+v", p, q)
	}
}

func TestParsePrivateMapKey(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name      string
		gen       func() (string, error)
		want      PrivateMap
		matches   [][2]any // rooms (uint32, string) the key opens
		unmatches [][2]any // rooms it does not
	}{
		{
			name: "numeric room",
			gen: func() (string, error) {
				return GenPrivateMapKeyAt(1400000001, "secret", "alice", 3600, 1234, PrivEnterRoom|PrivSendAudio, now)
			},
			want: PrivateMap{Version: PrivateMapNumericRoom, UserID: "alice", SDKAppID: 1400000001, RoomID: 1234,
				ExpireAt: time.Unix(now.Unix()+3600, 0).UTC(), Privileges: PrivEnterRoom | PrivSendAudio},
			matches:   [][2]any{{uint32(1234), ""}, {uint32(1234), "1234"}},
			unmatches: [][2]any{{uint32(0), "1234"}, {uint32(1235), ""}, {uint32(0), ""}},
		},
		{
			name: "string room",
			gen: func() (string, error) {
				return GenPrivateMapKeyWithStringRoomIDAt(1400000001, "secret", "alice", 3600, "1234", PrivAll, now)
			},
			want: PrivateMap{Version: PrivateMapStringRoom, UserID: "alice", SDKAppID: 1400000001, StrRoomID: "1234",
				ExpireAt: time.Unix(now.Unix()+3600, 0).UTC(), Privileges: PrivAll},
			matches:   [][2]any{{uint32(0), "1234"}},
			unmatches: [][2]any{{uint32(1234), ""}, {uint32(1234), "1234"}, {uint32(0), "12345"}, {uint32(0), ""}},
		},
		{
			name: "string room with unusual characters",
			gen: func() (string, error) {
				return GenPrivateMapKeyWithStringRoomIDAt(1400000001, "secret", "alice", 3600, "a b!#$%&()+-:;<=.>?@[]^_{}|~,", 0, now)
			},
			want: PrivateMap{Version: PrivateMapStringRoom, UserID: "alice", SDKAppID: 1400000001, StrRoomID: "a b!#$%&()+-:;<=.>?@[]^_{}|~,",
				ExpireAt: time.Unix(now.Unix()+3600, 0).UTC()},
			matches: [][2]any{{uint32(0), "a b!#$%&()+-:;<=.>?@[]^_{}|~,"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pmk, err := tt.gen()
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParsePrivateMapKey(1400000001, "secret", "alice", pmk, now)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*p, tt.want) {
				t.Fatalf("got %+v, want %+v", *p, tt.want)
			}
			for _, r := range tt.matches {
				if !p.MatchesRoom(r[0].(uint32), r[1].(string)) {
					t.Errorf("MatchesRoom(%v, %q) = false", r[0], r[1])
				}
			}
			for _, r := range tt.unmatches {
				if p.MatchesRoom(r[0].(uint32), r[1].(string)) {
					t.Errorf("MatchesRoom(%v, %q) = true", r[0], r[1])
				}
			}
		})
	}
}

func TestAllows(t *testing.T) {
	p := &PrivateMap{Privileges: 42} // enter, receive audio, receive video
	tests := []struct {
		bits uint32
		want bool
	}{
		{0, true},
		{PrivEnterRoom, true},
		{PrivEnterRoom | PrivRecvAudio | PrivRecvVideo, true},
		{PrivCreateRoom, false},
		{PrivEnterRoom | PrivSendAudio, false},
		{PrivAll, false},
	}
	for _, tt := range tests {
		if got := p.Allows(tt.bits); got != tt.want {
			t.Errorf("Allows(%d) = %v, want %v", tt.bits, got, tt.want)
		}
	}
	if (*PrivateMap)(nil).Allows(0) || (*PrivateMap)(nil).MatchesRoom(1, "") {
		t.Error("a nil PrivateMap allows nothing")
	}
}

// signUserBuf returns a correctly signed ticket for the vector user and app
// carrying an arbitrary userbuf, valid for a day from vecNow.
func signUserBuf(t testing.TB, userbuf []byte) string {
	t.Helper()
	s, err := generate(vecApp, vecKey, vecUser, vecExpire, vecNow, userbuf, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParsePrivateMapKeyErrors(t *testing.T) {
	good := PrivateMap{Version: PrivateMapNumericRoom, UserID: vecUser, SDKAppID: vecApp, RoomID: 10000,
		ExpireAt: vecNow.Add(time.Hour), Privileges: PrivAll}
	with := func(f func(p *PrivateMap)) string {
		p := good
		f(&p)
		return signUserBuf(t, p.encode())
	}
	pmk, err := GenPrivateMapKeyAt(vecApp, vecKey, vecUser, vecExpire, 10000, PrivAll, vecNow)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pmk  string
		key  string
		user string
		now  time.Time
		want error
	}{
		{name: "not a ticket", pmk: "garbage", want: ErrMalformed},
		{name: "UserSig without userbuf", pmk: vecUserSig, want: ErrUserBufMismatch},
		{name: "userbuf is not a permission blob", pmk: signUserBuf(t, []byte("hello")), want: ErrMalformed},
		{name: "wrong key", pmk: pmk, key: "other", want: ErrBadSignature},
		{name: "other user", pmk: pmk, user: "bob", want: ErrIdentifierMismatch},
		{name: "ticket expired", pmk: pmk, now: vecNow.Add(2 * vecExpire * time.Second), want: ErrExpired},
		{name: "userbuf for another app", pmk: with(func(p *PrivateMap) { p.SDKAppID++ }), want: ErrSDKAppIDMismatch},
		{name: "userbuf for another user", pmk: with(func(p *PrivateMap) { p.UserID = "bob" }), want: ErrIdentifierMismatch},
		{name: "userbuf expired before the ticket", pmk: with(func(p *PrivateMap) { p.ExpireAt = vecNow.Add(-time.Second) }), want: ErrPrivateMapKeyExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, user, now := vecKey, vecUser, vecNow
			if tt.key != "" {
				key = tt.key
			}
			if tt.user != "" {
				user = tt.user
			}
			if !tt.now.IsZero() {
				now = tt.now
			}
			p, err := ParsePrivateMapKey(vecApp, key, user, tt.pmk, now)
			if !errors.Is(err, tt.want) || p != nil {
				t.Fatalf("ParsePrivateMapKey = %v, %v; want %v", p, err, tt.want)
			}
		})
	}

	// The inner expiry is inclusive, like the outer one.
	last := with(func(p *PrivateMap) { p.ExpireAt = vecNow })
	if _, err := ParsePrivateMapKey(vecApp, vecKey, vecUser, last, vecNow); err != nil {
		t.Fatalf("at the last valid second: %v", err)
	}
}

func TestDecodePrivateMapLayout(t *testing.T) {
	vec, _ := hex.DecodeString(vecUserBufHex)
	svec, _ := hex.DecodeString(vecStrUserBufHex)
	tests := []struct {
		name string
		buf  []byte
	}{
		{"empty", nil},
		{"one byte short", vec[:len(vec)-1]},
		{"one byte long", append(append([]byte{}, vec...), 0)},
		{"unknown version", append([]byte{2}, vec[1:]...)},
		{"user id overruns", append([]byte{0, 0xff, 0xff}, vec[3:]...)},
		{"numeric version with string room", append([]byte{0}, svec[1:]...)},
		{"string version without room length", append([]byte{1}, vec[1:]...)},
		{"string room overruns", svec[:len(svec)-1]},
		{"string room empty", append(append([]byte{1}, vec[1:]...), 0, 0)},
		{"string room trailing byte", append(append([]byte{}, svec...), 'x')},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p, err := decodePrivateMap(tt.buf); !errors.Is(err, ErrMalformed) {
				t.Fatalf("decodePrivateMap = %+v, %v; want ErrMalformed", p, err)
			}
		})
	}
}

func TestGenPrivateMapKeyInvalidArguments(t *testing.T) {
	tests := []struct {
		name string
		gen  func() (string, error)
	}{
		{"room 0", func() (string, error) { return GenPrivateMapKeyAt(1, "k", "u", 60, 0, PrivAll, vecNow) }},
		{"empty string room", func() (string, error) {
			return GenPrivateMapKeyWithStringRoomIDAt(1, "k", "u", 60, "", PrivAll, vecNow)
		}},
		{"string room over 65535 bytes", func() (string, error) {
			return GenPrivateMapKeyWithStringRoomIDAt(1, "k", "u", 60, strings.Repeat("r", 1<<16), PrivAll, vecNow)
		}},
		{"user over 65535 bytes", func() (string, error) {
			return GenPrivateMapKeyAt(1, "k", strings.Repeat("u", 1<<16), 60, 1, PrivAll, vecNow)
		}},
		{"expiry after 2106", func() (string, error) { return GenPrivateMapKeyAt(1, "k", "u", 1<<32, 1, PrivAll, vecNow) }},
		{"zero expiry", func() (string, error) { return GenPrivateMapKeyAt(1, "k", "u", 0, 1, PrivAll, vecNow) }},
		{"empty user", func() (string, error) { return GenPrivateMapKeyAt(1, "k", "", 60, 1, PrivAll, vecNow) }},
		{"zero SDKAppID", func() (string, error) { return GenPrivateMapKeyAt(0, "k", "u", 60, 1, PrivAll, vecNow) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.gen(); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("got %v, want ErrInvalidArgument", err)
			}
		})
	}
}

func TestTicketPrivateMap(t *testing.T) {
	tk, err := Decode(pyPrivateMapKey)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tk.PrivateMap()
	if err != nil || p.StrRoomID != "room-1" || p.Privileges != 42 {
		t.Fatalf("PrivateMap = %+v, %v", p, err)
	}
	tk, _ = Decode(vecUserSig)
	if _, err := tk.PrivateMap(); !errors.Is(err, ErrUserBufMismatch) {
		t.Fatalf("PrivateMap of a UserSig: %v", err)
	}
}
