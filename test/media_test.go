package test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// Media integration tests: Go SDK clients publish synthetic encoded media
// through a real server and check what every subscriber gets. Frames carry
// a phase, a counter and a CRC, so order, loss and corruption all show.

// vp8Frame is a VP8 frame with a real uncompressed header (keyframes carry
// the start code and the size the receiver reports) and an opaque body.
func vp8Frame(phase byte, n uint32, key bool, size int) []byte {
	var f []byte
	if key {
		f = []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01} // 640x360
	} else {
		f = []byte{0x11, 0x02, 0x00}
	}
	return append(f, body(phase, n, size)...)
}

// opusPacket is a CELT 20 ms TOC byte and an opaque body.
func opusPacket(phase byte, n uint32) []byte {
	return append([]byte{0xf8}, body(phase, n, 60+int(n%40))...)
}

func body(phase byte, n uint32, size int) []byte {
	b := make([]byte, size)
	b[0] = phase
	binary.BigEndian.PutUint32(b[1:], n)
	for i := 9; i < size; i++ {
		b[i] = byte(uint32(i)*31 + n)
	}
	binary.BigEndian.PutUint32(b[5:], crc32.ChecksumIEEE(b[9:]))
	return b
}

// sink collects the frames a client renders and hears.
type sink struct {
	mu    sync.Mutex
	cond  *sync.Cond
	video map[string][]*rtc.VideoFrame
	audio map[string][]*rtc.AudioFrame
}

func newSink() *sink {
	s := &sink{video: map[string][]*rtc.VideoFrame{}, audio: map[string][]*rtc.AudioFrame{}}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *sink) OnRenderVideoFrame(user string, _ rtc.StreamType, f *rtc.VideoFrame) {
	s.mu.Lock()
	s.video[user] = append(s.video[user], f)
	s.cond.Broadcast()
	s.mu.Unlock()
}

func (s *sink) OnRemoteUserAudioFrame(user string, f *rtc.AudioFrame) {
	s.mu.Lock()
	s.audio[user] = append(s.audio[user], f)
	s.cond.Broadcast()
	s.mu.Unlock()
}

