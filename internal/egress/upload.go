package egress

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Upload states of a file, as DescribeCloudRecording shows them.
const (
	UploadLocal     = "Local"     // complete, waiting for its turn
	UploadUploading = "Uploading" // being sent
	UploadUploaded  = "Uploaded"  // in the bucket
	UploadRetrying  = "Retrying"  // the last attempt failed; kept locally and tried again
	UploadMissing   = "Missing"   // the local file disappeared before it could be sent
)

// Leave codes of UPLOAD_STOP (trtc-reference §8.3).
const (
	UploadStopAll       = 0 // every file uploaded
	UploadStopBackup    = 1 // the task ended with files still waiting locally
	UploadStopRecovered = 2 // files that had waited locally are all uploaded now
)

// uploadsFile is each uploading task's queue in its directory, rewritten on
// every change, so that a restarted server resumes what was pending.
const uploadsFile = "uploads.json"

// putTimeout bounds one upload attempt.
const putTimeout = 2 * time.Minute

// uploadRecord is the content of uploadsFile. It holds the bucket's secret
// key (the file is written 0600): resuming after a restart needs it.
type uploadRecord struct {
	Storage CloudStorage           `json:"storage"`
	Files   map[string]*uploadFile `json:"files"`
	Order   []string               `json:"order"`
	Ended   bool                   `json:"ended"`
	Errored bool                   `json:"errored"`
}

type uploadFile struct {
	State    string `json:"state"`
	Error    string `json:"error,omitempty"`
	Attempts int    `json:"attempts"`
}

// uploader sends one task's completed files to its bucket, one at a time
// in the order they completed. A failed attempt keeps the file locally and
// retries with a backoff that doubles up to Config.UploadRetryMax; the first
// failure of an outage is reported (UPLOAD_ERROR, 308), the end of the
// queue after the task ended too (UPLOAD_STOP, 305).
type uploader struct {
	task  *Task
	store ObjectStore
	cs    CloudStorage
	dir   string
	min   time.Duration
	max   time.Duration

	mu        sync.Mutex
	files     map[string]*uploadFile
	order     []string // names waiting, oldest first
	again     map[string]bool
	ended     bool // the task will complete no more files
	errored   bool // some attempt failed since the task started
	failing   bool // the last attempt failed
	backupRep bool // UPLOAD_STOP 1 was sent
	playlist  bool // FILE_INFO was sent for the first playlist
	wake      chan struct{}
	done      chan struct{}
}

