package rtc

import (
	"bytes"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

type chanListener struct {
	BaseListener
	errs  chan int
	first chan [3]int // stream type, width, height
}

func (l *chanListener) OnError(code int, _ string) { l.errs <- code }
func (l *chanListener) OnFirstVideoFrame(_ string, st StreamType, w, h int) {
	l.first <- [3]int{int(st), w, h}
}

func TestCustomCaptureRefusals(t *testing.T) {
	c := NewCloud(WithServer("ws://127.0.0.1:1"))
	defer c.Close()
	lis := &chanListener{errs: make(chan int, 4), first: make(chan [3]int, 1)}
	c.SetListener(lis)

	vp8 := &VideoFrame{Format: VideoFormatVP8, Data: testVP8Frame(0, true, 64, 64, 10)}
	for _, tc := range []struct {
		name string
		err  error
		call func() error
	}{
		{"nil video frame", ErrInvalidFrame, func() error { return c.SendCustomVideoData(StreamBig, nil) }},
		{"I420 needs cgo", ErrFormatNeedsCgo, func() error {
			return c.SendCustomVideoData(StreamBig, &VideoFrame{Format: VideoFormatI420, Data: []byte{1}})
		}},
		{"unknown format", ErrUnsupportedFormat, func() error {
			return c.SendCustomVideoData(StreamBig, &VideoFrame{Format: 42, Data: []byte{1}})
		}},
		{"bad stream type", ErrInvalidStreamType, func() error { return c.SendCustomVideoData(7, vp8) }},
		{"capture off", ErrCaptureDisabled, func() error { return c.SendCustomVideoData(StreamBig, vp8) }},
		{"small without big", ErrCaptureDisabled, func() error {
			c.EnableSmallVideoStream(true, VideoEncParam{VideoResolution: VideoResolution320x180})
			return c.SendCustomVideoData(StreamSmall, vp8)
		}},
		{"not in a room", ErrNotInRoom, func() error {
			c.EnableCustomVideoCapture(StreamBig, true)
			return c.SendCustomVideoData(StreamBig, vp8)
		}},
		{"PCM needs cgo", ErrFormatNeedsCgo, func() error {
			return c.SendCustomAudioData(&AudioFrame{Format: AudioFormatPCM, Data: []byte{0, 0}})
		}},
		{"audio capture off", ErrCaptureDisabled, func() error {
			return c.SendCustomAudioData(&AudioFrame{Format: AudioFormatOpus, Data: opusSilence})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == ErrFormatNeedsCgo && rawCodecs != nil {
				return // built with -tags rtccodecs: codec_cgo_test.go covers raw formats
			}
			if err := tc.call(); !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}

	if rawCodecs != nil {
		return // raw outputs are accepted in a codec build
	}
	c.SetRemoteVideoRenderCallback("bob", VideoFormatI420, VideoRendererFunc(func(string, StreamType, *VideoFrame) {}))
	c.SetAudioFrameObserver(AudioFormatPCM, AudioFrameObserverFunc(func(string, *AudioFrame) {}))
	for range 2 {
		select {
		case code := <-lis.errs:
			if code != ErrCodeNotSupported {
				t.Fatalf("OnError(%d), want %d", code, ErrCodeNotSupported)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("no OnError for a raw output format")
		}
	}
	if c.mediaState.renderer("bob") != nil || c.mediaState.audioObserver() != nil {
		t.Fatal("a raw-format callback was installed")
	}
}

func TestLoopbackDetection(t *testing.T) {
	for s, want := range map[string]bool{
		"ws://127.0.0.1:7880/signal": true,
		"ws://localhost:7880/signal": true,
		"ws://[::1]:7880/signal":     true,
		"wss://rtc.example.com/x":    false,
		"ws://10.0.0.1:7880/signal":  false,
	} {
		if got := isLoopbackServer(s); got != want {
			t.Errorf("%s: got %v", s, got)
		}
	}
}

// TestMediaPathOverPion sends encoded frames through the SDK's send path
// (localTrack) and receive path (readVideo) over two real PeerConnections
// built with the SDK's Pion API, without a server: every frame arrives
// whole, in order, and the first-frame callback carries the keyframe size.
func TestMediaPathOverPion(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format VideoFormat
		make   func(n uint32, key bool) []byte
		w, h   int
	}{
		{"VP8", VideoFormatVP8, func(n uint32, key bool) []byte { return testVP8Frame(n, key, 640, 360, 300+int(n)*97%3000) }, 640, 360},
		{"H264", VideoFormatH264, func(n uint32, key bool) []byte { return testH264AU(n, key, 300+int(n)*97%3000) }, 640, 360},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testMediaPath(t, tc.format, tc.make, tc.w, tc.h)
		})
	}
}

func testMediaPath(t *testing.T, format VideoFormat, mk func(uint32, bool) []byte, w, h int) {
	api, err := newPionAPI(true, 0, slog.New(slog.DiscardHandler), &sync.Map{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCloud()
	defer c.Close()
	lis := &chanListener{errs: make(chan int, 1), first: make(chan [3]int, 1)}
	c.SetListener(lis)
	m := newMediaClient(&roomSession{c: c, params: Params{UserID: "bob"}})
	defer m.shutdown()

	var mu sync.Mutex
	var got []*VideoFrame
	done := make(chan struct{})
	const n = 60
	c.SetRemoteVideoRenderCallback("alice", VideoFormatVP8, VideoRendererFunc(func(user string, st StreamType, f *VideoFrame) {
		mu.Lock()
		defer mu.Unlock()
		if user != "alice" || st != StreamBig {
			t.Errorf("frame for %s/%v", user, st)
		}
		got = append(got, f)
		if len(got) == n {
			close(done)
		}
	}))

	send, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer send.Close()
	recv, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close() // before m.shutdown, which waits for the track reader
	recv.OnTrack(func(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) { m.onTrack(recv, tr, rcv) })
	lt, err := newLocalTrack("big", format, "alice")
	if err != nil {
		t.Fatal(err)
	}
	lt.track, _ = webrtc.NewTrackLocalStaticRTP(lt.track.Codec(), "alice/video", "alice")
	snd, err := send.AddTrack(lt.track)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			if _, _, err := snd.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	connected := make(chan struct{})
	var once sync.Once
	send.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	signal(t, send, recv)
	select {
	case <-connected:
	case <-time.After(5 * time.Second):
		t.Fatal("no connection")
	}

	var want [][]byte
	for i := range n {
		f := mk(uint32(i), i%10 == 0)
		want = append(want, f)
		if err := lt.write(f, uint64(1000+i*33)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // pace like a 500 fps camera, not a burst
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		mu.Lock()
		t.Fatalf("received %d of %d frames", len(got), n)
	}
	select {
	case f := <-lis.first:
		if f != [3]int{int(StreamBig), w, h} {
			t.Fatalf("OnFirstVideoFrame %v, want %dx%d", f, w, h)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no OnFirstVideoFrame")
	}
	mu.Lock()
	defer mu.Unlock()
	for i, f := range got {
		if !bytes.Equal(f.Data, want[i]) || f.Format != format || f.Keyframe != (i%10 == 0) || f.Width != w {
			t.Fatalf("frame %d: %d bytes key=%v %dx%d %v, want %d bytes", i, len(f.Data), f.Keyframe, f.Width, f.Height, f.Format, len(want[i]))
		}
		if f.Timestamp != uint64(i*33) {
			t.Fatalf("frame %d: timestamp %d, want %d", i, f.Timestamp, i*33)
		}
	}
}

// signal connects two PeerConnections with complete (non-trickled) SDP.
func signal(t *testing.T, offerer, answerer *webrtc.PeerConnection) {
	t.Helper()
	offer, err := offerer.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(offerer)
	if err := offerer.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := answerer.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(answerer)
	if err := answerer.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := offerer.SetRemoteDescription(*answerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
}
