package egress

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

func TestFilter(t *testing.T) {
	for _, tc := range []struct {
		name       string
		sub        Subscription
		user       trtc.UserID
		audio, vid bool
	}{
		{"empty lists record everyone", Subscription{}, "alice", true, true},
		{"exact allow", Subscription{Audio: []string{"alice"}, Video: []string{"alice"}}, "alice", true, true},
		{"exact allow is not a prefix", Subscription{Audio: []string{"ali"}}, "alice", false, true},
		{"prefix pattern", Subscription{Video: []string{"1.*$"}}, "123", true, true},
		{"prefix pattern misses", Subscription{Video: []string{"1.*$"}}, "23", true, false},
		{"pattern is anchored at the start", Subscription{Audio: []string{"b.*"}}, "abc", false, true},
		{"deny wins", Subscription{Audio: []string{".*"}, UnAudio: []string{"alice"}}, "alice", false, true},
		{"deny video only", Subscription{UnVideo: []string{"al.*"}}, "alice", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := CompileSubscription(tc.sub)
			if err != nil {
				t.Fatal(err)
			}
			if a, v := f.Audio(tc.user), f.Video(tc.user); a != tc.audio || v != tc.vid {
				t.Fatalf("audio %v video %v, want %v %v", a, v, tc.audio, tc.vid)
			}
		})
	}
}

