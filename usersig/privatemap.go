package usersig

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Privilege bits of a PrivateMapKey (trtc-reference §6.3). They are
// enforced only for applications with "advanced permission control".
const (
	PrivCreateRoom    uint32 = 1   // create the room by entering it first
	PrivEnterRoom     uint32 = 2   // enter the room once it exists
	PrivSendAudio     uint32 = 4   // publish audio
	PrivRecvAudio     uint32 = 8   // play others' audio
	PrivSendVideo     uint32 = 16  // publish the big (and small) video stream
	PrivRecvVideo     uint32 = 32  // play others' video
	PrivSendSubStream uint32 = 64  // publish the substream (screen sharing)
	PrivRecvSubStream uint32 = 128 // play others' substream
	PrivAll           uint32 = 255 // every privilege above
)

// Versions of the userbuf layout, which say what kind of room the key is for.
const (
	PrivateMapNumericRoom uint8 = 0 // RoomID is set
	PrivateMapStringRoom  uint8 = 1 // StrRoomID is set
)

// A PrivateMap is the permission blob a PrivateMapKey carries in its
// TLS.userbuf (trtc-reference §6.3).
type PrivateMap struct {
	// Version is PrivateMapNumericRoom or PrivateMapStringRoom.
	Version uint8
	// UserID is the user the permissions are for.
	UserID string
	// SDKAppID is the application the permissions are for.
	SDKAppID uint32
	// RoomID is the numeric room (dwAuthID); 0 for a string room.
	RoomID uint32
	// StrRoomID is the string room; empty for a numeric room.
	StrRoomID string
	// ExpireAt is the absolute expiry, to the second: issue time plus the
	// lifetime. The key is valid up to and including this second.
	ExpireAt time.Time
	// Privileges is the privilege bitmap (Priv* constants).
	Privileges uint32
	// AccountType is always 0 in keys made by TLSSigAPIv2.
	AccountType uint32
}

// Allows reports whether every bit in bits is granted.
func (p *PrivateMap) Allows(bits uint32) bool {
	return p != nil && p.Privileges&bits == bits
}

// MatchesRoom reports whether the key is for the room a user enters. As in
// TRTCParams, a non-zero roomID names a numeric room and wins over
// strRoomID. Numeric and string rooms are distinct namespaces: a key for
// room 123 does not open room "123", and the reverse.
func (p *PrivateMap) MatchesRoom(roomID uint32, strRoomID string) bool {
	if p == nil {
		return false
	}
	if roomID != 0 {
		return p.Version == PrivateMapNumericRoom && p.RoomID == roomID
	}
	return strRoomID != "" && p.Version == PrivateMapStringRoom && p.StrRoomID == strRoomID
}

// Fixed part of the userbuf: version, userid length, then after the userid
// sdkappid, room id, expiry, privileges and account type (4 bytes each).
const (
	userBufHead  = 1 + 2
	userBufFixed = userBufHead + 5*4
)

// encode lays the permissions out as a userbuf (trtc-reference §6.3,
// big-endian integers). The caller has checked the lengths fit in 16 bits.
func (p *PrivateMap) encode() []byte {
	n := userBufFixed + len(p.UserID)
	if p.Version == PrivateMapStringRoom {
		n += 2 + len(p.StrRoomID)
	}
	b := make([]byte, 0, n)
	b = append(b, p.Version)
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.UserID)))
	b = append(b, p.UserID...)
	b = binary.BigEndian.AppendUint32(b, p.SDKAppID)
	b = binary.BigEndian.AppendUint32(b, p.RoomID)
	b = binary.BigEndian.AppendUint32(b, uint32(p.ExpireAt.Unix()))
	b = binary.BigEndian.AppendUint32(b, p.Privileges)
	b = binary.BigEndian.AppendUint32(b, p.AccountType)
	if p.Version == PrivateMapStringRoom {
		b = binary.BigEndian.AppendUint16(b, uint16(len(p.StrRoomID)))
		b = append(b, p.StrRoomID...)
	}
	return b
}

