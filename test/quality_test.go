package test

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// Statistics, network quality and voice volume: what OnStatistics reports
// must match what the application sent, a clean loopback call must rate
// Excellent or Good, and volumes must travel as RFC 6464 audio levels.

func (r *Recorder) OnStatistics(s rtc.Statistics) { r.add("OnStatistics", s) }
func (r *Recorder) OnNetworkQuality(local rtc.QualityInfo, remote []rtc.QualityInfo) {
	r.add("OnNetworkQuality", local, remote)
}
func (r *Recorder) OnUserVoiceVolume(v []rtc.VolumeInfo, total int) {
	r.add("OnUserVoiceVolume", v, total)
}

// next waits for the first callback named name that arrives from now on
// (5 s at most: statistics come every 2 s), skipping older ones.
func (c *Client) next(name string) Event {
	c.t.Helper()
	since := time.Now()
	ev, ok := c.rec.WaitFor(waitTimeout, func(e Event) bool { return e.Is(name) && e.At.After(since) })
	if !ok {
		c.t.Fatalf("%s: no %s within 5s", c.ID, name)
	}
	return ev
}

// nextStats waits for the next OnStatistics.
func (c *Client) nextStats() rtc.Statistics {
	c.t.Helper()
	return c.next("OnStatistics").Args[0].(rtc.Statistics)
}

// nextQuality waits for the next OnNetworkQuality.
func (c *Client) nextQuality() (rtc.QualityInfo, []rtc.QualityInfo) {
	c.t.Helper()
	ev := c.next("OnNetworkQuality")
	return ev.Args[0].(rtc.QualityInfo), ev.Args[1].([]rtc.QualityInfo)
}

// nextReport waits for the next OnStatistics and the OnNetworkQuality
// measured over the same interval, which follows it at once.
func (c *Client) nextReport() (rtc.Statistics, []rtc.QualityInfo) {
	c.t.Helper()
	st := c.nextStats()
	ev := c.Wait("OnNetworkQuality")
	return st, ev.Args[1].([]rtc.QualityInfo)
}

func remoteQuality(list []rtc.QualityInfo, user string) rtc.Quality {
	for _, q := range list {
		if q.UserID == user {
			return q.Quality
		}
	}
	return rtc.QualityUnknown
}

// pacer sends a known media load from a client: fps VP8 frames of
// frameSize bytes (a 640x360 keyframe every keyEvery frames) and a 20 ms
// Opus packet of opusSize bytes at volume, catching up on missed ticks so
// that the rate over any 2 s is exact. Frames carry the phase byte and a
// counter (see vp8Frame).
type pacer struct {
	c         *Client
	fps       int
	frameSize int
	keyEvery  uint32
	opusSize  int

	mu     sync.Mutex
	phase  byte
	volume int
	sent   map[byte]uint32 // video frames sent per phase

	stop chan struct{}
	wg   sync.WaitGroup
}

func startPacer(c *Client, fps, frameSize, opusSize int, keyEvery uint32) *pacer {
	p := &pacer{c: c, fps: fps, frameSize: frameSize, opusSize: opusSize, keyEvery: keyEvery,
		sent: map[byte]uint32{}, stop: make(chan struct{})}
	p.wg.Add(1)
	go p.run()
	c.t.Cleanup(p.halt)
	return p
}

func (p *pacer) setPhase(b byte) {
	p.mu.Lock()
	p.phase = b
	p.mu.Unlock()
}

func (p *pacer) setVolume(v int) {
	p.mu.Lock()
	p.volume = v
	p.mu.Unlock()
}

func (p *pacer) count(phase byte) uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent[phase]
}

func (p *pacer) halt() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.wg.Wait()
}

func (p *pacer) run() {
	defer p.wg.Done()
	start := time.Now()
	frameEvery := time.Second / time.Duration(p.fps)
	const audioEvery = 20 * time.Millisecond
	var frames, packets int64
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		el := time.Since(start)
		for ; frames <= int64(el/frameEvery); frames++ {
			p.mu.Lock()
			phase := p.phase
			n := p.sent[phase]
			p.sent[phase]++
			p.mu.Unlock()
			key := n%p.keyEvery == 0
			size := p.frameSize - 3 // frame tag
			if key {
				size = p.frameSize - 10 // tag, start code and size
			}
			f := vp8Frame(phase, n, key, size)
			_ = p.c.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: f, Keyframe: key})
		}
		for ; packets <= int64(el/audioEvery); packets++ {
			p.mu.Lock()
			vol := p.volume
			p.mu.Unlock()
			pkt := append([]byte{0xf8}, body('A', uint32(packets), p.opusSize-1)...)
			_ = p.c.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: pkt, Volume: vol})
		}
	}
}

