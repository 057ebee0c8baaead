package usersig

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// sentinels are every error the package returns.
var sentinels = []error{ErrMalformed, ErrSDKAppIDMismatch, ErrIdentifierMismatch, ErrExpired,
	ErrUserBufMismatch, ErrBadSignature, ErrPrivateMapKeyExpired, ErrInvalidArgument}

func wrapsSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzVerifyUserSig feeds arbitrary tickets to VerifyUserSig and Decode,
// which must not panic and must fail with a sentinel. A ticket that decodes
// re-encodes to the same fields; one that verifies verifies again, also
// re-encoded. Separately, a ticket generated for any user id at any
// compression level verifies.
func FuzzVerifyUserSig(f *testing.F) {
	pmk, _ := GenPrivateMapKeyAt(vecApp, vecKey, vecUser, vecExpire, 10000, PrivAll, vecNow)
	f.Add(vecUserSig, vecUser, 0)
	f.Add(pyUserSig, "用户", 9)
	f.Add(pmk, "a<b>&c", 1)
	f.Add(seal(f, signedDoc(nil, `,"x":[{},null,1e9,"\u0000"]`), 6), "", -1)
	f.Add(seal(f, signedDoc(nil, strings.Repeat("\n", 20000)), 9), "\xff", 6)
	f.Add("", "", 0)
	f.Add("eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUI_", "u", 99)
	f.Fuzz(func(t *testing.T, sig, user string, level int) {
		err := VerifyUserSig(vecApp, vecKey, vecUser, sig, vecNow)
		if err != nil && !wrapsSentinel(err) {
			t.Fatalf("error %v wraps no sentinel", err)
		}
		tk, derr := Decode(sig)
		if derr != nil {
			if !errors.Is(derr, ErrMalformed) {
				t.Fatalf("Decode error %v is not ErrMalformed", derr)
			}
			if err == nil {
				t.Fatalf("VerifyUserSig accepted what Decode rejects: %v", derr)
			}
		} else {
			again, err := tk.encode(zlib.BestCompression)
			if err == nil {
				tk2, err := Decode(again)
				if err != nil {
					t.Fatalf("re-encoded ticket does not decode: %v", err)
				}
				if !reflect.DeepEqual(tk, tk2) {
					t.Fatalf("re-encoding changed %#v to %#v", tk, tk2)
				}
			}
		}
		if err == nil {
			if err := VerifyUserSig(vecApp, vecKey, vecUser, sig, vecNow); err != nil {
				t.Fatalf("verified once, then: %v", err)
			}
			again, err := tk.encode(zlib.BestCompression)
			if err != nil {
				t.Fatalf("a verified ticket does not re-encode: %v", err)
			}
			if err := VerifyUserSig(vecApp, vecKey, vecUser, again, vecNow); err != nil {
				t.Fatalf("re-encoded ticket does not verify: %v", err)
			}
		}

		if level < zlib.HuffmanOnly || level > zlib.BestCompression {
			return
		}
		gen, err := generate(vecApp, vecKey, user, vecExpire, vecNow, nil, level)
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("generate(%q): %v", user, err)
			}
			return
		}
		if err := VerifyUserSig(vecApp, vecKey, user, gen, vecNow); err != nil {
			t.Fatalf("ticket generated for %q at level %d: %v", user, level, err)
		}
	})
}

// FuzzParsePrivateMapKey feeds arbitrary keys to ParsePrivateMapKey, and
// arbitrary userbufs signed with the right key, so that the userbuf parser
// is reached. A userbuf that parses encodes back to the same bytes, and the
// key opens the room it names.
func FuzzParsePrivateMapKey(f *testing.F) {
	vec, _ := hex.DecodeString(vecUserBufHex)
	svec, _ := hex.DecodeString(vecStrUserBufHex)
	pmk, _ := GenPrivateMapKeyAt(vecApp, vecKey, vecUser, vecExpire, 10000, PrivAll, vecNow)
	f.Add(pmk, vec)
	f.Add(pyPrivateMapKey, svec)
	f.Add(vecUserSig, []byte{1, 0, 0})
	f.Add("", []byte(nil))
	f.Fuzz(func(t *testing.T, key string, userbuf []byte) {
		p, err := ParsePrivateMapKey(vecApp, vecKey, vecUser, key, vecNow)
		if err != nil {
			if !wrapsSentinel(err) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
		} else {
			q, err := ParsePrivateMapKey(vecApp, vecKey, vecUser, key, vecNow)
			if err != nil || !reflect.DeepEqual(p, q) {
				t.Fatalf("parsed %+v once, then %+v, %v", p, q, err)
			}
			checkOwnRoom(t, p)
		}

		if len(userbuf) == 0 {
			return
		}
		signed, err := generate(vecApp, vecKey, vecUser, vecExpire, vecNow, userbuf, zlib.NoCompression)
		if err != nil {
			return // too large for a ticket
		}
		p, err = ParsePrivateMapKey(vecApp, vecKey, vecUser, signed, vecNow)
		_, lerr := decodePrivateMap(userbuf)
		switch {
		case err == nil:
			if got := p.encode(); !bytes.Equal(got, userbuf) {
				t.Fatalf("userbuf %x parsed to %+v, which encodes to %x", userbuf, p, got)
			}
			checkOwnRoom(t, p)
		case lerr == nil && errors.Is(err, ErrMalformed):
			t.Fatalf("decodePrivateMap accepts %x but ParsePrivateMapKey says %v", userbuf, err)
		case lerr != nil && !errors.Is(err, ErrMalformed):
			t.Fatalf("decodePrivateMap rejects %x (%v) but ParsePrivateMapKey says %v", userbuf, lerr, err)
		case !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSDKAppIDMismatch) &&
			!errors.Is(err, ErrIdentifierMismatch) && !errors.Is(err, ErrPrivateMapKeyExpired):
			t.Fatalf("signed userbuf %x: unexpected %v", userbuf, err)
		}
	})
}

// checkOwnRoom checks that a parsed key opens its own room and not the
// same-looking room of the other namespace.
func checkOwnRoom(t *testing.T, p *PrivateMap) {
	t.Helper()
	switch p.Version {
	case PrivateMapNumericRoom:
		if p.RoomID != 0 && !p.MatchesRoom(p.RoomID, "") {
			t.Fatalf("%+v does not open its own room", p)
		}
		if p.MatchesRoom(0, "x") {
			t.Fatalf("numeric key %+v opens a string room", p)
		}
	case PrivateMapStringRoom:
		if !p.MatchesRoom(0, p.StrRoomID) {
			t.Fatalf("%+v does not open its own room", p)
		}
		if p.MatchesRoom(1, p.StrRoomID) {
			t.Fatalf("string key %+v opens a numeric room", p)
		}
	default:
		t.Fatalf("parsed an unknown version: %+v", p)
	}
}
