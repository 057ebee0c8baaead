package browser

import (
	"math"
	"strings"
	"testing"
)

// speedResult is TRTC.startSpeedTest's result as the page reports it.
type speedResult struct {
	Success                bool    `json:"success"`
	ErrMsg                 string  `json:"errMsg"`
	IP                     string  `json:"ip"`
	Quality                int     `json:"quality"`
	UpLostRate             float64 `json:"upLostRate"`
	DownLostRate           float64 `json:"downLostRate"`
	RTT                    int     `json:"rtt"`
	AvailableUpBandwidth   int     `json:"availableUpBandwidth"`
	AvailableDownBandwidth int     `json:"availableDownBandwidth"`
	UpJitter               int     `json:"upJitter"`
	DownJitter             int     `json:"downJitter"`
}

func speedParams(t *testing.T, user string, up, down, scene int) map[string]any {
	return map[string]any{"sdkAppId": appID, "userId": user, "userSig": mustSig(t, user),
		"expectedUpBandwidth": up, "expectedDownBandwidth": down, "scene": scene}
}

// TestSpeedTestInChromium: the Web SDK's speed test measures the loopback
// path over its data channel: no loss, a small round trip, and both
// directions carrying the expected rate. A second test while one runs, and a
// test from a page that is in a room, are refused with 5100; a bad UserSig
// fails the result with the server's code.
func TestSpeedTestInChromium(t *testing.T) {
	s := newServer(t)
	p := openSDKPage(t, s, "speed", "")
	const kbps = 2000

	var res speedResult
	p.Eval(`(o) => rt.TRTC.startSpeedTest(o)`, speedParams(t, "sam", kbps, kbps, 2), &res)
	t.Logf("result %+v", res)
	if !res.Success || res.ErrMsg != "" || res.IP != "127.0.0.1" {
		t.Fatalf("speed test failed: %+v\n%s", res, p.recentLog())
	}
	if res.RTT < 0 || res.RTT > 50 {
		t.Errorf("rtt %d ms on loopback", res.RTT)
	}
	if res.UpLostRate > 0.02 || res.DownLostRate > 0.02 {
		t.Errorf("loss up %.3f down %.3f on loopback", res.UpLostRate, res.DownLostRate)
	}
	for name, got := range map[string]int{"up": res.AvailableUpBandwidth, "down": res.AvailableDownBandwidth} {
		if math.Abs(float64(got-kbps)) > 0.15*kbps {
			t.Errorf("%s bandwidth %d kbps, want %d ±15 %%", name, got, kbps)
		}
	}
	if res.UpJitter < 0 || res.DownJitter < 0 || res.Quality < 1 || res.Quality > 2 {
		t.Errorf("jitter %d/%d ms, quality %d", res.UpJitter, res.DownJitter, res.Quality)
	}

	// Scene 1 measures the delay only; a second call meanwhile is refused.
	var both struct {
		Second *JSError    `json:"second"`
		First  speedResult `json:"first"`
	}
	p.Eval(`async (o) => {
		const first = rt.TRTC.startSpeedTest(o);
		const second = await rt.error(() => rt.TRTC.startSpeedTest(o));
		return { first: await first, second };
	}`, speedParams(t, "sam", 0, 0, 1), &both)
	if both.Second == nil || both.Second.Code != 5100 {
		t.Errorf("a second test while one runs: %v", both.Second)
	}
	if r := both.First; !r.Success || r.AvailableUpBandwidth != -1 || r.UpJitter != -1 || r.UpLostRate > 0.1 {
		t.Errorf("scene 1: %+v", r)
	}

	// A bad UserSig: the result fails with the server's code.
	bad := speedParams(t, "sam", 100, 100, 2)
	bad["userSig"] = "bad"
	p.Eval(`(o) => rt.TRTC.startSpeedTest(o)`, bad, &res)
	if res.Success || !strings.Contains(res.ErrMsg, "-100018") || res.AvailableDownBandwidth != -1 {
		t.Errorf("bad UserSig: %+v", res)
	}
	// Bad parameters reject with 5000.
	if e := p.Err(`rt.TRTC.startSpeedTest({sdkAppId: 1, userId: 'x', userSig: 's', scene: 7})`); e == nil || e.Code != 5000 {
		t.Errorf("scene 7: %v", e)
	}

	// In a room: refused.
	p.MustEnter("sam", 4801, "rtc", "anchor")
	var e *JSError
	p.Eval(`(o) => rt.error(() => rt.TRTC.startSpeedTest(o))`, speedParams(t, "sam", 0, 0, 1), &e)
	if e == nil || e.Code != 5100 {
		t.Errorf("in a room: %v", e)
	}
}
