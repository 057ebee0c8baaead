package egress

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/conference"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Status is a task's state as DescribeCloudRecording reports it.
type Status int

const (
	StatusUnknown Status = iota
	// StatusIdle: created, no file started yet.
	StatusIdle
	// StatusInProgress: at least one file has been started.
	StatusInProgress
	// StatusExited: stopped; the files are complete.
	StatusExited
)

func (s Status) String() string {
	switch s {
	case StatusIdle:
		return "Idle"
	case StatusInProgress:
		return "InProgress"
	case StatusExited:
		return "Exited"
	}
	return "Unknown"
}

// Leave codes of RECORDER_STOP (trtc-reference §8.3).
const (
	LeaveNormal       = 0   // DeleteCloudRecording
	LeaveServerKicked = 3   // the server shut down
	LeaveIdle         = 99  // no recorded stream for MaxIdleTime
	LeaveFailed       = 100 // the recorder failed (ffmpeg could not be kept running)
)

// StreamType values of RecordParams.StreamType.
const (
	StreamAudioVideo = 0
	StreamAudioOnly  = 1
	StreamVideoOnly  = 2
)

// TaskParams is a validated CreateCloudRecording request.
type TaskParams struct {
	Room   trtc.RoomKey
	UserID trtc.UserID // the robot
	// MaxIdleTime: stop after this long without a recorded stream.
	MaxIdleTime time.Duration
	StreamType  int
	Filter      Filter
	// MaxFileDuration splits files (0: Config.DefaultFileDuration).
	MaxFileDuration time.Duration
	OutputFormat    int
	// Retention: how long Describe still answers after the task ended.
	Retention time.Duration
	// Output is what single-stream tracks are recorded as (formats.go).
	Output Output
	// Storage, if set, is the bucket the files are uploaded to as they
	// complete (upload.go).
	Storage *CloudStorage
	// live makes the task the source of a live HLS stream (live.go).
	live *liveStream
	// Mix, if set, makes the task a mixed recording (RecordMode 2,
	// mixer.go) of one composite file set instead of a file per track.
	Mix *MixParams
	// Vod commits every completed file to the server's VOD directory
	// (StorageParams.CloudVod, vod.go).
	Vod bool
	// Push, with Mix, makes the task a CDN relay (cdn.go): the mix is
	// pushed to RTMP URLs instead of written to files.
	Push *PushParams
}

// StorageFile is one recorded file (DescribeCloudRecording StorageFileList).
type StorageFile struct {
	UserID    string
	FileName  string // relative to the task's directory
	TrackType string // "audio" or "video"
	MediaID   string // "main" or "aux"
	// BeginTimeStamp is Unix ms of the file's first media.
	BeginTimeStamp int64
	// UploadState is one of the Upload* states with CloudStorage ("" for
	// local storage); UploadError is the last failed attempt's error.
	UploadState, UploadError string
}

// TaskInfo is a snapshot of a task.
type TaskInfo struct {
	ID        string
	Room      trtc.RoomKey
	UserID    trtc.UserID
	Status    Status
	Files     []StorageFile
	Dir       string
	LeaveCode int
	Restarts  int // ffmpeg workers replaced
	Failed    bool
}

// Source is what a recorder needs of a published track;
// *sfu.PublishedTrack is one.
type Source interface {
	ID() sfu.TrackID
	Codec() sfu.Codec
	AddTap(sfu.Tap) (remove func())
	RequestKeyframe()
}

// trackInfo is what the task knows of one published stream.
type trackInfo struct {
	user      trtc.UserID
	stream    room.Stream
	track     Source
	available bool
}

// Task is one recording.
type Task struct {
	svc *Service
	id  string
	dir string
	vod *vodState // CloudVod tasks (vod.go)

	mu        sync.Mutex
	p         TaskParams
	status    Status
	files     []StorageFile
	known     map[sfu.TrackID]trackInfo
	recs      map[sfu.TrackID]*trackRec
	retired   []*trackRec          // stopped recorders, still completing their files
	warned    map[sfu.TrackID]bool // tracks skipped for their codec, logged once
	idle      *time.Timer
	stopping  bool
	leaveCode int
	restarts  int
	failed    bool
	unwatch   func()
	exited    chan struct{}
	up        *uploader // nil: local storage only
	mix       *mixer    // nil: single-stream recording
	push      *pushSet  // nil: a recording, not a CDN relay (cdn.go)
}

