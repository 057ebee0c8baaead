package whip

import (
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// sdpOf builds an offer: session lines, then one section per
// "kind direction" pair.
func sdpOf(sections ...string) string {
	b := "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
	for i, s := range sections {
		kind, dir, _ := strings.Cut(s, " ")
		pt := "111"
		codec := "opus/48000/2"
		if kind == "video" {
			pt, codec = "96", "VP8/90000"
		}
		b += "m=" + kind + " 9 UDP/TLS/RTP/SAVPF " + pt + "\r\nc=IN IP4 0.0.0.0\r\n" +
			"a=mid:" + string(rune('0'+i)) + "\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n" +
			"a=fingerprint:sha-256 00:11\r\na=setup:actpass\r\na=" + dir + "\r\na=rtpmap:" + pt + " " + codec + "\r\n" +
			"a=msid:stream " + kind + "-track\r\na=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
	}
	return b
}

func TestInspectOffer(t *testing.T) {
	info, err := inspectOffer(sdpOf("audio sendonly", "video sendonly"), true)
	if err != nil {
		t.Fatal(err)
	}
	if !info.audio || !info.video || info.ufrag != "abcd" || info.pwd == "" || len(info.videoTrackIDs) != 1 || info.videoTrackIDs[0] != "video-track" {
		t.Fatalf("info = %+v", info)
	}
	if info, err := inspectOffer(sdpOf("video recvonly"), false); err != nil || info.audio || !info.video {
		t.Fatalf("player offer: %+v %v", info, err)
	}
	if _, err := inspectOffer(sdpOf("audio sendrecv"), false); err != nil {
		t.Fatalf("sendrecv player: %v", err)
	}
	for _, tc := range []struct {
		name    string
		sdp     string
		publish bool
		want    string
	}{
		{"garbage", "this is not SDP", true, "malformed"},
		{"no media", sdpOf(), true, "no audio or video"},
		{"two audio", sdpOf("audio sendonly", "audio sendonly"), true, "more than one audio"},
		{"publisher receiving", sdpOf("video recvonly"), true, "recvonly"},
		{"player sending", sdpOf("video sendonly"), false, "sendonly"},
		{"inactive", sdpOf("video inactive"), false, "inactive"},
		{"no credentials", strings.ReplaceAll(sdpOf("audio sendonly"), "a=ice-ufrag:abcd\r\n", ""), true, "ICE credentials"},
	} {
		if _, err := inspectOffer(tc.sdp, tc.publish); !errors.Is(err, ErrBadOffer) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestRestartOfferAndAnswerFragment(t *testing.T) {
	next, err := restartOffer(sdpOf("audio sendonly", "video sendonly"), "wxyz", "9876543210987654321098")
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"a=ice-ufrag:abcd", "a=candidate:", "o=- 42 2 "} {
		if strings.Contains(next, gone) {
			t.Errorf("restarted offer still has %q:\n%s", gone, next)
		}
	}
	if strings.Count(next, "a=ice-ufrag:wxyz") != 2 || !strings.Contains(next, "o=- 42 3 ") || !strings.Contains(next, "a=rtpmap:96 VP8/90000") {
		t.Errorf("restarted offer:\n%s", next)
	}

	f, err := answerFragment(sdpOf("audio sendonly", "video sendonly"))
	if err != nil {
		t.Fatal(err)
	}
	if f.ICEUfrag != "abcd" || len(f.Media) != 1 || f.Media[0].Mid != "0" || len(f.Media[0].Candidates) != 1 || !f.Media[0].EndOfCandidates {
		t.Fatalf("fragment = %+v", f)
	}
	if _, err := ParseFragment([]byte(f.Marshal())); err != nil {
		t.Fatalf("the server's fragment does not parse: %v\n%s", err, f.Marshal())
	}
}

type fakeApps map[trtc.SDKAppID]App

func (a fakeApps) Lookup(id trtc.SDKAppID) (App, bool) { x, ok := a[id]; return x, ok }

func TestAuthorize(t *testing.T) {
	const app, secret = 1400000001, "k3y"
	apps := fakeApps{app: {SDKAppID: app, Secret: secret}, 1400000002: {SDKAppID: 1400000002, Secret: secret, PrivilegeCheck: true}}
	now := time.Unix(1_800_000_000, 0)
	pmk := func(appID uint32, user string, room uint32, str string) string {
		var tok string
		var err error
		if str != "" {
			tok, err = usersig.GenPrivateMapKeyWithStringRoomIDAt(appID, secret, user, 600, str, 255, now)
		} else {
			tok, err = usersig.GenPrivateMapKeyAt(appID, secret, user, 600, room, 255, now)
		}
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	try := func(target, auth string, at time.Time) (*grant, *httpError) {
		r := httptest.NewRequest("POST", target, nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return authorize(r, apps, at)
	}

	g, herr := try("/whip", "Bearer "+pmk(app, "obs", 7, ""), now)
	if herr != nil || g.user != "obs" || g.room != (trtc.RoomKey{App: app, Num: 7}) || g.privileges != nil {
		t.Fatalf("numeric room: %+v %v", g, herr)
	}
	g, herr = try("/whip?strRoomId=live%20one&userId=obs&sdkAppId=1400000002", "bearer  "+pmk(1400000002, "obs", 0, "live one"), now)
	if herr != nil || g.room != (trtc.RoomKey{App: 1400000002, Str: "live one"}) || g.privileges == nil || *g.privileges != 255 {
		t.Fatalf("string room with privileges: %+v %v", g, herr)
	}
	sig, _ := usersig.GenUserSigAt(app, secret, "obs", 600, now)
	for _, tc := range []struct {
		name, target, auth string
		at                 time.Time
		status, code       int
	}{
		{"none", "/whip", "", now, 401, trtc.ErrInvalidUserSig},
		{"basic", "/whip", "Basic b2JzOng=", now, 401, trtc.ErrInvalidUserSig},
		{"expired", "/whip", "Bearer " + pmk(app, "obs", 7, ""), now.Add(time.Hour), 401, trtc.ErrUserSigCheckFailed},
		{"user sig", "/whip", "Bearer " + sig, now, 401, trtc.ErrInvalidPrivateMapKey},
		{"unknown app", "/whip", "Bearer " + pmk(1400000003, "obs", 7, ""), now, 401, trtc.ErrSDKAppIDServer},
		{"too long", "/whip", "Bearer " + strings.Repeat("x", usersig.MaxTicketLen+1), now, 401, trtc.ErrUserSigCheckFailed},
		{"other user", "/whip?userId=eve", "Bearer " + pmk(app, "obs", 7, ""), now, 401, trtc.ErrUserSigCheckFailed},
		{"other room", "/whip?roomId=8", "Bearer " + pmk(app, "obs", 7, ""), now, 401, trtc.ErrInvalidPrivateMapKey},
		{"string vs numeric", "/whip?strRoomId=7", "Bearer " + pmk(app, "obs", 7, ""), now, 401, trtc.ErrInvalidPrivateMapKey},
		{"bad room id", "/whip?roomId=0", "Bearer " + pmk(app, "obs", 7, ""), now, 400, trtc.ErrInvalidRoomID},
		{"bad app id", "/whip?sdkAppId=x", "Bearer " + pmk(app, "obs", 7, ""), now, 400, trtc.ErrInvalidSDKAppID},
	} {
		if _, herr := try(tc.target, tc.auth, tc.at); herr == nil || herr.status != tc.status || herr.code != tc.code {
			t.Errorf("%s: %v, want %d / %d", tc.name, herr, tc.status, tc.code)
		}
	}
}

// FuzzInspectOffer: any body is refused with ErrBadOffer or described
// within the endpoints' rules, for both directions.
func FuzzInspectOffer(f *testing.F) {
	f.Add(sdpOf("audio sendonly", "video sendonly"))
	f.Add(sdpOf("video recvonly"))
	f.Add("v=0\r\nm=video 0 RTP/AVP 96\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		for _, publish := range []bool{true, false} {
			info, err := inspectOffer(text, publish)
			if err != nil {
				if !errors.Is(err, ErrBadOffer) {
					t.Fatalf("error %v does not wrap ErrBadOffer", err)
				}
				continue
			}
			if !info.audio && !info.video || info.ufrag == "" || info.pwd == "" {
				t.Fatalf("accepted offer without media or credentials: %+v", info)
			}
		}
	})
}

func TestICEServerLinks(t *testing.T) {
	got := iceServerLinks([]ICEServer{
		{URLs: []string{"turn:a:3478?transport=udp", "turns:a:443?transport=tcp"}, Username: `1700000000:u"1\`, Credential: "p/w="},
		{URLs: []string{"stun:a:3478"}},
	})
	want := []string{
		`<turn:a:3478?transport=udp>; rel="ice-server"; username="1700000000:u\"1\\"; credential="p/w="; credential-type="password"`,
		`<turns:a:443?transport=tcp>; rel="ice-server"; username="1700000000:u\"1\\"; credential="p/w="; credential-type="password"`,
		`<stun:a:3478>; rel="ice-server"`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
