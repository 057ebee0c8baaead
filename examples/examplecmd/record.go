package examplecmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/examples/mediafile"
	"github.com/rtcengine/rtcengine/rtc"
)

// maxConcealed bounds how much of a gap in a user's audio is filled with
// concealment packets; a longer pause (the user muted or left and came
// back) simply joins the audio before and after it.
const maxConcealed = 10 * time.Second

// Record enters a room and writes every remote user's media, as received
// (no decoding), to files in --out: USER.ivf (VP8) or USER.h264 (H.264
// Annex-B) for the camera stream, USER-sub.* for screen share, and
// USER.ogg (Ogg Opus) for audio.
//
//	record --server ws://127.0.0.1:7880 --room 1234 --user rec --out DIR [--duration 10s]
//
// It stops after --duration, or when ctx ends, and returns nil then.
func Record(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	var cf connFlags
	cf.register(fs, "rec")
	dir := fs.String("out", "", "directory to write the recordings to (created if missing)")
	duration := fs.Duration("duration", 0, "stop after this long (default: until interrupted)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("give --out DIR")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	out := &printer{w: stdout, tag: "record"}
	params, err := cf.params(ctx)
	if err != nil {
		return err
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}

	cloud := rtc.NewCloud(rtc.WithServer(cf.server))
	rec := &recorder{dir: *dir, out: out, users: map[string]*userFiles{}}
	l := &recListener{session: newSession(out), cloud: cloud, rec: rec}
	cloud.SetListener(l)
	cloud.SetAudioFrameObserver(rtc.AudioFormatOpus, rec)
	if err := enter(ctx, cloud, l.session, params); err != nil {
		cloud.Close()
		rec.close()
		return quiet(ctx, err)
	}
	out.printf("writing to %s", *dir)
	var exitErr error
	select {
	case <-ctx.Done():
	case r := <-l.exited:
		exitErr = fmt.Errorf("removed from the room (reason %d)", r)
	}
	leave(cloud, l.session)
	return errors.Join(exitErr, rec.close())
}

// recListener points each remote user's video at the recorder as the
// user appears (render callbacks are per user).
type recListener struct {
	*session
	cloud *rtc.Cloud
	rec   *recorder
}

func (l *recListener) OnRemoteUserEnterRoom(user string) {
	l.cloud.SetRemoteVideoRenderCallback(user, rtc.VideoFormatVP8, l.rec)
	l.out.printf("%s entered", user)
}

func (l *recListener) OnRemoteUserLeaveRoom(user string, reason int) {
	l.out.printf("%s left", user)
}

func (l *recListener) OnUserVideoAvailable(user string, available bool) {
	l.out.printf("%s video available: %v", user, available)
}

func (l *recListener) OnUserAudioAvailable(user string, available bool) {
	l.out.printf("%s audio available: %v", user, available)
}

// recorder writes the frames of every remote user. Frames arrive on one
// goroutine per track; one lock is enough at media frame rates.
type recorder struct {
	dir string
	out *printer

	mu     sync.Mutex
	closed bool
	users  map[string]*userFiles
}

type userFiles struct {
	video map[string]*videoFile // by file name: USER, USER-sub
	audio *audioFile
}

type videoFile struct {
	path    string
	f       *os.File
	format  rtc.VideoFormat
	ivf     *mediafile.IVFWriter // VP8; H.264 access units are written as they are
	frames  int
	bytes   int
	lastMs  uint64
	dups    int
	skipped int // frames of another codec
	w, h    int
}

type audioFile struct {
	path      string
	f         *os.File
	ogg       *mediafile.OggOpusWriter
	lastMs    uint64
	lastDur   int // samples
	dups      int
	concealed int // packets standing in for lost ones
	invalid   int
}

func (r *recorder) files(user string) *userFiles {
	u := r.users[user]
	if u == nil {
		u = &userFiles{video: map[string]*videoFile{}}
		r.users[user] = u
	}
	return u
}

// OnRenderVideoFrame writes one received video frame.
func (r *recorder) OnRenderVideoFrame(user string, st rtc.StreamType, fr *rtc.VideoFrame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	name := fileName(user)
	if st == rtc.StreamSub {
		name += "-sub"
	}
	u := r.files(user)
	vf := u.video[name]
	if vf == nil {
		var err error
		if vf, err = r.newVideoFile(name, fr); err != nil {
			r.out.printf("%s: %v", user, err)
			return
		}
		u.video[name] = vf
		r.out.printf("%s: %v video %dx%d → %s", user, fr.Format, vf.w, vf.h, vf.path)
	}
	switch {
	case fr.Format != vf.format:
		vf.skipped++
		return
	case vf.frames > 0 && fr.Timestamp <= vf.lastMs:
		vf.dups++ // a repeat (a publisher's warm-up), not a new frame
		return
	}
	var err error
	if vf.ivf != nil {
		err = vf.ivf.WriteFrame(fr.Data, fr.Timestamp)
	} else {
		_, err = vf.f.Write(fr.Data)
	}
	if err != nil {
		r.out.printf("%s: writing %s: %v", user, vf.path, err)
		return
	}
	vf.frames++
	vf.bytes += len(fr.Data)
	vf.lastMs = fr.Timestamp
}

func (r *recorder) newVideoFile(name string, fr *rtc.VideoFrame) (*videoFile, error) {
	vf := &videoFile{format: fr.Format, w: fr.Width, h: fr.Height}
	switch fr.Format {
	case rtc.VideoFormatVP8:
		vf.path = filepath.Join(r.dir, name+".ivf")
		if key, w, h := mediafile.VP8Keyframe(fr.Data); key && (vf.w == 0 || vf.h == 0) {
			vf.w, vf.h = w, h
		}
	case rtc.VideoFormatH264:
		vf.path = filepath.Join(r.dir, name+".h264")
	default:
		return nil, fmt.Errorf("cannot record %v video", fr.Format)
	}
	f, err := os.Create(vf.path)
	if err != nil {
		return nil, err
	}
	vf.f = f
	if fr.Format == rtc.VideoFormatVP8 {
		if vf.ivf, err = mediafile.NewIVFWriter(f, "VP80", vf.w, vf.h); err != nil {
			f.Close()
			return nil, err
		}
	}
	return vf, nil
}

// OnRemoteUserAudioFrame writes one received Opus packet. A gap in the
// timestamps (packets lost for good) is filled with concealment packets,
// so that the file keeps the stream's timing.
func (r *recorder) OnRemoteUserAudioFrame(user string, fr *rtc.AudioFrame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	u := r.files(user)
	af := u.audio
	if af == nil {
		ch := fr.Channels
		if ch != 1 && ch != 2 {
			ch = mediafile.OpusPacketChannels(fr.Data)
		}
		var err error
		if af, err = r.newAudioFile(fileName(user), ch); err != nil {
			r.out.printf("%s: %v", user, err)
			return
		}
		u.audio = af
		r.out.printf("%s: Opus audio, %d channel(s) → %s", user, ch, af.path)
	}
	n := mediafile.OpusPacketSamples(fr.Data)
	switch {
	case n == 0:
		af.invalid++
		return
	case af.lastDur > 0 && fr.Timestamp <= af.lastMs:
		af.dups++
		return
	}
	if af.lastDur > 0 {
		expected := af.lastMs + uint64(af.lastDur/48) // 48 samples a millisecond
		if gap := int64(fr.Timestamp) - int64(expected); gap > 0 {
			lost := int((gap*48 + int64(n)/2) / int64(n))
			lost = min(lost, int(maxConcealed.Milliseconds()*48)/n)
			for _, p := range mediafile.OpusLostPackets(fr.Data, lost) {
				if err := af.ogg.WritePacket(p); err != nil {
					break
				}
				af.concealed++
			}
		}
	}
	if err := af.ogg.WritePacket(fr.Data); err != nil {
		r.out.printf("%s: writing %s: %v", user, af.path, err)
		return
	}
	af.lastMs, af.lastDur = fr.Timestamp, n
}

func (r *recorder) newAudioFile(name string, channels int) (*audioFile, error) {
	af := &audioFile{path: filepath.Join(r.dir, name+".ogg")}
	f, err := os.Create(af.path)
	if err != nil {
		return nil, err
	}
	if af.ogg, err = mediafile.NewOggOpusWriter(f, channels, mediafile.DefaultPreSkip); err != nil {
		f.Close()
		return nil, err
	}
	af.f = f
	return af, nil
}

// close finishes every file and prints what it holds; later frames are
// dropped.
func (r *recorder) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	users := make([]string, 0, len(r.users))
	for u := range r.users {
		users = append(users, u)
	}
	sort.Strings(users)
	var errs []error
	for _, user := range users {
		u := r.users[user]
		names := make([]string, 0, len(u.video))
		for n := range u.video {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			vf := u.video[n]
			if vf.ivf != nil {
				errs = append(errs, vf.ivf.Close())
			}
			errs = append(errs, vf.f.Close())
			r.out.printf("wrote %s: %d %v frames, %dx%d, %d kB (%d repeats dropped, %d of another codec)",
				vf.path, vf.frames, vf.format, vf.w, vf.h, vf.bytes/1000, vf.dups, vf.skipped)
		}
		if af := u.audio; af != nil {
			errs = append(errs, af.ogg.Close(), af.f.Close())
			r.out.printf("wrote %s: %d Opus packets, %.2fs (%d concealed, %d repeats and %d invalid dropped)",
				af.path, af.ogg.Packets(), af.ogg.Duration().Seconds(), af.concealed, af.dups, af.invalid)
		}
	}
	return errors.Join(errs...)
}

// fileName makes a user ID safe as a file name: TRTC user IDs may hold
// characters a file system treats specially.
func fileName(user string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		}
		return '_'
	}, user)
}
