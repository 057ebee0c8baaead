package browser

import (
	"strings"
	"testing"
)

// TestScreenShareIsSubStream: a page's screen share reaches the other page
// as the sub stream next to its camera; stopping it makes it unavailable.
func TestScreenShareIsSubStream(t *testing.T) {
	s := newServer(t)
	alice := openSDKPage(t, s, "alice", "")
	bob := openSDKPage(t, s, "bob", "")
	alice.MustEnter("alice", 4201, "rtc", "anchor")
	alice.Publish()
	bob.MustEnter("bob", 4201, "rtc", "anchor")

	if e := alice.Err(`rt.t.startScreenShare({ view: rt.view('myscreen') })`); e != nil {
		t.Fatalf("startScreenShare: %v", e)
	}
	bob.Seen("remote-video-available", map[string]any{"userId": "alice", "streamType": "sub"})
	bob.FramesGrow("alice", "sub", 5)
	bob.FramesGrow("alice", "video", 10) // the camera goes on alongside

	// A second sharer in the room is refused by the server (-102016).
	bob.Publish()
	e := bob.Err(`rt.t.startScreenShare()`)
	if e == nil || e.Code != 5400 || e.ExtraCode == nil || *e.ExtraCode != -102016 {
		t.Fatalf("second screen share: got %v, want 5400/-102016", e)
	}

	alice.Eval(`() => rt.t.stopScreenShare()`, nil)
	bob.Seen("remote-video-unavailable", map[string]any{"userId": "alice", "streamType": "sub"})
}

// TestCustomMessageRoundTrip: sendCustomMessage reaches the other page as
// CUSTOM_MESSAGE with the same cmdId and bytes, and back.
func TestCustomMessageRoundTrip(t *testing.T) {
	s := newServer(t)
	alice := openSDKPage(t, s, "alice", "")
	bob := openSDKPage(t, s, "bob", "")
	alice.MustEnter("alice", 4301, "rtc", "anchor")
	bob.MustEnter("bob", 4301, "rtc", "anchor")
	alice.Seen("remote-user-enter", map[string]any{"userId": "bob"})

	if e := alice.Err(`rt.t.sendCustomMessage({ cmdId: 3, data: new TextEncoder().encode('hello bob').buffer })`); e != nil {
		t.Fatalf("send: %v", e)
	}
	bob.Seen("custom-message", map[string]any{"userId": "alice", "cmdId": 3, "data": "hello bob"})
	if e := bob.Err(`rt.t.sendCustomMessage({ cmdId: 4, data: new TextEncoder().encode('hi alice ✓') })`); e != nil {
		t.Fatalf("reply: %v", e)
	}
	alice.Seen("custom-message", map[string]any{"userId": "bob", "cmdId": 4, "data": "hi alice ✓"})
	alice.NotSeen("custom-message", map[string]any{"userId": "alice"})
}

// TestKickedOut: REST RemoveUser ends one page's session with KICKED_OUT
// "banned"; DismissRoom ends everyone's with "room_disband"; entering the
// same userId elsewhere kicks the older page with "kick".
func TestKickedOut(t *testing.T) {
	s := newServer(t)
	alice := openSDKPage(t, s, "alice", "")
	bob := openSDKPage(t, s, "bob", "")
	carol := openSDKPage(t, s, "carol", "")
	for _, p := range []struct {
		page *Page
		user string
	}{{alice, "alice"}, {bob, "bob"}, {carol, "carol"}} {
		p.page.MustEnter(p.user, 4401, "rtc", "anchor")
	}
	alice.Seen("remote-user-enter", map[string]any{"userId": "carol"})

	if code := s.REST(t, "RemoveUser", map[string]any{"SdkAppId": appID, "RoomId": 4401, "UserIds": []string{"carol"}}); code != "" {
		t.Fatalf("RemoveUser: %s", code)
	}
	carol.Seen("kicked-out", map[string]any{"reason": "banned"})
	carol.Seen("connection-state-changed", map[string]any{"state": "DISCONNECTED"})
	alice.Seen("remote-user-exit", map[string]any{"userId": "carol"})

	if code := s.REST(t, "DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": 4401}); code != "" {
		t.Fatalf("DismissRoom: %s", code)
	}
	alice.Seen("kicked-out", map[string]any{"reason": "room_disband"})
	bob.Seen("kicked-out", map[string]any{"reason": "room_disband"})

	// After a kick the instance can enter again; the same userId entering
	// from another page kicks this one.
	alice.MustEnter("alice", 4402, "rtc", "anchor")
	other := openSDKPage(t, s, "alice2", "")
	other.MustEnter("alice", 4402, "rtc", "anchor")
	alice.Seen("kicked-out", map[string]any{"reason": "kick"})
}