func newUploader(t *Task, store ObjectStore, cs CloudStorage) *uploader {
	cfg := t.svc.cfg
	return &uploader{
		task: t, store: store, cs: cs, dir: t.dir, min: cfg.UploadRetryMin, max: cfg.UploadRetryMax,
		files: map[string]*uploadFile{}, again: map[string]bool{},
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
}

// start runs the upload loop until the queue is drained after the task
// ended, or ctx (the service) ends.
func (u *uploader) start(ctx context.Context) {
	go u.run(ctx)
}

// add queues a completed file (a name in the task's directory). A playlist
// queued again while waiting or being sent is sent again, so the bucket
// ends with its last version.
func (u *uploader) add(name string) {
	u.mu.Lock()
	f := u.files[name]
	switch {
	case f == nil:
		u.files[name] = &uploadFile{State: UploadLocal}
		u.order = append(u.order, name)
	case f.State == UploadUploading:
		u.again[name] = true
	case f.State == UploadUploaded || f.State == UploadMissing:
		f.State = UploadLocal
		u.order = append(u.order, name)
	}
	u.saveLocked()
	u.mu.Unlock()
	u.poke()
}

// finish says the task completed its last file.
func (u *uploader) finish() {
	u.mu.Lock()
	u.ended = true
	u.saveLocked()
	u.mu.Unlock()
	u.poke()
}

func (u *uploader) poke() {
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// state returns a file's upload state and last error ("" for a file the
// uploader does not know).
func (u *uploader) state(name string) (string, string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if f := u.files[name]; f != nil {
		return f.State, f.Error
	}
	return "", ""
}

func (u *uploader) run(ctx context.Context) {
	defer close(u.done)
	delay := u.min
	for {
		u.mu.Lock()
		if len(u.order) == 0 {
			if u.ended {
				code := UploadStopAll
				if u.errored {
					code = UploadStopRecovered
				}
				u.saveLocked()
				u.mu.Unlock()
				u.task.svc.emit(u.task, EventUploadStop, map[string]any{"LeaveCode": code})
				return
			}
			u.mu.Unlock()
			select {
			case <-u.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		name := u.order[0]
		f := u.files[name]
		f.State = UploadUploading
		f.Attempts++
		u.mu.Unlock()

		pctx, cancel := context.WithTimeout(ctx, putTimeout)
		err := u.store.Put(pctx, u.cs.ObjectKey(u.task.id, name), filepath.Join(u.dir, name))
		cancel()
		if ctx.Err() != nil {
			u.mu.Lock()
			f.State = UploadLocal // resumed by the next run of the server
			u.saveLocked()
			u.mu.Unlock()
			return
		}

		u.mu.Lock()
		missing := errors.Is(err, fs.ErrNotExist)
		switch {
		case err == nil || missing:
			f.State, f.Error = UploadUploaded, ""
			if missing {
				f.State, f.Error = UploadMissing, "the local file is gone"
			}
			u.order = u.order[1:]
			if u.again[name] {
				delete(u.again, name)
				f.State = UploadLocal
				u.order = append(u.order, name)
			}
			firstPlaylist := err == nil && !u.playlist && strings.HasSuffix(name, ".m3u8")
			if firstPlaylist {
				u.playlist = true
			}
			u.failing = false
			delay = u.min
			u.saveLocked()
			u.mu.Unlock()
			if firstPlaylist {
				u.task.svc.emit(u.task, EventFileInfo, map[string]any{"FileList": []string{u.cs.ObjectKey(u.task.id, name)}})
			}
			continue
		}
		f.State, f.Error = UploadRetrying, err.Error()
		first := !u.failing
		u.failing, u.errored = true, true
		backup := u.ended && !u.backupRep
		if backup {
			u.backupRep = true
		}
		u.saveLocked()
		u.mu.Unlock()
		if first {
			u.task.svc.log.Warn("recording upload failed; files are kept locally and retried",
				"task", u.task.id, "file", name, "err", err)
			u.task.svc.emit(u.task, EventUploadError, map[string]any{"Status": 1, "FileName": name, "Message": err.Error()})
		}
		if backup {
			u.task.svc.emit(u.task, EventUploadStop, map[string]any{"LeaveCode": UploadStopBackup})
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			u.mu.Lock()
			f.State = UploadRetrying
			u.saveLocked()
			u.mu.Unlock()
			return
		}
		delay = min(delay*2, u.max)
	}
}

// waitUploads waits, bounded by ctx, until every uploader stopped (Close
// cancelled them) and saved its queue for the next run.
func (s *Service) waitUploads(ctx context.Context) {
	s.mu.Lock()
	var ups []*uploader
	for _, t := range s.tasks {
		t.mu.Lock()
		if t.up != nil {
			ups = append(ups, t.up)
		}
		t.mu.Unlock()
	}
	s.mu.Unlock()
	for _, u := range ups {
		select {
		case <-u.done:
		case <-ctx.Done():
			return
		}
	}
}

// saveLocked writes the queue atomically; a failure is logged, the uploads
// go on (only a restart would lose the list).
func (u *uploader) saveLocked() {
	rec := uploadRecord{Storage: u.cs, Files: u.files, Order: u.order, Ended: u.ended, Errored: u.errored}
	b, err := json.Marshal(rec)
	if err == nil {
		tmp := filepath.Join(u.dir, uploadsFile+".tmp")
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, filepath.Join(u.dir, uploadsFile))
		}
	}
	if err != nil {
		u.task.svc.log.Warn("recording upload queue not saved", "task", u.task.id, "err", err)
	}
}

// resumeUploads restarts the uploader of a task a previous run of the
// server left with files to send: every file of the directory not yet in
// the bucket is queued (also those a crash left unlisted), in name order.
func (s *Service) resumeUploads(t *Task) error {
	b, err := os.ReadFile(filepath.Join(t.dir, uploadsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var rec uploadRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return err
	}
	store, err := s.cfg.NewStore(rec.Storage)
	if err != nil {
		return err
	}
	u := newUploader(t, store, rec.Storage)
	u.errored = true // whatever is uploaded now had waited: UPLOAD_STOP 2
	for name, f := range rec.Files {
		if f != nil && f.State == UploadUploaded {
			u.files[name] = f
		}
	}
	entries, err := os.ReadDir(t.dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || n == stateFile || n == uploadsFile || strings.HasSuffix(n, ".tmp") {
			continue
		}
		if f := u.files[n]; f == nil || f.State != UploadUploaded || strings.HasSuffix(n, ".m3u8") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		// Nothing was left: keep the record, send nothing.
		return nil
	}
	t.mu.Lock()
	t.up = u
	t.mu.Unlock()
	u.ended = true
	for _, n := range names {
		u.files[n] = &uploadFile{State: UploadLocal}
		u.order = append(u.order, n)
	}
	u.mu.Lock()
	u.saveLocked()
	u.mu.Unlock()
	u.start(s.ctx)
	return nil
}

// recoverUploads resumes the uploads of a task that ended before the
// previous run of the server stopped; with files still to send it is
// describable again, as Exited, for its retention.
func (s *Service) recoverUploads(path string, rec taskRecord) error {
	key, err := trtc.NewRoomKey(trtc.SDKAppID(rec.App), uint64(rec.RoomNum), rec.RoomStr)
	if err != nil {
		return err
	}
	t := &Task{
		svc: s, id: rec.TaskID, dir: filepath.Dir(path), status: StatusExited,
		p:     TaskParams{Room: key, UserID: trtc.UserID(rec.UserID), Retention: time.Duration(rec.Retention) * time.Second},
		known: map[sfu.TrackID]trackInfo{}, recs: map[sfu.TrackID]*trackRec{}, warned: map[sfu.TrackID]bool{},
		exited: make(chan struct{}), stopping: true, leaveCode: rec.LeaveCode,
	}
	close(t.exited)
	if err := s.resumeUploads(t); err != nil || t.up == nil {
		return err
	}
	t.files = filesIn(t.dir)
	s.mu.Lock()
	s.tasks[t.id] = t
	s.mu.Unlock()
	time.AfterFunc(t.p.Retention, func() {
		s.mu.Lock()
		delete(s.tasks, t.id)
		s.mu.Unlock()
	})
	return nil
}
