package egress

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// queueLen bounds a track recorder's packet queue (about 5 s of 720p video);
// when ffmpeg or the disk falls behind further, packets are dropped and
// counted, never waited for.
const queueLen = 2048

// Writes to ffmpeg are batched: the pending bytes go when they reach
// flushBytes or are flushInterval old. One pipe write and one ffmpeg wakeup
// per batch instead of per packet is most of the recorder's CPU; a crash
// loses at most flushInterval of media.
const (
	flushBytes    = 64 << 10
	flushInterval = 250 * time.Millisecond
)

// trackRec records one published track into files: it is the track's sfu
// Tap, rebuilds frames on its own goroutine and feeds an ffmpeg worker.
type trackRec struct {
	task   *Task
	user   trtc.UserID
	stream room.Stream
	track  Source
	video  bool

	q        chan []byte
	ended    chan struct{}
	endOnce  sync.Once
	done     chan struct{}
	avail    atomic.Bool
	drops    atomic.Uint64
	untap    func()
	restarts int // owned by run

	// Owned by run.
	w         *worker
	buf       []byte
	order     reorderBuffer
	frames    frameAssembler
	ogg       oggWriter
	lastTS    uint32
	extTS     int64 // unwrapped RTP timestamp of the newest packet
	haveTS    bool
	fileBase  int64 // extTS at the start of the current file
	nextAudio int64 // where the next Opus packet should start, file timeline
	wasAvail  bool
	failed    bool
	lastFlush time.Time
	ssrc      uint32
	haveSSRC  bool
	resync    bool      // the SSRC changed: the next packet's timestamp starts anew
	lastPkt   time.Time // arrival of the newest accepted packet
	lastWall  time.Time // when the newest packet was handled
	lastKeyRq time.Time // live streams: the last periodic keyframe request
}

func newTrackRec(t *Task, st trackInfo) *trackRec {
	r := &trackRec{
		task: t, user: st.user, stream: st.stream, track: st.track, video: st.stream != room.StreamAudio,
		q: make(chan []byte, queueLen), ended: make(chan struct{}), done: make(chan struct{}),
	}
	r.frames.h264 = isCodec(st.track, "video/h264")
	return r
}

// TapPacket implements sfu.Tap: copy and queue, never block.
func (r *trackRec) TapPacket(pkt []byte) {
	b := make([]byte, len(pkt))
	copy(b, pkt)
	select {
	case r.q <- b:
	default:
		r.drops.Add(1)
	}
}

// TapEnded implements sfu.Tap.
func (r *trackRec) TapEnded() { r.endOnce.Do(func() { close(r.ended) }) }

// trackType is StorageFile.TrackType.
func (r *trackRec) trackType() string {
	if r.video {
		return "video"
	}
	return "audio"
}

// mediaID names the stream in file names: "main" or "aux" (screen share),
// TRTC's MediaId words.
func (r *trackRec) mediaID() string {
	if r.stream == room.StreamSub {
		return "aux"
	}
	return "main"
}

// run consumes the queue until the track ends or the tap is removed, then
// lets ffmpeg complete its files.
func (r *trackRec) run() {
	defer close(r.done)
	defer r.closeWorker()
	tick := time.NewTicker(r.flushEvery())
	defer tick.Stop()
	for {
		select {
		case pkt := <-r.q:
			r.accept(pkt, time.Now())
		case now := <-tick.C:
			r.order.release(now, r.handle) // a gap nobody repaired
			r.liveKeyframe(now)
			if time.Since(r.lastFlush) >= r.flushEvery() {
				r.flush()
			}
		case <-r.ended:
			for {
				select {
				case pkt := <-r.q:
					r.accept(pkt, time.Now())
				default:
					r.order.flush(r.handle)
					return
				}
			}
		}
		if r.failed {
			return
		}
	}
}

