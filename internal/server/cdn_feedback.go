package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/rtcengine/rtcengine/internal/api"
	"github.com/rtcengine/rtcengine/internal/egress"
	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// FeedBackRoomParams (docs/cdn.md): the relay's mix is published into a
// room by a robot member, through this server's own signaling, with the Go
// SDK: an ffmpeg turns the relay's MPEG-TS (H.264, AAC) into VP8 and Opus,
// which the robot sends as custom capture. To the room it is an anchor
// like any other.

// feedEnterTimeout bounds the robot's entry into its room.
const feedEnterTimeout = 10 * time.Second

// roomFeed is one FeedBackRoomParams entry, an egress.Feed.
type roomFeed struct {
	signalURL func() string
	fb        api.CdnFeedBack
	video     bool
	kbps      int // VP8 target
	fps       int
	ffmpeg    string
	log       *slog.Logger
}

var _ egress.Feed = (*roomFeed)(nil)

// Name names the target in DescribePublishCdnStream.
func (f *roomFeed) Name() string {
	room := f.fb.Room.Str
	if room == "" {
		room = strconv.FormatUint(uint64(f.fb.Room.Num), 10)
	}
	return fmt.Sprintf("trtc://%d/%s/%s", uint32(f.fb.Room.App), room, f.fb.UserID)
}

// feedListener hears the robot's entry and exit.
type feedListener struct {
	rtc.BaseListener
	entered chan int64
	exited  chan struct{}
}

func (l *feedListener) OnEnterRoom(r int64) {
	select {
	case l.entered <- r:
	default:
	}
}

func (l *feedListener) OnExitRoom(int) {
	select {
	case <-l.exited:
	default:
		close(l.exited)
	}
}

// Run enters the room as the robot and publishes ts until ctx ends or
// something fails.
func (f *roomFeed) Run(ctx context.Context, ts io.Reader, live func()) error {
	cloud := rtc.NewCloud(rtc.WithServer(f.signalURL()), rtc.WithConnectTimeout(feedEnterTimeout), rtc.WithLogger(f.log))
	defer cloud.Close()
	l := &feedListener{entered: make(chan int64, 1), exited: make(chan struct{})}
	cloud.SetListener(l)
	cloud.SetDefaultStreamRecvMode(false, false) // the robot only sends
	p := rtc.Params{SDKAppID: uint32(f.fb.Room.App), UserID: string(f.fb.UserID), UserSig: f.fb.UserSig,
		RoomID: uint32(f.fb.Room.Num), StrRoomID: f.fb.Room.Str, Role: rtc.RoleAnchor}
	cloud.EnterRoom(p, rtc.SceneLive)
	select {
	case r := <-l.entered:
		if r <= 0 {
			return fmt.Errorf("the robot %s could not enter: code %d", f.fb.UserID, r)
		}
	case <-time.After(2 * feedEnterTimeout):
		return fmt.Errorf("the robot %s did not enter within %v", f.fb.UserID, 2*feedEnterTimeout)
	case <-ctx.Done():
		return nil
	}
	if f.video {
		cloud.EnableCustomVideoCapture(rtc.StreamBig, true)
	}
	cloud.EnableCustomAudioCapture(true)

	var child, parent []*os.File
	closeAll := func(fs []*os.File) {
		for _, x := range fs {
			_ = x.Close()
		}
	}
	for range 2 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(append(child, parent...))
			return err
		}
		parent, child = append(parent, r), append(child, w)
	}
	cmd := exec.CommandContext(ctx, f.ffmpeg, f.args()...)
	cmd.Stdin = ts
	cmd.Stdout = child[0] // VP8 in IVF
	cmd.ExtraFiles = child[1:]
	var stderr tail
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		closeAll(append(child, parent...))
		return err
	}
	closeAll(child)
	start := time.Now()
	ms := func() uint64 { return uint64(time.Since(start).Milliseconds()) }
	sendErr := make(chan error, 2)
	go func() {
		defer parent[0].Close()
		sendErr <- readIVF(parent[0], func(frame []byte) error {
			if !f.video {
				return nil
			}
			return cloud.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: frame,
				Keyframe: len(frame) > 0 && frame[0]&1 == 0, Timestamp: ms()})
		})
	}()
	go func() {
		defer parent[1].Close()
		first := true
		sendErr <- readOggPackets(parent[1], func(pkt []byte) error {
			if first {
				first = false
				live()
			}
			return cloud.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: pkt,
				SampleRate: 48000, Channels: 2, Timestamp: ms()})
		})
	}()
	waitErr := cmd.Wait()
	e1, e2 := <-sendErr, <-sendErr
	cloud.ExitRoom()
	select {
	case <-l.exited:
	case <-time.After(2 * time.Second):
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := errors.Join(e1, e2); err != nil {
		return err
	}
	if waitErr != nil {
		return fmt.Errorf("ffmpeg: %v: %s", waitErr, stderr.last())
	}
	return errors.New("the stream ended")
}

