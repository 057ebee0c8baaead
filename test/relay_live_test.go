package test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/relay"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/rtc"
)

// LIVE rooms across nodes: an origin and two edges on loopback, linked by
// the server-to-server relay (internal/relay) with explicitly configured
// origins, as the cluster layer configures them from Redis placement.

const clusterSecret = "relay-test-cluster-secret-0001"

// perNodeAudience is each node's audience cap in these tests: the room's
// audience is larger than any one node may hold.
const perNodeAudience = 2

// liveCluster starts an origin and two edges with the relay enabled.
func liveCluster(t *testing.T) (origin *Env, edges []*Env) {
	return liveNodes(t, "origin", "edge-1", "edge-2")
}

// liveNodes starts the named nodes, the first being the origin.
func liveNodes(t *testing.T, names ...string) (origin *Env, edges []*Env) {
	t.Helper()
	lowCap := func(c *config.Config) { c.Limits.LiveMaxAudience = perNodeAudience }
	for i, name := range names {
		e := NewEnv(t, lowCap)
		if err := e.Srv.EnableRelay(name, []byte(clusterSecret)); err != nil {
			t.Fatalf("%s: EnableRelay: %v", name, err)
		}
		if i == 0 {
			origin = e
		} else {
			edges = append(edges, e)
		}
	}
	return origin, edges
}

// pull mirrors the origin's room on edge and ends the mirror with the test.
func pull(t *testing.T, edge, origin *Env, room uint32) *relay.Mirror {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := edge.Srv.PullRoom(ctx, origin.Srv.URL(), trtc.RoomKey{App: appID, Num: room})
	if err != nil {
		t.Fatalf("PullRoom: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.Close(ctx)
	})
	return m
}

// viewer is an audience member entered on a node, pinned to one layer of
// alice's video.
type viewer struct {
	c    *Client
	s    *sink
	node string
}

func joinViewer(t *testing.T, e *Env, node, user string, room uint32, layer rtc.StreamType) viewer {
	t.Helper()
	v := viewer{c: e.Join(user, room, rtc.SceneLive, rtc.RoleAudience), s: newSink(), node: node}
	v.c.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, v.s)
	v.c.SetAudioFrameObserver(rtc.AudioFormatOpus, v.s)
	v.c.SetRemoteVideoStreamType("alice", layer)
	return v
}

