package egress

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Live HLS: the camera and microphone of one user of a room as HLS for an
// audience that watches through plain HTTP (and any CDN). The video is
// remuxed (H.264) or transcoded to H.264 (VP8), the audio transcoded from
// Opus to AAC, each by its own ffmpeg into a sliding-window rendition
// playlist; a master playlist names both. A live stream is a hidden
// recording task with its own directory: it starts on the first request for
// its master playlist and ends when nobody fetched anything of it for
// Config.LiveIdle, or when the user stops publishing video.
//
// Audio and video stay aligned because every worker offsets its timestamps
// by its start's distance from the stream's epoch (-output_ts_offset): both
// renditions share one timeline, as players expect.

// File names in a live stream's directory.
const (
	LivePlaylist      = "main.m3u8"  // the master playlist (served, not written)
	LiveVideoPlaylist = "video.m3u8" // the video rendition
	LiveAudioPlaylist = "audio.m3u8" // the audio rendition (AAC)
)

// liveAudioWait bounds how long a master playlist waits for the audio
// rendition once the video one is ready.
const liveAudioWait = 3 * time.Second

// liveListSize is how many segments the live playlist lists; older
// segments are deleted.
const liveListSize = 6

type liveKey struct {
	room trtc.RoomKey
	user trtc.UserID
}

// liveStreams are the running live streams of a Service.
type liveStreams struct {
	mu sync.Mutex
	m  map[liveKey]*liveStream
}

// liveStream is one live HLS being written.
type liveStream struct {
	svc   *Service
	key   liveKey
	dir   string
	seg   time.Duration
	epoch time.Time     // the common zero of the renditions' timestamps
	ready chan struct{} // closed when the video playlist was first written
	audio chan struct{} // closed when the audio playlist was first written
	once  sync.Once
	aOnce sync.Once
	ended chan struct{} // closed when the stream's task exited

	mu      sync.Mutex
	task    *Task
	lastUse time.Time
	idle    *time.Timer
}

