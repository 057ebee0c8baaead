package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

var discard = slog.New(slog.DiscardHandler)

func openBox(t *testing.T, dir string, segLimit int64) (*outbox, []*stored) {
	t.Helper()
	o, pending, err := openOutbox(dir, segLimit, discard)
	if err != nil {
		t.Fatalf("openOutbox: %v", err)
	}
	t.Cleanup(func() { o.close() })
	return o, pending
}

func appendN(t *testing.T, o *outbox, from, n int) []*stored {
	t.Helper()
	var out []*stored
	for i := from; i < from+n; i++ {
		st, err := o.append(trtc.SDKAppID(1400000001+i%2), EventEnterRoom, []byte(fmt.Sprintf(`{"n":%d}`, i)), true)
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		out = append(out, st)
	}
	return out
}

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestOutboxRecover: what a killed process leaves is every appended event
// without an ack, in order, with the same ids; numbering goes on after them.
func TestOutboxRecover(t *testing.T) {
	dir := t.TempDir()
	o, pending := openBox(t, dir, DefaultSegmentBytes)
	if len(pending) != 0 {
		t.Fatalf("new outbox has %d pending", len(pending))
	}
	sts := appendN(t, o, 0, 10)
	for _, i := range []int{0, 1, 4, 9} {
		o.ack(sts[i])
	}
	crash := copyOutbox(t, dir) // SIGKILL here: acks need no fsync, but are in the page cache
	o2, got := openBox(t, crash, DefaultSegmentBytes)
	var want []*stored
	for i, st := range sts {
		if i != 0 && i != 1 && i != 4 && i != 9 {
			want = append(want, st)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("recovered %d events, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.lsn != w.lsn || g.id != w.id || g.app != w.app || g.typ != w.typ || string(g.info) != string(w.info) {
			t.Fatalf("event %d: got %+v, want %+v", i, g, w)
		}
	}
	next, err := o2.append(1400000001, EventExitRoom, []byte(`{}`), true)
	if err != nil || next.lsn != 11 || o2.instance != o.instance {
		t.Fatalf("append after recovery: lsn %d, instance %x/%x, %v", next.lsn, o2.instance, o.instance, err)
	}
}

// TestOutboxTornTail cuts the log at every byte of its last record: recovery
// keeps the records that are whole, drops the torn one, and the outbox
// takes appends again.
func TestOutboxTornTail(t *testing.T) {
	const segLimit = 4096 // preallocated: the file is this long from the start
	dir := t.TempDir()
	o, _ := openBox(t, dir, segLimit)
	appendN(t, o, 0, 3)
	files := segFiles(t, dir)
	full, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	o.mu.Lock()
	end := int(o.segs[0].size)
	o.mu.Unlock()
	lastLen := recHeaderBytes + eventFixedBytes + len(`{"n":2}`)
	for cut := end - lastLen; cut < end; cut++ {
		for _, tail := range []string{"none", "zeros", "garbage"} {
			crash := t.TempDir()
			img := append([]byte(nil), full[:cut]...)
			switch tail {
			case "zeros":
				img = append(img, make([]byte, segLimit-cut)...)
			case "garbage":
				img = append(img, full[cut:end]...) // the torn record's bytes, shifted
				img[cut] ^= 0xff
			}
			if err := os.WriteFile(filepath.Join(crash, filepath.Base(files[0])), img, 0o600); err != nil {
				t.Fatal(err)
			}
			o2, got, err := openOutbox(crash, segLimit, discard)
			if err != nil {
				t.Fatalf("cut at %d, %s after: %v", cut, tail, err)
			}
			if len(got) != 2 {
				t.Fatalf("cut at %d, %s after: recovered %d events, want 2", cut, tail, len(got))
			}
			st, err := o2.append(1400000001, EventExitRoom, []byte(`{"after":1}`), true)
			if err != nil || st.lsn != 3 {
				t.Fatalf("cut at %d, %s after: append after truncation: %+v %v", cut, tail, st, err)
			}
			o2.close()
			o3, got, err := openOutbox(crash, segLimit, discard)
			if err != nil || len(got) != 3 || string(got[2].info) != `{"after":1}` {
				t.Fatalf("cut at %d, %s after: reopened: %d events, %v", cut, tail, len(got), err)
			}
			o3.close()
		}
	}
}

// TestOutboxCompaction: with small segments, delivered segments are deleted
// and the last one stays, with numbering intact across a reopen.
func TestOutboxCompaction(t *testing.T) {
	dir := t.TempDir()
	o, _ := openBox(t, dir, 256)
	sts := appendN(t, o, 0, 40)
	if n := len(segFiles(t, dir)); n < 5 {
		t.Fatalf("%d segment files for 40 events in 256-byte segments", n)
	}
	for _, st := range sts[:39] {
		o.ack(st)
	}
	o.mu.Lock()
	first := o.segs[0]
	o.mu.Unlock()
	if first != sts[39].seg || len(segFiles(t, dir)) != o.segments() {
		t.Fatalf("after acking all but the last event the oldest segment starts at %d, want %d; %d files, %d segments",
			first.base, sts[39].seg.base, len(segFiles(t, dir)), o.segments())
	}
	o.ack(sts[39])
	if n := len(segFiles(t, dir)); n != 1 || o.segments() != 1 {
		t.Fatalf("%d files, %d segments after acking everything; want 1", n, o.segments())
	}
	o.close()
	o2, got := openBox(t, dir, 256)
	if len(got) != 0 {
		t.Fatalf("%d pending after everything was acked", len(got))
	}
	if st, err := o2.append(1400000001, EventEnterRoom, []byte(`{}`), true); err != nil || st.lsn != 41 {
		t.Fatalf("lsn after compaction and reopen: %+v %v", st, err)
	}
}

// TestOutboxGroupCommit: concurrent appenders share fsyncs, and every
// append is on disk when it returns.
func TestOutboxGroupCommit(t *testing.T) {
	dir := t.TempDir()
	o, _ := openBox(t, dir, DefaultSegmentBytes)
	before := o.syncs.Load()
	const writers, each = 16, 40
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := o.append(trtc.SDKAppID(w+1), EventStartAudio, []byte(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)), true); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	syncs := o.syncs.Load() - before
	t.Logf("%d appends, %d fsyncs", writers*each, syncs)
	if syncs >= writers*each {
		t.Fatalf("%d fsyncs for %d concurrent appends: no group commit", syncs, writers*each)
	}
	_, got := openBox(t, copyOutbox(t, dir), DefaultSegmentBytes)
	if len(got) != writers*each {
		t.Fatalf("recovered %d of %d", len(got), writers*each)
	}
	last := map[trtc.SDKAppID]uint64{}
	for _, st := range got {
		if st.lsn <= last[st.app] {
			t.Fatalf("app %d: lsn %d after %d", st.app, st.lsn, last[st.app])
		}
		last[st.app] = st.lsn
	}
}