// counted returns the payloads of phase-1 frames from user.
func (s *sink) counted(user string) (video, audio [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.video[user] {
		if phaseOf(f.Data, true) == 1 {
			video = append(video, f.Data)
		}
	}
	for _, f := range s.audio[user] {
		if phaseOf(f.Data, false) == 1 {
			audio = append(audio, f.Data)
		}
	}
	return video, audio
}

// phaseFrames counts the video frames of phase from user.
func (s *sink) phaseFrames(user string, phase byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.video[user] {
		if phaseOf(f.Data, true) == phase {
			n++
		}
	}
	return n
}

func phaseOf(f []byte, video bool) byte {
	switch {
	case !video && len(f) > 1:
		return f[1]
	case video && len(f) > 10 && f[0]&1 == 0:
		return f[10]
	case video && len(f) > 3:
		return f[3]
	}
	return 0xff
}

// waitFor polls until cond holds (d at most).
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// seen reports whether c has received a callback (in any order).
func (c *Client) seen(name string, args ...any) bool {
	for _, e := range c.rec.All() {
		if e.Is(name, args...) {
			return true
		}
	}
	return false
}

// waitSeen waits for a callback regardless of what came before it.
func (c *Client) waitSeen(name string, args ...any) {
	c.t.Helper()
	waitFor(c.t, waitTimeout, c.ID+" "+name, func() bool { return c.seen(name, args...) })
}

func TestMediaFanout(t *testing.T) {
	e := NewEnv(t)
	const room = 7001
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	var subs []*Client
	var sinks []*sink
	for _, u := range []string{"bob", "carol", "dave"} {
		c := e.Join(u, room, rtc.SceneVideoCall, rtc.RoleAnchor)
		s := newSink()
		c.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)
		c.SetAudioFrameObserver(rtc.AudioFormatOpus, s)
		subs, sinks = append(subs, c), append(sinks, s)
	}

	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	for _, c := range subs {
		c.waitSeen("OnUserVideoAvailable", "alice", true)
		c.waitSeen("OnUserAudioAvailable", "alice", true)
	}

	// Warm up until every subscriber renders and hears alice: keyframes
	// only, so that whoever starts late starts at once.
	ready := func() bool {
		for _, c := range subs {
			if !c.seen("OnFirstVideoFrame") || !c.seen("OnFirstAudioFrame", "alice") {
				return false
			}
		}
		return alice.seen("OnSendFirstLocalVideoFrame", 0) && alice.seen("OnSendFirstLocalAudioFrame")
	}
	deadline := time.Now().Add(8 * time.Second)
	var n uint32
	for !ready() {
		if time.Now().After(deadline) {
			t.Fatalf("no media within 8s: alice %v; bob %v", alice.rec.All(), subs[0].rec.All())
		}
		send(t, alice, 0, n, true)
		n++
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range subs {
		c.Saw("OnFirstVideoFrame", "alice", int(rtc.StreamBig), 640, 360)
	}

	// The counted run: 150 video frames (a keyframe every 30) and as many
	// audio packets, about 5 ms apart.
	const count = 150
	var wantV, wantA [][]byte
	for i := range uint32(count) {
		v, a := send(t, alice, 1, i, i%30 == 0)
		wantV, wantA = append(wantV, v), append(wantA, a)
		time.Sleep(5 * time.Millisecond)
	}
	for i, s := range sinks {
		waitFor(t, waitTimeout, subs[i].ID+" receiving every frame", func() bool {
			v, a := s.counted("alice")
			return len(v) >= count && len(a) >= count
		})
		v, a := s.counted("alice")
		same(t, subs[i].ID+" video", v, wantV)
		same(t, subs[i].ID+" audio", a, wantA)
	}
	// /metrics counts what was forwarded: at least a packet per frame and
	// per audio packet for every subscriber, all through the media socket.
	m := get(t, e.Srv.URL()+"/metrics")
	fwd := metricValue(t, m, "rtcengine_media_forwarded_packets_total")
	if min := float64(2 * count * len(subs)); fwd < min {
		t.Errorf("forwarded packets %v, want ≥ %v", fwd, min)
	}
	if udp := metricValue(t, m, "rtcengine_media_udp_packets_total"); udp < fwd {
		t.Errorf("udp packets %v < forwarded %v", udp, fwd)
	}
	if errs := metricValue(t, m, "rtcengine_media_udp_send_errors_total"); errs != 0 {
		t.Errorf("udp send errors: %v", errs)
	}
}

// metricValue reads one unlabelled sample from a Prometheus text page.
func metricValue(t *testing.T, page, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(page, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("metrics lack %s", name)
	return 0
}

// send sends one video frame and one audio packet from c.
func send(t *testing.T, c *Client, phase byte, n uint32, key bool) (video, audio []byte) {
	t.Helper()
	video = vp8Frame(phase, n, key, 400+int(n*113%2500))
	audio = opusPacket(phase, n)
	ts := uint64(n) * 20
	if phase == 1 {
		ts += 1_000_000 // after every warm-up frame
	}
	if err := c.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: video, Keyframe: key, Timestamp: ts}); err != nil {
		t.Fatalf("SendCustomVideoData: %v", err)
	}
	if err := c.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: audio, SampleRate: 48000, Channels: 1, Timestamp: ts}); err != nil {
		t.Fatalf("SendCustomAudioData: %v", err)
	}
	return video, audio
}

func same(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d frames, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%s: frame %d differs (%d bytes, want %d)", what, i, len(got[i]), len(want[i]))
		}
	}
}

func TestMediaMuteLocal(t *testing.T) {
	e := NewEnv(t)
	alice := e.Join("alice", 7002, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob := e.Join("bob", 7002, rtc.SceneVideoCall, rtc.RoleAnchor)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	bob.Wait("OnUserVideoAvailable", "alice", true)
	bob.waitSeen("OnUserAudioAvailable", "alice", true)

	alice.MuteLocalVideo(rtc.StreamBig, true)
	bob.Wait("OnUserVideoAvailable", "alice", false)
	alice.MuteLocalVideo(rtc.StreamBig, false)
	bob.Wait("OnUserVideoAvailable", "alice", true)

	alice.MuteLocalAudio(true)
	bob.Wait("OnUserAudioAvailable", "alice", false)
	// Muted audio still sends (silence): the track stays.
	if err := alice.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: opusPacket(0, 1)}); err != nil {
		t.Fatalf("muted SendCustomAudioData: %v", err)
	}
	alice.MuteLocalAudio(false)
	bob.Wait("OnUserAudioAvailable", "alice", true)

	alice.EnableCustomVideoCapture(rtc.StreamBig, false)
	bob.Wait("OnUserVideoAvailable", "alice", false)
}

func TestMediaAudienceCannotPublish(t *testing.T) {
	e := NewEnv(t)
	anchor := e.Join("anchor", 7003, rtc.SceneLive, rtc.RoleAnchor)
	viewer := e.Join("viewer", 7003, rtc.SceneLive, rtc.RoleAudience)
	viewer.EnableCustomVideoCapture(rtc.StreamBig, true)
	viewer.Wait("OnWarning", 6001)
	err := viewer.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: vp8Frame(0, 0, true, 100)})
	if !errors.Is(err, rtc.ErrAudienceCannotPublish) {
		t.Fatalf("audience SendCustomVideoData: %v", err)
	}
	anchor.Never(200*time.Millisecond, "OnUserVideoAvailable", "viewer")

	// Once an anchor, the capture enabled earlier is published.
	viewer.SwitchRole(rtc.RoleAnchor)
	viewer.Wait("OnSwitchRole", 0)
	anchor.waitSeen("OnUserVideoAvailable", "viewer", true)
}

