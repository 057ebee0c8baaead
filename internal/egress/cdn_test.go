package egress

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakePusher is a stand-in for ffmpeg's RTMP pusher, by its last argument
// (the URL): "bad" refuses like an unreachable server, "stuck" connects and
// then stops reading, anything else copies its input to DIR/<stream>.
func fakePusher(t *testing.T) (bin, dir string) {
	dir = t.TempDir()
	bin = filepath.Join(dir, "ffmpeg")
	script := fmt.Sprintf(`#!/bin/sh
for a; do url="$a"; done
case "$url" in
*bad*) echo "Connection to tcp://127.0.0.1:1 failed: Connection refused" >&2; exit 1;;
*stuck*) echo "Output #0, flv, to '$url':" >&2; exec sleep 30;;
*) echo "Output #0, flv, to '$url':" >&2; exec cat > %s/"${url##*/}";;
esac
`, dir)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, dir
}

// testFeed is a Feed: it reads its stream (counting bytes), or with stuck
// never reads and only ends with its context.
type testFeed struct {
	name  string
	stuck bool
	n     atomic.Int64
}

func (f *testFeed) Name() string { return f.name }

func (f *testFeed) Run(ctx context.Context, ts io.Reader, live func()) error {
	live()
	if f.stuck {
		<-ctx.Done()
		return nil
	}
	b := make([]byte, 4096)
	for {
		n, err := ts.Read(b)
		f.n.Add(int64(n))
		if err != nil {
			return nil
		}
	}
}

// waitTargets feeds chunks until ok holds for the targets (at most 10 s).
func waitTargets(t *testing.T, s *pushSet, what string, ok func(map[string]PushTarget) bool) {
	t.Helper()
	chunk := bytes.Repeat([]byte{0x47}, pushChunk)
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := map[string]PushTarget{}
		for _, pt := range s.snapshot() {
			m[pt.URL] = pt
		}
		if ok(m) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s: %+v", what, m)
		}
		s.fanOut(chunk)
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPushSupervision: a refused target fails and is retried with
// backoff, a target that stops reading is detected and reconnected, and
// neither disturbs a healthy target; removed targets stop; stop ends all.
func TestPushSupervision(t *testing.T) {
	bin, dir := fakePusher(t)
	svc := New(Config{FFmpeg: bin, StallTimeout: 300 * time.Millisecond, FinishTimeout: 2 * time.Second, Dir: t.TempDir()})
	task := &Task{svc: svc, id: "push-test", status: StatusIdle}
	good, bad, stuck := "rtmp://h/live/good", "rtmp://h/live/bad", "rtmp://h/live/stuck"
	feed, stuckFeed := &testFeed{name: "trtc://1/2/robot"}, &testFeed{name: "trtc://1/3/robot", stuck: true}
	s := newPushSet(task, PushParams{URLs: []string{good, bad, stuck}, Video: true, Feeds: []Feed{feed, stuckFeed}})
	task.push = s
	s.begin()
	waitTargets(t, s, "good pushing, bad retried, stuck reconnected", func(m map[string]PushTarget) bool {
		return m[good].State == PushPushing && m[bad].Failures >= 2 && m[stuck].Failures >= 1 && m[stuck].Attempts >= 2 &&
			m[feed.name].State == PushPushing && feed.n.Load() > 0 && m[stuckFeed.name].State == PushPushing
	})
	m := map[string]PushTarget{}
	for _, pt := range s.snapshot() {
		m[pt.URL] = pt
	}
	if !strings.Contains(m[bad].LastError, "Connection refused") {
		t.Fatalf("the refused target's error %q; want ffmpeg's reason", m[bad].LastError)
	}
	if !strings.Contains(m[stuck].LastError, "stopped reading") {
		t.Fatalf("the stuck target's error %q; want a stall", m[stuck].LastError)
	}
	if m[good].Failures != 0 || task.info().Status != StatusInProgress {
		t.Fatalf("the healthy target %+v, task %v; want no failure and InProgress", m[good], task.info().Status)
	}
	if err := svc.SetPushTargets(0, "none", nil); err == nil {
		t.Fatal("SetPushTargets of an unknown task: no error")
	}
	s.setURLs([]string{good}) // feeds stay: they are not URLs
	waitTargets(t, s, "only the good target and the feeds left", func(m map[string]PushTarget) bool { return len(m) == 3 })
	s.fanOut([]byte("end"))
	stopped := make(chan struct{})
	go func() {
		s.stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("stop hangs on a feed that does not read")
	}
	b, err := os.ReadFile(filepath.Join(dir, "good"))
	if err != nil || !bytes.HasSuffix(b, []byte("end")) {
		t.Fatalf("the good target received %d bytes (%v), not ending with the last chunk", len(b), err)
	}
	for _, pt := range s.snapshot() {
		if pt.State != PushIdle {
			t.Fatalf("after stop: %+v", pt)
		}
	}
}

func TestPushStateString(t *testing.T) {
	for s, want := range map[PushState]string{PushIdle: "Idle", PushConnecting: "Connecting", PushPushing: "Pushing",
		PushRecovering: "Recovering", PushFailed: "Failed", PushDisconnecting: "Disconnecting", 9: "Unknown(9)"} {
		if s.String() != want {
			t.Fatalf("%d: %q, want %q", int(s), s.String(), want)
		}
	}
	if got := redactURL("rtmp://h/live/s?key=secret"); strings.Contains(got, "secret") {
		t.Fatalf("redactURL kept the key: %q", got)
	}
}