func TestOutboxLocked(t *testing.T) {
	dir := t.TempDir()
	openBox(t, dir, DefaultSegmentBytes)
	if _, _, err := openOutbox(dir, DefaultSegmentBytes, discard); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
}

// TestOutboxBadSegment: a segment without a valid header (a crash while
// creating it) is set aside; numbering continues after its name.
func TestOutboxBadSegment(t *testing.T) {
	dir := t.TempDir()
	o, _ := openBox(t, dir, DefaultSegmentBytes)
	appendN(t, o, 0, 2)
	o.close()
	bad := filepath.Join(dir, fmt.Sprintf("%020d-%020d.seg", 3, 2))
	if err := os.WriteFile(bad, []byte("RTCW"), 0o600); err != nil {
		t.Fatal(err)
	}
	o2, got := openBox(t, dir, DefaultSegmentBytes)
	if len(got) != 2 {
		t.Fatalf("recovered %d, want 2", len(got))
	}
	if _, err := os.Stat(bad + ".bad"); err != nil {
		t.Fatalf("bad segment not set aside: %v", err)
	}
	if st, err := o2.append(1, EventEnterRoom, []byte(`{}`), true); err != nil || st.lsn != 3 {
		t.Fatalf("append: %+v %v", st, err)
	}
}

func TestOutboxRefusesLargeEvent(t *testing.T) {
	o, _ := openBox(t, t.TempDir(), DefaultSegmentBytes)
	if _, err := o.append(1, EventEnterRoom, make([]byte, maxRecordBytes), true); !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("append of %d bytes: %v", maxRecordBytes, err)
	}
	if st, err := o.append(1, EventEnterRoom, []byte(`{}`), true); err != nil || st.lsn != 1 {
		t.Fatalf("append after refusal: %+v %v", st, err)
	}
}