// pump sends keyframes (and audio) from c every 20 ms until stop is
// closed; the phase byte marks the stream: 'B' big, 'S' small.
func pump(c *Client, stop <-chan struct{}, small bool) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for n := uint32(0); ; n++ {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			_ = c.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: vp8Frame('B', n, true, 1500), Keyframe: true})
			if small {
				f := vp8Frame('S', n, true, 300)
				f[6], f[7], f[8], f[9] = 0x40, 0x01, 0xb4, 0x00 // 320x180
				_ = c.SendCustomVideoData(rtc.StreamSmall, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: f, Keyframe: true})
			}
			_ = c.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: opusPacket('A', n)})
		}
	}()
	return &wg
}

func (s *sink) counts(user string) (video, audio int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.video[user]), len(s.audio[user])
}

func TestMediaManualSubscribe(t *testing.T) {
	e := NewEnv(t)
	const room = 7004
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob := e.NewClient("bob", e.Srv.SignalURL())
	bob.SetDefaultStreamRecvMode(false, false)
	s := newSink()
	bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)
	bob.SetAudioFrameObserver(rtc.AudioFormatOpus, s)
	bob.EnterRoom(e.Params("bob", room, rtc.RoleAnchor), rtc.SceneVideoCall)
	if r := bob.WaitEnter(); r <= 0 {
		t.Fatalf("bob: OnEnterRoom(%d)", r)
	}

	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	stop := make(chan struct{})
	wg := pump(alice, stop, false)
	defer wg.Wait()
	defer close(stop)

	bob.waitSeen("OnUserVideoAvailable", "alice", true)
	alice.waitSeen("OnSendFirstLocalVideoFrame", 0)
	bob.Never(300*time.Millisecond, "OnFirstVideoFrame")
	bob.Never(0, "OnFirstAudioFrame")
	if v, a := s.counts("alice"); v+a != 0 {
		t.Fatalf("manual mode received %d video and %d audio frames unasked", v, a)
	}

	bob.StartRemoteView("alice", rtc.StreamBig)
	bob.waitSeen("OnFirstVideoFrame", "alice", int(rtc.StreamBig), 640, 360)
	bob.MuteRemoteAudio("alice", false)
	bob.waitSeen("OnFirstAudioFrame", "alice")

	bob.StopRemoteView("alice", rtc.StreamBig)
	bob.MuteRemoteAudio("alice", true)
	time.Sleep(150 * time.Millisecond) // frames already on their way
	v0, a0 := s.counts("alice")
	time.Sleep(300 * time.Millisecond)
	if v, a := s.counts("alice"); v != v0 || a != a0 {
		t.Fatalf("after StopRemoteView/MuteRemoteAudio: video %d→%d, audio %d→%d", v0, v, a0, a)
	}
}

func TestMediaSmallStream(t *testing.T) {
	e := NewEnv(t)
	const room = 7005
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob := e.Join("bob", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	s := newSink()
	bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)

	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableSmallVideoStream(true, rtc.VideoEncParam{VideoResolution: rtc.VideoResolution320x180, VideoFps: 15, VideoBitrate: 100})
	stop := make(chan struct{})
	wg := pump(alice, stop, true)
	defer wg.Wait()
	defer close(stop)
	alice.waitSeen("OnSendFirstLocalVideoFrame", int(rtc.StreamSmall))

	last := func() byte {
		s.mu.Lock()
		defer s.mu.Unlock()
		f := s.video["alice"]
		if len(f) == 0 {
			return 0
		}
		return phaseOf(f[len(f)-1].Data, true)
	}
	bob.SetRemoteVideoStreamType("alice", rtc.StreamSmall)
	waitFor(t, waitTimeout, "small frames", func() bool { return last() == 'S' })
	bob.SetRemoteVideoStreamType("alice", rtc.StreamBig)
	waitFor(t, waitTimeout, "big frames again", func() bool { return last() == 'B' })

	// One continuous track: once a layer's frames start, the other's stop.
	s.mu.Lock()
	defer s.mu.Unlock()
	var runs []byte
	for _, f := range s.video["alice"] {
		if p := phaseOf(f.Data, true); len(runs) == 0 || runs[len(runs)-1] != p {
			runs = append(runs, p)
		}
	}
	if len(runs) > 3 {
		t.Fatalf("layers interleaved: %q", runs)
	}
}