func TestFilterRejects(t *testing.T) {
	for name, sub := range map[string]Subscription{
		"bad regexp":  {Audio: []string{"(a"}},
		"empty entry": {Video: []string{""}},
		"too long":    {UnVideo: []string{string(make([]byte, MaxPatternLen+1))}},
		"33 entries":  {UnAudio: make([]string, MaxPatterns+1)},
	} {
		if _, err := CompileSubscription(sub); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzCompileSubscription(f *testing.F) {
	for _, s := range []string{"alice", "1.*$", "(a", "", "a|b", `\d+`, "[a-z]{3}"} {
		f.Add(s, "bob")
	}
	f.Fuzz(func(t *testing.T, pattern, user string) {
		fl, err := CompileSubscription(Subscription{Audio: []string{pattern}, UnVideo: []string{pattern}})
		if err != nil {
			return
		}
		// A user is never both allowed by and denied by the same pattern.
		if fl.Audio(trtc.UserID(user)) == fl.Video(trtc.UserID(user)) {
			t.Fatalf("pattern %q: audio and video agree for %q", pattern, user)
		}
	})
}

func TestOpusSamples(t *testing.T) {
	for _, tc := range []struct {
		pkt  []byte
		want int
	}{
		{[]byte{0xf8}, 960},            // CELT FB 20 ms
		{[]byte{0xf8 | 1}, 1920},       // two frames
		{[]byte{0xf8 | 3, 0x03}, 2880}, // three frames
		{[]byte{0x08}, 960},            // SILK NB 20 ms
		{[]byte{0x18}, 2880},           // SILK NB 60 ms
		{[]byte{0x60}, 480},            // hybrid SWB 10 ms
		{[]byte{0xf8 | 3, 0x3f}, 0},    // 63 × 20 ms: too long
		{[]byte{0xf8 | 3}, 0},          // missing frame count
		{nil, 0},
	} {
		if got := opusSamples(tc.pkt); got != tc.want {
			t.Errorf("% x: %d samples, want %d", tc.pkt, got, tc.want)
		}
	}
}

func TestVP8AssemblerDropsToKeyframe(t *testing.T) {
	var a frameAssembler
	key := []byte{0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a} // descriptor S=1, then a keyframe start
	delta := []byte{0x10, 0x11, 0x02, 0x00}
	cont := []byte{0x00, 0xaa}
	if f, _, _ := a.push(1, 100, true, key); f == nil {
		t.Fatal("keyframe not assembled")
	}
	if f, _, _ := a.push(2, 200, false, delta); f != nil {
		t.Fatal("frame before its marker")
	}
	if f, _, _ := a.push(3, 200, true, cont); f == nil || len(f) != 4 {
		t.Fatalf("two-packet frame: %x", f)
	}
	// Lose seq 5 (the end of a frame): that frame and the next delta go.
	a.push(4, 300, false, delta)
	if f, _, want := a.push(6, 400, true, delta); f != nil || !want {
		t.Fatal("a delta frame after loss was kept")
	}
	if f, _, _ := a.push(7, 500, true, key); f == nil {
		t.Fatal("the keyframe after loss was dropped")
	}
	if a.dropped != 2 || a.complete != 3 {
		t.Fatalf("dropped %d complete %d, want 2 and 3", a.dropped, a.complete)
	}
}

// TestSplitAndGapFill records 3.5 s of audio with a 1 s gap in it into 1 s
// files; ffprobe finds every file and the gap is filled with silence, so
// the total duration is the timeline's.
func TestSplitAndGapFill(t *testing.T) {
	s, ev := newTestService(t, Config{})
	task := start(t, s, TaskParams{MaxFileDuration: time.Second})
	src, ti := audioSource("alice")
	task.trackChanged(ti, false)
	src.pushAudio(t, 0, 75, 80)    // 1.5 s
	src.pushAudio(t, 125, 100, 80) // a 1 s gap, then 2 s
	info := finish(t, s, task)
	if len(info.Files) < 4 {
		t.Fatalf("%d files, want 4 or more for 4.5 s in 1 s pieces: %v", len(info.Files), info.Files)
	}
	var total float64
	for _, f := range info.Files {
		codec, _, dur := ffprobeStream(t, filepath.Join(info.Dir, f.FileName))
		if codec != "opus" {
			t.Fatalf("%s: codec %s", f.FileName, codec)
		}
		total += dur
	}
	if total < 4.3 || total > 4.7 {
		t.Fatalf("files last %.3f s in all, want 4.5 ±0.2", total)
	}
	types := ev.types()
	if types[0] != EventRecorderStart || types[len(types)-1] != EventRecorderStop || !slices.Contains(types, EventFileSlice) {
		t.Fatalf("events %v", types)
	}
}

// TestKilledWorkerIsReplaced kills ffmpeg mid-recording: the recorder
// notices, starts a new worker on new files, reports FAILOVER and keeps
// recording; the files of both workers are playable.
func TestKilledWorkerIsReplaced(t *testing.T) {
	s, ev := newTestService(t, Config{})
	pids := make(chan int, 4)
	s.workerStarted = func(pid int) { pids <- pid }
	task := start(t, s, TaskParams{})
	src, ti := audioSource("alice")
	task.trackChanged(ti, false)
	src.pushAudio(t, 0, 50, 80)
	ev.waitEvent(t, EventFileSlice) // the first worker has opened its file
	if err := syscall.Kill(<-pids, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Keep sending until the recorder has replaced the worker.
	next := 50
	for ; ; next += 10 {
		src.pushAudio(t, next, 10, 80)
		if _, ok := ev.find(EventFailover); ok {
			break
		}
		if next > 50*200 {
			t.Fatal("no FAILOVER after ffmpeg was killed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The next packets start the replacement.
	for waiting := true; waiting; {
		next += 10
		src.pushAudio(t, next, 10, 80)
		select {
		case <-pids:
			waiting = false
		case <-time.After(20 * time.Millisecond):
		}
	}
	src.pushAudio(t, next+10, 50, 80)
	info := finish(t, s, task)
	if info.Restarts != 1 || info.Failed || info.LeaveCode != LeaveNormal {
		t.Fatalf("restarts %d failed %v leave %d", info.Restarts, info.Failed, info.LeaveCode)
	}
	if len(info.Files) != 2 {
		t.Fatalf("files %v, want one per worker", info.Files)
	}
	last := info.Files[1]
	if codec, n, _ := ffprobeStream(t, filepath.Join(info.Dir, last.FileName)); codec != "opus" || n < 50 {
		t.Fatalf("the replacement's file: %s with %d packets", codec, n)
	}
}

// TestStalledWorkerFailsTask: an ffmpeg that never reads is replaced after
// StallTimeout, and when the replacements stall too the task ends as
// failed (RECORDER_STOP LeaveCode 100) instead of staying in progress.
func TestStalledWorkerFailsTask(t *testing.T) {
	script := filepath.Join(t.TempDir(), "stuck-ffmpeg")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec sleep 300\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, ev := newTestService(t, Config{FFmpeg: script, StallTimeout: 200 * time.Millisecond, MaxRestarts: 1})
	task := start(t, s, TaskParams{})
	src, ti := audioSource("alice")
	task.trackChanged(ti, false)
	for i := 0; ; i += 100 {
		if _, ok := ev.find(EventRecorderStop); ok {
			break
		}
		if i > 100000 {
			t.Fatal("the task did not fail")
		}
		src.pushAudio(t, i, 100, 1000) // about 100 KB: more than a pipe holds
		time.Sleep(50 * time.Millisecond)
	}
	stop := ev.waitEvent(t, EventRecorderStop)
	if stop.Payload["LeaveCode"] != LeaveFailed {
		t.Fatalf("RECORDER_STOP %v, want LeaveCode %d", stop.Payload, LeaveFailed)
	}
	ev.waitEvent(t, EventFailover)
	info := task.info()
	if info.Status != StatusExited || !info.Failed || info.Restarts != 1 {
		t.Fatalf("status %v failed %v restarts %d", info.Status, info.Failed, info.Restarts)
	}
}

// TestIdleStop: a task with nothing to record stops after MaxIdleTime, and
// a stream present keeps it going.
func TestIdleStop(t *testing.T) {
	s, ev := newTestService(t, Config{})
	task := start(t, s, TaskParams{MaxIdleTime: 300 * time.Millisecond})
	src, ti := audioSource("alice")
	task.trackChanged(ti, false)
	src.pushAudio(t, 0, 10, 80)
	time.Sleep(600 * time.Millisecond) // longer than MaxIdleTime, with a stream present
	if _, ok := ev.find(EventRecorderStop); ok {
		t.Fatal("stopped while a stream was recorded")
	}
	task.trackChanged(ti, true) // unpublished
	stop := ev.waitEvent(t, EventRecorderStop)
	if stop.Payload["LeaveCode"] != LeaveIdle {
		t.Fatalf("RECORDER_STOP %v, want LeaveCode %d", stop.Payload, LeaveIdle)
	}
	if info := task.info(); info.Status != StatusExited || len(info.Files) != 1 {
		t.Fatalf("status %v files %v", info.Status, info.Files)
	}
}

// TestModifySubscription moves the allow list from alice to bob mid-task.
func TestModifySubscription(t *testing.T) {
	s, _ := newTestService(t, Config{})
	f, _ := CompileSubscription(Subscription{Audio: []string{"alice"}})
	task := start(t, s, TaskParams{Filter: f})
	a, ai := audioSource("alice")
	b, bi := audioSource("bob")
	task.trackChanged(ai, false)
	task.trackChanged(bi, false)
	a.pushAudio(t, 0, 20, 80)
	b.pushAudio(t, 0, 20, 80)
	f2, _ := CompileSubscription(Subscription{Audio: []string{"bob"}})
	if err := s.Modify(task.p.Room.App, task.id, f2); err != nil {
		t.Fatal(err)
	}
	a.pushAudio(t, 20, 20, 80)
	b.pushAudio(t, 20, 20, 80)
	info := finish(t, s, task)
	users := map[string]int{}
	for _, fl := range info.Files {
		users[fl.UserID]++
	}
	if users["alice"] != 1 || users["bob"] != 1 {
		t.Fatalf("files %v, want one of alice's and one of bob's", info.Files)
	}
	if err := s.Modify(task.p.Room.App, task.id, f2); err != ErrTaskNotFound {
		t.Fatalf("Modify after the end: %v", err)
	}
}

func TestMaxTasks(t *testing.T) {
	s, _ := newTestService(t, Config{MaxTasks: 1})
	start(t, s, TaskParams{UserID: "r1"})
	if _, err := s.Create(TaskParams{Room: testKey(t), UserID: "r2", MaxIdleTime: time.Minute, Retention: time.Hour}); err == nil {
		t.Fatal("a second task was accepted with MaxTasks 1")
	}
}

// TestMuteKeepsTimeline: while a stream is unavailable (muted or blocked)
// nothing of it is recorded, and the audio file's timeline still covers the
// pause, with silence.
func TestMuteKeepsTimeline(t *testing.T) {
	s, _ := newTestService(t, Config{})
	task := start(t, s, TaskParams{})
	src, ti := audioSource("alice")
	task.trackChanged(ti, false)
	src.pushAudio(t, 0, 50, 80) // 1 s
	// The state change and the packets take different paths into the
	// recorder; let the queue drain before muting.
	waitQueue(t, task, src)
	ti.available = false
	task.trackChanged(ti, false)
	src.pushAudio(t, 50, 50, 80) // 1 s while muted: not recorded
	waitQueue(t, task, src)
	ti.available = true
	task.trackChanged(ti, false)
	src.pushAudio(t, 100, 50, 80) // 1 s
	info := finish(t, s, task)
	if len(info.Files) != 1 {
		t.Fatalf("files %v", info.Files)
	}
	path := filepath.Join(info.Dir, info.Files[0].FileName)
	_, packets, dur := ffprobeStream(t, path)
	if dur < 2.9 || dur > 3.1 || packets != 150 {
		t.Fatalf("%d packets, %.3f s; want 150 (100 sent + 50 of silence), 3 s", packets, dur)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=size", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	silent := strings.Count(string(out), strconv.Itoa(len(opusSilence))+"\n")
	if silent < 49 || silent > 52 {
		t.Fatalf("%d silence packets, want 50 for the muted second", silent)
	}
}

// waitQueue waits until the recorder of src has taken every queued packet.
func waitQueue(t *testing.T, task *Task, src *fakeSource) {
	t.Helper()
	task.mu.Lock()
	r := task.recs[src.id]
	task.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for len(r.q) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the recorder does not drain its queue")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSSRCChange: a second RTP stream of the track is ignored while the
// first one flows, and taken over when the first one has stopped, its
// timeline continuing from the wall clock.
func TestSSRCChange(t *testing.T) {
	s, _ := newTestService(t, Config{})
	task := start(t, s, TaskParams{})
	src, ti := audioSource("alice")
	task.trackChanged(ti, false)
	src.pushAudio(t, 0, 50, 80) // 1 s from SSRC 1234
	src.mu.Lock()
	src.ssrc, src.base, src.seq = 99, 1<<30, 30000
	src.mu.Unlock()
	src.pushAudio(t, 0, 5, 81) // at once from SSRC 99: ignored
	waitQueue(t, task, src)
	time.Sleep(2 * ssrcHold)
	src.pushAudio(t, 5, 50, 82) // 1 s from SSRC 99, taken over
	info := finish(t, s, task)
	path := filepath.Join(info.Dir, info.Files[0].FileName)
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=size", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{}
	for _, l := range strings.Fields(string(out)) {
		sizes[strings.Trim(l, ",")]++
	}
	if sizes["80"] != 50 || sizes["81"] != 0 || sizes["82"] != 50 {
		t.Fatalf("packets by size %v: want 50 of the first stream, none of the overlap, 50 of the second", sizes)
	}
	if _, _, dur := ffprobeStream(t, path); dur < 2+ssrcHold.Seconds() || dur > 4 {
		t.Fatalf("%.3f s: the pause between the streams is not in the timeline", dur)
	}
}

// TestRecoverAfterCrash: a server that died with a task running finds it
// on restart, reports it ended (MP4_STOP with its files, RECORDER_STOP
// LeaveCode 100) and describes it as Exited.
func TestRecoverAfterCrash(t *testing.T) {
	s1, ev1 := newTestService(t, Config{})
	task := start(t, s1, TaskParams{UserID: "robot_1"})
	src, ti := audioSource("user_with_underscores")
	task.trackChanged(ti, false)
	src.pushAudio(t, 0, 50, 80)
	ev1.waitEvent(t, EventFileSlice)

	// A second service over the same directory stands in for the restarted
	// server; the first one's task is still "running" on disk.
	ev2 := newEvents()
	s2 := New(Config{Dir: s1.cfg.Dir, Media: nopMedia{}, Events: ev2})
	n, err := s2.Recover()
	if err != nil || n != 1 {
		t.Fatalf("Recover: %d tasks, %v", n, err)
	}
	info, err := s2.Describe(task.p.Room.App, task.id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != StatusExited || len(info.Files) != 1 || info.Files[0].UserID != "user_with_underscores" || info.Files[0].TrackType != "audio" {
		t.Fatalf("recovered %+v", info)
	}
	stop := ev2.waitEvent(t, EventRecorderStop)
	if stop.Payload["LeaveCode"] != LeaveFailed || stop.TaskID != task.id || stop.UserID != "robot_1" {
		t.Fatalf("RECORDER_STOP %+v", stop)
	}
	if mp4, _ := ev2.find(EventMP4Stop); len(mp4.Payload["FileList"].([]string)) != 1 {
		t.Fatalf("MP4_STOP %+v", mp4.Payload)
	}
	// Recovering again finds nothing: the record now says Exited.
	if n, _ := New(Config{Dir: s1.cfg.Dir, Media: nopMedia{}}).Recover(); n != 0 {
		t.Fatalf("a second Recover found %d tasks", n)
	}
}