// TrackChanged implements conference.Watcher; it runs on the hub's loop.
func (t *Task) TrackChanged(s conference.TrackState) {
	t.trackChanged(trackInfo{user: s.User, stream: s.Stream, track: s.Track, available: s.Available}, s.Gone)
}

func (t *Task) trackChanged(ti trackInfo, gone bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopping {
		return
	}
	id := ti.track.ID()
	if gone {
		delete(t.known, id)
	} else {
		t.known[id] = ti
	}
	t.applyLocked(id)
	t.checkIdleLocked()
}

// wants reports whether the task records the stream.
func (t *Task) wants(ti trackInfo) bool {
	if ti.stream == room.StreamAudio {
		return t.p.StreamType != StreamVideoOnly && t.p.Filter.Audio(ti.user) &&
			isCodec(ti.track, "audio/opus")
	}
	if t.p.live != nil && ti.stream != room.StreamVideo {
		return false // a live stream plays the camera only
	}
	if t.p.Output == OutputAAC && t.mix == nil {
		return false // an audio-only output
	}
	return t.p.StreamType != StreamAudioOnly && t.p.Filter.Video(ti.user) && t.mix.wantsStream(ti.stream) &&
		(isCodec(ti.track, "video/vp8") || isCodec(ti.track, "video/h264"))
}

func isCodec(tr Source, mime string) bool {
	c := tr.Codec().MimeType
	return len(c) == len(mime) && (c == mime || equalFold(c, mime))
}

func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// supported reports whether the recorder remuxes the track's codec.
func supported(tr Source) bool {
	return isCodec(tr, "audio/opus") || isCodec(tr, "video/vp8") || isCodec(tr, "video/h264")
}

// applyLocked starts or stops recording track id as the rules say.
func (t *Task) applyLocked(id sfu.TrackID) {
	ti, ok := t.known[id]
	rec := t.recs[id]
	if !ok || !t.wants(ti) {
		if rec != nil {
			delete(t.recs, id)
			t.retired = append(t.retired, rec)
			go rec.untap()
			t.mix.remove(rec)
		}
		if ok && rec == nil && !supported(ti.track) && !t.warned[id] {
			t.warned[id] = true
			t.svc.log.Warn("recording skips a stream of an unsupported codec", "task", t.id,
				"user", string(ti.user), "codec", ti.track.Codec().MimeType)
		}
		return
	}
	if rec == nil {
		rec = newTrackRec(t, ti)
		rec.avail.Store(ti.available)
		t.recs[id] = rec
		t.mix.add(rec)
		t.mix.setAvailable(rec, ti.available)
		go rec.run()
		rec.untap = ti.track.AddTap(rec)
		return
	}
	rec.avail.Store(ti.available)
	t.mix.setAvailable(rec, ti.available)
}

// checkIdleLocked runs the idle timer while nothing is recorded.
func (t *Task) checkIdleLocked() {
	if len(t.recs) > 0 {
		if t.idle != nil {
			t.idle.Stop()
			t.idle = nil
		}
		return
	}
	if t.idle == nil && !t.stopping {
		t.idle = time.AfterFunc(t.p.MaxIdleTime, func() { t.stop(LeaveIdle) })
	}
}

// modify replaces the subscription lists.
func (t *Task) modify(f Filter) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopping {
		return
	}
	t.p.Filter = f
	for id := range t.known {
		t.applyLocked(id)
	}
	for id := range t.recs {
		if _, ok := t.known[id]; !ok {
			t.applyLocked(id)
		}
	}
	t.checkIdleLocked()
}