// ssrcHold is how long the recorder stays with one RTP stream (SSRC) of a
// track while another one also arrives: the tap switches from the small to
// the big video layer when the big one appears, and a publisher that
// restarts its sender changes SSRC.
const ssrcHold = 500 * time.Millisecond

// accept takes a packet from the queue: it follows one SSRC at a time and
// hands the packets to the reorder buffer.
func (r *trackRec) accept(pkt []byte, now time.Time) {
	if len(pkt) < 12 {
		return
	}
	ssrc := uint32(pkt[8])<<24 | uint32(pkt[9])<<16 | uint32(pkt[10])<<8 | uint32(pkt[11])
	switch {
	case !r.haveSSRC:
		r.ssrc, r.haveSSRC = ssrc, true
	case ssrc != r.ssrc:
		if now.Sub(r.lastPkt) < ssrcHold {
			return
		}
		// The old stream is gone: continue the timeline from the wall
		// clock, from a keyframe.
		r.order.flush(r.handle)
		r.order = reorderBuffer{}
		r.ssrc = ssrc
		r.resync = true
	}
	r.lastPkt = now
	r.order.push(pkt, now, r.handle)
}

func (r *trackRec) closeWorker() {
	r.flush()
	if r.w == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.task.svc.cfg.FinishTimeout)
	defer cancel()
	if err := r.w.finish(ctx, r.task.svc.cfg.FinishTimeout); err != nil {
		r.task.svc.log.Warn("recording worker ended with an error", "task", r.task.id, "user", string(r.user), "err", err)
	}
	r.w = nil
}

// handle processes one RTP packet of the publisher.
func (r *trackRec) handle(b []byte) {
	var p rtp.Packet
	if err := p.Unmarshal(b); err != nil {
		return
	}
	switch {
	case r.resync:
		r.resync = false
		clock := int64(48000)
		if r.video {
			clock = 90000
			r.frames = frameAssembler{h264: r.frames.h264, needKey: true}
		}
		if r.haveTS {
			r.extTS += max(time.Since(r.lastWall), 0).Nanoseconds() * clock / int64(time.Second)
		}
	case r.haveTS:
		r.extTS += int64(int32(p.Timestamp - r.lastTS))
	}
	r.lastWall = time.Now()
	r.lastTS, r.haveTS = p.Timestamp, true
	avail := r.avail.Load()
	if !avail {
		r.wasAvail = false
		return
	}
	if !r.wasAvail {
		r.wasAvail = true
		if r.video {
			r.frames.needKey = true
			r.track.RequestKeyframe()
		}
	}
	if r.video {
		frame, ts, wantKey := r.frames.push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
		if wantKey {
			r.track.RequestKeyframe()
		}
		if frame == nil {
			return
		}
		ext := r.extTS - int64(int32(p.Timestamp-ts))
		r.writeVideo(frame, ext)
		return
	}
	r.writeAudio(p.Payload, r.extTS)
}

func (r *trackRec) writeVideo(frame []byte, ext int64) {
	if r.task.push != nil && r.task.mix.copyVideo(r, frame, ext) {
		return // copied, not decoded (cdncopy.go)
	}
	if r.task.mix != nil && !r.mixFresh() {
		return // not shown in the mix, or its decoder is being replaced (mixtask.go)
	}
	if r.w == nil {
		fourcc, out := "VP80", "webm"
		var w, h uint16
		if r.frames.h264 {
			// IVF carries H.264 access units too (fourcc H264); ffmpeg's
			// parser finds the size in the SPS.
			fourcc, out = "H264", "mp4"
		} else if w, h = vp8Size(frame); w == 0 {
			r.frames.needKey = true
			r.track.RequestKeyframe()
			return
		}
		if !r.start("ivf", out) {
			return
		}
		r.fileBase = ext
		r.buf = append(r.buf[:0], ivfHeader(fourcc, w, h)...)
	}
	pts := ext - r.fileBase
	if pts < 0 {
		return // older than the file's first frame (reordered)
	}
	r.buf = appendIVFFrame(r.buf, frame, uint64(pts))
	r.maybeFlush()
}