func TestLiveRoomAcrossNodes(t *testing.T) {
	origin, edges := liveCluster(t)
	const room = 9601
	alice := origin.Join("alice", room, rtc.SceneLive, rtc.RoleAnchor)
	var mirrors []*relay.Mirror
	for _, e := range edges {
		mirrors = append(mirrors, pull(t, e, origin, room))
	}

	// Two viewers per node (each node's cap), one of them on small at an
	// edge: six viewers, three times what one node admits.
	var big []viewer
	var small viewer
	for i, e := range append([]*Env{origin}, edges...) {
		node := fmt.Sprintf("node%d", i)
		big = append(big, joinViewer(t, e, node, node+"-v1", room, rtc.StreamBig))
		if i == 1 {
			small = joinViewer(t, e, node, node+"-v2", room, rtc.StreamSmall)
		} else {
			big = append(big, joinViewer(t, e, node, node+"-v2", room, rtc.StreamBig))
		}
	}
	// The cap is real on every node: a third viewer is refused.
	extra := edges[1].NewClient("node2-v3", edges[1].Srv.SignalURL())
	extra.EnterRoom(edges[1].Params("node2-v3", room, rtc.RoleAudience), rtc.SceneLive)
	if r := extra.WaitEnter(); r >= 0 {
		t.Fatalf("third viewer on a node capped at %d: OnEnterRoom(%d)", perNodeAudience, r)
	}

	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	alice.EnableSmallVideoStream(true, rtc.VideoEncParam{VideoResolution: rtc.VideoResolution320x180, VideoFps: 15, VideoBitrate: 100})
	all := append(append([]viewer(nil), big...), small)
	for _, v := range all {
		v.c.waitSeen("OnRemoteUserEnterRoom", "alice")
		v.c.waitSeen("OnUserVideoAvailable", "alice", true)
		v.c.waitSeen("OnUserAudioAvailable", "alice", true)
	}

	// Warm up with keyframes on both layers until every viewer renders
	// and hears alice, and the small viewer renders the small layer. Its
	// first frame may be the big layer's: the viewer can subscribe before
	// the edge has the small layer, and then gets big until small comes,
	// as in TRTC when the small stream is missing.
	ready := func() bool {
		for _, v := range all {
			if !v.c.seen("OnFirstVideoFrame") || !v.c.seen("OnFirstAudioFrame", "alice") {
				return false
			}
		}
		return small.s.phaseFrames("alice", 'S') > 0
	}
	deadline := time.Now().Add(10 * time.Second)
	for n := uint32(0); !ready(); n++ {
		if time.Now().After(deadline) {
			for _, v := range all {
				t.Logf("%s: %v", v.c.ID, v.c.rec.All())
			}
			t.Fatalf("no media at every viewer within 10s; links %+v", origin.Srv.RelayLinks())
		}
		send(t, alice, 0, n, true)
		smallKey(t, alice, n)
		time.Sleep(20 * time.Millisecond)
	}
	small.c.Saw("OnFirstVideoFrame", "alice", int(rtc.StreamSmall))

	// The counted run: every frame reaches every viewer, whichever node.
	const count = 150
	var wantV, wantA [][]byte
	for i := range uint32(count) {
		v, a := send(t, alice, 1, i, i%30 == 0)
		wantV, wantA = append(wantV, v), append(wantA, a)
		time.Sleep(5 * time.Millisecond)
	}
	stop := make(chan struct{})
	tail := tailFrames(alice, stop)
	defer tail.Wait()
	defer close(stop)
	for _, v := range big {
		deadline := time.Now().Add(waitTimeout)
		for gv, ga := v.s.counted("alice"); len(gv) < count || len(ga) < count; gv, ga = v.s.counted("alice") {
			if time.Now().After(deadline) {
				// Audio is not repaired: one packet lost anywhere stops it.
				for i, e := range append([]*Env{origin}, edges...) {
					t.Logf("node%d: %s", i, mediaLossCounters(t, e))
				}
				t.Fatalf("%s received %d of %d video frames and %d of %d audio packets", v.c.ID, len(gv), count, len(ga), count)
			}
			time.Sleep(10 * time.Millisecond)
		}
		gv, ga := v.s.counted("alice")
		same(t, v.c.ID+" video", gv, wantV)
		same(t, v.c.ID+" audio", ga, wantA)
	}
	// The counted frames are big-layer frames only: the small viewer, once
	// on small, gets none of them.
	gv, ga := small.s.counted("alice")
	if len(gv) != 0 {
		t.Errorf("small viewer got %d big-layer frames after switching to small", len(gv))
	}
	if len(ga) < count {
		waitFor(t, waitTimeout, "small viewer's audio", func() bool { _, a := small.s.counted("alice"); return len(a) >= count })
	}

	// Each edge pulls each stream once, however many viewers it serves:
	// audio, big and small.
	links := origin.Srv.RelayLinks()
	if len(links) != 2 {
		t.Fatalf("origin serves %d links, want 2: %+v", len(links), links)
	}
	for _, l := range links {
		if l.Sent != 3 || l.Received != 0 || l.Mirrored != 0 {
			t.Errorf("link to %s: %+v, want 3 streams sent and nothing received", l.Node, l)
		}
	}
	for i, m := range mirrors {
		if st := m.Stats(); st.Received != 3 || st.Mirrored != 1 || st.Sent != 0 {
			t.Errorf("edge %d: %+v, want alice's 3 streams received once", i+1, st)
		}
	}

	// Ending edge 1's mirror takes alice out of its room, and only there.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := mirrors[0].Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, v := range all {
		if v.node == "node1" {
			v.c.waitSeen("OnRemoteUserLeaveRoom", "alice")
		}
	}
	waitFor(t, waitTimeout, "one link left at the origin", func() bool { return len(origin.Srv.RelayLinks()) == 1 })
	big[0].c.Never(0, "OnRemoteUserLeaveRoom", "alice")
	big[len(big)-1].c.Never(0, "OnRemoteUserLeaveRoom", "alice")
}

// smallKey sends one small-layer keyframe (320x180, phase 'S').
func smallKey(t *testing.T, c *Client, n uint32) {
	t.Helper()
	f := vp8Frame('S', n, true, 300)
	f[6], f[7], f[8], f[9] = 0x40, 0x01, 0xb4, 0x00 // 320x180
	if err := c.SendCustomVideoData(rtc.StreamSmall, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: f, Keyframe: true}); err != nil {
		t.Fatalf("small frame: %v", err)
	}
}

