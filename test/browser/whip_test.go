package browser

import (
	"fmt"
	"testing"

	"github.com/rtcengine/rtcengine/usersig"
)

// whipToken is a PrivateMapKey with every privilege: the WHIP/WHEP token.
func whipToken(t testing.TB, user string, room uint32) string {
	t.Helper()
	tok, err := usersig.GenPrivateMapKey(appID, appSecret, user, 3600, room, usersig.PrivAll)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type whipStart struct {
	Status   int    `json:"status"`
	Location string `json:"location"`
	Error    string `json:"error"`
}

// startWHIPPage opens a WHIP or WHEP page (role "whip" or "whep") and
// starts it against endpoint.
func startWHIPPage(t *testing.T, s *Server, role, endpoint, token string) *Page {
	t.Helper()
	p := openPage(t, role, s.URL+"/demo/"+role+".html")
	p.Until("the page's script", `() => !!window.whipPage`, nil)
	var res whipStart
	p.Eval(`(o) => whipPage.start(o)`, map[string]any{"endpoint": endpoint, "token": token}, &res)
	if res.Status != 201 {
		t.Fatalf("%s page: POST %s = %d %s", role, endpoint, res.Status, res.Error)
	}
	return p
}

// playerDecodes waits until a WHEP page has decoded n video frames and
// received audio.
func playerDecodes(p *Page, n int) {
	p.t.Helper()
	p.Eval(`async (n) => {
		for (let i = 0; ; i++) {
			const s = await whipPage.stats();
			if (s.framesDecoded >= n && s.audio > 4800) return s;
			if (i > 400) throw new Error('player stats ' + JSON.stringify(s));
			await new Promise((r) => setTimeout(r, 50));
		}
	}`, n)
}

// TestWHIPAndWHEPPages: a WHIP publisher page (Chromium's fake camera and
// microphone, one POST) enters a live room an SDK page publishes in; the
// SDK page sees it enter and decodes its media; WHEP player pages play the
// WHIP page and the SDK page, invisible to the room; the WHIP page's
// DELETE makes the SDK page see it leave. A player started from its form
// on this development server fetches its own token.
func TestWHIPAndWHEPPages(t *testing.T) {
	s := newServer(t)
	const room = 4301
	sdk := openSDKPage(t, s, "alice", "")
	sdk.MustEnter("alice", room, "live", "anchor")
	sdk.Publish()

	pub := startWHIPPage(t, s, "whip", s.URL+"/whip", whipToken(t, "obs", room))
	pub.Until("publishing", `() => whipPage.page.state === 'publishing'`, nil)
	sdk.Seen("remote-user-enter", map[string]any{"userId": "obs"})
	sdk.Seen("remote-video-available", map[string]any{"userId": "obs", "streamType": "main"})
	sdk.Seen("remote-audio-available", map[string]any{"userId": "obs"})
	t.Logf("the SDK page decoded %d frames of the WHIP page", sdk.FramesGrow("obs", "video", 15))
	sdk.AudioGrows("obs")

	ofWHIP := startWHIPPage(t, s, "whep", s.URL+"/whep?anchor=obs", whipToken(t, "viewer1", room))
	playerDecodes(ofWHIP, 15)
	ofSDK := startWHIPPage(t, s, "whep", s.URL+"/whep?anchor=alice", whipToken(t, "viewer2", room))
	playerDecodes(ofSDK, 15)

	form := openPage(t, "whep-form", fmt.Sprintf("%s/demo/whep.html?room=%d&user=viewer3&anchor=obs&autostart=1", s.URL, room))
	form.Until("the form's player playing", `() => window.whipPage && whipPage.page.state === 'playing'`, nil)
	playerDecodes(form, 10)

	sdk.FramesGrow("obs", "video", 5)
	for _, v := range []string{"viewer1", "viewer2", "viewer3"} {
		sdk.NotSeen("remote-user-enter", map[string]any{"userId": v})
	}

	var code int
	pub.Eval(`() => whipPage.stop()`, nil, &code)
	if code != 200 {
		t.Fatalf("DELETE from the WHIP page = %d", code)
	}
	sdk.Seen("remote-user-exit", map[string]any{"userId": "obs"})
}
