package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

const (
	app1 trtc.SDKAppID = 1400000001
	app2 trtc.SDKAppID = 1400000002
	key1               = "k1secret"
)

func always(status int) func(int) int { return func(int) int { return status } }

// TestRetrySchedule follows trtc-reference §8.1 on a fake clock: a retry at
// once, then every 10 s, nothing after one minute; while the receiver stays
// down the next event gets two attempts; an answer ends the failure streak
// and the following failure gets the whole schedule again.
func TestRetrySchedule(t *testing.T) {
	clk := newFakeClock()
	rcv := newReceiver(t, app1, key1, always(500))
	s := openService(t, Config{Dir: t.TempDir(), Apps: []App{{ID: app1, URL: rcv.URL(), Key: key1}}, Clock: clk})
	t0 := clk.Now().UnixMilli()
	for i := range 2 {
		if err := s.Append(testEvent(app1, i)); err != nil {
			t.Fatal(err)
		}
	}
	runClockUntil(t, clk, s, func() bool { return s.Stats().GivenUp == 2 })
	offsets := func(ds []delivery) []int64 {
		var out []int64
		for _, d := range ds {
			out = append(out, (d.Callback-t0)/1000)
		}
		return out
	}
	reqs := rcv.requests()
	if got, want := offsets(reqs), []int64{0, 0, 10, 20, 30, 40, 50, 60, 60, 60}; !slices.Equal(got, want) {
		t.Fatalf("attempts at %v s, want %v", got, want)
	}
	for i, d := range reqs {
		first, user := reqs[0], "u0"
		if i >= 8 {
			first, user = reqs[8], "u1"
		}
		if userOf(d) != user || d.ID != first.ID {
			t.Fatalf("attempt %d is for %s with id %s, want %s with id %s", i, userOf(d), d.ID, user, first.ID)
		}
	}

	// The receiver is back: one attempt, and the streak is over.
	rcv.setAnswer(always(200))
	s.Append(testEvent(app1, 2))
	waitIdle(t, s)
	rcv.setAnswer(always(503))
	s.Append(testEvent(app1, 3))
	runClockUntil(t, clk, s, func() bool { return s.Stats().GivenUp == 3 })
	reqs = rcv.requests()[len(reqs):]
	if got, want := offsets(reqs), []int64{60, 60, 60, 70, 80, 90, 100, 110, 120}; !slices.Equal(got, want) {
		t.Fatalf("after recovery, attempts at %v s, want %v", got, want)
	}
	st := s.Stats()
	if st.Delivered != 1 || st.Attempts != 19 || st.Failures != 18 || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRefusingThenAccepting: a receiver that answers 500, hangs past the
// timeout, or drops the connection for a while, then accepts, gets every
// event, in order, each accepted once.
func TestRefusingThenAccepting(t *testing.T) {
	refusals := []int{500, answerHang, answerClose, 502, answerHang, 500}
	rcv := newReceiver(t, app1, key1, func(n int) int {
		if n <= len(refusals) {
			return refusals[n-1]
		}
		return 200
	})
	s := openService(t, Config{
		Dir: t.TempDir(), Apps: []App{{ID: app1, URL: rcv.URL(), Key: key1}},
		Timeout: 200 * time.Millisecond, RetryInterval: 10 * time.Millisecond, RetryWindow: time.Minute,
	})
	const n = 30
	for i := range n {
		if err := s.Append(testEvent(app1, i)); err != nil {
			t.Fatal(err)
		}
	}
	waitIdle(t, s)
	got := rcv.accepted()
	if len(got) != n {
		t.Fatalf("%d events accepted, want %d", len(got), n)
	}
	ids := map[string]bool{}
	for i, d := range got {
		if userOf(d) != "u"+strconv.Itoa(i) || ids[d.ID] {
			t.Fatalf("accepted event %d is %s (id %s, seen before: %v)", i, userOf(d), d.ID, ids[d.ID])
		}
		ids[d.ID] = true
	}
	if st := s.Stats(); st.Failures != uint64(len(refusals)) || st.GivenUp != 0 || st.Delivered != n {
		t.Fatalf("stats %+v", st)
	}
}

// TestReceiverDown: nothing listens at the URL for a while; the events
// arrive once something does.
func TestReceiverDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	clk := newFakeClock()
	s := openService(t, Config{
		Dir: t.TempDir(), Apps: []App{{ID: app1, URL: "http://" + addr + "/hook"}}, Clock: clk,
	})
	for i := range 5 {
		s.Append(testEvent(app1, i))
	}
	// Two refused attempts, then the goroutine waits for its retry.
	runClockUntil(t, clk, s, func() bool { _, sleeping := clk.nextWake(); return sleeping })
	if st := s.Stats(); st.Failures != 2 || st.Delivered != 0 {
		t.Fatalf("stats %+v, want 2 failures", st)
	}
	rcv := newReceiver(t, app1, "", nil)
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: rcv.srv.Config.Handler}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	runClockUntil(t, clk, s, func() bool { return s.pending() == 0 })
	if got := rcv.accepted(); len(got) != 5 || userOf(got[0]) != "u0" || userOf(got[4]) != "u4" {
		t.Fatalf("accepted %d events", len(got))
	}
}