func (r *trackRec) writeAudio(pkt []byte, ext int64) {
	n := opusSamples(pkt)
	if n == 0 || len(pkt) > maxOggPacket {
		return
	}
	if r.w == nil {
		out := "ogg"
		if r.task.p.Output.aac() && r.task.mix == nil {
			out = "aac" // transcoded (formats.go)
		}
		if !r.start("ogg", out) {
			return
		}
		r.fileBase, r.nextAudio = ext, 0
		r.ogg = oggWriter{serial: uint32(time.Now().UnixNano())}
		r.buf = r.ogg.opusHeaders(r.buf[:0], 2)
	}
	pos := ext - r.fileBase
	if pos < r.nextAudio-opusSilenceSamples/2 {
		return // a late or repeated packet: its time is already written
	}
	for r.nextAudio+opusSilenceSamples <= pos {
		r.nextAudio += opusSilenceSamples
		r.buf = r.ogg.appendPage(r.buf, opusSilence, uint64(r.nextAudio), 0)
	}
	r.nextAudio += int64(n)
	r.buf = r.ogg.appendPage(r.buf, pkt, uint64(r.nextAudio), 0)
	r.maybeFlush()
}

// maybeFlush flushes a full batch; the run loop's ticker flushes old ones.
func (r *trackRec) maybeFlush() {
	if len(r.buf) >= flushBytes {
		r.flush()
	}
}

// flush writes the pending bytes to ffmpeg; a worker that exited or stalled
// is replaced.
func (r *trackRec) flush() {
	if r.w == nil || len(r.buf) == 0 {
		return
	}
	err := r.w.write(r.buf, r.task.svc.cfg.StallTimeout)
	r.buf = r.buf[:0]
	r.lastFlush = time.Now()
	if err == nil {
		return
	}
	r.task.svc.log.Warn("recording worker failed", "task", r.task.id, "user", string(r.user),
		"track", r.trackType(), "err", err, "log", r.w.stderr.String())
	r.w.kill()
	<-r.w.done
	r.w = nil
	r.restarts++
	if r.restarts > r.task.svc.cfg.MaxRestarts {
		r.failed = true
		r.task.trackFailed(r, err)
		return
	}
	r.task.workerRestarted(r, err)
	// The next frame opens a new file: video from a keyframe.
	if r.video {
		r.frames.needKey = true
		r.track.RequestKeyframe()
	}
}

// start launches ffmpeg for a new set of files.
func (r *trackRec) start(in, out string) bool {
	if r.task.mix != nil {
		return r.startMixDecoder() // mixed recording: a decoder instead of files (mixtask.go)
	}
	begin := time.Now()
	base := filepath.Join(r.task.dir, fmt.Sprintf("%s_%s_%s_%d", r.user, r.mediaID(), r.trackType(), begin.UnixMilli()))
	pattern := base + "_%03d." + out
	first := true
	w, err := startWorker(workerSpec{
		ffmpeg: r.task.svc.cfg.FFmpeg, inFormat: in, outFormat: out, pattern: pattern,
		segment: r.task.p.MaxFileDuration,
		args:    r.outputArgs(base, out, pattern, begin),
		onDone:  r.task.fileDone,
		onFile: func(path string) {
			if path = r.task.listedFile(path); path == "" {
				return
			}
			at := time.Now()
			if first {
				at, first = begin, false
			}
			r.task.fileOpened(StorageFile{
				UserID: string(r.user), FileName: strings.TrimPrefix(path, r.task.dir+string(filepath.Separator)),
				TrackType: r.trackType(), MediaID: r.mediaID(), BeginTimeStamp: at.UnixMilli(),
			})
		},
	})
	if err != nil {
		r.failed = true
		r.task.trackFailed(r, err)
		return false
	}
	r.w = w
	if hook := r.task.svc.workerStarted; hook != nil {
		hook(w.cmd.Process.Pid)
	}
	return true
}
