package browser

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/examples/mediafile"
	"github.com/rtcengine/rtcengine/rtc"
)

// TestGoClientAndBrowser: a Go rtc client and a browser page in one room
// see each other's media both ways: the page decodes the Go client's VP8
// and plays its Opus; the Go client receives the page's camera and
// microphone as whole encoded frames; custom messages go both ways.
func TestGoClientAndBrowser(t *testing.T) {
	s := newServer(t)
	video, audio := makeClips(t)

	l := newGoListener()
	cloud := enterGo(t, s, "gopher", 4601, l, func(c *rtc.Cloud) {
		c.SetRemoteVideoRenderCallback("web", rtc.VideoFormatVP8, l)
		c.SetAudioFrameObserver(rtc.AudioFormatOpus, l)
	})
	t.Cleanup(startClips(cloud, video, audio))

	web := openSDKPage(t, s, "web", "")
	web.MustEnter("web", 4601, "rtc", "anchor")
	web.Publish()

	// Go → browser.
	web.Seen("remote-video-available", map[string]any{"userId": "gopher", "streamType": "main"})
	t.Logf("the page decoded %d frames of the Go client", web.FramesGrow("gopher", "video", 15))
	web.AudioGrows("gopher")

	// Browser → Go.
	deadline := time.After(waitMs * time.Millisecond)
	for l.videoFrames.Load() < 20 || l.audioFrames.Load() < 50 || l.keyframes.Load() == 0 {
		select {
		case <-l.progress:
		case <-deadline:
			t.Fatalf("Go client got %d video frames (%d key) and %d audio frames from the page",
				l.videoFrames.Load(), l.keyframes.Load(), l.audioFrames.Load())
		}
	}
	t.Logf("the Go client got %d VP8 frames (%d key, last %dx%d) and %d Opus frames from the page",
		l.videoFrames.Load(), l.keyframes.Load(), l.width.Load(), l.height.Load(), l.audioFrames.Load())
	if l.width.Load() == 0 || l.height.Load() == 0 {
		t.Fatal("the page's keyframes carry no size")
	}

	// Custom messages both ways: the Go SDK and the Web SDK speak one format.
	if !cloud.SendCustomCmdMsg(2, []byte("from go ✓"), true, true) {
		t.Fatal("SendCustomCmdMsg refused")
	}
	web.Seen("custom-message", map[string]any{"userId": "gopher", "cmdId": 2, "data": "from go ✓"})
	if e := web.Err(`rt.t.sendCustomMessage({ cmdId: 7, data: new TextEncoder().encode('from the page') })`); e != nil {
		t.Fatalf("page send: %v", e)
	}
	select {
	case m := <-l.msgs:
		if m.user != "web" || m.cmd != 7 || m.seq != 1 || m.data != "from the page" {
			t.Fatalf("Go client got message %+v", m)
		}
	case <-time.After(waitMs * time.Millisecond):
		t.Fatal("the Go client got no custom message from the page")
	}
}

type goMessage struct {
	user string
	cmd  int
	seq  uint32
	data string
}

func (l *goListener) OnRecvCustomCmdMsg(userID string, cmdID int, seq uint32, message []byte) {
	select {
	case l.msgs <- goMessage{userID, cmdID, seq, string(message)}:
	default:
	}
}

