package relay

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

var testSecret = []byte("0123456789abcdef-test")

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestVerify(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	room := trtc.RoomKey{App: 1400000001, Num: 42}
	other := trtc.RoomKey{App: 1400000001, Str: "forty-two"}
	tests := []struct {
		name   string
		header func() http.Header
		room   trtc.RoomKey
		want   error
	}{
		{"valid", func() http.Header { return signHeaders(testSecret, "edge-1", room, start) }, room, nil},
		{"valid, clock 29s ahead", func() http.Header { return signHeaders(testSecret, "edge-1", room, start.Add(29*time.Second)) }, room, nil},
		{"stale", func() http.Header { return signHeaders(testSecret, "edge-1", room, start.Add(-31*time.Second)) }, room, ErrAuthStale},
		{"from the future", func() http.Header { return signHeaders(testSecret, "edge-1", room, start.Add(time.Minute)) }, room, ErrAuthStale},
		{"wrong secret", func() http.Header { return signHeaders([]byte("another secret, 16+"), "edge-1", room, start) }, room, ErrAuthForged},
		{"signed for another room", func() http.Header { return signHeaders(testSecret, "edge-1", other, start) }, room, ErrAuthForged},
		{"node renamed", func() http.Header {
			h := signHeaders(testSecret, "edge-1", room, start)
			h.Set(HeaderNode, "edge-2")
			return h
		}, room, ErrAuthForged},
		{"time changed", func() http.Header {
			h := signHeaders(testSecret, "edge-1", room, start)
			h.Set(HeaderTime, "1800000001")
			return h
		}, room, ErrAuthForged},
		{"missing signature", func() http.Header {
			h := signHeaders(testSecret, "edge-1", room, start)
			h.Del(HeaderSignature)
			return h
		}, room, ErrAuthMissing},
		{"short nonce", func() http.Header {
			h := signHeaders(testSecret, "edge-1", room, start)
			h.Set(HeaderNonce, "abcd")
			return h
		}, room, ErrAuthMalformed},
		{"upper-case signature", func() http.Header {
			h := signHeaders(testSecret, "edge-1", room, start)
			h.Set(HeaderSignature, strings.ToUpper(h.Get(HeaderSignature)))
			return h
		}, room, ErrAuthMalformed},
		{"time not a number", func() http.Header {
			h := signHeaders(testSecret, "edge-1", room, start)
			h.Set(HeaderTime, "soon")
			return h
		}, room, ErrAuthMalformed},
		{"bad node id", func() http.Header { return signHeaders(testSecret, "edge 1", room, start) }, room, ErrAuthMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(testSecret, (&fakeClock{start}).now)
			node, err := v.verify(tc.header(), tc.room.String())
			if !errors.Is(err, tc.want) {
				t.Fatalf("verify: %v, want %v", err, tc.want)
			}
			if err == nil && node != "edge-1" {
				t.Fatalf("node %q", node)
			}
		})
	}
}