func TestLiveAnchorOnEdgeReachesEveryNode(t *testing.T) {
	origin, edges := liveCluster(t)
	const room = 9602
	host := origin.Join("host", room, rtc.SceneLive, rtc.RoleAnchor)
	for _, e := range edges {
		pull(t, e, origin, room)
	}
	onOrigin := joinViewer(t, origin, "origin", "o-viewer", room, rtc.StreamBig)
	onEdge1 := joinViewer(t, edges[0], "edge-1", "e1-viewer", room, rtc.StreamBig)

	// carol is an anchor whose client reached edge 2.
	carol := edges[1].Join("carol", room, rtc.SceneLive, rtc.RoleAnchor)
	for _, c := range []*Client{onOrigin.c, onEdge1.c} {
		c.SetRemoteVideoRenderCallback("carol", rtc.VideoFormatVP8, newSink())
	}
	carol.EnableCustomVideoCapture(rtc.StreamBig, true)
	carol.EnableCustomAudioCapture(true)
	stop := make(chan struct{})
	wg := pump(carol, stop, false)
	defer wg.Wait()
	defer close(stop)

	for _, c := range []*Client{onOrigin.c, onEdge1.c, host} {
		c.waitSeen("OnRemoteUserEnterRoom", "carol")
		c.waitSeen("OnUserVideoAvailable", "carol", true)
		c.waitSeen("OnFirstVideoFrame", "carol", int(rtc.StreamBig), 640, 360)
		c.waitSeen("OnFirstAudioFrame", "carol")
	}
	// Custom messages and SEI cross both hops (edge 2 → origin → edge 1).
	if !carol.SendCustomCmdMsg(1, []byte("hello from edge 2"), true, true) {
		t.Fatal("SendCustomCmdMsg refused")
	}
	if !carol.SendSEIMsg([]byte("sei from edge 2"), 1) {
		t.Fatal("SendSEIMsg refused")
	}
	for _, c := range []*Client{onOrigin.c, onEdge1.c, host} {
		c.waitSeen("OnRecvCustomCmdMsg", "carol", 1, 1, "hello from edge 2")
		c.waitSeen("OnRecvSEIMsg", "carol", "sei from edge 2")
	}

	// The origin mirrors carol from edge 2 and sends her on to edge 1.
	for _, l := range origin.Srv.RelayLinks() {
		switch l.Node {
		case "edge-2":
			if l.Received != 2 || l.Mirrored != 1 {
				t.Errorf("link from edge 2: %+v, want carol's 2 streams received", l)
			}
		case "edge-1":
			if l.Sent != 2 {
				t.Errorf("link to edge 1: %+v, want carol's 2 streams sent", l)
			}
		}
	}

	// carol leaves: every node sees her go.
	carol.ExitRoom()
	for _, c := range []*Client{onOrigin.c, onEdge1.c, host} {
		c.waitSeen("OnRemoteUserLeaveRoom", "carol")
	}
}

