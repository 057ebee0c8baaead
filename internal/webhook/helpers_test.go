package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rtcengine/rtcengine/internal/pgtest"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(nodeEnv); dsn != "" {
		os.Exit(runNode(dsn)) // a node of TestPostgresNodeKilled, in a process of its own
	}
	goleak.VerifyTestMain(pgtest.WrapM(m))
}

// waitBound bounds every wait on an event; waits end as soon as it happens.
const waitBound = 15 * time.Second

// fakeClock is a Clock whose time moves only when the test says so.
type fakeClock struct {
	mu       sync.Mutex
	now      time.Time
	sleepers []*sleeper
	changed  chan struct{}
}

type sleeper struct {
	until time.Time
	ch    chan struct{}
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.UnixMilli(1_700_000_000_000), changed: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	s := &sleeper{until: c.now.Add(d), ch: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
	select {
	case <-s.ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		for i, x := range c.sleepers {
			if x == s {
				c.sleepers = append(c.sleepers[:i], c.sleepers[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		return ctx.Err()
	}
}

// nextWake reports how far the earliest sleeper is from waking.
func (c *fakeClock) nextWake() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.sleepers) == 0 {
		return 0, false
	}
	d := c.sleepers[0].until.Sub(c.now)
	for _, s := range c.sleepers[1:] {
		d = min(d, s.until.Sub(c.now))
	}
	return d, true
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.sleepers[:0]
	for _, s := range c.sleepers {
		if s.until.After(c.now) {
			keep = append(keep, s)
		} else {
			close(s.ch)
		}
	}
	c.sleepers = keep
}

// runClockUntil advances the clock to each sleeper's wake-up until done()
// holds, waiting on the service's progress or a new sleeper in between.
func runClockUntil(t *testing.T, c *fakeClock, s *Service, done func() bool) {
	t.Helper()
	deadline := time.After(waitBound)
	for !done() {
		if d, ok := c.nextWake(); ok {
			c.Advance(d)
			continue
		}
		select {
		case <-c.changed:
		case <-s.progress:
		case <-deadline:
			t.Fatalf("condition not reached; stats %+v", s.Stats())
		}
	}
}

// waitIdle waits until nothing is pending.
func waitIdle(t *testing.T, s *Service) {
	t.Helper()
	deadline := time.After(waitBound)
	for s.pending() > 0 {
		select {
		case <-s.progress:
		case <-deadline:
			t.Fatalf("still %d pending; stats %+v", s.pending(), s.Stats())
		}
	}
}

// Answers a receiver can give besides a status code.
const (
	answerHang  = -1 // wait until the client gives up (a slow receiver)
	answerClose = -2 // drop the connection without an answer
)

// delivery is one request a receiver got.
type delivery struct {
	Body     []byte
	Header   http.Header
	Status   int
	ID       string
	Type     int
	Group    int
	Callback int64
	Info     map[string]any
}

// receiver is a webhook endpoint that checks every request's method,
// headers and signature and records it; answer decides its reply to the
// n-th request (from 1).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	key    string
	app    trtc.SDKAppID
	mu     sync.Mutex
	answer func(n int) int
	all    []delivery
	ch     chan struct{}
}

func newReceiver(t *testing.T, app trtc.SDKAppID, key string, answer func(n int) int) *receiver {
	r := &receiver{t: t, key: key, app: app, answer: answer, ch: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) URL() string { return r.srv.URL + "/hook" }

func (r *receiver) setAnswer(f func(n int) int) {
	r.mu.Lock()
	r.answer = f
	r.mu.Unlock()
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	d := delivery{Body: body, Header: req.Header.Clone()}
	var msg struct {
		EventGroupId int
		EventType    int
		CallbackTs   int64
		EventInfo    map[string]any
		EventId      string
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&msg); err != nil {
		r.t.Errorf("receiver: body is not JSON: %v: %s", err, body)
	}
	d.ID, d.Type, d.Group, d.Callback, d.Info = msg.EventId, msg.EventType, msg.EventGroupId, msg.CallbackTs, msg.EventInfo
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
		r.t.Errorf("receiver: %s with Content-Type %q", req.Method, req.Header.Get("Content-Type"))
	}
	if got := req.Header.Get("SdkAppId"); got != strconv.FormatUint(uint64(r.app), 10) {
		r.t.Errorf("receiver: SdkAppId %q, want %d", got, r.app)
	}
	if r.key != "" && req.Header.Get("Sign") != Sign(r.key, body) {
		r.t.Errorf("receiver: Sign %q does not match the body", req.Header.Get("Sign"))
	}
	if req.Header.Get("X-Rtcengine-Event-Id") != msg.EventId || msg.EventId == "" {
		r.t.Errorf("receiver: event id header %q, body %q", req.Header.Get("X-Rtcengine-Event-Id"), msg.EventId)
	}
	r.mu.Lock()
	n := len(r.all) + 1
	status := 200
	if r.answer != nil {
		status = r.answer(n)
	}
	d.Status = status
	r.all = append(r.all, d)
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
	switch status {
	case answerHang:
		<-req.Context().Done()
	case answerClose:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	default:
		w.WriteHeader(status)
		io.WriteString(w, `{"code":0}`)
	}
}

// requests returns every request so far.
func (r *receiver) requests() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.all...)
}

// accepted returns the requests answered 2xx, in arrival order.
func (r *receiver) accepted() []delivery {
	var out []delivery
	for _, d := range r.requests() {
		if d.Status >= 200 && d.Status < 300 {
			out = append(out, d)
		}
	}
	return out
}

// waitFor waits until ok holds for the requests so far.
func (r *receiver) waitFor(what string, ok func([]delivery) bool) []delivery {
	r.t.Helper()
	deadline := time.After(waitBound)
	for {
		if all := r.requests(); ok(all) {
			return all
		}
		select {
		case <-r.ch:
		case <-deadline:
			r.t.Fatalf("receiver: %s not reached; got %d requests", what, len(r.requests()))
		}
	}
}

// copyOutbox copies the segment files of dir as they are now: the state a
// process killed at this instant leaves on disk.
func copyOutbox(t *testing.T, dir string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".seg" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// openService opens a service that the test closes at its end.
func openService(t *testing.T, cfg Config) *Service {
	t.Helper()
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // whatever is left stays in the outbox
		_ = s.Close(ctx)
	})
	return s
}

// testEvent is event n of a test: an enter of user n into room 1234 of app.
func testEvent(app trtc.SDKAppID, n int) Event {
	return Event{
		Type: EventEnterRoom, Room: trtc.RoomKey{App: app, Num: 1234},
		At: time.UnixMilli(1_700_000_000_000 + int64(n)), UserID: trtc.UserID("u" + strconv.Itoa(n)),
		Role: trtc.RoleAnchor, TerminalType: 4, UserType: 3, Reason: EnterNormal,
	}
}

// userOf returns the UserId of a recorded enter event.
func userOf(d delivery) string {
	s, _ := d.Info["UserId"].(string)
	return s
}
