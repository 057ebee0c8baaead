package netem

import (
	"math"
	"testing"

	"github.com/rtcengine/rtcengine/rtc"
)

// speedTest runs StartSpeedTest from a fresh client and returns its result.
func speedTest(t testing.TB, srv *Server, user string, up, down int) rtc.SpeedTestResult {
	t.Helper()
	c := NewClient(t, srv.SignalURL(), user)
	if code := c.StartSpeedTest(rtc.SpeedTestParams{
		SDKAppID: appID, UserID: user, UserSig: sig(t, user),
		ExpectedUpBandwidth: up, ExpectedDownBandwidth: down, Scene: rtc.SpeedTestSceneDelayAndBandwidth,
	}); code != 0 {
		t.Fatalf("StartSpeedTest: %d", code)
	}
	res := c.Wait("OnSpeedTestResult").Args[0].(rtc.SpeedTestResult)
	t.Logf("%s: %+v", user, res)
	if !res.Success {
		t.Fatalf("speed test failed: %s", res.ErrMsg)
	}
	return res
}

// TestSpeedTest measures the link with the SDK's speed test: clean, under
// tbf caps of 500 and 2000 kbit/s (the measured bandwidth must be within
// 15 % of the cap in each direction), and with 10 % random loss (the loss
// must show in both directions and lower the rating).
func TestSpeedTest(t *testing.T) {
	n := NewNet(t)
	srv := n.StartServer(ServerOptions{})

	clean := speedTest(t, srv, "clean", 2000, 2000)
	if clean.AvailableUpBandwidth < 1700 || clean.AvailableDownBandwidth < 1700 ||
		clean.UpLostRate > 0.02 || clean.DownLostRate > 0.02 || clean.RTT > 20 || clean.IP != n.ServerIP.String() {
		t.Errorf("clean link: %+v", clean)
	}
	if clean.Quality != rtc.QualityExcellent && clean.Quality != rtc.QualityGood {
		t.Errorf("clean link rated %v", clean.Quality)
	}

	for _, cap := range []int{500, 2000} {
		n.Cap(cap, Both)
		res := speedTest(t, srv, "capped", 2*cap, 2*cap)
		n.Cap(0, Both)
		for _, got := range []struct {
			dir  string
			kbps int
		}{{"up", res.AvailableUpBandwidth}, {"down", res.AvailableDownBandwidth}} {
			errPct := 100 * (float64(got.kbps) - float64(cap)) / float64(cap)
			t.Logf("cap %d kbit/s: %s measured %d kbit/s (%+.1f%%)", cap, got.dir, got.kbps, errPct)
			if math.Abs(errPct) > 15 {
				t.Errorf("cap %d kbit/s: %s bandwidth %d, not within 15%%", cap, got.dir, got.kbps)
			}
		}
	}

	n.Loss(10, Both)
	lossy := speedTest(t, srv, "lossy", 1000, 1000)
	n.Loss(0, Both)
	// About 200 probes a direction: 10 % loss measures 0.10 ± 0.02 (one
	// standard deviation); the bounds are 3.5 of them, so that chance alone
	// fails this about once in 2,000 runs.
	for _, l := range []float64{lossy.UpLostRate, lossy.DownLostRate} {
		if l < 0.03 || l > 0.175 {
			t.Errorf("10%% loss measured as %.3f", l)
		}
	}
	if lossy.Quality <= clean.Quality {
		t.Errorf("10%% loss rated %v, clean %v", lossy.Quality, clean.Quality)
	}
}
