package egress

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// VOD: rtcengine's stand-in for Tencent VOD (StorageParams.CloudVod,
// trtc-reference §7.6). Each completed recording file is committed to the
// VOD directory under a new random FileId — 128 random bits, so a file's
// URL cannot be guessed from the task, the room or another file — and
// served read-only by the server at /vod/<FileId>/<file>. Every commit is
// reported (VOD_COMMIT, 311); when the task has ended and all its files are
// committed, VOD_STOP (312).

// vodDir is the VOD directory under Config.Dir.
const vodDir = "vod"

// vodFileIDPattern is a FileId (newTaskID's form).
var vodFileIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// vodState is a VOD task's commits.
type vodState struct {
	mu     sync.Mutex
	failed bool
	done   map[string]bool // files committed (or failed), by name
}

// vodRoot is where committed files live: <Dir>/vod/<FileId>/<file>.
func (s *Service) vodRoot() string { return filepath.Join(s.cfg.Dir, vodDir) }

// VodFile returns the path of a committed VOD file, or false when fileID
// or name is malformed or the file does not exist. name must be a plain
// file name (no directories, not hidden).
func (s *Service) VodFile(fileID, name string) (string, bool) {
	if !vodFileIDPattern.MatchString(fileID) || name == "" || strings.HasPrefix(name, ".") ||
		strings.ContainsAny(name, `/\`) || len(name) > 255 {
		return "", false
	}
	path := filepath.Join(s.vodRoot(), fileID, name)
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return "", false
	}
	return path, true
}

// vodFileDone commits a completed file (fileDone): split files at once;
// HLS playlists and segments at the end (vodEnd), once the playlist is
// final.
func (t *Task) vodFileDone(path string) {
	if t.vod == nil || isHLSPart(path) {
		return
	}
	rel, err := filepath.Rel(t.dir, path)
	if err != nil || strings.Contains(rel, string(filepath.Separator)) {
		return
	}
	t.vodCommit(rel, []string{rel})
}

// vodCommit links files (the first is the one listed) into a new FileId
// directory and reports VOD_COMMIT.
func (t *Task) vodCommit(listed string, files []string) {
	v := t.vod
	v.mu.Lock()
	if v.done[listed] {
		v.mu.Unlock()
		return
	}
	v.done[listed] = true
	v.mu.Unlock()
	f := t.fileByName(listed)
	fileID := newTaskID()
	dir := filepath.Join(t.svc.vodRoot(), fileID)
	err := os.MkdirAll(dir, 0o755)
	for _, name := range files {
		if err != nil {
			break
		}
		err = linkOrCopy(filepath.Join(t.dir, name), filepath.Join(dir, name))
	}
	status, msg, url := 0, "", ""
	if err != nil {
		status, msg = 1, err.Error()
		_ = os.RemoveAll(dir)
		v.mu.Lock()
		v.failed = true
		v.mu.Unlock()
		t.svc.log.Warn("VOD commit failed", "task", t.id, "file", listed, "err", err)
		fileID = ""
	} else {
		url = t.svc.vodURL(fileID, listed)
	}
	t.svc.emit(t, EventVODCommit, map[string]any{
		"Status": status, "Errmsg": msg,
		"TencentVod": map[string]any{
			"UserId": f.UserID, "TrackType": f.TrackType, "MediaId": f.MediaID, "FileId": fileID,
			"VideoUrl": url, "CacheFile": listed, "StartTimeStamp": f.BeginTimeStamp, "EndTimeStamp": time.Now().UnixMilli(),
		},
	})
}

// vodURL is a committed file's URL on this server.
func (s *Service) vodURL(fileID, name string) string {
	base := ""
	if s.cfg.VodBaseURL != nil {
		base = strings.TrimSuffix(s.cfg.VodBaseURL(), "/")
	}
	return base + "/" + vodDir + "/" + fileID + "/" + name
}

// fileByName returns the listed file of that name (zero if unlisted).
func (t *Task) fileByName(name string) StorageFile {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, f := range t.files {
		if f.FileName == name {
			return f
		}
	}
	return StorageFile{FileName: name}
}

// vodEnd commits each HLS recording (its final playlist with every segment
// and init segment beside it, under one FileId) and the split files not
// committed yet, then reports VOD_STOP: Status 0, or 1 when a commit
// failed. It runs once every worker has exited.
func (t *Task) vodEnd() {
	if t.vod == nil {
		return
	}
	t.mu.Lock()
	files := slices.Clone(t.files)
	t.mu.Unlock()
	entries, _ := os.ReadDir(t.dir)
	for _, f := range files {
		if !strings.HasSuffix(f.FileName, hlsSegmentShift+".m3u8") {
			t.vodCommit(f.FileName, []string{f.FileName}) // already committed: nothing
			continue
		}
		prefix := strings.TrimSuffix(f.FileName, ".m3u8") + "_"
		parts := []string{f.FileName}
		for _, e := range entries {
			if n := e.Name(); e.Type().IsRegular() && strings.HasPrefix(n, prefix) && !strings.HasSuffix(n, ".tmp") {
				parts = append(parts, n)
			}
		}
		t.vodCommit(f.FileName, parts)
	}
	t.vod.mu.Lock()
	status := 0
	if t.vod.failed {
		status = 1
	}
	t.vod.mu.Unlock()
	t.svc.emit(t, EventVODStop, map[string]any{"Status": status})
}

// linkOrCopy makes dst the same content as src: a hard link (no copy, the
// recording and the VOD file share the disk blocks), or a copy across file
// systems.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("egress: copy to VOD: %w", err)
	}
	return out.Close()
}
