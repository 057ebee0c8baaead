package webhook

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rtcengine/rtcengine/internal/pgtest"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// nodeEnv, set to a DSN, makes the test binary a webhook node of its own
// (TestMain runs runNode instead of the tests).
const nodeEnv = "RTCENGINE_WEBHOOK_TEST_NODE"

// openPG opens a service on the PostgreSQL outbox at dsn that the test
// closes at its end, leaving what is pending in the database.
func openPG(t *testing.T, dsn string, cfg Config) *Service {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := OpenPostgres(ctx, dsn, cfg)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = s.Close(ctx)
	})
	return s
}

// query runs a query on the test's database and scans its one row.
func query(t *testing.T, dsn, q string, dst ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, q).Scan(dst...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// waitStats waits until ok holds for the service's counters.
func waitStats(t *testing.T, s *Service, what string, ok func(Stats) bool) Stats {
	t.Helper()
	deadline := time.After(waitBound)
	tick := time.NewTicker(20 * time.Millisecond) // another node's progress is not signalled here
	defer tick.Stop()
	for {
		if st := s.Stats(); ok(st) {
			return st
		}
		select {
		case <-s.progress:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s not reached; stats %+v", what, s.Stats())
		}
	}
}

// lsnOf is the sequence number in an EventId.
func lsnOf(t *testing.T, id string) uint64 {
	t.Helper()
	_, n, ok := strings.Cut(id, "-")
	v, err := strconv.ParseUint(n, 10, 64)
	if !ok || err != nil {
		t.Fatalf("EventId %q is not instance-number", id)
	}
	return v
}

// sameIDPerUser checks that every request about one user's event carried
// one EventId: a duplicate is always recognizable.
func sameIDPerUser(t *testing.T, ds []delivery) {
	t.Helper()
	ids := map[string]string{}
	for _, d := range ds {
		if id, seen := ids[userOf(d)]; seen && id != d.ID {
			t.Fatalf("event of %s sent with ids %s and %s", userOf(d), id, d.ID)
		}
		ids[userOf(d)] = d.ID
	}
}

// TestPostgresReceiverDownThenUp: events wait in PostgreSQL while nothing
// listens at the URL, with their attempts recorded there, and arrive in
// order, each accepted once, when the receiver comes up.
func TestPostgresReceiverDownThenUp(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := openPG(t, dsn, Config{Apps: []App{{ID: app1, URL: "http://" + addr + "/hook"}},
		RetryInterval: 30 * time.Millisecond, RetryWindow: time.Minute})
	for i := range 5 {
		if err := s.Append(testEvent(app1, i)); err != nil {
			t.Fatal(err)
		}
	}
	waitStats(t, s, "three refused attempts", func(st Stats) bool { return st.Failures >= 3 })
	var attempts int
	var failing *int64
	query(t, dsn, `SELECT e.attempts, a.failing_since_ms FROM webhook_events e JOIN webhook_apps a USING (app) ORDER BY e.id LIMIT 1`, &attempts, &failing)
	if attempts < 2 || failing == nil {
		t.Fatalf("head: %d attempts, failing since %v; want them recorded", attempts, failing)
	}
	rcv := newReceiver(t, app1, "", nil)
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: rcv.srv.Config.Handler}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	got := rcv.waitFor("five events", func(ds []delivery) bool { return len(ds) >= 5 })
	for i, d := range got {
		if userOf(d) != "u"+strconv.Itoa(i) {
			t.Fatalf("event %d is %s", i, userOf(d))
		}
	}
	st := waitStats(t, s, "nothing pending", func(st Stats) bool { return st.Pending == 0 })
	if st.Delivered != 5 || st.GivenUp != 0 || st.Appended != 5 {
		t.Fatalf("stats %+v", st)
	}
	var failingAfter *int64
	query(t, dsn, `SELECT failing_since_ms FROM webhook_apps`, &failingAfter)
	if failingAfter != nil {
		t.Fatal("the failure streak outlived a delivery")
	}
}

