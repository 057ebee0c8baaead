package examplecmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// tsBase is added to every frame timestamp (ms): the SDK reads a timestamp
// of 0 as "now", and a file's first frame is at 0.
const tsBase = 1000

// linger is how long the publisher stays after its last frame, so that
// retransmissions of the last packets can still be asked for.
const linger = 500 * time.Millisecond

// Publish enters a room and sends a VP8 IVF or H.264 Annex-B file as the
// camera stream and an Ogg Opus file as audio, each frame at its time.
//
//	publish --server ws://127.0.0.1:7880 --room 1234 --user pub --video clip.ivf --audio clip.ogg [--loop]
//
// An encoded input cannot make keyframes on request, so before playing it
// sends the first (key) frame every 100 ms until the media connection is up
// and for --warmup after that: users already in the room then start
// decoding at the first frame. The repeats carry the first frame's
// timestamp, so receivers see one frame. It returns nil when ctx ends.
func Publish(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	var cf connFlags
	cf.register(fs, "pub")
	videoPath := fs.String("video", "", "VP8 IVF or H.264 Annex-B file to send as the camera stream")
	audioPath := fs.String("audio", "", "Ogg Opus file to send as audio")
	loop := fs.Bool("loop", false, "play the files again and again until interrupted")
	fps := fs.Float64("fps", 30, "frame rate of an H.264 file (Annex-B carries no timing)")
	warmup := fs.Duration("warmup", time.Second, "keep sending the first frame this long once connected, before playing")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *videoPath == "" && *audioPath == "" {
		return errors.New("give --video, --audio or both")
	}
	out := &printer{w: stdout, tag: "publish"}
	p := &player{out: out}
	if *videoPath != "" {
		src, format, err := openVideo(*videoPath, *fps)
		if err != nil {
			return err
		}
		p.video, p.vFormat = newLooper(src, func() (source, error) {
			s, _, err := openVideo(*videoPath, *fps)
			return s, err
		}, *loop), format
		defer p.video.Close()
	}
	if *audioPath != "" {
		src, ch, err := openAudio(*audioPath)
		if err != nil {
			return err
		}
		p.audio, p.channels = newLooper(src, func() (source, error) {
			s, _, err := openAudio(*audioPath)
			return s, err
		}, *loop), ch
		defer p.audio.Close()
	}
	if err := p.load(); err != nil {
		return err
	}

	params, err := cf.params(ctx)
	if err != nil {
		return err
	}
	cloud := rtc.NewCloud(rtc.WithServer(cf.server))
	l := newPubListener(out)
	cloud.SetListener(l)
	p.cloud, p.l = cloud, l
	if err := enter(ctx, cloud, l.session, params); err != nil {
		cloud.Close()
		return quiet(ctx, err)
	}
	defer leave(cloud, l.session)
	if p.video != nil {
		cloud.EnableCustomVideoCapture(rtc.StreamBig, true)
	}
	if p.audio != nil {
		cloud.EnableCustomAudioCapture(true)
	}
	if err := p.warmUp(ctx, *warmup); err != nil {
		return quiet(ctx, err)
	}
	if err := p.play(ctx); err != nil {
		return quiet(ctx, err)
	}
	select {
	case <-time.After(linger):
	case <-ctx.Done():
	}
	return nil
}

// quiet turns the error of an interrupted command into nil.
func quiet(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}

// pubListener learns when the first frames went out on a connected
// publisher connection.
type pubListener struct {
	*session
	firstVideo, firstAudio chan struct{}
	onceV, onceA           sync.Once
}

func newPubListener(out *printer) *pubListener {
	return &pubListener{session: newSession(out), firstVideo: make(chan struct{}), firstAudio: make(chan struct{})}
}

func (l *pubListener) OnSendFirstLocalVideoFrame(st rtc.StreamType) {
	if st == rtc.StreamBig {
		l.onceV.Do(func() { close(l.firstVideo) })
	}
}

func (l *pubListener) OnSendFirstLocalAudioFrame() { l.onceA.Do(func() { close(l.firstAudio) }) }

// player sends the frames of up to two files in time order.
type player struct {
	out      *printer
	cloud    *rtc.Cloud
	l        *pubListener
	video    *looper
	audio    *looper
	vFormat  rtc.VideoFormat
	channels int
	nextV    *frame // nil: no (more) video
	nextA    *frame

	vFrames, vKeys, aPackets int
	vBytes, aBytes           int
}