// Live returns the master playlist of the live HLS of user's camera and
// microphone in room, and the directory that holds the rendition
// playlists and segments it names, starting the stream if needed and
// waiting until its video playlist is written (and its audio one, if the
// user publishes audio, for at most liveAudioWait) or ctx ends. It fails
// with ErrNoStream when the user publishes no video, ErrLiveLimit when
// Config.MaxLive streams are running.
func (s *Service) Live(ctx context.Context, room trtc.RoomKey, user trtc.UserID) (master []byte, dir string, err error) {
	ls, err := s.liveStream(room, user)
	if err != nil {
		return nil, "", err
	}
	ls.touch()
	select {
	case <-ls.ready:
	case <-ls.ended:
		return nil, "", ErrNoStream
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
	audio := false
	if ls.hasAudio() {
		t := time.NewTimer(liveAudioWait)
		select {
		case <-ls.audio:
			audio = true
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	// ffmpeg writes a playlist to a temporary file and renames it: wait
	// (briefly) for the rename of the first ones.
	for range 100 {
		if ls.written(LiveVideoPlaylist) && (!audio || ls.written(LiveAudioPlaylist)) {
			return liveMaster(audio), ls.dir, nil
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
	}
	return nil, "", ErrNoStream
}

func (ls *liveStream) written(name string) bool {
	_, err := os.Stat(filepath.Join(ls.dir, name))
	return err == nil
}

// hasAudio reports whether the stream records the user's audio.
func (ls *liveStream) hasAudio() bool {
	t := ls.task
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range t.recs {
		if !r.video {
			return true
		}
	}
	return false
}

// liveMaster is the master playlist (RFC 8216 §4.3.4): the video rendition,
// with the audio one as its audio group when there is audio. BANDWIDTH is
// a nominal upper bound; CODECS is left out (players probe the segments).
func liveMaster(audio bool) []byte {
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	if audio {
		b.WriteString(`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="main",DEFAULT=YES,AUTOSELECT=YES,URI="` + LiveAudioPlaylist + "\"\n")
		b.WriteString(`#EXT-X-STREAM-INF:BANDWIDTH=3000000,AUDIO="audio"` + "\n")
	} else {
		b.WriteString("#EXT-X-STREAM-INF:BANDWIDTH=3000000\n")
	}
	b.WriteString(LiveVideoPlaylist + "\n")
	return []byte(b.String())
}

// LiveDir returns the directory of a running live stream (for its
// segments) without starting one, or ErrNoStream.
func (s *Service) LiveDir(room trtc.RoomKey, user trtc.UserID) (string, error) {
	s.live.mu.Lock()
	ls := s.live.m[liveKey{room, user}]
	s.live.mu.Unlock()
	if ls == nil {
		return "", ErrNoStream
	}
	ls.touch()
	return ls.dir, nil
}

// liveStream returns the running stream of (room, user) or starts one.
func (s *Service) liveStream(room trtc.RoomKey, user trtc.UserID) (*liveStream, error) {
	k := liveKey{room, user}
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	if ls := s.live.m[k]; ls != nil {
		return ls, nil
	}
	if len(s.live.m) >= s.cfg.MaxLive {
		return nil, fmt.Errorf("%w: at most %d", ErrLiveLimit, s.cfg.MaxLive)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	ls := &liveStream{
		svc: s, key: k, seg: s.cfg.LiveSegment,
		dir:   filepath.Join(s.cfg.Dir, "live", fmt.Sprint(uint32(room.App)), hex.EncodeToString(b[:])),
		epoch: time.Now(),
		ready: make(chan struct{}), audio: make(chan struct{}), ended: make(chan struct{}),
	}
	f, err := CompileSubscription(Subscription{Audio: []string{string(user)}, Video: []string{string(user)}})
	if err != nil {
		return nil, err
	}
	id, err := s.Create(TaskParams{
		Room: room, UserID: trtc.UserID("live~" + string(user)),
		MaxIdleTime: 10 * time.Second, StreamType: StreamAudioVideo, Filter: f,
		live: ls,
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	t := s.tasks[id]
	s.mu.Unlock()
	t.mu.Lock()
	video := false
	for _, r := range t.recs {
		video = video || r.video
	}
	t.mu.Unlock()
	if !video {
		// The watch replays the room's tracks before Create returns: the
		// user publishes no video now.
		go t.stop(LeaveNormal)
		return nil, ErrNoStream
	}
	ls.task = t
	if s.live.m == nil {
		s.live.m = map[liveKey]*liveStream{}
	}
	s.live.m[k] = ls
	go func() {
		<-t.exited
		close(ls.ended)
		s.live.mu.Lock()
		if s.live.m[k] == ls {
			delete(s.live.m, k)
		}
		s.live.mu.Unlock()
		ls.mu.Lock()
		if ls.idle != nil {
			ls.idle.Stop()
		}
		ls.mu.Unlock()
		_ = os.RemoveAll(ls.dir)
	}()
	return ls, nil
}

// touch notes a request; the stream stops after Config.LiveIdle without
// one.
func (ls *liveStream) touch() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.lastUse = time.Now()
	if ls.idle == nil {
		ls.idle = time.AfterFunc(ls.svc.cfg.LiveIdle, ls.checkIdle)
	}
}

func (ls *liveStream) checkIdle() {
	ls.mu.Lock()
	left := ls.svc.cfg.LiveIdle - time.Since(ls.lastUse)
	if left > 0 {
		ls.idle.Reset(left)
		ls.mu.Unlock()
		return
	}
	t := ls.task
	ls.mu.Unlock()
	if t != nil {
		t.stop(LeaveIdle)
	}
}

// opened hears every file ffmpeg opens: the first video playlist makes
// the stream ready.
func (ls *liveStream) opened(path string) {
	switch filepath.Base(path) {
	case LiveVideoPlaylist + ".tmp":
		ls.once.Do(func() { close(ls.ready) })
	case LiveAudioPlaylist + ".tmp":
		ls.aOnce.Do(func() { close(ls.audio) })
	}
}

// args are ffmpeg's output arguments for a worker that started at begin:
// H.264 is remuxed, VP8 transcoded to H.264 (libx264, ultrafast, zero
// latency) with a keyframe per segment, Opus transcoded to AAC. Each worker
// names its segments after its start time, so a CDN never confuses the
// segments of a replaced worker with older ones.
func (ls *liveStream) args(video, h264 bool, begin time.Time) []string {
	seg := ls.seg.Seconds()
	args := []string{"-map", "0"}
	kind, playlist := "v", LiveVideoPlaylist
	switch {
	case !video:
		kind, playlist = "a", LiveAudioPlaylist
		args = append(args, "-c:a", "aac", "-b:a", "96k")
	case h264:
		args = append(args, "-c", "copy")
	default:
		args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
			"-pix_fmt", "yuv420p", "-force_key_frames", fmt.Sprintf("expr:gte(t,n_forced*%.3f)", seg))
	}
	return append(args,
		"-output_ts_offset", fmt.Sprintf("%.3f", max(begin.Sub(ls.epoch), 0).Seconds()),
		"-f", "hls",
		"-hls_time", fmt.Sprintf("%.3f", seg),
		"-hls_list_size", fmt.Sprint(liveListSize),
		"-hls_flags", "delete_segments+independent_segments+omit_endlist",
		"-hls_segment_filename", filepath.Join(ls.dir, fmt.Sprintf("%s%d_%%05d.ts", kind, begin.UnixMilli())),
		"-y", filepath.Join(ls.dir, playlist))
}

// liveKeyframe asks a live stream's H.264 publisher for a keyframe once a
// segment, so that segments can be cut at the target length.
func (r *trackRec) liveKeyframe(now time.Time) {
	ls := r.task.p.live
	if ls == nil || !r.video || now.Sub(r.lastKeyRq) < ls.seg {
		return
	}
	r.lastKeyRq = now
	r.track.RequestKeyframe()
}

// IsLiveSegment reports whether name is a segment file name of a live
// stream (<v|a><start ms>_<NNNNN>.ts).
func IsLiveSegment(name string) bool {
	if len(name) < 2 || (name[0] != 'v' && name[0] != 'a') {
		return false
	}
	start, num, ok := strings.Cut(strings.TrimSuffix(name[1:], ".ts"), "_")
	if !ok || !strings.HasSuffix(name, ".ts") || len(start) == 0 || len(start) > 20 || len(num) < 5 || len(num) > 9 {
		return false
	}
	for _, c := range start + num {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
