package egress

import (
	"path/filepath"
	"strings"
	"time"
)

// UploadRecording is the upload state of a file still being written.
const UploadRecording = "Recording"

func (c Config) withStorageDefaults() Config {
	if c.NewStore == nil {
		c.NewStore = NewS3Store
	}
	if c.UploadRetryMin <= 0 {
		c.UploadRetryMin = time.Second
	}
	if c.UploadRetryMax <= 0 {
		c.UploadRetryMax = time.Minute
	}
	if c.UploadRetryMax < c.UploadRetryMin {
		c.UploadRetryMax = c.UploadRetryMin
	}
	if c.LiveSegment <= 0 {
		c.LiveSegment = time.Second
	}
	if c.LiveIdle <= 0 {
		c.LiveIdle = 30 * time.Second
	}
	if c.MaxLive <= 0 {
		c.MaxLive = 50
	}
	return c
}

// startUploads makes the task's uploader when it has CloudStorage.
func (t *Task) startUploads() error {
	if t.p.Storage == nil {
		return nil
	}
	store, err := t.svc.cfg.NewStore(*t.p.Storage)
	if err != nil {
		return err
	}
	u := newUploader(t, store, *t.p.Storage)
	u.mu.Lock()
	u.saveLocked()
	u.mu.Unlock()
	u.start(t.svc.ctx)
	t.mu.Lock()
	t.up = u
	t.mu.Unlock()
	return nil
}

// fileDone is called (on a worker's log goroutine) for each output file
// ffmpeg completed: with CloudStorage it is queued for upload.
func (t *Task) fileDone(path string) {
	t.vodFileDone(path) // vod.go
	t.mu.Lock()
	up := t.up
	t.mu.Unlock()
	if up == nil {
		return
	}
	if rel, err := filepath.Rel(t.dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		up.add(rel)
	}
}

// listedFile maps an output path ffmpeg opened to the file Describe lists
// and FILE_SLICE reports, or "" for one it does not: an HLS recording is
// listed once, as its playlist, when ffmpeg first writes it; segments are
// not listed. A live stream lists nothing.
func (t *Task) listedFile(path string) string {
	if ls := t.p.live; ls != nil {
		ls.opened(path)
		return ""
	}
	if !isHLSPart(path) {
		return path
	}
	p, ok := strings.CutSuffix(path, ".tmp")
	if !ok || !strings.HasSuffix(p, ".m3u8") {
		return ""
	}
	name := strings.TrimPrefix(p, t.dir+string(filepath.Separator))
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, f := range t.files {
		if f.FileName == name {
			return ""
		}
	}
	return p
}

// outputArgs are the ffmpeg output arguments of the track's next worker.
func (r *trackRec) outputArgs(base, out, pattern string, begin time.Time) []string {
	if ls := r.task.p.live; ls != nil {
		return ls.args(r.video, r.frames.h264, begin)
	}
	codec := "opus"
	if r.video {
		codec = "vp8"
		if r.frames.h264 {
			codec = "h264"
		}
	}
	hls, files := outputPlan(r.task.p.Output, codec)
	var args []string
	switch {
	case files && codec == "opus" && r.task.p.Output.aac():
		args = aacSegmentArgs(r.task.p.MaxFileDuration, pattern)
	case files:
		args = segmentArgs(out, r.task.p.MaxFileDuration, pattern)
	}
	if hls {
		args = append(args, hlsArgs(base, !r.video, recordHLSSegment)...)
	}
	return args
}
