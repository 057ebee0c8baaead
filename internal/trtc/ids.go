package trtc

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// SDKAppID identifies an application.
type SDKAppID uint32

// UserID is a TRTC userId.
type UserID string

// Limits of identifiers (trtc-reference §2.1).
const (
	MaxRoomID       = 4294967294
	MaxStrRoomIDLen = 64
	MaxUserIDLen    = 32
	MaxStreamIDLen  = 64
)

// RoomKey names a room within an app. Numeric and string rooms are separate
// namespaces: {Num: 123} and {Str: "123"} are different rooms. Exactly one of
// Num and Str is set in a valid key.
type RoomKey struct {
	App SDKAppID
	Num uint32
	Str string
}

// IsStr reports whether the key names a string room.
func (k RoomKey) IsStr() bool { return k.Num == 0 }

// ID returns the room id as the client wrote it: the decimal number or the string.
func (k RoomKey) ID() string {
	if k.Num != 0 {
		return strconv.FormatUint(uint64(k.Num), 10)
	}
	return k.Str
}

func (k RoomKey) String() string {
	if k.Num != 0 {
		return strconv.FormatUint(uint64(k.App), 10) + "/" + k.ID()
	}
	return strconv.FormatUint(uint64(k.App), 10) + "/s:" + k.Str
}

// Errors of identifier validation.
var (
	ErrRoomIDMissing    = errors.New("trtc: neither roomId nor strRoomId is set")
	ErrRoomIDRange      = errors.New("trtc: roomId out of range 1..4294967294")
	ErrStrRoomIDLength  = errors.New("trtc: strRoomId longer than 64 bytes")
	ErrStrRoomIDCharset = errors.New("trtc: strRoomId has a character outside the 89 allowed")
	ErrUserIDEmpty      = errors.New("trtc: userId is empty")
	ErrUserIDInvalid    = errors.New("trtc: userId longer than 32 bytes or not [a-zA-Z0-9_-]")
)

// strRoomIDChars marks the 89 characters allowed in strRoomId:
// a-z A-Z 0-9, space and ! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ { } | ~ ,
var strRoomIDChars = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range " !#$%&()+-:;<=.>?@[]^_{}|~," {
		t[c] = true
	}
	return t
}()

// NewRoomKey applies TRTC's rule for the two room id fields: a non-zero roomId
// wins; otherwise strRoomId must be a valid string room id. roomId is given as
// uint64 so that values beyond uint32 are reported, not truncated.
func NewRoomKey(app SDKAppID, roomID uint64, strRoomID string) (RoomKey, error) {
	if roomID != 0 {
		if roomID > MaxRoomID {
			return RoomKey{}, ErrRoomIDRange
		}
		return RoomKey{App: app, Num: uint32(roomID)}, nil
	}
	if strRoomID == "" {
		return RoomKey{}, ErrRoomIDMissing
	}
	if err := ValidateStrRoomID(strRoomID); err != nil {
		return RoomKey{}, err
	}
	return RoomKey{App: app, Str: strRoomID}, nil
}

// ValidateStrRoomID checks length (≤64 bytes) and the 89-character set.
func ValidateStrRoomID(s string) error {
	if len(s) > MaxStrRoomIDLen {
		return ErrStrRoomIDLength
	}
	for i := 0; i < len(s); i++ {
		if !strRoomIDChars[s[i]] {
			return ErrStrRoomIDCharset
		}
	}
	return nil
}

// ValidateUserID checks a userId: non-empty, at most 32 bytes of
// [a-zA-Z0-9_-] — the charset and limit the UserSig tools document.
func ValidateUserID(s string) error {
	if s == "" {
		return ErrUserIDEmpty
	}
	if len(s) > MaxUserIDLen || !utf8.ValidString(s) {
		return ErrUserIDInvalid
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return ErrUserIDInvalid
		}
	}
	return nil
}