func within(t *testing.T, what string, got, want int, tol float64) {
	t.Helper()
	if math.Abs(float64(got-want)) > tol*float64(want) {
		t.Errorf("%s = %d, want %d ±%.0f%%", what, got, want, tol*100)
	}
}

func TestStatisticsMatchWhatWasSent(t *testing.T) {
	e := NewEnv(t)
	const room = 7101
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob := e.Join("bob", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	s := newSink()
	bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)

	// 25 fps × 2000 B = 400 kbps of video, 50 × 120 B = 48 kbps of Opus.
	const (
		fps, frameSize, opusSize = 25, 2000, 120
		wantVideoKbps            = fps * frameSize * 8 / 1000
		wantAudioKbps            = 50 * opusSize * 8 / 1000
	)
	p := startPacer(alice, fps, frameSize, opusSize, 25)
	bob.waitSeen("OnFirstVideoFrame", "alice", int(rtc.StreamBig), 640, 360)
	bob.waitSeen("OnFirstAudioFrame", "alice")

	// The first interval may have started before the media; the next two
	// are full ones.
	alice.nextStats()
	bob.nextStats()
	var as, bs rtc.Statistics
	for range 2 {
		as, bs = alice.nextStats(), bob.nextStats()
	}
	p.halt()
	t.Logf("alice: %+v", as)
	t.Logf("bob:   %+v", bs)

	if len(as.Local) != 1 {
		t.Fatalf("alice Local = %+v, want one Big entry", as.Local)
	}
	l := as.Local[0]
	if l.StreamType != rtc.StreamBig || l.Width != 640 || l.Height != 360 || l.AudioSampleRate != 48000 {
		t.Errorf("alice Local[0] = %+v", l)
	}
	within(t, "alice FrameRate", l.FrameRate, fps, 0.1)
	within(t, "alice VideoBitrate", l.VideoBitrate, wantVideoKbps, 0.1)
	within(t, "alice AudioBitrate", l.AudioBitrate, wantAudioKbps, 0.1)
	if as.UpLoss != 0 || as.SentBytes == 0 || as.RTT < 0 || as.RTT > 50 {
		t.Errorf("alice UpLoss %d, SentBytes %d, RTT %d", as.UpLoss, as.SentBytes, as.RTT)
	}
	// Everything alice sent went out: bytes sent cover the media.
	if as.SentBytes < uint64(wantVideoKbps*1000/8*4) {
		t.Errorf("alice SentBytes %d: less than 4 s of media", as.SentBytes)
	}

	if len(bs.Remote) != 1 {
		t.Fatalf("bob Remote = %+v, want alice's Big entry", bs.Remote)
	}
	r := bs.Remote[0]
	if r.UserID != "alice" || r.StreamType != rtc.StreamBig || r.Width != 640 || r.Height != 360 || r.AudioSampleRate != 48000 {
		t.Errorf("bob Remote[0] = %+v", r)
	}
	within(t, "bob FrameRate", r.FrameRate, fps, 0.1)
	within(t, "bob VideoBitrate", r.VideoBitrate, wantVideoKbps, 0.1)
	within(t, "bob AudioBitrate", r.AudioBitrate, wantAudioKbps, 0.1)
	if r.VideoPacketLoss != 0 || r.AudioPacketLoss != 0 || bs.DownLoss != 0 {
		t.Errorf("bob loss on a clean network: down %d, video %d, audio %d", bs.DownLoss, r.VideoPacketLoss, r.AudioPacketLoss)
	}
	if bs.ReceivedBytes < uint64(wantVideoKbps*1000/8*4) {
		t.Errorf("bob ReceivedBytes %d: less than 4 s of media", bs.ReceivedBytes)
	}
}