func TestRelayRefusesForgedRequests(t *testing.T) {
	origin, _ := liveCluster(t)
	const room = 9603
	key := trtc.RoomKey{App: appID, Num: room}

	// An edge with the wrong secret is refused with a TRTC code.
	mallory, err := relay.NewEdge(relay.EdgeConfig{Node: "mallory", Secret: []byte("not-the-cluster-secret")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = mallory.Pull(ctx, origin.Srv.URL(), key)
	var refused *relay.RefusedError
	if !errors.As(err, &refused) || refused.Status != http.StatusUnauthorized || refused.Code != trtc.ErrSigVerifyFailed {
		t.Fatalf("forged pull: %v, want 401 with code %d", err, trtc.ErrSigVerifyFailed)
	}

	signed := func(secret string, at time.Time, nonce string) http.Header {
		return relayHeaders(secret, key, at, nonce)
	}
	nonce := "00112233445566778899aabbccddeeff"
	cases := []struct {
		name   string
		query  string
		header http.Header
		status int
		code   int
	}{
		{"no headers", "room=" + key.String(), http.Header{}, 401, trtc.ErrSigVerifyFailed},
		{"wrong secret", "room=" + key.String(), signed("another-secret-of-16+", time.Now(), nonce), 401, trtc.ErrSigVerifyFailed},
		{"stale", "room=" + key.String(), signed(clusterSecret, time.Now().Add(-5*time.Minute), nonce), 401, trtc.ErrSigVerifyFailed},
		{"signed for another room", "room=" + appIDString() + "/9999", signed(clusterSecret, time.Now(), nonce), 401, trtc.ErrSigVerifyFailed},
		{"bad room", "room=garbage", signed(clusterSecret, time.Now(), nonce), 400, trtc.ErrInvalidParameter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", origin.Srv.URL()+relay.Path+"?"+tc.query, nil)
			req.Header = tc.header
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("body: %v", err)
			}
			if resp.StatusCode != tc.status || body.Code != tc.code || body.Message == "" {
				t.Fatalf("HTTP %d %+v, want %d code %d", resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}
	if links := origin.Srv.RelayLinks(); len(links) != 0 {
		t.Fatalf("refused requests left links: %+v", links)
	}
}

func appIDString() string { return strconv.Itoa(appID) }

// relayHeaders signs a relay request from node "edge-x" as docs/cluster.md
// describes.
func relayHeaders(secret string, key trtc.RoomKey, at time.Time, nonce string) http.Header {
	unix := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("rtcengine-relay/1\nedge-x\n" + key.String() + "\n" + unix + "\n" + nonce))
	h := http.Header{}
	h.Set(relay.HeaderNode, "edge-x")
	h.Set(relay.HeaderTime, unix)
	h.Set(relay.HeaderNonce, nonce)
	h.Set(relay.HeaderSignature, hex.EncodeToString(m.Sum(nil)))
	return h
}

// TestRelayClosesLinksOnBadMessages: an authenticated peer that sends
// garbage loses its link with status 1008 and a reason; nothing is left
// behind and the origin keeps serving.
func TestRelayClosesLinksOnBadMessages(t *testing.T) {
	origin, _ := liveNodes(t, "origin")
	key := trtc.RoomKey{App: appID, Num: 9605}
	host := origin.Join("host", key.Num, rtc.SceneLive, rtc.RoleAnchor)
	u := "ws" + strings.TrimPrefix(origin.Srv.URL(), "http") + relay.Path + "?room=" + key.String()
	bad := []struct{ name, frame string }{
		{"not json", "{"},
		{"unknown kind", `{"t":"hello"}`},
		{"bad user", `{"t":"member","user":"no spaces allowed"}`},
		{"bad sdp", `{"t":"offer","sdp":"v=0 garbage"}`},
		{"unexpected answer", `{"t":"answer","sdp":"v=0\r\n"}`},
		{"oversized custom message", `{"t":"msg","user":"a","cmd":1,"data":"` + strings.Repeat("QUFB", 400) + `"}`},
	}
	for i, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			nonce := fmt.Sprintf("%032x", i+1)
			ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{
				HTTPHeader: relayHeaders(clusterSecret, key, time.Now(), nonce), Subprotocols: []string{relay.Subprotocol},
			})
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer ws.CloseNow()
			// The origin announces its anchor first.
			if _, b, err := ws.Read(ctx); err != nil || !strings.Contains(string(b), `"member"`) {
				t.Fatalf("first message %q, %v", b, err)
			}
			if err := ws.Write(ctx, websocket.MessageText, []byte(tc.frame)); err != nil {
				t.Fatal(err)
			}
			for {
				_, _, err = ws.Read(ctx)
				if err != nil {
					break
				}
			}
			var ce websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || ce.Reason == "" {
				t.Fatalf("link ended with %v, want 1008 and a reason", err)
			}
		})
	}
	waitFor(t, waitTimeout, "links removed", func() bool { return len(origin.Srv.RelayLinks()) == 0 })
	host.Never(0, "OnRemoteUserEnterRoom")
}

