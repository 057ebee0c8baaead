package netem

import (
	"encoding/json"
	"math"
	"testing"
)

// webSpeedResult is TRTC.startSpeedTest's result as the page reports it.
type webSpeedResult struct {
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

// webSpeedTest runs the Web SDK's speed test from the page.
func (p *webPage) webSpeedTest(user string, up, down int) webSpeedResult {
	p.c.t.Helper()
	v := p.eval(`(o) => rt.TRTC.startSpeedTest(o)`, map[string]any{"sdkAppId": appID, "userId": user, "userSig": sig(p.c.t, user),
		"expectedUpBandwidth": up, "expectedDownBandwidth": down, "scene": 2})
	var res webSpeedResult
	if err := json.Unmarshal(v, &res); err != nil {
		p.c.t.Fatalf("result %s: %v", v, err)
	}
	p.c.t.Logf("%s: %+v", user, res)
	if !res.Success {
		p.c.t.Fatalf("speed test failed: %s", res.ErrMsg)
	}
	return res
}

// TestBrowserSpeedTest: the Web SDK's speed test (probes over an unordered,
// unreliable data channel) from Chromium across the link measures tbf caps
// of 500 and 2000 kbit/s within 15 % in each direction, asking for twice the
// cap as TestSpeedTest does for the Go SDK, and reports the loss of asking
// for twice what the path carries. SCTP's congestion control, which a page
// cannot turn off, backs off at the cap's drops, so the data channel comes
// a little further below the cap than UDP probes (docs/benchmarks.md).
func TestBrowserSpeedTest(t *testing.T) {
	n := NewNet(t)
	srv := n.StartServer(ServerOptions{})
	c := startChromium(t, srv.URL())
	p := c.openWebPage(srv, "speed")
	for _, cap := range []int{500, 2000} {
		n.Cap(cap, Both)
		res := p.webSpeedTest("capped", 2*cap, 2*cap)
		n.Cap(0, Both)
		if res.IP != n.ServerIP.String() {
			t.Errorf("tested %s, want %s", res.IP, n.ServerIP)
		}
		for _, got := range []struct {
			dir  string
			kbps int
			loss float64
		}{{"up", res.AvailableUpBandwidth, res.UpLostRate}, {"down", res.AvailableDownBandwidth, res.DownLostRate}} {
			errPct := 100 * (float64(got.kbps) - float64(cap)) / float64(cap)
			t.Logf("cap %d kbit/s: %s measured %d kbit/s (%+.1f%%), loss %.2f", cap, got.dir, got.kbps, errPct, got.loss)
			if math.Abs(errPct) > 15 {
				t.Errorf("cap %d kbit/s: %s bandwidth %d, not within 15%%", cap, got.dir, got.kbps)
			}
			if got.loss < 0.3 {
				t.Errorf("cap %d kbit/s at twice the cap: %s loss %.2f", cap, got.dir, got.loss)
			}
		}
	}
}