func TestVerifyRefusesReplayAndForgetsOldNonces(t *testing.T) {
	clock := &fakeClock{time.Unix(1_800_000_000, 0)}
	v := newVerifier(testSecret, clock.now)
	room := trtc.RoomKey{App: 1, Num: 1}
	h := signHeaders(testSecret, "edge-1", room, clock.t)
	if _, err := v.verify(h, room.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := v.verify(h, room.String()); !errors.Is(err, ErrAuthReplay) {
		t.Fatalf("replay: %v", err)
	}
	// Nonces expire with the window; the cache does not grow without bound.
	for range MaxNonces / 2 {
		v.seen[string(rune(len(v.seen)))+"x"] = clock.t.Unix() + 60
	}
	clock.t = clock.t.Add(2 * time.Minute)
	if _, err := v.verify(signHeaders(testSecret, "edge-1", room, clock.t), room.String()); err != nil {
		t.Fatal(err)
	}
	if len(v.seen) != 1 {
		t.Fatalf("%d nonces remembered after expiry, want 1", len(v.seen))
	}
}

func TestParseRoomKey(t *testing.T) {
	for _, k := range []trtc.RoomKey{{App: 1400000001, Num: 1}, {App: 7, Num: trtc.MaxRoomID}, {App: 7, Str: "a b:c"}} {
		got, err := ParseRoomKey(k.String())
		if err != nil || got != k {
			t.Fatalf("%q: %v %v", k.String(), got, err)
		}
	}
	for _, s := range []string{"", "1", "0/5", "x/5", "1/0", "1/4294967295", "1/s:", "1/s:é", "1/-3", "1/s:" + strings.Repeat("a", 65)} {
		if _, err := ParseRoomKey(s); !errors.Is(err, ErrBadRoom) {
			t.Fatalf("%q: %v, want ErrBadRoom", s, err)
		}
	}
}

func TestConfigsNeedASecret(t *testing.T) {
	if _, err := NewOrigin(OriginConfig{Secret: []byte("short")}); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("origin: %v", err)
	}
	if _, err := NewEdge(EdgeConfig{Node: "e", Secret: []byte("short")}); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("edge: %v", err)
	}
	if _, err := NewEdge(EdgeConfig{Node: "bad/node", Secret: testSecret}); !errors.Is(err, ErrAuthMalformed) {
		t.Fatalf("edge node id: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	h := signHeaders(testSecret, "edge-1", trtc.RoomKey{App: 1, Num: 1}, now)
	f.Add("edge-1", h.Get(HeaderTime), h.Get(HeaderNonce), h.Get(HeaderSignature), "1/1")
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, node, ts, nonce, sig, room string) {
		v := newVerifier(testSecret, func() time.Time { return now })
		hh := http.Header{}
		hh.Set(HeaderNode, node)
		hh.Set(HeaderTime, ts)
		hh.Set(HeaderNonce, nonce)
		hh.Set(HeaderSignature, sig)
		_, err := v.verify(hh, room)
		if err == nil && sign(testSecret, node, room, now.Unix(), nonce) != sig && ts == h.Get(HeaderTime) {
			t.Fatalf("accepted a wrong signature")
		}
		_, _ = ParseRoomKey(room)
	})
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add([]byte(`{"t":"track","id":"alice/video#big","user":"alice","stream":"video","layer":"big","on":true}`))
	f.Add([]byte(`{"t":"offer","sdp":"v=0"}`))
	f.Add([]byte(`{"t":"member","user":"alice","audio":true}`))
	f.Add([]byte(`{"t":"msg","user":"alice","cmd":2,"seq":1,"data":"aGk="}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMessage(b)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("error %v is not ErrBadMessage", err)
			}
			return
		}
		switch m.T {
		case msgOffer, msgAnswer:
			if m.SDP == "" {
				t.Fatal("accepted an empty SDP")
			}
		default:
			if trtc.ValidateUserID(m.User) != nil {
				t.Fatalf("accepted user %q", m.User)
			}
		}
	})
}

func TestDecodeMessage(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"track", `{"t":"track","id":"a/video#small","user":"a","stream":"video","layer":"small"}`, true},
		{"member", `{"t":"member","user":"a","audio":true,"sub":true}`, true},
		{"left", `{"t":"left","user":"a"}`, true},
		{"custom message", `{"t":"msg","user":"a","cmd":1,"seq":3,"data":"aGk="}`, true},
		{"custom message, bad cmd", `{"t":"msg","user":"a","cmd":11,"data":"aGk="}`, false},
		{"custom message, empty", `{"t":"msg","user":"a","cmd":1}`, false},
		{"custom message, not base64", `{"t":"msg","user":"a","cmd":1,"data":"!!"}`, false},
		{"answer", `{"t":"answer","sdp":"v=0\r\n"}`, true},
		{"unknown kind", `{"t":"hello"}`, false},
		{"bad user", `{"t":"member","user":"a b"}`, false},
		{"no user", `{"t":"left"}`, false},
		{"bad stream", `{"t":"track","id":"x","user":"a","stream":"small"}`, false},
		{"bad layer", `{"t":"track","id":"x","user":"a","stream":"video","layer":"medium"}`, false},
		{"track without id", `{"t":"track","user":"a","stream":"video"}`, false},
		{"offer without sdp", `{"t":"offer"}`, false},
		{"too big", `{"t":"offer","sdp":"` + strings.Repeat("a", MaxMessageBytes) + `"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeMessage([]byte(tc.in))
			if (err == nil) != tc.ok {
				t.Fatalf("decode: %v", err)
			}
		})
	}
}
