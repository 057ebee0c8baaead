package test

import (
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pturn "github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/rtc"
)

// WHIP (RFC 9725) publishers and WHEP players are room members: SDK users
// see a WHIP publisher enter, publish and leave; a WHEP player plays an
// anchor's media. Frames are checked byte for byte as in media_test.go.

// warmUp sends keyframes from send every 20 ms until ready holds.
func warmUp(t *testing.T, what string, ready func() bool, send func(n uint32)) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for n := uint32(0); !ready(); n++ {
		if time.Now().After(deadline) {
			t.Fatalf("no media within %v: %s", waitTimeout, what)
		}
		send(n)
		time.Sleep(20 * time.Millisecond)
	}
}

// whipPump sends keyframes of one phase from a WHIP publisher every 20 ms
// until stop is closed.
func whipPump(c *whipClient, phase byte, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := uint32(0); ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_ = c.video.WriteSample(media.Sample{Data: vp8Frame(phase, n, true, 800), Duration: 20 * time.Millisecond})
			_ = c.audio.WriteSample(media.Sample{Data: opusPacket(phase, n), Duration: 20 * time.Millisecond})
		}
	}()
	return &wg
}

func TestWHIPPublisherReachesSDK(t *testing.T) {
	e := NewEnv(t)
	const room = 9101
	bob := e.Join("bob", room, rtc.SceneLive, rtc.RoleAudience)
	s := newSink()
	bob.SetRemoteVideoRenderCallback("obs", rtc.VideoFormatVP8, s)
	bob.SetAudioFrameObserver(rtc.AudioFormatOpus, s)

	obs := e.newWHIPPublisher("obs", whipToken(t, "obs", room))
	offer := obs.offer(false)
	start := time.Now()
	obs.post("/whip?sdkAppId=1400000001&userId=obs&roomId=9101", offer)
	posted := time.Since(start)
	if len(obs.links) != 0 {
		t.Errorf("Link headers without a TURN server: %q", obs.links)
	}
	bob.Wait("OnRemoteUserEnterRoom", "obs")
	bob.waitSeen("OnUserVideoAvailable", "obs", true)
	bob.waitSeen("OnUserAudioAvailable", "obs", true)
	obs.waitConnected()
	t.Logf("POST answered in %v, media connected %v after the POST", posted, time.Since(start))
	warmUp(t, "bob rendering obs", func() bool {
		return bob.seen("OnFirstVideoFrame", "obs") && bob.seen("OnFirstAudioFrame", "obs")
	}, func(n uint32) { obs.sendFrame(0, n, true) })
	bob.Saw("OnFirstVideoFrame", "obs", int(rtc.StreamBig), 640, 360)

	const count = 150
	var wantV, wantA [][]byte
	for i := range uint32(count) {
		v, a := obs.sendFrame(1, i, i%30 == 0)
		wantV, wantA = append(wantV, v), append(wantA, a)
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, waitTimeout, "bob receiving every frame of obs", func() bool {
		v, a := s.counted("obs")
		return len(v) >= count && len(a) >= count
	})
	v, a := s.counted("obs")
	same(t, "WHIP video at the SDK", v, wantV)
	same(t, "WHIP audio at the SDK", a, wantA)

	if r := httpDo(t, http.MethodDelete, obs.resource, obs.token, "", ""); r.status != http.StatusOK {
		t.Fatalf("DELETE = %d %s", r.status, r.body)
	}
	bob.Wait("OnRemoteUserLeaveRoom", "obs", 0)
	if r := httpDo(t, http.MethodDelete, obs.resource, obs.token, "", ""); r.status != http.StatusNotFound {
		t.Fatalf("second DELETE = %d %s", r.status, r.body)
	}
	if r := httpDo(t, http.MethodPatch, obs.resource, "", "application/trickle-ice-sdpfrag", "a=end-of-candidates\r\n"); r.status != http.StatusNotFound {
		t.Fatalf("PATCH after DELETE = %d %s", r.status, r.body)
	}
}