// fileOpened records a new file and reports it (FILE_SLICE) once it is on
// disk (created.go).
func (t *Task) fileOpened(f StorageFile) {
	if !awaitCreated(filepath.Join(t.dir, f.FileName)) {
		t.svc.log.Warn("recording file announced but not created", "task", t.id, "file", f.FileName)
	}
	t.mu.Lock()
	t.files = append(t.files, f)
	first := t.status == StatusIdle
	if first {
		t.status = StatusInProgress
	}
	t.mu.Unlock()
	t.svc.emit(t, EventFileSlice, map[string]any{
		"FileName": f.FileName, "UserId": f.UserID, "TrackType": f.TrackType, "BeginTimeStamp": f.BeginTimeStamp,
	})
}

// workerRestarted reports an ffmpeg worker replaced (FAILOVER).
func (t *Task) workerRestarted(r *trackRec, err error) {
	t.mu.Lock()
	t.restarts++
	t.mu.Unlock()
	t.svc.emit(t, EventFailover, map[string]any{"Status": 0, "UserId": string(r.user), "TrackType": r.trackType(), "Reason": err.Error()})
}

// trackFailed ends the task: a recording that lost a stream for good must
// not look healthy.
func (t *Task) trackFailed(r *trackRec, err error) {
	t.svc.log.Error("recording failed", "task", t.id, "user", string(r.user), "track", r.trackType(), "err", err)
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	go t.stop(LeaveFailed)
}

// stop ends the task once: the watch is removed, every worker completes its
// files, and RECORDER_STOP is reported. Later calls wait for the first.
func (t *Task) stop(code int) {
	t.mu.Lock()
	if t.stopping {
		t.mu.Unlock()
		<-t.exited
		return
	}
	t.stopping = true
	t.leaveCode = code
	if t.idle != nil {
		t.idle.Stop()
	}
	unwatch := t.unwatch
	t.mu.Unlock()
	if unwatch != nil {
		unwatch() // after it returns TrackChanged is not called again
	}
	t.mu.Lock()
	recs := t.recs
	t.recs = map[sfu.TrackID]*trackRec{}
	retired := t.retired
	t.mu.Unlock()
	for _, r := range recs {
		r.untap()
	}
	for _, r := range recs {
		<-r.done
	}
	for _, r := range retired {
		<-r.done
	}
	t.mix.stop()
	t.push.stop()
	t.mu.Lock()
	t.status = StatusExited
	failed := t.failed
	up := t.up
	t.mu.Unlock()
	if up != nil {
		up.finish()
	}
	if err := t.saveState(StatusExited, code); err != nil {
		t.svc.log.Warn("recording state not saved", "task", t.id, "err", err)
	}
	close(t.exited)
	t.reportEnd(code, failed)
	t.svc.ended(t)
}

// reportEnd sends MP4_STOP with the task's files, then RECORDER_STOP.
func (t *Task) reportEnd(code int, failed bool) {
	t.mu.Lock()
	files := append([]StorageFile(nil), t.files...)
	t.mu.Unlock()
	status := 0
	if failed {
		status = 1
	}
	t.vodEnd() // VOD_COMMIT of the HLS recordings, VOD_STOP (vod.go)
	list := make([]map[string]any, 0, len(files))
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, f.FileName)
		list = append(list, map[string]any{"FileName": f.FileName, "UserId": f.UserID, "TrackType": f.TrackType,
			"MediaId": f.MediaID, "StartTimeStamp": f.BeginTimeStamp})
	}
	t.svc.emit(t, EventMP4Stop, map[string]any{"Status": status, "FileList": names, "FileMessage": list})
	t.svc.emit(t, EventRecorderStop, map[string]any{"LeaveCode": code})
}

// info snapshots the task.
func (t *Task) info() TaskInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	files := append([]StorageFile(nil), t.files...)
	if t.up != nil {
		for i := range files {
			files[i].UploadState, files[i].UploadError = t.up.state(files[i].FileName)
			if files[i].UploadState == "" {
				files[i].UploadState = UploadRecording
			}
		}
	}
	return TaskInfo{
		ID: t.id, Room: t.p.Room, UserID: t.p.UserID, Status: t.status,
		Files: files, Dir: t.dir,
		LeaveCode: t.leaveCode, Restarts: t.restarts, Failed: t.failed,
	}
}

// wait blocks until the task has exited or ctx ends.
func (t *Task) wait(ctx context.Context) error {
	select {
	case <-t.exited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
