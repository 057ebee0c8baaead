package browser

import (
	"testing"
)

// TestReconnectAfterNetworkChange: the page's signaling connection is cut
// (as by a network change); the SDK reports RECONNECTING, resumes the
// session and reports CONNECTED; the other page never sees it leave and
// media keeps flowing both ways. The browser's "online" event (a new
// network) restarts ICE on both connections without losing media.
//
// Then both pages lose their server, as when its node dies, and reconnect
// to another one (their proxies now lead there): alice enters it first and
// finds the room empty, so bob is away — his streams go unavailable at
// once — and when bob enters too, alice sees his streams come back and
// decodes his video again, and, past the 10 s away grace, neither page has
// seen the other exit or enter again (docs/web-sdk.md "Node failures").
func TestReconnectAfterNetworkChange(t *testing.T) {
	s := newServer(t)
	px := newProxy(t, s.Addr())
	pxBob := newProxy(t, s.Addr())
	alice := openSDKPage(t, s, "alice", px.URL())
	bob := openSDKPage(t, s, "bob", pxBob.URL())
	alice.MustEnter("alice", 4701, "rtc", "anchor")
	alice.Publish()
	bob.MustEnter("bob", 4701, "rtc", "anchor")
	bob.Publish()
	alice.FramesGrow("bob", "video", 10)
	bob.FramesGrow("alice", "video", 10)

	if n := px.cut(); n == 0 {
		t.Fatal("the page had no signaling connection through the proxy")
	}
	alice.Seen("connection-state-changed", map[string]any{"prevState": "CONNECTED", "state": "RECONNECTING"})
	alice.Seen("connection-state-changed", map[string]any{"prevState": "RECONNECTING", "state": "CONNECTED"})
	alice.FramesGrow("bob", "video", 10)
	bob.FramesGrow("alice", "video", 10)
	bob.NotSeen("remote-user-exit", map[string]any{"userId": "alice"})

	// Signaling still works after the resume.
	if e := alice.Err(`rt.t.sendCustomMessage({ cmdId: 2, data: new TextEncoder().encode('back').buffer })`); e != nil {
		t.Fatalf("send after resume: %v", e)
	}
	bob.Seen("custom-message", map[string]any{"userId": "alice", "data": "back"})

	alice.Eval(`() => window.dispatchEvent(new Event('online'))`, nil)
	alice.FramesGrow("bob", "video", 15)
	bob.FramesGrow("alice", "video", 15)
	var states map[string]string
	alice.Eval(`() => rt.t.getConnectionStates()`, nil, &states)
	if states["publisher"] != "connected" || states["subscriber"] != "connected" || states["signal"] != "CONNECTED" {
		t.Fatalf("after the network change: %v", states)
	}

	// The server is gone for both; another one takes over. Events before
	// this point are left behind (rt.events.length).
	var aliceMark, bobMark int
	alice.Eval(`() => rt.events.length`, nil, &aliceMark)
	bob.Eval(`() => rt.events.length`, nil, &bobMark)
	// since waits until the page has emitted event name with fields match
	// exactly n times after mark.
	since := func(p *Page, mark int, what, name string, match map[string]any, n int) {
		t.Helper()
		p.Until(what, `({mark, name, match, n}) => rt.events.slice(mark).filter((x) => x.name === name &&
			Object.entries(match).every(([k, v]) => x.e && x.e[k] === v)).length === n`,
			map[string]any{"mark": mark, "name": name, "match": match, "n": n})
	}
	bobs := map[string]any{"userId": "bob"}
	connected := map[string]any{"state": "CONNECTED"}
	s2 := newServer(t)
	px.retarget(s2.Addr())
	pxBob.retarget(s2.Addr())
	px.cut()
	since(alice, aliceMark, "bob away: video off", "remote-video-unavailable", bobs, 1)
	since(alice, aliceMark, "bob away: audio off", "remote-audio-unavailable", bobs, 1)
	since(alice, aliceMark, "alice in the room on the new server", "connection-state-changed", connected, 1)
	pxBob.cut()
	since(bob, bobMark, "bob in the room on the new server", "connection-state-changed", connected, 1)
	since(alice, aliceMark, "bob's video back", "remote-video-available", bobs, 1)
	since(alice, aliceMark, "bob's audio back", "remote-audio-available", bobs, 1)
	alice.FramesGrow("bob", "video", 10)
	bob.FramesGrow("alice", "video", 10)
	alice.Until("the away grace is over", `(mark) => {
		const away = rt.events.slice(mark).find((x) => x.name === 'remote-video-unavailable');
		return performance.now() > away.at + 10500;
	}`, aliceMark)
	for _, c := range []struct {
		p    *Page
		mark int
	}{{alice, aliceMark}, {bob, bobMark}} {
		var seen []string
		c.p.Eval(`(mark) => rt.events.slice(mark).filter((x) => ['remote-user-enter', 'remote-user-exit', 'test-error', 'error']
			.includes(x.name)).map((x) => x.name + ' ' + JSON.stringify(x.e))`, c.mark, &seen)
		if len(seen) != 0 {
			t.Fatalf("%s, after the move to another server: %v (want no enter, exit or error)", c.p.name, seen)
		}
	}
}