// TestBadInput: every wrong call rejects with v5's code and extraCode and a
// message saying what is wrong.
func TestBadInput(t *testing.T) {
	s := newServer(t)
	p := openSDKPage(t, s, "p", "")
	anchor := openSDKPage(t, s, "anchor", "")
	anchor.MustEnter("host", 4501, "live", "anchor")
	anchor.Publish()

	sig := `'` + mustSig(t, "p") + `'`
	cases := []struct {
		name  string
		call  string
		code  int
		extra int
		text  string
	}{
		{"enterRoom without options", `rt.t.enterRoom()`, 5000, 5001, "required"},
		{"enterRoom without sdkAppId", `rt.t.enterRoom({ userId: 'p', userSig: ` + sig + `, roomId: 1 })`, 5000, 5001, "sdkAppId"},
		{"roomId as a string", `rt.t.enterRoom({ sdkAppId: 1400000001, userId: 'p', userSig: ` + sig + `, roomId: '12' })`, 5000, 5016, "strRoomId"},
		{"roomId out of range", `rt.t.enterRoom({ sdkAppId: 1400000001, userId: 'p', userSig: ` + sig + `, roomId: 4294967295 })`, 5000, 5012, "roomId"},
		{"no room id", `rt.t.enterRoom({ sdkAppId: 1400000001, userId: 'p', userSig: ` + sig + ` })`, 5000, 5015, "roomId"},
		{"bad strRoomId", `rt.t.enterRoom({ sdkAppId: 1400000001, userId: 'p', userSig: ` + sig + `, strRoomId: 'a/b' })`, 5000, 5013, "strRoomId"},
		{"bad userId", `rt.t.enterRoom({ sdkAppId: 1400000001, userId: 'p q', userSig: ` + sig + `, roomId: 1 })`, 5000, 5005, "userId"},
		{"bad scene", `rt.t.enterRoom({ sdkAppId: 1400000001, userId: 'p', userSig: ` + sig + `, roomId: 1, scene: 'meeting' })`, 5000, 5005, "scene"},
		{"wrong UserSig", `rt.t.enterRoom({ sdkAppId: 1400000001, userId: 'p', userSig: 'bogus', roomId: 1 })`, 5400, -100018, ""},
		{"startLocalVideo into a missing view", `rt.t.startLocalVideo({ view: 'no-such-element' })`, 5000, 5009, "no-such-element"},
		{"startLocalVideo with a bad profile", `rt.t.startLocalVideo({ option: { profile: '999p' } })`, 5000, 5005, "999p"},
		{"startLocalVideo with a bad profile object", `rt.t.startLocalVideo({ option: { profile: { width: 640, height: -1, frameRate: 15, bitrate: 500 } } })`, 5000, 5005, "height"},
		{"startScreenShare with a bad profile", `rt.t.startScreenShare({ option: { profile: '4K' } })`, 5000, 5005, "4K"},
		{"startRemoteVideo before enterRoom", `rt.t.startRemoteVideo({ userId: 'host', streamType: 'main', view: rt.view('v') })`, 5100, 5101, "enterRoom"},
		{"switchRole before enterRoom", `rt.t.switchRole('anchor')`, 5100, 5101, "enterRoom"},
		{"sendCustomMessage before enterRoom", `rt.t.sendCustomMessage({ cmdId: 1, data: new Uint8Array([1]).buffer })`, 5100, 5101, "enterRoom"},
		{"updateLocalVideo without a camera", `rt.t.updateLocalVideo({ mute: true })`, 5100, 5105, "startLocalVideo"},
		{"updateLocalAudio without a microphone", `rt.t.updateLocalAudio({ mute: true })`, 5100, 5106, "startLocalAudio"},
		{"setRemoteAudioVolume out of range", `rt.t.setRemoteAudioVolume('host', 300)`, 5000, 5005, "volume"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { expectErr(t, p, c.call, c.code, c.extra, c.text) })
	}

	// In the room as audience.
	p.MustEnter("p", 4501, "live", "audience")
	p.Seen("remote-video-available", map[string]any{"userId": "host", "streamType": "main"})
	inRoom := []struct {
		name  string
		call  string
		code  int
		extra int
		text  string
	}{
		{"second enterRoom", `rt.t.enterRoom({ sdkAppId: 1400000001, userId: 'p', userSig: ` + sig + `, roomId: 4501 })`, 5100, 5104, "exitRoom"},
		{"startRemoteVideo without a view", `rt.t.startRemoteVideo({ userId: 'host', streamType: 'main' })`, 5000, 5001, "view"},
		{"startRemoteVideo without streamType", `rt.t.startRemoteVideo({ userId: 'host', view: rt.view('x') })`, 5000, 5001, "streamType"},
		{"startRemoteVideo for an unknown user", `rt.t.startRemoteVideo({ userId: 'ghost', streamType: 'main', view: rt.view('g') })`, 5100, 5102, "ghost"},
		{"startRemoteVideo of a missing screen share", `rt.t.startRemoteVideo({ userId: 'host', streamType: 'sub', view: rt.view('s') })`, 5100, 5103, "screen"},
		{"startRemoteVideo twice", `rt.t.startRemoteVideo({ userId: 'host', streamType: 'main', view: rt.view('h2') })`, 5100, 5104, "updateRemoteVideo"},
		{"muteRemoteAudio of an unknown user", `rt.t.muteRemoteAudio('ghost', true)`, 5100, 5102, "ghost"},
		{"audience publishing the camera", `rt.t.startLocalVideo()`, 5100, 5107, "audience"},
		{"audience publishing the microphone", `rt.t.startLocalAudio()`, 5100, 5107, "audience"},
		{"audience sharing the screen", `rt.t.startScreenShare()`, 5100, 5107, "audience"},
		{"audience sending a message", `rt.t.sendCustomMessage({ cmdId: 1, data: new Uint8Array([1]).buffer })`, 5100, 5107, "audience"},
		{"switchRole to a bad role", `rt.t.switchRole('host')`, 5000, 5005, "role"},
	}
	for _, c := range inRoom {
		t.Run(c.name, func(t *testing.T) { expectErr(t, p, c.call, c.code, c.extra, c.text) })
	}

	// As anchor: custom message limits.
	if e := p.Err(`rt.t.switchRole('anchor')`); e != nil {
		t.Fatalf("switchRole: %v", e)
	}
	limits := []struct {
		name  string
		call  string
		code  int
		extra int
		text  string
	}{
		{"cmdId 0", `rt.t.sendCustomMessage({ cmdId: 0, data: new Uint8Array([1]).buffer })`, 5000, 5005, "cmdId"},
		{"cmdId 11", `rt.t.sendCustomMessage({ cmdId: 11, data: new Uint8Array([1]).buffer })`, 5000, 5005, "cmdId"},
		{"empty message", `rt.t.sendCustomMessage({ cmdId: 1, data: new ArrayBuffer(0) })`, 5000, 5017, "empty"},
		{"message over 1 KB", `rt.t.sendCustomMessage({ cmdId: 1, data: new ArrayBuffer(1001) })`, 5000, 5018, "1000"},
		{"data not a buffer", `rt.t.sendCustomMessage({ cmdId: 1, data: 'text' })`, 5000, 5002, "ArrayBuffer"},
		{"over 30 messages a second", `(async () => { for (let i = 0; i < 40; i++) rt.t.sendCustomMessage({ cmdId: 1, data: new Uint8Array([i]).buffer }); })()`, 5100, 5110, "30 per second"},
	}
	for _, c := range limits {
		t.Run(c.name, func(t *testing.T) { expectErr(t, p, c.call, c.code, c.extra, c.text) })
	}

	// An unreachable server: enterRoom fails with OPERATION_FAILED.
	q := openSDKPage(t, s, "q", "ws://127.0.0.1:9")
	e := q.Enter("q", 4502, "rtc", "anchor")
	if e == nil || e.Code != 5500 {
		t.Fatalf("unreachable server: got %v, want 5500", e)
	}
}

func expectErr(t *testing.T, p *Page, call string, code, extra int, text string) {
	t.Helper()
	e := p.Err(call)
	if e == nil {
		t.Fatalf("%s: succeeded, want %d/%d", call, code, extra)
	}
	if e.Code != code || e.ExtraCode == nil || *e.ExtraCode != extra {
		t.Fatalf("%s: got %v, want %d/%d", call, e, code, extra)
	}
	if !strings.Contains(e.Message, text) {
		t.Fatalf("%s: message %q does not mention %q", call, e.Message, text)
	}
}