func TestWHEPPlaysSDKAnchor(t *testing.T) {
	e := NewEnv(t)
	const room = 9102
	alice := e.Join("alice", room, rtc.SceneLive, rtc.RoleAnchor)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)

	pl := e.newWHEPPlayer("viewer", whipToken(t, "viewer", room))
	pl.post("/whep", pl.offer(false))
	pl.waitConnected()
	warmUp(t, "the player playing alice", func() bool {
		v, a, _ := pl.frames.counts()
		return v > 0 && a > 0
	}, func(n uint32) {
		send(t, alice, 0, n, true)
		if n%100 == 99 {
			v, a, _ := pl.frames.counts()
			t.Logf("warm-up frame %d: the player has %d video and %d audio frames; %s", n, v, a, pl.pc.ConnectionState())
		}
	})

	const count = 150
	var wantV, wantA [][]byte
	for i := range uint32(count) {
		v, a := send(t, alice, 1, i, i%30 == 0)
		wantV, wantA = append(wantV, v), append(wantA, a)
		time.Sleep(5 * time.Millisecond)
	}
	// The player reassembles a frame when the next one starts: flush the
	// last counted frame with a few more.
	for i := range uint32(3) {
		send(t, alice, 2, count+i, true)
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, waitTimeout, "the player receiving every frame", func() bool {
		v, a := pl.frames.counted(1)
		return len(v) >= count && len(a) >= count
	})
	v, a := pl.frames.counted(1)
	same(t, "SDK video at the WHEP player", v, wantV)
	same(t, "SDK audio at the WHEP player", a, wantA)

	// A player in a live room is audience: nobody sees it.
	alice.Never(0, "OnRemoteUserEnterRoom", "viewer")
	if r := httpDo(t, http.MethodDelete, pl.resource, "", "", ""); r.status != http.StatusOK {
		t.Fatalf("DELETE = %d %s", r.status, r.body)
	}
	waitFor(t, waitTimeout, "the player's member leaving", func() bool {
		_, users := e.Srv.Rooms().Stats()
		return users == 1
	})
}

// A WHIP publisher's media reaches a WHEP player through a room an SDK user
// is in too. The player follows the first anchor publishing video; when
// it leaves, the player's slots move to the next anchor on the same
// tracks. A player pinned with ?anchor= plays that anchor only.
func TestWHIPToWHEPThroughRoom(t *testing.T) {
	e := NewEnv(t)
	const room = 9103
	bob := e.Join("bob", room, rtc.SceneLive, rtc.RoleAudience)

	obs := e.newWHIPPublisher("obs", whipToken(t, "obs", room))
	obs.post("/whip", obs.offer(false))
	bob.Wait("OnRemoteUserEnterRoom", "obs")
	pl := e.newWHEPPlayer("viewer", whipToken(t, "viewer", room))
	pl.post("/whep", pl.offer(false))
	pinned := e.newWHEPPlayer("fan", whipToken(t, "fan", room))
	pinned.post("/whep?anchor=cam", pinned.offer(false))

	stopObs := make(chan struct{})
	wgObs := whipPump(obs, 'o', stopObs)
	defer wgObs.Wait()
	defer func() {
		select {
		case <-stopObs:
		default:
			close(stopObs)
		}
	}()
	bob.waitSeen("OnFirstVideoFrame", "obs")
	waitFor(t, waitTimeout, "the player playing obs", func() bool {
		v, a := pl.frames.counted('o')
		return len(v) > 5 && len(a) > 5
	})

	cam := e.newWHIPPublisher("cam", whipToken(t, "cam", room))
	cam.post("/whip", cam.offer(false))
	stopCam := make(chan struct{})
	wgCam := whipPump(cam, 'c', stopCam)
	defer wgCam.Wait()
	defer close(stopCam)
	bob.waitSeen("OnFirstVideoFrame", "cam")
	waitFor(t, waitTimeout, "the pinned player playing cam", func() bool {
		v, a := pinned.frames.counted('c')
		return len(v) > 5 && len(a) > 5
	})
	if v, a := pl.frames.counted('c'); len(v)+len(a) != 0 {
		t.Fatalf("the player took cam's media while obs still publishes: %d video, %d audio", len(v), len(a))
	}

	close(stopObs)
	deleted := time.Now()
	if r := httpDo(t, http.MethodDelete, obs.resource, obs.token, "", ""); r.status != http.StatusOK {
		t.Fatalf("DELETE obs = %d %s", r.status, r.body)
	}
	waitFor(t, waitTimeout, "the player moving to cam", func() bool {
		v, _ := pl.frames.counted('c')
		return len(v) > 0
	})
	t.Logf("the player's first frame of cam %v after obs's DELETE", time.Since(deleted))
	bob.Wait("OnRemoteUserLeaveRoom", "obs", 0)
	waitFor(t, waitTimeout, "the player playing cam", func() bool {
		v, a := pl.frames.counted('c')
		return len(v) > 5 && len(a) > 5
	})
	if _, _, ssrcs := pl.frames.counts(); ssrcs != 1 {
		t.Fatalf("the player saw %d video SSRCs, want one continuous track", ssrcs)
	}
	if v, a := pinned.frames.counted('o'); len(v)+len(a) != 0 {
		t.Fatalf("the pinned player played obs: %d video, %d audio", len(v), len(a))
	}
	bob.Never(0, "OnRemoteUserEnterRoom", "viewer")
}

