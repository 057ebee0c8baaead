package test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// Every refusal of the WHIP and WHEP endpoints: its status, its TRTC code
// (X-TRTC-Code and the text/plain body) and, for 401, the Bearer challenge.
// Nothing refused leaves a member behind.
func TestWHIPBadInput(t *testing.T) {
	e := NewEnv(t)
	const room = 9201
	alice := e.Join("alice", room, rtc.SceneLive, rtc.RoleAnchor)

	offer := e.newWHIPPublisher("obs", "").offer(false)
	playerOffer := e.newWHEPPlayer("viewer", "").offer(false)
	pcmuOffer := func() string {
		me := &webrtc.MediaEngine{}
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0}, webrtc.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
		pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me)).NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
		o, err := pc.CreateOffer(nil)
		if err != nil {
			t.Fatal(err)
		}
		return o.SDP
	}()
	twoVideos := strings.Replace(offer, "m=video", "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:9\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\nm=video", 1)

	tok := whipToken(t, "obs", room)
	expired, _ := usersig.GenPrivateMapKeyAt(appID, appSecret, "obs", 60, room, usersig.PrivAll, time.Now().Add(-2*time.Hour))
	forged, _ := usersig.GenPrivateMapKey(appID, "not-the-app-secret", "obs", 3600, room, usersig.PrivAll)
	otherApp, _ := usersig.GenPrivateMapKey(1400000999, appSecret, "obs", 3600, room, usersig.PrivAll)
	badUser, _ := usersig.GenPrivateMapKey(appID, appSecret, "bad user!", 3600, room, usersig.PrivAll)
	base := e.Srv.URL()
	const sdp, frag = "application/sdp", "application/trickle-ice-sdpfrag"

	for _, tc := range []struct {
		name                    string
		method, path            string
		token, ctype, body      string
		status, code            int
		reason, wwwAuthenticate string
	}{
		{"no token", "POST", "/whip", "", sdp, offer, 401, -3320, "Authorization", `Bearer realm="rtcengine"`},
		{"not a ticket", "POST", "/whip", "hello", sdp, offer, 401, -100018, "not a UserSig", `error="invalid_token"`},
		{"expired token", "POST", "/whip", expired, sdp, offer, 401, -100018, "expired", `error="invalid_token"`},
		{"plain UserSig", "POST", "/whip", e.Sig("obs"), sdp, offer, 401, -100006, "PrivateMapKey", `error="invalid_token"`},
		{"forged token", "POST", "/whip", forged, sdp, offer, 401, -100018, "rejected", `error="invalid_token"`},
		{"unknown app", "POST", "/whip", otherApp, sdp, offer, 401, -100015, "not configured", `error="invalid_token"`},
		{"invalid userId in token", "POST", "/whip", badUser, sdp, offer, 401, -3319, "userId", `error="invalid_token"`},
		{"another user", "POST", "/whip?userId=eve", tok, sdp, offer, 401, -100018, `not "eve"`, `error="invalid_token"`},
		{"another room", "POST", "/whip?roomId=9202", tok, sdp, offer, 401, -100006, "not 9202", `error="invalid_token"`},
		{"another string room", "POST", "/whip?strRoomId=9201", tok, sdp, offer, 401, -100006, "for room 9201", `error="invalid_token"`},
		{"another app", "POST", "/whip?sdkAppId=1400000002", tok, sdp, offer, 401, -100018, "sdkAppId", `error="invalid_token"`},
		{"non-numeric roomId", "POST", "/whip?roomId=x", tok, sdp, offer, 400, -3318, "roomId", ""},
		{"unknown parameter", "POST", "/whip?room=9201", tok, sdp, offer, 400, -2, "unknown query parameter", ""},
		{"bad scene", "POST", "/whip?scene=party", tok, sdp, offer, 400, -100011, "scene", ""},
		{"bad stream", "POST", "/whip?stream=third", tok, sdp, offer, 400, -2, "stream", ""},
		{"wrong content type", "POST", "/whip", tok, "text/plain", offer, 415, -2, "application/sdp", ""},
		{"no content type", "POST", "/whip", tok, "", offer, 415, -2, "application/sdp", ""},
		{"oversize offer", "POST", "/whip", tok, sdp, offer + strings.Repeat("a=x-padding:0123456789\r\n", 3000), 413, -2, "larger than", ""},
		{"garbage SDP", "POST", "/whip", tok, sdp, "this is not SDP", 400, -2, "malformed SDP", ""},
		{"no media", "POST", "/whip", tok, sdp, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", 400, -2, "no audio or video", ""},
		{"two video sections", "POST", "/whip", tok, sdp, twoVideos, 400, -2, "more than one video", ""},
		{"WHIP offer that receives", "POST", "/whip", tok, sdp, playerOffer, 400, -2, "recvonly", ""},
		{"WHEP offer that sends", "POST", "/whep", whipToken(t, "viewer", room), sdp, offer, 400, -2, "sendonly", ""},
		{"no supported codec", "POST", "/whip", tok, sdp, pcmuOffer, 400, -4, "no supported codec", ""},
		{"WHEP to an unknown room", "POST", "/whep", whipToken(t, "viewer", 9299), sdp, playerOffer, 404, -102005, "does not exist", ""},
		{"WHEP bad anchor", "POST", "/whep?anchor=a%20b", whipToken(t, "viewer", room), sdp, playerOffer, 400, -3319, "anchor", ""},
		{"PATCH unknown resource", "PATCH", "/whip/0123456789abcdef0123456789abcdef", "", frag, "a=end-of-candidates\r\n", 404, -102007, "no whip session", ""},
		{"DELETE unknown resource", "DELETE", "/whep/nope", "", "", "", 404, -102007, "no whep session", ""},
		{"GET endpoint", "GET", "/whip/nope", "", "", "", 405, 0, "", ""},
	} {
		r := httpDo(t, tc.method, base+tc.path, tc.token, tc.ctype, tc.body)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, r.status, tc.status, r.body)
			continue
		}
		if tc.code != 0 {
			if got := r.header.Get("X-TRTC-Code"); got != strconv.Itoa(tc.code) {
				t.Errorf("%s: X-TRTC-Code %q, want %d (%s)", tc.name, got, tc.code, r.body)
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || !strings.Contains(r.body, tc.reason) || !strings.Contains(r.body, strconv.Itoa(tc.code)) {
				t.Errorf("%s: body %q (%s) lacks %q", tc.name, r.body, r.header.Get("Content-Type"), tc.reason)
			}
		}
		if got := r.header.Get("WWW-Authenticate"); !strings.Contains(got, tc.wwwAuthenticate) || (tc.wwwAuthenticate == "") != (got == "") {
			t.Errorf("%s: WWW-Authenticate %q, want %q", tc.name, got, tc.wwwAuthenticate)
		}
	}
	if _, users := e.Srv.Rooms().Stats(); users != 1 {
		t.Fatalf("%d members after the refusals, want alice alone", users)
	}
	alice.Never(0, "OnRemoteUserEnterRoom")

	// CORS preflight and the media types each resource takes.
	r := httpDo(t, http.MethodOptions, base+"/whip", "", "", "")
	if r.status != http.StatusNoContent || r.header.Get("Accept-Post") != sdp || r.header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("OPTIONS /whip = %d %v", r.status, r.header)
	}
	if r := httpDo(t, http.MethodOptions, base+"/whep/x", "", "", ""); r.header.Get("Accept-Patch") != frag {
		t.Errorf("OPTIONS /whep/x = %d %v", r.status, r.header)
	}
}

