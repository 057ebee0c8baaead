package egress

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// stateFile is each task's record in its directory: written when the task
// starts and when it ends, so that a restarted server knows which tasks a
// crash interrupted.
const stateFile = "task.json"

// taskRecord is the content of stateFile.
type taskRecord struct {
	TaskID    string `json:"taskId"`
	App       uint32 `json:"sdkAppId"`
	RoomNum   uint32 `json:"roomNum,omitempty"`
	RoomStr   string `json:"roomStr,omitempty"`
	UserID    string `json:"userId"`
	Status    string `json:"status"`
	LeaveCode int    `json:"leaveCode"`
	Retention int64  `json:"retentionSeconds"`
	// Vod: the files go to VOD; a restarted server commits what a crash
	// left (vod.go).
	Vod bool `json:"vod,omitempty"`
	// Relay is a relay task's PushParams.Record (cdnpersist.go).
	Relay json.RawMessage `json:"relay,omitempty"`
}

// saveState writes the task's record atomically (temporary file, rename).
func (t *Task) saveState(status Status, leaveCode int) error {
	rec := taskRecord{
		TaskID: t.id, App: uint32(t.p.Room.App), RoomNum: t.p.Room.Num, RoomStr: t.p.Room.Str,
		UserID: string(t.p.UserID), Status: status.String(), LeaveCode: leaveCode,
		Retention: int64(t.p.Retention / time.Second), Vod: t.p.Vod, Relay: t.push.savedRecord(),
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	tmp := filepath.Join(t.dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(t.dir, stateFile))
}

// Recover finds the tasks a previous run of the server left running (it
// crashed or was killed): each is reported ended — MP4_STOP with the files
// found on disk and RECORDER_STOP with LeaveCode 100 — and stays
// describable, as Exited, for its retention. Call it once, before Create.
func (s *Service) Recover() (int, error) {
	// Live HLS streams a crash left behind are of no use to anyone.
	_ = os.RemoveAll(filepath.Join(s.cfg.Dir, "live"))
	records, errs, err := readRecords(filepath.Join(s.cfg.Dir, "*", "*", stateFile))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range records {
		path, rec := r.path, r.rec
		if rec.TaskID == "" {
			continue
		}
		if rec.Status == StatusExited.String() {
			if err := s.recoverUploads(path, rec); err != nil {
				errs = append(errs, fmt.Errorf("egress: %s: %w", path, err))
			}
			continue
		}
		key, err := trtc.NewRoomKey(trtc.SDKAppID(rec.App), uint64(rec.RoomNum), rec.RoomStr)
		if err != nil {
			errs = append(errs, fmt.Errorf("egress: %s: %w", path, err))
			continue
		}
		t := &Task{
			svc: s, id: rec.TaskID, dir: filepath.Dir(path), status: StatusExited,
			p:     TaskParams{Room: key, UserID: trtc.UserID(rec.UserID), Retention: time.Duration(rec.Retention) * time.Second},
			known: map[sfu.TrackID]trackInfo{}, recs: map[sfu.TrackID]*trackRec{}, warned: map[sfu.TrackID]bool{},
			exited: make(chan struct{}), stopping: true, leaveCode: LeaveFailed, failed: true,
		}
		t.files = filesIn(t.dir)
		if rec.Vod { // commits the files found, then VOD_STOP (reportEnd)
			t.p.Vod, t.vod = true, &vodState{done: map[string]bool{}}
		}
		close(t.exited)
		s.mu.Lock()
		s.tasks[t.id] = t
		s.mu.Unlock()
		if err := t.saveState(StatusExited, LeaveFailed); err != nil {
			errs = append(errs, err)
		}
		t.reportEnd(LeaveFailed, true)
		if err := s.resumeUploads(t); err != nil {
			errs = append(errs, fmt.Errorf("egress: %s: uploads: %w", path, err))
		}
		time.AfterFunc(t.p.Retention, func() {
			s.mu.Lock()
			delete(s.tasks, t.id)
			s.mu.Unlock()
		})
		n++
	}
	return n, errors.Join(errs...)
}

// storedRecord is a task's state file and what it says.
type storedRecord struct {
	path string
	rec  taskRecord
}

// readRecords reads the state files pattern matches: those that cannot be
// read are returned as errors, those that do not parse are skipped.
func readRecords(pattern string) ([]storedRecord, []error, error) {
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return nil, nil, err
	}
	var out []storedRecord
	var errs []error
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var rec taskRecord
		if json.Unmarshal(b, &rec) == nil {
			out = append(out, storedRecord{path, rec})
		}
	}
	return out, errs, nil
}

// filesIn lists the recording files of a task directory from their names:
// <user>_<main|aux>_<audio|video>_<beginMs>_<NNN>.<ext>, user ids possibly
// holding underscores.
func filesIn(dir string) []StorageFile {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []StorageFile
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		base := strings.TrimSuffix(name, filepath.Ext(name))
		parts := strings.Split(base, "_")
		if f, ok := mixFileOf(name, parts); ok { // mixtask.go
			out = append(out, f)
			continue
		}
		if len(parts) < 5 {
			continue
		}
		k := len(parts)
		media, track, begin := parts[k-4], parts[k-3], parts[k-2]
		ms, err := strconv.ParseInt(begin, 10, 64)
		if err != nil || (media != "main" && media != "aux") || (track != "audio" && track != "video") {
			continue
		}
		out = append(out, StorageFile{UserID: strings.Join(parts[:k-4], "_"), FileName: name, TrackType: track, MediaID: media, BeginTimeStamp: ms})
	}
	slices.SortFunc(out, func(a, b StorageFile) int {
		if a.BeginTimeStamp != b.BeginTimeStamp {
			return int(a.BeginTimeStamp - b.BeginTimeStamp)
		}
		return strings.Compare(a.FileName, b.FileName)
	})
	return out
}