// h264AU is an access unit with 4-byte start codes (what the receiver
// produces): SPS (640x360) + PPS + IDR slice for keyframes, one P slice
// otherwise. Slice bodies avoid zero bytes, so no false start codes.
func h264AU(n uint32, key bool, size int) []byte {
	sc := []byte{0, 0, 0, 1}
	var au []byte
	if key {
		au = append(au, sc...)
		au = append(au, 0x67, 0x42, 0xc0, 0x1e, 0xed, 0x01, 0x40, 0x5f, 0xf2, 0xa0)
		au = append(au, sc...)
		au = append(au, 0x68, 0xce, 0x3c, 0x80)
	}
	slice := make([]byte, size)
	slice[0] = 0x61
	if key {
		slice[0] = 0x65
	}
	copy(slice[1:], fmt.Sprintf("%08d", n))
	for i := 9; i < size; i++ {
		slice[i] = byte(uint32(i)*31+n) | 0x01
	}
	au = append(au, sc...)
	return append(au, slice...)
}

func TestMediaH264(t *testing.T) {
	e := NewEnv(t)
	alice := e.Join("alice", 7006, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob := e.Join("bob", 7006, rtc.SceneVideoCall, rtc.RoleAnchor)
	s := newSink()
	bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatH264, s)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)

	var want [][]byte
	deadline := time.Now().Add(8 * time.Second)
	for n := uint32(0); !bob.seen("OnFirstVideoFrame"); n++ {
		if time.Now().After(deadline) {
			t.Fatal("no H.264 frame within 8s")
		}
		au := h264AU(n, true, 3000) // keyframes until bob renders
		if err := alice.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatH264, Data: au}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	bob.Saw("OnFirstVideoFrame", "alice", int(rtc.StreamBig), 640, 360)
	for n := uint32(1000); n < 1060; n++ {
		au := h264AU(n, n%20 == 0, 200+int(n*37%4000))
		want = append(want, au)
		if err := alice.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatH264, Data: au}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	counted := func() [][]byte {
		s.mu.Lock()
		defer s.mu.Unlock()
		var got [][]byte
		for _, f := range s.video["alice"] {
			i := bytes.LastIndex(f.Data, []byte{0, 0, 0, 1})
			if n, _ := strconv.Atoi(string(f.Data[i+5 : i+13])); f.Format == rtc.VideoFormatH264 && n >= 1000 {
				got = append(got, f.Data)
			}
		}
		return got
	}
	waitFor(t, waitTimeout, "every H.264 access unit", func() bool { return len(counted()) >= len(want) })
	got := counted()
	same(t, "H.264", got, want)
}

// TestMediaAfterReconnect: a publisher's signaling breaks. Resumed, its
// media never stopped; entered anew (past the drop timeout), it negotiates
// again and subscribers see it publish again.
func TestMediaAfterReconnect(t *testing.T) {
	for _, tc := range []struct {
		name   string
		drop   time.Duration
		resume bool
	}{
		{"resumed", 5 * time.Second, true},
		{"entered again", 500 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEnv(t, shortDrop(tc.drop))
			proxy := NewProxy(t, e.Srv.Addr())
			bob := e.Join("bob", 7007, rtc.SceneVideoCall, rtc.RoleAnchor)
			s := newSink()
			bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)
			alice := e.JoinVia(proxy, "alice", 7007)
			alice.EnableCustomVideoCapture(rtc.StreamBig, true)
			alice.EnableCustomAudioCapture(true)
			stop := make(chan struct{})
			wg := pump(alice, stop, false)
			defer wg.Wait()
			defer close(stop)
			bob.waitSeen("OnFirstVideoFrame", "alice")

			if !tc.resume {
				proxy.Block(true)
			}
			proxy.Cut()
			alice.Wait("OnConnectionLost")
			if !tc.resume {
				bob.Wait("OnRemoteUserLeaveRoom", "alice", 1)
				proxy.Block(false)
			}
			alice.Wait("OnConnectionRecovery")
			if !tc.resume {
				bob.Wait("OnRemoteUserEnterRoom", "alice")
				bob.Wait("OnUserVideoAvailable", "alice", true)
				// A new publisher connection was negotiated and carries
				// frames again.
				waitFor(t, waitTimeout, "alice sending again", func() bool {
					return len(filter(alice.rec.All(), "OnSendFirstLocalVideoFrame")) >= 2
				})
			}
			v0, _ := s.counts("alice")
			waitFor(t, waitTimeout, "frames after recovery", func() bool {
				v, _ := s.counts("alice")
				return v >= v0+10
			})
		})
	}
}