// TestAppsAreIndependent: one app's receiver being down holds back only
// that app's events; each app's order is kept.
func TestAppsAreIndependent(t *testing.T) {
	down := newReceiver(t, app1, "", always(500))
	up := newReceiver(t, app2, key1, nil)
	s := openService(t, Config{
		Dir: t.TempDir(), Apps: []App{{ID: app1, URL: down.URL()}, {ID: app2, URL: up.URL(), Key: key1}},
		RetryInterval: 5 * time.Millisecond, RetryWindow: time.Minute,
	})
	for i := range 20 {
		s.Append(testEvent(app1+trtc.SDKAppID(i%2), i))
	}
	up.waitFor("app 2's ten events", func(ds []delivery) bool { return len(ds) == 10 })
	down.waitFor("retries of app 1's first event", func(ds []delivery) bool { return len(ds) >= 3 })
	for _, d := range down.requests() {
		if userOf(d) != "u0" {
			t.Fatalf("app 1 sent %s before its first event was delivered", userOf(d))
		}
	}
	down.setAnswer(always(200))
	waitIdle(t, s)
	for k, r := range []*receiver{down, up} {
		got := r.accepted()
		if len(got) != 10 {
			t.Fatalf("app %d: %d accepted", k+1, len(got))
		}
		for i, d := range got {
			if want := "u" + strconv.Itoa(2*i+k); userOf(d) != want {
				t.Fatalf("app %d: event %d is %s, want %s", k+1, i, userOf(d), want)
			}
		}
	}
}

// TestRestartResumes: a service closed with events pending (receiver down)
// keeps them; the next one sends them first, with the same ids, before new
// events.
func TestRestartResumes(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t, app1, key1, always(500))
	cfg := Config{Dir: dir, Apps: []App{{ID: app1, URL: rcv.URL(), Key: key1}}, RetryInterval: time.Hour, RetryWindow: 2 * time.Hour}
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		s.Append(testEvent(app1, i))
	}
	rcv.waitFor("two attempts", func(ds []delivery) bool { return len(ds) >= 2 })
	firstID := rcv.requests()[0].ID
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Close(ctx); !errors.Is(err, ErrNotFlushed) {
		t.Fatalf("Close with a receiver down: %v, want ErrNotFlushed", err)
	}
	if err := s.Append(testEvent(app1, 99)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}

	rcv.setAnswer(always(200))
	s2 := openService(t, cfg)
	if st := s2.Stats(); st.Recovered != 10 {
		t.Fatalf("recovered %d", st.Recovered)
	}
	s2.Append(testEvent(app1, 10))
	waitIdle(t, s2)
	got := rcv.accepted()
	if len(got) != 11 || got[0].ID != firstID {
		t.Fatalf("%d accepted, first id %s, want 11 starting with %s", len(got), got[0].ID, firstID)
	}
	for i, d := range got {
		if userOf(d) != "u"+strconv.Itoa(i) {
			t.Fatalf("event %d is %s", i, userOf(d))
		}
	}
}