// TestAutoplayBlocked: when the browser refuses to play remote audio
// without a user gesture, the SDK emits AUTOPLAY_FAILED once and plays as
// soon as the user clicks the page.
func TestAutoplayBlocked(t *testing.T) {
	s := newServer(t)
	anchor := openSDKPage(t, s, "anchor", "")
	anchor.MustEnter("host", 4801, "live", "anchor")
	anchor.Publish()

	// Scripts run by the test driver count as user gestures, so this page
	// gets the policy of a browser that requires one: nothing plays with
	// sound until the user presses a pointer on the page (the click below
	// is a real input event).
	viewer := openPage(t, "viewer", s.URL+"/status")
	viewer.Eval(`() => {
		let activated = false;
		document.addEventListener('pointerdown', () => { activated = true; }, true);
		Object.defineProperty(HTMLMediaElement.prototype, 'autoplay', { get: () => false, set: () => {} });
		const play = HTMLMediaElement.prototype.play;
		HTMLMediaElement.prototype.play = function () {
			if (!this.muted && !activated) {
				return Promise.reject(new DOMException('play() needs a user gesture', 'NotAllowedError'));
			}
			return play.call(this);
		};
	}`, nil)
	viewer.installHelpers()
	viewer.Eval(`() => rt.init()`, nil)
	viewer.MustEnter("viewer", 4801, "live", "audience")
	viewer.Seen("autoplay-failed", map[string]any{"userId": "host", "mediaType": "audio"})
	viewer.NotSeen("audio-play-state-changed", map[string]any{"userId": "host", "state": "PLAYING"})
	viewer.Click(5, 5)
	viewer.Seen("audio-play-state-changed", map[string]any{"userId": "host", "state": "PLAYING"})
	var n int
	viewer.Eval(`() => rt.count('autoplay-failed')`, nil, &n)
	if n != 1 {
		t.Fatalf("AUTOPLAY_FAILED reported %d times, want once", n)
	}
}

// TestCameraUnplugged: when the camera's track ends (device unplugged),
// the SDK opens the default camera, reports DEVICE_CHANGED "active" and
// keeps publishing: the other page goes on decoding.
func TestCameraUnplugged(t *testing.T) {
	s := newServer(t)
	alice := openSDKPage(t, s, "alice", "")
	bob := openSDKPage(t, s, "bob", "")
	alice.MustEnter("alice", 4901, "rtc", "anchor")
	alice.Publish()
	bob.MustEnter("bob", 4901, "rtc", "anchor")
	bob.FramesGrow("alice", "video", 10)

	// What the browser does when a camera is unplugged: the track ends.
	alice.Eval(`() => { const tr = rt.t.getVideoTrack(); window.oldTrack = tr; tr.stop(); tr.dispatchEvent(new Event('ended')); }`, nil)
	alice.Seen("device-changed", map[string]any{"type": "camera", "action": "active"})
	var replaced bool
	alice.Eval(`() => rt.t.getVideoTrack() !== window.oldTrack && rt.t.getVideoTrack().readyState === 'live'`, nil, &replaced)
	if !replaced {
		t.Fatal("the camera track was not replaced")
	}
	bob.FramesGrow("alice", "video", 15)
}

// TestTabShownAgain: what a tab in the background can come back with —
// players paused by the browser, a microphone whose track ended — is
// repaired when the tab shows again: playback resumes and the microphone is
// reopened.
func TestTabShownAgain(t *testing.T) {
	s := newServer(t)
	alice := openSDKPage(t, s, "alice", "")
	bob := openSDKPage(t, s, "bob", "")
	alice.MustEnter("alice", 4951, "rtc", "anchor")
	alice.Publish()
	bob.MustEnter("bob", 4951, "rtc", "anchor")
	bob.Publish()
	alice.FramesGrow("bob", "video", 10)
	bob.AudioGrows("alice")

	alice.Eval(`() => {
		for (const v of document.querySelectorAll('video')) v.pause();
		const mic = rt.t.getAudioTrack();
		window.oldMic = mic;
		mic.stop(); // no 'ended' event: the SDK learns of it when the tab shows
		document.dispatchEvent(new Event('visibilitychange'));
	}`, nil)
	alice.Until("players playing again", `() => [...document.querySelectorAll('video')].every(v => !v.paused)`, nil)
	alice.Seen("device-changed", map[string]any{"type": "microphone", "action": "active"})
	alice.Until("a live microphone", `() => rt.t.getAudioTrack() !== window.oldMic && rt.t.getAudioTrack().readyState === 'live'`, nil)
	bob.AudioGrows("alice")
}