// TestPostgresTwoNodesKeepOrder: two nodes append the events of two apps
// concurrently and both deliver them, to receivers that refuse some
// attempts; each app gets every event once, in the order they were
// appended, one attempt at a time.
func TestPostgresTwoNodesKeepOrder(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	refuse := func(every int) func(int) int {
		return func(n int) int {
			if n%every == 0 {
				return 500
			}
			return 200
		}
	}
	rcvs := []*receiver{newReceiver(t, app1, key1, refuse(4)), newReceiver(t, app2, key1, refuse(5))}
	cfg := Config{Apps: []App{{ID: app1, URL: rcvs[0].URL(), Key: key1}, {ID: app2, URL: rcvs[1].URL(), Key: key1}},
		RetryInterval: 5 * time.Millisecond, RetryWindow: time.Minute, Poll: 100 * time.Millisecond}
	a, b := cfg, cfg
	a.Node, b.Node = "a", "b"
	nodes := []*Service{openPG(t, dsn, a), openPG(t, dsn, b)}
	const n = 80
	var wg sync.WaitGroup
	for k, node := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < n; i += 2 {
				if err := node.Append(testEvent(app1+trtc.SDKAppID(i/2%2), i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for k, r := range rcvs {
		r.waitFor("every event of the app", func([]delivery) bool { return len(r.accepted()) >= n/2 })
		all := r.requests()
		sameIDPerUser(t, all)
		var last uint64
		inFlight := map[string]bool{}
		for _, d := range all {
			// One attempt at a time: a request is for the event of the
			// request before it (retried) or for a later one.
			if l := lsnOf(t, d.ID); l < last {
				t.Fatalf("app %d: event %d (%s) sent after event %d", k+1, l, userOf(d), last)
			} else {
				last = l
			}
			inFlight[userOf(d)] = true
		}
		got := r.accepted()
		if len(got) != n/2 || len(inFlight) != n/2 {
			t.Fatalf("app %d: %d accepted, %d distinct, want %d", k+1, len(got), len(inFlight), n/2)
		}
	}
	waitStats(t, nodes[0], "nothing pending", func(st Stats) bool { return st.Pending == 0 })
	st := [2]Stats{nodes[0].Stats(), nodes[1].Stats()}
	if st[0].Delivered+st[1].Delivered != n || st[0].GivenUp+st[1].GivenUp != 0 {
		t.Fatalf("stats %+v", st)
	}
	t.Logf("node a delivered %d, node b %d", st[0].Delivered, st[1].Delivered)
}

// TestPostgresNotified: an idle node that would look for work only once an
// hour delivers an event another node appended at once: the append's
// notification wakes it.
func TestPostgresNotified(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	rcv := newReceiver(t, app1, "", nil)
	s := openPG(t, dsn, Config{Apps: []App{{ID: app1, URL: rcv.URL()}}, Poll: time.Hour})
	// Another node's append, as it reaches the database.
	var id int64
	query(t, dsn, fmt.Sprintf(`WITH ins AS (INSERT INTO webhook_events(app, type, info, created_ms)
		VALUES (%d, 103, convert_to('{"RoomId":1,"UserId":"u7"}', 'UTF8'), 0) RETURNING id)
		SELECT id FROM ins, pg_notify('%s', '%d')`, app1, notifyChannel, app1), &id)
	got := rcv.waitFor("the event", func(ds []delivery) bool { return len(ds) == 1 })
	if userOf(got[0]) != "u7" || lsnOf(t, got[0].ID) != uint64(id) {
		t.Fatalf("delivered %s with id %s, want u7 with number %d", userOf(got[0]), got[0].ID, id)
	}
	waitStats(t, s, "delivered", func(st Stats) bool { return st.Delivered == 1 && st.Pending == 0 })
}

// TestPostgresSchedulePersisted: a node closes during a failure streak; the
// node that takes over goes on with the same schedule (the attempts made
// and when the streak started are in the database) and gives up when the
// window that began on the first node ends.
func TestPostgresSchedulePersisted(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	rcv := newReceiver(t, app1, key1, always(500))
	const interval, window = 500 * time.Millisecond, 1200 * time.Millisecond
	cfg := Config{Apps: []App{{ID: app1, URL: rcv.URL(), Key: key1}}, RetryInterval: interval, RetryWindow: window}
	first := openPG(t, dsn, cfg)
	if err := first.Append(testEvent(app1, 0)); err != nil {
		t.Fatal(err)
	}
	waitStats(t, first, "two attempts", func(st Stats) bool { return st.Failures == 2 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := first.Close(ctx); !errors.Is(err, ErrNotFlushed) {
		t.Fatalf("Close: %v, want ErrNotFlushed", err)
	}
	var attempts int
	var next, failing int64
	query(t, dsn, `SELECT e.attempts, e.next_attempt_ms, a.failing_since_ms FROM webhook_events e JOIN webhook_apps a USING (app)`, &attempts, &next, &failing)
	reqs := rcv.requests()
	if attempts != 2 || next < reqs[1].Callback+interval.Milliseconds()-5 || failing > reqs[0].Callback {
		t.Fatalf("stored schedule: %d attempts, next at %d, failing since %d; requests at %d and %d",
			attempts, next, failing, reqs[0].Callback, reqs[1].Callback)
	}

	second := openPG(t, dsn, cfg)
	st := waitStats(t, second, "the event given up", func(st Stats) bool { return st.GivenUp == 1 && st.Pending == 0 })
	reqs = rcv.requests()
	sameIDPerUser(t, reqs)
	if len(reqs) < 3 || len(reqs) > 4 || st.Recovered != 1 {
		t.Fatalf("%d attempts in all (want 2 by each node, 3 when one was late), stats %+v", len(reqs), st)
	}
	if reqs[2].Callback < next {
		t.Fatalf("the second node attempted at %d, before the stored next attempt %d", reqs[2].Callback, next)
	}
	// The window began with the first node's first attempt: a second node
	// that started its own streak would go on until about 1.7 s.
	if last := reqs[len(reqs)-1].Callback - reqs[0].Callback; last > (window + 200*time.Millisecond).Milliseconds() {
		t.Fatalf("last attempt %d ms after the first, past the %v window", last, window)
	}
}

// TestPostgresMaxPending: while the receiver is down, the events past the
// cap, oldest first after the one being retried, are given up.
func TestPostgresMaxPending(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	rcv := newReceiver(t, app1, "", always(500))
	s := openPG(t, dsn, Config{Apps: []App{{ID: app1, URL: rcv.URL()}}, MaxPending: 3,
		RetryInterval: time.Hour, RetryWindow: 2 * time.Hour, Poll: 20 * time.Millisecond})
	s.Append(testEvent(app1, 0))
	waitStats(t, s, "two attempts", func(st Stats) bool { return st.Failures == 2 })
	for i := 1; i < 6; i++ {
		s.Append(testEvent(app1, i))
	}
	st := waitStats(t, s, "three given up", func(st Stats) bool { return st.GivenUp >= 3 })
	if st.GivenUp != 3 || st.Pending != 3 {
		t.Fatalf("stats %+v, want 3 given up and 3 pending", st)
	}
	var left string
	query(t, dsn, `SELECT string_agg(convert_from(info, 'UTF8')::json->>'UserId', ',' ORDER BY id) FROM webhook_events`, &left)
	if left != "u0,u4,u5" {
		t.Fatalf("pending %s, want the head and the two newest", left)
	}
}

func TestPostgresBadInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, dsn := range []string{"postgres://%zz", "host=127.0.0.1 port=x", "postgres://test@127.0.0.1:1/none?connect_timeout=2"} {
		if s, err := OpenPostgres(ctx, dsn, Config{Apps: []App{{ID: app1, URL: "http://127.0.0.1:1/"}}}); err == nil {
			s.Close(ctx)
			t.Fatalf("OpenPostgres(%q) succeeded", dsn)
		}
	}
	dsn := pgtest.Shared(t).NewDatabase(t)
	s := openPG(t, dsn, Config{Apps: []App{{ID: app1, URL: "http://127.0.0.1:1/"}}, RetryInterval: time.Hour})
	if err := s.Append(Event{Type: 150, Room: trtc.RoomKey{App: app1, Num: 1}}); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("type 150: %v", err)
	}
	if err := s.Append(testEvent(app2, 0)); err != nil || s.Stats().Appended != 0 {
		t.Fatalf("an app without webhook: %v, %+v", err, s.Stats())
	}
	big := testEvent(app1, 0)
	big.UserID = trtc.UserID(strings.Repeat("x", maxRecordBytes))
	if err := s.Append(big); !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("a %d-byte user id: %v", maxRecordBytes, err)
	}
	closed, cancelClosed := context.WithCancel(context.Background())
	cancelClosed()
	s.Close(closed)
	if err := s.Append(testEvent(app1, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	query(t, dsn, `WITH u AS (UPDATE rtcengine_schema SET version = 99 WHERE component = 'webhook' RETURNING 1) SELECT count(*) FROM u`, new(int))
	if s, err := OpenPostgres(ctx, dsn, Config{}); err == nil {
		s.Close(ctx)
		t.Fatal("OpenPostgres on a newer schema succeeded")
	}
}

// TestPostgresNodeKilled: a node (a process of its own) appends events and
// is killed with SIGKILL in the middle of its first attempt; another node
// delivers every event once its lease has run out, in order, the
// interrupted one with the id it had.
func TestPostgresNodeKilled(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	const n = 20
	rcv := newReceiver(t, app1, key1, func(k int) int {
		if k == 1 {
			return answerHang // the dying node's attempt never gets an answer
		}
		return 200
	})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), nodeEnv+"="+dsn, nodeEnv+"_URL="+rcv.URL(), nodeEnv+"_EVENTS="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if l != "appended" {
			t.Fatalf("node: %q", l)
		}
	case <-time.After(waitBound):
		t.Fatal("the node never appended")
	}
	rcv.waitFor("the node's first attempt", func(ds []delivery) bool { return len(ds) >= 1 })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true

	s := openPG(t, dsn, Config{Apps: []App{{ID: app1, URL: rcv.URL(), Key: key1}}, Node: "survivor"})
	if st := s.Stats(); st.Recovered != n {
		t.Fatalf("recovered %d, want %d", st.Recovered, n)
	}
	rcv.waitFor("every event", func([]delivery) bool { return len(rcv.accepted()) >= n })
	all := rcv.requests()
	sameIDPerUser(t, all)
	got := rcv.accepted()
	if len(got) != n || got[0].ID != all[0].ID {
		t.Fatalf("%d accepted, first %s; want %d starting with the interrupted %s", len(got), got[0].ID, n, all[0].ID)
	}
	for i, d := range got {
		if userOf(d) != "u"+strconv.Itoa(i) {
			t.Fatalf("event %d is %s", i, userOf(d))
		}
	}
	waitStats(t, s, "nothing pending", func(st Stats) bool { return st.Pending == 0 })
}

// runNode is the node of TestPostgresNodeKilled: it appends the events,
// says so on stdout, and delivers until it is killed.
func runNode(dsn string) int {
	n, _ := strconv.Atoi(os.Getenv(nodeEnv + "_EVENTS"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := OpenPostgres(ctx, dsn, Config{Apps: []App{{ID: app1, URL: os.Getenv(nodeEnv + "_URL"), Key: key1}},
		Node: "doomed", Timeout: time.Second, Lease: 1500 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := range n {
		if err := s.Append(testEvent(app1, i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Println("appended")
	<-make(chan struct{})
	return 0
}
