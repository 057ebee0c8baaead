package egress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestVodCommits records Opus as hls+aac into VOD: the AAC file and the
// HLS recording (playlist with its segments) are each committed under a
// FileId of their own, reported by VOD_COMMIT with the URL they are served
// at, before VOD_STOP; ffprobe reads both from the VOD directory.
func TestVodCommits(t *testing.T) {
	t.Parallel()
	s, ev := newTestService(t, Config{VodBaseURL: func() string { return "http://vod.test:1/" }})
	task := start(t, s, TaskParams{Output: OutputHLSAAC, Vod: true})
	src, ti := audioSource("alice")
	task.trackChanged(ti, false)
	for i, pkt := range opusTone(t, 440, 2*time.Second) {
		src.push(t, uint32(i*960), false, pkt)
	}
	ev.waitEvent(t, EventFileSlice)
	finish(t, s, task)
	ev.waitEvent(t, EventRecorderStop)

	types := ev.types()
	var commits []Event
	ev.mu.Lock()
	for _, e := range ev.all {
		if e.Type == EventVODCommit {
			commits = append(commits, e)
		}
	}
	ev.mu.Unlock()
	if len(commits) != 2 || indexOf(types, EventVODStop) < 0 {
		t.Fatalf("events %v: want two VOD_COMMIT and a VOD_STOP", types)
	}
	if last := types[len(types)-1]; last != EventRecorderStop || indexOf(types, EventVODStop) > indexOf(types, EventMP4Stop) || indexOf(types, EventVODStop) < lastIndexOf(types, EventVODCommit) {
		t.Fatalf("events %v: want the commits, VOD_STOP, MP4_STOP, RECORDER_STOP", types)
	}
	if st, _ := ev.find(EventVODStop); st.Payload["Status"] != 0 {
		t.Fatalf("VOD_STOP %v", st.Payload)
	}
	ids := map[string]bool{}
	for _, c := range commits {
		vod := c.Payload["TencentVod"].(map[string]any)
		id, name := vod["FileId"].(string), vod["CacheFile"].(string)
		if c.Payload["Status"] != 0 || ids[id] || vod["UserId"] != "alice" || vod["TrackType"] != "audio" ||
			vod["VideoUrl"] != "http://vod.test:1/vod/"+id+"/"+name || vod["StartTimeStamp"].(int64) > vod["EndTimeStamp"].(int64) {
			t.Fatalf("VOD_COMMIT %v", c.Payload)
		}
		ids[id] = true
		path, ok := s.VodFile(id, name)
		if !ok {
			t.Fatalf("%s/%s is not served", id, name)
		}
		codec, _, _ := ffprobeStream(t, path)
		if want := map[bool]string{true: "opus", false: "aac"}[strings.HasSuffix(name, ".m3u8")]; codec != want {
			t.Fatalf("%s: %s, want %s", name, codec, want)
		}
	}
	for _, bad := range [][2]string{{"../x", "a"}, {strings.Repeat("a", 32), "../task.json"}, {strings.Repeat("g", 32), "a"}, {strings.Repeat("a", 32), ".hidden"}, {strings.Repeat("a", 32), ""}} {
		if _, ok := s.VodFile(bad[0], bad[1]); ok {
			t.Fatalf("VodFile(%q, %q) found a file", bad[0], bad[1])
		}
	}
	if _, err := os.Stat(s.vodRoot()); err != nil {
		t.Fatal(err)
	}
}

func indexOf(v []int, x int) int {
	for i, n := range v {
		if n == x {
			return i
		}
	}
	return -1
}

func lastIndexOf(v []int, x int) int {
	for i := len(v) - 1; i >= 0; i-- {
		if v[i] == x {
			return i
		}
	}
	return -1
}

// TestVodAfterCrash: a VOD task a crash interrupted is committed by the
// restarted server: VOD_COMMIT for the file it finds, VOD_STOP, then
// MP4_STOP and RECORDER_STOP.
func TestVodAfterCrash(t *testing.T) {
	t.Parallel()
	s1, ev1 := newTestService(t, Config{})
	task := start(t, s1, TaskParams{Vod: true})
	src, ti := audioSource("bob")
	task.trackChanged(ti, false)
	src.pushAudio(t, 0, 50, 80)
	ev1.waitEvent(t, EventFileSlice)

	ev2 := newEvents()
	s2 := New(Config{Dir: s1.cfg.Dir, Media: nopMedia{}, Events: ev2})
	if n, err := s2.Recover(); err != nil || n != 1 {
		t.Fatalf("Recover: %d tasks, %v", n, err)
	}
	ev2.waitEvent(t, EventRecorderStop)
	commit, _ := ev2.find(EventVODCommit)
	vod, _ := commit.Payload["TencentVod"].(map[string]any)
	if types := ev2.types(); len(types) != 4 || types[0] != EventVODCommit || types[1] != EventVODStop || vod == nil {
		t.Fatalf("events %v, VOD_COMMIT %v", types, commit.Payload)
	}
	if _, ok := s2.VodFile(vod["FileId"].(string), vod["CacheFile"].(string)); !ok || vod["UserId"] != "bob" {
		t.Fatalf("VOD_COMMIT %v: file not served", commit.Payload)
	}
}

// FuzzVodFile: a FileId and name the server serves always resolve to a
// file inside the VOD directory, never elsewhere.
func FuzzVodFile(f *testing.F) {
	dir := f.TempDir()
	s := New(Config{Dir: dir, Media: nopMedia{}})
	id := strings.Repeat("ab", 16)
	if err := os.MkdirAll(filepath.Join(dir, vodDir, id), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, vodDir, id, "a.mp4"), nil, 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret"), nil, 0o644); err != nil {
		f.Fatal(err)
	}
	f.Add(id, "a.mp4")
	f.Add(id, "../../secret")
	f.Add("..", "secret")
	f.Fuzz(func(t *testing.T, id, name string) {
		path, ok := s.VodFile(id, name)
		if !ok {
			return
		}
		rel, err := filepath.Rel(filepath.Join(dir, vodDir), path)
		if err != nil || strings.HasPrefix(rel, "..") || strings.Count(rel, string(filepath.Separator)) != 1 {
			t.Fatalf("VodFile(%q, %q) = %s", id, name, path)
		}
	})
}
