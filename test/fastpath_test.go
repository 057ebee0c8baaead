package test

import (
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// The SFU's subscriber fast path (docs/sfu.md, "Fast path") carries a UDP
// subscriber's media and never an ICE-TCP subscriber's; both receive the
// anchor. (The round trip measured from the sender reports the engine now
// makes itself is checked in internal/sfu,
// TestFastPathForUDPNotForICETCPSubscribers; the SDK's own RTT comes from
// ICE checks and is sub-millisecond here.)
func TestMediaFastPathUDPNotTCP(t *testing.T) {
	e := NewEnv(t)
	const room = 7091
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	stop := make(chan struct{})
	wg := pump(alice, stop, false)
	defer func() { close(stop); wg.Wait() }()

	// An ICE-TCP subscriber alone: media flows, none of it on the fast path.
	rec := NewRecorder()
	cloud := rtc.NewCloud(rtc.WithServer(e.Srv.SignalURL()), rtc.WithConnectTimeout(5*time.Second), rtc.WithICEPolicy(rtc.ICEPolicyNoUDP))
	cloud.SetListener(rec)
	t.Cleanup(cloud.Close)
	carol := &Client{Cloud: cloud, rec: rec, t: t, ID: "carol"}
	carol.EnterRoom(e.Params("carol", room, rtc.RoleAnchor), rtc.SceneVideoCall)
	if r := carol.WaitEnter(); r <= 0 {
		t.Fatalf("carol: OnEnterRoom(%d)", r)
	}
	carol.waitSeen("OnFirstVideoFrame", "alice")
	if p := carol.waitPath(); p != rtc.MediaPathTCP {
		t.Fatalf("carol's media path %q, want ICE-TCP", p)
	}
	m := get(t, e.Srv.URL()+"/metrics")
	if fwd := metricValue(t, m, "rtcengine_media_forwarded_packets_total"); fwd == 0 {
		t.Fatal("nothing forwarded to the ICE-TCP subscriber")
	}
	if fast := metricValue(t, m, "rtcengine_media_fastpath_packets_total"); fast != 0 {
		t.Fatalf("fast-path packets %v with only an ICE-TCP subscriber", fast)
	}
	// Every forwarded packet's time in the server is in the histogram.
	if n, fwd := metricValue(t, m, "rtcengine_media_transit_seconds_count"), metricValue(t, m, "rtcengine_media_forwarded_packets_total"); n < fwd {
		t.Fatalf("transit histogram counted %v packets, %v forwarded", n, fwd)
	}

	// A UDP subscriber joins: its media takes the fast path.
	bob := e.Join("bob", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob.waitSeen("OnFirstVideoFrame", "alice")
	bob.waitSeen("OnFirstAudioFrame", "alice")
	var fast float64
	waitFor(t, waitTimeout, "fast-path packets on /metrics", func() bool {
		fast = metricValue(t, get(t, e.Srv.URL()+"/metrics"), "rtcengine_media_fastpath_packets_total")
		return fast >= 50
	})
	if errs := metricValue(t, get(t, e.Srv.URL()+"/metrics"), "rtcengine_media_write_errors_total"); errs != 0 {
		t.Errorf("write errors %v", errs)
	}
	if p := bob.waitPath(); p != rtc.MediaPathUDP {
		t.Fatalf("bob's media path %q, want UDP", p)
	}
	t.Logf("fast-path packets %v", fast)
}