// makeClips encodes two seconds of test pattern (VP8, a keyframe every
// 15 frames) and a tone (Opus) with ffmpeg.
func makeClips(t *testing.T) (video, audio string) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg is missing: run `make deps`")
	}
	dir := t.TempDir()
	video = filepath.Join(dir, "clip.ivf")
	audio = filepath.Join(dir, "clip.ogg")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15", "-t", "2", "-c:v", "libvpx", "-b:v", "300k", "-g", "15", "-deadline", "realtime", video},
		{"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2", "-c:a", "libopus", "-b:a", "32k", audio},
	} {
		cmd := exec.Command("ffmpeg", append([]string{"-loglevel", "error", "-y"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
		}
	}
	return video, audio
}

type clipFrame struct {
	data []byte
	key  bool
	w, h int
}

func readClips(video, audio string) (vf []clipFrame, af [][]byte, err error) {
	f, err := os.Open(video)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	ivf, err := mediafile.NewIVFReader(f)
	if err != nil {
		return nil, nil, err
	}
	for {
		fr, err := ivf.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		key, w, h := mediafile.VP8Keyframe(fr.Data)
		vf = append(vf, clipFrame{data: fr.Data, key: key, w: w, h: h})
	}
	g, err := os.Open(audio)
	if err != nil {
		return nil, nil, err
	}
	defer g.Close()
	opus, err := mediafile.NewOpusReader(g)
	if err != nil {
		return nil, nil, err
	}
	for {
		p, err := opus.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		af = append(af, p.Data)
	}
	return vf, af, nil
}

// sendClips plays the clips in a loop in real time (15 fps video, 20 ms
// audio packets) until ctx ends.
// startClips sends the clips from cloud until the returned stop is called
// (stop waits for the sender to finish).
func startClips(cloud *rtc.Cloud, video, audio string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var sending sync.WaitGroup
	sending.Add(1)
	go func() {
		defer sending.Done()
		sendClips(ctx, cloud, video, audio)
	}()
	return func() { cancel(); sending.Wait() }
}

func sendClips(ctx context.Context, cloud *rtc.Cloud, video, audio string) {
	vf, af, err := readClips(video, audio)
	if err != nil || len(vf) == 0 || len(af) == 0 {
		panic("clips: " + errors.Join(err, errors.New("empty clip")).Error())
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ts := uint64(1000 + time.Since(start).Milliseconds())
		_ = cloud.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: af[n%len(af)], SampleRate: 48000, Channels: 1, Timestamp: ts})
		if n%4 == 0 { // 12.5 frames a second is close enough to the clip's 15
			f := vf[(n/4)%len(vf)]
			_ = cloud.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: f.data, Width: f.w, Height: f.h, Keyframe: f.key, Timestamp: ts})
		}
	}
}

// enterGo puts a Go SDK anchor with custom capture into room (setup runs
// before it enters) and waits for OnEnterRoom. The client is closed when
// the test ends, if not before.
func enterGo(t *testing.T, s *Server, user string, room uint32, l *goListener, setup ...func(*rtc.Cloud)) *rtc.Cloud {
	t.Helper()
	cloud := rtc.NewCloud(rtc.WithServer(s.SignalURL()), rtc.WithConnectTimeout(5*time.Second))
	t.Cleanup(cloud.Close)
	cloud.SetListener(l)
	for _, f := range setup {
		f(cloud)
	}
	cloud.EnableCustomVideoCapture(rtc.StreamBig, true)
	cloud.EnableCustomAudioCapture(true)
	cloud.EnterRoom(rtc.Params{SDKAppID: appID, UserID: user, UserSig: mustSig(t, user), RoomID: room}, rtc.SceneVideoCall)
	select {
	case r := <-l.entered:
		if r <= 0 {
			t.Fatalf("%s: OnEnterRoom(%d)", user, r)
		}
	case <-time.After(waitMs * time.Millisecond):
		t.Fatalf("%s did not enter", user)
	}
	return cloud
}

// goListener counts what the Go client receives from the page.
type goListener struct {
	rtc.BaseListener
	entered     chan int64
	videoFrames atomic.Int64
	keyframes   atomic.Int64
	audioFrames atomic.Int64
	width       atomic.Int64
	height      atomic.Int64
	progress    chan struct{}
	msgs        chan goMessage
}

func newGoListener() *goListener {
	return &goListener{entered: make(chan int64, 1), progress: make(chan struct{}, 1), msgs: make(chan goMessage, 8)}
}

func (l *goListener) OnEnterRoom(r int64) {
	select {
	case l.entered <- r:
	default:
	}
}

func (l *goListener) poke() {
	select {
	case l.progress <- struct{}{}:
	default:
	}
}

func (l *goListener) OnRenderVideoFrame(user string, _ rtc.StreamType, f *rtc.VideoFrame) {
	if user != "web" || f.Format != rtc.VideoFormatVP8 || len(f.Data) == 0 {
		return
	}
	if key, w, h := mediafile.VP8Keyframe(f.Data); key {
		l.keyframes.Add(1)
		l.width.Store(int64(w))
		l.height.Store(int64(h))
	}
	l.videoFrames.Add(1)
	l.poke()
}

func (l *goListener) OnRemoteUserAudioFrame(user string, f *rtc.AudioFrame) {
	if user == "web" && len(f.Data) > 0 {
		l.audioFrames.Add(1)
		l.poke()
	}
}