// fragmentOf builds the trickle-ice-sdpfrag of a local description: its
// credentials and the first section's candidates.
func fragmentOf(sdp string, withPwd bool) string {
	var b strings.Builder
	var mline, mid string
	var cands []string
	for _, l := range strings.Split(sdp, "\r\n") {
		switch {
		case strings.HasPrefix(l, "a=ice-ufrag:"), withPwd && strings.HasPrefix(l, "a=ice-pwd:"):
			if !strings.Contains(b.String(), l[:10]) {
				b.WriteString(l + "\r\n")
			}
		case strings.HasPrefix(l, "m=") && mline == "":
			mline = l
		case strings.HasPrefix(l, "a=mid:") && mid == "":
			mid = l
		case strings.HasPrefix(l, "a=candidate:") && mid != "" && len(cands) < 8:
			cands = append(cands, l)
		}
	}
	b.WriteString(mline + "\r\n" + mid + "\r\n")
	for _, c := range cands {
		b.WriteString(c + "\r\n")
	}
	return b.String()
}

// attrOf returns the first value of an SDP attribute.
func attrOf(sdp, name string) string {
	for _, l := range strings.Split(sdp, "\r\n") {
		if v, ok := strings.CutPrefix(l, "a="+name+":"); ok {
			return v
		}
	}
	return ""
}