func TestNetworkQualityCleanLoopback(t *testing.T) {
	e := NewEnv(t)
	const room = 7102
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob := e.Join("bob", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	startPacer(alice, 30, 1000, 100, 30)
	bob.waitSeen("OnFirstVideoFrame", "alice")

	bob.nextQuality() // may cover time before the media flowed
	alice.nextQuality()
	bl, br := bob.nextQuality()
	al, ar := alice.nextQuality()
	t.Logf("alice: local %v remote %v; bob: local %v remote %v", al, ar, bl, br)
	good := func(q rtc.Quality) bool { return q == rtc.QualityExcellent || q == rtc.QualityGood }
	if !good(al.Quality) || al.UserID != "" {
		t.Errorf("alice local quality %v", al)
	}
	if !good(bl.Quality) {
		t.Errorf("bob local quality %v", bl)
	}
	if q := remoteQuality(br, "alice"); !good(q) {
		t.Errorf("bob's quality of alice: %v (%v)", q, br)
	}
	if len(ar) != 0 {
		t.Errorf("alice receives nothing, yet remote quality %v", ar)
	}
}

func TestUserVoiceVolume(t *testing.T) {
	e := NewEnv(t)
	const room = 7103
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob := e.Join("bob", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	heard := make(chan int, 64)
	bob.SetAudioFrameObserver(rtc.AudioFormatOpus, rtc.AudioFrameObserverFunc(func(_ string, f *rtc.AudioFrame) {
		select {
		case heard <- f.Volume:
		default:
		}
	}))
	alice.EnableAudioVolumeEvaluation(200 * time.Millisecond)
	bob.EnableAudioVolumeEvaluation(50 * time.Millisecond) // counts as 100 ms
	alice.EnableCustomAudioCapture(true)
	p := startPacer(alice, 1, 100, 80, 1)
	p.setVolume(60)
	bob.waitSeen("OnFirstAudioFrame", "alice")

	volumeOf := func(ev Event, user string) (int, bool) {
		for _, v := range ev.Args[0].([]rtc.VolumeInfo) {
			if v.UserID == user {
				return v.Volume, true
			}
		}
		return 0, false
	}
	// Bob hears alice at the volume she sent (±1 for the dB rounding), and
	// the frames he gets say it too.
	ev, ok := bob.rec.WaitFor(waitTimeout, func(ev Event) bool {
		if !ev.Is("OnUserVoiceVolume") {
			return false
		}
		v, found := volumeOf(ev, "alice")
		return found && v > 0
	})
	if !ok {
		t.Fatalf("bob never heard alice speak: %v", bob.rec.All())
	}
	if v, _ := volumeOf(ev, "alice"); v < 59 || v > 61 || ev.Args[1].(int) != v {
		t.Errorf("bob: alice's volume %d, total %v; want 60", v, ev.Args[1])
	}
	if v := <-heard; v < 59 || v > 61 {
		t.Errorf("received frame Volume %d, want 60", v)
	}
	ev, ok = alice.rec.WaitFor(waitTimeout, func(ev Event) bool {
		if !ev.Is("OnUserVoiceVolume") {
			return false
		}
		_, found := volumeOf(ev, "")
		return found
	})
	if !ok {
		t.Fatalf("alice never heard herself: %v", alice.rec.All())
	}
	if v, _ := volumeOf(ev, ""); v != 60 {
		t.Errorf("alice's own volume %d, want 60", v)
	}

	// Silence: alice is no longer listed, but the callback keeps coming.
	p.setVolume(0)
	time.Sleep(300 * time.Millisecond) // packets already on their way
	mark := time.Now()
	for range 3 {
		ev, ok := bob.rec.WaitFor(time.Second, func(ev Event) bool { return ev.Is("OnUserVoiceVolume") && ev.At.After(mark) })
		if !ok {
			t.Fatal("OnUserVoiceVolume stopped while nobody speaks")
		}
		if v, found := volumeOf(ev, "alice"); found {
			t.Fatalf("silent alice listed with volume %d", v)
		}
	}

	// Disabled: no more callbacks.
	bob.EnableAudioVolumeEvaluation(0)
	time.Sleep(150 * time.Millisecond)
	n := len(filter(bob.rec.All(), "OnUserVoiceVolume"))
	time.Sleep(400 * time.Millisecond)
	if m := len(filter(bob.rec.All(), "OnUserVoiceVolume")); m != n {
		t.Errorf("%d OnUserVoiceVolume after disabling", m-n)
	}
}