// args decode the relay's stream and encode VP8 (stdout, IVF) and Opus
// (fd 3, Ogg with a page per packet), in real time as it arrives.
func (f *roomFeed) args() []string {
	args := []string{"-hide_banner", "-loglevel", "warning", "-nostats",
		"-probesize", "500000", "-analyzeduration", "1000000", "-f", "mpegts", "-i", "pipe:0"}
	if f.video {
		args = append(args, "-map", "0:v:0", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
			"-b:v", strconv.Itoa(f.kbps)+"k", "-g", strconv.Itoa(2*f.fps), "-auto-alt-ref", "0", "-lag-in-frames", "0",
			"-error-resilient", "1", "-flush_packets", "1", "-f", "ivf", "pipe:1")
	}
	return append(args, "-map", "0:a:0", "-c:a", "libopus", "-ar", "48000", "-ac", "2", "-b:a", "64k",
		"-frame_duration", "20", "-application", "lowdelay", "-page_duration", "20000", "-flush_packets", "1",
		"-f", "ogg", "pipe:3")
}

// maxFeedFrame bounds a frame or packet read from ffmpeg.
const maxFeedFrame = 4 << 20

// readIVF calls fn with every frame of an IVF stream.
func readIVF(r io.Reader, fn func([]byte) error) error {
	br := bufio.NewReader(r)
	hdr := make([]byte, 32)
	if _, err := io.ReadFull(br, hdr); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // no video
		}
		return err
	}
	if string(hdr[:4]) != "DKIF" {
		return errors.New("ffmpeg wrote no IVF")
	}
	fh := make([]byte, 12)
	for {
		if _, err := io.ReadFull(br, fh); err != nil {
			return nil
		}
		n := binary.LittleEndian.Uint32(fh)
		if n > maxFeedFrame {
			return errors.New("IVF frame too large")
		}
		frame := make([]byte, n)
		if _, err := io.ReadFull(br, frame); err != nil {
			return nil
		}
		if err := fn(frame); err != nil {
			return err
		}
	}
}

// readOggPackets calls fn with every packet of an Ogg Opus stream after
// its two header packets.
func readOggPackets(r io.Reader, fn func([]byte) error) error {
	br := bufio.NewReader(r)
	hdr := make([]byte, 27)
	var pkt []byte
	n := 0
	for {
		if _, err := io.ReadFull(br, hdr); err != nil {
			return nil
		}
		if string(hdr[:4]) != "OggS" {
			return errors.New("ffmpeg wrote no Ogg")
		}
		segs := make([]byte, hdr[26])
		if _, err := io.ReadFull(br, segs); err != nil {
			return nil
		}
		for _, s := range segs {
			b := make([]byte, s)
			if _, err := io.ReadFull(br, b); err != nil {
				return nil
			}
			pkt = append(pkt, b...)
			if len(pkt) > maxFeedFrame {
				return errors.New("Ogg packet too large")
			}
			if s == 255 {
				continue // the packet goes on
			}
			if n++; n > 2 && len(pkt) > 0 { // OpusHead and OpusTags come first
				if err := fn(pkt); err != nil {
					return err
				}
			}
			pkt = nil
		}
	}
}

// tail keeps the end of ffmpeg's log.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = t.b[len(t.b)-2048:]
	}
	return len(p), nil
}

func (t *tail) last() string { return string(t.b) }

// feeds makes the FeedBackRoomParams targets of a request.
func (r *relayService) feeds(req api.CdnRequest, mix egress.MixParams) []egress.Feed {
	var out []egress.Feed
	for _, fb := range req.FeedBack {
		out = append(out, &roomFeed{signalURL: r.signalURL, fb: fb, video: req.Encode.Video,
			kbps: max(mix.VideoBitRate/1000, api.MinCdnVideoKbps), fps: max(mix.Fps, 1), ffmpeg: "ffmpeg", log: r.log})
	}
	return out
}

// feedBackUsers are the robots of the feedback rooms: never an input of
// their own mix.
func feedBackUsers(req api.CdnRequest) []string {
	var out []string
	for _, fb := range req.FeedBack {
		if fb.Room == req.Room {
			out = append(out, string(fb.UserID))
		}
	}
	return out
}

// checkFeedBackSigs verifies the feedback robots' UserSigs before the task
// starts, so that a wrong one is a clear REST error.
func (r *relayService) checkFeedBackSigs(req api.CdnRequest) error {
	for i, fb := range req.FeedBack {
		app, ok := r.apps.Lookup(fb.Room.App)
		if !ok {
			return api.Errorf(api.CodeInvalidSDKAppID, "SdkAppId %d is not configured on this server.", uint32(fb.Room.App))
		}
		if err := usersig.VerifyUserSig(uint32(app.SDKAppID), app.Secret, string(fb.UserID), fb.UserSig, r.now()); err != nil {
			return api.Errorf(api.CodeInvalidUserSig, "FeedBackRoomParams[%d].UserSig is expired or wrong for UserId %q: %v", i, string(fb.UserID), err)
		}
	}
	return nil
}