// A WHIP client that trickles its candidates with PATCH connects; a PATCH
// with "If-Match: *" restarts ICE (RFC 9725 §4.3.2) and media keeps
// flowing on the new credentials.
func TestWHIPTrickleAndICERestart(t *testing.T) {
	e := NewEnv(t)
	const room = 9104
	bob := e.Join("bob", room, rtc.SceneLive, rtc.RoleAudience)
	s := newSink()
	bob.SetRemoteVideoRenderCallback("obs", rtc.VideoFormatVP8, s)

	obs := e.newWHIPPublisher("obs", whipToken(t, "obs", room))
	cands := make(chan *webrtc.ICECandidate, 64)
	obs.pc.OnICECandidate(func(c *webrtc.ICECandidate) { cands <- c })
	offer := obs.offer(true)
	if strings.Contains(offer, "a=candidate:") {
		t.Fatal("a trickling client's offer carries candidates")
	}
	obs.post("/whip", offer)
	ufrag := attrOf(obs.pc.LocalDescription().SDP, "ice-ufrag")
	const frag = "application/trickle-ice-sdpfrag"
	patched := 0
	for c := range cands {
		body := "a=ice-ufrag:" + ufrag + "\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
		if c == nil {
			body += "a=end-of-candidates\r\n"
		} else {
			body += "a=" + c.ToJSON().Candidate + "\r\n"
		}
		if r := httpDo(t, http.MethodPatch, obs.resource, obs.token, frag, body, "If-Match", obs.etag); r.status != http.StatusNoContent {
			t.Fatalf("trickle PATCH = %d %s", r.status, r.body)
		}
		patched++
		if c == nil {
			break
		}
	}
	if patched < 2 {
		t.Fatalf("only %d PATCHes", patched)
	}
	obs.waitConnected()

	// PATCHes the session refuses.
	for _, tc := range []struct {
		name, token, ctype, body string
		header                   []string
		status                   int
	}{
		{"stale If-Match", obs.token, frag, "a=end-of-candidates\r\n", []string{"If-Match", `"stale"`}, http.StatusPreconditionFailed},
		{"another ufrag", obs.token, frag, "a=ice-ufrag:zzzz\r\n", nil, http.StatusConflict},
		{"garbage", obs.token, frag, "hello world\r\n", nil, http.StatusBadRequest},
		{"bad candidate", obs.token, frag, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=candidate:1 1 udp\r\n", nil, http.StatusBadRequest},
		{"restart without credentials", obs.token, frag, "a=end-of-candidates\r\n", []string{"If-Match", "*"}, http.StatusBadRequest},
		{"SDP content type", obs.token, "application/sdp", "a=end-of-candidates\r\n", nil, http.StatusUnsupportedMediaType},
		{"too large", obs.token, frag, strings.Repeat("a=x\r\n", 5000), nil, http.StatusRequestEntityTooLarge},
		{"another token", whipToken(t, "mallory", room), frag, "a=end-of-candidates\r\n", nil, http.StatusUnauthorized},
	} {
		if r := httpDo(t, http.MethodPatch, obs.resource, tc.token, tc.ctype, tc.body, tc.header...); r.status != tc.status {
			t.Errorf("PATCH %s = %d %s, want %d", tc.name, r.status, r.body, tc.status)
		}
	}

	stop := make(chan struct{})
	wg := whipPump(obs, 'r', stop)
	defer wg.Wait()
	defer close(stop)
	bob.waitSeen("OnFirstVideoFrame", "obs")

	// ICE restart: new client credentials in, new server credentials out.
	ro, err := obs.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(obs.pc)
	if err := obs.pc.SetLocalDescription(ro); err != nil {
		t.Fatal(err)
	}
	<-gathered
	local := obs.pc.LocalDescription().SDP
	if attrOf(local, "ice-ufrag") == ufrag {
		t.Fatal("the client kept its ufrag")
	}
	r := httpDo(t, http.MethodPatch, obs.resource, obs.token, frag, fragmentOf(local, true), "If-Match", "*")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != frag || r.header.Get("ETag") == "" || r.header.Get("ETag") == obs.etag {
		t.Fatalf("ICE restart PATCH = %d %v\n%s", r.status, r.header, r.body)
	}
	newUfrag, newPwd := attrOf(r.body, "ice-ufrag"), attrOf(r.body, "ice-pwd")
	if newUfrag == "" || newPwd == "" || newUfrag == attrOf(obs.answer, "ice-ufrag") || !strings.Contains(r.body, "a=candidate:") {
		t.Fatalf("ICE restart answer fragment:\n%s", r.body)
	}
	var answer []string
	for _, l := range strings.Split(obs.answer, "\r\n") {
		switch {
		case strings.HasPrefix(l, "a=candidate:"), l == "a=end-of-candidates":
			continue
		case strings.HasPrefix(l, "a=ice-ufrag:"):
			l = "a=ice-ufrag:" + newUfrag
		case strings.HasPrefix(l, "a=ice-pwd:"):
			l = "a=ice-pwd:" + newPwd
		}
		answer = append(answer, l)
	}
	if err := obs.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: strings.Join(answer, "\r\n")}); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(r.body, "\r\n") {
		if c, ok := strings.CutPrefix(l, "a="); ok && strings.HasPrefix(c, "candidate:") {
			if err := obs.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if r := httpDo(t, http.MethodPatch, obs.resource, obs.token, frag, "a=end-of-candidates\r\n", "If-Match", obs.etag); r.status != http.StatusPreconditionFailed {
		t.Fatalf("PATCH naming the old ICE session = %d, want 412", r.status)
	}
	v0, _ := s.counts("obs")
	waitFor(t, waitTimeout, "frames after the ICE restart", func() bool {
		v, _ := s.counts("obs")
		return v >= v0+20
	})
}

// A session whose media never connects ends after whip_connect_timeout;
// one removed from its room by the REST API, one whose client closes its
// connection and one replaced by a newer session of its user end too.
func TestWHIPSessionEnds(t *testing.T) {
	e := NewEnv(t, func(c *config.Config) { c.Limits.WHIPConnectTimeout = 300 * time.Millisecond })
	const room = 9105
	bob := e.Join("bob", room, rtc.SceneLive, rtc.RoleAudience)

	ghost := e.newWHIPPublisher("ghost", whipToken(t, "ghost", room))
	r := httpDo(t, http.MethodPost, e.Srv.URL()+"/whip", ghost.token, "application/sdp", ghost.offer(false))
	if r.status != http.StatusCreated {
		t.Fatalf("POST = %d %s", r.status, r.body)
	}
	bob.Wait("OnRemoteUserEnterRoom", "ghost")
	bob.Wait("OnRemoteUserLeaveRoom", "ghost", 1) // the answer was never applied: a timeout
	if r := httpDo(t, http.MethodDelete, e.Srv.URL()+r.header.Get("Location"), "", "", ""); r.status != http.StatusNotFound {
		t.Fatalf("DELETE after the timeout = %d", r.status)
	}

	obs := e.newWHIPPublisher("obs", whipToken(t, "obs", room))
	obs.post("/whip", obs.offer(false))
	obs.waitConnected()
	bob.Wait("OnRemoteUserEnterRoom", "obs")
	if code := e.call("RemoveUser", map[string]any{"SdkAppId": appID, "RoomId": room, "UserIds": []string{"obs"}}); code != "" {
		t.Fatalf("RemoveUser: %s", code)
	}
	bob.Wait("OnRemoteUserLeaveRoom", "obs", 2)
	waitFor(t, waitTimeout, "the removed session's resource to go", func() bool {
		return httpDo(t, http.MethodDelete, obs.resource, "", "", "").status == http.StatusNotFound
	})

	// A client that closes its connection without a DELETE (DTLS
	// close_notify) ends its session at once, publisher and player alike.
	quitter := e.newWHIPPublisher("quitter", whipToken(t, "quitter", room))
	quitter.post("/whip", quitter.offer(false))
	quitter.waitConnected()
	bob.Wait("OnRemoteUserEnterRoom", "quitter")
	_ = quitter.pc.Close()
	bob.Wait("OnRemoteUserLeaveRoom", "quitter", 0)
	pl := e.newWHEPPlayer("viewer", whipToken(t, "viewer", room))
	pl.post("/whep", pl.offer(false))
	pl.waitConnected()
	_ = pl.pc.Close()
	waitFor(t, waitTimeout, "the closed player's resource to go", func() bool {
		return httpDo(t, http.MethodDelete, pl.resource, "", "", "").status == http.StatusNotFound
	})

	// A newer session of the same user (an SDK enter) replaces a WHIP one.
	cam := e.newWHIPPublisher("cam", whipToken(t, "cam", room))
	cam.post("/whip", cam.offer(false))
	bob.Wait("OnRemoteUserEnterRoom", "cam")
	e.Join("cam", room, rtc.SceneLive, rtc.RoleAnchor)
	waitFor(t, waitTimeout, "the replaced session's resource to go", func() bool {
		return httpDo(t, http.MethodDelete, cam.resource, "", "", "").status == http.StatusNotFound
	})
}

// TestWHIPAnnouncesTURN: with the embedded TURN server on, the POST answer
// names it in Link headers (RFC 9725 §4.6), one per transport, with a
// credential for the publisher that the TURN server accepts.
func TestWHIPAnnouncesTURN(t *testing.T) {
	e := NewEnv(t, func(c *config.Config) { c.TURN.Enabled, c.TURN.Port = true, 0 })
	obs := e.newWHIPPublisher("obs", whipToken(t, "obs", 9106))
	obs.post("/whip?sdkAppId=1400000001&userId=obs&roomId=9106", obs.offer(false))
	link := regexp.MustCompile(`^<(turn:[^>?]+)\?transport=(udp|tcp)>; rel="ice-server"; username="([^"]+)"; credential="([^"]+)"; credential-type="password"$`)
	var udpAddr, user, pass string
	var transports []string
	for _, l := range obs.links {
		m := link.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("Link header %q is not a TURN ice-server with a credential", l)
		}
		transports = append(transports, m[2])
		if m[2] == "udp" {
			udpAddr, user, pass = strings.TrimPrefix(m[1], "turn:"), m[3], m[4]
		}
	}
	if !slices.Equal(transports, []string{"udp", "tcp"}) || !strings.Contains(user, "obs") {
		t.Fatalf("Link headers %q: want TURN over UDP and TCP with a credential for obs", obs.links)
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := pturn.NewClient(&pturn.ClientConfig{TURNServerAddr: udpAddr, Conn: conn, Username: user, Password: pass, Realm: "rtcengine"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	relay, err := c.Allocate()
	if err != nil {
		t.Fatalf("allocating with the announced credential: %v", err)
	}
	relay.Close()
}

// TestWHEPPlaysScreenShare: a player with ?stream=sub plays the sharer's
// screen share (and its audio) while a plain player in the same room plays
// another anchor's camera; a bad stream value is refused.
func TestWHEPPlaysScreenShare(t *testing.T) {
	e := NewEnv(t)
	const room = 9107
	bob := e.Join("bob", room, rtc.SceneLive, rtc.RoleAudience)
	obs := e.newWHIPPublisher("obs", whipToken(t, "obs", room))
	obs.post("/whip", obs.offer(false))
	share := e.newWHIPPublisher("share", whipToken(t, "share", room))
	share.post("/whip?stream=sub", share.offer(false))
	bob.waitSeen("OnUserSubStreamAvailable", "share", true)

	screen := e.newWHEPPlayer("screen", whipToken(t, "screen", room))
	screen.post("/whep?stream=sub", screen.offer(false))
	camera := e.newWHEPPlayer("camera", whipToken(t, "camera", room))
	camera.post("/whep?stream=main", camera.offer(false))
	bad := e.newWHEPPlayer("bad", whipToken(t, "bad", room))
	if r := httpDo(t, http.MethodPost, e.Srv.URL()+"/whep?stream=aux", bad.token, "application/sdp", bad.offer(false)); r.status != http.StatusBadRequest {
		t.Fatalf("POST /whep?stream=aux = %d %s, want 400", r.status, r.body)
	}

	stop := make(chan struct{})
	wgO, wgS := whipPump(obs, 'o', stop), whipPump(share, 's', stop)
	defer wgS.Wait()
	defer wgO.Wait()
	defer close(stop)
	waitFor(t, waitTimeout, "the screen player playing the share", func() bool {
		v, a := screen.frames.counted('s')
		return len(v) > 5 && len(a) > 5
	})
	waitFor(t, waitTimeout, "the camera player playing obs", func() bool {
		v, a := camera.frames.counted('o')
		return len(v) > 5 && len(a) > 5
	})
	if v, a := screen.frames.counted('o'); len(v)+len(a) != 0 {
		t.Fatalf("the screen player played obs: %d video, %d audio", len(v), len(a))
	}
	if v, a := camera.frames.counted('s'); len(v)+len(a) != 0 {
		t.Fatalf("the camera player played the share: %d video, %d audio", len(v), len(a))
	}
}