// TRTC's room rules refuse with 409 (a second screen share, the anchor
// cap) and, for apps with advanced permission control, 403 when the
// token's privilege bits do not allow the enter or the publishing.
func TestWHIPRoomRules(t *testing.T) {
	const pcApp = 1400000002
	const pcSecret = "a3b1c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1"
	e := NewEnv(t, func(c *config.Config) {
		c.Limits.LiveMaxAnchors = 2
		c.Apps = append(c.Apps, config.App{SDKAppID: pcApp, SDKSecret: pcSecret, PrivilegeCheck: true})
	})
	const room = 9301
	post := func(path, token string) reply {
		return httpDo(t, http.MethodPost, e.Srv.URL()+path, token, "application/sdp", e.newWHIPPublisher("x", "").offer(false))
	}
	expect := func(what string, r reply, status, code int) {
		t.Helper()
		if r.status != status || (code != 0 && r.header.Get("X-TRTC-Code") != strconv.Itoa(code)) {
			t.Fatalf("%s: %d %s, want %d (code %d)", what, r.status, r.body, status, code)
		}
	}
	expect("first screen share", post("/whip?stream=sub", whipToken(t, "screen1", room)), 201, 0)
	expect("second screen share", post("/whip?stream=sub", whipToken(t, "screen2", room)), 409, -102016)
	expect("second anchor", post("/whip", whipToken(t, "cam", room)), 201, 0)
	expect("third anchor", post("/whip", whipToken(t, "cam2", room)), 409, -102052)

	bob := e.NewClient("bob", e.Srv.SignalURL())
	bob.EnterRoom(rtc.Params{SDKAppID: pcApp, UserID: "bob", UserSig: mustSig(t, pcApp, pcSecret, "bob"), RoomID: room, Role: rtc.RoleAudience,
		PrivateMapKey: mustPMK(t, pcApp, pcSecret, "bob", room, usersig.PrivCreateRoom|usersig.PrivEnterRoom)}, rtc.SceneLive)
	if r := bob.WaitEnter(); r <= 0 {
		t.Fatalf("bob: OnEnterRoom(%d)", r)
	}
	expect("no send-video bit", post("/whip", mustPMK(t, pcApp, pcSecret, "v", room, usersig.PrivEnterRoom|usersig.PrivSendAudio)), 403, -102013)
	expect("no enter bit", post("/whip", mustPMK(t, pcApp, pcSecret, "w", room, usersig.PrivSendAudio|usersig.PrivSendVideo)), 403, -102011)
	expect("no create bit", post("/whip", mustPMK(t, pcApp, pcSecret, "y", room+1, usersig.PrivAll&^usersig.PrivCreateRoom)), 403, -102010)
	expect("every bit", post("/whip", mustPMK(t, pcApp, pcSecret, "z", room, usersig.PrivAll)), 201, 0)
	bob.Wait("OnRemoteUserEnterRoom", "z")
	bob.Never(0, "OnRemoteUserEnterRoom", "v")
}

func mustSig(t *testing.T, app uint32, secret, user string) string {
	t.Helper()
	s, err := usersig.GenUserSig(app, secret, user, 3600)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustPMK(t *testing.T, app uint32, secret, user string, room uint32, bits uint32) string {
	t.Helper()
	s, err := usersig.GenPrivateMapKey(app, secret, user, 3600, room, bits)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