// decodePrivateMap parses a userbuf. The layout has no slack: the buffer
// must end where the fields end.
func decodePrivateMap(b []byte) (*PrivateMap, error) {
	bad := func(format string, args ...any) (*PrivateMap, error) {
		return nil, fmt.Errorf("%w: userbuf: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if len(b) < userBufFixed {
		return bad("%d bytes, shorter than the %d-byte minimum", len(b), userBufFixed)
	}
	p := &PrivateMap{Version: b[0]}
	if p.Version != PrivateMapNumericRoom && p.Version != PrivateMapStringRoom {
		return bad("unknown version %d", p.Version)
	}
	n := int(binary.BigEndian.Uint16(b[1:]))
	if len(b) < userBufFixed+n {
		return bad("user id of %d bytes overruns the %d-byte buffer", n, len(b))
	}
	p.UserID = string(b[userBufHead : userBufHead+n])
	rest := b[userBufHead+n:]
	p.SDKAppID = binary.BigEndian.Uint32(rest)
	p.RoomID = binary.BigEndian.Uint32(rest[4:])
	p.ExpireAt = time.Unix(int64(binary.BigEndian.Uint32(rest[8:])), 0).UTC()
	p.Privileges = binary.BigEndian.Uint32(rest[12:])
	p.AccountType = binary.BigEndian.Uint32(rest[16:])
	rest = rest[20:]
	if p.Version == PrivateMapStringRoom {
		if len(rest) < 2 {
			return bad("string room length missing")
		}
		m := int(binary.BigEndian.Uint16(rest))
		rest = rest[2:]
		if m == 0 || m > len(rest) {
			return bad("string room of %d bytes in %d remaining", m, len(rest))
		}
		p.StrRoomID = string(rest[:m])
		rest = rest[m:]
	}
	if len(rest) != 0 {
		return bad("%d trailing bytes", len(rest))
	}
	return p, nil
}

// GenPrivateMapKey returns a PrivateMapKey granting userID the privileges in
// privilegeMap (Priv* bits) in numeric room roomID, valid for expireSeconds
// from now. It must be used together with a UserSig for the same user.
func GenPrivateMapKey(sdkAppID uint32, key, userID string, expireSeconds int, roomID uint32, privilegeMap uint32) (string, error) {
	return GenPrivateMapKeyAt(sdkAppID, key, userID, expireSeconds, roomID, privilegeMap, time.Now())
}

// GenPrivateMapKeyAt is GenPrivateMapKey issuing the key at now.
// roomID 0 is refused: it means "no numeric room" in TRTC.
func GenPrivateMapKeyAt(sdkAppID uint32, key, userID string, expireSeconds int, roomID uint32, privilegeMap uint32, now time.Time) (string, error) {
	if roomID == 0 {
		return "", fmt.Errorf("%w: room id 0", ErrInvalidArgument)
	}
	return genPrivateMapKey(sdkAppID, key, userID, expireSeconds, now, &PrivateMap{
		Version:    PrivateMapNumericRoom,
		RoomID:     roomID,
		Privileges: privilegeMap,
	})
}

// GenPrivateMapKeyWithStringRoomID is GenPrivateMapKey for string room
// roomStr.
func GenPrivateMapKeyWithStringRoomID(sdkAppID uint32, key, userID string, expireSeconds int, roomStr string, privilegeMap uint32) (string, error) {
	return GenPrivateMapKeyWithStringRoomIDAt(sdkAppID, key, userID, expireSeconds, roomStr, privilegeMap, time.Now())
}

// GenPrivateMapKeyWithStringRoomIDAt is GenPrivateMapKeyWithStringRoomID
// issuing the key at now. An empty roomStr is refused: TLSSigAPIv2 would
// silently produce a key for numeric room 0.
func GenPrivateMapKeyWithStringRoomIDAt(sdkAppID uint32, key, userID string, expireSeconds int, roomStr string, privilegeMap uint32, now time.Time) (string, error) {
	if roomStr == "" {
		return "", fmt.Errorf("%w: empty string room id", ErrInvalidArgument)
	}
	if len(roomStr) > math.MaxUint16 {
		return "", fmt.Errorf("%w: string room id longer than %d bytes", ErrInvalidArgument, math.MaxUint16)
	}
	return genPrivateMapKey(sdkAppID, key, userID, expireSeconds, now, &PrivateMap{
		Version:    PrivateMapStringRoom,
		StrRoomID:  roomStr,
		Privileges: privilegeMap,
	})
}

// genPrivateMapKey completes p with the user, application and expiry, and
// signs it as a ticket issued at now. The inner and outer expiry use the same
// clock reading (TLSSigAPIv2 reads the clock twice).
func genPrivateMapKey(sdkAppID uint32, key, userID string, expireSeconds int, now time.Time, p *PrivateMap) (string, error) {
	if len(userID) > math.MaxUint16 {
		return "", fmt.Errorf("%w: user id longer than %d bytes", ErrInvalidArgument, math.MaxUint16)
	}
	if expireSeconds > 0 && int64(expireSeconds) > math.MaxUint32-now.Unix() {
		return "", fmt.Errorf("%w: an expiry after 2106 does not fit the userbuf", ErrInvalidArgument)
	}
	p.UserID = userID
	p.SDKAppID = sdkAppID
	p.ExpireAt = time.Unix(now.Unix()+int64(expireSeconds), 0).UTC()
	return generate(sdkAppID, key, userID, expireSeconds, now, p.encode(), compressionLevel)
}

// ParsePrivateMapKey verifies a PrivateMapKey and returns its permissions.
//
// It first verifies the ticket as VerifyUserSig does (ErrMalformed,
// ErrSDKAppIDMismatch, ErrIdentifierMismatch, ErrExpired, ErrBadSignature),
// except that the ticket must carry a userbuf (else ErrUserBufMismatch).
// Then it decodes the userbuf (ErrMalformed), checks that its SDKAppID and
// user match too, and that its own absolute expiry has not passed
// (ErrPrivateMapKeyExpired). The caller checks the room with MatchesRoom and
// the privileges with Allows.
func ParsePrivateMapKey(sdkAppID uint32, key, userID, privateMapKey string, now time.Time) (*PrivateMap, error) {
	t, err := Decode(privateMapKey)
	if err != nil {
		return nil, err
	}
	err = t.verify(sdkAppID, key, userID, now, func(buf []byte) error {
		if buf == nil {
			return fmt.Errorf("%w: the ticket has no userbuf, it is not a PrivateMapKey", ErrUserBufMismatch)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p, err := decodePrivateMap(t.UserBuf)
	if err != nil {
		return nil, err
	}
	if p.SDKAppID != sdkAppID {
		return nil, fmt.Errorf("%w: the userbuf is for %d, not %d", ErrSDKAppIDMismatch, p.SDKAppID, sdkAppID)
	}
	if p.UserID != userID {
		return nil, fmt.Errorf("%w: the userbuf is for user %q, not %q", ErrIdentifierMismatch, p.UserID, userID)
	}
	if now.Unix() > p.ExpireAt.Unix() {
		return nil, fmt.Errorf("%w at %s", ErrPrivateMapKeyExpired, p.ExpireAt.Format(time.RFC3339))
	}
	return p, nil
}