// TestCrashResumes: the outbox as a process killed right after Append
// leaves it holds the events; a service on it delivers them.
func TestCrashResumes(t *testing.T) {
	dir := t.TempDir()
	refuse := newReceiver(t, app1, key1, always(500))
	s := openService(t, Config{Dir: dir, Apps: []App{{ID: app1, URL: refuse.URL(), Key: key1}}, RetryInterval: time.Hour, RetryWindow: 2 * time.Hour})
	for i := range 25 {
		if err := s.Append(testEvent(app1, i)); err != nil {
			t.Fatal(err)
		}
	}
	crash := copyOutbox(t, dir)
	rcv := newReceiver(t, app1, key1, nil)
	s2 := openService(t, Config{Dir: crash, Apps: []App{{ID: app1, URL: rcv.URL(), Key: key1}}})
	waitIdle(t, s2)
	if got := rcv.accepted(); len(got) != 25 || userOf(got[24]) != "u24" {
		t.Fatalf("%d accepted after the crash", len(got))
	}
}

// TestCloseFlushes: Close delivers what is pending before it returns.
func TestCloseFlushes(t *testing.T) {
	rcv := newReceiver(t, app1, key1, func(n int) int {
		if n%3 == 0 {
			return 500
		}
		return 200
	})
	s, err := Open(Config{Dir: t.TempDir(), Apps: []App{{ID: app1, URL: rcv.URL(), Key: key1}}, RetryInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		s.Append(testEvent(app1, i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := rcv.accepted(); len(got) != 50 {
		t.Fatalf("%d delivered by Close, want 50", len(got))
	}
}

// TestMaxPending: past the cap, the oldest event not being sent is given up.
func TestMaxPending(t *testing.T) {
	rcv := newReceiver(t, app1, "", always(500))
	s := openService(t, Config{Dir: t.TempDir(), Apps: []App{{ID: app1, URL: rcv.URL()}}, MaxPending: 3, RetryInterval: time.Hour, RetryWindow: 2 * time.Hour})
	s.Append(testEvent(app1, 0))
	rcv.waitFor("the first event sent", func(ds []delivery) bool { return len(ds) >= 2 })
	for i := 1; i < 6; i++ {
		s.Append(testEvent(app1, i))
	}
	if st := s.Stats(); st.GivenUp != 3 || st.Pending != 3 {
		t.Fatalf("stats %+v, want 3 given up and 3 pending", st)
	}
}

func TestAppendBadInput(t *testing.T) {
	s := openService(t, Config{Dir: t.TempDir(), Apps: []App{{ID: app1, URL: "http://127.0.0.1:1/"}}, RetryInterval: time.Hour})
	if err := s.Append(Event{Type: 150, Room: trtc.RoomKey{App: app1, Num: 1}}); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("type 150: %v", err)
	}
	if err := s.Append(testEvent(app2, 0)); err != nil || s.Stats().Appended != 0 {
		t.Fatalf("an app without webhook: %v, %+v", err, s.Stats())
	}
	if _, err := Open(Config{}); err == nil {
		t.Fatal("Open without a directory succeeded")
	}
}

// TestAppendDeferred: a deferred event costs no fdatasync of its own; the
// next Append makes it durable too, and both are delivered in order.
func TestAppendDeferred(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t, app1, "", always(500))
	s := openService(t, Config{Dir: dir, Apps: []App{{ID: app1, URL: rcv.URL()}}, RetryInterval: time.Hour, RetryWindow: 2 * time.Hour})
	before := s.Stats().Syncs
	create := testEvent(app1, 0)
	create.Type = EventCreateRoom
	if err := s.AppendDeferred(create); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Syncs; got != before {
		t.Fatalf("AppendDeferred ran %d fdatasyncs", got-before)
	}
	if err := s.Append(testEvent(app1, 1)); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Syncs; got != before+1 {
		t.Fatalf("Append after AppendDeferred ran %d fdatasyncs, want 1", got-before)
	}
	ok := newReceiver(t, app1, "", nil)
	s2 := openService(t, Config{Dir: copyOutbox(t, dir), Apps: []App{{ID: app1, URL: ok.URL()}}})
	waitIdle(t, s2)
	if got := ok.accepted(); len(got) != 2 || got[0].Type != 101 || got[1].Type != 103 {
		t.Fatalf("after a crash: %d events", len(got))
	}
}