// load reads the first frame of each file; video starts at its first
// keyframe.
func (p *player) load() error {
	var err error
	if p.video != nil {
		skipped := 0
		for {
			if p.nextV, err = next(p.video); err != nil {
				return err
			}
			if p.nextV == nil {
				return errors.New("the video file has no keyframe")
			}
			if p.nextV.key {
				break
			}
			skipped++
		}
		if skipped > 0 {
			p.out.printf("skipped %d video frames before the first keyframe", skipped)
		}
	}
	if p.audio != nil {
		if p.nextA, err = next(p.audio); err != nil {
			return err
		}
		if p.nextA == nil {
			return errors.New("the audio file has no packets")
		}
	}
	return nil
}

// next returns the next frame of l, or nil at the end.
func next(l *looper) (*frame, error) {
	f, err := l.Next()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &f, nil
}

func (p *player) sendVideo(f *frame) error {
	return p.cloud.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{
		Format: p.vFormat, Data: f.data, Width: f.width, Height: f.height,
		Timestamp: tsBase + uint64(f.at/time.Millisecond), Keyframe: f.key,
	})
}

func (p *player) sendAudio(f *frame) error {
	return p.cloud.SendCustomAudioData(&rtc.AudioFrame{
		Format: rtc.AudioFormatOpus, Data: f.data, SampleRate: 48000, Channels: p.channels,
		Timestamp: tsBase + uint64(f.at/time.Millisecond),
	})
}

// sendFirst sends the first frame of each file again.
func (p *player) sendFirst() error {
	if p.nextV != nil {
		if err := p.sendVideo(p.nextV); err != nil {
			return fmt.Errorf("sending video: %w", err)
		}
	}
	if p.nextA != nil {
		if err := p.sendAudio(p.nextA); err != nil {
			return fmt.Errorf("sending audio: %w", err)
		}
	}
	return nil
}

// warmUp repeats the first frames until they are sent on a connected
// publisher connection, then for d more.
func (p *player) warmUp(ctx context.Context, d time.Duration) error {
	start := time.Now()
	connected := func() bool {
		for _, c := range []struct {
			on bool
			ch chan struct{}
		}{{p.video != nil, p.l.firstVideo}, {p.audio != nil, p.l.firstAudio}} {
			if !c.on {
				continue
			}
			select {
			case <-c.ch:
			default:
				return false
			}
		}
		return true
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(15 * time.Second)
	var warmEnd time.Time
	for {
		if err := p.sendFirst(); err != nil {
			return err
		}
		if warmEnd.IsZero() && connected() {
			p.out.printf("media connected after %d ms; warming up for %v", time.Since(start).Milliseconds(), d)
			warmEnd = time.Now().Add(d)
		}
		if !warmEnd.IsZero() && !time.Now().Before(warmEnd) {
			return nil
		}
		select {
		case <-tick.C:
		case <-timeout:
			if warmEnd.IsZero() {
				return errors.New("the media connection did not come up within 15 s")
			}
		case r := <-p.l.exited:
			return fmt.Errorf("removed from the room (reason %d)", r)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// play sends every frame at its time after the start, video and audio
// interleaved, and prints progress every second.
func (p *player) play(ctx context.Context) error {
	start := time.Now()
	lastReport := start
	timer := time.NewTimer(0)
	defer timer.Stop()
	for p.nextV != nil || p.nextA != nil {
		isVideo := p.nextA == nil || (p.nextV != nil && p.nextV.at <= p.nextA.at)
		f := p.nextA
		if isVideo {
			f = p.nextV
		}
		if wait := time.Until(start.Add(f.at)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case r := <-p.l.exited:
				return fmt.Errorf("removed from the room (reason %d)", r)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		var err error
		if isVideo {
			if err = p.sendVideo(f); err != nil {
				return fmt.Errorf("sending video: %w", err)
			}
			p.vFrames++
			p.vBytes += len(f.data)
			if f.key {
				p.vKeys++
			}
			p.nextV, err = next(p.video)
		} else {
			if err = p.sendAudio(f); err != nil {
				return fmt.Errorf("sending audio: %w", err)
			}
			p.aPackets++
			p.aBytes += len(f.data)
			p.nextA, err = next(p.audio)
		}
		if err != nil {
			return err
		}
		if now := time.Now(); now.Sub(lastReport) >= time.Second {
			lastReport = now
			p.report("%5.1fs", now.Sub(start).Seconds())
		}
	}
	p.report("done in %.1fs", time.Since(start).Seconds())
	return nil
}

func (p *player) report(format string, args ...any) {
	p.out.printf(format+": video %d frames (%d key, %d kB), audio %d packets (%d kB)",
		append(args, p.vFrames, p.vKeys, p.vBytes/1000, p.aPackets, p.aBytes/1000)...)
}