func TestLiveEdgeAnswersNACKsFromItsCache(t *testing.T) {
	origin, edges := liveNodes(t, "origin", "edge-1")
	edge := edges[0]
	const room = 9604
	alice := origin.Join("alice", room, rtc.SceneLive, rtc.RoleAnchor)
	pull(t, edge, origin, room)

	// The viewer's downlink from the edge loses 5 % of its datagrams.
	lossy := NewLossyRelay(t, edge.Srv.MediaAddr())
	sig := NewSignalRewriter(t, edge.Srv.SignalURL(), lossy.Addr())
	viewer := edge.NewClient("viewer", sig.URL())
	s := newSink()
	viewer.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)
	viewer.EnterRoom(edge.Params("viewer", room, rtc.RoleAudience), rtc.SceneLive)
	if r := viewer.WaitEnter(); r <= 0 {
		t.Fatalf("viewer: OnEnterRoom(%d)", r)
	}
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	viewer.waitSeen("OnUserVideoAvailable", "alice", true)
	deadline := time.Now().Add(10 * time.Second)
	for n := uint32(0); !viewer.seen("OnFirstVideoFrame"); n++ {
		if time.Now().After(deadline) {
			t.Fatalf("no video at the viewer: %v", viewer.rec.All())
		}
		send(t, alice, 0, n, true)
		time.Sleep(20 * time.Millisecond)
	}

	lossy.SetDownLoss(0.05)
	const count = 150
	var want [][]byte
	for i := range uint32(count) {
		v, _ := send(t, alice, 1, i, i%30 == 0)
		want = append(want, v)
		time.Sleep(5 * time.Millisecond)
	}
	// Frames keep coming after the counted run, so that a loss among its
	// last packets is noticed and repaired like any other.
	stop := make(chan struct{})
	tail := tailFrames(alice, stop)
	waitFor(t, waitTimeout, "every frame at the lossy viewer", func() bool {
		v, _ := s.counted("alice")
		return len(v) >= count
	})
	close(stop)
	tail.Wait()
	v, _ := s.counted("alice")
	same(t, "viewer video", v, want)
	if dropped, _ := lossy.Stats(); dropped == 0 {
		t.Fatal("the relay dropped nothing")
	}
	// The repairs came from the edge's cache, not from the origin.
	edgeResent := metricValue(t, get(t, edge.Srv.URL()+"/metrics"), "rtcengine_media_retransmits_total")
	originNACKs := metricValue(t, get(t, origin.Srv.URL()+"/metrics"), "rtcengine_media_nacks_total")
	if edgeResent == 0 || originNACKs >= edgeResent {
		t.Fatalf("edge resent %v packets, origin was asked for %v: the edge should repair its viewers' loss", edgeResent, originNACKs)
	}
	t.Logf("edge retransmissions %v; NACKs that reached the origin %v", edgeResent, originNACKs)
	// The edge viewer's keyframe requests crossed the link: the origin's
	// only subscribers are the link's streams.
	if plis := metricValue(t, get(t, origin.Srv.URL()+"/metrics"), "rtcengine_media_keyframe_requests_total"); plis == 0 {
		t.Fatal("no keyframe request reached the origin over the link")
	}
}

// tailFrames sends uncounted delta frames (phase 2) every 20 ms until stop.
func tailFrames(c *Client, stop <-chan struct{}) *sync.WaitGroup {
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
			f := &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: vp8Frame(2, n, false, 500), Timestamp: 2_000_000 + uint64(n)*20}
			_ = c.SendCustomVideoData(rtc.StreamBig, f)
		}
	}()
	return &wg
}

// TestDevRelayEndpoint: the development endpoint the fanout benchmark uses
// answers bad input with a TRTC code, and links two nodes.
func TestDevRelayEndpoint(t *testing.T) {
	dev := func(c *config.Config) { c.Dev = true }
	origin, edge := NewEnv(t, dev), NewEnv(t, dev)
	post := func(e *Env, body string) (int, int) {
		resp, err := http.Post(e.Srv.URL()+"/dev/relay", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Code int }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("body: %v", err)
		}
		return resp.StatusCode, out.Code
	}
	for _, bad := range []string{`{`, `{"node":"o","secret":"short"}`, `{"node":"bad node","secret":"` + clusterSecret + `"}`} {
		if st, code := post(origin, bad); st != http.StatusBadRequest || code != trtc.ErrInvalidParameter {
			t.Fatalf("%s: HTTP %d code %d", bad, st, code)
		}
	}
	if st, code := post(origin, `{"node":"origin","secret":"`+clusterSecret+`"}`); st != http.StatusOK || code != 0 {
		t.Fatalf("enable: HTTP %d code %d", st, code)
	}
	if st, code := post(edge, `{"node":"edge","secret":"`+clusterSecret+`","origin":"`+origin.Srv.URL()+`","room":"garbage"}`); st != http.StatusBadRequest || code != trtc.ErrInvalidParameter {
		t.Fatalf("bad room: HTTP %d code %d", st, code)
	}
	if st, code := post(edge, `{"node":"edge","secret":"`+clusterSecret+`","origin":"`+origin.Srv.URL()+`","room":"`+appIDString()+`/9606"}`); st != http.StatusOK || code != 0 {
		t.Fatalf("pull: HTTP %d code %d", st, code)
	}
	waitFor(t, waitTimeout, "the link at the origin", func() bool { return len(origin.Srv.RelayLinks()) == 1 })
}

// mediaLossCounters are a node's counters of media it dropped or could not
// send, from /metrics.
func mediaLossCounters(t *testing.T, e *Env) string {
	var out []string
	for _, line := range strings.Split(get(t, e.Srv.URL()+"/metrics"), "\n") {
		for _, name := range []string{"rtcengine_media_queue_drops_total ", "rtcengine_media_write_errors_total ", "rtcengine_media_udp_send_errors_total ", "rtcengine_media_nacks_total ", "rtcengine_media_retransmits_total "} {
			if strings.HasPrefix(line, name) {
				out = append(out, line)
			}
		}
	}
	return strings.Join(out, ", ")
}
